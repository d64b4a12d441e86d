package taxii_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/taxii"
)

const base = "/taxii2/kyojo/"

var t0 = time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)

// ind is a STIX indicator; n numbers its id.
func ind(n int, ip string, mod time.Time) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"%s","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		n, mod.Format("2006-01-02T15:04:05.000Z"), ip)
}

func indID(n int) string { return fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n) }

// fixture is a hub with two communities: "fin" (mof, isp-a) and "isp"
// (isp-a only).
func fixture(t *testing.T) *hubtest.Hub {
	t.Helper()
	h := hubtest.New(t)
	sys := identity.System("test")
	for _, c := range []identity.Community{
		{Slug: "fin", Name: "Finance", Members: []string{"mof", "isp-a"}},
		{Slug: "isp", Name: "ISPs", Members: []string{"isp-a"}},
	} {
		if _, err := h.Svc.CreateCommunity(t.Context(), sys, c); err != nil {
			t.Fatal(err)
		}
	}
	return h
}

// put stores objects as user, shared as sh.
func put(t *testing.T, h *hubtest.Hub, user string, sh intel.Sharing, objs ...string) {
	t.Helper()
	raw := objs[0]
	if len(objs) > 1 {
		raw = `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-0000000000bb","objects":[` + strings.Join(objs, ",") + `]}`
	}
	res, err := h.Intel.Put(t.Context(), h.Actor(user), []byte(raw), sh, "test")
	if err != nil || res.Rejected > 0 {
		t.Fatalf("put: %+v %v", res, err)
	}
}

// call is one request: Basic auth as user (unless auth is set), TAXII
// Accept (unless header sets another).
type call struct {
	method, path, user, auth string
	body                     string
	header                   map[string]string
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("decode %s: %v", a.body, err)
	}
}

func do(t *testing.T, h *hubtest.Hub, c call) answer {
	t.Helper()
	if c.method == "" {
		c.method = http.MethodGet
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	path := c.path
	if !strings.HasPrefix(path, "/") {
		path = base + path
	}
	req, err := http.NewRequestWithContext(t.Context(), c.method, h.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", taxii.MediaTAXII)
	if c.body != "" {
		req.Header.Set("Content-Type", taxii.MediaTAXII)
	}
	switch {
	case c.auth != "":
		req.Header.Set("Authorization", c.auth)
	case c.user != "":
		req.SetBasicAuth(c.user, h.Tokens[c.user])
	}
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header, b}
}

// ok fetches c and requires 200 with the TAXII media type.
func ok(t *testing.T, h *hubtest.Hub, c call, v any) answer {
	t.Helper()
	a := do(t, h, c)
	if a.status != http.StatusOK {
		t.Fatalf("%s %s as %s: %d %s", c.method, c.path, c.user, a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != taxii.MediaTAXII {
		t.Fatalf("%s: Content-Type %q", c.path, ct)
	}
	if v != nil {
		a.decode(t, v)
	}
	return a
}

// taxiiError requires a TAXII error with status.
func taxiiError(t *testing.T, what string, a answer, status int) {
	t.Helper()
	if a.status != status {
		t.Errorf("%s: status %d, want %d: %s", what, a.status, status, a.body)
		return
	}
	var e taxii.Error
	if err := json.Unmarshal(a.body, &e); err != nil || e.Title == "" || e.HTTPStatus != fmt.Sprint(status) {
		t.Errorf("%s: not a TAXII error: %s", what, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != taxii.MediaTAXII {
		t.Errorf("%s: error Content-Type %q", what, ct)
	}
}

// ids returns the ids of an envelope's objects, "id@modified".
func ids(t *testing.T, env taxii.Envelope) []string {
	t.Helper()
	var out []string
	for _, raw := range env.Objects {
		var o struct{ ID, Modified string }
		if err := json.Unmarshal(raw, &o); err != nil {
			t.Fatal(err)
		}
		out = append(out, o.ID+"@"+o.Modified)
	}
	return out
}

func envelope(objs ...string) string {
	return `{"objects":[` + strings.Join(objs, ",") + `]}`
}

// objectsOf returns the "id@modified" of one page of a collection's objects.
func objectsOf(t *testing.T, h *hubtest.Hub, user, coll, query string) []string {
	t.Helper()
	var env taxii.Envelope
	ok(t, h, call{path: "collections/" + coll + "/objects/?" + query, user: user}, &env)
	return ids(t, env)
}
