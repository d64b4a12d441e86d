package monitor

import (
	"bytes"
	"errors"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
)

// scan parses and matches the lines of one batch into it: events and
// rejections counted, hits aggregated by indicator and value. Events are
// matched a group at a time (see Index.matchGroup).
type scan struct {
	b              *Batch
	r              parse.Reader
	ix             *Index
	visible        func(ref int32) bool
	oldest, newest time.Time // events outside are rejected
	agg            map[hitKey]*Hit
	evs            []parse.Event // parsed, not yet matched
	scr            scratch
}

type hitKey struct {
	ref   int32
	value string
}

func newScan(b *Batch, r parse.Reader, ix *Index, visible func(int32) bool, oldest, newest time.Time) *scan {
	return &scan{b: b, r: r, ix: ix, visible: visible, oldest: oldest, newest: newest, agg: map[hitKey]*Hit{},
		evs: make([]parse.Event, 0, group)}
}

// lines takes whole lines (the last may lack its newline).
func (s *scan) lines(lines []byte) {
	for rest := lines; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		s.line(line)
	}
}

func (s *scan) line(line []byte) {
	ev, err := s.r.Line(line)
	switch {
	case errors.Is(err, parse.ErrSkip):
		return
	case err != nil && len(line) > parse.MaxLine:
		s.reject("too long", err)
		return
	case err != nil:
		s.reject("malformed", err)
		return
	case ev.Time.Before(s.oldest):
		s.reject("too old", errs.E(errs.Invalid, "event time %s is before %s", ev.Time.Format(time.RFC3339), s.oldest.Format(time.RFC3339)))
		return
	case ev.Time.After(s.newest):
		s.reject("in the future", errs.E(errs.Invalid, "event time %s is after %s", ev.Time.Format(time.RFC3339), s.newest.Format(time.RFC3339)))
		return
	}
	s.b.Events++
	if s.evs = append(s.evs, ev); len(s.evs) == group {
		s.flush()
	}
}

func (s *scan) reject(reason string, err error) {
	s.b.Rejected++
	s.b.Reasons[reason]++
	if err != nil {
		s.b.LastError = clip(err.Error(), 300)
	}
}

// flush matches the events parsed since the last flush.
func (s *scan) flush() {
	s.ix.matchGroup(&s.scr, s.evs, s.visible, s.tally)
	s.evs = s.evs[:0]
}

// tally adds the hits of event i of the group.
func (s *scan) tally(i int, fs []found) {
	ev := &s.evs[i]
	for _, f := range fs {
		k := hitKey{f.ref, f.value}
		h := s.agg[k]
		ind := s.ix.ind(f.ref)
		if h == nil {
			name := ind.Name
			if name == "" {
				name = ind.ID
			}
			h = &Hit{ref: f.ref, IndicatorID: ind.ID, Name: name, Kind: f.kind, Value: f.value, Observed: f.observed,
				First: ev.Time, Last: ev.Time, Score: ind.Score, Severity: severity(ind.Score, ev.Severity)}
			s.agg[k] = h
		}
		h.Count++
		h.First, h.Last = minTime(h.First, ev.Time), maxTime(h.Last, ev.Time)
		h.Severity = min(h.Severity, severity(ind.Score, ev.Severity))
	}
}

// finish matches what is left and puts the hits in the batch.
func (s *scan) finish() {
	s.flush()
	for _, h := range s.agg {
		s.b.Hits = append(s.b.Hits, *h)
	}
}
