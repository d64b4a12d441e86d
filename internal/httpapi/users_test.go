package httpapi_test

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

type userList struct{ Items []identity.User }

func usernames(us []identity.User) []string {
	var s []string
	for _, u := range us {
		s = append(s, u.Username)
	}
	return s
}

func TestUsers(t *testing.T) {
	h := hubtest.New(t)
	admin, alice, bob := h.Tokens["admin"], h.Tokens["alice"], h.Tokens["bob"]

	t.Run("list", func(t *testing.T) {
		for _, tc := range []struct {
			as, query string
			want      []string
		}{
			{admin, "", []string{"admin", "alice", "bob", "carol", "officer"}},
			{admin, "?org=isp-a", []string{"carol"}},
			{admin, "?q=ali", []string{"alice"}},
			{alice, "", []string{"alice", "bob"}},
			{bob, "?org=mof", []string{"alice", "bob"}},
		} {
			var got userList
			ok(t, h, req{as: tc.as, method: "GET", path: "/users" + tc.query}, 200, &got)
			if !sameSet(usernames(got.Items), tc.want) {
				t.Errorf("%q: got %v, want %v", tc.query, usernames(got.Items), tc.want)
			}
		}
	})

	t.Run("org admin adds a person to own organisation", func(t *testing.T) {
		var u identity.User
		r := ok(t, h, req{as: alice, method: "POST", path: "/users", body: map[string]any{
			"username": "dave", "display_name": "Dave", "email": "dave@mof.example.jp", "org": "mof", "role": "analyst",
			"locale": "en", "password": "a long enough password",
		}}, 201, &u)
		if u.OrgID != h.Orgs["mof"].ID || u.Role != "analyst" || r.header.Get("Location") != "/api/v1/users/"+u.ID {
			t.Fatalf("created %+v at %q", u, r.header.Get("Location"))
		}
		if _, found := jsonKeys(t, r.body)["password_hash"]; found {
			t.Error("password hash in the answer")
		}
		for _, ref := range []string{"dave", u.ID} {
			var got identity.User
			ok(t, h, req{as: bob, method: "GET", path: "/users/" + ref}, 200, &got)
			if got.ID != u.ID {
				t.Errorf("GET %s = %+v", ref, got)
			}
		}
	})

	t.Run("people edit their own profile", func(t *testing.T) {
		var u identity.User
		ok(t, h, req{as: bob, method: "PATCH", path: "/users/bob", body: `{"display_name":"Bob B.","locale":"en"}`}, 200, &u)
		if u.DisplayName != "Bob B." || u.Locale != "en" || u.Role != "analyst" {
			t.Errorf("patched %+v", u)
		}
	})

	t.Run("org admin changes a role in own organisation", func(t *testing.T) {
		var u identity.User
		ok(t, h, req{as: alice, method: "PATCH", path: "/users/bob", body: `{"role":"readonly"}`}, 200, &u)
		if u.Role != "readonly" {
			t.Errorf("patched %+v", u)
		}
	})

	t.Run("passwords", func(t *testing.T) {
		ok(t, h, req{as: h.Tokens["carol"], method: "PUT", path: "/users/carol/password", body: map[string]string{
			"current_password": hubtest.Password, "new_password": "another long password",
		}}, 204, nil)
		p := problem(t, call(t, h, req{as: h.Tokens["carol"], method: "PUT", path: "/users/carol/password", body: map[string]string{
			"current_password": hubtest.Password, "new_password": "yet another password",
		}}), 422, "invalid")
		if !names(p, "current_password") {
			t.Errorf("problem %+v does not name current_password", p)
		}
		p = problem(t, call(t, h, req{as: admin, method: "PUT", path: "/users/carol/password", body: `{"new_password":"short"}`}), 422, "invalid")
		if !names(p, "new_password") {
			t.Errorf("problem %+v does not name new_password", p)
		}
		ok(t, h, req{as: admin, method: "PUT", path: "/users/carol/password", body: `{"new_password":"reset by the hub admin"}`}, 204, nil)
		if _, _, err := h.Svc.Login(t.Context(), identity.Actor{Remote: "192.0.2.1"}, "carol", "reset by the hub admin", "test"); err != nil {
			t.Errorf("sign in with the reset password: %v", err)
		}
	})

	t.Run("outsiders cannot tell whether a person exists", func(t *testing.T) {
		problem(t, call(t, h, req{as: h.Tokens["carol"], method: "GET", path: "/users/bob"}), 404, "not_found")
	})
}
