package httpapi

import (
	"net/http"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// tokenInput is the body of POST /api/v1/tokens. ExpiresInDays 0 means the
// longest lifetime the hub allows.
type tokenInput struct {
	Name          string       `json:"name"`
	Scope         policy.Scope `json:"scope,omitempty"`
	ExpiresInDays int          `json:"expires_in_days,omitempty"`
}

// newToken is the answer of POST /api/v1/tokens: the token and, this once,
// its secret.
type newToken struct {
	identity.Token
	Secret string `json:"secret"`
}

// maxTokenDays is identity.MaxTokenLifetime in days.
const maxTokenDays = int(identity.MaxTokenLifetime / (24 * time.Hour))

func (a *API) tokenRoutes() []route {
	return []route{
		{pattern: "GET " + Prefix + "/tokens", h: a.listTokens},
		{pattern: "POST " + Prefix + "/tokens", h: a.createToken},
		{pattern: "DELETE " + Prefix + "/tokens/{id}", h: a.revokeToken},
	}
}

// listTokens answers the caller's tokens, or with ?user= another person's
// (hub administrators only). Secrets and hashes are never shown.
func (a *API) listTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.d.Identity.ListTokens(r.Context(), httpx.Actor(r.Context()), r.URL.Query().Get("user"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ts))
	return nil
}

// createToken makes a token for the caller (or with ?user= for another
// person, hub administrators only) and answers its secret once.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) error {
	var in tokenInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > maxTokenDays {
		return errs.F(errs.Invalid, "expires_in_days", "must be between 1 and %d, or 0 for the longest", maxTokenDays)
	}
	nt := identity.NewToken{Name: in.Name, Scope: in.Scope, ExpiresIn: time.Duration(in.ExpiresInDays) * 24 * time.Hour}
	t, secret, err := a.d.Identity.CreateToken(r.Context(), httpx.Actor(r.Context()), r.URL.Query().Get("user"), nt)
	if err != nil {
		return renameField(err, "expires_in", "expires_in_days")
	}
	created(w, Prefix+"/tokens/"+t.ID, newToken{Token: t, Secret: secret})
	return nil
}

// revokeToken revokes a token and answers 204; revoking twice is fine.
func (a *API) revokeToken(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Identity.RevokeToken(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
