package incident

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Options configure the service.
type Options struct {
	// HubOrg is the national centre's organisation (id or slug): it sees
	// every case's existence and, up to AMBER+STRICT, its details.
	HubOrg string
	SLAs   SLAs
	// EscalateAt is the severity from which the national playbook runs
	// (Severe by default).
	EscalateAt *Level
	// EscalateOrgs are the organisations (ids or slugs) the playbook
	// invites, e.g. defence and police; EscalateRole their role
	// (responder by default).
	EscalateOrgs []string
	EscalateRole policy.CaseRole
	// MaxEvidence is the largest evidence file accepted, in bytes (1 GiB
	// by default).
	MaxEvidence int64
	Now         func() time.Time
}

// Service implements the case use cases.
type Service struct {
	store  Store
	dir    Directory
	blobs  Blobs
	intel  *intel.Service
	sender Sender
	opt    Options
	hubID  string
	wg     sync.WaitGroup

	reads     chan readReq // read audit records for the batch appender
	readsDone chan struct{}
}

// NewService returns a Service. blobs, in and sender may be nil: evidence,
// sharing and outside notifications are then unavailable.
func NewService(st Store, dir Directory, blobs Blobs, in *intel.Service, sender Sender, opt Options) (*Service, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.SLAs == nil {
		opt.SLAs = DefaultSLAs
	}
	if err := opt.SLAs.Validate(); err != nil {
		return nil, err
	}
	if opt.EscalateAt == nil {
		lv := Severe
		opt.EscalateAt = &lv
	}
	if opt.EscalateRole == "" {
		opt.EscalateRole = policy.CaseResponder
	}
	if !opt.EscalateRole.Valid() {
		return nil, errs.F(errs.Invalid, "escalate_role", "unknown case role %q", opt.EscalateRole)
	}
	if opt.MaxEvidence <= 0 {
		opt.MaxEvidence = 1 << 30
	}
	s := &Service{store: st, dir: dir, blobs: blobs, intel: in, sender: sender, opt: opt}
	s.startReadLog()
	return s, nil
}

// MaxEvidence is the largest evidence file accepted, in bytes.
func (s *Service) MaxEvidence() int64 { return s.opt.MaxEvidence }

// SLAs returns the configured targets.
func (s *Service) SLAs() SLAs { return s.opt.SLAs }

// Wait blocks until every notification started so far was delivered or
// gave up (tests and shutdown).
func (s *Service) Wait() { s.wg.Wait() }

func (s *Service) clock() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// hub resolves the national centre's organisation id once it exists.
func (s *Service) hub(ctx context.Context) string {
	if s.hubID != "" || s.opt.HubOrg == "" {
		return s.hubID
	}
	if o, err := s.org(ctx, s.opt.HubOrg); err == nil {
		s.hubID = o.ID
	}
	return s.hubID
}

func (s *Service) org(ctx context.Context, ref string) (identity.Org, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return s.dir.Org(ctx, ref)
	}
	return s.dir.OrgBySlug(ctx, ref)
}

func (s *Service) user(ctx context.Context, ref string) (identity.User, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return s.dir.User(ctx, ref)
	}
	return s.dir.UserByUsername(ctx, ref)
}

// caseOf is what policy needs of in.
func (s *Service) caseOf(ctx context.Context, in Incident) policy.Case {
	c := policy.Case{OwnerOrg: in.OwnerOrg, TLP: in.TLP, Participants: map[string]policy.CaseRole{}, HubOrg: s.hub(ctx)}
	for _, p := range in.Participants {
		c.Participants[p.OrgID] = p.Role
	}
	return c
}

func member(a identity.Actor) policy.Member { return policy.Member{Viewer: a.Viewer} }

func (s *Service) audit(ctx context.Context, tx Tx, a identity.Actor, action string, in Incident, detail any) error {
	return tx.AppendAudit(ctx, a.Record(s.clock(), action, "incident", in.ID, in.OwnerOrg, audit.Success, detail))
}

// deny records a refusal in its own transaction and returns err; a viewer
// who may not know the case exists gets NotFound.
func (s *Service) deny(ctx context.Context, a identity.Actor, action, id, org string, err error) error {
	out := audit.Denied
	if !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.NotFound) {
		out = audit.Failure
	}
	r := a.Record(s.clock(), action, "incident", id, org, out, map[string]string{"reason": err.Error()})
	if aerr := s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, r) }); aerr != nil {
		return errs.Wrap(aerr, "audit denial")
	}
	return err
}

var errNoCase = errs.E(errs.NotFound, "no such incident")

// load reads a case in tx (or the store) and decides a on it. A viewer who
// may not know it exists gets NotFound, the same as for a missing id.
func (s *Service) load(ctx context.Context, r Reader, a identity.Actor, id string, act policy.Action) (Incident, policy.Case, error) {
	if a.Anonymous() {
		return Incident{}, policy.Case{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	if _, err := uuid.Parse(id); err != nil {
		return Incident{}, policy.Case{}, errNoCase
	}
	in, err := r.Incident(ctx, id)
	if err != nil {
		return Incident{}, policy.Case{}, err
	}
	c := s.caseOf(ctx, in)
	if !policy.CaseExists(a.Viewer, c) {
		return Incident{}, policy.Case{}, errNoCase
	}
	// the case comes back with a refusal too: Get shows the national
	// centre that a RED case exists
	return in, c, policy.DecideCase(a.Viewer, act, c)
}

// ---- report ----

// ReportInput is a new incident.
type ReportInput struct {
	Title       string          `json:"title"`
	Summary     string          `json:"summary"`
	AffectedOrg string          `json:"affected_org"` // id or slug; the reporter's own by default
	Sector      identity.Sector `json:"sector"`       // the affected organisation's by default
	Systems     []string        `json:"systems"`
	OccurredAt  *time.Time      `json:"occurred_at"`
	DetectedAt  *time.Time      `json:"detected_at"`
	TLP         policy.TLP      `json:"tlp"` // AMBER by default
	Impact      Impact          `json:"impact"`
	// Observables found in a pasted report are linked on creation.
	Observables []Observable `json:"observables"`
}

// Report files a new incident for the reporter's organisation, which owns
// it. The national playbook runs at once if the score reaches its level.
func (s *Service) Report(ctx context.Context, a identity.Actor, ri ReportInput) (Incident, error) {
	c := policy.Case{OwnerOrg: a.OrgID, TLP: ri.TLP}
	if err := policy.DecideCase(a.Viewer, policy.ReportIncident, c); err != nil {
		return Incident{}, s.deny(ctx, a, "incident.report", "", a.OrgID, err)
	}
	if ri.TLP == "" {
		ri.TLP = policy.Amber
	}
	ri.Title, ri.Summary = strings.TrimSpace(ri.Title), strings.TrimSpace(ri.Summary)
	var l errs.List
	checkText(&l, "title", ri.Title, MaxTitle, true)
	checkText(&l, "summary", ri.Summary, MaxText, false)
	checkTLP(&l, "tlp", ri.TLP)
	if len(ri.Systems) > MaxSystems {
		l.Add(errs.TooLarge, "systems", "at most %d systems", MaxSystems)
	}
	for i, sys := range ri.Systems {
		checkText(&l, "systems["+itoa(i)+"]", sys, MaxTitle, true)
	}
	if !ri.Impact.Valid() {
		l.Add(errs.Invalid, "impact", "functional, information and recoverability are each 0..3")
	}
	if ri.Sector != "" && !ri.Sector.Valid() {
		l.Add(errs.Invalid, "sector", "unknown sector %q", ri.Sector)
	}
	if len(ri.Observables) > 500 {
		l.Add(errs.TooLarge, "observables", "at most 500 observables")
	}
	for i, o := range ri.Observables {
		if err := o.validate(); err != nil {
			l.Add(errs.Invalid, "observables["+itoa(i)+"]", "%v", err)
		}
	}
	now := s.clock()
	for _, f := range []struct {
		name string
		t    *time.Time
	}{{"occurred_at", ri.OccurredAt}, {"detected_at", ri.DetectedAt}} {
		if f.t != nil && f.t.After(now.Add(5*time.Minute)) {
			l.Add(errs.Invalid, f.name, "is in the future")
		}
	}
	affected := a.OrgID
	var aff identity.Org
	if ri.AffectedOrg != "" {
		o, err := s.org(ctx, ri.AffectedOrg)
		if errs.Is(err, errs.NotFound) {
			l.Add(errs.Invalid, "affected_org", "no organisation %q", ri.AffectedOrg)
		} else if err != nil {
			return Incident{}, err
		}
		aff, affected = o, o.ID
	} else if o, err := s.dir.Org(ctx, a.OrgID); err == nil {
		aff = o
	} else if !errs.Is(err, errs.NotFound) {
		return Incident{}, err
	}
	if err := l.Err(); err != nil {
		return Incident{}, err
	}
	if ri.Sector == "" {
		ri.Sector = aff.Sector
	}
	in := Incident{
		ID: newID(), Title: ri.Title, Summary: ri.Summary, OwnerOrg: a.OrgID, AffectedOrg: affected,
		Sector: ri.Sector, Systems: nonNil(ri.Systems), OccurredAt: utc(ri.OccurredAt), DetectedAt: utc(ri.DetectedAt),
		TLP: ri.TLP, Status: Reported, Impact: ri.Impact, ReportedBy: a.UserID, CreatedAt: now, UpdatedAt: now,
	}
	in.Ref = "INC-" + now.Format("2006") + "-" + strings.ToUpper(strings.ReplaceAll(in.ID, "-", "")[20:])
	in.Score = Compute(ri.Impact, aff.Tier, ri.Sector)
	in.Severity = in.Score.Level
	s.setDue(&in)
	in.Participants = []Participant{{OrgID: a.OrgID, Role: policy.CaseOwner, InvitedBy: a.UserID, CreatedAt: now}}
	var notes []Notice
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreateIncident(ctx, in); err != nil {
			return err
		}
		if err := tx.AddParticipant(ctx, in.ID, in.Participants[0]); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, a, "incident.report", in, in); err != nil {
			return err
		}
		for _, o := range ri.Observables {
			lk := Link{ID: newID(), IncidentID: in.ID, Kind: LinkObservable, Type: o.Type, Ref: o.Value, TLP: in.TLP,
				AuthorOrg: a.OrgID, AuthorUser: a.UserID, CreatedAt: now}
			if err := tx.AddCaseLink(ctx, lk); err != nil {
				return err
			}
		}
		if h := s.hub(ctx); h != "" && h != a.OrgID {
			notes = append(notes, Notice{OrgID: h, IncidentID: in.ID, Kind: "reported", Text: in.Ref + " reported (" + in.Severity.String() + ")"})
		}
		var err error
		notes, err = s.escalate(ctx, tx, a, &in, notes)
		if err != nil {
			return err
		}
		return s.addNotices(ctx, tx, notes)
	})
	if err != nil {
		return Incident{}, err
	}
	s.deliver(notes)
	return in, nil
}

// setDue sets the SLA clocks from the creation time and the severity.
func (s *Service) setDue(in *Incident) {
	sla := s.opt.SLAs.For(in.Severity)
	in.AckDue = in.CreatedAt.Add(sla.Ack)
	in.ResponseDue = in.CreatedAt.Add(sla.Response)
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC().Truncate(time.Microsecond)
	return &u
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b [20]byte
	n := len(b)
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return string(b[n:])
}
