package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// PreCookie holds the pre-session nonce that binds the form tokens of a
// visitor who has not signed in yet (the sign-in and language forms).
const PreCookie = "kyojo_pre"

// binding returns what form tokens of r are bound to: the session id when
// signed in, else the hash of the pre-session nonce. With create, a missing
// nonce is made and set as a cookie (and added to r, so later calls agree).
func (u *UI) binding(w http.ResponseWriter, r *http.Request, create bool) string {
	if s := httpx.SessionID(r.Context()); s != "" {
		return s
	}
	if c, err := r.Cookie(PreCookie); err == nil && c.Value != "" {
		return identity.HashSecret(c.Value)
	}
	if !create {
		return ""
	}
	c := &http.Cookie{Name: PreCookie, Value: identity.Secret(24), Path: "/", MaxAge: int(identity.CSRFLifetime.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie}
	http.SetCookie(w, c)
	r.AddCookie(c)
	return identity.HashSecret(c.Value)
}

// checkForm parses a POSTed form and consumes its one-time token. When it
// returns false it has already answered (403 for a missing, reused or
// foreign token) and the handler must do nothing more.
func (u *UI) checkForm(w http.ResponseWriter, r *http.Request) bool {
	return u.checkFormMax(w, r, httpx.MaxBody)
}

// formMemory is how much of a multipart form is held in memory; the rest
// of its files is spooled to temporary files, which net/http removes when
// the request ends.
const formMemory = 8 << 20

// checkFormMax is checkForm for a form of up to limit bytes. A multipart
// form (enctype="multipart/form-data", for file uploads) is read whole,
// files included, before its token is checked: its token is one of its
// parts, and net/http's ParseForm leaves multipart bodies unread. A body
// over limit is answered 413.
func (u *UI) checkFormMax(w http.ResponseWriter, r *http.Request, limit int64) bool {
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		err = r.ParseMultipartForm(min(limit, formMemory))
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			u.fail(w, r, errs.E(errs.TooLarge, "the form is larger than %d MiB", limit>>20))
		} else {
			u.fail(w, r, errs.E(errs.Malformed, "the form could not be read"))
		}
		return false
	}
	b := u.binding(w, r, false)
	if b == "" {
		u.fail(w, r, errs.E(errs.Forbidden, "the form has no security token; reload the page and try again"))
		return false
	}
	if err := u.d.Identity.CheckCSRF(r.Context(), r.PostFormValue("csrf"), b); err != nil {
		u.fail(w, r, err)
		return false
	}
	return true
}

// signedIn sends anonymous visitors to the sign-in page.
func (u *UI) signedIn(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if httpx.Actor(r.Context()).Anonymous() {
			toLogin(w, r)
			return
		}
		h(w, r)
	}
}

func toLogin(w http.ResponseWriter, r *http.Request) {
	target := "/login"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, else "/".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	p, err := url.Parse(next)
	if err != nil || p.Scheme != "" || p.Host != "" {
		return "/"
	}
	return next
}

// loginData is the sign-in form.
type loginData struct{ Username, Next string }

func (u *UI) loginForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if !httpx.Actor(r.Context()).Anonymous() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := u.newPage(w, r, k("login.title"))
	p.D = loginData{Next: next}
	u.render(w, http.StatusOK, "login", p)
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	in := loginData{Username: r.PostFormValue("username"), Next: safeNext(r.PostFormValue("next"))}
	secret, _, err := u.d.Identity.Login(r.Context(), httpx.Actor(r.Context()), in.Username, r.PostFormValue("password"), r.UserAgent())
	if err != nil {
		p := u.newPage(w, r, k("login.title"))
		p.D = in
		if c := errs.CodeOf(err); c != errs.Unauthenticated && c != errs.RateLimited {
			u.fail(w, r, err)
			return
		}
		if errs.Is(err, errs.RateLimited) {
			w.Header().Set("Retry-After", "60")
		}
		p.setErr(err)
		u.render(w, statusOf(err), "login", p)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: httpx.SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie, MaxAge: int(identity.SessionLifetime.Seconds())})
	http.SetCookie(w, &http.Cookie{Name: PreCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, in.Next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	c, _ := r.Cookie(httpx.SessionCookie)
	if c != nil {
		if err := u.d.Identity.Logout(r.Context(), httpx.Actor(r.Context()), c.Value); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: httpx.SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// home is the signed-in person's start page.
func (u *UI) home(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("home.title"))
	p.Nav = "home"
	o, err := u.d.Identity.Org(r.Context(), p.Actor, p.Actor.OrgID)
	if err != nil && !errs.Is(err, errs.NotFound) {
		u.fail(w, r, err)
		return
	}
	p.D = o
	u.render(w, http.StatusOK, "home", p)
}

// actorOf returns who makes the request.
func actorOf(r *http.Request) identity.Actor { return httpx.Actor(r.Context()) }
