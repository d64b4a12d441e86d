package rpz

import (
	"slices"
	"strings"
)

// Delta is the change from one serial of a zone to the next, as IXFR
// sends it: the records deleted, then the records added.
type Delta struct {
	From    uint32   `json:"from"`
	To      uint32   `json:"to"`
	Deleted []Record `json:"deleted"`
	Added   []Record `json:"added"`
}

// Empty reports whether the delta changes nothing.
func (d Delta) Empty() bool { return len(d.Deleted) == 0 && len(d.Added) == 0 }

// Diff returns what changes from old to new (serials left to the caller).
// A record whose target changes is deleted and added.
func Diff(old, new map[string]string) Delta {
	var d Delta
	for o, t := range old {
		if nt, ok := new[o]; !ok || nt != t {
			d.Deleted = append(d.Deleted, Record{o, t})
		}
	}
	for o, t := range new {
		if ot, ok := old[o]; !ok || ot != t {
			d.Added = append(d.Added, Record{o, t})
		}
	}
	byOwner := func(a, b Record) int { return strings.Compare(a.Owner, b.Owner) }
	slices.SortFunc(d.Deleted, byOwner)
	slices.SortFunc(d.Added, byOwner)
	return d
}

// Journal keeps the latest deltas of one zone, oldest first, bounded by
// the number of records they hold.
type Journal struct {
	MaxRecords int // 0: 1,000,000
	deltas     []Delta
	records    int
}

// Append adds a delta; the oldest are dropped when the journal is full.
// A delta that does not follow the last one resets the journal.
func (j *Journal) Append(d Delta) {
	max := j.MaxRecords
	if max <= 0 {
		max = 1_000_000
	}
	if n := len(j.deltas); n > 0 && j.deltas[n-1].To != d.From {
		j.deltas, j.records = nil, 0
	}
	size := len(d.Deleted) + len(d.Added)
	if size > max {
		j.deltas, j.records = nil, 0
		return
	}
	j.deltas = append(j.deltas, d)
	j.records += size
	for j.records > max {
		j.records -= len(j.deltas[0].Deleted) + len(j.deltas[0].Added)
		j.deltas = j.deltas[1:]
	}
}

// Since returns the deltas that lead from serial to the newest, and false
// when the journal cannot (the serial is older than what it keeps, or
// unknown): the caller then sends the whole zone (AXFR).
func (j *Journal) Since(serial uint32) ([]Delta, bool) {
	for i, d := range j.deltas {
		if d.From == serial {
			return slices.Clone(j.deltas[i:]), true
		}
	}
	if n := len(j.deltas); n > 0 && j.deltas[n-1].To == serial {
		return nil, true
	}
	return nil, false
}

// Len is the number of deltas kept.
func (j *Journal) Len() int { return len(j.deltas) }
