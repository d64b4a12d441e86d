package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func TestCrossOrganisation(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	alice := signIn(t, h, "alice")

	status, body, _ := alice.get("/orgs/isp-a/edit")
	wantStatus(t, "alice opens isp-a's edit form", status, http.StatusForbidden, body)
	status, body, _ = alice.post("/orgs/isp-a/edit", url.Values{"csrf": {alice.tok()}, "description": {"pwned"}})
	wantStatus(t, "alice edits isp-a", status, http.StatusForbidden, body)
	if o, _ := h.Svc.Org(t.Context(), h.Actor("admin"), "isp-a"); o.Description != "" {
		t.Fatalf("isp-a changed: %q", o.Description)
	}

	newUser := func(org, role, name string) url.Values {
		return url.Values{"csrf": {alice.tok()}, "username": {name}, "org": {org}, "role": {role},
			"locale": {"ja"}, "password": {"a long enough password"}}
	}
	status, body, _ = alice.post("/users/new", newUser("isp-a", "analyst", "mallory"))
	wantStatus(t, "alice adds to isp-a", status, http.StatusForbidden, body)
	status, body, _ = alice.post("/users/new", newUser("mof", "hub_admin", "mallory2"))
	wantStatus(t, "alice grants hub_admin", status, http.StatusForbidden, body)
	for _, n := range []string{"mallory", "mallory2"} {
		if _, err := h.Svc.User(t.Context(), h.Actor("admin"), n); err == nil {
			t.Errorf("user %s was created", n)
		}
	}
	_, body, _ = alice.get("/users/new")
	if strings.Contains(body, `value="hub_admin"`) || strings.Contains(body, h.Orgs["isp-a"].ID) {
		t.Error("alice is offered hub_admin or isp-a")
	}
	// Within her own organisation she may.
	status, body, _ = alice.post("/users/new", newUser("mof", "analyst", "dave"))
	wantStatus(t, "alice adds dave", status, http.StatusSeeOther, body)
	// A short password comes back next to the field, with the other values kept.
	f := newUser("mof", "analyst", "erin")
	f.Set("password", "short")
	status, body, _ = alice.post("/users/new", f)
	wantStatus(t, "short password", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "short password", body, `id="e-password"`, `value="erin"`, "12文字以上")

	bob := signIn(t, h, "bob")
	status, body, _ = bob.get("/audit")
	wantStatus(t, "bob reads audit", status, http.StatusForbidden, body)
	if strings.Contains(body, `href="/audit"`) {
		t.Error("bob is shown a link to the audit trail")
	}

	carol := signIn(t, h, "carol")
	status, body, _ = carol.get("/users?org=mof")
	wantStatus(t, "carol lists mof", status, http.StatusForbidden, body)
	_, body, _ = carol.get("/users")
	if strings.Contains(body, "alice") || !strings.Contains(body, "carol") {
		t.Error("carol's people page shows the wrong organisation")
	}
	status, _, _ = carol.get("/users/alice/edit")
	wantStatus(t, "carol opens alice", status, http.StatusNotFound, "")
	status, _, _ = carol.get("/orgs/no-such-org")
	wantStatus(t, "unknown org", status, http.StatusNotFound, "")
}

// TestPagesRender visits every page as the hub admin and as an org admin.
func TestPagesRender(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	admin := signIn(t, h, "admin")
	pages := []string{"/", "/orgs", "/orgs/mof", "/orgs/new", "/orgs/mof/edit", "/communities", "/communities/new",
		"/users", "/users?org=mof", "/users/new?org=isp-a", "/users/bob/edit", "/account", "/tokens",
		"/audit", "/audit?action=org.&outcome=success&since=2020-01-01&until=2099-12-31"}
	for _, p := range pages {
		status, body, _ := admin.get(p)
		wantStatus(t, "admin GET "+p, status, http.StatusOK, body)
	}
	status, body, _ := admin.get("/audit?since=yesterday")
	wantStatus(t, "bad date", status, http.StatusUnprocessableEntity, body)
	status, _, _ = admin.get("/no/such/page")
	wantStatus(t, "unknown page", status, http.StatusNotFound, "")

	alice := signIn(t, h, "alice")
	for _, p := range []string{"/", "/users", "/users/new", "/users/bob/edit", "/audit", "/account"} {
		status, body, _ := alice.get(p)
		wantStatus(t, "alice GET "+p, status, http.StatusOK, body)
	}
	_, body, _ = alice.get("/audit")
	wantContains(t, "alice's audit", body, "auth.login")

	// The evidence, retention and ledger pages, in both languages.
	h.Anchor(t)
	officer := signIn(t, h, "officer")
	_, _, resp := officer.post("/evidence/new", requestForm(officer.token("/evidence/new", "/evidence/new")))
	req := resp.Header.Get("Location")
	recs, err := h.Svc.ListAudit(t.Context(), h.Actor("admin"), audit.Filter{Limit: 1})
	if err != nil || len(recs) == 0 {
		t.Fatalf("audit: %v", err)
	}
	proof := fmt.Sprintf("/audit/%d/proof", recs[0].Seq)
	// Intelligence pages: an object with a reference and a related object.
	obj := "/intel/indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a01"
	put(t, h, "admin", indicator("indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a01", "Botnet C2", `[ipv4-addr:value = '203.0.113.5']`),
		intel.Sharing{TLP: policy.Clear})
	put(t, h, "officer", indicator("indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a02", "Scanner", `[ipv4-addr:value = '203.0.113.5']`),
		intel.Sharing{TLP: policy.Green})
	put(t, h, "officer", `{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",`+
		`"created":"2026-04-01T00:00:00.000Z","modified":"2026-04-01T00:00:00.000Z","relationship_type":"related-to",`+
		`"source_ref":"indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a02","target_ref":"indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a01"}`,
		intel.Sharing{TLP: policy.AmberStrict})
	intelPages := []string{"/intel", "/intel?type=indicator&tlp=clear", "/intel/new", "/intel/import", "/intel/export", "/search", "/search?value=203.0.113.0%2F24",
		"/search?value=nothing.example", obj, "/intel/relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad"}
	missing := regexp.MustCompile(`\[[a-z_]+\.[a-z0-9_.]+\]`)
	for _, lang := range []string{"ja", "en"} {
		for who, paths := range map[*client][]string{
			admin:   append([]string{"/", "/evidence", req, "/retention", "/ledger", proof, "/audit"}, intelPages[:9]...),
			officer: append([]string{"/", "/evidence", "/evidence/new", req, "/ledger"}, intelPages...),
		} {
			status, body, _ := who.post("/lang", url.Values{"csrf": {who.token("/", "/lang")}, "lang": {lang}, "next": {"/"}})
			wantStatus(t, "switch to "+lang, status, http.StatusSeeOther, body)
			for _, p := range paths {
				status, body, _ := who.get(p)
				wantStatus(t, lang+" GET "+p, status, http.StatusOK, body)
				wantContains(t, lang+" GET "+p, body, `<html lang="`+lang+`">`)
				if m := missing.FindString(body); m != "" {
					t.Errorf("%s GET %s: untranslated key %s", lang, p, m)
				}
				wantContains(t, lang+" GET "+p, body, `id="top-search"`)
			}
		}
	}

	status, body, resp = admin.get("/static/kyojo.css")
	wantStatus(t, "css", status, http.StatusOK, body)
	if !strings.Contains(resp.Header.Get("Cache-Control"), "max-age") {
		t.Errorf("static cache header: %q", resp.Header.Get("Cache-Control"))
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "carol")
	status, body, _ := c.post("/tokens", url.Values{"csrf": {c.tok()}, "name": {"misp sync"}, "scope": {"read"}, "days": {"30"}})
	wantStatus(t, "create token", status, http.StatusCreated, body)
	wantContains(t, "create token", body, `id="token-secret"`, "kyojo_", "data-copy")
	_, list, _ := c.get("/tokens")
	if strings.Contains(list, `value="kyojo_`) {
		t.Fatal("the token list shows a secret")
	}
	wantContains(t, "list", list, "misp sync")
	status, body, _ = c.post("/tokens", url.Values{"csrf": {c.tok()}, "name": {"x"}, "scope": {"read"}, "days": {"9999"}})
	wantStatus(t, "too long", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "too long", body, `id="e-expires_in"`)

	ts, err := h.Svc.ListTokens(t.Context(), h.Actor("carol"), "")
	if err != nil {
		t.Fatal(err)
	}
	var id string
	for _, tk := range ts {
		if tk.Name == "misp sync" {
			id = tk.ID
		}
	}
	status, body, _ = c.post("/tokens/"+id+"/revoke", url.Values{"csrf": {c.tok()}})
	wantStatus(t, "revoke", status, http.StatusSeeOther, body)
	// Someone else's token is not found.
	other, _ := h.Svc.ListTokens(t.Context(), h.Actor("bob"), "")
	status, _, _ = c.post("/tokens/"+other[0].ID+"/revoke", url.Values{"csrf": {c.tok()}})
	wantStatus(t, "revoke bob's", status, http.StatusNotFound, "")
}

func TestAccountPassword(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "carol")
	status, body, _ := c.post("/account/password", url.Values{"csrf": {c.tok()}, "current_password": {"wrong"},
		"password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
	wantStatus(t, "wrong current", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "wrong current", body, `id="e-current_password"`)
	status, body, _ = c.post("/account/password", url.Values{"csrf": {c.tok()}, "current_password": {hubtest.Password},
		"password": {"a brand new password"}, "password_confirm": {"a brand new password"}})
	wantStatus(t, "change", status, http.StatusSeeOther, body)
	status, body, _ = c.get("/account?done=password")
	wantStatus(t, "still signed in", status, http.StatusOK, body)
	status, body, _ = c.post("/account", url.Values{"csrf": {c.tok()}, "display_name": {"Carol"}, "email": {"bad"}, "locale": {"en"}})
	wantStatus(t, "bad email", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad email", body, `id="e-email"`, `value="Carol"`)
}
