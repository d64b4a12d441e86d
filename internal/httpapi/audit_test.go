package httpapi_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

type auditPage struct {
	Items      []audit.Record
	Next       string
	NextBefore int64 `json:"next_before"`
}

func TestAudit(t *testing.T) {
	h := hubtest.New(t)
	admin, alice := h.Tokens["admin"], h.Tokens["alice"]
	start := time.Now().UTC().Add(-time.Second)
	ok(t, h, req{as: alice, method: "PATCH", path: "/organizations/mof", body: `{"description":"changed"}`}, 200, nil)
	ok(t, h, req{as: admin, method: "PATCH", path: "/organizations/isp-a", body: `{"tier":4}`}, 200, nil)
	ok(t, h, req{as: h.Tokens["carol"], method: "PATCH", path: "/organizations/mof", body: `{"description":"no"}`}, 403, nil)

	t.Run("changes are recorded with who, which organisation and from where", func(t *testing.T) {
		var p auditPage
		ok(t, h, req{as: admin, method: "GET", path: "/audit?action=org.update&outcome=success&actor=alice"}, 200, &p)
		if len(p.Items) != 1 {
			t.Fatalf("records %+v", p.Items)
		}
		r := p.Items[0]
		mof := h.Orgs["mof"].ID
		if r.ObjectID != mof || r.ObjectOrg != mof || r.ActorOrgID != mof || r.Remote != "127.0.0.1" || r.Via != "api" ||
			!strings.Contains(string(r.Detail), "changed") {
			t.Errorf("record %+v detail %s", r, r.Detail)
		}
	})

	t.Run("filters", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			check func(audit.Record) bool
		}{
			{"action=org.", func(r audit.Record) bool { return strings.HasPrefix(r.Action, "org.") }},
			{"outcome=denied", func(r audit.Record) bool { return r.Outcome == audit.Denied }},
			{"actor=" + h.Users["carol"].ID, func(r audit.Record) bool { return r.ActorName == "carol" }},
			{"org=isp-a", func(r audit.Record) bool {
				return r.ActorOrgID == h.Orgs["isp-a"].ID || r.ObjectOrg == h.Orgs["isp-a"].ID
			}},
			{"object=" + h.Orgs["isp-a"].ID, func(r audit.Record) bool { return r.ObjectID == h.Orgs["isp-a"].ID }},
			{"since=" + url.QueryEscape(start.Format(time.RFC3339Nano)), func(r audit.Record) bool { return !r.Time.Before(start) }},
		} {
			var p auditPage
			ok(t, h, req{as: admin, method: "GET", path: "/audit?" + tc.query}, 200, &p)
			if len(p.Items) == 0 {
				t.Errorf("%s: no records", tc.query)
			}
			for _, r := range p.Items {
				if !tc.check(r) {
					t.Errorf("%s: record %+v does not match", tc.query, r)
				}
			}
		}
		var p auditPage
		ok(t, h, req{as: admin, method: "GET", path: "/audit?until=2000-01-01T00:00:00Z"}, 200, &p)
		if len(p.Items) != 0 || p.Items == nil {
			t.Errorf("until 2000: %+v", p.Items)
		}
	})

	t.Run("pages follow next to the end", func(t *testing.T) {
		seen := map[int64]bool{}
		path, pages, last := "/api/v1/audit?limit=7&action=org.", 0, int64(1<<62)
		for path != "" {
			var p auditPage
			r := ok(t, h, req{as: admin, method: "GET", path: strings.TrimPrefix(path, "/api/v1")}, 200, &p)
			pages++
			for _, rec := range p.Items {
				if rec.Seq >= last || seen[rec.Seq] {
					t.Fatalf("page %d: seq %d out of order", pages, rec.Seq)
				}
				seen[rec.Seq], last = true, rec.Seq
			}
			if p.Next != "" {
				if p.NextBefore != last || !strings.Contains(p.Next, "before="+strconv.FormatInt(last, 10)) ||
					r.header.Get("Link") != "<"+p.Next+`>; rel="next"` {
					t.Fatalf("next %q before %d, Link %q", p.Next, p.NextBefore, r.header.Get("Link"))
				}
			}
			path = p.Next
		}
		var all auditPage
		ok(t, h, req{as: admin, method: "GET", path: "/audit?limit=1000&action=org."}, 200, &all)
		if pages < 2 || len(seen) != len(all.Items) {
			t.Errorf("%d pages with %d records; one page of 1000 has %d", pages, len(seen), len(all.Items))
		}
	})

	t.Run("org admin sees only own organisation's records", func(t *testing.T) {
		var p auditPage
		ok(t, h, req{as: alice, method: "GET", path: "/audit?limit=1000"}, 200, &p)
		mof := h.Orgs["mof"].ID
		if len(p.Items) == 0 {
			t.Fatal("no records")
		}
		for _, r := range p.Items {
			if r.ActorOrgID != mof && r.ObjectOrg != mof {
				t.Errorf("alice sees %+v", r)
			}
		}
	})
}
