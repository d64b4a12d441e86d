// Package identity owns organisations, communities, people, roles, API
// tokens and sessions: who is who on the hub and what they may manage.
//
// Service is the only way the UI, the REST API and the CLI change or read
// identity data. Each method asks the policy package first, validates its
// input, writes in one store transaction and appends an audit record in that
// same transaction, so that nothing is half-written and nothing is unrecorded.
package identity

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Actor is who calls a Service method and from where. The zero Actor is an
// anonymous caller.
type Actor struct {
	policy.Viewer
	Username  string
	Remote    string // client IP address, or "cli"
	Via       string // "web", "api", "cli", "system"
	RequestID string
}

// SystemID is the user id of the System actor; no stored person has it.
const SystemID = "system"

// System returns the actor used by the CLI and the demo seeder: a hub
// administrator with write scope that belongs to no organisation and holds
// no compartments.
func System(via string) Actor {
	return Actor{
		Viewer:   policy.Viewer{UserID: SystemID, Role: policy.HubAdmin, Scope: policy.ScopeWrite},
		Username: "system", Remote: via, Via: via,
	}
}

// Service implements identity's use cases on a Store.
type Service struct {
	store    Store
	now      func() time.Time
	limiter  *Limiter
	touching sync.Map       // token IDs whose last use is being written
	touches  sync.WaitGroup // those writes
	reads    *audit.Group   // the audit records of reads, in shared transactions
}

// NewService returns a Service on st. now defaults to time.Now.
func NewService(st Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, now: now, limiter: NewLimiter(now), reads: audit.NewGroup(func(ctx context.Context, rs []*audit.Record) error {
		return st.Transact(ctx, func(tx Tx) error { return audit.AppendAll(ctx, tx, rs) })
	})}
}

// LogRead appends the audit record of a read, in a transaction shared with
// the reads of the same moment (audit.Group); for readers of data this
// service's store keeps the trail of, such as TAXII pulls.
func (s *Service) LogRead(ctx context.Context, r *audit.Record) error { return s.reads.Append(ctx, r) }

// Store returns the underlying store, for health checks.
func (s *Service) Store() Store { return s.store }

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// record builds an audit record for a by the actor, stamped now.
func (s *Service) record(a Actor, action, objType, objID, objOrg string, outcome audit.Outcome, detail any) *audit.Record {
	return a.Record(s.clock(), action, objType, objID, objOrg, outcome, detail)
}

// Record builds the audit record of something the actor did at t: detail
// is marshalled to JSON and MUST NOT hold secrets.
func (a Actor) Record(t time.Time, action, objType, objID, objOrg string, outcome audit.Outcome, detail any) *audit.Record {
	r := &audit.Record{
		Time: t, ActorID: a.UserID, ActorName: a.Username, ActorOrgID: a.OrgID,
		Action: action, ObjectType: objType, ObjectID: objID, ObjectOrg: objOrg,
		Outcome: outcome, Remote: a.Remote, Via: a.Via, RequestID: a.RequestID,
	}
	if detail != nil {
		if b, err := json.Marshal(detail); err == nil {
			r.Detail = b
		}
	}
	return r
}

// deny records a refused attempt in its own transaction and returns err.
func (s *Service) deny(ctx context.Context, a Actor, action, objType, objID, objOrg string, err error) error {
	outcome := audit.Denied
	if !errs.Is(err, errs.Forbidden) {
		outcome = audit.Failure
	}
	r := s.record(a, action, objType, objID, objOrg, outcome, map[string]string{"reason": err.Error()})
	if aerr := s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, r) }); aerr != nil {
		return errs.Wrap(aerr, "audit denial")
	}
	return err
}

// logRead appends a read record for non-public data.
func (s *Service) logRead(ctx context.Context, a Actor, action, objType, objID, objOrg string, detail any) error {
	return s.reads.Append(ctx, s.record(a, action, objType, objID, objOrg, audit.Success, detail))
}

// signedIn refuses anonymous callers before anything is looked up, so that
// they cannot learn which names exist from the errors.
func signedIn(a Actor) error {
	if a.Anonymous() {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	return nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// ---- organisations ----

// CreateOrg registers an organisation. Only a hub administrator may.
func (s *Service) CreateOrg(ctx context.Context, a Actor, o Org) (Org, error) {
	if err := policy.Decide(a.Viewer, policy.CreateOrg, policy.Target{}); err != nil {
		return Org{}, s.deny(ctx, a, "org.create", "organization", "", "", err)
	}
	o.Normalize()
	if err := o.Validate(); err != nil {
		return Org{}, err
	}
	now := s.clock()
	o.ID, o.CreatedAt, o.UpdatedAt = newID(), now, now
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreateOrg(ctx, o); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "org.create", "organization", o.ID, o.ID, audit.Success, o))
	})
	return o, err
}

// OrgPatch is a partial update; nil fields stay as they are.
type OrgPatch struct {
	Name        *string    `json:"name"`
	NameJA      *string    `json:"name_ja"`
	Kind        *Kind      `json:"kind"`
	Sector      *Sector    `json:"sector"`
	Tier        *Tier      `json:"tier"`
	Country     *string    `json:"country"`
	Description *string    `json:"description"`
	Contacts    *[]Contact `json:"contacts"`
	Disabled    *bool      `json:"disabled"`
}

// adminOnly reports whether the patch touches a field only a hub admin may change.
func (p OrgPatch) adminOnly() bool {
	return p.Name != nil || p.NameJA != nil || p.Kind != nil || p.Sector != nil ||
		p.Tier != nil || p.Country != nil || p.Disabled != nil
}

func (p OrgPatch) apply(o *Org) {
	set(&o.Name, p.Name)
	set(&o.NameJA, p.NameJA)
	set(&o.Kind, p.Kind)
	set(&o.Sector, p.Sector)
	set(&o.Tier, p.Tier)
	set(&o.Country, p.Country)
	set(&o.Description, p.Description)
	set(&o.Contacts, p.Contacts)
	set(&o.Disabled, p.Disabled)
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// UpdateOrg changes organisation id (an id or a slug). A hub administrator
// may change anything; an organisation administrator only their own
// organisation's description and points of contact.
func (s *Service) UpdateOrg(ctx context.Context, a Actor, id string, p OrgPatch) (Org, error) {
	if err := signedIn(a); err != nil {
		return Org{}, err
	}
	var out Org
	var denied error
	objID := id
	err := s.store.Transact(ctx, func(tx Tx) error {
		o, err := orgByRef(ctx, tx, id)
		if err != nil {
			return err
		}
		objID = o.ID
		act := policy.UpdateOrgPOC
		if p.adminOnly() {
			act = policy.UpdateOrg
		}
		if err := policy.Decide(a.Viewer, act, policy.Target{OrgID: o.ID}); err != nil {
			denied = err
			return err
		}
		before := o
		p.apply(&o)
		o.Normalize()
		if err := o.Validate(); err != nil {
			return err
		}
		o.UpdatedAt = s.clock()
		if err := tx.UpdateOrg(ctx, o); err != nil {
			return err
		}
		out = o
		return tx.AppendAudit(ctx, s.record(a, "org.update", "organization", o.ID, o.ID, audit.Success,
			map[string]any{"before": before, "after": o}))
	})
	if denied != nil {
		return Org{}, s.deny(ctx, a, "org.update", "organization", objID, objID, denied)
	}
	return out, err
}

// Org returns one organisation by id or slug; every member may read the
// directory. The read is audited.
func (s *Service) Org(ctx context.Context, a Actor, ref string) (Org, error) {
	if err := policy.Decide(a.Viewer, policy.ReadDirectory, policy.Target{}); err != nil {
		return Org{}, err
	}
	o, err := orgByRef(ctx, s.store, ref)
	if err != nil {
		return Org{}, err
	}
	return o, s.logRead(ctx, a, "org.read", "organization", o.ID, o.ID, nil)
}

// ListOrgs returns the directory, filtered. The read is audited.
func (s *Service) ListOrgs(ctx context.Context, a Actor, f OrgFilter) ([]Org, error) {
	if err := policy.Decide(a.Viewer, policy.ReadDirectory, policy.Target{}); err != nil {
		return nil, err
	}
	orgs, err := s.store.ListOrgs(ctx, f)
	if err != nil {
		return nil, err
	}
	return orgs, s.logRead(ctx, a, "org.list", "organization", "", "", f)
}

func orgByRef(ctx context.Context, r Reader, ref string) (Org, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return r.Org(ctx, ref)
	}
	return r.OrgBySlug(ctx, ref)
}

// ---- communities ----

// CreateCommunity forms a sharing group. Only a hub administrator may.
func (s *Service) CreateCommunity(ctx context.Context, a Actor, c Community) (Community, error) {
	if err := policy.Decide(a.Viewer, policy.ManageCommunity, policy.Target{}); err != nil {
		return Community{}, s.deny(ctx, a, "community.create", "community", "", "", err)
	}
	c.Normalize()
	if err := c.Validate(); err != nil {
		return Community{}, err
	}
	now := s.clock()
	c.ID, c.CreatedAt, c.UpdatedAt = newID(), now, now
	err := s.store.Transact(ctx, func(tx Tx) error {
		members, err := resolveOrgs(ctx, tx, c.Members)
		if err != nil {
			return err
		}
		c.Members = members
		if err := tx.CreateCommunity(ctx, c); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "community.create", "community", c.ID, "", audit.Success, c))
	})
	return c, err
}

// CommunityPatch is a partial update of a community; nil fields stay.
type CommunityPatch struct {
	Name        *string   `json:"name"`
	NameJA      *string   `json:"name_ja"`
	Description *string   `json:"description"`
	Sector      *Sector   `json:"sector"`
	Members     *[]string `json:"members"` // replaces the member list (ids or slugs)
	Add         []string  `json:"add"`     // organisations to add (ids or slugs)
	Remove      []string  `json:"remove"`  // organisations to remove (ids or slugs)
}

// UpdateCommunity changes a community and its members. Only a hub
// administrator may.
func (s *Service) UpdateCommunity(ctx context.Context, a Actor, ref string, p CommunityPatch) (Community, error) {
	if err := signedIn(a); err != nil {
		return Community{}, err
	}
	if err := policy.Decide(a.Viewer, policy.ManageCommunity, policy.Target{}); err != nil {
		return Community{}, s.deny(ctx, a, "community.update", "community", ref, "", err)
	}
	var out Community
	err := s.store.Transact(ctx, func(tx Tx) error {
		c, err := communityByRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		before := c
		set(&c.Name, p.Name)
		set(&c.NameJA, p.NameJA)
		set(&c.Description, p.Description)
		set(&c.Sector, p.Sector)
		members := c.Members
		if p.Members != nil {
			members = *p.Members
		}
		add, err := resolveOrgs(ctx, tx, p.Add)
		if err != nil {
			return err
		}
		remove, err := resolveOrgs(ctx, tx, p.Remove)
		if err != nil {
			return err
		}
		members, err = resolveOrgs(ctx, tx, append(members, add...))
		if err != nil {
			return err
		}
		c.Members = without(members, remove)
		c.Normalize()
		if err := c.Validate(); err != nil {
			return err
		}
		c.UpdatedAt = s.clock()
		if err := tx.UpdateCommunity(ctx, c); err != nil {
			return err
		}
		out = c
		return tx.AppendAudit(ctx, s.record(a, "community.update", "community", c.ID, "", audit.Success,
			map[string]any{"before": before, "after": c}))
	})
	return out, err
}

// Community returns one community by id or slug. Every member may read
// communities and their members.
func (s *Service) Community(ctx context.Context, a Actor, ref string) (Community, error) {
	if err := policy.Decide(a.Viewer, policy.ReadDirectory, policy.Target{}); err != nil {
		return Community{}, err
	}
	c, err := communityByRef(ctx, s.store, ref)
	if err != nil {
		return Community{}, err
	}
	return c, s.logRead(ctx, a, "community.read", "community", c.ID, "", nil)
}

// ListCommunities returns every community.
func (s *Service) ListCommunities(ctx context.Context, a Actor) ([]Community, error) {
	if err := policy.Decide(a.Viewer, policy.ReadDirectory, policy.Target{}); err != nil {
		return nil, err
	}
	cs, err := s.store.ListCommunities(ctx)
	if err != nil {
		return nil, err
	}
	return cs, s.logRead(ctx, a, "community.list", "community", "", "", nil)
}

func communityByRef(ctx context.Context, r Reader, ref string) (Community, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return r.Community(ctx, ref)
	}
	return r.CommunityBySlug(ctx, ref)
}

// resolveOrgs turns ids or slugs into sorted, unique ids; an unknown one is
// an Invalid error naming it.
func resolveOrgs(ctx context.Context, r Reader, refs []string) ([]string, error) {
	seen := map[string]bool{}
	out := []string{}
	for i, ref := range refs {
		o, err := orgByRef(ctx, r, ref)
		if errs.Is(err, errs.NotFound) {
			return nil, errs.F(errs.Invalid, "members["+itoa(i)+"]", "no organisation %q", ref)
		}
		if err != nil {
			return nil, err
		}
		if !seen[o.ID] {
			seen[o.ID] = true
			out = append(out, o.ID)
		}
	}
	sortStrings(out)
	return out, nil
}

func without(list, remove []string) []string {
	out := list[:0:0]
	for _, x := range list {
		if !contains(remove, x) {
			out = append(out, x)
		}
	}
	return out
}
