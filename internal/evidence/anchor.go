package evidence

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
)

// KindAudit is the ledger kind of audit records; the payload is the
// record's canonical Leaf bytes.
const KindAudit = "audit"

// Anchor appends the audit records not yet in the ledger, oldest first, in
// batches, and indexes them. It is safe to run again after a crash at any
// point: entries the ledger has but the index lacks are indexed from their
// payloads first, so nothing is appended twice. Only one process may anchor
// a ledger at a time. It returns how many records it anchored.
func (s *Service) Anchor(ctx context.Context, feed audit.Reader) (int, error) {
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	if err := s.reindexTail(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		last, err := s.store.LastIndexed(ctx, KindAudit)
		if err != nil {
			return total, err
		}
		var after int64
		if last != "" {
			if after, err = strconv.ParseInt(last, 10, 64); err != nil {
				return total, errs.Wrap(err, "anchor: last ref")
			}
		}
		recs, err := feed.AuditAfter(ctx, after, 5000)
		if err != nil || len(recs) == 0 {
			return total, err
		}
		items := make([]Item, len(recs))
		for i, r := range recs {
			items[i] = Item{Kind: KindAudit, Payload: r.Leaf()}
		}
		first, err := s.ledger.Append(ctx, items)
		if err != nil {
			return total, err
		}
		es := make([]Entry, len(recs))
		for i, r := range recs {
			es[i] = auditEntry(first+uint64(i), r.Seq, r.Time, r.ActorOrgID, r.ObjectOrg)
		}
		if err := s.store.Transact(ctx, func(tx Tx) error { return tx.IndexEntries(ctx, es) }); err != nil {
			return total, err
		}
		total += len(recs)
	}
}

// auditEntry indexes an audit record under the organisation whose data it
// is: the object's organisation, else the actor's.
func auditEntry(index uint64, seq int64, t time.Time, actorOrg, objectOrg string) Entry {
	org := objectOrg
	if org == "" {
		org = actorOrg
	}
	return Entry{Index: index, Kind: KindAudit, OrgID: org, Time: t, Ref: strconv.FormatInt(seq, 10)}
}

// reindexTail indexes ledger entries appended after the last indexed one
// (a crash between the ledger append and the index write).
func (s *Service) reindexTail(ctx context.Context) error {
	next, err := s.store.NextIndex(ctx)
	if err != nil {
		return err
	}
	var es []Entry
	for i := next; i < s.ledger.Size(); i++ {
		kind, payload, err := s.ledger.Entry(i)
		if err != nil {
			return err
		}
		e := Entry{Index: i, Kind: kind, Time: s.clock(), Ref: "ledger:" + strconv.FormatUint(i, 10)}
		if kind == KindAudit {
			var r struct {
				Seq        int64     `json:"seq"`
				Time       time.Time `json:"time"`
				ActorOrgID string    `json:"actor_org_id"`
				ObjectOrg  string    `json:"object_org_id"`
			}
			if err := json.Unmarshal(payload, &r); err != nil {
				return errs.Wrap(err, "reindex: audit payload of entry "+strconv.FormatUint(i, 10))
			}
			e = auditEntry(i, r.Seq, r.Time, r.ActorOrgID, r.ObjectOrg)
		}
		es = append(es, e)
	}
	if len(es) == 0 {
		return nil
	}
	return s.store.Transact(ctx, func(tx Tx) error { return tx.IndexEntries(ctx, es) })
}
