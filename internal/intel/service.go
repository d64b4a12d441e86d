package intel

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Directory is what the intel service needs to know of identity: the
// communities an organisation belongs to, and resolving the references a
// sharer gives. The identity store implements it.
type Directory interface {
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)
	Community(ctx context.Context, id string) (identity.Community, error)
	CommunityBySlug(ctx context.Context, slug string) (identity.Community, error)
	Org(ctx context.Context, id string) (identity.Org, error)
	OrgBySlug(ctx context.Context, slug string) (identity.Org, error)
	User(ctx context.Context, id string) (identity.User, error)
	UserByUsername(ctx context.Context, username string) (identity.User, error)
}

// Options configure the service.
type Options struct {
	DefaultTLP  policy.TLP // for objects shared without a TLP; AMBER when empty
	Decay       Decay      // how scores fall; DefaultDecay when empty
	HubIdentity string     // the STIX identity id recipients see as author of anonymous objects
	Now         func() time.Time
	ImportBatch int // objects per import transaction; ImportBatch when 0
}

// Service implements the intelligence use cases. Every read filters through
// policy.CanSee; every write is audited in its transaction, every read in
// a transaction shared with the reads at the same moment (audit.Group).
type Service struct {
	store Store
	dir   Directory
	opt   Options
	parse Parser
	reads *audit.Group

	lookaheadUsed atomic.Int64 // import batches whose pre-read held (tests, metrics)
}

// NewService returns a Service.
func NewService(st Store, dir Directory, opt Options) *Service {
	if opt.DefaultTLP == "" {
		opt.DefaultTLP = policy.Amber
	}
	if opt.HubIdentity == "" {
		opt.HubIdentity = "identity--6b796f6a-6f00-4000-8000-000000000001"
	}
	if opt.ImportBatch <= 0 {
		opt.ImportBatch = ImportBatch
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Decay.HalfLife == nil {
		opt.Decay = DefaultDecay
	}
	s := &Service{store: st, dir: dir, opt: opt, parse: stixParser}
	s.reads = audit.NewGroup(func(ctx context.Context, rs []*audit.Record) error {
		return st.Transact(ctx, func(tx Tx) error { return audit.AppendAll(ctx, tx, rs) })
	})
	return s
}

func (s *Service) clock() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

// Member returns who a is for sharing decisions: the viewer with their
// organisation's communities and the compartments their user record holds,
// read afresh on every call so that a compartment taken away closes at
// once. Anonymous readers and the system actor hold no compartments, nor
// does an actor whose user record is gone (it fails closed).
func (s *Service) Member(ctx context.Context, a identity.Actor) (policy.Member, error) {
	m := policy.Member{Viewer: a.Viewer}
	if !a.Anonymous() && a.UserID != identity.SystemID {
		u, err := s.dir.User(ctx, a.UserID)
		switch {
		case err == nil:
			m.Compartments = u.Compartments
		case !errs.Is(err, errs.NotFound):
			return m, err
		}
	}
	if a.OrgID == "" {
		return m, nil
	}
	cs, err := s.dir.CommunitiesOf(ctx, a.OrgID)
	m.Communities = cs
	return m, err
}

// visible returns the objects m may see, each prepared for m (an anonymous
// author replaced by the hub).
func (s *Service) visible(m policy.Member, objs []Object) []Object {
	out := objs[:0:0]
	for _, o := range objs {
		if policy.CanSee(m, o.Dist) {
			out = append(out, s.present(m, o))
		}
	}
	return out
}

// present hides the author of an anonymous object from everyone outside
// the author's organisation.
func (s *Service) present(m policy.Member, o Object) Object {
	o.TLP = o.Dist.TLP
	o.Score = s.opt.Decay.Score(o, s.clock())
	if !o.Anonymous || (m.OrgID != "" && m.OrgID == o.Dist.AuthorOrg) {
		return o
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(o.Raw, &obj) == nil {
		if _, ok := obj["created_by_ref"]; ok {
			obj["created_by_ref"], _ = json.Marshal(s.opt.HubIdentity)
			o.Raw, _ = json.Marshal(obj)
		}
	}
	return o
}

// Get returns the latest version of id, if the actor may see it; otherwise
// errs.NotFound, the same as for an id that does not exist.
func (s *Service) Get(ctx context.Context, a identity.Actor, id string) (Object, error) {
	m, err := s.Member(ctx, a)
	if err != nil {
		return Object{}, err
	}
	o, err := s.store.Latest(ctx, id)
	if err != nil {
		return Object{}, err
	}
	v := s.visible(m, []Object{o})
	if len(v) == 0 {
		return Object{}, errs.E(errs.NotFound, "no such object")
	}
	return v[0], s.logRead(ctx, a, "intel.read", id, o.Dist)
}

// Versions returns every version of id the actor may see, oldest first.
func (s *Service) Versions(ctx context.Context, a identity.Actor, id string) ([]Object, error) {
	m, err := s.Member(ctx, a)
	if err != nil {
		return nil, err
	}
	all, err := s.store.Versions(ctx, id)
	if err != nil {
		return nil, err
	}
	v := s.visible(m, all)
	if len(v) == 0 {
		return nil, errs.E(errs.NotFound, "no such object")
	}
	return v, s.logRead(ctx, a, "intel.versions", id, v[len(v)-1].Dist)
}

// List returns the latest versions the actor may see, in store order after
// f.AfterSeq, and the cursor of the next page (0 when there is none). It
// scans at most 20 pages of the filter's size to fill one page.
func (s *Service) List(ctx context.Context, a identity.Actor, f Filter) ([]Stored, int64, error) {
	m, err := s.Member(ctx, a)
	if err != nil {
		return nil, 0, err
	}
	want := f.PageLimit()
	var out []Stored
	cursor := f.AfterSeq
	for round := 0; round < 20 && len(out) < want; round++ {
		f.AfterSeq, f.Limit = cursor, want
		batch, err := s.store.List(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		for _, st := range batch {
			cursor = st.Seq
			if policy.CanSee(m, st.Dist) && !hidesAuthor(f, m, st.Object) {
				st.Object = s.present(m, st.Object)
				out = append(out, st)
				if len(out) == want {
					break
				}
			}
		}
		if len(batch) < want {
			cursor = 0
			break
		}
	}
	if len(out) < want && cursor != 0 && len(out) > 0 {
		cursor = out[len(out)-1].Seq
	}
	if out == nil {
		out = []Stored{}
	}
	return out, cursor, s.logRead(ctx, a, "intel.list", "", policy.Distribution{})
}

// logRead records a read of shared data.
func (s *Service) logRead(ctx context.Context, a identity.Actor, action, id string, d policy.Distribution) error {
	return s.reads.Append(ctx, a.Record(s.clock(), action, "stix", id, d.AuthorOrg, audit.Success, nil))
}

// Each calls fn for every latest version the actor may see that matches f,
// in store order, page by page: the export path. It stops at fn's first
// error and returns it. The export is audited once.
func (s *Service) Each(ctx context.Context, a identity.Actor, f Filter, fn func(Object) error) (int, error) {
	m, err := s.Member(ctx, a)
	if err != nil {
		return 0, err
	}
	n := 0
	f.Limit = 1000
	for {
		batch, err := s.store.List(ctx, f)
		if err != nil {
			return n, err
		}
		for _, st := range batch {
			f.AfterSeq = st.Seq
			if !policy.CanSee(m, st.Dist) || hidesAuthor(f, m, st.Object) {
				continue
			}
			if err := fn(s.present(m, st.Object)); err != nil {
				return n, err
			}
			n++
		}
		if len(batch) < f.Limit {
			break
		}
	}
	return n, s.reads.Append(ctx, a.Record(s.clock(), "intel.export", "stix", "", "", audit.Success, map[string]any{"objects": n}))
}

// hidesAuthor reports whether listing o under a filter by author would
// tell m who shared it anonymously: such objects are left out of
// author-filtered lists for everyone outside the author's organisation.
func hidesAuthor(f Filter, m policy.Member, o Object) bool {
	return f.AuthorOrg != "" && o.Anonymous && m.OrgID != o.Dist.AuthorOrg
}
