package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
	"github.com/kyojo-hub/kyojo/internal/rpzdns"
	"github.com/kyojo-hub/kyojo/internal/server"
)

// rpzHub is a test hub whose HTTP handler also has a running RPZ engine
// (one walled-garden feed for isp-a), as kyojo serve --rpz-listen has.
func rpzHub(t *testing.T) (*hubtest.Hub, *rpzdns.Engine) {
	h := hubtest.New(t)
	svc := rpz.NewService(h.DB, nil)
	admin := h.Actor("admin")
	f, err := svc.AddFeed(t.Context(), admin, rpz.Feed{Zone: "rpz.test", MinScore: 10, Action: rpz.Walled, WarnHost: "warn.test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddSubscriber(t.Context(), admin, rpz.Subscriber{Name: "isp-a", OrgID: h.Orgs["isp-a"].ID, Feeds: []string{f.ID},
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	for _, x := range []struct {
		user, id, domain, name string
		sh                     intel.Sharing
	}{
		{"bob", "indicator--00000000-0000-4000-8000-00000000000a", "evil.example", "Fake bank login page", intel.Sharing{TLP: policy.Clear}},
		{"officer", "indicator--00000000-0000-4000-8000-00000000000b", "secret.example", "Operation Nightjar C2", intel.Sharing{TLP: policy.Amber, Orgs: []string{"isp-a"}}},
	} {
		raw := `{"type":"indicator","spec_version":"2.1","id":"` + x.id + `","created":"` + now + `","modified":"` + now + `","name":"` + x.name +
			`","indicator_types":["malicious-activity","x-made-up"],"pattern":"[domain-name:value = '` + x.domain + `']","pattern_type":"stix","valid_from":"` + now + `"}`
		if res, err := h.Intel.Put(t.Context(), h.Actor(x.user), []byte(raw), x.sh, "api"); err != nil || res.Rejected > 0 {
			t.Fatalf("put: %+v %v", res, err)
		}
	}
	eng := &rpzdns.Engine{Intel: h.DB.Intel(), Defs: h.DB, Dir: h.DB, Decay: intel.DefaultDecay}
	if err := eng.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	handler, _ := server.Handler(server.Services{Identity: h.Svc, Intel: h.Intel, RPZ: svc, RPZStatus: rpzdns.Status{Engine: eng}},
		server.Options{Version: "test"})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h, eng
}

func TestWarningPage(t *testing.T) {
	t.Parallel()
	h, eng := rpzHub(t)
	c := newClient(t, h)
	// TLP:CLEAR: what it was reported for, in Japanese by default.
	status, body, _ := c.get("/warning?name=evil.example")
	wantStatus(t, "warning", status, http.StatusOK, body)
	wantContains(t, "clear", body, "evil.example", "Fake bank login page", "悪意のある活動", "#9110", `action="/warning/report"`)
	if strings.Contains(body, "x-made-up") || strings.Contains(body, "[itype") {
		t.Fatal("an unknown indicator type is shown")
	}
	// AMBER: the page is public, so only a generic reason.
	_, body, _ = c.get("/warning?name=secret.example")
	if strings.Contains(body, "Nightjar") || !strings.Contains(body, "詳しい内容") {
		t.Fatalf("AMBER details on the public warning page:\n%s", body)
	}
	// A browser the walled garden sent here asks for the blocked name.
	req, _ := http.NewRequest("GET", h.URL+"/login.php", nil)
	req.Host = "evil.example"
	status, body, _ = c.do(req)
	wantStatus(t, "host", status, http.StatusOK, body)
	wantContains(t, "host", body, "Fake bank login page")
	// English on request.
	c.c.Jar.SetCookies(mustURL(t, h.URL), []*http.Cookie{{Name: "kyojo_lang", Value: "en"}})
	_, body, _ = c.get("/warning?name=evil.example")
	wantContains(t, "english", body, "malicious activity", "How to stay safe")

	// A false-positive report: errors name the field; a good one is received.
	tok := c.token("/warning?name=evil.example", "/warning/report")
	status, body, _ = c.post("/warning/report", url.Values{"csrf": {tok}, "name": {"evil.example"}, "reason": {""}})
	wantStatus(t, "empty reason", status, http.StatusUnprocessableEntity, body)
	tok = c.token("/warning?name=evil.example", "/warning/report")
	status, body, _ = c.post("/warning/report", url.Values{"csrf": {tok}, "name": {"evil.example"}, "reason": {"It is our real shop"}, "contact": {"owner@evil.example"}})
	wantStatus(t, "report", status, http.StatusCreated, body)
	wantContains(t, "report", body, `id="report-done"`)
	status, _, _ = c.post("/warning/report", url.Values{"csrf": {tok}, "name": {"evil.example"}, "reason": {"again"}})
	if status != http.StatusForbidden {
		t.Fatalf("a reused form token gave %d", status)
	}

	// The review queue is the hub administrators' alone.
	carol := signIn(t, h, "carol")
	if status, _, _ := carol.get("/rpz"); status != http.StatusForbidden {
		t.Fatalf("carol sees the RPZ page: %d", status)
	}
	admin := signIn(t, h, "admin")
	status, body, _ = admin.get("/rpz")
	wantStatus(t, "rpz page", status, http.StatusOK, body)
	wantContains(t, "queue", body, "It is our real shop", "127.0.0.0/24", "rpz.test.", `id="rpz-zones"`)
	reports, _ := rpz.NewService(h.DB, nil).Reports(t.Context(), h.Actor("admin"), rpz.ReportOpen)
	if len(reports) != 1 {
		t.Fatalf("reports %+v", reports)
	}
	tok = admin.token("/rpz", "/rpz/reports/"+reports[0].ID+"/accept")
	status, _, resp := admin.post("/rpz/reports/"+reports[0].ID+"/accept", url.Values{"csrf": {tok}})
	if status != http.StatusSeeOther || resp.Header.Get("Location") != "/rpz?done=accepted" {
		t.Fatalf("accept: %d %v", status, resp.Header)
	}
	// Accepted: allowlisted everywhere, so the name is no longer listed.
	if err := eng.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, body, _ = c.get("/warning?name=evil.example")
	if strings.Contains(body, "Fake bank login page") {
		t.Fatal("an allowlisted name still shows as reported")
	}
	_, body, _ = admin.get("/rpz")
	wantContains(t, "allowlist", body, "false-positive report "+reports[0].ID)
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestRPZForms(t *testing.T) {
	t.Parallel()
	h, _ := rpzHub(t)
	admin := signIn(t, h, "admin")
	post := func(action string, form url.Values) (int, string) {
		t.Helper()
		form.Set("csrf", admin.token("/rpz", action))
		status, body, _ := admin.post(action, form)
		return status, body
	}
	status, body := post("/rpz/feeds", url.Values{"zone": {"bad zone"}, "min_score": {"50"}, "action": {"nxdomain"}})
	wantStatus(t, "bad feed", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad feed", body, `aria-invalid="true"`)
	status, body = post("/rpz/feeds", url.Values{"zone": {"rpz.isp.example"}, "min_score": {"lots"}, "action": {"nxdomain"}})
	wantStatus(t, "bad score", status, http.StatusUnprocessableEntity, body)
	status, body = post("/rpz/feeds", url.Values{"zone": {"rpz.isp.example"}, "min_score": {"60"}, "action": {"nodata"}, "kinds": {"domain"}, "max_tlp": {"green"}})
	wantStatus(t, "feed", status, http.StatusSeeOther, body)
	feeds, _ := rpz.NewService(h.DB, nil).Feeds(t.Context(), h.Actor("admin"))
	var id string
	for _, f := range feeds {
		if f.Zone == "rpz.isp.example." {
			id = f.ID
			if f.Action != rpz.NoData || f.MinScore != 60 || f.MaxTLP != policy.Green || len(f.Kinds) != 1 {
				t.Fatalf("feed from the form %+v", f)
			}
		}
	}
	status, body = post("/rpz/subscribers", url.Values{"name": {"isp-a-ns2"}, "org": {h.Orgs["isp-a"].ID}, "feeds": {id},
		"key_name": {"isp-a-ns2-key"}, "allow": {"192.0.2.53, 198.51.100.0/24"}, "notify": {"192.0.2.53:53"}})
	wantStatus(t, "subscriber", status, http.StatusCreated, body)
	wantContains(t, "secret shown once", body, `id="new-secret"`, `key "isp-a-ns2-key." { algorithm hmac-sha256; secret "`)
	status, body = post("/rpz/subscribers", url.Values{"name": {"x"}, "org": {h.Orgs["isp-a"].ID}, "allow": {"nonsense"}})
	wantStatus(t, "bad subscriber", status, http.StatusUnprocessableEntity, body)
	status, body = post("/rpz/allowlist", url.Values{"allow_name": {"Good.Example"}, "reason": {"a bank"}})
	wantStatus(t, "allow", status, http.StatusSeeOther, body)
	_, body, _ = admin.get("/rpz")
	wantContains(t, "page", body, "rpz.isp.example.", "isp-a-ns2", "good.example", "a bank")
	if strings.Contains(body, `id="new-secret"`) {
		t.Fatal("the secret is shown again")
	}
	// Other organisations' people may not post these forms.
	carol := signIn(t, h, "carol")
	tok := admin.token("/rpz", "/rpz/allowlist") // a token of another session is refused anyway
	if status, _, _ := carol.post("/rpz/allowlist", url.Values{"csrf": {tok}, "allow_name": {"evil.example"}}); status != http.StatusForbidden {
		t.Fatalf("carol's allowlist post: %d", status)
	}
}
