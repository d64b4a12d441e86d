package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

type alertList struct{ Items []monitor.Alert }

func indicator(n int, pattern string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","name":"ind %d","pattern":%q,"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","confidence":90}`, n, n, pattern)
}

func eve(at time.Time, extra string) string {
	return `{"timestamp":"` + at.UTC().Format(time.RFC3339Nano) + `",` + extra + `}`
}

func addSensor(t *testing.T, h *hubtest.Hub, as, body string) (monitor.Sensor, string) {
	t.Helper()
	var s struct {
		Sensor monitor.Sensor
		Token  string
	}
	ok(t, h, req{as: as, method: "POST", path: "/sensors", body: body}, 201, &s)
	if !strings.HasPrefix(s.Token, monitor.TokenPrefix) {
		t.Fatalf("token %q", s.Token)
	}
	return s.Sensor, s.Token
}

// TestMonitorEndToEnd shares indicators with different audiences, has two
// organisations' sensors send traffic, and reads alerts, sensors and raw
// events back as every kind of reader through every path.
func TestMonitorEndToEnd(t *testing.T) {
	h := hubtest.New(t)
	admin, bob, carol, alice := h.Tokens["admin"], h.Tokens["bob"], h.Tokens["carol"], h.Tokens["alice"]
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=green", body: indicator(1, "[ipv4-addr:value = '198.51.100.7']")}, 201, nil)
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=green", body: indicator(2, "[ipv4-addr:value = '203.0.113.0/24']")}, 201, nil)
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=amber%2Bstrict&org=isp-a", body: indicator(3, "[domain-name:value = 'evil.example']")}, 201, nil)
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=green", body: indicator(4, "[network-traffic:dst_port = 4444 AND network-traffic:dst_ref.value = '192.0.2.50']")}, 201, nil)
	h.RefreshIndicators(t)
	if n := h.Indicators.Current().Len(); n != 4 {
		t.Fatalf("matcher holds %d indicators", n)
	}

	mofSensor, mofTok := addSensor(t, h, bob, `{"name":"mof-edge","kind":"nids","location":"Tokyo DC","format":"eve"}`)
	ispSensor, ispTok := addSensor(t, h, carol, `{"name":"isp-resolver","kind":"dns","format":"eve"}`)
	// Registering for another organisation is refused; so is a bad sensor.
	ok(t, h, req{as: bob, method: "POST", path: "/sensors", body: `{"org":"isp-a","name":"x","format":"eve"}`}, 403, nil)
	ok(t, h, req{as: bob, method: "POST", path: "/sensors", body: `{"name":"mof-edge","format":"eve"}`}, 409, nil)
	ok(t, h, req{as: bob, method: "POST", path: "/sensors", body: `{"name":"","format":"pcap","kind":"toaster"}`}, 422, nil)
	ok(t, h, req{as: bob, method: "POST", path: "/sensors", body: `{"name":"j","format":"json"}`}, 422, nil)

	now := time.Now().UTC()
	mofBody := strings.Join([]string{
		eve(now, `"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP"`),
		eve(now.Add(time.Second), `"event_type":"alert","src_ip":"10.0.0.2","dest_ip":"198.51.100.7","alert":{"signature":"x","severity":1}`),
		eve(now, `"event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","dns":{"rrname":"www.evil.example"}`),
		eve(now, `"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"203.0.113.9"`),
		eve(now, `"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"192.0.2.50","dest_port":4444,"proto":"TCP"`),
		`{"timestamp":"2026-11-01T00:00:00Z","event_type":"dns","src_ip":"10.`, // truncated
		eve(now.Add(48*time.Hour), `"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.7"`),
		"\xff\xfe not json",
	}, "\n") + "\n"
	var rc monitor.Receipt
	ok(t, h, req{as: mofTok, method: "POST", path: "/ingest", body: mofBody, ctype: "application/x-ndjson"}, 202, &rc)
	if !rc.Accepted || rc.Lines != 8 || len(rc.Batches) != 1 {
		t.Fatalf("receipt %+v", rc)
	}
	// The same batch again (a resend) is counted once.
	ok(t, h, req{as: mofTok, method: "POST", path: "/ingest", body: mofBody}, 202, nil)
	// gzip, from the other organisation.
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte(eve(now, `"event_type":"dns","src_ip":"10.1.0.1","dest_ip":"10.1.0.53","dns":{"rrname":"a.b.evil.example"}`) + "\n"))
	z.Close()
	r := call(t, h, req{as: ispTok, method: "POST", path: "/ingest", body: gz.Bytes(), ctype: "application/x-ndjson"})
	if r.status != 202 {
		t.Fatalf("plain call of gzip without the header: %d", r.status)
	}
	// (Without Content-Encoding the gzip bytes are lines that do not parse.)

	var all, mine, theirs alertList
	ok(t, h, req{as: admin, method: "GET", path: "/alerts"}, 200, &all)
	ok(t, h, req{as: bob, method: "GET", path: "/alerts"}, 200, &mine)
	ok(t, h, req{as: carol, method: "GET", path: "/alerts"}, 200, &theirs)
	kinds := func(l alertList) map[string]monitor.Alert {
		m := map[string]monitor.Alert{}
		for _, a := range l.Items {
			m[a.Kind+" "+a.Value] = a
		}
		return m
	}
	mk := kinds(mine)
	if len(mine.Items) != 3 || mk["ip 198.51.100.7"].Count != 2 || mk["ip 203.0.113.0/24"].Count != 1 || mk["pattern [network-traffic:dst_port = 4444 AND network-traffic:dst_ref.value = '192.0.2.50']"].Count != 1 {
		t.Fatalf("mof's alerts: %+v", mk)
	}
	if a := mk["ip 198.51.100.7"]; a.Severity != 1 || a.OrgID != h.Orgs["mof"].ID || a.SensorID != mofSensor.ID {
		t.Errorf("alert %+v", a)
	}
	if len(theirs.Items) != 0 || len(all.Items) != 3 {
		t.Fatalf("isp-a sees %d, the GSOC %d", len(theirs.Items), len(all.Items))
	}
	// The hit is a sighting of the indicator: its author sees it counted,
	// another organisation does not.
	ind1 := "indicator--00000000-0000-4000-8000-000000000001"
	if sg, err := h.Intel.Sightings(t.Context(), h.Actor("admin"), ind1); err != nil || sg.Sightings != 1 || sg.Count != 2 {
		t.Errorf("sightings for the author: %+v %v", sg, err)
	}
	if sg, err := h.Intel.Sightings(t.Context(), h.Actor("carol"), ind1); err != nil || sg.Sightings != 0 {
		t.Errorf("sightings for isp-a: %+v %v", sg, err)
	}

	// The isp-a sensor sends the domain properly now; mof's traffic to the
	// same domain made no alert: mof may not see that indicator.
	var gz2 bytes.Buffer
	z = gzip.NewWriter(&gz2)
	z.Write([]byte(eve(now, `"event_type":"dns","src_ip":"10.1.0.1","dest_ip":"10.1.0.53","dns":{"rrname":"a.b.evil.example"}`) + "\n"))
	z.Close()
	rq := req{as: ispTok, method: "POST", path: "/ingest", body: gz2.Bytes()}
	res := callWith(t, h, rq, map[string]string{"Content-Encoding": "gzip"})
	if res.status != 202 {
		t.Fatalf("gzip ingest: %d %s", res.status, res.body)
	}
	ok(t, h, req{as: carol, method: "GET", path: "/alerts"}, 200, &theirs)
	if len(theirs.Items) != 1 || theirs.Items[0].Value != "evil.example" || theirs.Items[0].Observed != "a.b.evil.example" {
		t.Fatalf("isp-a alerts: %+v", theirs.Items)
	}
	ispAlert := theirs.Items[0]
	mofAlert := mk["ip 198.51.100.7"]

	// Cross-organisation reads through every path.
	for _, c := range []struct {
		as, path string
		want     int
	}{
		{bob, "/alerts/" + ispAlert.ID, 404},
		{bob, "/alerts/" + ispAlert.ID + "/events", 404},
		{carol, "/alerts/" + mofAlert.ID, 404},
		{carol, "/alerts/" + mofAlert.ID + "/events", 404},
		{carol, "/sensors/" + mofSensor.ID, 404},
		{bob, "/sensors/" + ispSensor.ID, 404},
		{alice, "/alerts/" + mofAlert.ID, 200},
		{admin, "/alerts/" + ispAlert.ID, 200},
		{admin, "/sensors/" + mofSensor.ID, 200},
		{mofTok, "/alerts", 401}, // a sensor token reads nothing
		{"", "/alerts", 401},
	} {
		if r := call(t, h, req{as: c.as, method: "GET", path: c.path}); r.status != c.want {
			t.Errorf("GET %s: %d, want %d", c.path, r.status, c.want)
		}
	}
	var filtered alertList
	ok(t, h, req{as: bob, method: "GET", path: "/alerts?org=isp-a"}, 200, &filtered)
	if len(filtered.Items) != 0 {
		t.Errorf("bob filtered by isp-a sees %d", len(filtered.Items))
	}
	ok(t, h, req{as: admin, method: "GET", path: "/alerts?org=isp-a"}, 200, &filtered)
	if len(filtered.Items) != 1 {
		t.Errorf("admin filtered by isp-a sees %d", len(filtered.Items))
	}
	ok(t, h, req{as: admin, method: "GET", path: "/alerts?kind=ip&severity=1"}, 200, &filtered)
	if len(filtered.Items) != 1 {
		t.Errorf("kind and severity filter: %d", len(filtered.Items))
	}
	ok(t, h, req{as: admin, method: "GET", path: "/alerts?severity=9"}, 422, nil)
	ok(t, h, req{as: admin, method: "GET", path: "/alerts?since=yesterday"}, 422, nil)
	var sensors struct{ Items []monitor.Sensor }
	ok(t, h, req{as: carol, method: "GET", path: "/sensors"}, 200, &sensors)
	if len(sensors.Items) != 1 || sensors.Items[0].ID != ispSensor.ID {
		t.Errorf("carol's sensors: %+v", sensors.Items)
	}
	var top struct{ Items []monitor.TopIndicator }
	ok(t, h, req{as: carol, method: "GET", path: "/top-indicators"}, 200, &top)
	if len(top.Items) != 1 || top.Items[0].Value != "evil.example" {
		t.Errorf("carol's top: %+v", top.Items)
	}

	// Raw events behind an alert.
	var raw struct{ Items []string }
	ok(t, h, req{as: bob, method: "GET", path: "/alerts/" + mofAlert.ID + "/events"}, 200, &raw)
	if len(raw.Items) != 3 { // two accepted, and the one from the future that was refused
		t.Errorf("raw events: %q", raw.Items)
	}

	// The kept batch itself, for evidence: as stored, an attachment whose
	// SHA-256 is the one in its audit record (which the ledger anchors);
	// the other organisation gets 404, the GSOC gets it.
	rawPath := "/batches/" + rc.Batches[0] + "/raw"
	got := call(t, h, req{as: bob, method: "GET", path: rawPath})
	sum := sha256.Sum256(got.body)
	if got.status != 200 || got.header.Get("Content-Type") != "application/octet-stream" || got.header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
		t.Fatalf("raw batch: %d %v", got.status, got.header)
	}
	if lines, err := monitor.Unpack(nil, got.body); err != nil || string(lines) != mofBody {
		t.Fatalf("raw batch unpacks to %q, %v", lines, err)
	}
	recs, err := h.DB.ListAudit(t.Context(), audit.Filter{Action: "monitor.batch", ObjectID: rc.Batches[0]})
	if err != nil || len(recs) != 1 || !strings.Contains(string(recs[0].Detail), `"raw_sha256":"`+hex.EncodeToString(sum[:])+`"`) {
		t.Fatalf("batch audit record: %+v %v", recs, err)
	}
	ok(t, h, req{as: carol, method: "GET", path: rawPath}, 404, nil)
	ok(t, h, req{as: admin, method: "GET", path: rawPath}, 200, nil)
	ok(t, h, req{as: bob, method: "GET", path: "/batches/nope/raw"}, 404, nil)

	// Sensor health: events, rejected lines by reason.
	var s monitor.Sensor
	ok(t, h, req{as: bob, method: "GET", path: "/sensors/" + mofSensor.ID}, 200, &s)
	if s.Health.Events != 5 || s.Health.Rejected != 3 || s.Health.Reasons["malformed"] != 2 || s.Health.Reasons["in the future"] != 1 || s.Health.LastEventAt == nil || s.Health.LastError == "" {
		t.Errorf("health %+v", s.Health)
	}

	// Escalation by hand: the alert opens (or joins) an incident that the
	// alerted organisation works and others do not see.
	ok(t, h, req{as: carol, method: "POST", path: "/alerts/" + mofAlert.ID + "/escalate"}, 404, nil)
	var esc monitor.Alert
	ok(t, h, req{as: bob, method: "POST", path: "/alerts/" + mofAlert.ID + "/escalate"}, 200, &esc)
	if esc.Incident == "" {
		t.Fatalf("escalated alert without an incident: %+v", esc)
	}
	var again monitor.Alert
	ok(t, h, req{as: bob, method: "POST", path: "/alerts/" + mofAlert.ID + "/escalate"}, 200, &again)
	if again.Incident != esc.Incident {
		t.Errorf("escalating again opened %s, want %s", again.Incident, esc.Incident)
	}
	ok(t, h, req{as: bob, method: "GET", path: "/incidents/" + esc.Incident}, 200, nil)
	ok(t, h, req{as: carol, method: "GET", path: "/incidents/" + esc.Incident}, 404, nil)
}

func callWith(t *testing.T, h *hubtest.Hub, q req, headers map[string]string) resp {
	t.Helper()
	return callHeaders(t, h, q, headers)
}

// TestIngestBadInput sends what a broken or hostile sender might.
func TestIngestBadInput(t *testing.T) {
	h := hubtest.New(t)
	s, tok := addSensor(t, h, h.Tokens["bob"], `{"name":"edge","format":"eve"}`)
	now := time.Now().UTC()
	good := eve(now, `"event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2"`)
	tests := []struct {
		name    string
		as      string
		body    []byte
		headers map[string]string
		want    int
	}{
		{"no token", "", []byte(good), nil, 401},
		{"a person's API token", h.Tokens["bob"], []byte(good), nil, 401},
		{"unknown sensor token", monitor.TokenPrefix + "nope", []byte(good), nil, 401},
		{"not gzip", tok, []byte("plain"), map[string]string{"Content-Encoding": "gzip"}, 400},
		{"unknown encoding", tok, []byte(good), map[string]string{"Content-Encoding": "br"}, 415},
		{"too large", tok, bytes.Repeat([]byte(good+"\n"), 16<<20/len(good)+10), nil, 413},
		{"long idempotency key", tok, []byte(good), map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}, 422},
		{"a 10 MB line among good ones", tok, []byte(good + "\n" + `{"x":"` + strings.Repeat("a", 10<<20) + `"}` + "\n" + good + "x\n" + good), nil, 202},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := callHeaders(t, h, req{as: tc.as, method: "POST", path: "/ingest", body: tc.body, ctype: "application/x-ndjson"}, tc.headers)
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %.300s", r.status, tc.want, r.body)
			}
			if r.status >= 400 && !strings.Contains(r.header.Get("Content-Type"), "problem+json") {
				t.Errorf("error as %s", r.header.Get("Content-Type"))
			}
		})
	}
	var got monitor.Sensor
	ok(t, h, req{as: h.Tokens["bob"], method: "GET", path: "/sensors/" + s.ID}, 200, &got)
	if got.Health.Events != 2 || got.Health.Rejected != 2 || got.Health.Reasons["too long"] != 1 || got.Health.Reasons["malformed"] != 1 {
		t.Errorf("health after the 10 MB line: %+v", got.Health)
	}
}

// TestIngestFormats sends each format the hub reads to a sensor of that
// format and checks that the indicator is hit.
func TestIngestFormats(t *testing.T) {
	h := hubtest.New(t)
	admin, bob := h.Tokens["admin"], h.Tokens["bob"]
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=clear", body: indicator(7, "[ipv4-addr:value = '203.0.113.77']")}, 201, nil)
	h.RefreshIndicators(t)
	now := time.Now().UTC()
	tests := []struct {
		name, sensor, body string
	}{
		{"zeek tsv", `{"name":"zeek-tsv","format":"zeek"}`, "#separator \\x09\n#fields\tts\tid.orig_h\tid.resp_h\n" + fmt.Sprintf("%d.5\t10.0.0.1\t203.0.113.77\n", now.Unix())},
		{"zeek json", `{"name":"zeek-json","format":"zeek"}`, fmt.Sprintf(`{"_path":"conn","ts":"%s","id.orig_h":"10.0.0.1","id.resp_h":"203.0.113.77"}`+"\n", now.Format(time.RFC3339))},
		{"syslog", `{"name":"fw","format":"syslog","kind":"firewall"}`, fmt.Sprintf("<34>1 %s fw kernel - - - DROP SRC=10.0.0.1 DST=203.0.113.77\n", now.Format(time.RFC3339))},
		{"cef", `{"name":"proxy","format":"cef","kind":"proxy"}`, fmt.Sprintf("CEF:0|V|P|1|100|Blocked|5|rt=%d src=10.0.0.1 dst=203.0.113.77\n", now.UnixMilli())},
		{"mapped json", `{"name":"edr","format":"json","kind":"edr","mapping":{"time":"@timestamp","src_ip":"source.ip","dst_ip":"destination.ip"}}`,
			fmt.Sprintf(`{"@timestamp":"%s","source":{"ip":"10.0.0.1"},"destination":{"ip":"203.0.113.77"}}`+"\n", now.Format(time.RFC3339))},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, tok := addSensor(t, h, bob, tc.sensor)
			ok(t, h, req{as: tok, method: "POST", path: "/ingest", body: tc.body}, 202, nil)
			var got monitor.Sensor
			ok(t, h, req{as: bob, method: "GET", path: "/sensors/" + s.ID}, 200, &got)
			if got.Health.Events != 1 || got.Health.Rejected != 0 {
				t.Fatalf("health %+v", got.Health)
			}
			// Every sensor's hit joins the organisation's one alert.
			var al alertList
			ok(t, h, req{as: bob, method: "GET", path: "/alerts"}, 200, &al)
			if len(al.Items) != 1 || al.Items[0].Value != "203.0.113.77" || al.Items[0].Count != int64(i+1) {
				t.Fatalf("alerts %+v", al.Items)
			}
		})
	}
}
