// Package incident owns incident cases worked across organisations: the
// report, the severity score, the lifecycle, participants and their roles,
// tasks (CYMAT dispatch requests among them), the timeline, links to alerts
// and intelligence, evidence files, SLA timers, saved searches, escalation
// and exports. It is a domain package: no I/O. Every read is decided by
// policy.CanSeeCaseItem / policy.DecideCase; every write is audited in its
// transaction.
package incident

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Status is where a case is in its lifecycle.
type Status string

// The lifecycle: reported → triage → response → recovery → closed, with
// reopen (closed → triage).
const (
	Reported Status = "reported"
	Triage   Status = "triage"
	Response Status = "response"
	Recovery Status = "recovery"
	Closed   Status = "closed"
)

// Statuses lists the statuses in lifecycle order (the board's columns).
var Statuses = []Status{Reported, Triage, Response, Recovery, Closed}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, k := range Statuses {
		if s == k {
			return true
		}
	}
	return false
}

// transitions lists the allowed moves. Forward one step at a time; back
// one step (response → triage, recovery → response) when work must be
// redone; triage → closed for a false positive; closed → triage reopens.
var transitions = map[Status][]Status{
	Reported: {Triage},
	Triage:   {Response, Closed},
	Response: {Recovery, Triage},
	Recovery: {Closed, Response},
	Closed:   {Triage},
}

// CanMove reports whether a case may go from one status to another.
func CanMove(from, to Status) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Next returns the statuses a case may move to from s.
func Next(s Status) []Status { return transitions[s] }

// Limits on input.
const (
	MaxTitle    = 300
	MaxText     = 20_000
	MaxSystems  = 50
	MaxReason   = 2000
	MaxUsers    = 50
	MaxLinkRef  = 500
	MaxFileName = 255
)

// Incident is one case.
type Incident struct {
	ID          string          `json:"id"`
	Ref         string          `json:"ref"` // human reference: INC-2026-000123
	Title       string          `json:"title"`
	Summary     string          `json:"summary"`
	OwnerOrg    string          `json:"owner_org"`    // the reporting organisation
	AffectedOrg string          `json:"affected_org"` // the organisation hit (often the owner)
	Sector      identity.Sector `json:"sector,omitempty"`
	Systems     []string        `json:"systems"`
	OccurredAt  *time.Time      `json:"occurred_at,omitempty"`
	DetectedAt  *time.Time      `json:"detected_at,omitempty"`
	TLP         policy.TLP      `json:"tlp"`
	Status      Status          `json:"status"`

	Impact         Impact `json:"impact"`
	Score          Score  `json:"score"`    // computed from Impact and the affected organisation
	Severity       Level  `json:"severity"` // Score.Level, or the override
	Override       *Level `json:"override,omitempty"`
	OverrideReason string `json:"override_reason,omitempty"`

	Escalated   bool       `json:"escalated"` // the national playbook ran
	EscalatedAt *time.Time `json:"escalated_at,omitempty"`

	AckDue      time.Time  `json:"ack_due"`
	ResponseDue time.Time  `json:"response_due"`
	AckAt       *time.Time `json:"ack_at,omitempty"`
	ResponseAt  *time.Time `json:"response_at,omitempty"`
	OverdueSent bool       `json:"-"`

	ReportedBy string    `json:"reported_by"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`

	// Participants is filled on reads of one case.
	Participants []Participant `json:"participants,omitempty"`
}

// Overdue reports which SLA clocks have run out at now.
func (in Incident) Overdue(now time.Time) (ack, response bool) {
	ack = in.AckAt == nil && in.Status != Closed && now.After(in.AckDue)
	response = in.ResponseAt == nil && in.Status != Closed && now.After(in.ResponseDue)
	return
}

// Participant is an organisation in a case.
type Participant struct {
	OrgID     string          `json:"org_id"`
	Role      policy.CaseRole `json:"role"`
	InvitedBy string          `json:"invited_by"`
	Reason    string          `json:"reason,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// EntryKind says what a timeline entry is.
type EntryKind string

// The entry kinds. Status, severity, participant and escalation entries are
// written by the service; people write notes and comments.
const (
	KindNote        EntryKind = "note"
	KindComment     EntryKind = "comment"
	KindStatus      EntryKind = "status"
	KindSeverity    EntryKind = "severity"
	KindParticipant EntryKind = "participant"
	KindEscalation  EntryKind = "escalation"
	KindTask        EntryKind = "task"
	KindEvidence    EntryKind = "evidence"
	KindShare       EntryKind = "share"
)

// Entry is one timeline entry.
type Entry struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Kind       EntryKind  `json:"kind"`
	Body       string     `json:"body"`
	TLP        policy.TLP `json:"tlp"`
	Users      []string   `json:"users,omitempty"` // named people (TLP:RED)
	AuthorOrg  string     `json:"author_org"`
	AuthorUser string     `json:"author_user"`
	At         time.Time  `json:"at"` // when it happened (defaults to now)
	CreatedAt  time.Time  `json:"created_at"`
}

func (e Entry) item() policy.Item {
	return policy.Item{TLP: e.TLP, AuthorOrg: e.AuthorOrg, AuthorUser: e.AuthorUser, Users: e.Users}
}

// TaskStatus is where a task is.
type TaskStatus string

// The task statuses.
const (
	TaskOpen     TaskStatus = "open"
	TaskAccepted TaskStatus = "accepted"
	TaskDone     TaskStatus = "done"
	TaskDeclined TaskStatus = "declined"
)

func (s TaskStatus) valid() bool {
	return s == TaskOpen || s == TaskAccepted || s == TaskDone || s == TaskDeclined
}

// Dispatch is the CYMAT dispatch request form: a task to a responder
// organisation to come on site.
type Dispatch struct {
	Where    string `json:"where"`    // site address
	Meet     string `json:"meet"`     // who to meet, and how to reach them
	Needed   string `json:"needed"`   // what is needed (skills, equipment)
	Duration string `json:"duration"` // expected length, free text
}

// Task is work assigned to a person or an organisation.
type Task struct {
	ID           string     `json:"id"`
	IncidentID   string     `json:"incident_id"`
	Title        string     `json:"title"`
	Detail       string     `json:"detail,omitempty"`
	AssigneeUser string     `json:"assignee_user,omitempty"`
	AssigneeOrg  string     `json:"assignee_org,omitempty"`
	Due          *time.Time `json:"due,omitempty"`
	Status       TaskStatus `json:"status"`
	Dispatch     *Dispatch  `json:"dispatch,omitempty"`
	TLP          policy.TLP `json:"tlp"`
	AuthorOrg    string     `json:"author_org"`
	AuthorUser   string     `json:"author_user"`
	OverdueSent  bool       `json:"-"`
	CreatedAt    time.Time  `json:"created_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
}

func (t Task) item() policy.Item {
	it := policy.Item{TLP: t.TLP, AuthorOrg: t.AuthorOrg, AuthorUser: t.AuthorUser}
	if t.AssigneeUser != "" {
		it.Users = []string{t.AssigneeUser}
	}
	return it
}

// LinkKind is what a link points to.
type LinkKind string

// The link kinds.
const (
	LinkAlert      LinkKind = "alert"      // a GSOC alert, by id
	LinkIndicator  LinkKind = "indicator"  // a STIX indicator or object id in the intelligence store
	LinkObservable LinkKind = "observable" // a value: ipv4, domain, url, sha256, e-mail ...
)

// Link ties a case to an alert, an indicator or an observable.
type Link struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Kind       LinkKind   `json:"kind"`
	Type       string     `json:"type,omitempty"` // for observables: ipv4-addr, domain-name, url, file:sha256, email-addr ...
	Ref        string     `json:"ref"`            // alert id, STIX id, or the observable's value
	TLP        policy.TLP `json:"tlp"`
	AuthorOrg  string     `json:"author_org"`
	AuthorUser string     `json:"author_user"`
	CreatedAt  time.Time  `json:"created_at"`
}

func (l Link) item() policy.Item {
	return policy.Item{TLP: l.TLP, AuthorOrg: l.AuthorOrg, AuthorUser: l.AuthorUser}
}

// Evidence is a file attached to a case, stored once by content.
type Evidence struct {
	ID         string     `json:"id"`
	IncidentID string     `json:"incident_id"`
	Name       string     `json:"name"`
	SHA256     string     `json:"sha256"`
	Size       int64      `json:"size"`
	Malware    bool       `json:"malware"` // kept zipped (see blob.go)
	TLP        policy.TLP `json:"tlp"`
	AuthorOrg  string     `json:"author_org"`
	AuthorUser string     `json:"author_user"`
	CreatedAt  time.Time  `json:"created_at"`
}

func (e Evidence) item() policy.Item {
	return policy.Item{TLP: e.TLP, AuthorOrg: e.AuthorOrg, AuthorUser: e.AuthorUser}
}

// SavedSearch is a named list filter of one person.
type SavedSearch struct {
	ID        string    `json:"id"`
	UserID    string    `json:"user_id"`
	Name      string    `json:"name"`
	Query     string    `json:"query"` // the list's query string: status=triage&severity=high
	CreatedAt time.Time `json:"created_at"`
}

// Notice is one notification shown in the UI (and sent by e-mail and
// webhook).
type Notice struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id,omitempty"` // one person, or
	OrgID      string    `json:"org_id,omitempty"`  // every person of an organisation
	IncidentID string    `json:"incident_id"`
	Kind       string    `json:"kind"` // assignment, escalation, overdue, entry, invitation
	Text       string    `json:"text"`
	CreatedAt  time.Time `json:"created_at"`
}

// Filter selects cases for the list.
type Filter struct {
	Status    []Status
	MinLevel  *Level
	Sector    identity.Sector
	OrgID     string // owner or affected
	Q         string // substring of title or ref
	Escalated *bool
	Overdue   bool // acknowledgement or first response overdue at Now
	Now       time.Time
	// Visible limits to cases whose participants include one of these
	// organisations; nil means every case (the national centre).
	Visible []string
	// Member, when set, is the one organisation whose participation each
	// listed case comes with (all that policy needs to decide on the
	// viewer); when empty, every participant comes with it.
	Member string
	// AfterCreated/AfterID page backwards by creation: newest first.
	BeforeCreated time.Time
	BeforeID      string
	Limit         int
}

// PageLimit is Limit bounded to 1..500, 50 by default.
func (f Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return 50
	case f.Limit > 500:
		return 500
	}
	return f.Limit
}

func checkText(l *errs.List, field, s string, max int, required bool) {
	switch {
	case required && strings.TrimSpace(s) == "":
		l.Add(errs.Invalid, field, "is required")
	case utf8.RuneCountInString(s) > max:
		l.Add(errs.TooLarge, field, "is longer than %d characters", max)
	case !utf8.ValidString(s):
		l.Add(errs.Invalid, field, "is not valid UTF-8")
	}
}

func checkTLP(l *errs.List, field string, t policy.TLP) {
	if !t.Valid() {
		l.Add(errs.Invalid, field, "unknown TLP %q: use clear, green, amber, amber+strict or red", t)
	}
}
