package intel

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/json"
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Incoming is one record of an import: a converted STIX object, or the
// reason the converter rejected the record.
type Incoming struct {
	Line    int
	Object  json.RawMessage
	Err     error
	Compact bool // Object is compact JSON already
	// Minted says the importer made Object's id up (an indicator for one
	// value from a CSV or plain list, with a new time-ordered id): its
	// identity is its value, source and organisation. When this source and
	// organisation already hold an indicator for the value, the record is
	// that indicator's next version under its id (skipped when only its
	// timestamps differ), as a record with the same id would be. Minted
	// ids are new, so they are not looked up.
	Minted bool
}

// ImportStats counts an import.
type ImportStats struct {
	Read     int            `json:"read"`
	Created  int            `json:"created"`
	Updated  int            `json:"updated"`
	Skipped  int            `json:"skipped"`
	Sighted  int            `json:"sighted"` // values already known: a sighting and a source were added instead of a copy
	Rejected int            `json:"rejected"`
	Reasons  map[string]int `json:"reasons,omitempty"`  // rejection reasons, counted
	Examples []Item         `json:"examples,omitempty"` // the first rejections, with line and reason
}

func (st *ImportStats) reject(line int, id string, err error) {
	st.Rejected++
	it := rejected(line, id, err)
	key := it.Error
	if it.Field != "" {
		key = it.Field + ": " + it.Error
	}
	if st.Reasons == nil {
		st.Reasons = map[string]int{}
	}
	if len(st.Reasons) < 100 || st.Reasons[key] > 0 {
		st.Reasons[key]++
	}
	if len(st.Examples) < 20 {
		st.Examples = append(st.Examples, it)
	}
}

// ImportBatch is how many objects go into one transaction unless
// Options.ImportBatch says otherwise. Larger batches hold SQLite's one
// writer longer, which every audited read (search, list) then waits for:
// about 0.15 s at 5,000. Since a list's indicators get time-ordered ids,
// larger batches no longer import clearly faster (1,000,000 CSV lines into
// SQLite on a quiet machine: 54,000-67,000/s at 5,000, 56,000/s at 20,000).
const ImportBatch = 5000

// Import stores a stream of records shared as sh, in batches of
// ImportBatch per transaction, reporting progress after each batch. It
// de-duplicates: an indicator for a single value that the importer can
// already see under another id becomes a sighting of that indicator (with
// this source), not a copy, and the same sighting again is skipped; an
// object whose id and values are already stored is skipped. A Minted
// record whose value this source and organisation already hold is the
// holding indicator's next version (skipped when only its timestamps
// differ), and a value a list names twice is stored once. Rejected
// records are counted with their reasons and the import goes on; a failing
// batch stops the import with what was stored so far committed.
func (s *Service) Import(ctx context.Context, a identity.Actor, src iter.Seq[Incoming], sh Sharing, source string,
	progress func(ImportStats)) (ImportStats, error) {
	var st ImportStats
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		return st, err
	}
	dist, err := s.distribution(ctx, a, sh)
	if err != nil {
		return st, err
	}
	m, err := s.Member(ctx, a)
	if err != nil {
		return st, err
	}
	// Parsing (CPU) runs one batch ahead of writing (the database), on the
	// second core.
	type prepared struct {
		objs    []Object
		lines   []int
		rejects ImportStats
		la      lookahead
	}
	ready := make(chan prepared, 1)
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		defer close(ready)
		batch := make([]Incoming, 0, s.opt.ImportBatch)
		var pre ImportStats
		send := func() bool {
			p := prepared{rejects: pre}
			p.objs, p.lines = s.prepare(batch, dist, sh.Anonymous, source, &p.rejects)
			p.la = s.preread(pctx, p.objs, source, a.OrgID)
			batch, pre = batch[:0], ImportStats{}
			select {
			case ready <- p:
				return true
			case <-pctx.Done():
				return false
			}
		}
		for in := range src {
			pre.Read++
			if in.Err != nil {
				pre.reject(in.Line, "", in.Err)
				continue
			}
			batch = append(batch, in)
			if len(batch) == s.opt.ImportBatch && !send() {
				return
			}
		}
		if len(batch) > 0 || pre.Read > 0 {
			send()
		}
	}()
	var ov overlay
	for p := range ready {
		st.merge(p.rejects)
		if err := s.write(ctx, a, m, p.objs, p.lines, p.la, &ov, source, sh.Anonymous, &st); err != nil {
			return st, err
		}
		if progress != nil {
			progress(st)
		}
		if err := ctx.Err(); err != nil {
			return st, err
		}
	}
	r := a.Record(s.clock(), "intel.import", "stix", "", a.OrgID, audit.Success, map[string]any{"source": source, "stats": st})
	return st, s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, r) })
}

// prepare parses a batch into objects; rejections go to st.
func (s *Service) prepare(batch []Incoming, dist policy.Distribution, anon bool, source string, st *ImportStats) ([]Object, []int) {
	now := s.clock()
	objs := make([]Object, 0, len(batch))
	lines := make([]int, 0, len(batch))
	for _, in := range batch {
		p, err := s.parse(in.Object)
		if err != nil {
			st.reject(in.Line, p.ID, err)
			continue
		}
		d := dist
		if t := markingTLP(p.MarkingRefs); t.Rank() > d.TLP.Rank() {
			d.TLP = t
		}
		mod := p.Modified
		if mod.IsZero() {
			mod = now
		}
		objs = append(objs, Object{ID: p.ID, Type: p.Type, Created: p.Created, Modified: mod, Revoked: p.Revoked, AddedAt: now,
			Source: source, Raw: compactIf(in.Object, !in.Compact), Dist: d, TLP: d.TLP, Anonymous: anon, Values: valuesOf(p),
			ValidFrom: p.ValidFrom, ValidUntil: p.ValidTo, Confidence: p.Confidence})
		objs[len(objs)-1].setMarkings(p)
		objs[len(objs)-1].minted = in.Minted && p.Type == "indicator" && len(objs[len(objs)-1].Values) == 1
		lines = append(lines, in.Line)
	}
	return objs, lines
}

// merge adds o's counts to st.
func (st *ImportStats) merge(o ImportStats) {
	st.Read += o.Read
	for _, ex := range o.Examples {
		if len(st.Examples) < 20 {
			st.Examples = append(st.Examples, ex)
		}
	}
	st.Rejected += o.Rejected
	for k, n := range o.Reasons {
		if st.Reasons == nil {
			st.Reasons = map[string]int{}
		}
		st.Reasons[k] += n
	}
}

// write stores one prepared batch in one transaction, and adds it to ov.
func (s *Service) write(ctx context.Context, a identity.Actor, m policy.Member, objs []Object, lines []int, la lookahead,
	ov *overlay, source string, anon bool, st *ImportStats) error {
	now := s.clock()
	var done ownBatch
	err := s.store.Transact(ctx, func(tx Tx) error {
		before, err := tx.MaxSeq(ctx)
		if err != nil {
			return err
		}
		known, owners, err := s.lookups(ctx, tx, la, ov, objs, source, a.OrgID)
		if err != nil {
			return err
		}
		updated := false
		hidden, err := refusals(ctx, tx, m, objs)
		if err != nil {
			return err
		}
		fresh := make([]Object, 0, len(objs))
		inBatch := make(map[string]bool, len(objs))
		mintedAt := map[string]int{} // value of a minted object in fresh -> its index
		for i, o := range objs {
			if err := hidden[i]; err != nil {
				st.reject(lines[i], o.ID, err)
				continue
			}
			cur, ok := known[o.ID]
			if o.minted {
				key := o.Values[0].Kind + "\x00" + o.Values[0].Key
				if j, again := mintedAt[key]; again {
					// The list names the value again: the later record wins.
					prev := fresh[j]
					if o, err = withID(o, prev.ID); err != nil {
						return err
					}
					if sameContent(prev.Raw, o.Raw) {
						st.Skipped++
					} else {
						fresh[j] = o
						st.Updated++
					}
					continue
				}
				if owner, found := owners[key]; found && sameOrigin(owner, source, a.OrgID) {
					// This source's indicator for the value: this record is its
					// next version.
					if o, err = withID(o, owner.ID); err != nil {
						return err
					}
					cur, ok = owner, true
				} else if !found {
					mintedAt[key] = len(fresh)
				}
			}
			if ok || inBatch[o.ID] {
				if ok && cur.Dist.AuthorOrg == a.OrgID && cur.Source == o.Source && o.Modified.After(cur.Modified) &&
					sameValues(cur.Values, o.Values) && sameContent(cur.Raw, o.Raw) {
					st.Skipped++
					continue
				}
				updated = true
				status, err := s.putOne(ctx, tx, a, o)
				if isRecordError(err) {
					st.reject(lines[i], o.ID, err)
					continue
				} else if err != nil {
					return err
				}
				count(st, status)
				continue
			}
			if o.Type == "indicator" && len(o.Values) == 1 {
				if owner, ok := owners[o.Values[0].Kind+"\x00"+o.Values[0].Key]; ok && owner.ID != o.ID && policy.CanSee(m, owner.Dist) {
					sg, err := sighting(owner, o, source, now)
					if err != nil {
						return err
					}
					if _, dup := known[sg.ID]; dup || inBatch[sg.ID] {
						st.Skipped++
						continue
					}
					sg.Dist, sg.TLP, sg.Anonymous, sg.Source, sg.AddedAt = o.Dist, o.TLP, anon, source, now
					inBatch[sg.ID] = true
					fresh = append(fresh, sg)
					st.Sighted++
					continue
				}
			}
			inBatch[o.ID] = true
			fresh = append(fresh, o)
			st.Created++
		}
		// Insert in key order: B-tree inserts in order touch pages in
		// order, which the page cache serves far better than random ones.
		// (Sort positions, not the large Object values; a list's minted
		// ids come in order already.)
		sorted := fresh
		if !slices.IsSortedFunc(fresh, func(a, b Object) int { return strings.Compare(a.ID, b.ID) }) {
			order := make([]int, len(fresh))
			for i := range order {
				order[i] = i
			}
			slices.SortFunc(order, func(a, b int) int { return strings.Compare(fresh[a].ID, fresh[b].ID) })
			sorted = make([]Object, len(fresh))
			for i, j := range order {
				sorted[i] = fresh[j]
			}
		}
		if err := tx.PutNew(ctx, sorted); err != nil {
			return err
		}
		after, err := tx.MaxSeq(ctx)
		if err != nil {
			return err
		}
		rows, err := tx.CountAfter(ctx, before, math.MaxInt32)
		if err != nil {
			return err
		}
		done = ownBatch{maxSeq: after, rows: rows, objs: sorted, opaque: updated}
		return nil
	})
	if err == nil {
		ov.add(done)
	}
	return err
}

func count(st *ImportStats, s Status) {
	switch s {
	case Created:
		st.Created++
	case Updated:
		st.Updated++
	case Skipped:
		st.Skipped++
	}
}

// sameOrigin reports whether m was shared by org from source.
func sameOrigin(m Meta, source, org string) bool {
	return m.Source == source && m.Dist.AuthorOrg == org
}

// withID returns o under another id: o.Raw is compact JSON (as prepare
// keeps it) whose "id" member is rewritten.
func withID(o Object, id string) (Object, error) {
	from := []byte(`"id":"` + o.ID + `"`)
	i := bytes.Index(o.Raw, from)
	if i < 0 {
		return o, errs.E(errs.Internal, "import: no id member in %s", o.ID)
	}
	raw := make([]byte, 0, len(o.Raw)-len(o.ID)+len(id))
	raw = append(append(append(append(raw, o.Raw[:i]...), `"id":"`...), id...), o.Raw[i+len(from)-1:]...)
	o.ID, o.Raw = id, raw
	return o, nil
}

// valueOwners finds, for the batch's single-value indicators, an existing
// object about the same value, preferring one from source and org.
func valueOwners(ctx context.Context, tx Lookup, objs []Object, source, org string) (map[string]Meta, error) {
	byKind := map[string][]string{}
	for _, o := range objs {
		if o.Type == "indicator" && len(o.Values) == 1 {
			v := o.Values[0]
			byKind[v.Kind] = append(byKind[v.Kind], v.Key)
		}
	}
	out := map[string]Meta{}
	for kind, keys := range byKind {
		found, err := tx.ValueOwners(ctx, kind, keys, source, org)
		if err != nil {
			return nil, err
		}
		for k, m := range found {
			out[kind+"\x00"+k] = m
		}
	}
	return out, nil
}

// sighting makes the STIX sighting that records o's source seeing the
// value owner is about. Its id is derived from the owner and the source, so
// the same source importing the same value again is recognised.
func sighting(owner Meta, o Object, source string, now time.Time) (Object, error) {
	id := sightingID(owner.ID, source)
	ts := now.Format("2006-01-02T15:04:05.000Z")
	seen := ts
	if o.ValidFrom != nil {
		seen = o.ValidFrom.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	raw, err := json.Marshal(map[string]any{
		"type": "sighting", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
		"sighting_of_ref": owner.ID, "count": 1, "first_seen": seen, "last_seen": seen,
		"description": fmt.Sprintf("Also reported by %s", source), "x_kyojo_source": source,
	})
	if err != nil {
		return Object{}, errs.Wrap(err, "encode sighting")
	}
	mod := now.Truncate(time.Millisecond)
	return Object{ID: id, Type: "sighting", Created: mod, Modified: mod, Raw: raw,
		Values: []Value{{Kind: SightingOf, Value: owner.ID, Key: owner.ID}}}, nil
}

// sightingID is the id of the sighting of owner by source.
func sightingID(owner, source string) string {
	h := sha1.Sum([]byte(owner + "\x00" + source))
	return "sighting--" + uuid.NewSHA1(uuid.NameSpaceOID, h[:]).String()
}

func sameValues(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	set := map[string]bool{}
	for _, v := range a {
		set[v.Kind+"\x00"+v.Key] = true
	}
	for _, v := range b {
		if !set[v.Kind+"\x00"+v.Key] {
			return false
		}
	}
	return true
}

// sameContent reports whether two objects differ only in their timestamps
// of creation, modification and validity start: a list re-imported later.
func sameContent(a, b json.RawMessage) bool {
	var x, y map[string]json.RawMessage
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil || len(x) != len(y) {
		return false
	}
	for k, v := range x {
		switch k {
		case "created", "modified", "valid_from":
			continue
		}
		if w, ok := y[k]; !ok || string(compact(v)) != string(compact(w)) {
			return false
		}
	}
	return true
}
