package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/partner"
)

// TestPartners: only hub administrators see or change the registry; the
// credential is never answered; bad input is refused field by field.
func TestPartners(t *testing.T) {
	h := hubtest.New(t)
	admin := h.Tokens["admin"]
	body := `{"slug":"cert-x","name":"CERT X","country":"FR","org":"isp-a","contacts":[{"name":"Duty","email":"duty@cert-x.example"}],
		"api_root":"https://taxii.cert-x.example/api1","collection":"c1","direction":"both","username":"kyojo","secret":"top-secret-token",
		"markings":["clear","TLP:GREEN"],"types":["indicator"],"interval":"10m"}`
	for _, user := range []string{"alice", "bob", "carol", "officer"} {
		for _, q := range []req{{method: "GET", path: "/partners"}, {method: "POST", path: "/partners", body: body}} {
			q.as = h.Tokens[user]
			if r := call(t, h, q); r.status != 403 {
				t.Errorf("%s %s %s: %d %s", user, q.method, q.path, r.status, r.body)
			}
		}
	}
	if r := call(t, h, req{method: "GET", path: "/partners"}); r.status != 401 {
		t.Errorf("anonymous: %d", r.status)
	}
	var p struct {
		Slug, APIRoot, Health string
		HasSecret             bool `json:"has_secret"`
		Policy                struct{ Markings []string }
	}
	r := ok(t, h, req{as: admin, method: "POST", path: "/partners", body: body}, 201, &p)
	if strings.Contains(string(r.body), "top-secret") || !p.HasSecret || p.Health != "never" || len(p.Policy.Markings) != 2 {
		t.Fatalf("created: %s", r.body)
	}
	ok(t, h, req{as: admin, method: "POST", path: "/partners", body: body}, 409, nil)
	for _, path := range []string{"/partners", "/partners/cert-x", "/partners/cert-x/exchanges"} {
		if r := ok(t, h, req{as: admin, method: "GET", path: path}, 200, nil); strings.Contains(string(r.body), "top-secret") {
			t.Fatalf("%s answers the credential", path)
		}
	}
	if r := call(t, h, req{as: h.Tokens["bob"], method: "GET", path: "/partners/cert-x/exchanges"}); r.status != 403 {
		t.Errorf("bob reads exchanges: %d", r.status)
	}
	bad := `{"slug":"X Y","name":"","country":"France","org":"nobody","api_root":"file:///etc/passwd","collection":"../x","direction":"sideways","auth":"digest","markings":["purple"],"interval":"1ns"}`
	r = call(t, h, req{as: admin, method: "POST", path: "/partners", body: bad})
	if r.status != 422 {
		t.Fatalf("bad input: %d %s", r.status, r.body)
	}
	for _, field := range []string{"slug", "name", "country", "api_root", "collection", "direction", "auth", "markings[0]", "interval"} {
		if !strings.Contains(string(r.body), `"`+field+`"`) {
			t.Errorf("bad input: %s not named: %s", field, r.body)
		}
	}
	ok(t, h, req{as: admin, method: "GET", path: "/partners/cert-x/exchanges?limit=0"}, 400, nil)
	ok(t, h, req{as: admin, method: "PUT", path: "/partners/cert-x", body: strings.Replace(body, `"secret":"top-secret-token",`, "", 1)}, 200, nil)
	if s, err := h.Partners.Secret(mustPartner(t, h)); err != nil || s != "top-secret-token" {
		t.Fatalf("update without a secret: %q %v", s, err)
	}
	ok(t, h, req{as: h.Tokens["bob"], method: "DELETE", path: "/partners/cert-x"}, 403, nil)
	ok(t, h, req{as: admin, method: "DELETE", path: "/partners/cert-x"}, 204, nil)
	ok(t, h, req{as: admin, method: "GET", path: "/partners/cert-x"}, 404, nil)
}

func mustPartner(t *testing.T, h *hubtest.Hub) partner.Partner {
	t.Helper()
	p, err := h.Partners.Get(t.Context(), identity.System("test"), "cert-x")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
