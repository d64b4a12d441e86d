package partner

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Reader reads the registry. Lookups of one partner return errs.NotFound.
type Reader interface {
	Partners(ctx context.Context) ([]Partner, error)
	Partner(ctx context.Context, id string) (Partner, error)
	PartnerBySlug(ctx context.Context, slug string) (Partner, error)
	// Exchanges returns a partner's latest exchanges, newest first.
	Exchanges(ctx context.Context, partnerID string, limit int) ([]Exchange, error)
}

// Tx writes in one transaction.
type Tx interface {
	audit.Appender
	CreatePartner(ctx context.Context, p Partner) error // a slug that exists is errs.Conflict
	UpdatePartner(ctx context.Context, p Partner) error // the registry fields; not State
	DeletePartner(ctx context.Context, id string) error // with its exchanges
	SavePartnerState(ctx context.Context, id string, st State) error
	AddExchange(ctx context.Context, e Exchange) error
	// PruneExchanges deletes a partner's exchange records older than before.
	PruneExchanges(ctx context.Context, partnerID string, before time.Time) error
}

// Store is the partner store.
type Store interface {
	Reader
	Transact(ctx context.Context, fn func(Tx) error) error
	// MaxIntelSeq is the largest intelligence store sequence committed.
	MaxIntelSeq(ctx context.Context) (int64, error)
}

// Directory resolves organisations and communities.
type Directory interface {
	Org(ctx context.Context, id string) (identity.Org, error)
	OrgBySlug(ctx context.Context, slug string) (identity.Org, error)
	Community(ctx context.Context, id string) (identity.Community, error)
	CommunityBySlug(ctx context.Context, slug string) (identity.Community, error)
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)
}

// Service is the partner registry. Every change is decided by
// policy.Decide (hub administrators) and audited in its transaction.
type Service struct {
	store Store
	dir   Directory
	seal  *Sealer
	now   func() time.Time
}

// NewService returns a Service.
func NewService(st Store, dir Directory, seal *Sealer, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: st, dir: dir, seal: seal, now: now}
}

func (s *Service) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Create registers a partner.
func (s *Service) Create(ctx context.Context, a identity.Actor, in Input) (Partner, error) {
	if err := policy.Decide(a.Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		return Partner{}, s.deny(ctx, a, "partner.create", "", err)
	}
	p := Partner{ID: uuid.Must(uuid.NewV7()).String(), CreatedAt: s.clock()}
	if err := s.apply(ctx, &p, in); err != nil {
		return Partner{}, err
	}
	if in.Secret == "" {
		return Partner{}, errs.F(errs.Invalid, "secret", "the token or password this hub uses at the partner is required")
	}
	err := s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(p.UpdatedAt, "partner.create", "partner", p.ID, p.OrgID, audit.Success, summary(p)))
	})
	return p, err
}

// Update changes a partner; an empty secret keeps the stored one. The
// bookmarks are kept unless the endpoint or collection changes.
func (s *Service) Update(ctx context.Context, a identity.Actor, ref string, in Input) (Partner, error) {
	if err := policy.Decide(a.Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		return Partner{}, s.deny(ctx, a, "partner.update", ref, err)
	}
	p, err := s.lookup(ctx, ref)
	if err != nil {
		return Partner{}, err
	}
	old := p
	if err := s.apply(ctx, &p, in); err != nil {
		return Partner{}, err
	}
	reset := old.APIRoot != p.APIRoot || old.Collection != p.Collection
	err = s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.UpdatePartner(ctx, p); err != nil {
			return err
		}
		if reset {
			p.State = State{}
			if err := tx.SavePartnerState(ctx, p.ID, p.State); err != nil {
				return err
			}
		}
		return tx.AppendAudit(ctx, a.Record(p.UpdatedAt, "partner.update", "partner", p.ID, p.OrgID, audit.Success, summary(p)))
	})
	return p, err
}

// SetDisabled stops (true) or resumes (false) the exchanges with a
// partner; its bookmarks are kept.
func (s *Service) SetDisabled(ctx context.Context, a identity.Actor, ref string, disabled bool) (Partner, error) {
	if err := policy.Decide(a.Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		return Partner{}, s.deny(ctx, a, "partner.update", ref, err)
	}
	p, err := s.lookup(ctx, ref)
	if err != nil {
		return Partner{}, err
	}
	p.Disabled, p.UpdatedAt = disabled, s.clock()
	err = s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.UpdatePartner(ctx, p); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(p.UpdatedAt, "partner.update", "partner", p.ID, p.OrgID, audit.Success, summary(p)))
	})
	return p, err
}

// Delete removes a partner and its exchange records.
func (s *Service) Delete(ctx context.Context, a identity.Actor, ref string) error {
	if err := policy.Decide(a.Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		return s.deny(ctx, a, "partner.delete", ref, err)
	}
	p, err := s.lookup(ctx, ref)
	if err != nil {
		return err
	}
	return s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.DeletePartner(ctx, p.ID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(s.clock(), "partner.delete", "partner", p.ID, p.OrgID, audit.Success, summary(p)))
	})
}

// List returns every partner.
func (s *Service) List(ctx context.Context, a identity.Actor) ([]Partner, error) {
	if err := policy.Decide(a.Viewer, policy.ReadPartners, policy.Target{}); err != nil {
		return nil, err
	}
	return s.store.Partners(ctx)
}

// Get returns one partner by id or handle.
func (s *Service) Get(ctx context.Context, a identity.Actor, ref string) (Partner, error) {
	if err := policy.Decide(a.Viewer, policy.ReadPartners, policy.Target{}); err != nil {
		return Partner{}, err
	}
	return s.lookup(ctx, ref)
}

// Exchanges returns a partner's latest exchanges, newest first.
func (s *Service) Exchanges(ctx context.Context, a identity.Actor, ref string, limit int) (Partner, []Exchange, error) {
	p, err := s.Get(ctx, a, ref)
	if err != nil {
		return p, nil, err
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	ex, err := s.store.Exchanges(ctx, p.ID, limit)
	return p, ex, err
}

func (s *Service) lookup(ctx context.Context, ref string) (Partner, error) {
	p, err := s.store.PartnerBySlug(ctx, ref)
	if errs.Is(err, errs.NotFound) {
		if _, perr := uuid.Parse(ref); perr == nil {
			p, err = s.store.Partner(ctx, ref)
		}
	}
	if errs.Is(err, errs.NotFound) {
		return p, errs.E(errs.NotFound, "no partner %q", ref)
	}
	return p, err
}

// apply validates in and writes it onto p, sealing a new secret.
func (s *Service) apply(ctx context.Context, p *Partner, in Input) error {
	interval, err := validate(&in)
	if err != nil {
		return err
	}
	o, err := s.dir.OrgBySlug(ctx, in.Org)
	if errs.Is(err, errs.NotFound) {
		o, err = s.dir.Org(ctx, in.Org)
	}
	if errs.Is(err, errs.NotFound) {
		return errs.F(errs.Invalid, "org", "no organisation %q", in.Org)
	} else if err != nil {
		return err
	}
	comms := func(field string, refs []string) ([]string, error) {
		var out []string
		for i, ref := range refs {
			c, err := s.dir.CommunityBySlug(ctx, ref)
			if errs.Is(err, errs.NotFound) {
				c, err = s.dir.Community(ctx, ref)
			}
			if errs.Is(err, errs.NotFound) {
				return nil, errs.F(errs.Invalid, fmt.Sprintf("%s[%d]", field, i), "no community %q", ref)
			} else if err != nil {
				return nil, err
			}
			out = append(out, c.ID)
		}
		return dedupe(out), nil
	}
	out, err := comms("communities", in.Communities)
	if err != nil {
		return err
	}
	inbound, err := comms("inbound_communities", in.Inbound)
	if err != nil {
		return err
	}
	if len(inbound) > 0 {
		mine, err := s.dir.CommunitiesOf(ctx, o.ID)
		if err != nil {
			return err
		}
		for i, c := range inbound {
			if !contains(mine, c) {
				return errs.F(errs.Invalid, fmt.Sprintf("inbound_communities[%d]", i), "%s is not a member of that community; add it first", o.Slug)
			}
		}
	}
	p.Slug, p.Name, p.Country, p.OrgID, p.Contacts = in.Slug, in.Name, in.Country, o.ID, in.Contacts
	if p.Contacts == nil {
		p.Contacts = []identity.Contact{}
	}
	p.APIRoot, p.Collection, p.Direction, p.Auth, p.Username = in.APIRoot, in.Collection, in.Direction, in.Auth, in.Username
	p.Policy = Policy{Markings: in.Markings, Types: dedupe(in.Types), Communities: out}
	if p.Policy.Markings == nil {
		p.Policy.Markings = []policy.TLP{}
	}
	p.Inbound, p.Interval, p.Disabled = inbound, interval, in.Disabled
	p.UpdatedAt = s.clock()
	if in.Secret != "" {
		p.Sealed = s.seal.Seal(p.ID, in.Secret)
	}
	p.HasSecret = len(p.Sealed) > 0
	return nil
}

// deny audits a refused administrative attempt in its own transaction.
func (s *Service) deny(ctx context.Context, a identity.Actor, action, id string, err error) error {
	r := a.Record(s.clock(), action, "partner", id, "", audit.Denied, map[string]string{"reason": err.Error()})
	if aerr := s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, r) }); aerr != nil {
		return errs.Wrap(aerr, "audit denial")
	}
	return err
}

// summary is the audit detail of a partner: never the credential.
func summary(p Partner) map[string]any {
	return map[string]any{"slug": p.Slug, "name": p.Name, "country": p.Country, "api_root": p.APIRoot,
		"collection": p.Collection, "direction": p.Direction, "auth": p.Auth, "policy": p.Policy,
		"inbound_communities": p.Inbound, "interval": p.Interval.String(), "disabled": p.Disabled}
}

// Secret opens p's credential.
func (s *Service) Secret(p Partner) (string, error) { return s.seal.Open(p.ID, p.Sealed) }

// Actor is who the partner is when this hub reads for it or stores what
// it sent: its organisation here, as an analyst, with no person and no
// compartments.
func Actor(p Partner) identity.Actor {
	return identity.Actor{
		Viewer:   policy.Viewer{UserID: "partner:" + p.Slug, OrgID: p.OrgID, Role: policy.Analyst, Scope: policy.ScopeWrite},
		Username: "partner:" + p.Slug, Remote: "federation", Via: "federation",
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// OutboundFilter returns, for a TAXII reader whose organisation stands for
// a registered partner, the rule every object served to it must pass:
// Outbound for at least one of its partner entries (disabled ones
// included, so disabling a partner does not open its account wider). nil
// when the organisation is no partner's.
func (s *Service) OutboundFilter(ctx context.Context, orgID string, m policy.Member) (func(intel.Object) bool, error) {
	if orgID == "" {
		return nil, nil
	}
	all, err := s.store.Partners(ctx)
	if err != nil {
		return nil, err
	}
	var mine []Partner
	for _, p := range all {
		if p.OrgID == orgID {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	return func(o intel.Object) bool {
		for _, p := range mine {
			if ok, _ := Outbound(p, m, o); ok {
				return true
			}
		}
		return false
	}, nil
}
