package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kyojo-hub/kyojo/internal/notify"
)

type mailRecorder struct {
	mu sync.Mutex
	to []string
}

type mailSession struct{ r *mailRecorder }

func (s mailSession) Reset()                               {}
func (s mailSession) Logout() error                        { return nil }
func (s mailSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.r.mu.Lock()
	s.r.to = append(s.r.to, to)
	s.r.mu.Unlock()
	return nil
}
func (s mailSession) Data(r io.Reader) error { _, err := io.ReadAll(r); return err }

func (m *mailRecorder) has(addr string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range m.to {
		if a == addr {
			return true
		}
	}
	return false
}

// TestIncidentEndToEnd runs kyojo serve with the demo hub, a real SMTP
// listener and a webhook in this process: a ministry reports a case at
// national severity over the API; the playbook invites police and defence,
// who are told by e-mail and webhook; an ISP that was not invited reads
// nothing through the API or the CLI.
func TestIncidentEndToEnd(t *testing.T) {
	rec := &mailRecorder{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return mailSession{rec}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	hooks := make(chan string, 50)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if notify.Verify([]byte("hook-key"), r.Header.Get("X-Kyojo-Timestamp"), b, r.Header.Get("X-Kyojo-Signature")) {
			var p notify.Payload
			json.Unmarshal(b, &p)
			hooks <- p.Kind
		}
	}))
	defer hook.Close()

	data := t.TempDir()
	h := serve(t, data, "--demo", "--ledger=false", "--smtp-addr", ln.Addr().String(), "--webhook-url", hook.URL, "--webhook-secret", "hook-key")
	mic, isp, police := token(t, data, "mic-analyst"), token(t, data, "kumo-net-analyst"), token(t, data, "npa-cyber-analyst")
	code, b := send(t, "POST", h.url+"/api/v1/incidents", mic, `{"title":"Nationwide e-government outage","tlp":"amber",
		"impact":{"functional":3,"information":3,"recoverability":2},"observables":[{"type":"domain-name","value":"c2.example.net"}]}`)
	if code != 201 {
		t.Fatalf("report: %d %s", code, b)
	}
	var in struct {
		ID        string
		Escalated bool
		Severity  string
	}
	json.Unmarshal(b, &in)
	if !in.Escalated {
		t.Fatalf("not escalated: %s", b)
	}
	if code, b := send(t, "GET", h.url+"/api/v1/incidents/"+in.ID, police, ""); code != 200 || !strings.Contains(string(b), `"role": "responder"`) {
		t.Errorf("police after the playbook: %d %s", code, b)
	}
	for _, p := range []string{"/api/v1/incidents/" + in.ID, "/api/v1/incidents/" + in.ID + "/export?format=stix"} {
		if code, _ := send(t, "GET", h.url+p, isp, ""); code != 404 {
			t.Errorf("ISP GET %s: %d", p, code)
		}
	}
	waitFor(t, "the escalation e-mail to the police", 20*time.Second, func() bool { return rec.has("npa-cyber-analyst@npa-cyber.example.jp") })
	waitFor(t, "the signed escalation webhook", 20*time.Second, func() bool {
		for {
			select {
			case k := <-hooks:
				if k == "escalation" {
					return true
				}
			default:
				return false
			}
		}
	})
	h.stop(t)

	if out := kyojo(t, "", "incident", "list", "--data", data, "--user", "admin"); !strings.Contains(out, in.ID) {
		t.Errorf("CLI list as the centre: %s", out)
	}
	if out := kyojo(t, "", "incident", "list", "--data", data, "--user", "kumo-net-analyst"); strings.Contains(out, in.ID) {
		t.Errorf("CLI list as the ISP shows the case: %s", out)
	}
	if code, out := run("incident", "export", "--data", data, "--user", "kumo-net-analyst", "--format", "stix", in.ID); code == 0 || strings.Contains(out, "outage") {
		t.Errorf("CLI export as the ISP: %d %s", code, out)
	}
	out := kyojo(t, "", "incident", "export", "--data", data, "--user", "mic-analyst", "--format", "stix", in.ID)
	if !strings.Contains(out, `"type": "incident"`) || !strings.Contains(out, "c2.example.net") {
		t.Errorf("CLI STIX export: %s", out)
	}
	rep := kyojo(t, "件名: 省内端末のマルウェア感染\nTLP: GREEN\n通信先 203.0.113[.]50", "incident", "report", "--data", data, "--user", "mic-analyst")
	if !strings.Contains(rep, "省内端末のマルウェア感染") {
		t.Errorf("CLI report: %s", rep)
	}
}
