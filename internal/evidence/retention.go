package evidence

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// PutRule sets the retention period of a kind of data, for one
// organisation or for all. It is refused with errs.Conflict when it would
// at once delete payloads under a legal hold: lift or narrow the hold first.
func (s *Service) PutRule(ctx context.Context, a identity.Actor, r Rule) (Rule, error) {
	if err := policy.Decide(a.Viewer, policy.ManageRetention, policy.Target{}); err != nil {
		return Rule{}, s.deny(ctx, a, "retention.set", "", r.OrgID, err)
	}
	if err := r.Validate(); err != nil {
		return Rule{}, err
	}
	now := s.clock()
	r.ID, r.CreatedAt, r.CreatedBy = newID(), now, a.UserID
	err := s.store.Transact(ctx, func(tx Tx) error {
		holds, err := tx.Holds(ctx)
		if err != nil {
			return err
		}
		due, err := tx.Entries(ctx, EntryFilter{Kinds: []string{r.Kind}, OrgID: r.OrgID, Until: now.Add(-r.Period),
			Erased: ptr(false), Limit: 100_000})
		if err != nil {
			return err
		}
		for _, e := range due {
			for _, h := range holds {
				if h.Covers(e) {
					return errs.F(errs.Conflict, "days", "entries of %s are under legal hold %s (%s); a %d-day period would delete them",
						r.Kind, h.ID, h.Reason, r.Days)
				}
			}
		}
		if err := tx.PutRule(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(now, "retention.set", "retention_rule", r.ID, r.OrgID, audit.Success, r))
	})
	if err != nil {
		return Rule{}, err
	}
	return r, nil
}

// DeleteRule removes a retention rule: the kind is then kept for ever.
func (s *Service) DeleteRule(ctx context.Context, a identity.Actor, id string) error {
	if err := policy.Decide(a.Viewer, policy.ManageRetention, policy.Target{}); err != nil {
		return s.deny(ctx, a, "retention.delete", id, "", err)
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.DeleteRule(ctx, id); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(s.clock(), "retention.delete", "retention_rule", id, "", audit.Success, nil))
	})
}

// Rules lists the retention rules. Every member may read them: they say how
// long the hub keeps their data.
func (s *Service) Rules(ctx context.Context, a identity.Actor) ([]Rule, error) {
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	return s.store.Rules(ctx)
}

// PlaceHold puts an organisation's data (of one kind, or all) under legal
// hold: retention deletes none of it until the hold is released.
func (s *Service) PlaceHold(ctx context.Context, a identity.Actor, h Hold) (Hold, error) {
	if err := policy.Decide(a.Viewer, policy.ManageRetention, policy.Target{}); err != nil {
		return Hold{}, s.deny(ctx, a, "hold.place", "", h.OrgID, err)
	}
	h.Reason = strings.TrimSpace(h.Reason)
	var l errs.List
	if h.Reason == "" || len([]rune(h.Reason)) > 2000 {
		l.Add(errs.Invalid, "reason", "say why the data is held (at most 2000 characters)")
	}
	if h.Kind != "" && !validKind(h.Kind) {
		l.Add(errs.Invalid, "kind", "must be empty (every kind) or one of %s", strings.Join(Kinds, ", "))
	}
	if err := l.Err(); err != nil {
		return Hold{}, err
	}
	now := s.clock()
	h.ID, h.CreatedAt, h.CreatedBy, h.Released = newID(), now, a.UserID, nil
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreateHold(ctx, h); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(now, "hold.place", "legal_hold", h.ID, h.OrgID, audit.Success, h))
	})
	return h, err
}

// ReleaseHold lifts a legal hold.
func (s *Service) ReleaseHold(ctx context.Context, a identity.Actor, id string) error {
	if err := policy.Decide(a.Viewer, policy.ManageRetention, policy.Target{}); err != nil {
		return s.deny(ctx, a, "hold.release", id, "", err)
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.ReleaseHold(ctx, id, s.clock()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(s.clock(), "hold.release", "legal_hold", id, "", audit.Success, nil))
	})
}

// Holds lists legal holds, for hub administrators.
func (s *Service) Holds(ctx context.Context, a identity.Actor) ([]Hold, error) {
	v := a.Viewer
	v.Scope = policy.ScopeWrite // reading holds needs the role, not a write credential
	if err := policy.Decide(v, policy.ManageRetention, policy.Target{}); err != nil {
		return nil, err
	}
	return s.store.Holds(ctx)
}

// Sweep applies the retention rules at the current time: the payload of
// every entry older than its rule's period, and under no hold in force, is
// erased from the ledger (its hash stays, so proofs stay valid), and the
// erasure is audited. It returns how many payloads it erased.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	now := s.clock()
	rules, err := s.store.Rules(ctx)
	if err != nil {
		return 0, err
	}
	holds, err := s.store.Holds(ctx)
	if err != nil {
		return 0, err
	}
	// The organisation-specific rule of a kind wins over the general one.
	specific := map[string]map[string]bool{}
	for _, r := range rules {
		if r.OrgID != "" {
			if specific[r.Kind] == nil {
				specific[r.Kind] = map[string]bool{}
			}
			specific[r.Kind][r.OrgID] = true
		}
	}
	erased := 0
	for _, r := range rules {
		due, err := s.store.Entries(ctx, EntryFilter{Kinds: []string{r.Kind}, OrgID: r.OrgID, Until: now.Add(-r.Period),
			Erased: ptr(false), Limit: 10_000})
		if err != nil {
			return erased, err
		}
		for _, e := range due {
			if r.OrgID == "" && specific[r.Kind][e.OrgID] {
				continue
			}
			held := false
			for _, h := range holds {
				held = held || h.Covers(e)
			}
			if held {
				continue
			}
			reason := fmt.Sprintf("retention rule %s: %s kept %d days", r.ID, r.Kind, r.Days)
			if err := s.ledger.Erase(ctx, e.Index, reason); err != nil {
				if errs.Is(err, errs.Conflict) { // the ledger's own holds
					continue
				}
				return erased, err
			}
			sys := identity.System("retention")
			err := s.store.Transact(ctx, func(tx Tx) error {
				if err := tx.MarkErased(ctx, e.Index); err != nil {
					return err
				}
				if e.Kind == KindAudit {
					seq, err := strconv.ParseInt(e.Ref, 10, 64)
					if err != nil {
						return errs.Wrap(err, "audit entry ref")
					}
					if err := tx.EraseAudit(ctx, seq); err != nil {
						return err
					}
				}
				return tx.AppendAudit(ctx, sys.Record(now, "retention.erase", "ledger_entry", fmt.Sprint(e.Index), e.OrgID, audit.Success,
					map[string]any{"kind": e.Kind, "rule": r.ID, "days": r.Days}))
			})
			if err != nil {
				return erased, err
			}
			erased++
		}
	}
	return erased, nil
}

func ptr[T any](v T) *T { return &v }

// SweepLoop runs Sweep every interval until ctx ends, logging through warn.
func (s *Service) SweepLoop(ctx context.Context, every time.Duration, warn func(msg string, args ...any)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if _, err := s.Sweep(ctx); err != nil && ctx.Err() == nil {
			warn("retention sweep", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
