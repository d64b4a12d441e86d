package intel

import (
	"context"
)

// An import reads what a batch needs to know (which ids exist, which
// values are known) before the batch's write transaction, from a snapshot
// on the read side, on the core that parses; the writer then only checks
// that the snapshot is still true. It is true when every version stored
// after the snapshot was stored by this import's own earlier batches,
// whose objects the writer remembers (the overlay). When anything else
// wrote in between, or the import updated versions in place, the writer
// reads again inside its transaction, as it would without the lookahead.
// This takes a quarter of the writer's work off the one SQLite writer.

// lookahead is one batch's pre-read.
type lookahead struct {
	ok     bool
	seq    int64           // the newest sequence the snapshot saw
	known  map[string]Meta // LatestMeta of the batch's ids
	owners map[string]Meta // valueOwners of the batch
}

// overlayBatches is how many of its own committed batches an import
// remembers; a snapshot older than all of them is not used.
const overlayBatches = 4

// ownBatch is a committed batch of this import.
type ownBatch struct {
	maxSeq int64    // the newest sequence after its commit
	rows   int      // versions it stored
	objs   []Object // the new latest versions it stored
	opaque bool     // it also updated existing ids: not replayable
}

// overlay is the import's recent batches, oldest first.
type overlay struct {
	batches []ownBatch
	dropped bool // older batches were forgotten
}

func (ov *overlay) add(b ownBatch) {
	ov.batches = append(ov.batches, b)
	if len(ov.batches) > overlayBatches {
		ov.batches = ov.batches[1:]
		ov.dropped = true
	}
}

// after returns the remembered batches committed after seq and the
// versions they stored, and false when they may not be all of them or one
// cannot be replayed.
func (ov *overlay) after(seq int64) ([]ownBatch, int, bool) {
	if ov.dropped && (len(ov.batches) == 0 || ov.batches[0].maxSeq > seq) {
		return nil, 0, false
	}
	var out []ownBatch
	rows := 0
	for _, b := range ov.batches {
		if b.maxSeq > seq {
			if b.opaque {
				return nil, 0, false
			}
			out = append(out, b)
			rows += b.rows
		}
	}
	return out, rows, true
}

// preread reads objs' lookups from a snapshot, when the store offers one.
func (s *Service) preread(ctx context.Context, objs []Object, source, org string) lookahead {
	sn, ok := s.store.(Snapshotter)
	if !ok {
		return lookahead{}
	}
	var la lookahead
	err := sn.Snapshot(ctx, func(seq int64, l Lookup) error {
		known, owners, err := readLookups(ctx, l, objs, source, org)
		if err != nil {
			return err
		}
		la = lookahead{ok: true, seq: seq, known: known, owners: owners}
		return nil
	})
	if err != nil {
		return lookahead{} // the writer reads in its transaction instead
	}
	return la
}

// lookups returns what the writer needs of objs: from the lookahead when
// it still holds, else read in tx.
func (s *Service) lookups(ctx context.Context, tx Tx, la lookahead, ov *overlay, objs []Object, source, org string) (known, owners map[string]Meta, err error) {
	if la.ok {
		if since, rows, ok := ov.after(la.seq); ok {
			n, err := tx.CountAfter(ctx, la.seq, rows+1)
			if err != nil {
				return nil, nil, err
			}
			if n == rows {
				for _, b := range since {
					for _, o := range b.objs {
						m := metaOf(o)
						if !o.minted { // minted ids are not looked up
							la.known[o.ID] = m
						}
						for _, v := range o.Values {
							la.owners[v.Kind+"\x00"+v.Key] = m
						}
					}
				}
				s.lookaheadUsed.Add(1)
				return la.known, la.owners, nil
			}
		}
	}
	return readLookups(ctx, tx, objs, source, org)
}

// readLookups reads what writing objs from source for org needs to know:
// the owners of their values, and the latest versions of their ids
// (minted ones are new and not looked up) and of the sightings of owners
// they would become.
func readLookups(ctx context.Context, l Lookup, objs []Object, source, org string) (known, owners map[string]Meta, err error) {
	if owners, err = valueOwners(ctx, l, objs, source, org); err != nil {
		return nil, nil, err
	}
	ids := make([]string, 0, len(objs))
	for _, o := range objs {
		if !o.minted {
			ids = append(ids, o.ID)
		}
		if o.Type != "indicator" || len(o.Values) != 1 {
			continue
		}
		owner, ok := owners[o.Values[0].Kind+"\x00"+o.Values[0].Key]
		if ok && owner.ID != o.ID && !(o.minted && sameOrigin(owner, source, org)) {
			ids = append(ids, sightingID(owner.ID, source))
		}
	}
	known, err = l.LatestMeta(ctx, ids)
	return known, owners, err
}

func metaOf(o Object) Meta {
	return Meta{ID: o.ID, Modified: o.Modified, Dist: o.Dist, Values: o.Values, Source: o.Source, Raw: o.Raw}
}

func idsOf(objs []Object) []string {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	return ids
}
