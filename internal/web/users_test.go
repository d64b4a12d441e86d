package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// TestUserCompartments checks the compartments field of the person pages:
// a hub administrator edits it, everyone else sees it read-only, and a
// posted value from anyone else is ignored.
func TestUserCompartments(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	admin, alice := signIn(t, h, "admin"), signIn(t, h, "alice")
	compartments := func() []string {
		t.Helper()
		u, err := h.Svc.User(t.Context(), h.Actor("admin"), "bob")
		if err != nil {
			t.Fatal(err)
		}
		return u.Compartments
	}
	edit := func(c *client, comps string) url.Values {
		return url.Values{"csrf": {c.token("/users/bob/edit", "/users/bob/edit")}, "display_name": {"Bob"}, "email": {""},
			"locale": {"ja"}, "role": {"analyst"}, "compartments": {comps}}
	}

	_, body, _ := admin.get("/users/bob/edit")
	wantContains(t, "hub admin's form", body, `name="compartments"`, "Compartments")
	_, body, _ = alice.get("/users/bob/edit")
	wantContains(t, "org admin's form", body, "コンパートメント", "なし", "ハブ管理者のみ")
	if strings.Contains(body, `name="compartments"`) {
		t.Error("alice is offered the compartments field")
	}

	status, body, _ := admin.post("/users/bob/edit", edit(admin, "k-defence, K-Energy、k-defence"))
	wantStatus(t, "hub admin grants", status, http.StatusSeeOther, body)
	if got, want := compartments(), []string{"k-defence", "k-energy"}; !slices.Equal(got, want) {
		t.Fatalf("granted %v, want %v", got, want)
	}
	_, body, _ = admin.get("/users/bob/edit")
	wantContains(t, "form shows the grant", body, `value="k-defence, k-energy"`)

	status, body, _ = alice.post("/users/bob/edit", edit(alice, ""))
	wantStatus(t, "alice saves bob", status, http.StatusSeeOther, body)
	if got := compartments(); len(got) != 2 {
		t.Fatalf("alice's form changed the compartments: %v", got)
	}
	_, body, _ = alice.get("/users/bob/edit")
	wantContains(t, "read-only list", body, "<code>k-defence</code>, <code>k-energy</code>")

	status, body, _ = admin.post("/users/bob/edit", edit(admin, "k-defence, k defence!"))
	wantStatus(t, "bad handle", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad handle", body, `id="e-compartments"`, `value="k-defence, k defence!"`)
	if got := compartments(); len(got) != 2 {
		t.Fatalf("a refused form changed the compartments: %v", got)
	}

	bob := signIn(t, h, "bob")
	_, body, _ = bob.get("/account")
	wantContains(t, "bob's account", body, "<code>k-defence</code>")

	status, body, _ = admin.post("/users/bob/edit", edit(admin, " "))
	wantStatus(t, "hub admin removes", status, http.StatusSeeOther, body)
	if got := compartments(); len(got) != 0 {
		t.Fatalf("removed, still %v", got)
	}

	f := url.Values{"csrf": {admin.tok()}, "username": {"dave"}, "org": {"mof"}, "role": {"analyst"}, "locale": {"en"},
		"password": {hubtest.Password}, "compartments": {"k-defence"}}
	status, body, _ = admin.post("/users/new", f)
	wantStatus(t, "hub admin adds a person with a compartment", status, http.StatusSeeOther, body)
	if u, err := h.Svc.User(t.Context(), h.Actor("admin"), "dave"); err != nil || !slices.Equal(u.Compartments, []string{"k-defence"}) {
		t.Fatalf("dave: %+v %v", u, err)
	}
	f.Set("csrf", alice.tok())
	f.Set("username", "erin")
	status, body, _ = alice.post("/users/new", f)
	wantStatus(t, "alice adds a person, the compartment ignored", status, http.StatusSeeOther, body)
	if u, err := h.Svc.User(t.Context(), h.Actor("admin"), "erin"); err != nil || len(u.Compartments) != 0 {
		t.Fatalf("erin: %+v %v", u, err)
	}
}
