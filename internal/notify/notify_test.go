package notify_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/notify"
)

// mailbox is a real SMTP server (go-smtp) on loopback that keeps what it
// receives.
type mailbox struct {
	mu   sync.Mutex
	msgs []mail
}

type mail struct {
	from string
	to   []string
	data string
}

type session struct {
	box *mailbox
	cur mail
}

func (s *session) Reset()        { s.cur = mail{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.cur.from = from
	return nil
}
func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.cur.data = string(b)
	s.box.mu.Lock()
	s.box.msgs = append(s.box.msgs, s.cur)
	s.box.mu.Unlock()
	return err
}

func startSMTP(t *testing.T) (*mailbox, string) {
	t.Helper()
	box := &mailbox{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{box: box}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box, ln.Addr().String()
}

func TestMailOverSMTP(t *testing.T) {
	box, addr := startSMTP(t)
	s := notify.New(notify.Options{SMTPAddr: addr, From: "kyojo@hub.example", BaseURL: "https://hub.example"})
	n := incident.Notice{ID: "n1", IncidentID: "case-1", Kind: "assignment", Text: "INC-1: 任務 assigned\r\nBcc: evil@example.org", CreatedAt: time.Now()}
	s.Send(context.Background(), n, []identity.User{{Email: "alice@mof.example.jp"}, {Email: ""}, {Email: "bob@mof.example.jp"}})
	box.mu.Lock()
	defer box.mu.Unlock()
	if len(box.msgs) != 1 {
		t.Fatalf("%d messages", len(box.msgs))
	}
	m := box.msgs[0]
	if m.from != "kyojo@hub.example" || len(m.to) != 2 || m.to[0] != "alice@mof.example.jp" {
		t.Errorf("envelope %q %v", m.from, m.to)
	}
	if !strings.Contains(m.data, "Subject: =?utf-8?q?") || !strings.Contains(m.data, "https://hub.example/incidents/case-1") {
		t.Errorf("message:\n%s", m.data)
	}
	for _, line := range strings.Split(m.data, "\r\n") {
		if strings.HasPrefix(line, "Bcc:") {
			t.Errorf("header injected: %q", line)
		}
	}
}

func TestWebhookSignedWithRetries(t *testing.T) {
	secret := []byte("s3cret")
	var calls atomic.Int32
	var got []byte
	var sigOK atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		sigOK.Store(notify.Verify(secret, r.Header.Get("X-Kyojo-Timestamp"), body, r.Header.Get("X-Kyojo-Signature")))
		if n < 3 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		got = body
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := notify.New(notify.Options{WebhookURL: srv.URL, WebhookSecret: secret, Retries: 3, Backoff: time.Millisecond})
	n := incident.Notice{ID: "n2", IncidentID: "case-2", Kind: "escalation", Text: "escalated", CreatedAt: time.Now()}
	if err := s.Webhook(context.Background(), n); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 3 || !sigOK.Load() || !strings.Contains(string(got), `"kind":"escalation"`) {
		t.Errorf("calls %d, signature ok %v, body %s", calls.Load(), sigOK.Load(), got)
	}
	if notify.Verify(secret, "1", got, notify.Sign([]byte("other"), "1", got)) {
		t.Error("a signature with another key verifies")
	}
}

func TestWebhookGivesUp(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer srv.Close()
	s := notify.New(notify.Options{WebhookURL: srv.URL, Retries: 2, Backoff: time.Millisecond})
	if err := s.Webhook(context.Background(), incident.Notice{ID: "x"}); err == nil || calls.Load() != 3 {
		t.Errorf("err %v after %d calls", err, calls.Load())
	}
	calls.Store(0)
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusBadRequest)
	}))
	defer bad.Close()
	s = notify.New(notify.Options{WebhookURL: bad.URL, Retries: 2, Backoff: time.Millisecond})
	if err := s.Webhook(context.Background(), incident.Notice{ID: "x"}); err == nil || calls.Load() != 1 {
		t.Errorf("4xx retried: %d calls", calls.Load())
	}
}
