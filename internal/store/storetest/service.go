package storetest

import (
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
	}
	for _, want := range []string{"org.create/success", "user.create/success", "auth.login/success", "auth.login/failure",
		"org.update/denied", "org.update/success", "user.create/denied", "user.list/denied", "token.create/success",
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
