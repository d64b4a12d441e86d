package audit

import (
	"context"
	"sync"
)

// Group appends the records of reads, which have no change to share a
// transaction with, in transactions shared by the reads that wait at the
// same moment (group commit). A read that finds no write running writes
// its record at once, alone; reads that arrive while a write runs queue,
// and the first of them writes the whole queue in one transaction when it
// ends. Append returns once the record is stored (or the write failed), so
// nothing is lost in a crash, and there is no goroutine to stop. On SQLite,
// with one writer, this turns a busy hub's hundreds of one-row write
// transactions a second into a few (BenchmarkReadAudit in store/sqlite:
// twice the records a second from 32 readers). The incident service's
// reads use a batch appender instead, which answers before the record is
// written and may lose the last 50 ms of read records in a crash.
type Group struct {
	write func(ctx context.Context, rs []*Record) error

	mu      sync.Mutex
	queue   []*groupReq // waiting for the next write
	writing bool
}

type groupReq struct {
	r         *Record
	done      chan groupResult // buffered: the writer never waits on a reader
	abandoned bool             // its caller stopped waiting (under Group.mu)
}

type groupResult struct {
	err  error
	lead bool // not written yet: write the queue now
}

// NewGroup returns a Group that stores records with write, which appends
// them in order in one transaction.
func NewGroup(write func(ctx context.Context, rs []*Record) error) *Group {
	return &Group{write: write}
}

// Append stores r, in a transaction shared with the other records waiting
// then. ctx bounds the wait; a record whose caller stopped waiting is
// still written, with the next batch.
func (g *Group) Append(ctx context.Context, r *Record) error {
	req := &groupReq{r: r, done: make(chan groupResult, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, req)
	if !g.writing {
		g.writing = true
		return g.lead(ctx, req)
	}
	g.mu.Unlock()
	var res groupResult
	select {
	case res = <-req.done:
	case <-ctx.Done():
		g.mu.Lock()
		select {
		case res = <-req.done: // decided meanwhile
			g.mu.Unlock()
		default:
			req.abandoned = true // never asked to lead
			g.mu.Unlock()
			return ctx.Err()
		}
	}
	if !res.lead {
		return res.err
	}
	g.mu.Lock()
	return g.lead(ctx, req)
}

// lead writes the queue (which holds own) in one transaction, then hands
// the writing on to the first caller still waiting, or writes what callers
// who stopped waiting left, or stops. g.mu is held on entry, not on return.
func (g *Group) lead(ctx context.Context, own *groupReq) error {
	var first error
	for round := 0; ; round++ {
		batch := g.queue
		g.queue = nil
		g.mu.Unlock()
		rs := make([]*Record, len(batch))
		for i, q := range batch {
			rs[i] = q.r
		}
		// The batch holds others' records: one caller leaving does not
		// stop it.
		err := g.write(context.WithoutCancel(ctx), rs)
		if round == 0 {
			first = err
		}
		for _, q := range batch {
			if q != own {
				q.done <- groupResult{err: err}
			}
		}
		g.mu.Lock()
		for _, q := range g.queue {
			if !q.abandoned {
				q.done <- groupResult{lead: true}
				g.mu.Unlock()
				return first
			}
		}
		if len(g.queue) == 0 {
			g.writing = false
			g.mu.Unlock()
			return first
		}
	}
}

// AppendAll appends rs to tx in order, stopping at the first error.
func AppendAll(ctx context.Context, tx Appender, rs []*Record) error {
	for _, r := range rs {
		if err := tx.AppendAudit(ctx, r); err != nil {
			return err
		}
	}
	return nil
}
