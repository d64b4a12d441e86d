package httpapi_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// TestCompartmentsOverAPI shares an object into the need-to-know
// compartment k-defence and checks that bob sees it exactly while the hub
// administrator has granted him k-defence, and that nobody else may grant it.
func TestCompartmentsOverAPI(t *testing.T) {
	h := hubtest.New(t)
	admin, alice, bob, carol := h.Tokens["admin"], h.Tokens["alice"], h.Tokens["bob"], h.Tokens["carol"]

	var res intel.Result
	ok(t, h, req{as: admin, method: "POST", path: "/objects?compartment=k-defence&tlp=green", body: stixIndicator(77, "192.0.2.77")}, 201, &res)
	if res.Created != 1 {
		t.Fatalf("put: %+v", res)
	}
	id := res.Items[0].ID

	// sees checks what who gets from the object's page and from search.
	sees := func(t *testing.T, who, as string, want bool) {
		t.Helper()
		r := call(t, h, req{as: as, method: "GET", path: "/objects/" + id})
		if want && r.status != 200 {
			t.Errorf("%s: GET /objects/{id}: status %d: %s", who, r.status, r.body)
		}
		if !want {
			problem(t, r, 404, "not_found")
		}
		var sr intel.SearchResult
		ok(t, h, req{as: as, method: "GET", path: "/search?value=192.0.2.77"}, 200, &sr)
		if found := len(sr.Objects) == 1; found != want {
			t.Errorf("%s: search found %d objects, want visible=%v", who, len(sr.Objects), want)
		}
	}
	compartments := func(t *testing.T, as, ref string) []string {
		t.Helper()
		var u identity.User
		r := ok(t, h, req{as: as, method: "GET", path: "/users/" + ref}, 200, &u)
		if _, found := jsonKeys(t, r.body)["compartments"]; !found {
			t.Fatalf("GET /users/%s has no compartments: %s", ref, r.body)
		}
		return u.Compartments
	}

	sees(t, "admin (the author)", admin, true)
	sees(t, "bob without k-defence", bob, false)
	sees(t, "alice without k-defence", alice, false)
	if got := compartments(t, bob, "bob"); got == nil || len(got) != 0 {
		t.Fatalf("bob's compartments: %#v, want []", got)
	}

	grant := map[string]any{"compartments": []string{"k-defence"}}
	t.Run("nobody but the hub admin grants", func(t *testing.T) {
		problem(t, call(t, h, req{as: alice, method: "PATCH", path: "/users/bob", body: grant}), 403, "forbidden")
		problem(t, call(t, h, req{as: alice, method: "PATCH", path: "/users/alice", body: grant}), 403, "forbidden")
		problem(t, call(t, h, req{as: bob, method: "PATCH", path: "/users/bob", body: grant}), 403, "forbidden")
		problem(t, call(t, h, req{as: alice, method: "POST", path: "/users", body: map[string]any{
			"username": "eve", "org": "mof", "password": "a long enough password", "compartments": []string{"k-defence"},
		}}), 403, "forbidden")
		if got := compartments(t, admin, "bob"); len(got) != 0 {
			t.Fatalf("a refused grant stuck: %v", got)
		}
		sees(t, "bob after refused grants", bob, false)
	})

	t.Run("bad handles", func(t *testing.T) {
		p := problem(t, call(t, h, req{as: admin, method: "PATCH", path: "/users/bob",
			body: `{"compartments":["k-defence","K Defence!"]}`}), 422, "invalid")
		if !names(p, "compartments") || !strings.Contains(p.Errors[0].Message, `"k defence!"`) {
			t.Errorf("problem does not name the field and the bad handle: %+v", p)
		}
	})

	var u identity.User
	ok(t, h, req{as: admin, method: "PATCH", path: "/users/bob", body: `{"compartments":["k-defence","K-Defence"]}`}, 200, &u)
	if !slices.Equal(u.Compartments, []string{"k-defence"}) {
		t.Fatalf("granted: %v", u.Compartments)
	}
	if got := compartments(t, alice, "bob"); !slices.Equal(got, []string{"k-defence"}) {
		t.Fatalf("alice reads bob's compartments as %v", got)
	}
	sees(t, "bob with k-defence", bob, true)
	sees(t, "alice, his org admin, without it", alice, false)
	sees(t, "carol without it", carol, false)

	// bob may still edit his own profile, repeating what he holds.
	ok(t, h, req{as: bob, method: "PATCH", path: "/users/bob", body: `{"display_name":"Bob","compartments":["k-defence"]}`}, 200, nil)
	// alice may still manage bob, as long as the compartments stay.
	ok(t, h, req{as: alice, method: "PATCH", path: "/users/bob", body: `{"role":"readonly"}`}, 200, &u)
	if !slices.Equal(u.Compartments, []string{"k-defence"}) {
		t.Fatalf("a role change touched the compartments: %v", u.Compartments)
	}

	ok(t, h, req{as: admin, method: "PATCH", path: "/users/bob", body: `{"compartments":[]}`}, 200, &u)
	if u.Compartments == nil || len(u.Compartments) != 0 {
		t.Fatalf("removed: %#v", u.Compartments)
	}
	sees(t, "bob after removal", bob, false)
}
