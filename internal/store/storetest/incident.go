package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// RunIncidents runs the incident store's contract tests.
func RunIncidents(t *testing.T, open Opener) {
	t.Run("IncidentRoundTrip", func(t *testing.T) { testIncidentRoundTrip(t, open(t)) })
	t.Run("IncidentList", func(t *testing.T) { testIncidentList(t, open(t)) })
	t.Run("IncidentItems", func(t *testing.T) { testIncidentItems(t, open(t)) })
	t.Run("IncidentRollback", func(t *testing.T) { testIncidentRollback(t, open(t)) })
}

func uid(n int) string { return "00000000-0000-7000-8000-" + pad(string(rune('a'+n%26))+itoa3(n)) }

func itoa3(n int) string {
	s := ""
	for i := 0; i < 3; i++ {
		s = string(rune('0'+n%10)) + s
		n /= 10
	}
	return s
}

func newIncident(n int, owner string, created time.Time) incident.Incident {
	im := incident.Impact{Functional: 2, Information: 1, Recoverability: 1}
	sc := incident.Compute(im, 1, "electricity")
	return incident.Incident{ID: uid(n), Ref: "INC-2026-" + itoa3(n), Title: "Case " + itoa3(n), Summary: "summary", OwnerOrg: owner,
		AffectedOrg: owner, Sector: "electricity", Systems: []string{"SCADA"}, TLP: policy.Amber, Status: incident.Reported,
		Impact: im, Score: sc, Severity: sc.Level, AckDue: created.Add(time.Hour), ResponseDue: created.Add(4 * time.Hour),
		ReportedBy: "u1", CreatedAt: created, UpdatedAt: created}
}

func incTx(t *testing.T, db *store.DB, fn func(incident.Tx) error) {
	t.Helper()
	if err := db.Incidents().Transact(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

func testIncidentRoundTrip(t *testing.T, db *store.DB) {
	ctx := context.Background()
	in := newIncident(1, "org-a", t0)
	occ := t0.Add(-time.Hour)
	lv := incident.Severe
	in.OccurredAt, in.Override, in.OverrideReason = &occ, &lv, "minister asked"
	incTx(t, db, func(tx incident.Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		if err := tx.AddParticipant(ctx, in.ID, incident.Participant{OrgID: "org-a", Role: policy.CaseOwner, InvitedBy: "u1", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, &audit.Record{Time: t0, ActorID: "u1", Action: "incident.report", ObjectType: "incident", ObjectID: in.ID, Outcome: audit.Success})
	})
	got, err := db.Incidents().Incident(ctx, in.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != in.Title || got.Score.Points != in.Score.Points || got.Override == nil || *got.Override != incident.Severe ||
		!got.OccurredAt.Equal(occ) || !got.CreatedAt.Equal(t0) || len(got.Participants) != 1 || got.Participants[0].Role != policy.CaseOwner ||
		len(got.Systems) != 1 || got.Impact != in.Impact {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, in)
	}
	got.Status, got.Escalated = incident.Triage, true
	now := t0.Add(time.Minute)
	got.AckAt, got.EscalatedAt = &now, &now
	incTx(t, db, func(tx incident.Tx) error { return tx.UpdateIncident(ctx, got) })
	again, _ := db.Incidents().Incident(ctx, in.ID)
	if again.Status != incident.Triage || !again.Escalated || again.AckAt == nil || !again.AckAt.Equal(now) {
		t.Errorf("update lost: %+v", again)
	}
	if _, err := db.Incidents().Incident(ctx, uid(99)); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing incident: %v", err)
	}
	err = db.Incidents().Transact(ctx, func(tx incident.Tx) error { return tx.CreateIncident(ctx, in) })
	if !errs.Is(err, errs.Conflict) {
		t.Errorf("duplicate id: %v", err)
	}
	// the overdue sweep finds it once acknowledgement is overdue
	due, err := db.Incidents().DueIncidents(ctx, t0.Add(5*time.Hour), 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due = %d, %v", len(due), err)
	}
	// Claiming: not before it is due, once, and nothing else changes.
	claim := func(at time.Time) bool {
		var ok bool
		incTx(t, db, func(tx incident.Tx) (err error) { ok, err = tx.ClaimOverdue(ctx, in.ID, at); return err })
		return ok
	}
	before, _ := db.Incidents().Incident(ctx, in.ID)
	if claim(t0) {
		t.Error("claimed before its acknowledgement was due")
	}
	if !claim(t0.Add(5 * time.Hour)) {
		t.Fatal("due case not claimed")
	}
	if claim(t0.Add(5 * time.Hour)) {
		t.Error("claimed twice")
	}
	after, _ := db.Incidents().Incident(ctx, in.ID)
	if !after.OverdueSent || after.Title != before.Title || after.Status != before.Status || !after.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("claim changed more than the flag:\n%+v\n%+v", before, after)
	}
	if due, _ := db.Incidents().DueIncidents(ctx, t0.Add(5*time.Hour), 10); len(due) != 0 {
		t.Errorf("notified case is due again")
	}
	var ok bool
	incTx(t, db, func(tx incident.Tx) (err error) {
		ok, err = tx.ClaimOverdue(ctx, uid(99), t0.Add(5*time.Hour))
		return err
	})
	if ok {
		t.Error("claimed a case that does not exist")
	}
}

func testIncidentList(t *testing.T, db *store.DB) {
	ctx := context.Background()
	incTx(t, db, func(tx incident.Tx) error {
		for i := 0; i < 30; i++ {
			owner := []string{"org-a", "org-b", "org-c"}[i%3]
			in := newIncident(i, owner, t0.Add(time.Duration(i)*time.Minute))
			if i%2 == 0 {
				in.Status = incident.Triage
			}
			if i == 7 {
				in.Title = "Ransomware at 100%_plant"
			}
			if err := tx.CreateIncident(ctx, in); err != nil {
				return err
			}
			if err := tx.AddParticipant(ctx, in.ID, incident.Participant{OrgID: owner, Role: policy.CaseOwner, CreatedAt: in.CreatedAt}); err != nil {
				return err
			}
			if i%5 == 0 && owner != "org-c" {
				if err := tx.AddParticipant(ctx, in.ID, incident.Participant{OrgID: "org-c", Role: policy.CaseObserver, CreatedAt: in.CreatedAt}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	r := db.Incidents()
	all, err := r.ListIncidents(ctx, incident.Filter{Limit: 100})
	if err != nil || len(all) != 30 {
		t.Fatalf("all = %d, %v", len(all), err)
	}
	if all[0].ID != uid(29) || all[29].ID != uid(0) {
		t.Errorf("not newest first: %s … %s", all[0].ID, all[29].ID)
	}
	c, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Limit: 100})
	want := 0
	for i := 0; i < 30; i++ {
		if i%3 == 2 || i%5 == 0 {
			want++
		}
	}
	if len(c) != want {
		t.Errorf("org-c sees %d cases, want %d", len(c), want)
	}
	for _, in := range c {
		ok := false
		for _, p := range in.Participants {
			ok = ok || p.OrgID == "org-c"
		}
		if !ok {
			t.Errorf("org-c listed %s without taking part", in.Ref)
		}
	}
	// with Member, each case comes with that organisation's row alone
	cm, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Member: "org-c", Limit: 100})
	am, _ := r.ListIncidents(ctx, incident.Filter{Member: "org-c", Limit: 100})
	if len(cm) != len(c) || len(am) != 30 {
		t.Errorf("member lists: %d, %d", len(cm), len(am))
	}
	for _, in := range cm {
		if len(in.Participants) != 1 || in.Participants[0].OrgID != "org-c" {
			t.Errorf("member row of %s: %+v", in.Ref, in.Participants)
		}
	}
	withRow := 0
	for _, in := range am {
		withRow += len(in.Participants)
	}
	if withRow != len(c) {
		t.Errorf("unrestricted list with member rows: %d, want %d", withRow, len(c))
	}
	if none, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{}}); len(none) != 0 {
		t.Errorf("empty visibility lists %d", len(none))
	}
	tri, _ := r.ListIncidents(ctx, incident.Filter{Status: []incident.Status{incident.Triage}, Limit: 100})
	if len(tri) != 15 {
		t.Errorf("triage = %d", len(tri))
	}
	// an organisation's filtered list follows changes to the case
	ctri, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Status: []incident.Status{incident.Triage}, Limit: 100})
	moved := c[0]
	moved.Status, moved.Escalated, moved.Sector = incident.Recovery, true, "water"
	incTx(t, db, func(tx incident.Tx) error { return tx.UpdateIncident(ctx, moved) })
	after, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Status: []incident.Status{incident.Triage}, Limit: 100})
	rec, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Status: []incident.Status{incident.Recovery}, Sector: "water", Limit: 100})
	esc := true
	escd, _ := r.ListIncidents(ctx, incident.Filter{Visible: []string{"org-c"}, Escalated: &esc, Limit: 100})
	wasTriage := c[0].Status == incident.Triage
	if len(rec) != 1 || rec[0].ID != moved.ID || len(escd) != 1 || (wasTriage && len(after) != len(ctri)-1) {
		t.Errorf("org list after a change: recovery %d, escalated %d, triage %d → %d", len(rec), len(escd), len(ctri), len(after))
	}
	moved.Status, moved.Escalated, moved.Sector = c[0].Status, false, "electricity"
	incTx(t, db, func(tx incident.Tx) error { return tx.UpdateIncident(ctx, moved) })
	q, _ := r.ListIncidents(ctx, incident.Filter{Q: "100%_PLANT"})
	if len(q) != 1 || q[0].ID != uid(7) {
		t.Errorf("q = %v", q)
	}
	if q, _ := r.ListIncidents(ctx, incident.Filter{Q: "%"}); len(q) != 1 {
		t.Errorf("%% is not escaped: %d", len(q))
	}
	page1, _ := r.ListIncidents(ctx, incident.Filter{Limit: 10, Visible: []string{"org-a", "org-b"}})
	page2, _ := r.ListIncidents(ctx, incident.Filter{Limit: 10, Visible: []string{"org-a", "org-b"},
		BeforeCreated: page1[9].CreatedAt, BeforeID: page1[9].ID})
	if len(page1) != 10 || len(page2) != 10 || page2[0].CreatedAt.After(page1[9].CreatedAt) || page2[0].ID == page1[9].ID {
		t.Errorf("paging: %d %d", len(page1), len(page2))
	}
	sev := incident.Emergency
	if hi, _ := r.ListIncidents(ctx, incident.Filter{MinLevel: &sev}); len(hi) != 0 {
		t.Errorf("severity filter: %d", len(hi))
	}
	overdue, _ := r.ListIncidents(ctx, incident.Filter{Overdue: true, Now: t0.Add(65 * time.Minute), Limit: 100})
	if len(overdue) != 5 { // created at minutes 0..4 are past their hour at 65 minutes
		t.Errorf("overdue = %d", len(overdue))
	}
}

func testIncidentItems(t *testing.T, db *store.DB) {
	ctx := context.Background()
	in := newIncident(1, "org-a", t0)
	due := t0.Add(time.Hour)
	task := incident.Task{ID: uid(10), IncidentID: in.ID, Title: "Dispatch", AssigneeOrg: "cymat", Due: &due, Status: incident.TaskOpen,
		Dispatch: &incident.Dispatch{Where: "Plant 3", Meet: "Sato", Needed: "forensics"}, TLP: policy.Amber, CreatedAt: t0, UpdatedAt: t0}
	incTx(t, db, func(tx incident.Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		for i, e := range []incident.Entry{
			{ID: uid(20), IncidentID: in.ID, Kind: incident.KindNote, Body: "second", TLP: policy.Amber, At: t0.Add(2 * time.Minute), CreatedAt: t0},
			{ID: uid(21), IncidentID: in.ID, Kind: incident.KindNote, Body: "first", TLP: policy.Red, Users: []string{"u9"}, At: t0.Add(time.Minute), CreatedAt: t0},
		} {
			_ = i
			if err := tx.AddCaseEntry(ctx, e); err != nil {
				return err
			}
		}
		if err := tx.CreateCaseTask(ctx, task); err != nil {
			return err
		}
		if err := tx.AddCaseLink(ctx, incident.Link{ID: uid(30), IncidentID: in.ID, Kind: incident.LinkObservable, Type: "ipv4-addr", Ref: "198.51.100.7", TLP: policy.Amber, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.AddCaseEvidence(ctx, incident.Evidence{ID: uid(40), IncidentID: in.ID, Name: "mail.eml", SHA256: "ab", Size: 3, Malware: true, TLP: policy.Amber, CreatedAt: t0}); err != nil {
			return err
		}
		if err := tx.SaveCaseSearch(ctx, incident.SavedSearch{ID: uid(50), UserID: "u1", Name: "open", Query: "status=triage", CreatedAt: t0}); err != nil {
			return err
		}
		return tx.AddCaseNotice(ctx, incident.Notice{ID: uid(60), OrgID: "org-a", IncidentID: in.ID, Kind: "entry", Text: "x", CreatedAt: t0})
	})
	r := db.Incidents()
	es, _ := r.CaseEntries(ctx, in.ID)
	if len(es) != 2 || es[0].Body != "first" || len(es[0].Users) != 1 || es[0].TLP != policy.Red {
		t.Errorf("entries = %+v", es)
	}
	ts, _ := r.CaseTasks(ctx, in.ID)
	if len(ts) != 1 || ts[0].Dispatch == nil || ts[0].Dispatch.Meet != "Sato" || !ts[0].Due.Equal(due) {
		t.Errorf("tasks = %+v", ts)
	}
	if d, _ := r.DueCaseTasks(ctx, t0.Add(2*time.Hour), 10); len(d) != 1 {
		t.Errorf("due tasks = %d", len(d))
	}
	claimTask := func(at time.Time) bool {
		var ok bool
		incTx(t, db, func(tx incident.Tx) (err error) { ok, err = tx.ClaimTaskOverdue(ctx, ts[0].ID, at); return err })
		return ok
	}
	ts[0].Status = incident.TaskDone
	incTx(t, db, func(tx incident.Tx) error { return tx.UpdateCaseTask(ctx, ts[0]) })
	if d, _ := r.DueCaseTasks(ctx, t0.Add(2*time.Hour), 10); len(d) != 0 {
		t.Errorf("done task still due")
	}
	if claimTask(t0.Add(2 * time.Hour)) {
		t.Error("done task claimed as overdue")
	}
	ts[0].Status = incident.TaskOpen
	incTx(t, db, func(tx incident.Tx) error { return tx.UpdateCaseTask(ctx, ts[0]) })
	if claimTask(due.Add(-time.Minute)) {
		t.Error("task claimed before it was due")
	}
	if !claimTask(t0.Add(2*time.Hour)) || claimTask(t0.Add(2*time.Hour)) {
		t.Error("due task not claimed exactly once")
	}
	if got, _ := r.CaseTask(ctx, ts[0].ID); !got.OverdueSent || got.Status != incident.TaskOpen || got.Title != ts[0].Title {
		t.Errorf("claimed task: %+v", got)
	}
	if _, err := r.CaseTask(ctx, uid(11)); !errs.Is(err, errs.NotFound) {
		t.Errorf("missing task: %v", err)
	}
	ls, _ := r.CaseLinks(ctx, in.ID)
	ev, err := r.CaseEvidenceFile(ctx, uid(40))
	if len(ls) != 1 || err != nil || !ev.Malware || ev.Name != "mail.eml" {
		t.Errorf("links %v evidence %+v %v", ls, ev, err)
	}
	ss, _ := r.CaseSearches(ctx, "u1")
	if len(ss) != 1 || ss[0].Query != "status=triage" {
		t.Errorf("searches = %v", ss)
	}
	if err := db.Incidents().Transact(ctx, func(tx incident.Tx) error { return tx.DeleteCaseSearch(ctx, uid(50), "someone-else") }); !errs.Is(err, errs.NotFound) {
		t.Errorf("deleting another's search: %v", err)
	}
	ns, _ := r.CaseNotices(ctx, "u7", "org-a", 10)
	if len(ns) != 1 {
		t.Errorf("notices = %v", ns)
	}
	if ns, _ := r.CaseNotices(ctx, "", "", 10); len(ns) != 0 {
		t.Errorf("empty recipient matched %d notices", len(ns))
	}
}

func testIncidentRollback(t *testing.T, db *store.DB) {
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.Incidents().Transact(ctx, func(tx incident.Tx) error {
		in := newIncident(1, "org-a", t0)
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		if err := tx.AppendAudit(ctx, &audit.Record{Time: t0, ActorID: "u1", Action: "incident.report", ObjectType: "incident", Outcome: audit.Success}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if n, _ := db.Incidents().CountIncidents(ctx); n != 0 {
		t.Errorf("rolled-back incident stored")
	}
	recs, _ := db.ListAudit(ctx, audit.Filter{})
	if len(recs) != 0 {
		t.Errorf("rolled-back audit stored: %d", len(recs))
	}
}
