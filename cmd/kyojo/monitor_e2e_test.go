package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// lastLine returns the last non-empty line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// monitoredOrg sets up an organisation with a person's token, a sensor
// and indicators, through the CLI; it returns the sensor's id and token
// and the person's token.
func monitoredOrg(t *testing.T, data string) (sensorID, sensorTok, userTok string) {
	t.Helper()
	kyojo(t, "", "org", "add", "--data", data, "--slug", "kumo", "--name", "Kumo Agency", "--kind", "government")
	kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "ana", "--org", "kumo", "--role", "analyst", "--password-stdin")
	userTok = lastLine(kyojo(t, "", "token", "create", "--data", data, "--user", "ana", "--scope", "write"))
	list := filepath.Join(t.TempDir(), "block.txt")
	os.WriteFile(list, []byte("198.51.100.7\n24.244.4.23\nwww.google.com\n"), 0o600)
	kyojo(t, "", "import", "--data", data, "--org", "kumo", "--tlp", "green", list)
	out := kyojo(t, "", "sensor", "add", "--data", data, "--org", "kumo", "--name", "edge", "--kind", "nids", "--location", "Tokyo", "--format", "eve")
	sensorTok = lastLine(out)
	if !strings.HasPrefix(sensorTok, "kyojo-sensor_") {
		t.Fatalf("sensor add did not end with the token: %q", out)
	}
	var ss []struct{ ID string }
	json.Unmarshal([]byte(kyojo(t, "", "sensor", "list", "--data", data, "--json")), &ss)
	if len(ss) != 1 {
		t.Fatalf("sensor list: %v", ss)
	}
	return ss[0].ID, sensorTok, userTok
}

// TestIngestCLI reads the real Suricata EVE file with kyojo ingest: the
// indicators imported match, and reading the file again counts nothing.
func TestIngestCLI(t *testing.T) {
	data := t.TempDir()
	id, _, _ := monitoredOrg(t, data)
	eve := filepath.Join("..", "..", "internal", "monitor", "parse", "testdata", "suricata", "tls-fingerprint-alert.eve.json")
	out := kyojo(t, "", "ingest", "--data", data, "--event-max-age", "100000h", "--sensor", id, eve)
	if !strings.Contains(out, "events 2, rejected 0") || !strings.Contains(out, "ip 24.244.4.23 seen 2 times") || !strings.Contains(out, "domain www.google.com seen 2 times") {
		t.Fatalf("ingest: %s", out)
	}
	if out := kyojo(t, "", "ingest", "--data", data, "--event-max-age", "100000h", "--sensor", id, eve); !strings.Contains(out, "events 0, rejected 0") {
		t.Fatalf("second ingest counted again: %s", out)
	}
	// With the default age limit the 2016 events are refused, and counted.
	if out := kyojo(t, "", "ingest", "--data", data, "--sensor", id, filepath.Join(filepath.Dir(eve), "alert-testmyids.eve.json")); !strings.Contains(out, "events 0, rejected 1") {
		t.Fatalf("old events: %s", out)
	}

	// The alerts, the raw lines behind one and its kept batch, as ana.
	var alerts []struct{ ID, Value string }
	if err := json.Unmarshal([]byte(kyojo(t, "", "alert", "list", "--data", data, "--user", "ana", "--json")), &alerts); err != nil || len(alerts) != 2 {
		t.Fatalf("alert list: %v %v", alerts, err)
	}
	if out := kyojo(t, "", "alert", "list", "--data", data, "--user", "ana", "--since", "100000h", "--severity", "4"); !strings.Contains(out, "24.244.4.23") || !strings.Contains(out, "www.google.com") {
		t.Fatalf("alert list table: %s", out)
	}
	var shown struct {
		Events  []string
		Batches []struct {
			ID     string
			SHA256 string
		}
	}
	if err := json.Unmarshal([]byte(kyojo(t, "", "alert", "show", "--data", data, "--user", "ana", "--json", alerts[0].ID)), &shown); err != nil ||
		len(shown.Events) != 2 || len(shown.Batches) != 1 || !strings.Contains(shown.Events[0], alerts[0].Value) {
		t.Fatalf("alert show: %+v %v", shown, err)
	}
	raw := kyojo(t, "", "alert", "batch", "--data", data, "--user", "ana", shown.Batches[0].ID)
	if sum := sha256.Sum256([]byte(raw)); hex.EncodeToString(sum[:]) != shown.Batches[0].SHA256 {
		t.Fatal("the kept batch does not hash to what the alert lists (and the audit record holds)")
	}
	// ana sends one to an incident by hand (the national centre exists to
	// see every incident).
	kyojo(t, "", "org", "add", "--data", data, "--slug", "ncc", "--name", "National Centre", "--kind", "government", "--tier", "1")
	if out := kyojo(t, "", "alert", "escalate", "--data", data, "--user", "ana", alerts[1].ID); !strings.Contains(out, "is in incident ") {
		t.Fatalf("alert escalate: %s", out)
	}
	if out := kyojo(t, "", "incident", "list", "--data", data, "--user", "ana"); !strings.Contains(out, "GSOC alert: ") {
		t.Fatalf("no incident after escalating: %s", out)
	}
	// Someone of another organisation sees none of it.
	kyojo(t, "", "org", "add", "--data", data, "--slug", "other", "--name", "Other Agency", "--kind", "government")
	kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "oto", "--org", "other", "--role", "analyst", "--password-stdin")
	if out := kyojo(t, "", "alert", "list", "--data", data, "--user", "oto", "--json"); strings.TrimSpace(out) != "[]" && strings.TrimSpace(out) != "null" {
		t.Fatalf("another organisation lists: %s", out)
	}
	for _, args := range [][]string{{"show", alerts[0].ID}, {"batch", shown.Batches[0].ID}, {"escalate", alerts[0].ID}} {
		cmd := exec.Command(binary, append([]string{"alert", args[0], "--data", data, "--user", "oto"}, args[1])...)
		if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "no such") {
			t.Fatalf("alert %s as another organisation: %v %s", args[0], err, out)
		}
	}
}

type health struct {
	Health struct{ Events, Rejected int64 }
}

func sensorHealth(t *testing.T, url, tok, id string) health {
	t.Helper()
	code, body := get(t, url+"/api/v1/sensors/"+id, tok)
	var h health
	if code != 200 || json.Unmarshal(body, &h) != nil {
		t.Fatalf("sensor: %d %s", code, body)
	}
	return h
}

func alertCount(t *testing.T, url, tok string) int64 {
	t.Helper()
	code, body := get(t, url+"/api/v1/alerts", tok)
	var l struct{ Items []struct{ Count int64 } }
	if code != 200 || json.Unmarshal(body, &l) != nil {
		t.Fatalf("alerts: %d %s", code, body)
	}
	var n int64
	for _, a := range l.Items {
		n += a.Count
	}
	return n
}

// waitSettled waits until the sensor's event count stops moving.
func waitSettled(t *testing.T, url, tok, id string) int64 {
	t.Helper()
	last, same := int64(-1), 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		n := sensorHealth(t, url, tok, id).Health.Events
		if n == last {
			if same++; same >= 5 {
				return n
			}
		} else {
			last, same = n, 0
		}
	}
	t.Fatal("processing did not settle")
	return 0
}

// TestCrashExactlyOnce streams batches into kyojo serve (embedded NATS),
// kills the process with SIGKILL while events stream, restarts it, and
// checks that every acknowledged event was processed, then that resending
// every batch counts none twice.
func TestCrashExactlyOnce(t *testing.T) {
	data := t.TempDir()
	id, sensorTok, userTok := monitoredOrg(t, data)
	const perBatch = 200
	batch := func(i int) string {
		var b strings.Builder
		at := time.Now().UTC().Format(time.RFC3339Nano)
		for j := range perBatch {
			fmt.Fprintf(&b, `{"timestamp":"%s","event_type":"flow","src_ip":"10.0.%d.%d","src_port":%d,"dest_ip":"198.51.100.7","dest_port":443,"proto":"TCP"}`+"\n", at, i%250, j%250, 1024+i)
		}
		return b.String()
	}
	bodies := map[int]string{}
	post := func(url string, i int) (int, error) {
		req, _ := http.NewRequest("POST", url+"/api/v1/ingest", strings.NewReader(bodies[i]))
		req.Header.Set("Authorization", "Bearer "+sensorTok)
		req.Header.Set("Idempotency-Key", fmt.Sprintf("batch-%d", i))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		res.Body.Close()
		return res.StatusCode, nil
	}

	h := serve(t, data)
	var ackedN atomic.Int64
	acked, sent := 0, 0
	killed := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond)
		for ackedN.Load() < 20 {
			time.Sleep(10 * time.Millisecond)
		}
		h.cmd.Process.Kill() // SIGKILL while the stream is flowing
		close(killed)
	}()
	for i := 0; ; i++ {
		bodies[i] = batch(i)
		sent = i + 1
		code, err := post(h.url, i)
		if err != nil {
			break // the process is gone
		}
		if code == http.StatusAccepted {
			acked = i + 1 // batches are sent one after another: all before are acked too
			ackedN.Store(int64(acked))
		} else if code != http.StatusServiceUnavailable && code != http.StatusTooManyRequests {
			t.Fatalf("ingest answered %d", code)
		}
	}
	<-killed
	<-h.done
	t.Logf("sent %d batches, %d acknowledged before SIGKILL", sent, acked)

	h2 := serve(t, data)
	n := waitSettled(t, h2.url, userTok, id)
	if n < int64(acked*perBatch) || n > int64(sent*perBatch) {
		t.Fatalf("after restart %d events processed; %d were acknowledged, %d sent", n, acked*perBatch, sent*perBatch)
	}
	if a := alertCount(t, h2.url, userTok); a != n {
		t.Fatalf("alerts count %d hits for %d events", a, n)
	}
	// The raw events behind the alert read back, batches the killed process
	// kept in its segment files among them.
	code, body := get(t, h2.url+"/api/v1/alerts", userTok)
	var al struct{ Items []struct{ ID string } }
	if code != 200 || json.Unmarshal(body, &al) != nil || len(al.Items) == 0 {
		t.Fatalf("alerts: %d %s", code, body)
	}
	code, body = get(t, h2.url+"/api/v1/alerts/"+al.Items[0].ID+"/events", userTok)
	var evs struct{ Items []string }
	if code != 200 || json.Unmarshal(body, &evs) != nil || len(evs.Items) == 0 || !strings.Contains(evs.Items[0], "198.51.100.7") {
		t.Fatalf("raw events behind the alert: %d %.300s", code, body)
	}
	// Resend everything, as a sender that never got its answers would:
	// nothing is counted twice.
	for i := range sent {
		if code, err := post(h2.url, i); err != nil || code != http.StatusAccepted {
			t.Fatalf("resend %d: %d %v", i, code, err)
		}
	}
	n = waitSettled(t, h2.url, userTok, id)
	if n != int64(sent*perBatch) {
		t.Fatalf("after resending all %d batches: %d events, want %d", sent, n, sent*perBatch)
	}
	if a := alertCount(t, h2.url, userTok); a != n {
		t.Fatalf("alerts count %d hits for %d events", a, n)
	}
	// The pipeline's metrics: what this process applied, the matcher, an
	// empty backlog.
	code, body = get(t, h2.url+"/metrics", "")
	m := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		var name string
		var v float64
		if _, err := fmt.Sscanf(line, "%s %g", &name, &v); err == nil && strings.HasPrefix(name, "kyojo_gsoc_") {
			m[name] = v
		}
	}
	if code != 200 || m["kyojo_gsoc_events_total"] < 1 || m["kyojo_gsoc_events_total"] != m["kyojo_gsoc_hits_total"] ||
		m["kyojo_gsoc_batches_total"] < 1 || m["kyojo_gsoc_indicators"] != 3 || m["kyojo_gsoc_backlog_batches"] != 0 || m["kyojo_gsoc_busy_seconds_total"] <= 0 {
		t.Fatalf("metrics %d: %v", code, m)
	}
	for _, name := range []string{"kyojo_gsoc_batches_in_memory_total", "kyojo_gsoc_batches_read_back_total"} {
		if _, ok := m[name]; !ok {
			t.Fatalf("metrics: no %s in %v", name, m)
		}
	}
	h2.stop(t)
}

// TestIngestCLIEscalates: a hit on a trusted indicator is a high-severity
// alert, which the default rules take to an incident, from the CLI as in
// kyojo serve.
func TestIngestCLIEscalates(t *testing.T) {
	data := t.TempDir()
	kyojo(t, "", "org", "add", "--data", data, "--slug", "ncc", "--name", "National Centre", "--kind", "government", "--tier", "1")
	kyojo(t, "", "org", "add", "--data", data, "--slug", "kumo", "--name", "Kumo Agency", "--kind", "government")
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	bundle := filepath.Join(t.TempDir(), "c2.json")
	os.WriteFile(bundle, []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[{"type":"indicator",
		"spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"`+now+`","modified":"`+now+`",
		"name":"C2 server","pattern":"[ipv4-addr:value = '24.244.4.23']","pattern_type":"stix","valid_from":"`+now+`","confidence":95}]}`), 0o600)
	kyojo(t, "", "import", "--data", data, "--org", "kumo", "--tlp", "green", bundle)
	kyojo(t, "", "sensor", "add", "--data", data, "--org", "kumo", "--name", "edge", "--format", "eve")
	var ss []struct{ ID string }
	json.Unmarshal([]byte(kyojo(t, "", "sensor", "list", "--data", data, "--json")), &ss)
	eve := filepath.Join("..", "..", "internal", "monitor", "parse", "testdata", "suricata", "tls-fingerprint-alert.eve.json")
	out := kyojo(t, "", "ingest", "--data", data, "--event-max-age", "100000h", "--sensor", ss[0].ID, eve)
	if !strings.Contains(out, "ip 24.244.4.23 seen 2 times") || !strings.Contains(out, ", incident ") {
		t.Fatalf("ingest did not escalate: %s", out)
	}
}
