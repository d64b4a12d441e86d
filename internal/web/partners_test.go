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

// TestPartnerForm: the hub administrator registers, changes and removes a
// partner from the UI; bad input comes back with the field's error and
// without the credential typed; the stored credential is kept when the
// field is left empty; nobody else may use the forms.
func TestPartnerForm(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	ctx, sys := t.Context(), identity.System("test")
	admin := signIn(t, h, "admin")
	status, body, _ := admin.get("/partners")
	wantContains(t, "registry", body, `href="/partners/new"`)
	status, body, _ = admin.get("/partners/new")
	wantStatus(t, "new form", status, 200, body)
	wantContains(t, "new form", body, "Add a federation partner", `name="secret"`, `name="markings"`, "Bearer token")

	form := url.Values{"csrf": {admin.token("/partners/new", "/partners/new")}, "slug": {"cert-y"}, "name": {"CERT Y"}, "country": {"de"},
		"org": {h.Orgs["isp-a"].ID}, "api_root": {"https://taxii.cert-y.example/api1/"}, "collection": {"c9"}, "direction": {"both"},
		"auth": {"bearer"}, "secret": {"token-typed-once"}, "markings": {"clear", "green"}, "types": {"indicator, malware"},
		"interval": {"not a duration"}, "contacts[0].name": {"Duty officer"}, "contacts[0].email": {"duty@cert-y.example"}}
	status, body, _ = admin.post("/partners/new", form)
	wantStatus(t, "bad interval", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad interval", body, "interval", "CERT Y", "Duty officer")
	if strings.Contains(body, "token-typed-once") {
		t.Fatal("the form shown again holds the credential")
	}
	if _, err := h.Partners.Get(ctx, sys, "cert-y"); err == nil {
		t.Fatal("refused form stored a partner")
	}
	form.Set("interval", "10m")
	form.Set("csrf", admin.token("/partners/new", "/partners/new"))
	status, body, _ = admin.post("/partners/new", form)
	wantStatus(t, "create", status, http.StatusSeeOther, body)
	p, err := h.Partners.Get(ctx, sys, "cert-y")
	if err != nil {
		t.Fatal(err)
	}
	if p.Country != "DE" || p.Direction != partner.Both || p.Interval.String() != "10m0s" || len(p.Policy.Markings) != 2 ||
		len(p.Policy.Types) != 2 || len(p.Contacts) != 1 || !p.HasSecret {
		t.Fatalf("stored %+v", p)
	}
	if s, _ := h.Partners.Secret(p); s != "token-typed-once" {
		t.Fatal("credential not stored")
	}

	// Change it, leaving the credential empty: it is kept.
	status, body, _ = admin.get("/partners/cert-y/edit")
	wantStatus(t, "edit form", status, 200, body)
	wantContains(t, "edit form", body, "Change CERT Y", "A credential is stored", "https://taxii.cert-y.example/api1/", "duty@cert-y.example")
	if strings.Contains(body, "token-typed-once") {
		t.Fatal("the edit form shows the credential")
	}
	edit := url.Values{"csrf": {admin.token("/partners/cert-y/edit", "/partners/cert-y/edit")}, "name": {"CERT Y (national)"}, "country": {"DE"},
		"org": {h.Orgs["isp-a"].ID}, "api_root": {"https://taxii.cert-y.example/api1/"}, "collection": {"c9"}, "direction": {"pull"},
		"auth": {"bearer"}, "interval": {"10m"}}
	status, body, _ = admin.post("/partners/cert-y/edit", edit)
	wantStatus(t, "update", status, http.StatusSeeOther, body)
	p, _ = h.Partners.Get(ctx, sys, "cert-y")
	if p.Name != "CERT Y (national)" || p.Direction != partner.Pull || len(p.Policy.Markings) != 0 || len(p.Contacts) != 0 {
		t.Fatalf("updated %+v", p)
	}
	if s, _ := h.Partners.Secret(p); s != "token-typed-once" {
		t.Fatal("an empty credential field replaced the stored one")
	}

	// Others may not.
	alice := signIn(t, h, "alice")
	for _, path := range []string{"/partners/new", "/partners/cert-y/edit"} {
		if status, _, _ := alice.get(path); status != http.StatusForbidden {
			t.Errorf("alice GET %s: %d", path, status)
		}
	}
	for _, path := range []string{"/partners/new", "/partners/cert-y/edit", "/partners/cert-y/delete"} {
		if status, _, _ := alice.post(path, url.Values{"csrf": {alice.tok()}, "slug": {"evil"}, "name": {"x"}}); status != http.StatusForbidden {
			t.Errorf("alice POST %s: %d", path, status)
		}
	}
	if _, err := h.Partners.Get(ctx, sys, "cert-y"); err != nil {
		t.Fatal("alice removed the partner")
	}

	// Remove it.
	status, body, _ = admin.post("/partners/cert-y/delete", url.Values{"csrf": {admin.token("/partners/cert-y", "/partners/cert-y/delete")}})
	wantStatus(t, "delete", status, http.StatusSeeOther, body)
	if _, err := h.Partners.Get(ctx, sys, "cert-y"); err == nil {
		t.Fatal("partner not removed")
	}
}
