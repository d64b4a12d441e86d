// Package storetest is the one contract suite every kyojo store
// implementation must pass. The SQLite and PostgreSQL adapters run it from
// their own tests; a new adapter runs it too before it is used.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// Opener returns a fresh, migrated, empty database for one test.
type Opener func(t *testing.T) *store.DB

// Run runs the whole contract suite.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, *store.DB)
	}{
		{"Orgs", testOrgs},
		{"OrgConflicts", testOrgConflicts},
		{"Communities", testCommunities},
		{"Users", testUsers},
		{"Tokens", testTokens},
		{"SessionsAndCSRF", testSessions},
		{"AuditAppendAndFilter", testAudit},
		{"RollbackLeavesNothing", testRollback},
		{"ConcurrentWriters", testConcurrent},
		{"NotFoundIsAnError", testNotFound},
		{"Service", testService},
		{"Evidence", testEvidence},
		{"Intel", testIntel},
		{"ListImport", testListImport},
		{"RPZ", testRPZ},
		{"Partners", testPartners},
		{"AddedOrder", testAddedOrder},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

var t0 = time.Date(2026, 4, 1, 9, 30, 0, 123456000, time.UTC)

func org(slug, name string) identity.Org {
	return identity.Org{ID: "00000000-0000-7000-8000-" + pad(slug), Slug: slug, Name: name, NameJA: name + "（日本語）",
		Kind: identity.KindCIOperator, Sector: identity.SectorElectric, Tier: 2, Country: "JP",
		Contacts:  []identity.Contact{{Name: "Duty", Email: "soc@" + slug + ".example.jp", Phone: "+81312345678", Available: true, Languages: []string{"ja", "en"}}},
		CreatedAt: t0, UpdatedAt: t0}
}

func pad(s string) string {
	b := []byte("000000000000")
	for i := 0; i < len(s) && i < 12; i++ {
		b[11-i] = "0123456789abcdef"[s[i]%16]
	}
	return string(b)
}

func tx(t *testing.T, db *store.DB, fn func(identity.Tx) error) {
	t.Helper()
	if err := db.Transact(t.Context(), fn); err != nil {
		t.Fatalf("transact: %v", err)
	}
}

func mustCode(t *testing.T, err error, code errs.Code) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
}

func testOrgs(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a, b := org("alpha", "Alpha Power"), org("beta", "Beta Gas")
	b.Sector = identity.SectorGas
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.CreateOrg(ctx, a); err != nil {
			return err
		}
		return tx.CreateOrg(ctx, b)
	})
	got, err := db.Org(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != a.Name || got.NameJA != a.NameJA || !got.CreatedAt.Equal(t0) || len(got.Contacts) != 1 ||
		got.Contacts[0].Email != a.Contacts[0].Email || !got.Contacts[0].Available || got.Tier != 2 {
		t.Fatalf("round trip: got %+v", got)
	}
	if got, err := db.OrgBySlug(ctx, "BETA"); err != nil || got.ID != b.ID {
		t.Fatalf("by slug: %v %v", got.ID, err)
	}
	for _, c := range []struct {
		f    identity.OrgFilter
		want int
	}{
		{identity.OrgFilter{}, 2},
		{identity.OrgFilter{Sector: identity.SectorGas}, 1},
		{identity.OrgFilter{Kind: identity.KindISP}, 0},
		{identity.OrgFilter{Query: "power"}, 1},
		{identity.OrgFilter{Query: "日本語"}, 2},
		{identity.OrgFilter{Query: "%"}, 0},
	} {
		list, err := db.ListOrgs(ctx, c.f)
		if err != nil || len(list) != c.want {
			t.Errorf("ListOrgs(%+v) = %d, %v; want %d", c.f, len(list), err, c.want)
		}
	}
	a.Description, a.Contacts, a.Disabled = "updated", nil, true
	tx(t, db, func(tx identity.Tx) error { return tx.UpdateOrg(ctx, a) })
	got, _ = db.Org(ctx, a.ID)
	if got.Description != "updated" || len(got.Contacts) != 0 || !got.Disabled {
		t.Fatalf("update: %+v", got)
	}
}

func testOrgConflicts(t *testing.T, db *store.DB) {
	ctx := t.Context()
	tx(t, db, func(tx identity.Tx) error { return tx.CreateOrg(ctx, org("alpha", "Alpha Power")) })
	dupSlug := org("alpha", "Other")
	dupSlug.ID = "00000000-0000-7000-8000-ffffffffffff"
	err := db.Transact(ctx, func(tx identity.Tx) error { return tx.CreateOrg(ctx, dupSlug) })
	mustCode(t, err, errs.Conflict)
	if f := errs.Fields(err); len(f) == 0 || f[0].Field != "slug" {
		t.Errorf("duplicate slug: field %v", f)
	}
	dupName := org("gamma", "ALPHA  power")
	err = db.Transact(ctx, func(tx identity.Tx) error { return tx.CreateOrg(ctx, dupName) })
	mustCode(t, err, errs.Conflict)
	if f := errs.Fields(err); len(f) == 0 || f[0].Field != "name" {
		t.Errorf("duplicate name: field %v", f)
	}
}

func testCommunities(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a, b := org("alpha", "Alpha"), org("beta", "Beta")
	c := identity.Community{ID: "00000000-0000-7000-8000-00000000c001", Slug: "electricity", Name: "Electricity sector",
		Sector: identity.SectorElectric, Members: []string{a.ID}, CreatedAt: t0, UpdatedAt: t0}
	tx(t, db, func(tx identity.Tx) error {
		for _, o := range []identity.Org{a, b} {
			if err := tx.CreateOrg(ctx, o); err != nil {
				return err
			}
		}
		return tx.CreateCommunity(ctx, c)
	})
	got, err := db.CommunityBySlug(ctx, "electricity")
	if err != nil || len(got.Members) != 1 || got.Members[0] != a.ID {
		t.Fatalf("community: %+v %v", got, err)
	}
	c.Members = []string{a.ID, b.ID}
	tx(t, db, func(tx identity.Tx) error { return tx.UpdateCommunity(ctx, c) })
	list, err := db.ListCommunities(ctx)
	if err != nil || len(list) != 1 || len(list[0].Members) != 2 {
		t.Fatalf("list: %+v %v", list, err)
	}
	ids, err := db.CommunitiesOf(ctx, b.ID)
	if err != nil || len(ids) != 1 || ids[0] != c.ID {
		t.Fatalf("communities of: %v %v", ids, err)
	}
	bad := c
	bad.Members = []string{"no-such-org"}
	err = db.Transact(ctx, func(tx identity.Tx) error { return tx.UpdateCommunity(ctx, bad) })
	mustCode(t, err, errs.Invalid)
	if got, _ := db.Community(ctx, c.ID); len(got.Members) != 2 {
		t.Fatalf("failed update changed members: %v", got.Members)
	}
}

func user(o identity.Org, name string, role policy.Role) identity.User {
	return identity.User{ID: "00000000-0000-7000-8000-" + pad("u"+name), Username: name, DisplayName: name, OrgID: o.ID,
		Role: role, Locale: "ja", PasswordHash: "$argon2id$x", CreatedAt: t0, UpdatedAt: t0}
}

func testUsers(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := org("alpha", "Alpha")
	u := user(a, "alice", policy.OrgAdmin)
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.CreateOrg(ctx, a); err != nil {
			return err
		}
		return tx.CreateUser(ctx, u)
	})
	dup := user(a, "alice", policy.Analyst)
	dup.ID = "00000000-0000-7000-8000-00000000dddd"
	mustCode(t, db.Transact(ctx, func(tx identity.Tx) error { return tx.CreateUser(ctx, dup) }), errs.Conflict)
	noOrg := user(identity.Org{ID: "missing"}, "bob", policy.Analyst)
	mustCode(t, db.Transact(ctx, func(tx identity.Tx) error { return tx.CreateUser(ctx, noOrg) }), errs.Invalid)

	if got, err := db.User(ctx, u.ID); err != nil || got.Compartments == nil || len(got.Compartments) != 0 {
		t.Fatalf("new user's compartments: %#v, %v; want an empty list", got.Compartments, err)
	}

	u.Role, u.Disabled, u.Email = policy.Analyst, true, "a@alpha.example.jp"
	u.Compartments = []string{"k-defence", "k-energy"}
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, u.ID, "$argon2id$y", t0); err != nil {
			return err
		}
		return tx.TouchLogin(ctx, u.ID, t0.Add(time.Hour))
	})
	got, err := db.UserByUsername(ctx, "ALICE")
	if err != nil || got.Role != policy.Analyst || !got.Disabled || got.PasswordHash != "$argon2id$y" ||
		got.LastLoginAt == nil || !got.LastLoginAt.Equal(t0.Add(time.Hour)) || !slices.Equal(got.Compartments, u.Compartments) {
		t.Fatalf("user: %+v %v", got, err)
	}
	if n, err := db.CountUsers(ctx, "", string(policy.Analyst)); err != nil || n != 0 {
		t.Fatalf("count of enabled analysts = %d, %v; want 0 (disabled)", n, err)
	}
	list, err := db.ListUsers(ctx, identity.UserFilter{OrgID: a.ID, Query: "ALI"})
	if err != nil || len(list) != 1 || !slices.Equal(list[0].Compartments, u.Compartments) {
		t.Fatalf("list users: %v %v", list, err)
	}
	// Created with compartments; emptied again.
	c := user(a, "carol", policy.Analyst)
	c.Compartments = []string{"k-defence"}
	tx(t, db, func(tx identity.Tx) error { return tx.CreateUser(ctx, c) })
	if got, err := db.UserByUsername(ctx, "carol"); err != nil || !slices.Equal(got.Compartments, c.Compartments) {
		t.Fatalf("created with compartments: %+v %v", got, err)
	}
	u.Compartments = nil
	tx(t, db, func(tx identity.Tx) error { return tx.UpdateUser(ctx, u) })
	if got, err := db.User(ctx, u.ID); err != nil || got.Compartments == nil || len(got.Compartments) != 0 {
		t.Fatalf("emptied compartments: %#v, %v", got.Compartments, err)
	}
}

func testTokens(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := org("alpha", "Alpha")
	u := user(a, "alice", policy.Analyst)
	exp := t0.Add(24 * time.Hour)
	tok := identity.Token{ID: "00000000-0000-7000-8000-0000000000t1", UserID: u.ID, Name: "siem", Hint: "kyojo_abcd",
		Hash: identity.HashSecret("kyojo_secret"), Scope: policy.ScopeRead, CreatedAt: t0, ExpiresAt: &exp}
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.CreateOrg(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.CreateToken(ctx, tok)
	})
	got, err := db.TokenByHash(ctx, tok.Hash)
	if err != nil || got.ID != tok.ID || got.Scope != policy.ScopeRead || got.ExpiresAt == nil || !got.ExpiresAt.Equal(exp) || got.RevokedAt != nil {
		t.Fatalf("token: %+v %v", got, err)
	}
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.TouchToken(ctx, tok.ID, t0.Add(time.Minute)); err != nil {
			return err
		}
		return tx.RevokeToken(ctx, tok.ID, t0.Add(2*time.Minute))
	})
	mustCode(t, db.Transact(ctx, func(tx identity.Tx) error { return tx.RevokeToken(ctx, tok.ID, t0) }), errs.NotFound)
	list, err := db.ListTokens(ctx, u.ID)
	if err != nil || len(list) != 1 || list[0].RevokedAt == nil || list[0].LastUsedAt == nil {
		t.Fatalf("list tokens: %+v %v", list, err)
	}
}

func testSessions(t *testing.T, db *store.DB) {
	ctx := t.Context()
	a := org("alpha", "Alpha")
	u := user(a, "alice", policy.Analyst)
	s := identity.Session{ID: identity.HashSecret("cookie"), UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour),
		LastSeenAt: t0, Remote: "192.0.2.1", UserAgent: "test"}
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.CreateOrg(ctx, a); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		if err := tx.CreateCSRF(ctx, "h1", s.ID, t0.Add(time.Hour)); err != nil {
			return err
		}
		return tx.CreateCSRF(ctx, "h2", s.ID, t0.Add(time.Hour))
	})
	if got, err := db.Session(ctx, s.ID); err != nil || got.UserID != u.ID || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Fatalf("session: %+v %v", got, err)
	}
	consume := func(hash, binding string, now time.Time) bool {
		var ok bool
		tx(t, db, func(tx identity.Tx) error {
			var err error
			ok, err = tx.ConsumeCSRF(ctx, hash, binding, now)
			return err
		})
		return ok
	}
	if !consume("h1", s.ID, t0) {
		t.Fatal("first use of a CSRF token refused")
	}
	if consume("h1", s.ID, t0) {
		t.Fatal("second use of a CSRF token accepted")
	}
	if consume("h2", "other-session", t0) {
		t.Fatal("CSRF token accepted for another session")
	}
	if consume("h2", s.ID, t0) {
		t.Fatal("CSRF token presented with a wrong binding must be spent")
	}
	tx(t, db, func(tx identity.Tx) error { return tx.PurgeExpired(ctx, t0.Add(3*time.Hour)) })
	mustCode(t, func() error { _, err := db.Session(ctx, s.ID); return err }(), errs.NotFound)
}

func testAudit(t *testing.T, db *store.DB) {
	ctx := t.Context()
	var seqs []int64
	tx(t, db, func(tx identity.Tx) error {
		for i, act := range []string{"org.create", "org.update", "user.create", "auth.login"} {
			r := &audit.Record{Time: t0.Add(time.Duration(i) * time.Minute), ActorID: "u1", ActorName: "alice", ActorOrgID: "o1",
				Action: act, ObjectType: "x", ObjectID: "id" + act, ObjectOrg: "o2", Outcome: audit.Success,
				Remote: "198.51.100.7", Via: "api", RequestID: "r1", Detail: json.RawMessage(`{"k": "値"}`)}
			if i == 3 {
				r.Outcome, r.ActorOrgID, r.ObjectOrg, r.Detail = audit.Denied, "o3", "o3", nil
			}
			if err := tx.AppendAudit(ctx, r); err != nil {
				return err
			}
			seqs = append(seqs, r.Seq)
		}
		return nil
	})
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("sequence not increasing: %v", seqs)
		}
	}
	for _, c := range []struct {
		name string
		f    audit.Filter
		want int
	}{
		{"all", audit.Filter{}, 4},
		{"org prefix", audit.Filter{Action: "org."}, 2},
		{"exact", audit.Filter{Action: "org"}, 0},
		{"org either side", audit.Filter{OrgID: "o2"}, 3},
		{"org o3", audit.Filter{OrgID: "o3"}, 1},
		{"denied", audit.Filter{Outcome: audit.Denied}, 1},
		{"since", audit.Filter{Since: t0.Add(2 * time.Minute)}, 2},
		{"until", audit.Filter{Until: t0.Add(time.Minute)}, 1},
		{"paging", audit.Filter{BeforeSeq: seqs[2], Limit: 1}, 1},
		{"object", audit.Filter{ObjectID: "iduser.create"}, 1},
	} {
		recs, err := db.ListAudit(ctx, c.f)
		if err != nil || len(recs) != c.want {
			t.Errorf("%s: %d records, %v; want %d", c.name, len(recs), err, c.want)
		}
	}
	recs, _ := db.ListAudit(ctx, audit.Filter{Limit: 1})
	if recs[0].Seq != seqs[3] {
		t.Errorf("newest first: got seq %d want %d", recs[0].Seq, seqs[3])
	}
	recs, _ = db.ListAudit(ctx, audit.Filter{Action: "org.create"})
	r := recs[0]
	if !r.Time.Equal(t0) || r.Remote != "198.51.100.7" || string(r.Leaf()) == "" {
		t.Errorf("round trip: %+v", r)
	}
	var d map[string]string
	if err := json.Unmarshal(r.Detail, &d); err != nil || d["k"] != "値" {
		t.Errorf("detail: %s %v", r.Detail, err)
	}
	if err := (&storeOps{db}).appendOutside(ctx); err == nil {
		t.Error("append outside a transaction succeeded")
	}
}

type storeOps struct{ db *store.DB }

func (s *storeOps) appendOutside(ctx context.Context) error {
	return s.db.AppendAudit(ctx, &audit.Record{Time: t0, Action: "x"})
}

func testRollback(t *testing.T, db *store.DB) {
	ctx := t.Context()
	boom := errors.New("boom")
	err := db.Transact(ctx, func(tx identity.Tx) error {
		if err := tx.CreateOrg(ctx, org("alpha", "Alpha")); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &audit.Record{Time: t0, Action: "org.create", Outcome: audit.Success}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Transact returned %v, want the callback's error", err)
	}
	if list, _ := db.ListOrgs(ctx, identity.OrgFilter{}); len(list) != 0 {
		t.Fatal("rolled-back organisation is visible")
	}
	if recs, _ := db.ListAudit(ctx, audit.Filter{}); len(recs) != 0 {
		t.Fatal("rolled-back audit record is visible")
	}
}

func testConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	const n = 16
	var wg sync.WaitGroup
	errc := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := org("c"+string(rune('a'+i)), "Concurrent "+string(rune('A'+i)))
			errc <- db.Transact(ctx, func(tx identity.Tx) error {
				if err := tx.CreateOrg(ctx, o); err != nil {
					return err
				}
				return tx.AppendAudit(ctx, &audit.Record{Time: t0, Action: "org.create", ObjectID: o.ID, Outcome: audit.Success})
			})
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
	recs, err := db.ListAudit(ctx, audit.Filter{})
	if err != nil || len(recs) != n {
		t.Fatalf("audit records %d, %v", len(recs), err)
	}
	seen := map[int64]bool{}
	for _, r := range recs {
		if seen[r.Seq] {
			t.Fatalf("duplicate seq %d", r.Seq)
		}
		seen[r.Seq] = true
	}
}

func testNotFound(t *testing.T, db *store.DB) {
	ctx := t.Context()
	for name, f := range map[string]func() error{
		"org":       func() error { _, err := db.Org(ctx, "nope"); return err },
		"slug":      func() error { _, err := db.OrgBySlug(ctx, "nope"); return err },
		"community": func() error { _, err := db.Community(ctx, "nope"); return err },
		"user":      func() error { _, err := db.User(ctx, "nope"); return err },
		"username":  func() error { _, err := db.UserByUsername(ctx, "nope"); return err },
		"token":     func() error { _, err := db.TokenByHash(ctx, "nope"); return err },
		"session":   func() error { _, err := db.Session(ctx, "nope"); return err },
		"update": func() error {
			return db.Transact(ctx, func(tx identity.Tx) error { return tx.UpdateOrg(ctx, org("x", "X")) })
		},
	} {
		if err := f(); !errs.Is(err, errs.NotFound) {
			t.Errorf("%s: got %v, want not_found", name, err)
		}
	}
}
