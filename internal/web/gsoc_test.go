package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// TestGSOCView registers a sensor in the UI, has it send a hit, and reads
// the GSOC view and the alert page as the organisation, another one and
// the GSOC.
func TestGSOCView(t *testing.T) {
	h := hubtest.New(t)
	imported(t, h, "admin", "test", oneIndicator("indicator--00000000-0000-4000-8000-00000000a001", strings.Repeat("ab", 32), "2026-01-01T00:00:00Z", 90),
		intel.Sharing{TLP: policy.Green}, 1, 0)
	h.RefreshIndicators(t)

	bob := signIn(t, h, "bob")
	code, body, _ := bob.post("/gsoc/sensors", url.Values{"csrf": {bob.tok()}, "name": {"mof-proxy"}, "kind": {"proxy"}, "format": {"eve"}, "location": {"霞が関"}})
	wantStatus(t, "register sensor", code, http.StatusCreated, body)
	wantContains(t, "token shown once", body, monitor.TokenPrefix, "mof-proxy")
	i := strings.Index(body, monitor.TokenPrefix)
	tok := body[i : i+strings.IndexByte(body[i:], '<')]
	code, body, _ = bob.post("/gsoc/sensors", url.Values{"csrf": {bob.tok()}, "name": {""}, "format": {"eve"}, "kind": {"proxy"}})
	wantStatus(t, "bad sensor", code, http.StatusUnprocessableEntity, body)

	line := `{"timestamp":"` + time.Now().UTC().Format(time.RFC3339) + `","event_type":"fileinfo","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","fileinfo":{"sha256":"` + strings.Repeat("AB", 32) + `"}}`
	req, _ := http.NewRequest("POST", h.URL+"/api/v1/ingest", strings.NewReader(line+"\n{\"broken\n"))
	req.Header.Set("Authorization", "Bearer "+tok)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("ingest: %v %v", res.StatusCode, err)
	}
	res.Body.Close()

	code, body, _ = bob.get("/gsoc")
	wantStatus(t, "gsoc as bob", code, 200, body)
	wantContains(t, "bob's alerts", body, strings.Repeat("ab", 32), "mof-proxy", "霞が関", "形式不正: 1")
	// Rejection reasons are translated.
	code, body, _ = bob.post("/lang", url.Values{"csrf": {bob.tok()}, "lang": {"en"}, "next": {"/gsoc"}})
	if code >= 400 {
		t.Fatalf("lang: %d %s", code, body)
	}
	code, body, _ = bob.get("/gsoc")
	wantStatus(t, "gsoc in English", code, 200, body)
	wantContains(t, "reason in English", body, "malformed: 1")
	bob.post("/lang", url.Values{"csrf": {bob.tok()}, "lang": {"ja"}, "next": {"/gsoc"}})
	alerts, err := h.Monitor.Alerts(t.Context(), h.Actor("bob"), monitor.AlertFilter{})
	if err != nil || len(alerts) != 1 {
		t.Fatalf("alerts: %v %v", alerts, err)
	}
	code, body, _ = bob.get("/gsoc/alerts/" + alerts[0].ID)
	wantStatus(t, "alert page", code, 200, body)
	wantContains(t, "raw event", body, "fileinfo")
	// The kept batch is listed with its hash and downloads as stored.
	_, kept, err := h.Monitor.AlertEvidence(t.Context(), h.Actor("bob"), alerts[0].ID)
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept batches: %v %v", kept, err)
	}
	wantContains(t, "kept batch", body, kept[0].SHA256, "/gsoc/batches/"+kept[0].ID+"/raw")
	code, raw, res := bob.get("/gsoc/batches/" + kept[0].ID + "/raw")
	sum := sha256.Sum256([]byte(raw))
	if code != 200 || res.Header.Get("Content-Type") != "application/octet-stream" || hex.EncodeToString(sum[:]) != kept[0].SHA256 {
		t.Fatalf("download: %d %v", code, res.Header)
	}
	if lines, err := monitor.Unpack(nil, []byte(raw)); err != nil || !strings.Contains(string(lines), "fileinfo") {
		t.Fatalf("downloaded batch unpacks to %q, %v", lines, err)
	}

	carol := signIn(t, h, "carol")
	code, body, _ = carol.get("/gsoc")
	wantStatus(t, "gsoc as carol", code, 200, body)
	if strings.Contains(body, strings.Repeat("ab", 32)) || strings.Contains(body, "mof-proxy") {
		t.Error("carol sees mof's alert or sensor")
	}
	code, _, _ = carol.get("/gsoc/alerts/" + alerts[0].ID)
	if code != http.StatusNotFound {
		t.Errorf("carol opens mof's alert: %d", code)
	}
	if code, _, _ = carol.get("/gsoc/batches/" + kept[0].ID + "/raw"); code != http.StatusNotFound {
		t.Errorf("carol downloads mof's batch: %d", code)
	}
	code, body, _ = carol.post("/gsoc/sensors", url.Values{"csrf": {carol.tok()}, "org": {h.Orgs["mof"].ID}, "name": {"sneaky"}, "format": {"eve"}, "kind": {"nids"}})
	if code != http.StatusForbidden {
		t.Errorf("carol registers a sensor for mof: %d", code)
	}

	admin := signIn(t, h, "admin")
	code, body, _ = admin.get("/gsoc?org=" + h.Orgs["mof"].ID + "&kind=hash")
	wantStatus(t, "gsoc as admin", code, 200, body)
	wantContains(t, "the GSOC sees it", body, strings.Repeat("ab", 32))
}
