package taxii_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/taxii"
)

func TestDiscoveryAndCollections(t *testing.T) {
	h := fixture(t)
	var disc struct {
		Title    string
		Default  string
		APIRoots []string `json:"api_roots"`
	}
	ok(t, h, call{path: "/taxii2/", user: "alice"}, &disc)
	if disc.Default != base || !slices.Equal(disc.APIRoots, []string{base}) {
		t.Fatalf("discovery: %+v", disc)
	}
	var root struct {
		Versions         []string
		MaxContentLength int `json:"max_content_length"`
	}
	ok(t, h, call{path: base, user: "alice"}, &root)
	if !slices.Equal(root.Versions, []string{taxii.MediaTAXII}) || root.MaxContentLength != taxii.MaxBody {
		t.Fatalf("api root: %+v", root)
	}
	type coll struct {
		ID       string
		CanRead  bool `json:"can_read"`
		CanWrite bool `json:"can_write"`
	}
	for _, tc := range []struct {
		user string
		want []coll
	}{
		{"alice", []coll{{"public", true, false}, {"inbox-mof", true, true}, {"community-fin", true, true}}},
		{"carol", []coll{{"public", true, false}, {"inbox-isp-a", true, true}, {"community-fin", true, true}, {"community-isp", true, true}}},
		{"officer", []coll{{"public", true, false}, {"inbox-npa", true, true}}},
		{"admin", []coll{{"public", true, true}, {"inbox-ncc", true, true}, {"community-fin", true, true}, {"community-isp", true, true}}},
	} {
		var got struct{ Collections []coll }
		ok(t, h, call{path: "collections/", user: tc.user}, &got)
		if !slices.Equal(got.Collections, tc.want) {
			t.Errorf("%s: collections %+v, want %+v", tc.user, got.Collections, tc.want)
		}
		for _, c := range tc.want {
			var one coll
			ok(t, h, call{path: "collections/" + c.ID + "/", user: tc.user}, &one)
			if one != c {
				t.Errorf("%s: collection %+v, want %+v", tc.user, one, c)
			}
		}
	}
	// Another community's or organisation's collection does not exist for
	// alice, whether or not it exists.
	for _, id := range []string{"community-isp", "inbox-isp-a", "inbox-ncc", "community-nope", "nope"} {
		for _, p := range []string{"", "objects/", "manifest/"} {
			taxiiError(t, "alice "+id+"/"+p, do(t, h, call{path: "collections/" + id + "/" + p, user: "alice"}), http.StatusNotFound)
		}
	}
	taxiiError(t, "unknown api root", do(t, h, call{path: "/taxii2/other/collections/", user: "alice"}), http.StatusNotFound)
	taxiiError(t, "unknown endpoint", do(t, h, call{path: "/taxii2/kyojo/nope/", user: "alice"}), http.StatusNotFound)
	a := do(t, h, call{method: http.MethodDelete, path: "collections/public/objects/", user: "alice"})
	taxiiError(t, "DELETE objects", a, http.StatusMethodNotAllowed)
	if a.header.Get("Allow") != "GET, HEAD, POST" {
		t.Errorf("Allow: %q", a.header.Get("Allow"))
	}
}

func TestAuthentication(t *testing.T) {
	h := fixture(t)
	a := do(t, h, call{path: "/taxii2/"})
	taxiiError(t, "no credentials", a, http.StatusUnauthorized)
	if !strings.Contains(strings.Join(a.header.Values("WWW-Authenticate"), " "), "Basic") {
		t.Errorf("WWW-Authenticate: %q", a.header.Values("WWW-Authenticate"))
	}
	ok(t, h, call{path: "collections/", user: "carol"}, nil)
	ok(t, h, call{path: "collections/", auth: "Bearer " + h.Tokens["carol"]}, nil)
	for name, c := range map[string]call{
		"basic, another person's name": {user: "alice", auth: basic("alice", h.Tokens["carol"])},
		"basic, wrong token":           {auth: basic("carol", "kyojo_nope")},
		"basic, empty password":        {auth: basic("carol", "")},
		"basic, not base64":            {auth: "Basic !!!"},
		"bearer, wrong token":          {auth: "Bearer kyojo_nope"},
		"unknown scheme":               {auth: "Digest abc"},
		"basic, token altered":         {auth: basic("carol", h.Tokens["carol"]+"x")},
	} {
		for _, path := range []string{"collections/", "/taxii2/"} {
			c.path = path
			// A TAXII error object, not problem+json, on every endpoint.
			taxiiError(t, name+" "+path, do(t, h, c), http.StatusUnauthorized)
		}
	}
}

func basic(user, pass string) string {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header.Get("Authorization")
}

// TestVisibility: an AMBER+STRICT object of mof, shared to the finance
// community carol's ISP belongs to, appears nowhere for carol; an AMBER
// one does. The same id's older AMBER version is hers to see, its newer
// strict one is not.
func TestVisibility(t *testing.T) {
	h := fixture(t)
	strict, amber, mixed := indID(1), indID(2), indID(3)
	put(t, h, "alice", intel.Sharing{TLP: policy.AmberStrict, Communities: []string{"fin"}}, ind(1, "192.0.2.1", t0))
	put(t, h, "alice", intel.Sharing{TLP: policy.Amber, Communities: []string{"fin"}}, ind(2, "192.0.2.2", t0), ind(3, "192.0.2.3", t0))
	put(t, h, "alice", intel.Sharing{TLP: policy.AmberStrict, Communities: []string{"fin"}}, ind(3, "192.0.2.33", t0.Add(time.Hour)))

	all := func(user, query string) []string {
		var env taxii.Envelope
		ok(t, h, call{path: "collections/community-fin/objects/?" + query, user: user}, &env)
		return ids(t, env)
	}
	v0, v1 := "2026-04-01T09:30:00.000Z", "2026-04-01T10:30:00.000Z"
	if got := all("bob", ""); !slices.Equal(got, []string{strict + "@" + v0, amber + "@" + v0, mixed + "@" + v1}) {
		t.Fatalf("bob sees %v", got)
	}
	if got := all("carol", ""); !slices.Equal(got, []string{amber + "@" + v0}) {
		t.Fatalf("carol sees %v", got)
	}
	if got := all("carol", "match[version]=all"); !slices.Equal(got, []string{amber + "@" + v0, mixed + "@" + v0}) {
		t.Fatalf("carol sees all versions %v", got)
	}
	if got := all("carol", "match[id]="+strict+"&match[version]=all"); len(got) != 0 {
		t.Fatalf("carol finds the strict object by id: %v", got)
	}
	var m taxii.Manifest
	ok(t, h, call{path: "collections/community-fin/manifest/?match[version]=all", user: "carol"}, &m)
	if len(m.Objects) != 2 || m.More {
		t.Fatalf("carol's manifest: %+v", m)
	}
	for _, r := range m.Objects {
		if r.ID == strict || (r.ID == mixed && r.Version != v0) {
			t.Fatalf("carol's manifest shows %+v", r)
		}
	}
	// The strict object's own endpoints are 404, as for an unknown id.
	for _, p := range []string{"objects/" + strict + "/", "objects/" + strict + "/versions/", "objects/" + indID(99) + "/"} {
		taxiiError(t, "carol "+p, do(t, h, call{path: "collections/community-fin/" + p, user: "carol"}), http.StatusNotFound)
	}
	var vs taxii.Versions
	ok(t, h, call{path: "collections/community-fin/objects/" + mixed + "/versions/", user: "carol"}, &vs)
	if !slices.Equal(vs.Versions, []string{v0}) {
		t.Fatalf("carol's versions of the mixed object: %+v", vs)
	}
	ok(t, h, call{path: "collections/community-fin/objects/" + mixed + "/versions/", user: "bob"}, &vs)
	if !slices.Equal(vs.Versions, []string{v0, v1}) {
		t.Fatalf("bob's versions: %+v", vs)
	}
	var env taxii.Envelope
	taxiiError(t, "carol latest of mixed", do(t, h, call{path: "collections/community-fin/objects/" + mixed + "/", user: "carol"}), http.StatusNotFound)
	ok(t, h, call{path: "collections/community-fin/objects/" + mixed + "/?match[version]=first", user: "carol"}, &env)
	if got := ids(t, env); !slices.Equal(got, []string{mixed + "@" + v0}) {
		t.Fatalf("carol's first of mixed: %v", got)
	}
	// Nor does it show in the public collection or carol's inbox.
	for _, c := range []string{"public", "inbox-isp-a", "community-isp"} {
		if got := objectsOf(t, h, "carol", c, ""); len(got) != 0 {
			t.Errorf("carol's %s: %v", c, got)
		}
	}
}

func TestMatchAndHeaders(t *testing.T) {
	h := fixture(t)
	put(t, h, "admin", intel.Sharing{TLP: policy.Clear}, ind(1, "198.51.100.1", t0), ind(1, "198.51.100.1", t0.Add(time.Hour)),
		ind(1, "198.51.100.1", t0.Add(2*time.Hour)), ind(2, "198.51.100.2", t0),
		`{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000000-0000-4000-8000-000000000003","value":"evil.example"}`)
	get := func(query string) ([]string, answer) {
		var env taxii.Envelope
		a := ok(t, h, call{path: "collections/public/objects/?" + query, user: "carol"}, &env)
		return ids(t, env), a
	}
	v := func(n int, hours int) string {
		return indID(n) + "@" + t0.Add(time.Duration(hours)*time.Hour).Format("2006-01-02T15:04:05.000Z")
	}
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"match[type]=indicator", []string{v(1, 2), v(2, 0)}},
		{"match[type]=indicator&match[version]=first", []string{v(1, 0), v(2, 0)}},
		{"match[type]=indicator&match[version]=first,last", []string{v(1, 0), v(1, 2), v(2, 0)}},
		{"match[type]=indicator&match[version]=all", []string{v(1, 0), v(1, 1), v(1, 2), v(2, 0)}},
		{"match[type]=indicator&match[version]=2026-04-01T10:30:00Z", []string{v(1, 1)}},
		{"match[id]=" + indID(2), []string{v(2, 0)}},
		{"match[id]=" + indID(2) + "," + indID(1) + "&match[version]=first", []string{v(1, 0), v(2, 0)}},
		{"match[type]=malware", nil},
		{"match[spec_version]=2.0&match[type]=indicator", nil},
		{"match[spec_version]=2.0,2.1&match[type]=indicator", []string{v(1, 2), v(2, 0)}},
		{"match[type]=indicator&added_after=2099-01-01T00:00:00Z", nil},
		{"match[type]=indicator&added_after=2000-01-01T00:00:00Z&unknown=1", []string{v(1, 2), v(2, 0)}},
	} {
		got, _ := get(tc.query)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.query, got, tc.want)
		}
	}
	got, a := get("")
	if len(got) != 3 {
		t.Fatalf("all: %v", got)
	}
	first, last := a.header.Get("X-TAXII-Date-Added-First"), a.header.Get("X-TAXII-Date-Added-Last")
	if _, err := time.Parse(time.RFC3339Nano, first); err != nil || last < first {
		t.Fatalf("date headers %q %q", first, last)
	}
	var m taxii.Manifest
	ok(t, h, call{path: "collections/public/manifest/?match[id]=" + indID(1) + "&match[version]=all", user: "carol"}, &m)
	if len(m.Objects) != 3 || m.Objects[0].Version != "2026-04-01T09:30:00.000Z" || m.Objects[0].MediaType != taxii.MediaSTIX || m.Objects[0].DateAdded == "" {
		t.Fatalf("manifest: %+v", m)
	}
	var env taxii.Envelope
	ok(t, h, call{path: "collections/public/objects/" + indID(1) + "/?match[version]=all", user: "carol"}, &env)
	if len(env.Objects) != 3 {
		t.Fatalf("object, all versions: %d", len(env.Objects))
	}
	// Objects may be asked for as STIX too.
	a = do(t, h, call{path: "collections/public/objects/", user: "carol", header: map[string]string{"Accept": taxii.MediaSTIX}})
	if a.status != http.StatusOK || a.header.Get("Content-Type") != taxii.MediaSTIX {
		t.Fatalf("stix accept: %d %q", a.status, a.header.Get("Content-Type"))
	}
}
