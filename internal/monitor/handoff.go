package monitor

import (
	"sync"
	"time"
)

// handoff passes the lines of a batch ingest kept from ingest to the
// processor in memory, when both run in one process on a LocalStream.
// The stream still carries the batch (its id, where it is kept) and the
// processor still takes it from the stream, acknowledges it and counts it
// once; what the hand-off saves is reading the kept record back and
// decompressing it, 7% of the pipeline's CPU (bench/gsoc). The record
// on disk stays the truth: a batch whose lines are not here (processed
// after a restart, put aside because the hand-off was full, redelivered)
// is read from the files as before.
//
// The lines handed over are the caller's: Service.Ingest's callers must
// not change a body after handing it in. Memory is bounded by handoffMax
// bytes and handoffEntries batches. A batch the stream drops as a resend
// is dropped from it at once; any other entry no message takes is put
// aside when room is needed and it is older than handoffAge.
type handoff struct {
	mu    sync.Mutex
	m     map[string]handed
	bytes int
	now   func() time.Time
}

// handed is one batch's lines and what the processor would otherwise
// compute from the kept record.
type handed struct {
	sensorID string
	ref      RawRef   // the record ingest kept: a message naming another is not this entry's
	lines    []byte   // as packed into the record (Zeek headers in front)
	sum      [32]byte // SHA-256 of the record's packed bytes, for the batch's audit record
	size     int      // and their length
	at       time.Time
}

const (
	handoffMax     = 128 << 20 // bytes of lines held at most
	handoffEntries = 4096
	handoffAge     = time.Minute
)

func newHandoff(now func() time.Time) *handoff {
	return &handoff{m: map[string]handed{}, now: now}
}

// put holds h for batch id, unless the hand-off is full even after the
// entries older than handoffAge are put aside, or holds id already (a
// resend while the first sending waits in the stream: the stream will drop
// the resend, and the entry is the first one's); it reports whether it
// did.
func (o *handoff) put(id string, h handed) bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.m[id]; ok {
		return false
	}
	h.at = o.now()
	if o.bytes+len(h.lines) > handoffMax || len(o.m) >= handoffEntries {
		for k, e := range o.m {
			if h.at.Sub(e.at) > handoffAge {
				o.bytes -= len(e.lines)
				delete(o.m, k)
			}
		}
		if o.bytes+len(h.lines) > handoffMax || len(o.m) >= handoffEntries {
			return false
		}
	}
	o.m[id] = h
	o.bytes += len(h.lines)
	return true
}

// take removes and returns the entry of batch id if it is the one of
// sensorID's batch kept at ref.
func (o *handoff) take(id, sensorID string, ref RawRef) (handed, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	h, ok := o.m[id]
	if !ok {
		return handed{}, false
	}
	o.bytes -= len(h.lines)
	delete(o.m, id)
	if h.sensorID != sensorID || h.ref != ref {
		return handed{}, false
	}
	return h, true
}

// drop removes the entry of batch id, if any.
func (o *handoff) drop(id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if h, ok := o.m[id]; ok {
		o.bytes -= len(h.lines)
		delete(o.m, id)
	}
}

// held returns the entries and bytes held, for tests.
func (o *handoff) held() (int, int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.m), o.bytes
}
