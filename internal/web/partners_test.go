package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// TestPartnerPages: the hub administrator sees the registry, a partner's
// health and exchanges, and which TAXII clients pulled what; nobody else
// does, and the credential is shown nowhere.
func TestPartnerPages(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	ctx, sys := t.Context(), identity.System("test")
	p, err := h.Partners.Create(ctx, sys, partner.Input{Slug: "cert-x", Name: "CERT X", Country: "FR", Org: "isp-a",
		APIRoot: "https://taxii.cert-x.example/api1/", Collection: "c1", Direction: partner.Both, Username: "kyojo",
		Secret: "very-secret-credential", Markings: []policy.TLP{policy.Clear}, Types: []string{"indicator"}})
	if err != nil {
		t.Fatal(err)
	}
	err = h.DB.Partners().Transact(ctx, func(tx partner.Tx) error {
		return tx.AddExchange(ctx, partner.Exchange{PartnerID: p.ID, At: p.CreatedAt, Direction: partner.Push, ObjectsOut: 7, Error: "partner said 503"})
	})
	if err != nil {
		t.Fatal(err)
	}
	// A TAXII client pulls a page.
	req, _ := http.NewRequest("GET", h.URL+"/taxii2/kyojo/collections/public/objects/", nil)
	req.SetBasicAuth("carol", h.Tokens["carol"])
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("TAXII pull: %v %v", resp, err)
	}

	admin := signIn(t, h, "admin") // English
	_, body, _ := admin.get("/")
	wantContains(t, "admin's navigation", body, `href="/partners"`)
	status, body, _ := admin.get("/partners")
	wantStatus(t, "registry", status, 200, body)
	wantContains(t, "registry", body, "Federation partners", "CERT X", "not tried yet", "https://taxii.cert-x.example/api1/")
	status, body, _ = admin.get("/partners/cert-x")
	wantStatus(t, "partner", status, 200, body)
	wantContains(t, "partner", body, "partner said 503", "credential stored (encrypted)", "never leave", ">7<")
	status, body, _ = admin.get("/partners/clients")
	wantStatus(t, "clients", status, 200, body)
	wantContains(t, "clients", body, "carol", "public", "TAXII clients")
	for _, path := range []string{"/partners", "/partners/cert-x", "/partners/clients"} {
		if _, body, _ := admin.get(path); strings.Contains(body, "very-secret") {
			t.Fatalf("%s shows the credential", path)
		}
	}

	// Stop and resume the exchanges, with the form token.
	status, body, _ = admin.post("/partners/cert-x/disable", url.Values{"csrf": {admin.token("/partners/cert-x", "/partners/cert-x/disable")}})
	wantStatus(t, "disable", status, http.StatusSeeOther, body)
	if p, _ := h.Partners.Get(ctx, sys, "cert-x"); !p.Disabled {
		t.Fatal("not disabled")
	}
	_, body, _ = admin.get("/partners/cert-x")
	wantContains(t, "disabled partner", body, "Resume exchanges", "disabled")
	status, body, _ = admin.post("/partners/cert-x/enable", url.Values{"csrf": {admin.token("/partners/cert-x", "/partners/cert-x/enable")}})
	wantStatus(t, "enable", status, http.StatusSeeOther, body)
	if status, _, _ := admin.post("/partners/cert-x/disable", url.Values{}); status != http.StatusForbidden && status != http.StatusBadRequest {
		t.Errorf("disable without a form token: %d", status)
	}

	alice := signIn(t, h, "alice") // Japanese, organisation administrator
	_, body, _ = alice.get("/")
	if strings.Contains(body, `href="/partners"`) {
		t.Error("alice is offered the partner pages")
	}
	if status, _, _ := alice.post("/partners/cert-x/disable", url.Values{"csrf": {alice.tok()}}); status != http.StatusForbidden {
		t.Errorf("alice disables a partner: %d", status)
	}
	for _, path := range []string{"/partners", "/partners/cert-x", "/partners/clients"} {
		if status, body, _ := alice.get(path); status != http.StatusForbidden {
			t.Errorf("alice %s: %d", path, status)
		} else if strings.Contains(body, "CERT X") || strings.Contains(body, "carol") {
			t.Errorf("alice %s: the refusal shows the data", path)
		}
	}
	// The pages in Japanese.
	if err := h.Svc.Store().Transact(ctx, func(tx identity.Tx) error {
		u := h.Users["admin"]
		u.Locale = "ja"
		return tx.UpdateUser(ctx, u)
	}); err != nil {
		t.Fatal(err)
	}
	ja := signIn(t, h, "admin")
	_, body, _ = ja.get("/partners/cert-x")
	wantContains(t, "Japanese partner page", body, "交換履歴", "未実行", "認証情報あり")
}
