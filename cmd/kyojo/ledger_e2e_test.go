package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func token(t *testing.T, data, user string) string {
	t.Helper()
	out := strings.TrimSpace(kyojo(t, "", "token", "create", "--data", data, "--user", user, "--scope", "write"))
	return out[strings.LastIndex(out, "\n")+1:]
}

func send(t *testing.T, method, url, tok, body string) (int, []byte) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Authorization", "Bearer "+tok)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// waitFor polls until ok or the deadline.
func waitFor(t *testing.T, what string, d time.Duration, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// run runs kyojo and returns its exit code and combined output.
func run(args ...string) (int, string) {
	cmd := exec.Command(binary, args...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	return 0, string(out)
}

// TestLedgerEndToEnd: the police request retained data through the API, the
// hub approves, the bundle verifies offline with only the public key, and
// tampering with the bundle or the stored log is found.
func TestLedgerEndToEnd(t *testing.T) {
	data := t.TempDir()
	h := serve(t, data, "--demo")
	admin, police := token(t, data, "admin"), token(t, data, "npa-cyber-analyst")
	now := time.Now().UTC()
	body := fmt.Sprintf(`{"reference":"Tokyo DC 2026-301","legal_basis":"Code of Criminal Procedure art. 197(2)",
		"scope":{"kinds":["audit"],"since":%q,"until":%q}}`, now.Add(-time.Hour).Format(time.RFC3339), now.Add(time.Hour).Format(time.RFC3339))
	code, b := send(t, "POST", h.url+"/api/v1/evidence/requests", police, body)
	if code != 201 {
		t.Fatalf("file request: %d %s", code, b)
	}
	var req struct{ ID string }
	json.Unmarshal(b, &req)
	if code, b := send(t, "POST", h.url+"/api/v1/evidence/requests/"+req.ID+"/approve", admin, `{"note":"ok"}`); code != 200 {
		t.Fatalf("approve: %d %s", code, b)
	}
	waitFor(t, "the audit trail to be anchored", 20*time.Second, func() bool {
		_, b := get(t, h.url+"/api/v1/ledger", "")
		var info struct{ Size uint64 }
		json.Unmarshal(b, &info)
		return info.Size > 0
	})
	code, bundle := send(t, "POST", h.url+"/api/v1/evidence/requests/"+req.ID+"/bundle", police, "")
	if code != 200 {
		t.Fatalf("bundle: %d %s", code, bundle)
	}
	path := filepath.Join(t.TempDir(), "bundle.json")
	os.WriteFile(path, bundle, 0o600)
	h.stop(t)

	key := strings.TrimSpace(kyojo(t, "", "ledger", "key", "--data", data))
	if out := kyojo(t, "", "ledger", "verify", path, "--key", key); !strings.Contains(out, "verifies") {
		t.Fatalf("bundle: %s", out)
	}
	if out := kyojo(t, "", "ledger", "verify", "--data", data); !strings.Contains(out, "verifies") {
		t.Fatalf("ledger: %s", out)
	}
	// One byte of a payload in the bundle changed: refused, saying so.
	var doc map[string]any
	json.Unmarshal(bundle, &doc)
	forged := bytes.Replace(bundle, []byte(`"actor_name\":\"`), []byte(`"actor_name\":\"X`), 1)
	if bytes.Equal(forged, bundle) {
		forged = bytes.Replace(bundle, []byte("Tokyo DC 2026-301"), []byte("Tokyo DC 2026-302"), 1)
	}
	os.WriteFile(path, forged, 0o600)
	if code, out := run("ledger", "verify", path, "--key", key); code != 1 || !strings.Contains(out, "does NOT verify") {
		t.Fatalf("forged bundle: exit %d: %s", code, out)
	}
	// A wrong key: refused.
	os.WriteFile(path, bundle, 0o600)
	if code, out := run("ledger", "verify", path, "--key", "kyojo/ledger+12345678+AZY3pcXOEPxdPt1zfO+nItNiFHaeu7Vu2WUgOFtrTHvC"); code != 1 {
		t.Fatalf("wrong key: exit %d: %s", code, out)
	}
	// One byte of the stored log changed: the whole-log check finds it.
	dat := filepath.Join(data, "ledger", "entries.dat")
	b, _ = os.ReadFile(dat)
	b[len(b)/2] ^= 0x01
	os.WriteFile(dat, b, 0o600)
	if code, out := run("ledger", "verify", "--data", data); code != 1 || !strings.Contains(out, "does NOT verify") {
		t.Fatalf("tampered log: exit %d: %s", code, out)
	}
}

// TestCrashKeepsEveryAcknowledgedRecord kills kyojo serve with SIGKILL
// while requests stream, restarts it, and checks that every audit record the
// database acknowledged reaches the ledger and the ledger verifies.
func TestCrashKeepsEveryAcknowledgedRecord(t *testing.T) {
	data := t.TempDir()
	h := serve(t, data)
	kyojo(t, "", "org", "add", "--data", data, "--slug", "ncc", "--name", "NCC", "--kind", "government")
	kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "admin", "--org", "ncc", "--role", "hub_admin", "--password-stdin")
	tok := token(t, data, "admin")
	var wg sync.WaitGroup
	var mu sync.Mutex
	acked := 0
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				body := fmt.Sprintf(`{"slug":"o%d-%d","name":"Org %d-%d","kind":"sme"}`, w, i, w, i)
				req, _ := http.NewRequest("POST", h.url+"/api/v1/organizations", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server is gone
				}
				resp.Body.Close()
				if resp.StatusCode == 201 {
					mu.Lock()
					acked++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(3 * time.Second) // long enough for anchoring to run during the stream
	h.cmd.Process.Signal(syscall.SIGKILL)
	<-h.done
	wg.Wait()
	if acked == 0 {
		t.Fatal("no request was acknowledged before the kill")
	}

	h2 := serve(t, data)
	var last struct{ Items []struct{ Seq int64 } }
	_, b := get(t, h2.url+"/api/v1/audit?limit=1&action=org.create", tok)
	json.Unmarshal(b, &last)
	if len(last.Items) == 0 {
		t.Fatal("no org.create records")
	}
	url := fmt.Sprintf("%s/api/v1/audit/%d/proof", h2.url, last.Items[0].Seq)
	waitFor(t, "the last acknowledged record to be anchored after restart", 20*time.Second, func() bool {
		_, b := get(t, url, tok)
		return bytes.Contains(b, []byte(`"anchored": true`))
	})
	var orgs []json.RawMessage
	h2.stop(t)
	json.Unmarshal([]byte(kyojo(t, "", "org", "list", "--data", data, "--json")), &orgs)
	if len(orgs) < acked+1 {
		t.Fatalf("%d organisations acknowledged, %d stored", acked, len(orgs)-1)
	}
	if out := kyojo(t, "", "ledger", "verify", "--data", data); !strings.Contains(out, "verifies") {
		t.Fatalf("ledger after crash: %s", out)
	}
	t.Logf("%d creations acknowledged before SIGKILL; all anchored after restart", acked)
}
