package web

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// accountData is the own-profile page.
type accountData struct {
	User    identity.User
	Org     identity.Org
	Locales []string
}

func (u *UI) accountPage(w http.ResponseWriter, r *http.Request, usr identity.User) (*page, error) {
	p := u.newPage(w, r, k("account.title"))
	p.Nav = "account"
	o, err := u.d.Identity.Org(r.Context(), p.Actor, usr.OrgID)
	p.D = accountData{User: usr, Org: o, Locales: identity.Locales}
	p.Notice = doneNotice(r)
	return p, err
}

func (u *UI) account(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	usr, err := u.d.Identity.User(r.Context(), a, a.UserID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.accountPage(w, r, usr)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "account", p)
}

func (u *UI) accountUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a := actorOf(r)
	f := r.PostFormValue
	name, email, locale := f("display_name"), f("email"), f("locale")
	usr, err := u.d.Identity.UpdateUser(r.Context(), a, a.UserID,
		identity.UserPatch{DisplayName: &name, Email: &email, Locale: &locale})
	if err != nil {
		u.accountFail(w, r, func(x *identity.User) { x.DisplayName, x.Email, x.Locale = name, email, locale }, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: usr.Locale, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie})
	http.Redirect(w, r, "/account?done=saved", http.StatusSeeOther)
}

// accountPassword changes one's own password. The service ends every
// session of the person, so the UI signs in again with the new password.
func (u *UI) accountPassword(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a := actorOf(r)
	f := r.PostFormValue
	next := f("password")
	if next != f("password_confirm") {
		u.accountFail(w, r, nil, errs.F(errs.Invalid, "password_confirm", "the two new passwords differ"))
		return
	}
	if err := u.d.Identity.SetPassword(r.Context(), a, a.UserID, f("current_password"), next); err != nil {
		u.accountFail(w, r, nil, err)
		return
	}
	secret, _, err := u.d.Identity.Login(r.Context(), a, a.Username, next, r.UserAgent())
	if err != nil {
		toLogin(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: httpx.SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie, MaxAge: int(identity.SessionLifetime.Seconds())})
	http.Redirect(w, r, "/account?done=password", http.StatusSeeOther)
}

// accountFail shows the account page again with err; keep overlays the
// submitted profile values.
func (u *UI) accountFail(w http.ResponseWriter, r *http.Request, keep func(*identity.User), err error) {
	if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
		u.fail(w, r, err)
		return
	}
	a := actorOf(r)
	usr, uerr := u.d.Identity.User(r.Context(), a, a.UserID)
	if uerr != nil {
		u.fail(w, r, uerr)
		return
	}
	if keep != nil {
		keep(&usr)
	}
	p, perr := u.accountPage(w, r, usr)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	p.Notice = ""
	u.renderForm(w, "account", p, err)
}
