package httpapi_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// seedIncident reports a case with a task, an evidence file and a saved
// search, and returns their ids by the resource names the OpenAPI test
// uses.
func seedIncident(t *testing.T, h *hubtest.Hub) map[string]string {
	t.Helper()
	admin := h.Tokens["admin"]
	var in, task, ev, ss struct{ ID string }
	ok(t, h, req{as: admin, method: "POST", path: "/incidents", body: `{"title":"Seed","tlp":"amber"}`}, 201, &in)
	ok(t, h, req{as: admin, method: "POST", path: "/incidents/" + in.ID + "/tasks", body: `{"title":"Look","assignee_org":"ncc"}`}, 201, &task)
	ok(t, h, req{as: admin, method: "POST", path: "/incidents/" + in.ID + "/evidence?name=a.txt", body: `hello`}, 201, &ev)
	ok(t, h, req{as: admin, method: "POST", path: "/incident-searches", body: `{"name":"open","query":"status=triage"}`}, 201, &ss)
	return map[string]string{"incidents": in.ID, "incident-tasks": task.ID, "incident-evidence": ev.ID, "incident-searches": ss.ID}
}

// TestIncidentAcrossOrgs works a case between mof (owner) and isp-a
// (invited) and checks that carol of isp-a sees only what the TLPs allow,
// and that npa, never invited, reads nothing through any path: the case,
// its export in every format, its evidence, the list, the list export and
// its tasks.
func TestIncidentAcrossOrgs(t *testing.T) {
	h := hubtest.New(t)
	bob, carol, officer, admin := h.Tokens["bob"], h.Tokens["carol"], h.Tokens["officer"], h.Tokens["admin"]
	var in struct {
		ID, Ref  string
		Severity string
	}
	ok(t, h, req{as: bob, method: "POST", path: "/incidents", body: `{"title":"Ransomware at the tax office","summary":"files encrypted",
		"systems":["file server"],"tlp":"amber","impact":{"functional":1,"information":1,"recoverability":0}}`}, 201, &in)
	base := "/incidents/" + in.ID
	// npa may not invite itself, read, or work the case
	for _, q := range []req{
		{as: officer, method: "GET", path: base},
		{as: officer, method: "GET", path: base + "/export?format=stix"},
		{as: officer, method: "GET", path: base + "/export?format=csv"},
		{as: officer, method: "POST", path: base + "/entries", body: `{"body":"hi"}`},
		{as: officer, method: "POST", path: base + "/participants", body: `{"org":"npa","role":"lead"}`},
		{as: carol, method: "GET", path: base},
	} {
		if r := call(t, h, q); r.status != 404 {
			t.Errorf("%s %s as outsider: %d %s", q.method, q.path, r.status, r.body)
		}
	}
	ok(t, h, req{as: bob, method: "POST", path: base + "/participants", body: `{"org":"isp-a","role":"observer","reason":"upstream ISP"}`}, 200, nil)
	ok(t, h, req{as: bob, method: "POST", path: base + "/entries", body: `{"body":"shared note"}`}, 201, nil)
	ok(t, h, req{as: bob, method: "POST", path: base + "/entries", body: `{"body":"owner and responders only","tlp":"amber+strict"}`}, 201, nil)
	ok(t, h, req{as: bob, method: "POST", path: base + "/entries", body: `{"body":"for alice only","tlp":"red","users":["alice"]}`}, 201, nil)
	var ev struct{ ID string }
	ok(t, h, req{as: bob, method: "POST", path: base + "/evidence?name=strict.bin&tlp=amber%2Bstrict", body: "secret"}, 201, &ev)
	var task struct{ ID string }
	ok(t, h, req{as: bob, method: "POST", path: base + "/tasks", body: `{"title":"Block the C2","assignee_org":"isp-a"}`}, 201, &task)

	var view struct {
		Entries  []struct{ Body string }
		Evidence []struct{ ID string }
		Tasks    []struct{ ID string }
		Role     string
	}
	ok(t, h, req{as: carol, method: "GET", path: base}, 200, &view)
	if view.Role != "observer" || len(view.Tasks) != 1 || len(view.Evidence) != 0 {
		t.Errorf("carol's view: %+v", view)
	}
	for _, e := range view.Entries {
		if strings.Contains(e.Body, "only") {
			t.Errorf("carol reads %q", e.Body)
		}
	}
	for _, tok := range []string{carol, officer} {
		if r := call(t, h, req{as: tok, method: "GET", path: "/incident-evidence/" + ev.ID}); r.status != 404 {
			t.Errorf("evidence above the reader's TLP: %d", r.status)
		}
		for _, f := range []string{"json", "csv", "stix"} {
			r := call(t, h, req{as: tok, method: "GET", path: base + "/export?format=" + f})
			if bytes.Contains(r.body, []byte("only")) || bytes.Contains(r.body, []byte("strict.bin")) {
				t.Errorf("%s export leaks: %s", f, r.body)
			}
		}
	}
	// carol (assignee's organisation) may accept the task; officer may not see it
	ok(t, h, req{as: carol, method: "PATCH", path: "/incident-tasks/" + task.ID, body: `{"status":"accepted"}`}, 200, nil)
	if r := call(t, h, req{as: officer, method: "PATCH", path: "/incident-tasks/" + task.ID, body: `{"status":"done"}`}); r.status != 404 {
		t.Errorf("outsider changed a task: %d", r.status)
	}
	var page struct{ Items []struct{ ID string } }
	ok(t, h, req{as: officer, method: "GET", path: "/incidents"}, 200, &page)
	if len(page.Items) != 0 {
		t.Errorf("npa lists %d cases", len(page.Items))
	}
	if r := call(t, h, req{as: officer, method: "GET", path: "/incidents/export?format=csv"}); bytes.Contains(r.body, []byte(in.ID)) {
		t.Errorf("npa's CSV export lists the case")
	}
	// the national centre sees it without being invited
	ok(t, h, req{as: admin, method: "GET", path: "/incidents"}, 200, &page)
	if len(page.Items) != 1 {
		t.Errorf("ncc lists %d cases", len(page.Items))
	}
	// alice is named on the RED entry
	ok(t, h, req{as: h.Tokens["alice"], method: "GET", path: base}, 200, &view)
	found := false
	for _, e := range view.Entries {
		found = found || e.Body == "for alice only"
	}
	if !found {
		t.Error("alice does not see the RED entry naming her")
	}
}

// TestIncidentBadInput refuses each bad input with a problem naming the
// field.
func TestIncidentBadInput(t *testing.T) {
	h := hubtest.New(t)
	bob, carol := h.Tokens["bob"], h.Tokens["carol"]
	var in struct{ ID string }
	ok(t, h, req{as: bob, method: "POST", path: "/incidents", body: `{"title":"x","tlp":"amber"}`}, 201, &in)
	base := "/incidents/" + in.ID
	ok(t, h, req{as: bob, method: "POST", path: base + "/participants", body: `{"org":"isp-a","role":"observer"}`}, 200, nil)
	for _, tc := range []struct {
		q      req
		status int
		field  string
	}{
		{req{as: bob, method: "POST", path: "/incidents", body: `{"title":""}`}, 422, "title"},
		{req{as: bob, method: "POST", path: "/incidents", body: `{"title":"x","tlp":"purple"}`}, 422, "tlp"},
		{req{as: bob, method: "POST", path: "/incidents", body: `{"title":"x","impact":{"functional":9}}`}, 422, "impact"},
		{req{as: bob, method: "POST", path: "/incidents", body: `{"title":"x","observables":[{"type":"ipv4-addr","value":"999.1.1.1"}]}`}, 422, "observables[0]"},
		{req{as: bob, method: "POST", path: base + "/status", body: `{"status":"response","reason":"skip"}`}, 409, "status"},
		{req{as: bob, method: "POST", path: base + "/status", body: `{"status":"triage"}`}, 422, "reason"},
		{req{as: bob, method: "POST", path: base + "/entries", body: `{"body":"x","tlp":"green"}`}, 422, "tlp"},
		{req{as: bob, method: "POST", path: base + "/entries", body: `{"body":"x","tlp":"red"}`}, 422, "users"},
		{req{as: bob, method: "POST", path: base + "/tasks", body: `{"title":"x","assignee_org":"npa"}`}, 422, "assignee_org"},
		{req{as: bob, method: "POST", path: base + "/tasks", body: `{"title":"x","assignee_user":"officer"}`}, 422, "assignee_user"},
		{req{as: bob, method: "POST", path: base + "/tasks", body: `{"title":"go","assignee_org":"isp-a","dispatch":{"where":"HQ"}}`}, 422, "dispatch.meet"},
		{req{as: bob, method: "POST", path: base + "/evidence?name=..%2F..%2Fetc%2Fpasswd", body: "x"}, 422, "name"},
		{req{as: bob, method: "POST", path: base + "/evidence?name=big.bin", body: make([]byte, 1<<20+1)}, 413, "file"},
		{req{as: bob, method: "POST", path: base + "/severity", body: `{"severity":"severe"}`}, 422, "reason"},
		{req{as: bob, method: "POST", path: base + "/links", body: `{"kind":"indicator","ref":"not-an-id"}`}, 422, "ref"},
		{req{as: carol, method: "POST", path: base + "/entries", body: `{"body":"observer note"}`}, 403, ""},
		{req{as: carol, method: "POST", path: base + "/status", body: `{"status":"triage","reason":"x"}`}, 403, ""},
		{req{as: bob, method: "GET", path: "/incidents?status=bogus"}, 422, "status"},
		{req{as: bob, method: "POST", path: "/incident-searches", body: `{"name":"x","query":"severity=huge"}`}, 422, "severity"},
	} {
		r := call(t, h, tc.q)
		if r.status != tc.status || r.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s: %d %s, want %d", tc.q.method, tc.q.path, r.status, r.body, tc.status)
			continue
		}
		if tc.field != "" && !bytes.Contains(r.body, []byte(`"field": "`+tc.field+`"`)) {
			t.Errorf("%s %s: no field %s in %s", tc.q.method, tc.q.path, tc.field, r.body)
		}
	}
	// nothing half-written: the case has only the invitation entry
	var view struct{ Entries, Evidence, Tasks []any }
	ok(t, h, req{as: bob, method: "GET", path: base}, 200, &view)
	if len(view.Entries) != 1 || len(view.Evidence) != 0 || len(view.Tasks) != 0 {
		t.Errorf("refused input left traces: %+v", view)
	}
}

// TestIncidentEvidenceDownload checks the evidence is hashed, stored once
// and never served inline.
func TestIncidentEvidenceDownload(t *testing.T) {
	h := hubtest.New(t)
	bob := h.Tokens["bob"]
	var in struct{ ID string }
	ok(t, h, req{as: bob, method: "POST", path: "/incidents", body: `{"title":"x"}`}, 201, &in)
	var a, b, m struct {
		ID, SHA256 string
		Size       int64
	}
	body := "<html><script>alert(1)</script></html>"
	ok(t, h, req{as: bob, method: "POST", path: "/incidents/" + in.ID + "/evidence?name=page.html", body: body}, 201, &a)
	ok(t, h, req{as: bob, method: "POST", path: "/incidents/" + in.ID + "/evidence?name=copy.html", body: body}, 201, &b)
	ok(t, h, req{as: bob, method: "POST", path: "/incidents/" + in.ID + "/evidence?name=dropper.exe&malware=true", body: "MZ evil"}, 201, &m)
	sum := sha256.Sum256([]byte(body))
	if a.SHA256 != hex.EncodeToString(sum[:]) || a.SHA256 != b.SHA256 || a.Size != int64(len(body)) {
		t.Errorf("hashes %s %s", a.SHA256, b.SHA256)
	}
	r := ok(t, h, req{as: bob, method: "GET", path: "/incident-evidence/" + a.ID}, 200, nil)
	if r.header.Get("Content-Type") != "application/octet-stream" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") || string(r.body) != body {
		t.Errorf("served %q %q", r.header.Get("Content-Type"), r.header.Get("Content-Disposition"))
	}
	r = ok(t, h, req{as: bob, method: "GET", path: "/incident-evidence/" + m.ID}, 200, nil)
	zr, err := zip.NewReader(bytes.NewReader(r.body), int64(len(r.body)))
	if err != nil || zr.File[0].Flags&0x1 == 0 {
		t.Fatalf("malware not served as an encrypted zip: %v", err)
	}
	got, err := blobstore.ReadSample(r.body)
	if err != nil || string(got) != "MZ evil" || !strings.Contains(r.header.Get("Content-Disposition"), "dropper.exe.zip") {
		t.Errorf("zip holds %q; disposition %q", got, r.header.Get("Content-Disposition"))
	}
}
