package incident

import (
	"context"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
)

// Reads are audited in batches: a list or case read hands its record to a
// background appender, which writes up to readBatch records in one
// transaction at most readDelay after the first. Writes and refusals are
// still audited in their own transaction. Under load this turns hundreds of
// one-row write transactions a second (each a turn of SQLite's single
// writer) into a few; the price is that a crash may lose the last
// readDelay of read records. Flush waits for everything handed over so far.
const (
	readBatch = 500
	readDelay = 50 * time.Millisecond
)

type readReq struct {
	r    *audit.Record
	done chan struct{} // a flush request when set
}

func (s *Service) startReadLog() {
	s.reads = make(chan readReq, 4096)
	s.readsDone = make(chan struct{})
	go s.readLoop()
}

func (s *Service) readLoop() {
	defer close(s.readsDone)
	var batch []*audit.Record
	var waiting []chan struct{}
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	write := func() {
		if len(batch) > 0 {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			_ = s.store.Transact(ctx, func(tx Tx) error { return audit.AppendAll(ctx, tx, batch) })
			cancel()
			batch = batch[:0]
		}
		for _, w := range waiting {
			close(w)
		}
		waiting = waiting[:0]
	}
	for {
		select {
		case req, ok := <-s.reads:
			if !ok {
				write()
				return
			}
			if req.r != nil {
				if len(batch) == 0 {
					timer.Reset(readDelay)
				}
				batch = append(batch, req.r)
			}
			if req.done != nil {
				waiting = append(waiting, req.done)
				write()
			} else if len(batch) >= readBatch {
				write()
			}
		case <-timer.C:
			write()
		}
	}
}

// logReadRecord hands a read's audit record to the batch appender.
func (s *Service) logReadRecord(r *audit.Record) { s.reads <- readReq{r: r} }

// Flush waits until every read record handed over so far is written.
func (s *Service) Flush() {
	done := make(chan struct{})
	s.reads <- readReq{done: done}
	<-done
}

// Close writes the pending read records and stops the appender; the
// service must not be used afterwards.
func (s *Service) Close() {
	close(s.reads)
	<-s.readsDone
	s.Wait()
}
