package web_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// client is a browser-like HTTP client with a cookie jar that does not
// follow redirects.
type client struct {
	t *testing.T
	h *hubtest.Hub
	c *http.Client
}

func newClient(t *testing.T, h *hubtest.Hub) *client {
	t.Helper()
	return &client{t: t, h: h, c: h.Client()}
}

// signIn returns a client signed in as username.
func signIn(t *testing.T, h *hubtest.Hub, username string) *client {
	t.Helper()
	c := newClient(t, h)
	status, _, resp := c.post("/login", url.Values{
		"csrf": {c.token("/login", "/login")}, "username": {username}, "password": {hubtest.Password}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in as %s: status %d, location %q", username, status, resp.Header.Get("Location"))
	}
	return c
}

func (c *client) do(req *http.Request) (int, string, *http.Response) {
	c.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b), resp
}

func (c *client) get(path string) (int, string, *http.Response) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.h.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) (int, string, *http.Response) {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.h.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// upload posts a multipart form with the fields and one file named
// filename holding content under the field "file".
func (c *client) upload(path string, fields url.Values, filename, content string) (int, string, *http.Response) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for key, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(key, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := io.WriteString(fw, content); err != nil {
		c.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.h.URL+path, &b)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token loads page and returns the form token of the form posting to action.
func (c *client) token(page, action string) string {
	c.t.Helper()
	status, body, _ := c.get(page)
	if status != http.StatusOK {
		c.t.Fatalf("GET %s: status %d", page, status)
	}
	i := strings.Index(body, `action="`+action+`"`)
	if i < 0 {
		c.t.Fatalf("GET %s: no form posting to %s", page, action)
	}
	m := csrfRE.FindStringSubmatch(body[i:])
	if m == nil {
		c.t.Fatalf("GET %s: form %s has no token", page, action)
	}
	return m[1]
}

// tok returns a fresh form token bound to the client's session.
func (c *client) tok() string {
	c.t.Helper()
	return c.token("/", "/logout")
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		if len(body) > 3000 {
			body = body[:3000]
		}
		t.Fatalf("%s: status %d, want %d\n%s", what, got, want, body)
	}
}

func wantContains(t *testing.T, what, body string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if !strings.Contains(body, s) {
			t.Errorf("%s: body lacks %q", what, s)
		}
	}
}
