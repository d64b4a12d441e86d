package incident

import (
	"context"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// View is a case as one viewer may see it.
type View struct {
	Incident
	Role            policy.CaseRole `json:"role"`    // the viewer's role in the case
	Details         bool            `json:"details"` // false: the viewer sees only that the case exists
	Next            []Status        `json:"next"`    // statuses the case may move to
	AckOverdue      bool            `json:"ack_overdue"`
	ResponseOverdue bool            `json:"response_overdue"`
	Entries         []Entry         `json:"entries"`
	Tasks           []Task          `json:"tasks"`
	Links           []Link          `json:"links"`
	Evidence        []Evidence      `json:"evidence"`
}

// redact keeps only what the existence of a case tells.
func redact(in Incident) Incident {
	return Incident{ID: in.ID, Ref: in.Ref, OwnerOrg: in.OwnerOrg, TLP: in.TLP, Status: in.Status, Severity: in.Severity,
		Systems: []string{}, CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt, AckDue: in.AckDue, ResponseDue: in.ResponseDue,
		AckAt: in.AckAt, ResponseAt: in.ResponseAt, Escalated: in.Escalated, Title: "(TLP:RED)"}
}

// Get returns the case with the entries, tasks, links and evidence the
// viewer may see. The read is audited.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (View, error) {
	in, c, err := s.load(ctx, s.store, a, id, policy.ReadCase)
	if errs.Is(err, errs.Forbidden) && policy.CaseExists(a.Viewer, c) {
		err = nil // existence only: the national centre on a RED case
	}
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
		return View{}, s.deny(ctx, a, "incident.read", id, "", errNoCase)
	}
	if err != nil {
		return View{}, err
	}
	v := View{Incident: in, Role: policy.CaseRoleOf(a.Viewer, c), Details: policy.CaseDetails(a.Viewer, c),
		Entries: []Entry{}, Tasks: []Task{}, Links: []Link{}, Evidence: []Evidence{}}
	v.AckOverdue, v.ResponseOverdue = in.Overdue(s.clock())
	if policy.DecideCase(a.Viewer, policy.ManageCase, c) == nil {
		v.Next = Next(in.Status)
	}
	if !v.Details {
		v.Incident = redact(in)
		return v, s.logRead(ctx, a, "incident.read", in, nil)
	}
	m := member(a)
	entries, err := s.store.CaseEntries(ctx, id)
	if err != nil {
		return View{}, err
	}
	for _, e := range entries {
		if policy.CanSeeCaseItem(m, c, e.item()) {
			v.Entries = append(v.Entries, e)
		}
	}
	tasks, err := s.store.CaseTasks(ctx, id)
	if err != nil {
		return View{}, err
	}
	for _, t := range tasks {
		if policy.CanSeeCaseItem(m, c, t.item()) {
			v.Tasks = append(v.Tasks, t)
		}
	}
	links, err := s.store.CaseLinks(ctx, id)
	if err != nil {
		return View{}, err
	}
	for _, l := range links {
		if policy.CanSeeCaseItem(m, c, l.item()) {
			v.Links = append(v.Links, l)
		}
	}
	files, err := s.store.CaseEvidenceFiles(ctx, id)
	if err != nil {
		return View{}, err
	}
	for _, f := range files {
		if policy.CanSeeCaseItem(m, c, f.item()) {
			v.Evidence = append(v.Evidence, f)
		}
	}
	return v, s.logRead(ctx, a, "incident.read", in, nil)
}

// logRead audits a read of a case (in a batch; see readlog.go).
func (s *Service) logRead(_ context.Context, a identity.Actor, action string, in Incident, detail any) error {
	s.logReadRecord(a.Record(s.clock(), action, "incident", in.ID, in.OwnerOrg, audit.Success, detail))
	return nil
}

// List returns the cases the viewer may know of, newest first, filtered.
// The national centre sees every case; others the cases their
// organisation takes part in. Cases the viewer may not read in detail are
// redacted.
func (s *Service) List(ctx context.Context, a identity.Actor, f Filter) ([]Incident, error) {
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	hub := s.hub(ctx)
	national := policy.CaseRoleOf(a.Viewer, policy.Case{HubOrg: hub}) == policy.CaseNational
	f.Visible = nil
	if !national {
		if a.OrgID == "" {
			return []Incident{}, nil
		}
		f.Visible = []string{a.OrgID}
	}
	f.Now = s.clock()
	f.Limit = f.PageLimit()
	f.Member = a.OrgID
	rows, err := s.store.ListIncidents(ctx, f)
	if err != nil {
		return nil, err
	}
	out := make([]Incident, 0, len(rows))
	for _, in := range rows {
		c := s.caseOf(ctx, in)
		if !policy.CaseExists(a.Viewer, c) {
			continue
		}
		if !policy.CaseDetails(a.Viewer, c) {
			in = redact(in)
		}
		in.Participants = nil
		in.Score.Formula = "" // the same for every case; the case page shows it
		out = append(out, in)
	}
	// the read is audited: which filter, how many cases
	r := a.Record(f.Now, "incident.list", "incident", "", a.OrgID, audit.Success, map[string]any{
		"status": f.Status, "min_level": f.MinLevel, "sector": f.Sector, "org": f.OrgID, "q": f.Q, "escalated": f.Escalated,
		"overdue": f.Overdue, "before": f.BeforeID, "count": len(out)})
	s.logReadRecord(r)
	return out, nil
}

// ---- lifecycle and triage ----

// Transition moves the case to another status, with a reason.
func (s *Service) Transition(ctx context.Context, a identity.Actor, id string, to Status, reason string) (Incident, error) {
	reason = strings.TrimSpace(reason)
	var l errs.List
	if !to.Valid() {
		l.Add(errs.Invalid, "status", "unknown status %q: use one of %v", to, Statuses)
	}
	checkText(&l, "reason", reason, MaxReason, true)
	if err := l.Err(); err != nil {
		return Incident{}, err
	}
	return s.change(ctx, a, id, policy.ManageCase, "incident.status", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		if !CanMove(in.Status, to) {
			return nil, nil, errs.F(errs.Conflict, "status", "a case cannot move from %s to %s; next: %v", in.Status, to, Next(in.Status))
		}
		from := in.Status
		in.Status = to
		if in.AckAt == nil && from == Reported {
			in.AckAt = &now
		}
		if in.ResponseAt == nil && to == Response {
			in.ResponseAt = &now
		}
		e := s.sysEntry(a, *in, KindStatus, string(from)+" → "+string(to)+": "+reason, now)
		if err := tx.AddCaseEntry(ctx, e); err != nil {
			return nil, nil, err
		}
		return map[string]string{"from": string(from), "to": string(to), "reason": reason}, nil, nil
	})
}

// SetImpact changes the triage inputs and recomputes the score (the
// override, if any, stays).
func (s *Service) SetImpact(ctx context.Context, a identity.Actor, id string, im Impact, reason string) (Incident, error) {
	if !im.Valid() {
		return Incident{}, errs.F(errs.Invalid, "impact", "functional, information and recoverability are each 0..3")
	}
	return s.change(ctx, a, id, policy.ManageCase, "incident.impact", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		before := in.Score
		aff, err := s.dir.Org(ctx, in.AffectedOrg)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return nil, nil, err
		}
		in.Impact, in.Score = im, Compute(im, aff.Tier, in.Sector)
		if in.Override == nil {
			in.Severity = in.Score.Level
		}
		s.setDue(in)
		body := "score " + before.Level.String() + " → " + in.Score.Level.String()
		if reason = strings.TrimSpace(reason); reason != "" {
			body += ": " + reason
		}
		if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindSeverity, body, now)); err != nil {
			return nil, nil, err
		}
		notes, err := s.escalate(ctx, tx, a, in, nil)
		return map[string]any{"before": before, "after": in.Score}, notes, err
	})
}

// Override sets the severity by hand, with a reason; nil returns to the
// computed level.
func (s *Service) Override(ctx context.Context, a identity.Actor, id string, lv *Level, reason string) (Incident, error) {
	reason = strings.TrimSpace(reason)
	var l errs.List
	checkText(&l, "reason", reason, MaxReason, true)
	if lv != nil && (*lv < Baseline || *lv > Emergency) {
		l.Add(errs.Invalid, "severity", "unknown severity")
	}
	if err := l.Err(); err != nil {
		return Incident{}, err
	}
	return s.change(ctx, a, id, policy.ManageCase, "incident.severity", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		before := in.Severity
		in.Override, in.OverrideReason, in.Severity = lv, reason, in.Score.Level
		if lv != nil {
			in.Severity = *lv
		} else {
			in.OverrideReason = ""
		}
		s.setDue(in)
		if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindSeverity, "severity "+before.String()+" → "+in.Severity.String()+": "+reason, now)); err != nil {
			return nil, nil, err
		}
		notes, err := s.escalate(ctx, tx, a, in, nil)
		return map[string]any{"before": before, "after": in.Severity, "reason": reason}, notes, err
	})
}

// Invite adds an organisation to the case with a role.
func (s *Service) Invite(ctx context.Context, a identity.Actor, id, orgRef string, role policy.CaseRole, reason string) (Incident, error) {
	if !role.Valid() {
		return Incident{}, errs.F(errs.Invalid, "role", "unknown role %q: use lead, responder or observer", role)
	}
	o, err := s.org(ctx, orgRef)
	if errs.Is(err, errs.NotFound) {
		return Incident{}, errs.F(errs.Invalid, "org", "no organisation %q", orgRef)
	} else if err != nil {
		return Incident{}, err
	}
	return s.change(ctx, a, id, policy.ManageCase, "incident.invite", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		for _, p := range in.Participants {
			if p.OrgID == o.ID {
				return nil, nil, errs.F(errs.Conflict, "org", "%s already takes part as %s", o.Slug, p.Role)
			}
		}
		p := Participant{OrgID: o.ID, Role: role, InvitedBy: a.UserID, Reason: strings.TrimSpace(reason), CreatedAt: now}
		if err := tx.AddParticipant(ctx, in.ID, p); err != nil {
			return nil, nil, err
		}
		in.Participants = append(in.Participants, p)
		if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindParticipant, o.Slug+" invited as "+string(role), now)); err != nil {
			return nil, nil, err
		}
		return p, []Notice{{OrgID: o.ID, IncidentID: in.ID, Kind: "invitation", Text: in.Ref + ": your organisation was invited as " + string(role)}}, nil
	})
}

// sysEntry is a timeline entry the service writes for a change; it has the
// case's TLP.
func (s *Service) sysEntry(a identity.Actor, in Incident, k EntryKind, body string, now time.Time) Entry {
	return Entry{ID: newID(), IncidentID: in.ID, Kind: k, Body: body, TLP: in.TLP, AuthorOrg: a.OrgID, AuthorUser: a.UserID, At: now, CreatedAt: now}
}

// change runs fn on the case in one transaction after deciding act, then
// writes the case, the audit record and the notices.
func (s *Service) change(ctx context.Context, a identity.Actor, id string, act policy.Action, action string,
	fn func(tx Tx, in *Incident, now time.Time) (any, []Notice, error)) (Incident, error) {
	var out Incident
	var denied error
	var notes []Notice
	err := s.store.Transact(ctx, func(tx Tx) error {
		in, _, err := s.load(ctx, tx, a, id, act)
		if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
			denied = err
			return err
		}
		if err != nil {
			return err
		}
		now := s.clock()
		detail, ns, err := fn(tx, &in, now)
		if err != nil {
			return err
		}
		in.UpdatedAt = now
		if err := tx.UpdateIncident(ctx, in); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, a, action, in, detail); err != nil {
			return err
		}
		notes = ns
		if err := s.addNotices(ctx, tx, notes); err != nil {
			return err
		}
		out = in
		return nil
	})
	if denied != nil {
		return Incident{}, s.deny(ctx, a, action, id, "", denied)
	}
	if err != nil {
		return Incident{}, err
	}
	s.deliver(notes)
	return out, nil
}

// escalate runs the national playbook once the severity reaches its
// level: it invites the designated organisations, marks the case, writes
// the timeline and audits every step, and returns the notices to send.
func (s *Service) escalate(ctx context.Context, tx Tx, a identity.Actor, in *Incident, notes []Notice) ([]Notice, error) {
	if in.Escalated || in.Severity < *s.opt.EscalateAt {
		return notes, nil
	}
	now := s.clock()
	in.Escalated, in.EscalatedAt = true, &now
	if err := tx.UpdateIncident(ctx, *in); err != nil {
		return nil, err
	}
	if err := s.audit(ctx, tx, a, "incident.escalate", *in, map[string]any{"severity": in.Severity, "playbook": s.opt.EscalateOrgs}); err != nil {
		return nil, err
	}
	if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindEscalation, "national severity ("+in.Severity.String()+"): playbook started", now)); err != nil {
		return nil, err
	}
	for _, ref := range s.opt.EscalateOrgs {
		o, err := s.org(ctx, ref)
		if err != nil {
			// a playbook organisation that is gone is recorded, not fatal
			if aerr := s.audit(ctx, tx, a, "incident.escalate.missing", *in, map[string]string{"org": ref, "error": err.Error()}); aerr != nil {
				return nil, aerr
			}
			continue
		}
		present := false
		for _, p := range in.Participants {
			present = present || p.OrgID == o.ID
		}
		if !present {
			p := Participant{OrgID: o.ID, Role: s.opt.EscalateRole, InvitedBy: a.UserID, Reason: "escalation playbook", CreatedAt: now}
			if err := tx.AddParticipant(ctx, in.ID, p); err != nil {
				return nil, err
			}
			in.Participants = append(in.Participants, p)
			if err := s.audit(ctx, tx, a, "incident.escalate.invite", *in, p); err != nil {
				return nil, err
			}
			if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindParticipant, o.Slug+" invited by the escalation playbook as "+string(p.Role), now)); err != nil {
				return nil, err
			}
		}
		notes = append(notes, Notice{OrgID: o.ID, IncidentID: in.ID, Kind: "escalation", Text: in.Ref + " escalated: national severity " + in.Severity.String()})
		if err := s.audit(ctx, tx, a, "incident.escalate.notify", *in, map[string]string{"org": o.ID}); err != nil {
			return nil, err
		}
	}
	if h := s.hub(ctx); h != "" {
		notes = append(notes, Notice{OrgID: h, IncidentID: in.ID, Kind: "escalation", Text: in.Ref + " escalated: national severity " + in.Severity.String()})
	}
	return notes, nil
}

// addNotices stores the UI notices in tx.
func (s *Service) addNotices(ctx context.Context, tx Tx, notes []Notice) error {
	now := s.clock()
	for i := range notes {
		notes[i].ID, notes[i].CreatedAt = newID(), now
		if err := tx.AddCaseNotice(ctx, notes[i]); err != nil {
			return err
		}
	}
	return nil
}

// deliver sends committed notices by e-mail and webhook in the background.
func (s *Service) deliver(notes []Notice) {
	if s.sender == nil || len(notes) == 0 {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		for _, n := range notes {
			var to []identity.User
			if n.UserID != "" {
				if u, err := s.dir.User(ctx, n.UserID); err == nil && !u.Disabled {
					to = append(to, u)
				}
			} else if n.OrgID != "" {
				us, _ := s.dir.ListUsers(ctx, identity.UserFilter{OrgID: n.OrgID})
				for _, u := range us {
					if !u.Disabled {
						to = append(to, u)
					}
				}
			}
			s.sender.Send(ctx, n, to)
		}
	}()
}

// Notices returns the newest notices for the viewer and their
// organisation.
func (s *Service) Notices(ctx context.Context, a identity.Actor, limit int) ([]Notice, error) {
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	ns, err := s.store.CaseNotices(ctx, a.UserID, a.OrgID, limit)
	if ns == nil {
		ns = []Notice{}
	}
	return ns, err
}
