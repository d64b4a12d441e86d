package httpx_test

import (
	"net/http"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// TestAuthBasic: HTTP Basic with a user name and that person's API token
// authenticates as Bearer does; any other pair is 401 at once.
func TestAuthBasic(t *testing.T) {
	h := hubtest.New(t)
	for _, tc := range []struct {
		name   string
		set    func(r *http.Request)
		status int
	}{
		{"bearer", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+h.Tokens["bob"]) }, 200},
		{"basic", func(r *http.Request) { r.SetBasicAuth("bob", h.Tokens["bob"]) }, 200},
		{"basic, name in capitals", func(r *http.Request) { r.SetBasicAuth("BOB", h.Tokens["bob"]) }, 200},
		{"basic, another person's name", func(r *http.Request) { r.SetBasicAuth("alice", h.Tokens["bob"]) }, 401},
		{"basic, password not token", func(r *http.Request) { r.SetBasicAuth("bob", hubtest.Password) }, 401},
		{"basic, no name", func(r *http.Request) { r.SetBasicAuth("", h.Tokens["bob"]) }, 401},
		{"basic, garbage", func(r *http.Request) { r.Header.Set("Authorization", "Basic %%%") }, 401},
		{"none", func(r *http.Request) {}, 401},
	} {
		r, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, h.URL+"/api/v1/me", nil)
		tc.set(r)
		res, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, res.StatusCode, tc.status)
		}
		if res.StatusCode == 401 && len(res.Header.Values("WWW-Authenticate")) != 2 {
			t.Errorf("%s: WWW-Authenticate %q", tc.name, res.Header.Values("WWW-Authenticate"))
		}
	}
}
