package web_test

import (
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/web"
)

// importForm is the import form filled in for a CSV file whose columns
// are value, comment and first seen.
func importForm(tok, format, tlp string) url.Values {
	return url.Values{"csrf": {tok}, "format": {format}, "type": {"auto"}, "delimiter": {"comma"},
		"column": {"1"}, "comment_column": {"2"}, "first_seen_column": {"3"}, "tlp": {tlp}}
}

// iocCSV has a header, one good row, a formula cell and a value that is
// no observable.
const iocCSV = "indicator,comment,first_seen\n" +
	"198.51.100.7,C2 server,2026-04-01\n" +
	"=cmd|' /C calc'!A0,formula,2026-04-01\n" +
	"not a value!,typo,2026-04-01\n"

// count returns the number an import page shows for what ("created", …).
func count(t *testing.T, body, what string) string {
	t.Helper()
	m := regexp.MustCompile(`<span id="n-` + what + `">(\d+)</span>`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count of %s in the page", what)
	}
	return m[1]
}

func wantCounts(t *testing.T, what, body string, want map[string]string) {
	t.Helper()
	for k, v := range want {
		if got := count(t, body, k); got != v {
			t.Errorf("%s: %s %s, want %s", what, k, got, v)
		}
	}
}

func TestImportCSV(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	carol := signIn(t, h, "carol") // English, isp-a
	status, body, _ := carol.get("/intel/import")
	wantStatus(t, "form", status, http.StatusOK, body)
	wantContains(t, "form", body, `enctype="multipart/form-data"`, "Up to 64 MiB", `name="tlp"`, "<legend>Communities</legend>",
		`name="orgs"`, `name="anonymous"`, `<option value="sha512">File hash (SHA-512)</option>`, `<option value="tab">Tab</option>`)

	status, body, _ = carol.upload("/intel/import", importForm(carol.token("/intel/import", "/intel/import"), "csv", "green"), "isp-a-iocs.csv", iocCSV)
	wantStatus(t, "import", status, http.StatusOK, body)
	wantCounts(t, "import", body, map[string]string{"read": "3", "created": "1", "sighted": "0", "skipped": "0", "rejected": "2"})
	wantContains(t, "reasons", section(t, body, "import-reasons"), `<code class="field-name">value</code>`,
		"would run as a spreadsheet formula", "Not an IP address, CIDR block, domain, URL, hash or e-mail address.")
	ex := section(t, body, "import-examples")
	wantContains(t, "examples", ex, `<td class="num">3</td>`, `<td class="num">4</td>`)
	wantContains(t, "result", body, "<code>import:isp-a-iocs.csv</code>", `href="/intel?source=import%3aisp-a-iocs.csv"`,
		"instead of a copy, a sighting by this source was recorded")
	res, err := h.Intel.Search(t.Context(), h.Actor("carol"), "198.51.100.7")
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("search after import: %d objects, %v", len(res.Objects), err)
	}
	if !strings.Contains(string(res.Objects[0].Raw), "C2 server") || !strings.Contains(string(res.Objects[0].Raw), "2026-04-01T00:00:00") {
		t.Errorf("comment or first seen not mapped: %s", res.Objects[0].Raw)
	}

	// The same file again: nothing new.
	status, body, _ = carol.upload("/intel/import", importForm(carol.tok(), "csv", "green"), "isp-a-iocs.csv", iocCSV)
	wantStatus(t, "again", status, http.StatusOK, body)
	wantCounts(t, "again", body, map[string]string{"created": "0", "skipped": "1", "rejected": "2"})

	// Another organisation's list names the value again: a sighting of
	// carol's indicator, not a copy.
	alice := signIn(t, h, "alice") // Japanese, mof
	f := url.Values{"csrf": {alice.token("/intel/import", "/intel/import")}, "format": {"plain"}, "type": {"auto"},
		"delimiter": {"comma"}, "tlp": {"green"}}
	status, body, _ = alice.upload("/intel/import", f, "mof-blocklist.txt", "# mof blocklist\n198.51.100.7\n")
	wantStatus(t, "alice's list", status, http.StatusOK, body)
	wantCounts(t, "alice's list", body, map[string]string{"created": "0", "sighted": "1", "rejected": "0"})
	wantContains(t, "alice's list", body, "取り込み結果", "観測として記録")
	res, err = h.Intel.Search(t.Context(), h.Actor("alice"), "198.51.100.7")
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("alice finds %d objects for the value (%v), want carol's indicator and no copy", len(res.Objects), err)
	}
	_, body, _ = alice.get("/intel/" + res.Objects[0].ID)
	wantContains(t, "sightings", section(t, body, "sightings-summary"), "<code>import:mof-blocklist.txt</code>")
}

func TestImportProblems(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	carol := signIn(t, h, "carol")

	// A file that is no STIX at all: 422 with the reason, nothing stored.
	status, body, _ := carol.upload("/intel/import", importForm(carol.token("/intel/import", "/intel/import"), "stix", "green"),
		"broken.json", "this is not JSON")
	wantStatus(t, "not json", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "not json", body, `id="e-file"`, "The file could not be used: not a STIX object or bundle")
	if strings.Contains(body, `id="import-partial"`) {
		t.Error("a file that stored nothing shows what was stored")
	}
	// A bundle broken half-way: what came before is stored, and said so.
	broken := `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` +
		indicator("indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", "Before the break", `[domain-name:value = 'before.example']`) +
		`,{"type":"indicator",`
	status, body, _ = carol.upload("/intel/import", importForm(carol.tok(), "auto", "green"), "broken-bundle.json", broken)
	wantStatus(t, "broken bundle", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "broken bundle", body, `id="e-file"`, "The file could not be used: ", "malformed JSON")
	i := strings.Index(body, `id="import-partial"`)
	if i < 0 {
		t.Fatal("the broken bundle's page does not say what was stored before the break")
	}
	wantCounts(t, "broken bundle", body[i:strings.Index(body, "</section>")], map[string]string{"read": "1", "created": "1"})

	// No form token: 403, and nothing stored.
	f := importForm("", "plain", "green")
	f.Del("csrf")
	status, _, _ = carol.upload("/intel/import", f, "list.txt", "csrf-less.example\n")
	wantStatus(t, "no token", status, http.StatusForbidden, "")
	f.Set("csrf", "forged")
	status, _, _ = carol.upload("/intel/import", f, "list.txt", "csrf-less.example\n")
	wantStatus(t, "forged token", status, http.StatusForbidden, "")
	if res, err := h.Intel.Search(t.Context(), h.Actor("admin"), "csrf-less.example"); err != nil || len(res.Objects) != 0 {
		t.Fatalf("a form without a token stored %d objects (%v)", len(res.Objects), err)
	}

	// Problems with the form come back next to their fields, the choices kept.
	f = importForm(carol.tok(), "csv", "red")
	f.Set("column", "0")
	f.Set("delimiter", "pipe")
	status, body, _ = carol.upload("/intel/import", f, "x.csv", "evil.example\n")
	wantStatus(t, "bad form", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad form", body, `id="e-column"`, "Give a column number from 1 to 1000", `id="e-delimiter"`,
		`value="2"`, `<option value="csv" selected>`)
	// TLP:RED without anyone named: the service says so, next to the people.
	status, body, _ = carol.upload("/intel/import", importForm(carol.tok(), "plain", "red"), "x.txt", "evil.example\n")
	wantStatus(t, "red without people", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "red without people", body, `id="e-users"`)
	// No file.
	status, body, _ = carol.post("/intel/import", importForm(carol.tok(), "plain", "green"))
	wantStatus(t, "no file", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "no file", body, `id="e-file"`)
	if res, _ := h.Intel.Search(t.Context(), h.Actor("admin"), "evil.example"); len(res.Objects) != 0 {
		t.Errorf("a rejected form stored %d objects", len(res.Objects))
	}
}

var plainLinkRE = regexp.MustCompile(`href="(/api/v1/export\?format=plain&amp;kind=ip)"`)

func TestExportPage(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	alice := signIn(t, h, "alice") // Japanese
	carol := signIn(t, h, "carol") // English
	status, body, _ := carol.upload("/intel/import", importForm(carol.token("/intel/import", "/intel/import"), "csv", "green"), "iocs.csv", iocCSV)
	wantStatus(t, "import", status, http.StatusOK, body)

	for _, c := range []struct {
		who  *client
		want []string
	}{
		{alice, []string{"脅威情報のエクスポート", "STIX 2.1 バンドル", "MISP フィード（JSON）", "ファイアウォール", "SIEM"}},
		{carol, []string{"Export intelligence", "STIX 2.1 bundle", "MISP feed (JSON)", "firewalls", "SIEMs", "other CTI tools"}},
	} {
		status, body, _ := c.who.get("/intel/export")
		wantStatus(t, "export page", status, http.StatusOK, body)
		wantContains(t, "export page", body, c.want...)
		wantContains(t, "export page", body, `href="/api/v1/export?format=stix"`, `href="/api/v1/export?format=misp"`,
			`href="/api/v1/export?format=csv"`)
		for _, kind := range []string{"ip", "domain", "url", "sha256", "md5", "sha1", "email"} {
			wantContains(t, "export page", body, `href="/api/v1/export?format=plain&amp;kind=`+kind+`"`)
		}
	}
	// The plain list the page links to, fetched with the session cookie.
	_, body, _ = alice.get("/intel/export")
	m := plainLinkRE.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no link to the plain list of addresses")
	}
	status, list, resp := alice.get(html.UnescapeString(m[1]))
	wantStatus(t, "plain list", status, http.StatusOK, list)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") || strings.TrimSpace(list) != "198.51.100.7" {
		t.Errorf("plain list: %q (%s), want the imported address", list, resp.Header.Get("Content-Type"))
	}

	// Both pages are reachable from the intelligence page and the home page.
	for _, p := range []string{"/intel", "/"} {
		_, body, _ := carol.get(p)
		wantContains(t, p, body, `href="/intel/import"`, `href="/intel/export"`)
	}
}

// TestImportTooLarge sends a file over the form's limit: 413, with the
// message, and nothing stored.
func TestImportTooLarge(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("sends 64 MiB; skipped in -short mode")
	}
	h := hubtest.New(t)
	carol := signIn(t, h, "carol")
	big := strings.Repeat("toolarge.example\n", web.MaxImportForm/17+1)
	status, body, _ := carol.upload("/intel/import", importForm(carol.token("/intel/import", "/intel/import"), "plain", "green"), "big.txt", big)
	wantStatus(t, "too large", status, http.StatusRequestEntityTooLarge, body)
	wantContains(t, "too large", body, "The form is larger than this page accepts")
	if res, _ := h.Intel.Search(t.Context(), h.Actor("admin"), "toolarge.example"); len(res.Objects) != 0 {
		t.Errorf("an upload over the limit stored %d objects", len(res.Objects))
	}
}
