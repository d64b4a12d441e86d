package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// req is one API call in a test.
type req struct {
	as     string // bearer token secret; "" for anonymous
	method string
	path   string // under /api/v1, e.g. "/organizations"
	body   any    // string or []byte sent as is; anything else as JSON; nil for none
	ctype  string // Content-Type; application/json when a body is sent
}

// resp is what the hub answered.
type resp struct {
	status int
	header http.Header
	body   []byte
}

// call sends q to the hub and reads the whole answer.
func call(t *testing.T, h *hubtest.Hub, q req) resp {
	t.Helper()
	return callHeaders(t, h, q, nil)
}

// callHeaders is call with extra request headers.
func callHeaders(t *testing.T, h *hubtest.Hub, q req, headers map[string]string) resp {
	t.Helper()
	var body io.Reader
	switch b := q.body.(type) {
	case nil:
	case string:
		body = strings.NewReader(b)
	case []byte:
		body = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(j)
	}
	r, err := http.NewRequestWithContext(t.Context(), q.method, h.URL+"/api/v1"+q.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if q.as != "" {
		r.Header.Set("Authorization", "Bearer "+q.as)
	}
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	if q.ctype != "" {
		r.Header.Set("Content-Type", q.ctype)
	} else if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	res, err := h.Server.Client().Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// ok calls and fails the test unless the status is want; it decodes the
// JSON answer into v when v is not nil.
func ok(t *testing.T, h *hubtest.Hub, q req, want int, v any) resp {
	t.Helper()
	r := call(t, h, q)
	if r.status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", q.method, q.path, r.status, want, r.body)
	}
	if v != nil {
		if ct := r.header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: Content-Type %q", q.method, q.path, ct)
		}
		if err := json.Unmarshal(r.body, v); err != nil {
			t.Fatalf("%s %s: %v: %s", q.method, q.path, err, r.body)
		}
	}
	return r
}

// problem checks that r is a problem+json answer with status and code and
// returns it.
func problem(t *testing.T, r resp, status int, code string) httpx.Problem {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, r.body)
	}
	var p httpx.Problem
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	if p.Status != status || string(p.Code) != code || p.Type == "" || p.Title == "" || p.Instance == "" || p.RequestID == "" {
		t.Fatalf("problem %+v, want status %d code %s with type, title, instance and request id", p, status, code)
	}
	return p
}

// names reports whether p's detail or field errors name field.
func names(p httpx.Problem, field string) bool {
	if strings.Contains(p.Detail, field) {
		return true
	}
	return slices.ContainsFunc(p.Errors, func(f httpx.ProblemField) bool { return f.Field == field })
}

func TestMe(t *testing.T) {
	h := hubtest.New(t)
	for _, tc := range []struct{ user, org, role string }{
		{"admin", "ncc", "hub_admin"}, {"alice", "mof", "org_admin"}, {"bob", "mof", "analyst"}, {"carol", "isp-a", "analyst"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			var got struct {
				User         map[string]any `json:"user"`
				Organization struct{ Slug string }
				Role, Scope  string
			}
			ok(t, h, req{as: h.Tokens[tc.user], method: "GET", path: "/me"}, 200, &got)
			if got.User["username"] != tc.user || got.Organization.Slug != tc.org || got.Role != tc.role || got.Scope != "write" {
				t.Errorf("me = %+v", got)
			}
			if _, leaked := got.User["password_hash"]; leaked {
				t.Error("password hash in the answer")
			}
		})
	}
}

func TestRouting(t *testing.T) {
	h := hubtest.New(t)
	tok := h.Tokens["admin"]
	tests := []struct {
		name, method, path string
		status             int
		code, allow        string
	}{
		{"unknown path", "GET", "/nothing-here", 404, "not_found", ""},
		{"unknown nested path", "GET", "/organizations/mof/secrets", 404, "not_found", ""},
		{"empty ref", "GET", "/organizations/", 404, "not_found", ""},
		{"wrong method on a collection", "DELETE", "/organizations", 405, "not_allowed", "GET, HEAD, POST"},
		{"wrong method on an item", "POST", "/users/bob", 405, "not_allowed", "GET, HEAD, PATCH"},
		{"wrong method on password", "GET", "/users/bob/password", 405, "not_allowed", "PUT"},
		{"wrong method on a token", "GET", "/tokens/x", 405, "not_allowed", "DELETE"},
		{"wrong method on the audit trail", "POST", "/audit", 405, "not_allowed", "GET, HEAD"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := call(t, h, req{as: tok, method: tc.method, path: tc.path})
			problem(t, r, tc.status, tc.code)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("Allow = %q, want %q", got, tc.allow)
			}
		})
	}
	t.Run("anonymous", func(t *testing.T) {
		for _, path := range []string{"/me", "/organizations", "/users/bob", "/tokens", "/audit"} {
			r := call(t, h, req{method: "GET", path: path})
			problem(t, r, 401, "unauthenticated")
			if r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s: no WWW-Authenticate", path)
			}
		}
		ok(t, h, req{method: "GET", path: "/openapi.json"}, 200, &map[string]any{})
	})
}
