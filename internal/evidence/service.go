package evidence

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Service implements the evidence use cases. Each method asks the policy
// first, changes the store in one transaction with its audit record, and
// reaches the ledger only through the Ledger interface.
type Service struct {
	store  Store
	ledger Ledger
	now    func() time.Time
	// ledgerMu serialises the methods that append to the ledger (Anchor,
	// Sweep, Produce), so that the ledger's own entries always land at the
	// tail where Anchor indexes them.
	ledgerMu sync.Mutex
	reads    *audit.Group // the audit records of reads, in shared transactions
}

// NewService returns a Service; now defaults to time.Now.
func NewService(st Store, l Ledger, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, ledger: l, now: now, reads: audit.NewGroup(func(ctx context.Context, rs []*audit.Record) error {
		return st.Transact(ctx, func(tx Tx) error { return audit.AppendAll(ctx, tx, rs) })
	})}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// deny records a refused attempt and returns err.
func (s *Service) deny(ctx context.Context, a identity.Actor, action, id, org string, err error) error {
	out := audit.Denied
	if !errs.Is(err, errs.Forbidden) {
		out = audit.Failure
	}
	r := a.Record(s.clock(), action, "evidence_request", id, org, out, map[string]string{"reason": err.Error()})
	if aerr := s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, r) }); aerr != nil {
		return errs.Wrap(aerr, "audit denial")
	}
	return err
}

// FileRequest files a law-enforcement request. Only people of a
// law-enforcement organisation may.
func (s *Service) FileRequest(ctx context.Context, a identity.Actor, in Request) (Request, error) {
	if err := policy.Decide(a.Viewer, policy.FileRequest, policy.Target{}); err != nil {
		return Request{}, s.deny(ctx, a, "evidence.request", "", a.OrgID, err)
	}
	r := Request{Reference: in.Reference, LegalBasis: in.LegalBasis, Scope: in.Scope}
	r.Scope.Since, r.Scope.Until = r.Scope.Since.UTC(), r.Scope.Until.UTC()
	if err := r.Validate(); err != nil {
		return Request{}, err
	}
	now := s.clock()
	r.ID, r.Status, r.RequestedBy, r.RequesterOrg, r.CreatedAt, r.UpdatedAt = newID(), Pending, a.UserID, a.OrgID, now, now
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreateRequest(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(now, "evidence.request", "evidence_request", r.ID, r.RequesterOrg, audit.Success, r))
	})
	return r, err
}

// Decide approves or rejects a pending request. A hub administrator other
// than the request's author must do it.
func (s *Service) Decide(ctx context.Context, a identity.Actor, id string, approve bool, note string) (Request, error) {
	var out Request
	var denied error
	err := s.store.Transact(ctx, func(tx Tx) error {
		r, err := tx.Request(ctx, id)
		if err != nil {
			return err
		}
		if err := policy.Decide(a.Viewer, policy.DecideRequest, policy.Target{UserID: r.RequestedBy, OrgID: r.RequesterOrg}); err != nil {
			denied = err
			return err
		}
		if r.Status != Pending {
			return errs.F(errs.Conflict, "status", "the request is already %s", r.Status)
		}
		r.Status, r.DecidedBy, r.DecisionNote, r.UpdatedAt = Rejected, a.UserID, note, s.clock()
		if approve {
			r.Status = Approved
		}
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		out = r
		return tx.AppendAudit(ctx, a.Record(r.UpdatedAt, "evidence."+string(r.Status), "evidence_request", r.ID, r.RequesterOrg,
			audit.Success, map[string]string{"note": note}))
	})
	if denied != nil {
		return Request{}, s.deny(ctx, a, "evidence.decide", id, "", denied)
	}
	return out, err
}

// MaxBundleEntries is the most entries one bundle holds.
const MaxBundleEntries = 100_000

// Produce builds the forensic bundle of an approved request: the entries
// its scope selects, their proofs, the signed checkpoint and the chain of
// custody. The production is itself audited (and so anchored in the ledger).
func (s *Service) Produce(ctx context.Context, a identity.Actor, id string) ([]byte, Request, error) {
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return nil, Request{}, err
	}
	if err := policy.Decide(a.Viewer, policy.ProduceBundle, policy.Target{OrgID: r.RequesterOrg}); err != nil {
		return nil, Request{}, s.deny(ctx, a, "evidence.produce", id, r.RequesterOrg, errs.E(errs.NotFound, "no such request"))
	}
	if r.Status != Approved && r.Status != Produced {
		return nil, Request{}, errs.F(errs.Conflict, "status", "the request is %s; only an approved request produces a bundle", r.Status)
	}
	f := EntryFilter{Kinds: r.Scope.Kinds, OrgID: r.Scope.OrgID, Since: r.Scope.Since, Until: r.Scope.Until, Limit: MaxBundleEntries + 1}
	entries, err := s.store.Entries(ctx, f)
	if err != nil {
		return nil, Request{}, err
	}
	switch {
	case len(entries) == 0:
		return nil, Request{}, errs.F(errs.Invalid, "scope", "no retained entries match the request's scope")
	case len(entries) > MaxBundleEntries:
		return nil, Request{}, errs.F(errs.TooLarge, "scope", "the scope selects more than %d entries; file requests for shorter periods", MaxBundleEntries)
	}
	s.ledgerMu.Lock()
	defer s.ledgerMu.Unlock()
	idx := make([]uint64, len(entries))
	for i, e := range entries {
		idx[i] = e.Index
	}
	bundle, err := s.ledger.Bundle(ctx, idx, Custody{RequestRef: r.Reference, LegalBasis: r.LegalBasis,
		RequestedBy: r.RequestedBy + " (organisation " + r.RequesterOrg + ")", ApprovedBy: r.DecidedBy})
	if err != nil {
		return nil, Request{}, err
	}
	sum := sha256.Sum256(bundle)
	r.Status, r.BundleSHA256, r.Entries, r.UpdatedAt = Produced, hex.EncodeToString(sum[:]), len(idx), s.clock()
	err = s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.UpdateRequest(ctx, r); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(r.UpdatedAt, "evidence.produce", "evidence_request", r.ID, r.RequesterOrg, audit.Success,
			map[string]any{"entries": len(idx), "bundle_sha256": r.BundleSHA256}))
	})
	if err != nil {
		return nil, Request{}, err
	}
	return bundle, r, nil
}

// Requests lists requests: all of them for a hub administrator, the
// organisation's own for others. The read is audited.
func (s *Service) Requests(ctx context.Context, a identity.Actor) ([]Request, error) {
	org := a.OrgID
	if a.Role == policy.HubAdmin {
		org = ""
	} else if err := policy.Decide(a.Viewer, policy.ReadRequests, policy.Target{OrgID: a.OrgID}); err != nil {
		return nil, err
	}
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	rs, err := s.store.Requests(ctx, org)
	if err != nil {
		return nil, err
	}
	return rs, s.reads.Append(ctx, a.Record(s.clock(), "evidence.list", "evidence_request", "", org, audit.Success, nil))
}

// Request returns one request the actor may see; others are not found.
func (s *Service) Request(ctx context.Context, a identity.Actor, id string) (Request, error) {
	if a.Anonymous() {
		return Request{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return Request{}, err
	}
	if err := policy.Decide(a.Viewer, policy.ReadRequests, policy.Target{OrgID: r.RequesterOrg}); err != nil {
		return Request{}, s.deny(ctx, a, "evidence.read", id, r.RequesterOrg, errs.E(errs.NotFound, "no such request"))
	}
	return r, s.reads.Append(ctx, a.Record(s.clock(), "evidence.read", "evidence_request", id, r.RequesterOrg, audit.Success, nil))
}
