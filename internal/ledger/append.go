package ledger

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/tlog"
)

// Item is one entry to append: a kind (1–128 bytes of [a-z0-9._-]) and a
// payload (at most Options.MaxPayload bytes; may be empty).
type Item struct {
	Kind    string
	Payload []byte
}

type request struct {
	items []Item
	done  chan result
}

type result struct {
	first uint64
	err   error
}

// Append appends one entry and returns its index once the entry is durable
// (its frame is in entries.dat and synced). Concurrent Appends are written
// together by one group commit with one sync. A nil error means the entry is
// durable and will be in every later checkpoint. If ctx ends first, Append
// returns ctx's error and the entry MAY still be appended. A bad kind is
// errs.Invalid; an oversized payload errs.TooLarge.
func (l *Log) Append(ctx context.Context, kind string, payload []byte) (uint64, error) {
	return l.AppendBatch(ctx, []Item{{Kind: kind, Payload: payload}})
}

// AppendBatch appends items as consecutive entries in one commit (one sync)
// and returns the index of the first. Either every item is validated and
// appended or none is. The contract is otherwise Append's.
func (l *Log) AppendBatch(ctx context.Context, items []Item) (uint64, error) {
	for i, it := range items {
		if err := checkKind(it.Kind, false); err != nil {
			return 0, batchField(err, i, len(items))
		}
	}
	return l.appendItems(ctx, items)
}

func batchField(err error, i, n int) error {
	if e, ok := err.(*errs.Error); ok && n > 1 {
		e.Field = fmt.Sprintf("items[%d].%s", i, e.Field)
	}
	return err
}

// appendItems appends items whose kinds are already checked (internal
// "ledger." kinds allowed).
func (l *Log) appendItems(ctx context.Context, items []Item) (uint64, error) {
	if len(items) == 0 {
		return 0, errs.E(errs.Invalid, "nothing to append")
	}
	for i, it := range items {
		if len(it.Payload) > l.opts.MaxPayload {
			return 0, batchField(errs.F(errs.TooLarge, "payload", "payload over %d bytes", l.opts.MaxPayload), i, len(items))
		}
	}
	r := &request{items: items, done: make(chan result, 1)}
	l.sendMu.RLock()
	if l.closed {
		l.sendMu.RUnlock()
		return 0, closedErr()
	}
	select {
	case l.reqs <- r:
	case <-ctx.Done():
		l.sendMu.RUnlock()
		return 0, ctx.Err()
	}
	l.sendMu.RUnlock()
	select {
	case res := <-r.done:
		return res.first, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// committer takes requests, groups those already waiting (up to MaxBatch
// entries, a single request may exceed it) and commits them with one sync.
func (l *Log) committer() {
	defer l.wg.Done()
	var pending *request
	for {
		r := pending
		pending = nil
		if r == nil {
			var ok bool
			if r, ok = <-l.reqs; !ok {
				return
			}
		}
		batch := []*request{r}
		n := len(r.items)
	drain:
		for n < l.opts.MaxBatch {
			select {
			case r2, ok := <-l.reqs:
				if !ok {
					break drain
				}
				if n+len(r2.items) > l.opts.MaxBatch {
					pending = r2
					break drain
				}
				batch = append(batch, r2)
				n += len(r2.items)
			default:
				break drain
			}
		}
		first, err := l.commit(batch)
		for _, r := range batch {
			r.done <- result{first, err}
			first += uint64(len(r.items))
		}
	}
}

// commit writes a batch: frames to entries.dat and a sync, then offsets to
// entries.idx and stored hashes to hashes.dat (synced at checkpoints), then
// publishes the new size and root. A failure is sticky.
func (l *Log) commit(batch []*request) (uint64, error) {
	if err := l.failedErr(); err != nil {
		return 0, errs.Wrap(err, "ledger: earlier write failed; reopen the ledger")
	}
	n0 := l.front.n
	l.buf, l.ibuf, l.hbuf = l.buf[:0], l.ibuf[:0], l.hbuf[:0]
	var stored []Hash
	var err error
	for _, r := range batch {
		for _, it := range r.items {
			start := len(l.buf)
			l.ibuf = binary.BigEndian.AppendUint64(l.ibuf, uint64(l.dataEnd)+uint64(start))
			l.buf = appendFrame(l.buf, LeafData(it.Kind, it.Payload), 0)
			leaf := tlog.RecordHash(l.buf[start+frameHeader:])
			if stored, err = l.front.add(leaf, stored[:0]); err != nil {
				return 0, l.fail(err)
			}
			for _, h := range stored {
				l.hbuf = append(l.hbuf, h[:]...)
			}
		}
	}
	if _, err := l.data.WriteAt(l.buf, l.dataEnd); err != nil {
		return 0, l.fail(err)
	}
	if err := l.data.Sync(); err != nil {
		return 0, l.fail(err)
	}
	l.dataEnd += int64(len(l.buf))
	if _, err := l.idx.WriteAt(l.ibuf, n0*8); err != nil {
		return 0, l.fail(err)
	}
	if _, err := l.hashes.WriteAt(l.hbuf, tlog.StoredHashCount(n0)*int64(len(Hash{}))); err != nil {
		return 0, l.fail(err)
	}
	root := l.front.root()
	l.stateMu.Lock()
	l.pub = published{size: uint64(l.front.n), root: root, dataEnd: l.dataEnd}
	l.stateMu.Unlock()
	return uint64(n0), nil
}

func (l *Log) fail(err error) error {
	err = errs.Wrap(err, "ledger: append")
	l.stateMu.Lock()
	if l.failed == nil {
		l.failed = err
	}
	l.stateMu.Unlock()
	return err
}
