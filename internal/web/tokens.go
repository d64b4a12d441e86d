package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// tokenData is the API tokens page, and the page that shows a new secret once.
type tokenData struct {
	Tokens []identity.Token
	Now    time.Time
	Name   string
	Scope  string
	Days   string
	New    *identity.Token // the token just made
	Secret string          // its secret, shown this once
	Scopes []policy.Scope
}

func (u *UI) tokenPage(w http.ResponseWriter, r *http.Request, d tokenData) (*page, error) {
	p := u.newPage(w, r, k("tokens.title"))
	p.Nav = "tokens"
	ts, err := u.d.Identity.ListTokens(r.Context(), p.Actor, "")
	d.Tokens, d.Now, d.Scopes = ts, time.Now(), []policy.Scope{policy.ScopeRead, policy.ScopeWrite}
	p.D = d
	return p, err
}

func (u *UI) tokenList(w http.ResponseWriter, r *http.Request) {
	p, err := u.tokenPage(w, r, tokenData{Scope: string(policy.ScopeRead), Days: "90"})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "tokens", p)
}

func (u *UI) tokenCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	d := tokenData{Name: f("name"), Scope: f("scope"), Days: strings.TrimSpace(f("days"))}
	in := identity.NewToken{Name: d.Name, Scope: policy.Scope(d.Scope)}
	var err error
	if d.Days != "" {
		n, perr := strconv.Atoi(d.Days)
		if perr != nil || n < 1 {
			err = errs.F(errs.Invalid, "expires_in", "must be a whole number of days, at least 1")
		}
		in.ExpiresIn = time.Duration(n) * 24 * time.Hour
	}
	var tok identity.Token
	if err == nil {
		tok, d.Secret, err = u.d.Identity.CreateToken(r.Context(), actorOf(r), "", in)
	}
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		p, perr := u.tokenPage(w, r, d)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		u.renderForm(w, "tokens", p, err)
		return
	}
	d.New = &tok
	p, err := u.tokenPage(w, r, d)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p.Title = k("tokens.created_title")
	u.render(w, http.StatusCreated, "token_created", p)
}

func (u *UI) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if err := u.d.Identity.RevokeToken(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/tokens", http.StatusSeeOther)
}
