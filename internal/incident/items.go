package incident

import (
	"context"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// itemTLP checks an item's own level: empty takes the case's; a level less
// strict than the case's is refused, since the case's would apply anyway.
func itemTLP(l *errs.List, field string, t *policy.TLP, in Incident) {
	if *t == "" {
		*t = in.TLP
		return
	}
	checkTLP(l, field, *t)
	if t.Valid() && t.Rank() < in.TLP.Rank() {
		l.Add(errs.Invalid, field, "an item cannot be less restricted (%s) than its case (%s)", *t, in.TLP)
	}
}

// EntryInput is a note or comment.
type EntryInput struct {
	Kind  EntryKind  `json:"kind"` // note (default) or comment
	Body  string     `json:"body"`
	TLP   policy.TLP `json:"tlp"`   // the case's by default
	Users []string   `json:"users"` // named people for TLP:RED (ids or usernames)
	At    *time.Time `json:"at"`    // when it happened; now by default
}

// AddEntry adds a note (responders and up) or a comment (every analyst of
// a participant) to the timeline, and notifies the participants.
func (s *Service) AddEntry(ctx context.Context, a identity.Actor, id string, ei EntryInput) (Entry, error) {
	if ei.Kind == "" {
		ei.Kind = KindNote
	}
	act := policy.WorkCase
	switch ei.Kind {
	case KindComment:
		act = policy.CommentCase
	case KindNote:
	default:
		return Entry{}, errs.F(errs.Invalid, "kind", "people write notes and comments; %q entries are written by the hub", ei.Kind)
	}
	var out Entry
	_, err := s.change(ctx, a, id, act, "incident.entry", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		var l errs.List
		ei.Body = strings.TrimSpace(ei.Body)
		checkText(&l, "body", ei.Body, MaxText, true)
		itemTLP(&l, "tlp", &ei.TLP, *in)
		users, err := s.resolveUsers(ctx, &l, ei.Users)
		if err != nil {
			return nil, nil, err
		}
		if ei.TLP == policy.Red && len(users) == 0 {
			l.Add(errs.Invalid, "users", "a TLP:RED entry names the people who may read it")
		}
		if ei.At != nil && ei.At.After(now.Add(5*time.Minute)) {
			l.Add(errs.Invalid, "at", "is in the future")
		}
		if err := l.Err(); err != nil {
			return nil, nil, err
		}
		e := Entry{ID: newID(), IncidentID: in.ID, Kind: ei.Kind, Body: ei.Body, TLP: ei.TLP, Users: users,
			AuthorOrg: a.OrgID, AuthorUser: a.UserID, At: now, CreatedAt: now}
		if ei.At != nil {
			e.At = ei.At.UTC().Truncate(time.Microsecond)
		}
		if err := tx.AddCaseEntry(ctx, e); err != nil {
			return nil, nil, err
		}
		out = e
		var notes []Notice
		c := s.caseOf(ctx, *in)
		for _, p := range in.Participants {
			if p.OrgID == a.OrgID {
				continue
			}
			// notify only organisations that may read the entry
			if policy.CanSeeCaseItem(policy.Member{Viewer: policy.Viewer{UserID: "-", OrgID: p.OrgID, Role: policy.Analyst}}, c, e.item()) {
				notes = append(notes, Notice{OrgID: p.OrgID, IncidentID: in.ID, Kind: "entry", Text: in.Ref + ": new " + string(e.Kind)})
			}
		}
		for _, u := range users {
			notes = append(notes, Notice{UserID: u, IncidentID: in.ID, Kind: "entry", Text: in.Ref + ": a TLP:RED entry names you"})
		}
		return map[string]any{"entry": e.ID, "kind": e.Kind, "tlp": e.TLP}, notes, nil
	})
	return out, err
}

func (s *Service) resolveUsers(ctx context.Context, l *errs.List, refs []string) ([]string, error) {
	if len(refs) > MaxUsers {
		l.Add(errs.TooLarge, "users", "at most %d people", MaxUsers)
		return nil, nil
	}
	var out []string
	for i, r := range refs {
		u, err := s.user(ctx, r)
		if errs.Is(err, errs.NotFound) {
			l.Add(errs.Invalid, "users["+itoa(i)+"]", "no person %q", r)
			continue
		} else if err != nil {
			return nil, err
		}
		out = append(out, u.ID)
	}
	return out, nil
}

// TaskInput is a new task.
type TaskInput struct {
	Title        string     `json:"title"`
	Detail       string     `json:"detail"`
	AssigneeUser string     `json:"assignee_user"` // id or username, of a participant organisation
	AssigneeOrg  string     `json:"assignee_org"`  // id or slug, a participant
	Due          *time.Time `json:"due"`
	Dispatch     *Dispatch  `json:"dispatch"` // a CYMAT dispatch request: needs assignee_org
	TLP          policy.TLP `json:"tlp"`
}

// AddTask assigns work to a person or an organisation of the case.
func (s *Service) AddTask(ctx context.Context, a identity.Actor, id string, ti TaskInput) (Task, error) {
	var out Task
	_, err := s.change(ctx, a, id, policy.WorkCase, "incident.task", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		var l errs.List
		ti.Title = strings.TrimSpace(ti.Title)
		checkText(&l, "title", ti.Title, MaxTitle, true)
		checkText(&l, "detail", ti.Detail, MaxText, false)
		itemTLP(&l, "tlp", &ti.TLP, *in)
		c := s.caseOf(ctx, *in)
		t := Task{ID: newID(), IncidentID: in.ID, Title: ti.Title, Detail: ti.Detail, Status: TaskOpen, TLP: ti.TLP,
			AuthorOrg: a.OrgID, AuthorUser: a.UserID, CreatedAt: now, UpdatedAt: now, Due: utc(ti.Due), Dispatch: ti.Dispatch}
		if ti.AssigneeUser == "" && ti.AssigneeOrg == "" {
			l.Add(errs.Invalid, "assignee_org", "a task is assigned to a person or an organisation")
		}
		if ti.AssigneeOrg != "" {
			o, err := s.org(ctx, ti.AssigneeOrg)
			switch {
			case errs.Is(err, errs.NotFound):
				l.Add(errs.Invalid, "assignee_org", "no organisation %q", ti.AssigneeOrg)
			case err != nil:
				return nil, nil, err
			case c.Participants[o.ID] == "" && o.ID != in.OwnerOrg:
				l.Add(errs.Invalid, "assignee_org", "%s is not in the case: invite it first", o.Slug)
			default:
				t.AssigneeOrg = o.ID
			}
		}
		if ti.AssigneeUser != "" {
			u, err := s.user(ctx, ti.AssigneeUser)
			switch {
			case errs.Is(err, errs.NotFound):
				l.Add(errs.Invalid, "assignee_user", "no person %q", ti.AssigneeUser)
			case err != nil:
				return nil, nil, err
			case c.Participants[u.OrgID] == "":
				l.Add(errs.Invalid, "assignee_user", "%s's organisation is not in the case: invite it first", u.Username)
			case t.AssigneeOrg != "" && t.AssigneeOrg != u.OrgID:
				l.Add(errs.Invalid, "assignee_user", "%s is not of the assigned organisation", u.Username)
			default:
				t.AssigneeUser = u.ID
				if t.AssigneeOrg == "" {
					t.AssigneeOrg = u.OrgID
				}
			}
		}
		if t.Due != nil && t.Due.Before(in.CreatedAt) {
			l.Add(errs.Invalid, "due", "is before the case was reported")
		}
		if d := ti.Dispatch; d != nil {
			if ti.AssigneeOrg == "" {
				l.Add(errs.Invalid, "assignee_org", "a dispatch request goes to the responder organisation (CYMAT)")
			}
			checkText(&l, "dispatch.where", d.Where, MaxTitle, true)
			checkText(&l, "dispatch.meet", d.Meet, MaxTitle, true)
			checkText(&l, "dispatch.needed", d.Needed, MaxText, true)
			checkText(&l, "dispatch.duration", d.Duration, MaxTitle, false)
		}
		if err := l.Err(); err != nil {
			return nil, nil, err
		}
		if err := tx.CreateCaseTask(ctx, t); err != nil {
			return nil, nil, err
		}
		kind := "task"
		if t.Dispatch != nil {
			kind = "dispatch request"
		}
		if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindTask, kind+": "+t.Title, now)); err != nil {
			return nil, nil, err
		}
		out = t
		n := Notice{OrgID: t.AssigneeOrg, IncidentID: in.ID, Kind: "assignment", Text: in.Ref + ": " + kind + " assigned: " + t.Title}
		if t.AssigneeUser != "" {
			n.OrgID, n.UserID = "", t.AssigneeUser
		}
		return t, []Notice{n}, nil
	})
	return out, err
}

// UpdateTask changes a task's status. The assignee's organisation, the
// task's author and those who may work the case may.
func (s *Service) UpdateTask(ctx context.Context, a identity.Actor, taskID string, st TaskStatus) (Task, error) {
	if !st.valid() {
		return Task{}, errs.F(errs.Invalid, "status", "unknown task status %q: open, accepted, done or declined", st)
	}
	t, err := s.store.CaseTask(ctx, taskID)
	if errs.Is(err, errs.NotFound) {
		return Task{}, errs.E(errs.NotFound, "no such task")
	} else if err != nil {
		return Task{}, err
	}
	var out Task
	_, err = s.change(ctx, a, t.IncidentID, policy.CommentCase, "incident.task.update", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		t, err := tx.CaseTask(ctx, taskID)
		if err != nil {
			return nil, nil, err
		}
		c := s.caseOf(ctx, *in)
		if !policy.CanSeeCaseItem(member(a), c, t.item()) {
			return nil, nil, errs.E(errs.NotFound, "no such task")
		}
		if a.OrgID != t.AssigneeOrg && policy.DecideCase(a.Viewer, policy.WorkCase, c) != nil {
			return nil, nil, errs.E(errs.Forbidden, "only the assignee or those working the case may change a task")
		}
		before := t.Status
		t.Status, t.UpdatedAt = st, now
		if err := tx.UpdateCaseTask(ctx, t); err != nil {
			return nil, nil, err
		}
		if err := tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindTask, "task "+t.Title+": "+string(before)+" → "+string(st), now)); err != nil {
			return nil, nil, err
		}
		out = t
		return map[string]string{"task": t.ID, "from": string(before), "to": string(st)}, nil, nil
	})
	return out, err
}

// LinkInput links an alert, an indicator or an observable.
type LinkInput struct {
	Kind LinkKind   `json:"kind"`
	Type string     `json:"type"` // observables: ipv4-addr, domain-name, url, file-sha256, email-addr ...
	Ref  string     `json:"ref"`
	TLP  policy.TLP `json:"tlp"`
}

// AddLink ties the case to an alert (by id), an indicator (by STIX id) or
// an observable value.
func (s *Service) AddLink(ctx context.Context, a identity.Actor, id string, li LinkInput) (Link, error) {
	var out Link
	_, err := s.change(ctx, a, id, policy.WorkCase, "incident.link", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		var l errs.List
		li.Ref = strings.TrimSpace(li.Ref)
		checkText(&l, "ref", li.Ref, MaxLinkRef, true)
		itemTLP(&l, "tlp", &li.TLP, *in)
		switch li.Kind {
		case LinkAlert:
		case LinkIndicator:
			if !stixIDRE.MatchString(li.Ref) {
				l.Add(errs.Invalid, "ref", "an indicator link names a STIX id (type--uuid)")
			}
		case LinkObservable:
			o := Observable{Type: li.Type, Value: li.Ref}
			if err := o.validate(); err != nil {
				l.Add(errs.Invalid, "ref", "%v", err)
			}
		default:
			l.Add(errs.Invalid, "kind", "unknown link kind %q: alert, indicator or observable", li.Kind)
		}
		if err := l.Err(); err != nil {
			return nil, nil, err
		}
		lk := Link{ID: newID(), IncidentID: in.ID, Kind: li.Kind, Type: li.Type, Ref: li.Ref, TLP: li.TLP,
			AuthorOrg: a.OrgID, AuthorUser: a.UserID, CreatedAt: now}
		if err := tx.AddCaseLink(ctx, lk); err != nil {
			return nil, nil, err
		}
		out = lk
		return lk, nil, nil
	})
	return out, err
}

// ---- saved searches ----

// SaveSearch keeps a named list filter for the viewer.
func (s *Service) SaveSearch(ctx context.Context, a identity.Actor, name, query string) (SavedSearch, error) {
	if a.Anonymous() {
		return SavedSearch{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	var l errs.List
	name = strings.TrimSpace(name)
	checkText(&l, "name", name, 100, true)
	checkText(&l, "query", query, 2000, false)
	if _, err := ParseQuery(query); err != nil {
		return SavedSearch{}, err
	}
	if err := l.Err(); err != nil {
		return SavedSearch{}, err
	}
	ss := SavedSearch{ID: newID(), UserID: a.UserID, Name: name, Query: query, CreatedAt: s.clock()}
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.SaveCaseSearch(ctx, ss); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(ss.CreatedAt, "incident.search.save", "incident_search", ss.ID, a.OrgID, "success", ss))
	})
	return ss, err
}

// Searches lists the viewer's saved searches.
func (s *Service) Searches(ctx context.Context, a identity.Actor) ([]SavedSearch, error) {
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	out, err := s.store.CaseSearches(ctx, a.UserID)
	if out == nil {
		out = []SavedSearch{}
	}
	return out, err
}

// DeleteSearch removes one of the viewer's saved searches.
func (s *Service) DeleteSearch(ctx context.Context, a identity.Actor, id string) error {
	if a.Anonymous() {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.DeleteCaseSearch(ctx, id, a.UserID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(s.clock(), "incident.search.delete", "incident_search", id, a.OrgID, "success", nil))
	})
}

// ---- SLA sweep ----

// Sweep notifies overdue acknowledgements, first responses and tasks, once
// each, and returns how many it notified. The server runs it every minute
// as the system, on every node: each notice is claimed in the database
// (ClaimOverdue), so it goes out once however many nodes sweep at once,
// and the sweep writes nothing else of a case or task.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	now := s.clock()
	sys := identity.System("system")
	due, err := s.store.DueIncidents(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	tasks, err := s.store.DueCaseTasks(ctx, now, 500)
	if err != nil {
		return 0, err
	}
	var notes []Notice
	n := 0
	err = s.store.Transact(ctx, func(tx Tx) error {
		notes, n = nil, 0
		// Each is claimed in the transaction, then read again: another
		// node may have notified it, or someone changed it, since the
		// read above.
		for _, d := range due {
			if ok, err := tx.ClaimOverdue(ctx, d.ID, now); err != nil {
				return err
			} else if !ok {
				continue
			}
			in, err := tx.Incident(ctx, d.ID)
			if err != nil {
				return err
			}
			n++
			what := "first response"
			if ack, _ := in.Overdue(now); ack {
				what = "acknowledgement"
			}
			if err := s.audit(ctx, tx, sys, "incident.overdue", in, map[string]string{"what": what}); err != nil {
				return err
			}
			notes = append(notes, Notice{OrgID: in.OwnerOrg, IncidentID: in.ID, Kind: "overdue", Text: in.Ref + ": " + what + " overdue (" + in.Severity.String() + ")"})
			if h := s.hub(ctx); h != "" && h != in.OwnerOrg {
				notes = append(notes, Notice{OrgID: h, IncidentID: in.ID, Kind: "overdue", Text: in.Ref + ": " + what + " overdue (" + in.Severity.String() + ")"})
			}
		}
		for _, d := range tasks {
			if ok, err := tx.ClaimTaskOverdue(ctx, d.ID, now); err != nil {
				return err
			} else if !ok {
				continue
			}
			t, err := tx.CaseTask(ctx, d.ID)
			if err != nil {
				return err
			}
			n++
			if err := tx.AppendAudit(ctx, sys.Record(now, "incident.task.overdue", "incident_task", t.ID, t.AssigneeOrg, "success", nil)); err != nil {
				return err
			}
			note := Notice{OrgID: t.AssigneeOrg, IncidentID: t.IncidentID, Kind: "overdue", Text: "task overdue: " + t.Title}
			if t.AssigneeUser != "" {
				note.OrgID, note.UserID = "", t.AssigneeUser
			}
			notes = append(notes, note)
		}
		return s.addNotices(ctx, tx, notes)
	})
	if err != nil {
		return 0, err
	}
	s.deliver(notes)
	return n, nil
}
