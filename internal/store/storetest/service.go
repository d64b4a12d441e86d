package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// testService runs identity.Service's use cases end to end on the store:
// the rules hold, refusals change nothing, and everything is audited.
func testService(t *testing.T, db *store.DB) {
	ctx := t.Context()
	now := t0
	svc := identity.NewService(db, func() time.Time { return now })
	sys := identity.System("cli")
	ncc, err := svc.CreateOrg(ctx, sys, identity.Org{Slug: "ncc", Name: "NCC", Kind: identity.KindGovernment})
	if err != nil {
		t.Fatal(err)
	}
	isp, err := svc.CreateOrg(ctx, sys, identity.Org{Slug: "isp", Name: "ISP", Kind: identity.KindISP})
	if err != nil {
		t.Fatal(err)
	}
	const pw = "a long enough password"
	admin, err := svc.CreateUser(ctx, sys, identity.NewUser{Username: "admin", Org: "ncc", Role: policy.HubAdmin, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	ispAdmin, err := svc.CreateUser(ctx, sys, identity.NewUser{Username: "ia", Org: "isp", Role: policy.OrgAdmin, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	web := identity.Actor{Remote: "203.0.113.5", Via: "web"}

	// Sign-in: right and wrong passwords, then the session authenticates.
	if _, _, err := svc.Login(ctx, web, "admin", "wrong password!", "ua"); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("wrong password: %v", err)
	}
	secret, _, err := svc.Login(ctx, web, "ADMIN", pw, "ua")
	if err != nil {
		t.Fatal(err)
	}
	a, _, err := svc.AuthenticateSession(ctx, secret, web)
	if err != nil || a.UserID != admin.ID || a.Role != policy.HubAdmin {
		t.Fatalf("session: %+v %v", a, err)
	}
	now = now.Add(identity.SessionIdle + time.Minute)
	if _, _, err := svc.AuthenticateSession(ctx, secret, web); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("idle session still valid: %v", err)
	}

	// An org admin cannot touch another organisation; nothing changes.
	ia := identity.ActorFor(ispAdmin, policy.ScopeWrite, web)
	desc := "changed"
	if _, err := svc.UpdateOrg(ctx, ia, "ncc", identity.OrgPatch{Description: &desc}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("cross-org update: %v", err)
	}
	if o, _ := db.Org(ctx, ncc.ID); o.Description != "" {
		t.Fatal("refused update changed the organisation")
	}
	if _, err := svc.UpdateOrg(ctx, ia, "isp", identity.OrgPatch{Description: &desc}); err != nil {
		t.Fatalf("own profile: %v", err)
	}
	tier := identity.Tier1
	if _, err := svc.UpdateOrg(ctx, ia, "isp", identity.OrgPatch{Tier: &tier}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("org admin changed own tier: %v", err)
	}
	if _, err := svc.CreateUser(ctx, ia, identity.NewUser{Username: "x", Org: "ncc", Password: pw}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("cross-org user: %v", err)
	}
	if _, err := svc.CreateUser(ctx, ia, identity.NewUser{Username: "x", Org: "isp", Role: policy.HubAdmin, Password: pw}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("granted hub admin: %v", err)
	}
	if _, err := db.UserByUsername(ctx, "x"); !errs.Is(err, errs.NotFound) {
		t.Fatal("refused user was stored")
	}
	if _, err := svc.ListUsers(ctx, ia, identity.UserFilter{OrgID: "ncc"}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("cross-org list: %v", err)
	}

	// Tokens: created once, read scope cannot write, revoked and expired refused.
	hub := identity.ActorFor(admin, policy.ScopeWrite, web)
	_, readSecret, err := svc.CreateToken(ctx, hub, "", identity.NewToken{Name: "ro", Scope: policy.ScopeRead, ExpiresIn: 2 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ra, _, err := svc.AuthenticateToken(ctx, readSecret, web)
	if err != nil || ra.Scope != policy.ScopeRead {
		t.Fatalf("token auth: %+v %v", ra, err)
	}
	// The token's last use is written in the background, once.
	svc.WaitTouches()
	toks, err := db.ListTokens(ctx, admin.ID)
	if err != nil || !slices.ContainsFunc(toks, func(k identity.Token) bool { return k.Name == "ro" && k.LastUsedAt != nil }) {
		t.Fatalf("token's last use not recorded: %+v %v", toks, err)
	}
	if _, err := svc.CreateOrg(ctx, ra, identity.Org{Slug: "y", Name: "Y", Kind: identity.KindSME}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("read-only token wrote: %v", err)
	}
	now = now.Add(3 * time.Hour)
	if _, _, err := svc.AuthenticateToken(ctx, readSecret, web); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("expired token: %v", err)
	}
	tok, wSecret, err := svc.CreateToken(ctx, hub, "", identity.NewToken{Name: "rw", Scope: policy.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.RevokeToken(ctx, ia, tok.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("someone else's token revoked: %v", err)
	}
	if err := svc.RevokeToken(ctx, hub, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.AuthenticateToken(ctx, wSecret, web); !errs.Is(err, errs.Unauthenticated) {
		t.Fatalf("revoked token: %v", err)
	}

	// Compartments: only a hub administrator gives or takes them; a refusal
	// changes nothing; handles are normalised and checked.
	comps := []string{"k-defence"}
	if _, err := svc.UpdateUser(ctx, ia, "ia", identity.UserPatch{Compartments: &comps}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("org admin granted themselves a compartment: %v", err)
	}
	if _, err := svc.CreateUser(ctx, ia, identity.NewUser{Username: "y", Org: "isp", Password: pw, Compartments: comps}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("org admin created a person with a compartment: %v", err)
	}
	if u, _ := db.User(ctx, ispAdmin.ID); len(u.Compartments) != 0 {
		t.Fatalf("refused grant stored: %v", u.Compartments)
	}
	messy := []string{" K-Energy", "k-defence", "k-defence"}
	got, err := svc.UpdateUser(ctx, hub, "ia", identity.UserPatch{Compartments: &messy})
	if want := []string{"k-defence", "k-energy"}; err != nil || !slices.Equal(got.Compartments, want) {
		t.Fatalf("hub grant: %v, %v; want %v", got.Compartments, err, want)
	}
	if u, _ := db.User(ctx, ispAdmin.ID); !slices.Equal(u.Compartments, got.Compartments) {
		t.Fatalf("stored %v, answered %v", u.Compartments, got.Compartments)
	}
	same := []string{"k-energy", "k-defence"}
	name := "ISP admin"
	if _, err := svc.UpdateUser(ctx, ia, "ia", identity.UserPatch{DisplayName: &name, Compartments: &same}); err != nil {
		t.Fatalf("repeating one's compartments unchanged: %v", err)
	}
	bad := []string{"K Defence!"}
	_, err = svc.UpdateUser(ctx, hub, "ia", identity.UserPatch{Compartments: &bad})
	if f := errs.Fields(err); !errs.Is(err, errs.Invalid) || len(f) != 1 || f[0].Field != "compartments" {
		t.Fatalf("bad handle: %v", err)
	}
	spy, err := svc.CreateUser(ctx, hub, identity.NewUser{Username: "spy", Org: "ncc", Password: pw, Compartments: []string{"k-defence"}})
	if err != nil || !slices.Equal(spy.Compartments, []string{"k-defence"}) {
		t.Fatalf("hub created a person with a compartment: %+v %v", spy, err)
	}
	none := []string{}
	if got, err := svc.UpdateUser(ctx, hub, "ia", identity.UserPatch{Compartments: &none}); err != nil || got.Compartments == nil || len(got.Compartments) != 0 {
		t.Fatalf("hub removed compartments: %#v %v", got.Compartments, err)
	}

	// The last hub administrator stays.
	role := policy.Analyst
	if _, err := svc.UpdateUser(ctx, hub, "admin", identity.UserPatch{Role: &role}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("demoted the last hub admin: %v", err)
	}

	// The trail has the changes, the refusals and the failed sign-in.
	recs, err := svc.ListAudit(ctx, hub, audit.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, r := range recs {
		count[r.Action+"/"+string(r.Outcome)]++
		if r.Action == "user.update" && r.Outcome == audit.Success && strings.Contains(string(r.Detail), `"compartments":["k-defence","k-energy"]`) {
			count["user.update/compartments"]++
		}
	}
	for _, want := range []string{"org.create/success", "user.create/success", "auth.login/success", "auth.login/failure",
		"org.update/denied", "org.update/success", "user.create/denied", "user.list/denied", "token.create/success",
		"user.update/denied", "user.update/success", "user.update/compartments",
		"token.revoke/success", "token.revoke/failure", "org.create/denied"} {
		if count[want] == 0 {
			t.Errorf("audit trail lacks %s (have %v)", want, count)
		}
	}
	// An org admin sees only records about their organisation.
	recs, err = svc.ListAudit(ctx, ia, audit.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.ActorOrgID != isp.ID && r.ObjectOrg != isp.ID {
			t.Fatalf("org admin saw a record of another organisation: %+v", r)
		}
	}
	if _, err := svc.ListAudit(ctx, ia, audit.Filter{OrgID: ncc.ID}); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("org admin read another org's trail: %v", err)
	}
}
