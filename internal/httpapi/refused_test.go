package httpapi_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// snapshot reads, as the hub admin, everything a refused write could have
// touched: the directory, the people and the communities.
func snapshot(t *testing.T, h *hubtest.Hub) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, path := range []string{"/organizations", "/users", "/communities"} {
		b.Write(ok(t, h, req{as: h.Tokens["admin"], method: "GET", path: path}, 200, nil).body)
	}
	return b.Bytes()
}

// TestRefused sends bad or forbidden requests and checks each answer's
// status, problem code and named field, that nothing changed, and (for
// policy refusals) that the audit trail recorded the denied attempt.
func TestRefused(t *testing.T) {
	h := hubtest.New(t)
	admin, alice, bob, carol := h.Tokens["admin"], h.Tokens["alice"], h.Tokens["bob"], h.Tokens["carol"]
	var rt struct{ Secret string }
	ok(t, h, req{as: bob, method: "POST", path: "/tokens", body: `{"name":"ro","scope":"read"}`}, 201, &rt)
	bobRead := rt.Secret
	var revoked struct{ ID, Secret string }
	ok(t, h, req{as: carol, method: "POST", path: "/tokens", body: `{"name":"gone"}`}, 201, &revoked)
	ok(t, h, req{as: carol, method: "DELETE", path: "/tokens/" + revoked.ID}, 204, nil)
	expired := expiredToken(t, h, "carol")
	by := map[string]string{bobRead: "bob"} // token → username, for the audit check
	for name, tok := range h.Tokens {
		by[tok] = name
	}

	big := `{"slug":"big","name":"Big","kind":"isp","description":"` + strings.Repeat("a", 1<<20) + `"}`
	newOrg := func(extra string) string { return `{"slug":"new-org","name":"New Org","kind":"isp"` + extra + `}` }
	tests := []struct {
		name   string
		q      req
		status int
		code   string
		field  string // named in detail or errors; "" for none
		detail string // substring of the detail; "" for any
		denied string // the action audited with outcome denied; "" when none is
	}{
		{"body over 1 MiB", req{as: admin, method: "POST", path: "/organizations", body: big}, 413, "too_large", "", "", ""},
		{"malformed JSON", req{as: admin, method: "POST", path: "/organizations", body: `{"slug":"x",`}, 400, "malformed", "", "", ""},
		{"not JSON at all", req{as: admin, method: "POST", path: "/organizations", body: `slug=x`}, 400, "malformed", "", "", ""},
		{"trailing data", req{as: admin, method: "POST", path: "/organizations", body: newOrg("") + `{}`}, 400, "malformed", "", "", ""},
		{"unknown field", req{as: admin, method: "POST", path: "/organizations", body: newOrg(`,"colour":"red"`)}, 400, "malformed", "colour", "", ""},
		{"unknown field in a patch", req{as: alice, method: "PATCH", path: "/organizations/mof", body: `{"id":"x"}`}, 400, "malformed", "id", "", ""},
		{"wrong type", req{as: admin, method: "POST", path: "/organizations", body: newOrg(`,"tier":"high"`)}, 400, "malformed", "tier", "", ""},
		{"wrong type in a patch", req{as: alice, method: "PATCH", path: "/users/bob", body: `{"disabled":"yes"}`}, 400, "malformed", "disabled", "", ""},
		{"wrong Content-Type", req{as: admin, method: "POST", path: "/organizations", body: newOrg(""), ctype: "text/plain"}, 415, "unsupported", "", "", ""},
		{"no Content-Type", req{as: admin, method: "PATCH", path: "/organizations/mof", body: `{}`, ctype: "application/x-www-form-urlencoded"}, 415, "unsupported", "", "", ""},
		{"invalid e-mail of a contact", req{as: alice, method: "PATCH", path: "/organizations/mof",
			body: `{"contacts":[{"name":"Duty","email":"duty at mof"}]}`}, 422, "invalid", "contacts[0].email", "", ""},
		{"invalid phone of a contact", req{as: alice, method: "PATCH", path: "/organizations/mof",
			body: `{"contacts":[{"name":"Duty","phone":"03-1234"}]}`}, 422, "invalid", "contacts[0].phone", "", ""},
		{"invalid kind", req{as: admin, method: "POST", path: "/organizations", body: `{"slug":"x","name":"X","kind":"pirate"}`}, 422, "invalid", "kind", "", ""},
		{"duplicate organisation name", req{as: admin, method: "POST", path: "/organizations",
			body: `{"slug":"mof2","name":"ministry of  FINANCE","kind":"government"}`}, 409, "conflict", "name", "", ""},
		{"duplicate slug", req{as: admin, method: "POST", path: "/organizations", body: `{"slug":"mof","name":"Other","kind":"government"}`}, 409, "conflict", "slug", "", ""},
		{"duplicate username", req{as: admin, method: "POST", path: "/users",
			body: `{"username":"Bob","org":"ncc","password":"a long enough password"}`}, 409, "conflict", "username", "", ""},
		{"org admin patches another organisation", req{as: alice, method: "PATCH", path: "/organizations/isp-a",
			body: `{"description":"owned"}`}, 403, "forbidden", "", "", "org.update"},
		{"org admin renames own organisation", req{as: alice, method: "PATCH", path: "/organizations/mof",
			body: `{"name":"Ministry of Fun"}`}, 403, "forbidden", "", "", "org.update"},
		{"org admin adds a person elsewhere", req{as: alice, method: "POST", path: "/users",
			body: `{"username":"mole","org":"isp-a","password":"a long enough password"}`}, 403, "forbidden", "", "", "user.create"},
		{"org admin grants hub_admin", req{as: alice, method: "POST", path: "/users",
			body: `{"username":"boss","org":"mof","role":"hub_admin","password":"a long enough password"}`}, 403, "forbidden", "", "", "user.create"},
		{"org admin promotes to hub_admin", req{as: alice, method: "PATCH", path: "/users/bob", body: `{"role":"hub_admin"}`}, 403, "forbidden", "", "", "user.update"},
		{"analyst changes own role", req{as: bob, method: "PATCH", path: "/users/bob", body: `{"role":"org_admin"}`}, 403, "forbidden", "", "", "user.update"},
		{"analyst reads the audit trail", req{as: bob, method: "GET", path: "/audit"}, 403, "forbidden", "", "", "audit.read"},
		{"org admin reads another's audit", req{as: alice, method: "GET", path: "/audit?org=isp-a"}, 403, "forbidden", "", "", "audit.read"},
		{"analyst lists another organisation's people", req{as: carol, method: "GET", path: "/users?org=mof"}, 403, "forbidden", "", "", "user.list"},
		{"analyst creates an organisation", req{as: carol, method: "POST", path: "/organizations", body: newOrg("")}, 403, "forbidden", "", "", "org.create"},
		{"read-scope token writes", req{as: bobRead, method: "POST", path: "/tokens", body: `{"name":"more"}`}, 403, "forbidden", "", "read-only", "token.create"},
		{"read-scope token edits own profile", req{as: bobRead, method: "PATCH", path: "/users/bob", body: `{"display_name":"x"}`}, 403, "forbidden", "", "read-only", "user.update"},
		{"revoked token", req{as: revoked.Secret, method: "PATCH", path: "/users/carol", body: `{"display_name":"x"}`}, 401, "unauthenticated", "", "revoked", ""},
		{"expired token", req{as: expired, method: "PATCH", path: "/users/carol", body: `{"display_name":"x"}`}, 401, "unauthenticated", "", "expired", ""},
		{"anonymous write", req{method: "POST", path: "/organizations", body: newOrg("")}, 401, "unauthenticated", "", "", ""},
		{"bad audit filter", req{as: admin, method: "GET", path: "/audit?since=yesterday&limit=0"}, 400, "malformed", "since", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, h)
			var seq int64
			if tc.denied != "" {
				seq = lastSeq(t, h)
			}
			p := problem(t, call(t, h, tc.q), tc.status, tc.code)
			if tc.field != "" && !names(p, tc.field) {
				t.Errorf("problem %+v does not name %s", p, tc.field)
			}
			if !strings.Contains(p.Detail, tc.detail) {
				t.Errorf("detail %q does not say %q", p.Detail, tc.detail)
			}
			if after := snapshot(t, h); !bytes.Equal(before, after) {
				t.Errorf("data changed:\nbefore %s\nafter  %s", before, after)
			}
			if tc.denied != "" {
				checkDenied(t, h, by[tc.q.as], tc.denied, seq)
			}
		})
	}

	t.Run("isp-a is unchanged after alice's attempt", func(t *testing.T) {
		var o identity.Org
		ok(t, h, req{as: carol, method: "GET", path: "/organizations/isp-a"}, 200, &o)
		if o.Description != "" || !o.UpdatedAt.Equal(o.CreatedAt) {
			t.Errorf("isp-a = %+v", o)
		}
		problem(t, call(t, h, req{as: admin, method: "GET", path: "/users/mole"}), 404, "not_found")
		problem(t, call(t, h, req{as: admin, method: "GET", path: "/users/boss"}), 404, "not_found")
	})
}

// lastSeq returns the newest audit sequence number.
func lastSeq(t *testing.T, h *hubtest.Hub) int64 {
	t.Helper()
	var page struct{ Items []audit.Record }
	ok(t, h, req{as: h.Tokens["admin"], method: "GET", path: "/audit?limit=1"}, 200, &page)
	return page.Items[0].Seq
}

// checkDenied finds, as the hub admin, a denied record of action by
// username newer than seq, and checks it names the actor, their
// organisation and the client's address.
func checkDenied(t *testing.T, h *hubtest.Hub, username, action string, seq int64) {
	t.Helper()
	who := h.Users[username]
	var page struct{ Items []audit.Record }
	ok(t, h, req{as: h.Tokens["admin"], method: "GET", path: "/audit?outcome=denied&limit=1&action=" + action + "&actor=" + username}, 200, &page)
	if len(page.Items) != 1 || page.Items[0].Seq <= seq {
		t.Fatalf("no new denied %s by %s in the audit trail: %+v", action, username, page.Items)
	}
	r := page.Items[0]
	if r.ActorID != who.ID || r.ActorName != who.Username || r.ActorOrgID != who.OrgID || r.Remote != "127.0.0.1" || r.Via != "api" || r.RequestID == "" {
		t.Errorf("denied record %+v", r)
	}
}
