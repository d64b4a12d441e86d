package evidence_test

import (
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/ledger"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

type fixture struct {
	db     *store.DB
	log    *ledger.Log
	svc    *evidence.Service
	ids    *identity.Service
	actors map[string]identity.Actor
	now    *time.Time
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "kyojo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	lg, err := ledger.Open(filepath.Join(dir, "ledger"), ledger.Options{Origin: "test/ledger", CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	now := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	f := &fixture{db: db, log: lg, ids: identity.NewService(db, clock), actors: map[string]identity.Actor{}, now: &now}
	f.svc = evidence.NewService(db.Evidence(), ledger.Evidence{Log: lg}, clock)
	sys := identity.System("test")
	orgs := map[string]identity.Org{}
	for _, o := range []identity.Org{
		{Slug: "ncc", Name: "NCC", Kind: identity.KindGovernment},
		{Slug: "npa", Name: "Police", Kind: identity.KindLawEnforcement},
		{Slug: "mof", Name: "Ministry", Kind: identity.KindGovernment},
	} {
		o, err := f.ids.CreateOrg(ctx, sys, o)
		if err != nil {
			t.Fatal(err)
		}
		orgs[o.Slug] = o
	}
	for _, u := range []struct {
		name, org string
		role      policy.Role
	}{{"admin", "ncc", policy.HubAdmin}, {"admin2", "npa", policy.HubAdmin}, {"officer", "npa", policy.Analyst}, {"bob", "mof", policy.Analyst}} {
		usr, err := f.ids.CreateUser(ctx, sys, identity.NewUser{Username: u.name, Org: u.org, Role: u.role, Password: "a long enough password"})
		if err != nil {
			t.Fatal(err)
		}
		f.actors[u.name] = identity.ActorForOrg(usr, orgs[u.org], policy.ScopeWrite, identity.Actor{Remote: "127.0.0.1", Via: "api"})
	}
	return f
}

func (f *fixture) anchor(t *testing.T) int {
	t.Helper()
	n, err := f.svc.Anchor(t.Context(), f.db)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAnchorIsComplete(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	n := f.anchor(t)
	recs, _ := f.db.AuditAfter(ctx, 0, 0)
	if n == 0 || n != len(recs) || f.log.Size() != uint64(n) {
		t.Fatalf("anchored %d of %d records; ledger size %d", n, len(recs), f.log.Size())
	}
	if again := f.anchor(t); again != 0 {
		t.Fatalf("second anchor appended %d", again)
	}
	// Each entry's payload is the record's canonical form.
	e, err := f.log.Entry(0)
	if err != nil || e.Kind != evidence.KindAudit || string(e.Payload) != string(recs[0].Leaf()) {
		t.Fatalf("entry 0: %+v %v", e, err)
	}
	// A crash after the ledger append but before indexing: the next anchor
	// indexes the tail instead of appending it again.
	f.ids.CreateOrg(ctx, identity.System("test"), identity.Org{Slug: "late", Name: "Late", Kind: identity.KindSME})
	late, _ := f.db.AuditAfter(ctx, recs[len(recs)-1].Seq, 0)
	if _, err := f.log.Append(ctx, evidence.KindAudit, late[0].Leaf()); err != nil {
		t.Fatal(err)
	}
	f.anchor(t)
	all, _ := f.db.AuditAfter(ctx, 0, 0)
	if f.log.Size() != uint64(len(all)) {
		t.Fatalf("ledger has %d entries for %d records: the tail was appended twice", f.log.Size(), len(all))
	}
	if rep, err := f.log.Verify(ctx); err != nil {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestRequestLifecycle(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	f.anchor(t)
	scope := evidence.Scope{Kinds: []string{"audit"}, Since: f.now.Add(-time.Hour), Until: f.now.Add(time.Hour)}
	in := evidence.Request{Reference: "Tokyo DC 2026-123", LegalBasis: "Code of Criminal Procedure art. 197(2)", Scope: scope}

	if _, err := f.svc.FileRequest(ctx, f.actors["bob"], in); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("ministry analyst filed a request: %v", err)
	}
	bad := in
	bad.Scope.Until = bad.Scope.Since
	if _, err := f.svc.FileRequest(ctx, f.actors["officer"], bad); !errs.Is(err, errs.Invalid) {
		t.Fatalf("empty period: %v", err)
	}
	r, err := f.svc.FileRequest(ctx, f.actors["officer"], in)
	if err != nil || r.Status != evidence.Pending {
		t.Fatalf("file: %+v %v", r, err)
	}
	if _, _, err := f.svc.Produce(ctx, f.actors["officer"], r.ID); !errs.Is(err, errs.Conflict) {
		t.Fatalf("produced before approval: %v", err)
	}
	if _, err := f.svc.Decide(ctx, f.actors["officer"], r.ID, true, ""); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("officer approved: %v", err)
	}
	// A hub administrator may not approve their own request.
	own, err := f.svc.FileRequest(ctx, f.actors["admin2"], in)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Decide(ctx, f.actors["admin2"], own.ID, true, "self"); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("approved by its own author: %v", err)
	}
	if r, err = f.svc.Decide(ctx, f.actors["admin"], r.ID, true, "scope checked"); err != nil || r.Status != evidence.Approved {
		t.Fatalf("approve: %+v %v", r, err)
	}
	if _, err := f.svc.Decide(ctx, f.actors["admin"], r.ID, false, ""); !errs.Is(err, errs.Conflict) {
		t.Fatalf("decided twice: %v", err)
	}
	if _, _, err := f.svc.Produce(ctx, f.actors["bob"], r.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another organisation produced the bundle: %v", err)
	}
	bundle, r, err := f.svc.Produce(ctx, f.actors["officer"], r.ID)
	if err != nil || r.Status != evidence.Produced || r.Entries == 0 || r.BundleSHA256 == "" {
		t.Fatalf("produce: %+v %v", r, err)
	}
	if err := ledger.VerifyBundle(bundle, f.log.VerifierKey()); err != nil {
		t.Fatalf("bundle does not verify: %v", err)
	}
	if _, err := f.svc.Request(ctx, f.actors["bob"], r.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another organisation read the request: %v", err)
	}
	list, err := f.svc.Requests(ctx, f.actors["officer"])
	if err != nil || len(list) != 2 {
		t.Fatalf("officer's requests: %d %v", len(list), err)
	}
	// Producing and reading are themselves audited, and reach the ledger.
	recs, _ := f.db.ListAudit(ctx, audit.Filter{Action: "evidence.", Limit: 100})
	seen := map[string]bool{}
	for _, rec := range recs {
		seen[rec.Action+"/"+string(rec.Outcome)] = true
	}
	for _, want := range []string{"evidence.request/success", "evidence.request/denied", "evidence.approved/success",
		"evidence.decide/denied", "evidence.produce/success", "evidence.produce/failure", "evidence.read/failure"} {
		if !seen[want] {
			t.Errorf("audit lacks %s: %v", want, seen)
		}
	}
	before := f.log.Size()
	f.anchor(t)
	if f.log.Size() <= before {
		t.Error("the production's audit records were not anchored")
	}
}

func TestRetentionAndHolds(t *testing.T) {
	f := setup(t)
	ctx := t.Context()
	admin := f.actors["admin"]
	f.anchor(t)
	mof, _ := f.ids.Org(ctx, admin, "mof")
	f.anchor(t)
	if _, err := f.svc.PutRule(ctx, f.actors["officer"], evidence.Rule{Kind: "audit", Days: 1}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("officer set retention: %v", err)
	}
	if _, err := f.svc.PutRule(ctx, admin, evidence.Rule{Kind: "audit", Days: 0}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("zero days: %v", err)
	}
	hold, err := f.svc.PlaceHold(ctx, admin, evidence.Hold{OrgID: mof.ID, Kind: "audit", Reason: "case 2026-7"})
	if err != nil {
		t.Fatal(err)
	}
	*f.now = f.now.Add(48 * time.Hour)
	if _, err := f.svc.PutRule(ctx, admin, evidence.Rule{Kind: "audit", OrgID: mof.ID, Days: 1}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("a rule deleting held data was accepted: %v", err)
	}
	// A general rule is accepted; the sweep skips what the hold covers.
	if _, err := f.svc.PutRule(ctx, admin, evidence.Rule{Kind: "audit", Days: 1}); err == nil {
		t.Fatal("general rule accepted although it would delete held entries of mof")
	}
	if err := f.svc.ReleaseHold(ctx, admin, hold.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.PutRule(ctx, admin, evidence.Rule{Kind: "audit", Days: 1}); err != nil {
		t.Fatal(err)
	}
	n, err := f.svc.Sweep(ctx)
	if err != nil || n == 0 {
		t.Fatalf("sweep erased %d: %v", n, err)
	}
	erased, _ := f.db.Evidence().Entries(ctx, evidence.EntryFilter{Erased: ptr(true), Limit: 100_000})
	if len(erased) != n {
		t.Fatalf("index marks %d erased, sweep said %d", len(erased), n)
	}
	e, err := f.log.Entry(erased[0].Index)
	if err != nil || e.Payload != nil || !e.Deleted {
		t.Fatalf("erased entry still has its payload: %+v %v", e, err)
	}
	// The database copy of an erased audit record is gone too.
	seq, _ := strconv.ParseInt(erased[0].Ref, 10, 64)
	if recs, _ := f.db.AuditAfter(ctx, seq-1, 1); len(recs) > 0 && recs[0].Seq == seq {
		t.Fatalf("audit record %d still in the database after retention erased it", seq)
	}
	if again, _ := f.svc.Sweep(ctx); again != 0 {
		t.Fatalf("second sweep erased %d more", again)
	}
	f.anchor(t)
	if rep, err := f.log.Verify(ctx); err != nil {
		t.Fatalf("the log no longer verifies after retention: %v %+v", err, rep)
	}
}

func ptr[T any](v T) *T { return &v }
