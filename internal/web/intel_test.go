package web_test

import (
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/server"
)

// wizard is the share form filled in with the indicator wizard.
func wizard(tok, kind, value, name, tlp string) url.Values {
	return url.Values{"csrf": {tok}, "mode": {"wizard"}, "kind": {kind}, "value": {value}, "name": {name},
		"description": {"seen in phishing against ministries"}, "valid_from": {"2026-04-01T09:00"}, "tlp": {tlp}}
}

var objectLinkRE = regexp.MustCompile(`href="/intel/((?:indicator|malware|relationship)--[0-9a-f-]{36})"`)

// shared posts the share form and returns the ids of the objects it stored.
func shared(t *testing.T, c *client, form url.Values, want int) (string, []string) {
	t.Helper()
	status, body, _ := c.post("/intel/new", form)
	wantStatus(t, "share", status, want, body)
	var ids []string
	for _, m := range objectLinkRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return body, ids
}

// put shares raw STIX as username directly through the service.
func put(t *testing.T, h *hubtest.Hub, username, raw string, sh intel.Sharing) {
	t.Helper()
	res, err := h.Intel.Put(t.Context(), h.Actor(username), []byte(raw), sh, "api")
	if err != nil || res.Rejected > 0 {
		t.Fatalf("put as %s: %+v, %v", username, res, err)
	}
}

func indicator(id, name, pattern string) string {
	return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-04-01T00:00:00.000Z",` +
		`"modified":"2026-04-01T00:00:00.000Z","name":"` + name + `","pattern":"` + pattern + `",` +
		`"pattern_type":"stix","valid_from":"2026-04-01T00:00:00Z"}`
}

func TestShareWithWizard(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	alice := signIn(t, h, "alice") // Japanese
	body, ids := shared(t, alice, wizard(alice.token("/intel/new", "/intel/new"), "auto", "198.51.100.0/24", "C2 レンジ", "green"), http.StatusCreated)
	wantContains(t, "result", body, `id="result-counts"`, "新規登録")
	if len(ids) != 1 {
		t.Fatalf("result links %v, want one indicator", ids)
	}
	id := ids[0]

	status, body, _ := alice.get("/intel")
	wantStatus(t, "list", status, http.StatusOK, body)
	wantContains(t, "list", body, `href="/intel/`+id+`"`, "C2 レンジ", `class="tlp tlp-green"`, "TLP:GREEN")

	status, body, _ = alice.get("/intel/" + id)
	wantStatus(t, "object page", status, http.StatusOK, body)
	wantContains(t, "object page", body, `<span class="tlp tlp-green">TLP:GREEN</span>`,
		html.EscapeString(`[ipv4-addr:value = '198.51.100.0/24']`), `href="/search?value=198.51.100.0%2f24"`,
		"seen in phishing against ministries", `<pre class="raw" id="raw-json">`, `&#34;pattern_type&#34;: &#34;stix&#34;`,
		`action="/intel/`+id+`/revoke"`, "2026-04-01 09:00") // valid_from, as typed in Japan time

	// GREEN without communities: every member, and search by an address
	// inside the shared block finds it.
	carol := signIn(t, h, "carol")
	status, body, _ = carol.get("/search?value=198.51.100.7")
	wantStatus(t, "carol searches", status, http.StatusOK, body)
	wantContains(t, "carol searches", body, `id="search-result"`, "IP address or CIDR block", `href="/intel/`+id+`"`,
		"Ministry of Finance", `value="198.51.100.7"`)

	// A value of the wrong kind comes back next to its field.
	status, body, _ = alice.post("/intel/new", wizard(alice.tok(), "domain-name", "198.51.100.9", "x", "green"))
	wantStatus(t, "wrong kind", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "wrong kind", body, `id="e-value"`, "選んだ種類に合いません", `value="198.51.100.9"`)
	// TLP:RED without anyone named.
	status, body, _ = alice.post("/intel/new", wizard(alice.tok(), "auto", "evil.example", "x", "red"))
	wantStatus(t, "red without people", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "red without people", body, `id="e-users"`)
	// No form token, no share.
	f := wizard("", "auto", "evil.example", "x", "green")
	f.Del("csrf")
	status, _, _ = alice.post("/intel/new", f)
	wantStatus(t, "no token", status, http.StatusForbidden, "")
}

func TestShareBundle(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	carol := signIn(t, h, "carol")
	bundle := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` +
		indicator("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "Phishing domain", `[domain-name:value = 'login-mof.example']`) + `,` +
		`{"type":"malware","spec_version":"2.1","id":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b","created":"2026-04-01T00:00:00.000Z","modified":"2026-04-01T00:00:00.000Z","name":"KyoRAT","is_family":true},` +
		`{"type":"malware","spec_version":"2.1","id":"malware--not-a-uuid","created":"2026-04-01T00:00:00.000Z","modified":"2026-04-01T00:00:00.000Z","name":"Broken"},` +
		`{"type":"relationship","spec_version":"2.1","id":"relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad","created":"2026-04-01T00:00:00.000Z","modified":"2026-04-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","target_ref":"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}]}`
	form := url.Values{"csrf": {carol.token("/intel/new", "/intel/new")}, "mode": {"stix"}, "stix": {bundle}, "tlp": {"amber"}}
	body, ids := shared(t, carol, form, http.StatusCreated)
	if len(ids) != 3 {
		t.Errorf("stored %v, want three objects", ids)
	}
	// The bad object: its index in the bundle, its field and the reason.
	i := strings.Index(body, `class="result-rejected"`)
	if i < 0 {
		t.Fatalf("no rejected row:\n%s", body)
	}
	wantContains(t, "rejected row", body[i:], `<td class="num">2</td>`, `<code class="field-name">id</code>`,
		"does not end with an RFC 4122 UUID")

	// The relationship page draws both ends, with the reference names.
	status, body, _ := carol.get("/intel/relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad")
	wantStatus(t, "relationship", status, http.StatusOK, body)
	svg := body[strings.Index(body, "<svg"):strings.Index(body, "</svg>")]
	wantContains(t, "graph", svg, `class="edge ref" marker-end="url(#arrow)"`, ">source_ref</text>", ">target_ref</text>",
		`href="/intel/malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"`, "KyoRAT", `class="node tlp-amber"`)
	wantContains(t, "references", body, `id="refs-table"`)

	// A bundle of nothing valid stores nothing: 422.
	bad := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56e","objects":[` +
		`{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd40","created":"yesterday"}]}`
	form = url.Values{"csrf": {carol.tok()}, "mode": {"stix"}, "stix": {bad}, "tlp": {"amber"}}
	body, _ = shared(t, carol, form, http.StatusUnprocessableEntity)
	wantContains(t, "all rejected", body, "Every object was rejected", `<code class="field-name">created</code>`)
	// Text that is no JSON comes back next to the text area.
	form = url.Values{"csrf": {carol.tok()}, "mode": {"stix"}, "stix": {"not json"}, "tlp": {"amber"}}
	status, body, _ = carol.post("/intel/new", form)
	wantStatus(t, "not json", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "not json", body, `id="e-stix"`, "not a STIX object or bundle", "not json</textarea>")
}

func TestAmberStrictStaysInside(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	id := "indicator--0b5c3e33-1d6d-4d4b-a0b6-4a4b8e1c2f10"
	put(t, h, "alice", indicator(id, "Spear-phishing sender", `[email-addr:value = 'ceo@evil.example']`),
		intel.Sharing{TLP: policy.AmberStrict})

	bob := signIn(t, h, "bob") // alice's colleague
	status, body, _ := bob.get("/intel/" + id)
	wantStatus(t, "bob opens", status, http.StatusOK, body)
	wantContains(t, "bob opens", body, `<span class="tlp tlp-amber-strict">TLP:AMBER&#43;STRICT</span>`)

	carol := signIn(t, h, "carol")
	status, _, _ = carol.get("/intel/" + id)
	wantStatus(t, "carol opens", status, http.StatusNotFound, "")
	_, body, _ = carol.get("/intel")
	if strings.Contains(body, id) || strings.Contains(body, "Spear-phishing") {
		t.Error("carol's list shows the AMBER+STRICT object")
	}
	for _, v := range []string{"ceo@evil.example", "evil.example"} {
		status, body, _ = carol.get("/search?value=" + url.QueryEscape(v))
		wantStatus(t, "carol searches "+v, status, http.StatusOK, body)
		wantContains(t, "carol searches "+v, body, `id="search-none"`, "Nothing you may see mentions this value.")
		if strings.Contains(body, id) {
			t.Errorf("carol's search for %s finds the object", v)
		}
	}
	// Filtering by author must not reveal who shared anonymously.
	put(t, h, "alice", indicator("indicator--0b5c3e33-1d6d-4d4b-a0b6-4a4b8e1c2f11", "Anonymous tip", `[domain-name:value = 'tip.example']`),
		intel.Sharing{TLP: policy.Green, Anonymous: true})
	_, body, _ = carol.get("/intel")
	wantContains(t, "anonymous in list", body, "Anonymous tip", "anonymous (via the hub)")
	_, body, _ = carol.get("/intel?author=" + h.Orgs["mof"].ID)
	if strings.Contains(body, "Anonymous tip") {
		t.Error("the author filter reveals an anonymous sharer")
	}
	_, body, _ = carol.get("/intel/indicator--0b5c3e33-1d6d-4d4b-a0b6-4a4b8e1c2f11")
	if strings.Contains(body, "Ministry of Finance") {
		t.Error("the object page names the anonymous sharer")
	}
}

func TestSearchInput(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	carol := signIn(t, h, "carol")
	status, body, _ := carol.get("/search?value=" + url.QueryEscape("not a value!"))
	wantStatus(t, "bad value", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad value", body, `id="e-value"`, "is not an IP address, CIDR block, domain, URL, hash or e-mail address",
		`value="not a value!"`)
	status, body, _ = carol.get("/search?value=" + url.QueryEscape("http://"))
	wantStatus(t, "bad url", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad url", body, "This is not a valid URL.")
	status, body, _ = carol.get("/search")
	wantStatus(t, "empty", status, http.StatusOK, body)
	for _, v := range []string{"44d88612fea8a8f36de82e1278abb02f", "https://Evil.Example/x", "x@evil.example"} {
		status, body, _ := carol.get("/search?value=" + url.QueryEscape(v))
		wantStatus(t, "search "+v, status, http.StatusOK, body)
		wantContains(t, "search "+v, body, `id="search-none"`)
	}
	_, body, _ = carol.get("/search?value=44d88612fea8a8f36de82e1278abb02f")
	wantContains(t, "hash kind", body, "MD5 hash")
	// Every page carries the search box.
	_, body, _ = carol.get("/tokens")
	wantContains(t, "header", body, `id="top-search"`, `action="/search"`)
}

func TestRevokeBySharerOnly(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	id := "indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a01"
	put(t, h, "alice", indicator(id, "Botnet C2", `[ipv4-addr:value = '203.0.113.5']`), intel.Sharing{TLP: policy.Green})
	// carol shares the same address: correlation across organisations.
	put(t, h, "carol", indicator("indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a02", "Scanner", `[ipv4-addr:value = '203.0.113.5']`),
		intel.Sharing{TLP: policy.Green})

	carol := signIn(t, h, "carol")
	status, body, _ := carol.get("/intel/" + id)
	wantStatus(t, "carol opens", status, http.StatusOK, body)
	if strings.Contains(body, "/revoke") {
		t.Error("carol is offered to revoke mof's object")
	}
	wantContains(t, "related", body, `id="related-table"`, "Scanner", `class="edge rel"`, ">203.0.113.5</text>")
	status, _, _ = carol.post("/intel/"+id+"/revoke", url.Values{"csrf": {carol.tok()}})
	wantStatus(t, "carol revokes", status, http.StatusForbidden, "")
	if o, _ := h.Intel.Get(t.Context(), h.Actor("alice"), id); o.Revoked {
		t.Fatal("carol revoked mof's object")
	}

	bob := signIn(t, h, "bob") // the sharer's colleague
	status, body, resp := bob.post("/intel/"+id+"/revoke", url.Values{"csrf": {bob.token("/intel/"+id, "/intel/"+id+"/revoke")}})
	wantStatus(t, "bob revokes", status, http.StatusSeeOther, body)
	status, body, _ = bob.get(resp.Header.Get("Location"))
	wantStatus(t, "after revoke", status, http.StatusOK, body)
	wantContains(t, "after revoke", body, "失効させました", `<span class="badge warn">失効</span>`, `&#34;revoked&#34;: true`)
	if strings.Contains(body, `action="/intel/`+id+`/revoke"`) {
		t.Error("a revoked object still offers revocation")
	}
	// The first version stays readable from the versions list.
	m := regexp.MustCompile(`href="(/intel/` + id + `\?version=[^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the older version")
	}
	status, body, _ = bob.get(html.UnescapeString(m[1]))
	wantStatus(t, "old version", status, http.StatusOK, body)
	wantContains(t, "old version", body, "古い版を表示しています")
	if strings.Contains(body, `&#34;revoked&#34;: true`) {
		t.Error("the old version shows as revoked")
	}
	status, _, _ = bob.get("/intel/" + id + "?version=2000-01-01T00:00:00Z")
	wantStatus(t, "no such version", status, http.StatusNotFound, "")
}

// TestNoIntel runs the UI of a hub without an intelligence store: the
// pages and the search box do not exist.
func TestNoIntel(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	handler, _ := server.Handler(server.Services{Identity: h.Svc, Evidence: h.Evidence}, server.Options{Version: "test"})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	bare := *h
	bare.URL = srv.URL
	admin := signIn(t, &bare, "admin")
	_, body, _ := admin.get("/")
	for _, s := range []string{`href="/intel"`, `action="/search"`} {
		if strings.Contains(body, s) {
			t.Errorf("home page has %s", s)
		}
	}
	for _, p := range []string{"/intel", "/intel/new", "/search?value=1.2.3.4", "/intel/indicator--5f0e0d5e-1f57-4b53-9c7b-0d3c6f3b9a01"} {
		status, _, _ := admin.get(p)
		wantStatus(t, "GET "+p, status, http.StatusNotFound, "")
	}
}
