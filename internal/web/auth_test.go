package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

func TestSignInAndOut(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := newClient(t, h)

	status, _, resp := c.get("/orgs?kind=isp")
	wantStatus(t, "anonymous /orgs", status, http.StatusSeeOther, "")
	if loc := resp.Header.Get("Location"); loc != "/login?next="+url.QueryEscape("/orgs?kind=isp") {
		t.Fatalf("anonymous redirect to %q", loc)
	}

	status, body, _ := c.post("/login", url.Values{"csrf": {c.token("/login", "/login")},
		"username": {"bob"}, "password": {"not the password"}})
	wantStatus(t, "wrong password", status, http.StatusUnauthorized, body)
	wantContains(t, "wrong password", body, "ユーザー名またはパスワードが正しくない", `value="bob"`)

	status, body, resp = c.post("/login", url.Values{"csrf": {c.token("/login?next=/orgs", "/login")},
		"username": {"bob"}, "password": {hubtest.Password}, "next": {"/orgs"}})
	wantStatus(t, "sign in", status, http.StatusSeeOther, body)
	if loc := resp.Header.Get("Location"); loc != "/orgs" {
		t.Fatalf("after sign-in: redirect to %q", loc)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == httpx.SessionCookie {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" {
		t.Fatalf("session cookie: %+v", session)
	}
	status, body, _ = c.get("/")
	wantStatus(t, "home", status, http.StatusOK, body)
	wantContains(t, "home", body, "財務省", "bob")

	status, body, resp = c.post("/logout", url.Values{"csrf": {c.tok()}})
	wantStatus(t, "sign out", status, http.StatusSeeOther, body)
	cleared := false
	for _, ck := range resp.Cookies() {
		if ck.Name == httpx.SessionCookie && ck.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Fatal("sign-out did not clear the session cookie")
	}
	status, _, _ = c.get("/")
	wantStatus(t, "home after sign-out", status, http.StatusSeeOther, "")
}

func TestUnsafeNextIgnored(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := newClient(t, h)
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example"} {
		tok := c.token("/login", "/login")
		status, body, resp := c.post("/login", url.Values{"csrf": {tok}, "username": {"carol"},
			"password": {hubtest.Password}, "next": {next}})
		wantStatus(t, "sign in", status, http.StatusSeeOther, body)
		if loc := resp.Header.Get("Location"); loc != "/" {
			t.Errorf("next %q: redirect to %q", next, loc)
		}
		c = newClient(t, h)
	}
}

func TestLanguageSwitch(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)

	// Anonymous: Japanese by default, English after the switch, in a cookie.
	c := newClient(t, h)
	_, body, _ := c.get("/login")
	wantContains(t, "default", body, `<html lang="ja">`, "kyojo にログイン")
	status, body, resp := c.post("/lang", url.Values{"csrf": {c.token("/login", "/lang")}, "lang": {"en"}, "next": {"/login"}})
	wantStatus(t, "switch", status, http.StatusSeeOther, body)
	if resp.Header.Get("Location") != "/login" {
		t.Fatalf("switch redirects to %q", resp.Header.Get("Location"))
	}
	_, body, _ = c.get("/login")
	wantContains(t, "after switch", body, `<html lang="en">`, "Sign in to kyojo")

	// Signed in: the stored locale wins, and the switch stores the new one.
	c = signIn(t, h, "bob")
	_, body, _ = c.get("/orgs")
	wantContains(t, "bob in ja", body, "CSIRT ディレクトリ")
	status, body, _ = c.post("/lang", url.Values{"csrf": {c.tok()}, "lang": {"en"}, "next": {"/orgs"}})
	wantStatus(t, "bob switches", status, http.StatusSeeOther, body)
	_, body, _ = c.get("/orgs")
	wantContains(t, "bob in en", body, "CSIRT directory")
	u, err := h.Svc.User(t.Context(), h.Actor("admin"), "bob")
	if err != nil {
		t.Fatal(err)
	}
	if u.Locale != "en" {
		t.Fatalf("bob's stored locale is %q, want en", u.Locale)
	}
	if !strings.Contains(body, `value="ja"`) {
		t.Error("the English page offers no switch back to Japanese")
	}
}

func TestCSRFRefused(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	c := signIn(t, h, "admin")
	tok := c.token("/orgs/new", "/orgs/new")
	form := func(slug, name string) url.Values {
		return url.Values{"csrf": {tok}, "slug": {slug}, "name": {name}, "kind": {"isp"}, "tier": {"3"}, "country": {"JP"}}
	}
	status, body, _ := c.post("/orgs/new", form("isp-b", "ISP B"))
	wantStatus(t, "first use", status, http.StatusSeeOther, body)

	status, body, _ = c.post("/orgs/new", form("isp-c", "ISP C"))
	wantStatus(t, "reused token", status, http.StatusForbidden, body)
	wantContains(t, "reused token", body, "The form has expired or was already sent")

	f := form("isp-d", "ISP D")
	f.Del("csrf")
	status, body, _ = c.post("/orgs/new", f)
	wantStatus(t, "missing token", status, http.StatusForbidden, body)

	// A token from another session does not work either.
	other := signIn(t, h, "carol")
	f = form("isp-e", "ISP E")
	f.Set("csrf", other.tok())
	status, body, _ = c.post("/orgs/new", f)
	wantStatus(t, "foreign token", status, http.StatusForbidden, body)

	for _, slug := range []string{"isp-c", "isp-d", "isp-e"} {
		if _, err := h.Svc.Org(t.Context(), h.Actor("admin"), slug); err == nil {
			t.Errorf("organisation %s was created despite a bad token", slug)
		}
	}
	// Signing in needs the token too.
	anon := newClient(t, h)
	status, body, _ = anon.post("/login", url.Values{"username": {"admin"}, "password": {hubtest.Password}})
	wantStatus(t, "login without token", status, http.StatusForbidden, body)
}
