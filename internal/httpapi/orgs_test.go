package httpapi_test

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

type orgList struct{ Items []identity.Org }

func slugs(orgs []identity.Org) []string {
	var s []string
	for _, o := range orgs {
		s = append(s, o.Slug)
	}
	return s
}

func TestOrganizations(t *testing.T) {
	h := hubtest.New(t)
	admin, alice := h.Tokens["admin"], h.Tokens["alice"]

	t.Run("list with filters", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  []string
		}{
			{"", []string{"isp-a", "mof", "ncc", "npa"}},
			{"?kind=isp", []string{"isp-a"}},
			{"?kind=government&q=finance", []string{"mof"}},
			{"?q=%E8%B2%A1%E5%8B%99", []string{"mof"}}, // 財務
			{"?sector=water", nil},
		} {
			var got orgList
			ok(t, h, req{as: h.Tokens["carol"], method: "GET", path: "/organizations" + tc.query}, 200, &got)
			if !sameSet(slugs(got.Items), tc.want) {
				t.Errorf("%q: got %v, want %v", tc.query, slugs(got.Items), tc.want)
			}
		}
	})

	t.Run("create, then read by location, slug and id", func(t *testing.T) {
		var o identity.Org
		r := ok(t, h, req{as: admin, method: "POST", path: "/organizations", body: map[string]any{
			"slug": "tepco", "name": "Tokyo Electric", "name_ja": "東京電力", "kind": "ci_operator", "sector": "electricity", "tier": 1,
			"contacts": []map[string]any{{"name": "CSIRT duty", "email": "csirt@tepco.example.jp", "phone": "+81 3 1234 5678", "available_24x7": true}},
		}}, 201, &o)
		if o.ID == "" || o.Slug != "tepco" || o.Country != "JP" || len(o.Contacts) != 1 || o.Contacts[0].Phone != "+81312345678" {
			t.Fatalf("created %+v", o)
		}
		if loc := r.header.Get("Location"); loc != "/api/v1/organizations/"+o.ID {
			t.Fatalf("Location %q", loc)
		}
		for _, ref := range []string{o.ID, "tepco"} {
			var got identity.Org
			ok(t, h, req{as: h.Tokens["bob"], method: "GET", path: "/organizations/" + ref}, 200, &got)
			if got.ID != o.ID || got.Sector != identity.SectorElectric {
				t.Errorf("GET %s = %+v", ref, got)
			}
		}
	})

	t.Run("hub admin patches anything", func(t *testing.T) {
		var o identity.Org
		ok(t, h, req{as: admin, method: "PATCH", path: "/organizations/isp-a", body: `{"tier": 1, "name_ja": "ISP エー"}`}, 200, &o)
		if o.Tier != 1 || o.NameJA != "ISP エー" || o.Name != "ISP A" {
			t.Errorf("patched %+v", o)
		}
	})

	t.Run("org admin patches own contacts and description", func(t *testing.T) {
		var o identity.Org
		ok(t, h, req{as: alice, method: "PATCH", path: "/organizations/mof", body: map[string]any{
			"description": "Ministry CSIRT",
			"contacts":    []map[string]any{{"name": "MOF-CSIRT", "email": "csirt@mof.example.jp", "languages": []string{"ja", "en"}}},
		}}, 200, &o)
		if o.Description != "Ministry CSIRT" || len(o.Contacts) != 1 || o.Contacts[0].Email != "csirt@mof.example.jp" {
			t.Errorf("patched %+v", o)
		}
		var back identity.Org
		ok(t, h, req{as: alice, method: "GET", path: "/organizations/mof"}, 200, &back)
		if back.Description != "Ministry CSIRT" || back.UpdatedAt.Equal(back.CreatedAt) {
			t.Errorf("read back %+v", back)
		}
	})

	t.Run("unknown", func(t *testing.T) {
		problem(t, call(t, h, req{as: admin, method: "GET", path: "/organizations/nope"}), 404, "not_found")
		problem(t, call(t, h, req{as: admin, method: "GET", path: "/organizations?kind=martian"}), 400, "malformed")
	})
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	m := map[string]int{}
	for _, s := range a {
		m[s]++
	}
	for _, s := range b {
		m[s]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}
