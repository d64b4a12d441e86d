package taxii_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/taxii"
)

func TestPost(t *testing.T) {
	h := fixture(t)
	bad := `{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000009","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '192.0.2.9'","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	a := do(t, h, call{method: http.MethodPost, path: "collections/community-fin/objects/", user: "alice",
		body: envelope(ind(1, "192.0.2.1", t0), bad, ind(2, "192.0.2.2", t0))})
	if a.status != http.StatusAccepted || a.header.Get("Content-Type") != taxii.MediaTAXII {
		t.Fatalf("post: %d %s", a.status, a.body)
	}
	var st taxii.Status
	a.decode(t, &st)
	if st.Status != "complete" || st.TotalCount != 3 || st.SuccessCount != 2 || st.FailureCount != 1 || st.PendingCount != 0 ||
		len(st.Failures) != 1 || st.Failures[0].ID != indID(9) || st.Failures[0].Message == "" ||
		st.Successes[0].ID != indID(1) || st.Successes[0].Version != "2026-04-01T09:30:00.000Z" {
		t.Fatalf("status: %s", a.body)
	}
	// Stored shared with the community: carol (a member) sees both.
	if got := objectsOf(t, h, "carol", "community-fin", ""); len(got) != 2 {
		t.Fatalf("carol: %v", got)
	}
	if got := objectsOf(t, h, "officer", "public", ""); len(got) != 0 {
		t.Fatalf("officer: %v", got)
	}
	// The status is for mof only.
	var again taxii.Status
	ok(t, h, call{path: "status/" + st.ID + "/", user: "bob"}, &again)
	if again.ID != st.ID || again.FailureCount != 1 {
		t.Fatalf("status again: %+v", again)
	}
	for _, user := range []string{"carol", "admin"} {
		taxiiError(t, user+" reads mof's status", do(t, h, call{path: "status/" + st.ID + "/", user: user}), http.StatusNotFound)
	}
	taxiiError(t, "unknown status", do(t, h, call{path: "status/0195f000-0000-7000-8000-000000000000/", user: "alice"}), http.StatusNotFound)
	taxiiError(t, "status traversal", do(t, h, call{path: "status/..%2F..%2Fcollections/", user: "alice"}), http.StatusNotFound)

	// The inbox shares with the organisation by name.
	a = do(t, h, call{method: http.MethodPost, path: "collections/inbox-isp-a/objects/", user: "carol", body: envelope(ind(3, "192.0.2.3", t0))})
	if a.status != http.StatusAccepted {
		t.Fatalf("inbox post: %d %s", a.status, a.body)
	}
	if got := objectsOf(t, h, "carol", "inbox-isp-a", ""); len(got) != 1 {
		t.Fatalf("carol's inbox: %v", got)
	}
	if got := objectsOf(t, h, "alice", "community-fin", "match[id]="+indID(3)); len(got) != 0 {
		t.Fatalf("the inbox object leaked: %v", got)
	}
	// Public: hub administrators only, and everyone sees it.
	taxiiError(t, "alice posts to public", do(t, h, call{method: http.MethodPost, path: "collections/public/objects/", user: "alice", body: envelope(ind(4, "192.0.2.4", t0))}), http.StatusForbidden)
	a = do(t, h, call{method: http.MethodPost, path: "collections/public/objects/", user: "admin", body: envelope(ind(4, "192.0.2.4", t0))})
	if a.status != http.StatusAccepted {
		t.Fatalf("admin public post: %d %s", a.status, a.body)
	}
	if got := objectsOf(t, h, "officer", "public", ""); len(got) != 1 {
		t.Fatalf("public: %v", got)
	}
	// A new version of another organisation's object is refused without
	// saying whose it is.
	a = do(t, h, call{method: http.MethodPost, path: "collections/community-fin/objects/", user: "carol", body: envelope(ind(1, "192.0.2.1", t0.Add(time.Hour)))})
	a.decode(t, &st)
	if st.FailureCount != 1 || strings.Contains(st.Failures[0].Message, "organisation that shared") {
		t.Fatalf("carol's version: %s", a.body)
	}

	for name, c := range map[string]struct {
		call
		status int
	}{
		"another community":    {call{path: "collections/community-isp/objects/", user: "alice", body: envelope(ind(5, "192.0.2.5", t0))}, http.StatusNotFound},
		"another inbox":        {call{path: "collections/inbox-isp-a/objects/", user: "alice", body: envelope(ind(5, "192.0.2.5", t0))}, http.StatusNotFound},
		"json content type":    {call{path: "collections/inbox-mof/objects/", user: "alice", body: envelope(), header: map[string]string{"Content-Type": "application/json"}}, http.StatusUnsupportedMediaType},
		"stix 2.0 envelope":    {call{path: "collections/inbox-mof/objects/", user: "alice", body: envelope(), header: map[string]string{"Content-Type": "application/taxii+json;version=2.0"}}, http.StatusUnsupportedMediaType},
		"no content type":      {call{path: "collections/inbox-mof/objects/", user: "alice", body: envelope(), header: map[string]string{"Content-Type": ""}}, http.StatusUnsupportedMediaType},
		"not json":             {call{path: "collections/inbox-mof/objects/", user: "alice", body: "{"}, http.StatusBadRequest},
		"empty envelope":       {call{path: "collections/inbox-mof/objects/", user: "alice", body: envelope()}, http.StatusUnprocessableEntity},
		"accept json":          {call{path: "collections/inbox-mof/objects/", user: "alice", body: envelope(ind(5, "192.0.2.5", t0)), header: map[string]string{"Accept": "application/json"}}, http.StatusNotAcceptable},
		"anonymous":            {call{path: "collections/inbox-mof/objects/", body: envelope(ind(5, "192.0.2.5", t0))}, http.StatusUnauthorized},
		"read-only in a group": {call{path: "collections/community-nope/objects/", user: "alice", body: envelope(ind(5, "192.0.2.5", t0))}, http.StatusNotFound},
	} {
		c.method = http.MethodPost
		taxiiError(t, name, do(t, h, c.call), c.status)
	}
	if got := objectsOf(t, h, "admin", "community-isp", "match[id]="+indID(5)); len(got) != 0 {
		t.Fatalf("a refused post stored: %v", got)
	}
}

// TestPagingWhileAdding pages through a collection with next while objects
// and new versions are added between the pages: nothing is served twice,
// nothing is skipped.
func TestPagingWhileAdding(t *testing.T) {
	h := fixture(t)
	sh := intel.Sharing{TLP: policy.Amber, Communities: []string{"fin"}}
	var objs []string
	for i := range 20 {
		objs = append(objs, ind(i, fmt.Sprintf("203.0.113.%d", i), t0))
	}
	put(t, h, "alice", sh, objs...)
	seen := map[string]bool{}
	var order []string
	next, n := "", 20
	for page := 0; ; page++ {
		if page > 30 {
			t.Fatal("paging does not end")
		}
		q := "limit=7"
		if next != "" {
			q += "&next=" + next
		}
		var env taxii.Envelope
		ok(t, h, call{path: "collections/community-fin/objects/?" + q, user: "carol"}, &env)
		for _, id := range ids(t, env) {
			if seen[id] {
				t.Fatalf("page %d repeats %s", page, id)
			}
			seen[id] = true
			order = append(order, id)
		}
		if !env.More {
			if env.Next != "" {
				t.Fatalf("no more, yet next %q", env.Next)
			}
			break
		}
		next = env.Next
		if page < 3 {
			// Two new objects, and a new version of one already served.
			put(t, h, "bob", sh, ind(n, "203.0.113.200", t0), ind(n+1, "203.0.113.201", t0))
			put(t, h, "alice", sh, ind(page, "203.0.113.250", t0.Add(time.Duration(page+1)*time.Minute)))
			n += 2
		}
	}
	// Everything now stored as a latest version was served.
	want := objectsOf(t, h, "carol", "community-fin", "limit=1000")
	if len(want) != 26 {
		t.Fatalf("%d latest versions, want 26", len(want))
	}
	for _, id := range want {
		if !seen[id] {
			t.Errorf("skipped %s", id)
		}
	}
	if len(order) != 20+6+3 {
		t.Errorf("served %d versions, want 29 (20, 6 added, 3 new versions)", len(order))
	}
}
