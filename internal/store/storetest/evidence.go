package storetest

import (
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/store"
)

func testEvidence(t *testing.T, db *store.DB) {
	ctx := t.Context()
	st := db.Evidence()
	if n, err := st.NextIndex(ctx); err != nil || n != 0 {
		t.Fatalf("empty next index: %d %v", n, err)
	}
	entries := []evidence.Entry{
		{Index: 0, Kind: "audit", OrgID: "o1", Time: t0, Ref: "1"},
		{Index: 1, Kind: "audit", OrgID: "o2", Time: t0.Add(time.Hour), Ref: "2"},
		{Index: 2, Kind: "ledger.delete", Time: t0.Add(2 * time.Hour), Ref: "ledger:2"},
	}
	err := st.Transact(ctx, func(tx evidence.Tx) error { return tx.IndexEntries(ctx, entries) })
	if err != nil {
		t.Fatal(err)
	}
	dup := st.Transact(ctx, func(tx evidence.Tx) error { return tx.IndexEntries(ctx, entries[:1]) })
	mustCode(t, dup, errs.Conflict)
	if n, _ := st.NextIndex(ctx); n != 3 {
		t.Fatalf("next index %d", n)
	}
	if ref, _ := st.LastIndexed(ctx, "audit"); ref != "2" {
		t.Fatalf("last indexed audit ref %q", ref)
	}
	f := false
	for name, c := range map[string]struct {
		f    evidence.EntryFilter
		want int
	}{
		"all":      {evidence.EntryFilter{}, 3},
		"kind":     {evidence.EntryFilter{Kinds: []string{"audit"}}, 2},
		"org":      {evidence.EntryFilter{OrgID: "o2"}, 1},
		"until":    {evidence.EntryFilter{Until: t0.Add(time.Hour)}, 1},
		"since":    {evidence.EntryFilter{Since: t0.Add(time.Hour)}, 2},
		"unerased": {evidence.EntryFilter{Erased: &f}, 3},
	} {
		got, err := st.Entries(ctx, c.f)
		if err != nil || len(got) != c.want {
			t.Errorf("%s: %d entries, %v; want %d", name, len(got), err, c.want)
		}
	}
	err = st.Transact(ctx, func(tx evidence.Tx) error {
		if err := tx.MarkErased(ctx, 1); err != nil {
			return err
		}
		if err := tx.PutRule(ctx, evidence.Rule{ID: "r1", Kind: "audit", Days: 30, CreatedAt: t0, CreatedBy: "u"}); err != nil {
			return err
		}
		if err := tx.PutRule(ctx, evidence.Rule{ID: "r2", Kind: "audit", Days: 90, CreatedAt: t0, CreatedBy: "u"}); err != nil {
			return err
		}
		if err := tx.CreateHold(ctx, evidence.Hold{ID: "h1", OrgID: "o1", Reason: "case", CreatedAt: t0, CreatedBy: "u"}); err != nil {
			return err
		}
		return tx.CreateRequest(ctx, evidence.Request{ID: "q1", Reference: "R-1", LegalBasis: "law", Status: evidence.Pending,
			Scope: evidence.Scope{Kinds: []string{"audit"}, Since: t0, Until: t0.Add(time.Hour)}, RequestedBy: "u", RequesterOrg: "o9",
			CreatedAt: t0, UpdatedAt: t0})
	})
	if err != nil {
		t.Fatal(err)
	}
	rules, _ := st.Rules(ctx)
	if len(rules) != 1 || rules[0].ID != "r2" || rules[0].Period != 90*24*time.Hour {
		t.Fatalf("rules (second put replaces the first): %+v", rules)
	}
	got, _ := st.Entries(ctx, evidence.EntryFilter{Erased: &f})
	if len(got) != 2 {
		t.Fatalf("unerased after marking: %d", len(got))
	}
	err = st.Transact(ctx, func(tx evidence.Tx) error { return tx.ReleaseHold(ctx, "h1", t0.Add(time.Hour)) })
	if err != nil {
		t.Fatal(err)
	}
	mustCode(t, st.Transact(ctx, func(tx evidence.Tx) error { return tx.ReleaseHold(ctx, "h1", t0) }), errs.NotFound)
	holds, _ := st.Holds(ctx)
	if len(holds) != 1 || holds[0].Released == nil {
		t.Fatalf("holds: %+v", holds)
	}
	r, err := st.Request(ctx, "q1")
	if err != nil || !r.Scope.Since.Equal(t0) || r.Scope.Kinds[0] != "audit" {
		t.Fatalf("request: %+v %v", r, err)
	}
	r.Status, r.DecidedBy, r.UpdatedAt = evidence.Approved, "admin", t0.Add(time.Minute)
	if err := st.Transact(ctx, func(tx evidence.Tx) error { return tx.UpdateRequest(ctx, r) }); err != nil {
		t.Fatal(err)
	}
	if rs, _ := st.Requests(ctx, "o9"); len(rs) != 1 || rs[0].Status != evidence.Approved {
		t.Fatalf("requests: %+v", rs)
	}
	if rs, _ := st.Requests(ctx, "other"); len(rs) != 0 {
		t.Fatalf("requests of another org: %+v", rs)
	}
	_, err = st.Request(ctx, "nope")
	mustCode(t, err, errs.NotFound)
}
