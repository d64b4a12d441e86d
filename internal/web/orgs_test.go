package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

func orgForm(tok, slug, name string) url.Values {
	return url.Values{"csrf": {tok}, "slug": {slug}, "name": {name}, "name_ja": {name + "（日本）"},
		"kind": {"ci_operator"}, "sector": {"electricity"}, "tier": {"2"}, "country": {"JP"},
		"description":      {"Power grid operator."},
		"contacts[0].name": {"Duty officer"}, "contacts[0].email": {"soc@power.example.jp"},
		"contacts[0].phone": {"+81 3 1234 5678"}, "contacts[0].available_24x7": {"1"}, "contacts[0].languages": {"ja, en"}}
}

func TestCreateOrgThroughForm(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "admin")

	status, body, resp := c.post("/orgs/new", orgForm(c.token("/orgs/new", "/orgs/new"), "power-a", "Power A"))
	wantStatus(t, "create", status, http.StatusSeeOther, body)
	if loc := resp.Header.Get("Location"); loc != "/orgs/power-a" {
		t.Fatalf("redirect to %q", loc)
	}
	_, body, _ = c.get("/orgs")
	wantContains(t, "directory", body, "Power A", "/orgs/power-a")
	_, body, _ = c.get("/orgs?sector=electricity")
	wantContains(t, "filtered directory", body, "Power A")
	if strings.Contains(body, "ISP A") {
		t.Error("sector filter shows ISP A")
	}
	_, body, _ = c.get("/orgs/power-a")
	wantContains(t, "profile", body, "Duty officer", "soc@power.example.jp", "81312345678", "ja, en", "24/7")

	// The same name again: 409, a message next to the field, values kept.
	status, body, _ = c.post("/orgs/new", orgForm(c.token("/orgs/new", "/orgs/new"), "power-b", "Power A"))
	wantStatus(t, "duplicate", status, http.StatusConflict, body)
	wantContains(t, "duplicate", body, "An organisation with this name already exists", `id="e-name"`, `value="power-b"`)

	// A bad e-mail in a point of contact: 422 naming the field; nothing stored.
	f := orgForm(c.token("/orgs/new", "/orgs/new"), "power-c", "Power C")
	f.Set("contacts[0].email", "not-an-address")
	status, body, _ = c.post("/orgs/new", f)
	wantStatus(t, "bad e-mail", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad e-mail", body, `id="e-contacts[0].email"`, "contacts[0].email", "This is not a valid e-mail address", `value="not-an-address"`)
	if _, err := h.Svc.Org(t.Context(), h.Actor("admin"), "power-c"); err == nil {
		t.Fatal("power-c was stored despite the error")
	}

	// The hub admin edits everything, including disabling.
	f = orgForm(c.token("/orgs/power-a/edit", "/orgs/power-a/edit"), "", "Power A Corp")
	f.Set("disabled", "1")
	status, body, _ = c.post("/orgs/power-a/edit", f)
	wantStatus(t, "edit", status, http.StatusSeeOther, body)
	o, err := h.Svc.Org(t.Context(), h.Actor("admin"), "power-a")
	if err != nil || o.Name != "Power A Corp" || !o.Disabled {
		t.Fatalf("after edit: %+v, %v", o, err)
	}
}

func TestOrgAdminEditsOwnContacts(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "alice")
	_, body, _ := c.get("/orgs/mof")
	wantContains(t, "own profile", body, `href="/orgs/mof/edit"`)
	_, body, _ = c.get("/orgs/isp-a")
	if strings.Contains(body, `href="/orgs/isp-a/edit"`) {
		t.Error("alice is offered to edit isp-a")
	}
	status, body, _ := c.get("/orgs/mof/edit")
	wantStatus(t, "edit form", status, http.StatusOK, body)
	if strings.Contains(body, `name="name"`) || strings.Contains(body, `name="kind"`) {
		t.Error("an org admin is shown fields only a hub admin may change")
	}
	status, body, _ = c.post("/orgs/mof/edit", url.Values{"csrf": {c.tok()}, "description": {"財務省のCSIRT"},
		"contacts[0].name": {"当番"}, "contacts[0].phone": {"+81-3-0000-0000"}})
	wantStatus(t, "save", status, http.StatusSeeOther, body)
	o, _ := h.Svc.Org(t.Context(), h.Actor("admin"), "mof")
	if o.Description != "財務省のCSIRT" || len(o.Contacts) != 1 || o.Contacts[0].Phone != "+81300000000" {
		t.Fatalf("after save: %+v", o)
	}
}

func TestCommunityForm(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "admin")
	f := url.Values{"csrf": {c.token("/communities/new", "/communities/new")}, "slug": {"gov"}, "name": {"Government"},
		"name_ja": {"政府機関"}, "members": {h.Orgs["ncc"].ID, h.Orgs["mof"].ID}}
	status, body, _ := c.post("/communities/new", f)
	wantStatus(t, "create", status, http.StatusSeeOther, body)
	_, body, _ = c.get("/communities/gov")
	wantContains(t, "community", body, "National Cybersecurity Centre", "Ministry of Finance")
	f = url.Values{"csrf": {c.tok()}, "name": {"Government"}, "members": {h.Orgs["isp-a"].ID}}
	status, body, _ = c.post("/communities/gov/edit", f)
	wantStatus(t, "edit", status, http.StatusSeeOther, body)
	cm, err := h.Svc.Community(t.Context(), h.Actor("admin"), "gov")
	if err != nil || len(cm.Members) != 1 || cm.Members[0] != h.Orgs["isp-a"].ID {
		t.Fatalf("members after edit: %+v %v", cm.Members, err)
	}
	_, body, _ = c.get("/orgs/isp-a")
	wantContains(t, "org lists community", body, "/communities/gov")

	bob := signIn(t, h, "bob")
	status, _, _ = bob.get("/communities/new")
	wantStatus(t, "bob creates community", status, http.StatusForbidden, "")
}
