package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// binary is the kyojo executable built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kyojo-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "kyojo")
	out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building kyojo: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const demoPassword = "demo password for tests"

// hub is a `kyojo serve` process.
type hub struct {
	cmd    *exec.Cmd
	url    string
	stdout *bytes.Buffer
	stderr *bytes.Buffer
	done   chan error
}

// serve starts `kyojo serve` on a free loopback port with the data dir and
// waits until it says where it listens.
func serve(t *testing.T, data string, extra ...string) *hub {
	t.Helper()
	args := append([]string{"serve", "--data", data, "--listen", "127.0.0.1:0"}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "KYOJO_DEMO_PASSWORD="+demoPassword)
	pr, pw := io.Pipe()
	h := &hub{cmd: cmd, stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	cmd.Stdout = io.MultiWriter(h.stdout, pw)
	cmd.Stderr = h.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { h.done <- cmd.Wait(); pw.Close() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-h.done
		}
	})
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`listening on (http://\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urlc <- m[1]
			}
		}
		io.Copy(io.Discard, pr)
	}()
	select {
	case h.url = <-urlc:
	case err := <-h.done:
		t.Fatalf("kyojo serve exited: %v\nstdout:\n%s\nstderr:\n%s", err, h.stdout, h.stderr)
	case <-time.After(60 * time.Second):
		t.Fatalf("kyojo serve did not start\nstderr:\n%s", h.stderr)
	}
	return h
}

// stop sends SIGTERM and waits for a clean exit.
func (h *hub) stop(t *testing.T) {
	t.Helper()
	h.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("kyojo serve exited with %v\nstderr:\n%s", err, h.stderr)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("kyojo serve did not stop on SIGTERM")
	}
}

// kyojo runs a CLI command and returns its stdout.
func kyojo(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("kyojo %v: %v\n%s%s", args, err, out.String(), errb.String())
	}
	return out.String()
}

func get(t *testing.T, url, token string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestServeDemoEndToEnd(t *testing.T) {
	data := t.TempDir()
	h := serve(t, data, "--demo")
	out := h.stdout.String()
	for _, want := range []string{"admin", "minato-power-analyst", "nordland-cert-analyst", "KYOJO_DEMO_PASSWORD"} {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q:\n%s", want, out)
		}
	}
	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200, "/metrics": 200, "/api/v1/me": 401} {
		if code, body := get(t, h.url+path, ""); code != want {
			t.Errorf("GET %s = %d, want %d: %s", path, code, want, body)
		}
	}
	if _, body := get(t, h.url+"/metrics", ""); !bytes.Contains(body, []byte("kyojo_http_requests_total")) {
		t.Error("metrics lack kyojo_http_requests_total")
	}

	// The CLI works on the same data directory while the hub runs.
	tokOut := kyojo(t, "", "token", "create", "--data", data, "--user", "admin", "--scope", "write", "--name", "e2e")
	lines := strings.Split(strings.TrimSpace(tokOut), "\n")
	token := lines[len(lines)-1]
	if !strings.HasPrefix(token, "kyojo_") {
		t.Fatalf("last line is not a token: %q", tokOut)
	}
	code, body := get(t, h.url+"/api/v1/me", token)
	if code != 200 || !bytes.Contains(body, []byte(`"admin"`)) {
		t.Fatalf("GET /api/v1/me with the token = %d %s", code, body)
	}
	req, _ := http.NewRequest("GET", h.url+"/taxii2/", nil)
	req.SetBasicAuth("admin", token)
	req.Header.Set("Accept", "application/taxii+json;version=2.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/taxii+json") {
		t.Fatalf("TAXII discovery with Basic auth: %v %v", resp, err)
	}
	resp.Body.Close()
	code, body = get(t, h.url+"/api/v1/organizations?kind=ci_operator", token)
	if code != 200 {
		t.Fatalf("organizations: %d %s", code, body)
	}
	var list struct {
		Items []struct{ Slug, Sector string } `json:"items"`
	}
	json.Unmarshal(body, &list)
	sectors := map[string]bool{}
	for _, o := range list.Items {
		sectors[o.Sector] = true
	}
	if len(sectors) != 10 {
		t.Errorf("demo operators cover %d sectors, want 10: %v", len(sectors), sectors)
	}

	h.stop(t)

	// Run twice: nothing is duplicated.
	h2 := serve(t, data, "--demo")
	if !strings.Contains(h2.stdout.String(), "existed") {
		t.Errorf("second demo run did not report existing accounts:\n%s", h2.stdout)
	}
	h2.stop(t)
	var orgs []json.RawMessage
	if err := json.Unmarshal([]byte(kyojo(t, "", "org", "list", "--data", data, "--json")), &orgs); err != nil {
		t.Fatal(err)
	}
	if len(orgs) != 25 {
		t.Errorf("after two demo runs there are %d organisations, want 25", len(orgs))
	}
}

// TestGracefulShutdown sends SIGTERM while a request is half sent and
// checks the request still completes.
func TestGracefulShutdown(t *testing.T) {
	data := t.TempDir()
	h := serve(t, data)
	addr := strings.TrimPrefix(h.url, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"slug":"x","name":"X","kind":"sme"}`
	fmt.Fprintf(conn, "POST /api/v1/organizations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", addr, len(body), body[:10])
	time.Sleep(200 * time.Millisecond) // the server is now reading the body
	h.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	io.WriteString(conn, body[10:])
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("request in flight was cut off: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized { // no credentials: the point is that it was answered
		t.Errorf("status %d", resp.StatusCode)
	}
	select {
	case err := <-h.done:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, h.stderr)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("did not stop")
	}
	if !strings.Contains(h.stderr.String(), `"msg":"stopped"`) {
		t.Errorf("no structured 'stopped' log line:\n%s", h.stderr)
	}
}

func TestCLI(t *testing.T) {
	data := t.TempDir()
	kyojo(t, "", "migrate", "--data", data)
	out := kyojo(t, "", "org", "add", "--data", data, "--slug", "kaede-bank", "--name", "Kaede Bank", "--name-ja", "かえで銀行",
		"--kind", "ci_operator", "--sector", "finance", "--tier", "1", "--email", "csirt@kaede.example.jp")
	if !strings.Contains(out, "created organisation kaede-bank") {
		t.Fatalf("org add: %s", out)
	}
	out = kyojo(t, "a long enough password\n", "user", "add", "--data", data, "--username", "sato", "--org", "kaede-bank",
		"--role", "org_admin", "--password-stdin", "--compartments", "k-finance, k-crisis")
	if !strings.Contains(out, "created sato") || strings.Contains(out, "password:") {
		t.Fatalf("user add: %s", out)
	}
	out = kyojo(t, "", "org", "list", "--data", data)
	if !strings.Contains(out, "kaede-bank") || !strings.Contains(out, "かえで銀行") {
		t.Fatalf("org list: %s", out)
	}
	if out := kyojo(t, "", "version"); !strings.HasPrefix(out, "kyojo ") {
		t.Fatalf("version: %s", out)
	}

	// Bad input: clear messages, exit codes, nothing stored.
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"org", "add", "--data", data, "--slug", "kaede-bank", "--name", "Other", "--kind", "sme"}, 1, "slug"},
		{[]string{"org", "add", "--data", data, "--slug", "y", "--name", "Y", "--kind", "ci_operator"}, 1, "sector"},
		{[]string{"org", "add", "--data", data, "--slug", "z", "--name", "Z", "--kind", "sme", "--email", "nope"}, 1, "contacts[0].email"},
		{[]string{"user", "add", "--data", data, "--username", "x", "--org", "nowhere"}, 1, "no organisation"},
		{[]string{"token", "create", "--data", data, "--user", "ghost"}, 1, "no such user"},
		{[]string{"token", "create", "--data", data}, 2, "--user is required"},
		{[]string{"org", "add", "--data", data, "--bogus"}, 2, "flag provided but not defined"},
		{[]string{"frobnicate"}, 2, "unknown command"},
	} {
		cmd := exec.Command(binary, tc.args...)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("kyojo %v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
	var orgs []json.RawMessage
	json.Unmarshal([]byte(kyojo(t, "", "org", "list", "--data", data, "--json")), &orgs)
	if len(orgs) != 1 {
		t.Errorf("refused commands stored something: %d organisations", len(orgs))
	}

	// --print-config: flags over environment, secrets masked.
	cmd := exec.Command(binary, "serve", "--print-config", "--listen", "127.0.0.1:9999")
	cmd.Env = append(os.Environ(), "KYOJO_LISTEN=127.0.0.1:7777", "KYOJO_DB=postgres://k:topsecret@db.example/kyojo")
	b, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if s := string(b); !strings.Contains(s, "127.0.0.1:9999") || strings.Contains(s, "topsecret") || !strings.Contains(s, "db.example") {
		t.Errorf("print-config:\n%s", s)
	}

	// A bad decay setting stops serve before it listens, and says why.
	cmd = exec.Command(binary, "serve", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--decay", "ip=soon")
	msg, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "decay") || !strings.Contains(string(msg), "ip") {
		t.Errorf("serve --decay ip=soon: %v\n%s", err, msg)
	}
}
