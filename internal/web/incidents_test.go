package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// TestIncidentPages reports an incident from pasted text through the UI,
// works it, and checks the list, the board, the printable report, and that
// carol's organisation, not invited, cannot open the case, its report, its
// exports or its evidence.
func TestIncidentPages(t *testing.T) {
	h := hubtest.New(t)
	bob := signIn(t, h, "bob")
	text := "件名: 財務システムへの不正ログイン\nTLP: AMBER\n発生日時: 2026-11-20 09:30\n攻撃元 198.51.100[.]23 から hxxps://phish.example[.]com/login へ誘導"
	status, parsed, _ := bob.post("/incidents/new", url.Values{"csrf": {bob.token("/incidents/new", "/incidents/new")}, "text": {text}, "action": {"parse"}})
	wantStatus(t, "parse", status, http.StatusOK, parsed)
	wantContains(t, "parsed form", parsed, `value="財務システムへの不正ログイン"`, `value="198.51.100.23"`,
		`value="https://phish.example.com/login"`, `value="2026-11-20T09:30"`)
	v := url.Values{"csrf": {bob.token("/incidents/new", "/incidents/new")}, "action": {"report"}, "title": {"財務システムへの不正ログイン"},
		"tlp": {"amber"}, "functional": {"2"}, "information": {"1"}, "recoverability": {"1"}, "obs.type": {"ipv4-addr"}, "obs.value": {"198.51.100.23"}}
	status, body, resp := bob.post("/incidents/new", v)
	wantStatus(t, "report", status, http.StatusSeeOther, body)
	loc := resp.Header.Get("Location")
	status, casePage, _ := bob.get(loc)
	wantStatus(t, "case page", status, http.StatusOK, casePage)
	wantContains(t, "case page", casePage, "財務システムへの不正ログイン", "198.51.100.23", `id="timeline"`, "機能への影響")

	status, body, _ = bob.post(loc+"/entries", url.Values{"csrf": {bob.token(loc, loc+"/entries")}, "body": {"ログを確認中"}, "kind": {"note"}})
	wantStatus(t, "add entry", status, http.StatusSeeOther, body)
	status, body, _ = bob.post(loc+"/status", url.Values{"csrf": {bob.token(loc, loc+"/status")}, "status": {"response"}, "reason": {"skip"}})
	wantStatus(t, "skipping triage", status, http.StatusConflict, body)
	status, body, _ = bob.upload(loc+"/evidence", url.Values{"csrf": {bob.token(loc, loc+"/evidence")}}, "access.log", "GET /login 200")
	wantStatus(t, "upload", status, http.StatusSeeOther, body)
	status, body, _ = bob.upload(loc+"/evidence", url.Values{"csrf": {bob.token(loc, loc+"/evidence")}}, "../../etc/passwd", "x")
	if status == http.StatusSeeOther {
		// multipart strips directories from file names; the stored name must be plain
		_, cp, _ := bob.get(loc)
		if strings.Contains(cp, "../") {
			t.Error("a path was stored as a file name")
		}
	}

	_, list, _ := bob.get("/incidents?status=reported")
	wantContains(t, "list", list, "財務システム", "saved-searches")
	_, board, _ := bob.get("/incidents/board")
	wantContains(t, "board", board, "incident-board", "財務システム")
	_, report, _ := bob.get(loc + "/report")
	wantContains(t, "report", report, "ログを確認中", "incident.css", "access.log")
	_, cp, _ := bob.get(loc)
	evLink := cp[strings.Index(cp, `href="/incident-evidence/`)+6:]
	evLink = evLink[:strings.Index(evLink, `"`)]
	status, file, fresp := bob.get(evLink)
	if status != 200 || file != "GET /login 200" || fresp.Header.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(fresp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %q %v", status, file, fresp.Header)
	}

	carol := signIn(t, h, "carol")
	for _, p := range []string{loc, loc + "/report", loc + "/export?format=json", loc + "/export?format=stix", loc + "/export?format=csv", evLink} {
		status, body, _ := carol.get(p)
		if status != http.StatusNotFound || strings.Contains(body, "財務システム") || strings.Contains(body, "GET /login") {
			t.Errorf("carol GET %s: %d", p, status)
		}
	}
	status, body, _ = carol.post(loc+"/entries", url.Values{"csrf": {carol.tok()}, "body": {"x"}})
	if status != http.StatusNotFound {
		t.Errorf("carol wrote to the case: %d", status)
	}
	_, clist, _ := carol.get("/incidents")
	if strings.Contains(clist, "財務システム") {
		t.Error("carol's list shows the case")
	}
	// the national centre sees it without being invited
	admin := signIn(t, h, "admin")
	_, alist, _ := admin.get("/incidents")
	wantContains(t, "admin list", alist, "財務システム")
}
