package incident_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/notify"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/stix"
)

// inbox is a real SMTP server on loopback (go-smtp) recording recipients
// and messages.
type inbox struct {
	mu   sync.Mutex
	rcpt map[string][]string // address -> messages
}

type smtpSession struct {
	box *inbox
	to  []string
}

func (s *smtpSession) Reset()                                    { s.to = nil }
func (s *smtpSession) Logout() error                             { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error      { return nil }
func (s *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	for _, to := range s.to {
		s.box.rcpt[to] = append(s.box.rcpt[to], string(b))
	}
	return err
}

func (b *inbox) count(addr, substr string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for _, m := range b.rcpt[addr] {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type rig struct {
	h     *hubtest.Hub
	svc   *incident.Service
	node  func(st incident.Store) *incident.Service // another node of the same hub: a service on st (the hub's store, wrapped)
	box   *inbox
	hooks chan notify.Payload
	clk   *clock
}

func newRig(t *testing.T) *rig {
	h := hubtest.New(t)
	ctx := context.Background()
	sys := identity.System("test")
	for user, mail := range map[string]string{"officer": "officer@npa.example.jp", "admin": "soc@ncc.example.jp"} {
		if _, err := h.Svc.UpdateUser(ctx, sys, user, identity.UserPatch{Email: &mail}); err != nil {
			t.Fatal(err)
		}
	}
	box := &inbox{rcpt: map[string][]string{}}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: box}, nil }))
	srv.Domain = "localhost"
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	hooks := make(chan notify.Payload, 100)
	secret := []byte("k")
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if !notify.Verify(secret, r.Header.Get("X-Kyojo-Timestamp"), b, r.Header.Get("X-Kyojo-Signature")) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		json.Unmarshal(b, &p)
		hooks <- p
	}))
	t.Cleanup(hook.Close)
	blobs, err := blobstore.Open(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Now().UTC()}
	node := func(st incident.Store) *incident.Service {
		svc, err := incident.NewService(st, h.DB, blobs, h.Intel,
			notify.New(notify.Options{SMTPAddr: ln.Addr().String(), WebhookURL: hook.URL, WebhookSecret: secret, Backoff: time.Millisecond}),
			incident.Options{HubOrg: "ncc", EscalateOrgs: []string{"npa", "gone-org"}, Now: clk.now})
		if err != nil {
			t.Fatal(err)
		}
		return svc
	}
	return &rig{h: h, svc: node(h.DB.Incidents()), node: node, box: box, hooks: hooks, clk: clk}
}

// TestEscalationPlaybook reports a case at national severity: the
// playbook invites npa, marks the case, audits every step, and notices
// reach npa by e-mail (real SMTP) and the webhook (signed).
func TestEscalationPlaybook(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	bob := r.h.Actor("bob")
	in, err := r.svc.Report(ctx, bob, incident.ReportInput{Title: "Payment system down", TLP: policy.Amber,
		Impact: incident.Impact{Functional: 3, Information: 3, Recoverability: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if !in.Escalated || in.Severity != incident.Emergency {
		t.Fatalf("not escalated: %s %v", in.Severity, in.Escalated)
	}
	v, err := r.svc.Get(ctx, r.h.Actor("officer"), in.ID)
	if err != nil || v.Role != policy.CaseResponder {
		t.Fatalf("npa after the playbook: %v %v", v.Role, err)
	}
	r.svc.Wait()
	if r.box.count("officer@npa.example.jp", "escalated") != 1 || r.box.count("soc@ncc.example.jp", "escalated") != 1 {
		t.Errorf("escalation mail: %v", r.box.rcpt)
	}
	kinds := map[string]int{}
	for len(r.hooks) > 0 {
		kinds[(<-r.hooks).Kind]++
	}
	if kinds["escalation"] != 2 || kinds["reported"] != 1 {
		t.Errorf("webhook calls: %v", kinds)
	}
	recs, _ := r.h.DB.ListAudit(ctx, audit.Filter{})
	steps := map[string]int{}
	for _, rec := range recs {
		steps[rec.Action]++
	}
	for _, a := range []string{"incident.report", "incident.escalate", "incident.escalate.invite", "incident.escalate.notify", "incident.escalate.missing"} {
		if steps[a] != 1 {
			t.Errorf("audit %s: %d", a, steps[a])
		}
	}
	// the playbook runs once
	if _, err := r.svc.Override(ctx, r.h.Actor("bob"), in.ID, ptr(incident.Severe), "downgraded after analysis"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Override(ctx, r.h.Actor("bob"), in.ID, ptr(incident.Emergency), "worse again"); err != nil {
		t.Fatal(err)
	}
	recs, _ = r.h.DB.ListAudit(ctx, audit.Filter{})
	n := 0
	for _, rec := range recs {
		if rec.Action == "incident.escalate" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("playbook ran %d times", n)
	}
}

func ptr[T any](v T) *T { return &v }

// barrier is a store whose DueIncidents returns only once every node
// sweeping has read.
type barrier struct {
	incident.Store
	read *sync.WaitGroup
}

func (b barrier) DueIncidents(ctx context.Context, now time.Time, limit int) ([]incident.Incident, error) {
	due, err := b.Store.DueIncidents(ctx, now, limit)
	b.read.Done()
	b.read.Wait()
	return due, err
}

// TestSLAAndLifecycle walks a case through its lifecycle and checks the
// SLA clocks, the overdue sweep (once) and the notices.
func TestSLAAndLifecycle(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	bob := r.h.Actor("bob")
	in, err := r.svc.Report(ctx, bob, incident.ReportInput{Title: "Phishing wave", Impact: incident.Impact{Functional: 1}})
	if err != nil {
		t.Fatal(err)
	}
	sla := r.svc.SLAs().For(in.Severity)
	if !in.AckDue.Equal(in.CreatedAt.Add(sla.Ack)) {
		t.Errorf("ack due %s", in.AckDue)
	}
	if n, _ := r.svc.Sweep(ctx); n != 0 {
		t.Errorf("swept %d before the deadline", n)
	}
	r.clk.add(sla.Ack + time.Minute)
	list, _ := r.svc.List(ctx, r.h.Actor("admin"), incident.Filter{Overdue: true})
	if len(list) != 1 {
		t.Errorf("overdue list: %d", len(list))
	}
	// Two nodes sweep at once, both reading the due case before either
	// writes: one notice between them.
	var read sync.WaitGroup
	read.Add(2)
	nodes := []*incident.Service{r.node(barrier{r.h.DB.Incidents(), &read}), r.node(barrier{r.h.DB.Incidents(), &read})}
	var swept [2]int
	var wg sync.WaitGroup
	for i, svc := range nodes {
		wg.Go(func() {
			n, err := svc.Sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			swept[i] = n
		})
	}
	wg.Wait()
	if swept[0]+swept[1] != 1 {
		t.Errorf("swept %v", swept)
	}
	if n, _ := r.svc.Sweep(ctx); n != 0 {
		t.Errorf("notified twice: %d", n)
	}
	r.svc.Wait()
	nodes[0].Wait()
	nodes[1].Wait()
	if r.box.count("alice@mof.example.jp", "overdue") != 1 {
		t.Errorf("overdue mail to the owner: %v", r.box.rcpt)
	}
	ns, _ := r.svc.Notices(ctx, r.h.Actor("alice"), 10)
	if len(ns) == 0 || ns[0].Kind != "overdue" {
		t.Errorf("UI notices: %+v", ns)
	}
	steps := []incident.Status{incident.Triage, incident.Response, incident.Recovery, incident.Closed, incident.Triage}
	for _, st := range steps {
		if in, err = r.svc.Transition(ctx, bob, in.ID, st, "because"); err != nil {
			t.Fatalf("→ %s: %v", st, err)
		}
	}
	if in.AckAt == nil || in.ResponseAt == nil || in.Status != incident.Triage {
		t.Errorf("after reopen: %+v", in)
	}
	v, _ := r.svc.Get(ctx, bob, in.ID)
	moves := 0
	for _, e := range v.Entries {
		if e.Kind == incident.KindStatus && e.AuthorUser == bob.UserID && strings.HasSuffix(e.Body, "because") {
			moves++
		}
	}
	if moves != len(steps) {
		t.Errorf("%d status entries with who and why", moves)
	}
}

// TestShareAsIntelligence publishes an observable of a case anonymously to
// a community and exports the case as a valid STIX bundle.
func TestShareAsIntelligence(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	sys := identity.System("test")
	if _, err := r.h.Svc.CreateCommunity(ctx, sys, identity.Community{Slug: "fin", Name: "Finance", Members: []string{"mof", "isp-a"}}); err != nil {
		t.Fatal(err)
	}
	bob := r.h.Actor("bob")
	in, err := r.svc.Report(ctx, bob, incident.ReportInput{Title: "C2 beacon", Observables: []incident.Observable{{Type: "ipv4-addr", Value: "203.0.113.9"}}})
	if err != nil {
		t.Fatal(err)
	}
	lk, err := r.svc.AddLink(ctx, bob, in.ID, incident.LinkInput{Kind: incident.LinkIndicator, Ref: "indicator--00000000-0000-4000-8000-0000000000aa"})
	if err != nil {
		t.Fatal(err)
	}
	_ = lk
	v, _ := r.svc.Get(ctx, bob, in.ID)
	var obs string
	for _, l := range v.Links {
		if l.Kind == incident.LinkObservable {
			obs = l.ID
		}
	}
	res, err := r.svc.Share(ctx, bob, in.ID, incident.ShareInput{Links: []string{obs}, TLP: policy.Green, Communities: []string{"fin"}, Anonymous: true})
	if err != nil || res.Created != 1 {
		t.Fatalf("share: %+v %v", res, err)
	}
	o, err := r.h.Intel.Get(ctx, r.h.Actor("carol"), res.Items[0].ID)
	if err != nil {
		t.Fatalf("carol cannot read the shared indicator: %v", err)
	}
	if strings.Contains(string(o.Raw), r.h.Orgs["mof"].ID) {
		t.Error("anonymous share names mof")
	}
	if _, err := r.h.Intel.Get(ctx, r.h.Actor("officer"), res.Items[0].ID); err == nil {
		t.Error("npa, outside the community, reads the indicator")
	}
	// carol is not in the case: she may not share from it
	if _, err := r.svc.Share(ctx, r.h.Actor("carol"), in.ID, incident.ShareInput{Links: []string{obs}}); err == nil {
		t.Error("an outsider shared a case's observable")
	}
	b, _, err := r.svc.Export(ctx, bob, in.ID, incident.FormatSTIX)
	if err != nil {
		t.Fatal(err)
	}
	objs, bad := stix.ParseBundle(b)
	if len(bad) != 0 {
		t.Fatalf("invalid STIX: %v", bad)
	}
	types := map[string]int{}
	for _, o := range objs {
		types[o.Type]++
	}
	if types["incident"] != 1 || types["indicator"] != 1 || types["relationship"] != 2 {
		t.Errorf("bundle types %v", types)
	}
}

// TestNationalCentreOnRedCase: the centre sees that a TLP:RED case exists
// and nothing of its details; an outsider does not even see that.
func TestNationalCentreOnRedCase(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	in, err := r.svc.Report(ctx, r.h.Actor("bob"), incident.ReportInput{Title: "Secret matter", Summary: "details", TLP: policy.Red})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.AddEntry(ctx, r.h.Actor("bob"), in.ID, incident.EntryInput{Body: "for alice", TLP: policy.Red, Users: []string{"alice"}}); err != nil {
		t.Fatal(err)
	}
	v, err := r.svc.Get(ctx, r.h.Actor("admin"), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Details || v.Title == "Secret matter" || v.Summary != "" || len(v.Entries) != 0 || v.Ref != in.Ref || v.Role != policy.CaseNational {
		t.Errorf("centre's view of a RED case: %+v", v)
	}
	list, _ := r.svc.List(ctx, r.h.Actor("admin"), incident.Filter{})
	if len(list) != 1 || list[0].Title == "Secret matter" {
		t.Errorf("centre's list: %+v", list)
	}
	r.svc.Flush()
	recs, _ := r.h.DB.ListAudit(ctx, audit.Filter{})
	if recs[0].Action != "incident.list" || recs[0].ActorName != "admin" {
		t.Errorf("the list read is not audited: newest record %s by %s", recs[0].Action, recs[0].ActorName)
	}
	if _, _, err := r.svc.Export(ctx, r.h.Actor("admin"), in.ID, incident.FormatSTIX); err == nil {
		t.Error("the centre exported a RED case's details")
	}
	if _, err := r.svc.Get(ctx, r.h.Actor("carol"), in.ID); err == nil {
		t.Error("an outsider reads a RED case")
	}
	v, _ = r.svc.Get(ctx, r.h.Actor("alice"), in.ID)
	if len(v.Entries) != 1 {
		t.Errorf("alice (owner, named) sees %d entries", len(v.Entries))
	}
}
