package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

type tokenList struct{ Items []identity.Token }

func jsonKeys(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return m
}

func TestTokens(t *testing.T) {
	h := hubtest.New(t)
	bob := h.Tokens["bob"]

	var nt struct {
		identity.Token
		Secret string `json:"secret"`
	}
	r := ok(t, h, req{as: bob, method: "POST", path: "/tokens", body: `{"name":"siem","scope":"read","expires_in_days":30}`}, 201, &nt)
	if !strings.HasPrefix(nt.Secret, identity.TokenPrefix) || nt.Scope != policy.ScopeRead || nt.UserID != h.Users["bob"].ID ||
		!strings.HasPrefix(nt.Secret, nt.Hint) || r.header.Get("Location") != "/api/v1/tokens/"+nt.ID {
		t.Fatalf("created %+v at %q", nt, r.header.Get("Location"))
	}
	if d := nt.ExpiresAt.Sub(nt.CreatedAt); d != 30*24*time.Hour {
		t.Errorf("lifetime %v", d)
	}

	t.Run("list shows no secret", func(t *testing.T) {
		var l tokenList
		r := ok(t, h, req{as: bob, method: "GET", path: "/tokens"}, 200, &l)
		if len(l.Items) != 2 {
			t.Fatalf("tokens %+v", l.Items)
		}
		for _, banned := range []string{nt.Secret, identity.HashSecret(nt.Secret), `"secret"`, `"hash"`} {
			if strings.Contains(string(r.body), banned) {
				t.Errorf("list shows %s", banned)
			}
		}
	})

	t.Run("hub admin lists another's tokens; others may not", func(t *testing.T) {
		var l tokenList
		ok(t, h, req{as: h.Tokens["admin"], method: "GET", path: "/tokens?user=bob"}, 200, &l)
		if len(l.Items) != 2 {
			t.Errorf("admin sees %d of bob's tokens", len(l.Items))
		}
		problem(t, call(t, h, req{as: h.Tokens["alice"], method: "GET", path: "/tokens?user=bob"}), 403, "forbidden")
	})

	t.Run("the new token works, read only", func(t *testing.T) {
		var m struct{ Scope string }
		ok(t, h, req{as: nt.Secret, method: "GET", path: "/me"}, 200, &m)
		if m.Scope != "read" {
			t.Errorf("scope %q", m.Scope)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct{ body, field string }{
			{`{"name":"x","expires_in_days":9999}`, "expires_in_days"},
			{`{"name":"x","scope":"admin"}`, "scope"},
			{`{"name":""}`, "name"},
		} {
			p := problem(t, call(t, h, req{as: bob, method: "POST", path: "/tokens", body: tc.body}), 422, "invalid")
			if !names(p, tc.field) {
				t.Errorf("%s: problem %+v does not name %s", tc.body, p, tc.field)
			}
		}
	})

	t.Run("revoke", func(t *testing.T) {
		problem(t, call(t, h, req{as: h.Tokens["carol"], method: "DELETE", path: "/tokens/" + nt.ID}), 404, "not_found")
		ok(t, h, req{as: nt.Secret, method: "GET", path: "/me"}, 200, nil) // carol's attempt left it alone
		ok(t, h, req{as: bob, method: "DELETE", path: "/tokens/" + nt.ID}, 204, nil)
		ok(t, h, req{as: bob, method: "DELETE", path: "/tokens/" + nt.ID}, 204, nil) // twice is fine
		p := problem(t, call(t, h, req{as: nt.Secret, method: "GET", path: "/me"}), 401, "unauthenticated")
		if !strings.Contains(p.Detail, "revoked") {
			t.Errorf("detail %q does not say revoked", p.Detail)
		}
		var l tokenList
		ok(t, h, req{as: bob, method: "GET", path: "/tokens"}, 200, &l)
		for _, tk := range l.Items {
			if tk.ID == nt.ID && tk.RevokedAt == nil {
				t.Error("listed as not revoked")
			}
		}
	})

	t.Run("expired", func(t *testing.T) {
		secret := expiredToken(t, h, "bob")
		p := problem(t, call(t, h, req{as: secret, method: "GET", path: "/me"}), 401, "unauthenticated")
		if !strings.Contains(p.Detail, "expired") {
			t.Errorf("detail %q does not say expired", p.Detail)
		}
	})

	t.Run("not a token", func(t *testing.T) {
		problem(t, call(t, h, req{as: "kyojo_nonsense", method: "GET", path: "/me"}), 401, "unauthenticated")
	})
}

// expiredToken stores a write token of username that expired an hour ago
// and returns its secret.
func expiredToken(t *testing.T, h *hubtest.Hub, username string) string {
	t.Helper()
	secret := identity.NewTokenSecret()
	created, expired := time.Now().Add(-48*time.Hour).UTC(), time.Now().Add(-time.Hour).UTC()
	tok := identity.Token{ID: uuid.NewString(), UserID: h.Users[username].ID, Name: "old", Hint: secret[:10],
		Hash: identity.HashSecret(secret), Scope: policy.ScopeWrite, CreatedAt: created, ExpiresAt: &expired}
	err := h.DB.Transact(t.Context(), func(tx identity.Tx) error { return tx.CreateToken(t.Context(), tok) })
	if err != nil {
		t.Fatal(err)
	}
	return secret
}
