package httpapi_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func stixIndicator(n int, value string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d",
		"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '%s']",
		"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, n, value)
}

func TestObjectsOverAPI(t *testing.T) {
	h := hubtest.New(t)
	alice, bob, carol := h.Tokens["alice"], h.Tokens["bob"], h.Tokens["carol"]

	// alice shares to her own organisation's colleagues only.
	var res intel.Result
	ok(t, h, req{as: alice, method: "POST", path: "/objects?tlp=amber%2Bstrict", body: stixIndicator(1, "198.51.100.7")}, 201, &res)
	if res.Created != 1 {
		t.Fatalf("put: %+v", res)
	}
	id := res.Items[0].ID
	var o intel.Object
	ok(t, h, req{as: bob, method: "GET", path: "/objects/" + id}, 200, &o)
	if o.TLP != policy.AmberStrict || !strings.Contains(string(o.Raw), "198.51.100.7") {
		t.Fatalf("object: %+v", o)
	}
	problem(t, call(t, h, req{as: carol, method: "GET", path: "/objects/" + id}), 404, "not_found")
	var sr intel.SearchResult
	ok(t, h, req{as: carol, method: "GET", path: "/search?value=198.51.100.0/24"}, 200, &sr)
	if len(sr.Objects) != 0 {
		t.Fatalf("carol found %d objects she may not see", len(sr.Objects))
	}
	ok(t, h, req{as: bob, method: "GET", path: "/search?value=198.51.100.0/24"}, 200, &sr)
	if len(sr.Objects) != 1 || sr.Query.Kind != "ip" {
		t.Fatalf("bob's search: %+v", sr)
	}
	// A bundle with one bad object: the rest is stored, the bad one named.
	bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[` +
		stixIndicator(2, "203.0.113.1") + `,{"type":"indicator","id":"indicator--nope"}]}`
	ok(t, h, req{as: carol, method: "POST", path: "/objects?tlp=clear", body: bundle}, 201, &res)
	if res.Created != 1 || res.Rejected != 1 || !strings.Contains(res.Items[1].Error, "id: ") {
		t.Fatalf("bundle: %+v", res)
	}
	ok(t, h, req{as: alice, method: "GET", path: "/objects/indicator--00000000-0000-4000-8000-000000000002"}, 200, nil)

	// Bad input.
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/objects?tlp=purple", body: stixIndicator(3, "203.0.113.3")}), 400, "malformed")
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/objects", body: "not json"}), 400, "malformed")
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/objects", body: stixIndicator(4, "203.0.113.4"), ctype: "text/plain"}), 415, "unsupported")
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/objects?community=c-nowhere", body: stixIndicator(5, "203.0.113.5")}), 422, "invalid")
	big := `{"type":"bundle","objects":["` + strings.Repeat("x", 33<<20) + `"]}`
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/objects", body: big}), 413, "too_large")
	problem(t, call(t, h, req{as: alice, method: "GET", path: "/search?value=not+a+value"}), 422, "invalid")
	problem(t, call(t, h, req{method: "GET", path: "/search?value=198.51.100.7"}), 401, "unauthenticated")

	// Revoke: only the sharer's organisation.
	problem(t, call(t, h, req{as: carol, method: "POST", path: "/objects/" + id + "/revoke"}), 404, "not_found")
	ok(t, h, req{as: bob, method: "POST", path: "/objects/" + id + "/revoke"}, 200, &o)
	if !o.Revoked {
		t.Fatal("not revoked")
	}
	var versions struct{ Items []intel.Object }
	ok(t, h, req{as: alice, method: "GET", path: "/objects/" + id + "?versions=all"}, 200, &versions)
	if len(versions.Items) != 2 {
		t.Fatalf("versions: %d", len(versions.Items))
	}
	var page struct {
		Items []intel.Stored
		Next  string
	}
	ok(t, h, req{as: carol, method: "GET", path: "/objects?limit=1"}, 200, &page)
	if len(page.Items) != 1 || page.Items[0].ID != "indicator--00000000-0000-4000-8000-000000000002" {
		t.Fatalf("carol's list: %+v", page.Items)
	}
}

func TestImportsAndExportsOverAPI(t *testing.T) {
	h := hubtest.New(t)
	alice, carol, admin := h.Tokens["alice"], h.Tokens["carol"], h.Tokens["admin"]
	csv := "ip,note\n198.51.100.20,scanner\n=HYPERLINK(\"x\"),formula\n"
	var st intel.ImportStats
	ok(t, h, req{as: alice, method: "POST", path: "/imports?format=csv&column=1&comment_column=2&tlp=clear&name=scan.csv", body: csv, ctype: "text/csv"}, 200, &st)
	if st.Created != 1 || st.Rejected != 1 {
		t.Fatalf("csv import: %+v", st)
	}
	// The same value from carol's organisation: a sighting, not a copy.
	ok(t, h, req{as: carol, method: "POST", path: "/imports?format=plain&tlp=clear&name=isp.txt", body: "198.51.100.20\n", ctype: "text/plain"}, 200, &st)
	if st.Sighted != 1 || st.Created != 0 {
		t.Fatalf("second source: %+v", st)
	}
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/imports?format=misp-feed", body: "x"}), 400, "malformed")
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/imports?url=http://127.0.0.1:1/x.txt", body: ""}), 403, "forbidden")
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/imports?url=http://127.0.0.1:1/x.txt&allow_private=true", body: ""}), 403, "forbidden")
	r := call(t, h, req{as: admin, method: "POST", path: "/imports?url=http://127.0.0.1:1/x.txt&allow_private=true", body: ""})
	if r.status != 503 {
		t.Fatalf("admin's private fetch of a closed port: %d %s", r.status, r.body)
	}
	r = call(t, h, req{as: carol, method: "GET", path: "/export?format=plain&kind=ip"})
	if r.status != 200 || !strings.Contains(string(r.body), "198.51.100.20") {
		t.Fatalf("plain export: %d %q", r.status, r.body)
	}
	r = call(t, h, req{as: carol, method: "GET", path: "/export?format=csv"})
	if r.status != 200 || !strings.Contains(string(r.body), "198.51.100.20") {
		t.Fatalf("csv export: %d %q", r.status, r.body)
	}
	r = call(t, h, req{as: carol, method: "GET", path: "/export?format=misp"})
	if r.status != 200 || !strings.Contains(string(r.body), `"manifest"`) {
		t.Fatalf("misp export: %d %.200s", r.status, r.body)
	}
	problem(t, call(t, h, req{as: carol, method: "GET", path: "/export?format=xml"}), 400, "malformed")
}
