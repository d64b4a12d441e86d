// Package notify delivers incident notices outside the hub: by e-mail over
// SMTP, and to a webhook as JSON signed with HMAC-SHA256, retried with
// back-off. It implements incident.Sender.
package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
)

// Options configure delivery. An empty SMTPAddr sends no e-mail; an empty
// WebhookURL calls no webhook.
type Options struct {
	SMTPAddr      string // host:port of the relay
	From          string // envelope and header sender
	BaseURL       string // the hub's public URL, for links in messages
	WebhookURL    string
	WebhookSecret []byte
	Retries       int           // attempts after the first (3 by default)
	Backoff       time.Duration // first wait; doubles each time (1s by default)
	Client        *http.Client
	Log           *slog.Logger
}

// Sender delivers notices.
type Sender struct{ opt Options }

// New returns a Sender.
func New(opt Options) *Sender {
	if opt.Retries <= 0 {
		opt.Retries = 3
	}
	if opt.Backoff <= 0 {
		opt.Backoff = time.Second
	}
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 10 * time.Second}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.From == "" {
		opt.From = "kyojo@localhost"
	}
	return &Sender{opt: opt}
}

var _ incident.Sender = (*Sender)(nil)

// Send implements incident.Sender: one e-mail to every recipient with an
// address, and one webhook call.
func (s *Sender) Send(ctx context.Context, n incident.Notice, to []identity.User) {
	if s.opt.SMTPAddr != "" {
		var rcpt []string
		for _, u := range to {
			if u.Email != "" {
				rcpt = append(rcpt, u.Email)
			}
		}
		if len(rcpt) > 0 {
			if err := s.Mail(n, rcpt); err != nil {
				s.opt.Log.Warn("notice e-mail failed", "notice", n.ID, "err", err)
			}
		}
	}
	if s.opt.WebhookURL != "" {
		if err := s.Webhook(ctx, n); err != nil {
			s.opt.Log.Warn("notice webhook failed", "notice", n.ID, "err", err)
		}
	}
}

// oneLine removes line breaks, so no text can add a header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}

// Message builds the RFC 5322 message of a notice.
func (s *Sender) Message(n incident.Notice, rcpt []string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\n", oneLine(s.opt.From))
	fmt.Fprintf(&b, "To: undisclosed-recipients:;\r\n")
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "[kyojo] "+oneLine(n.Text)))
	fmt.Fprintf(&b, "Date: %s\r\n", n.CreatedAt.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@kyojo>\r\n", oneLine(n.ID))
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(oneLine(n.Text) + "\r\n\r\n")
	if s.opt.BaseURL != "" {
		b.WriteString(strings.TrimRight(s.opt.BaseURL, "/") + "/incidents/" + n.IncidentID + "\r\n")
	}
	return b.Bytes()
}

// Mail sends the notice to rcpt through the SMTP relay.
func (s *Sender) Mail(n incident.Notice, rcpt []string) error {
	return smtp.SendMail(s.opt.SMTPAddr, nil, s.opt.From, rcpt, s.Message(n, rcpt))
}

// Payload is the webhook body.
type Payload struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	IncidentID string    `json:"incident_id"`
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

// Sign returns the signature header value of body sent at ts:
// "sha256=" + hex(HMAC-SHA256(secret, ts + "." + body)).
func Sign(secret []byte, ts string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(ts + "."))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Verify checks a signature made by Sign, in constant time.
func Verify(secret []byte, ts string, body []byte, sig string) bool {
	return hmac.Equal([]byte(Sign(secret, ts, body)), []byte(sig))
}

// Webhook posts the notice, signed, retrying on network errors, 429 and
// 5xx answers with doubling waits. Other 4xx answers are not retried.
func (s *Sender) Webhook(ctx context.Context, n incident.Notice) error {
	body, _ := json.Marshal(Payload{ID: n.ID, Kind: n.Kind, IncidentID: n.IncidentID, Text: n.Text, CreatedAt: n.CreatedAt})
	wait := s.opt.Backoff
	var last error
	for attempt := 0; attempt <= s.opt.Retries; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(wait):
			}
			wait *= 2
		}
		ts := strconv.FormatInt(time.Now().Unix(), 10)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.opt.WebhookURL, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Kyojo-Timestamp", ts)
		req.Header.Set("X-Kyojo-Signature", Sign(s.opt.WebhookSecret, ts, body))
		req.Header.Set("X-Kyojo-Delivery", n.ID)
		req.Header.Set("X-Kyojo-Attempt", strconv.Itoa(attempt+1))
		resp, err := s.opt.Client.Do(req)
		if err != nil {
			last = err
			continue
		}
		resp.Body.Close()
		switch {
		case resp.StatusCode < 300:
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("webhook answered %s", resp.Status)
		default:
			return fmt.Errorf("webhook answered %s; not retried", resp.Status)
		}
	}
	return fmt.Errorf("webhook: gave up after %d attempts: %w", s.opt.Retries+1, last)
}
