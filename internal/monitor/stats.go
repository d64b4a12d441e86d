package monitor

import (
	"sync/atomic"
	"time"
)

// Stats counts what a Processor did since it started, for metrics.
type Stats struct {
	Batches  atomic.Int64 // batches applied
	Skipped  atomic.Int64 // batches applied before (redelivered, read again), skipped
	Events   atomic.Int64 // events accepted
	Rejected atomic.Int64 // lines and batches rejected
	Hits     atomic.Int64 // indicator hits (an alert aggregates many)
	Failed   atomic.Int64 // batches that failed and go back to the stream
	// Of the batches ingest kept in the raw event files (on a local
	// stream): those whose lines ingest handed over in memory, and those
	// read back from the files (after a restart, or the hand-off full).
	InMemory atomic.Int64
	ReadBack atomic.Int64
	busy     atomic.Int64 // nanoseconds spent processing batches
}

// Busy is the time spent processing batches, summed over workers.
func (s *Stats) Busy() time.Duration { return time.Duration(s.busy.Load()) }

// Stats returns the processor's counters.
func (p *Processor) Stats() *Stats { return &p.stats }

// count adds one Process call's outcome to the counters.
func (s *Stats) count(start time.Time, res Result, err error) {
	s.busy.Add(int64(time.Since(start)))
	switch {
	case err != nil:
		s.Failed.Add(1)
	case !res.Applied:
		s.Skipped.Add(1)
	default:
		s.Batches.Add(1)
		s.Events.Add(res.Events)
		s.Rejected.Add(res.Rejected)
		s.Hits.Add(res.Hits)
	}
}
