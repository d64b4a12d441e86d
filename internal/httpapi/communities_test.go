package httpapi_test

import (
	"slices"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

func TestCommunities(t *testing.T) {
	h := hubtest.New(t)
	admin := h.Tokens["admin"]
	mof, isp := h.Orgs["mof"].ID, h.Orgs["isp-a"].ID

	var c identity.Community
	r := ok(t, h, req{as: admin, method: "POST", path: "/communities", body: map[string]any{
		"slug": "gov", "name": "Government", "name_ja": "政府", "members": []string{"mof", "ncc"},
	}}, 201, &c)
	if r.header.Get("Location") != "/api/v1/communities/"+c.ID || len(c.Members) != 2 || !slices.Contains(c.Members, mof) {
		t.Fatalf("created %+v at %q", c, r.header.Get("Location"))
	}

	t.Run("list and read", func(t *testing.T) {
		var l struct{ Items []identity.Community }
		ok(t, h, req{as: h.Tokens["carol"], method: "GET", path: "/communities"}, 200, &l)
		if len(l.Items) != 1 || l.Items[0].Slug != "gov" {
			t.Errorf("list %+v", l)
		}
		for _, ref := range []string{"gov", c.ID} {
			var got identity.Community
			ok(t, h, req{as: h.Tokens["bob"], method: "GET", path: "/communities/" + ref}, 200, &got)
			if got.ID != c.ID {
				t.Errorf("GET %s = %+v", ref, got)
			}
		}
	})

	t.Run("add and remove members", func(t *testing.T) {
		var got identity.Community
		ok(t, h, req{as: admin, method: "PATCH", path: "/communities/gov", body: map[string]any{
			"add": []string{"isp-a"}, "remove": []string{"ncc"}, "description": "ministries",
		}}, 200, &got)
		want := []string{mof, isp}
		slices.Sort(want)
		if !slices.Equal(got.Members, want) || got.Description != "ministries" {
			t.Errorf("patched %+v, want members %v", got, want)
		}
	})

	t.Run("refused", func(t *testing.T) {
		p := problem(t, call(t, h, req{as: h.Tokens["alice"], method: "PATCH", path: "/communities/gov", body: `{"add":["mof"]}`}), 403, "forbidden")
		if p.Detail == "" {
			t.Error("no detail")
		}
		p = problem(t, call(t, h, req{as: admin, method: "POST", path: "/communities", body: `{"slug":"x","name":"X","members":["nowhere"]}`}), 422, "invalid")
		if !names(p, "members[0]") {
			t.Errorf("problem %+v does not name members[0]", p)
		}
		var l struct{ Items []identity.Community }
		ok(t, h, req{as: admin, method: "GET", path: "/communities"}, 200, &l)
		if len(l.Items) != 1 || len(l.Items[0].Members) != 2 {
			t.Errorf("after refusals: %+v", l.Items)
		}
	})
}
