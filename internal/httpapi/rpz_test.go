package httpapi_test

import (
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

func TestRPZAPI(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	admin := h.Tokens["admin"]
	prob := func(q req, status int, code string) { t.Helper(); problem(t, call(t, h, q), status, code) }
	var feed struct {
		ID     string
		Zone   string
		Action string
		TTL    int
	}
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/feeds", body: `{"zone":"RPZ.Kyojo.Test","min_score":40}`}, 201, &feed)
	if feed.Zone != "rpz.kyojo.test." || feed.Action != "nxdomain" || feed.TTL != 300 {
		t.Fatalf("feed defaults %+v", feed)
	}
	var sub struct {
		ID     string
		OrgID  string `json:"org_id"`
		Secret string
	}
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/subscribers", body: `{"name":"isp-a-ns1","org_id":"isp-a","feeds":["` + feed.ID +
		`"],"key_name":"isp-a-key","secret":"c2VjcmV0c2VjcmV0c2VjcmV0","allow":["192.0.2.0/24"]}`}, 201, &sub)
	if sub.OrgID != h.Orgs["isp-a"].ID || sub.Secret != "" {
		t.Fatalf("subscriber %+v (the secret is never echoed)", sub)
	}
	var subs struct{ Items []struct{ Secret string } }
	ok(t, h, req{as: admin, method: "GET", path: "/rpz/subscribers"}, 200, &subs)
	if len(subs.Items) != 1 || subs.Items[0].Secret != "" {
		t.Fatalf("subscriber list %+v", subs)
	}

	// Only hub administrators manage RPZ; other organisations' people get
	// 403 on every read and write, anonymous callers 401.
	for _, who := range []string{"carol", "alice", "officer"} {
		for _, q := range []req{
			{method: "GET", path: "/rpz/feeds"}, {method: "GET", path: "/rpz/subscribers"}, {method: "GET", path: "/rpz/reports"},
			{method: "GET", path: "/rpz/allowlist"}, {method: "GET", path: "/rpz/zones"}, {method: "GET", path: "/rpz/hits"},
			{method: "POST", path: "/rpz/feeds", body: `{"zone":"x.test"}`}, {method: "DELETE", path: "/rpz/feeds/" + feed.ID},
			{method: "POST", path: "/rpz/allowlist", body: `{"name":"evil.example"}`},
		} {
			q.as = h.Tokens[who]
			prob(q, 403, "forbidden")
		}
	}
	prob(req{method: "GET", path: "/rpz/feeds"}, 401, "unauthenticated")

	// Bad input names the field.
	prob(req{as: admin, method: "POST", path: "/rpz/feeds", body: `{"zone":"bad zone","action":"walled"}`}, 422, "invalid")
	prob(req{as: admin, method: "POST", path: "/rpz/subscribers", body: `{"name":"x","org_id":"isp-a","allow":[]}`}, 422, "invalid")
	prob(req{as: admin, method: "POST", path: "/rpz/subscribers", body: `{"name":"x","org_id":"isp-a","allow":["not-a-net"]}`}, 400, "malformed")
	prob(req{as: admin, method: "POST", path: "/rpz/subscribers", body: `{"name":"x","org_id":"isp-a","feeds":["nope"],"allow":["127.0.0.1/32"]}`}, 422, "invalid")

	// Anyone may report a false positive; the queue is the admins'.
	prob(req{method: "POST", path: "/rpz/reports", body: `{"name":"shop.example","reason":""}`}, 422, "invalid")
	prob(req{method: "POST", path: "/rpz/reports", body: `{"name":"shop.example","reason":"` + strings.Repeat("あ", 2001) + `"}`}, 413, "too_large")
	prob(req{method: "POST", path: "/rpz/reports", body: `{"name":"../etc","reason":"x"}`}, 422, "invalid")
	var rep struct{ ID, Status string }
	ok(t, h, req{method: "POST", path: "/rpz/reports", body: `{"name":"Shop.Example.","reason":"our own shop","contact":"a@shop.example"}`}, 201, &rep)
	var reports struct {
		Items []struct{ ID, Name, Remote, Status string }
	}
	ok(t, h, req{as: admin, method: "GET", path: "/rpz/reports?status=open"}, 200, &reports)
	if len(reports.Items) != 1 || reports.Items[0].Name != "shop.example" || reports.Items[0].Remote != "127.0.0.0/24" {
		t.Fatalf("queue %+v", reports)
	}
	prob(req{as: admin, method: "GET", path: "/rpz/reports?status=maybe"}, 400, "malformed")
	prob(req{as: h.Tokens["carol"], method: "POST", path: "/rpz/reports/" + rep.ID + "/accept"}, 403, "forbidden")
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/reports/" + rep.ID + "/accept", body: `{"note":"checked"}`}, 200, nil)
	prob(req{as: admin, method: "POST", path: "/rpz/reports/" + rep.ID + "/reject"}, 409, "conflict")
	var allow struct {
		Items []struct {
			Name     string
			ReportID string `json:"report_id"`
		}
	}
	ok(t, h, req{as: admin, method: "GET", path: "/rpz/allowlist"}, 200, &allow)
	if len(allow.Items) != 1 || allow.Items[0].Name != "shop.example" || allow.Items[0].ReportID != rep.ID {
		t.Fatalf("allowlist %+v", allow)
	}
	ok(t, h, req{as: admin, method: "DELETE", path: "/rpz/allowlist/shop.example"}, 204, nil)
	ok(t, h, req{as: admin, method: "DELETE", path: "/rpz/feeds/" + feed.ID}, 204, nil)
	prob(req{as: admin, method: "DELETE", path: "/rpz/feeds/" + feed.ID}, 404, "not_found")
}
