package intel

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// SearchResult is everything the viewer may see about one value.
type SearchResult struct {
	Query   Value    `json:"query"`
	Objects []Object `json:"objects"`
}

// MaxSearch caps the objects one search returns.
const MaxSearch = 500

// Search finds every object the actor may see about a value: an IP address
// also finds the CIDR blocks that contain it, a CIDR block the addresses and
// blocks inside it and around it, a domain its subdomains (and URLs on
// them), anything else its exact value. The search is audited.
func (s *Service) Search(ctx context.Context, a identity.Actor, q string) (SearchResult, error) {
	if a.Anonymous() {
		return SearchResult{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	v, err := Classify(q)
	if err != nil {
		return SearchResult{}, err
	}
	m, err := s.Member(ctx, a)
	if err != nil {
		return SearchResult{}, err
	}
	found, err := s.lookup(ctx, v)
	if err != nil {
		return SearchResult{}, err
	}
	res := SearchResult{Query: v, Objects: s.visible(m, found)}
	sort.SliceStable(res.Objects, func(i, j int) bool { return res.Objects[i].Modified.After(res.Objects[j].Modified) })
	return res, s.reads.Append(ctx, a.Record(s.clock(), "intel.search", "value", v.Value, "", audit.Success, map[string]any{"kind": v.Kind, "results": len(res.Objects)}))
}

func (s *Service) lookup(ctx context.Context, v Value) ([]Object, error) {
	switch v.Kind {
	case "ip":
		p, _ := parsePrefix(v.Value)
		around, err := s.store.ByKeys(ctx, "ip", containingKeys(p), "", "", MaxSearch)
		if err != nil || p.Bits() == p.Addr().BitLen() {
			return around, err
		}
		lo, hi := rangeKeys(p)
		inside, err := s.store.ByKeys(ctx, "ip", nil, lo, hi, MaxSearch)
		return merge(around, inside), err
	case "domain":
		return s.store.ByKeys(ctx, "domain", nil, v.Key, v.Key+"~", MaxSearch)
	}
	return s.store.ByKeys(ctx, v.Kind, []string{v.Key}, "", "", MaxSearch)
}

// Related returns the other objects the actor may see that share an
// observable value with object id: the correlation across organisations.
func (s *Service) Related(ctx context.Context, a identity.Actor, id string) ([]Object, error) {
	o, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	m, err := s.Member(ctx, a)
	if err != nil {
		return nil, err
	}
	var all []Object
	for _, v := range o.Values {
		found, err := s.store.ByKeys(ctx, v.Kind, []string{v.Key}, "", "", MaxSearch)
		if err != nil {
			return nil, err
		}
		all = merge(all, found)
	}
	out := []Object{}
	for _, r := range s.visible(m, all) {
		if r.ID != id {
			out = append(out, r)
		}
	}
	return out, nil
}

func merge(a, b []Object) []Object {
	seen := map[string]bool{}
	for _, o := range a {
		seen[o.ID] = true
	}
	for _, o := range b {
		if !seen[o.ID] {
			seen[o.ID] = true
			a = append(a, o)
		}
	}
	return a
}

// Revoke publishes a revoked version of id, now. Only the author's
// organisation (or a hub administrator) may. Revoked indicators stop being
// served to detection but stay searchable.
func (s *Service) Revoke(ctx context.Context, a identity.Actor, id string) (Object, error) {
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		return Object{}, err
	}
	m, err := s.Member(ctx, a)
	if err != nil {
		return Object{}, err
	}
	var out Object
	err = s.store.Transact(ctx, func(tx Tx) error {
		cur, err := tx.Latest(ctx, id)
		if err != nil {
			return err
		}
		if !policy.CanSee(m, cur.Dist) {
			return errs.E(errs.NotFound, "no such object")
		}
		if cur.Dist.AuthorOrg != a.OrgID && a.Role != policy.HubAdmin {
			return errs.E(errs.Forbidden, "only the organisation that shared %s may revoke it", id)
		}
		if cur.Revoked {
			out = cur
			return nil
		}
		if cur.Created.IsZero() {
			return errs.E(errs.Invalid, "%s is a cyber-observable, which has no versions to revoke", id)
		}
		now := s.clock()
		mod := now.Truncate(time.Millisecond)
		if !mod.After(cur.Modified) {
			mod = cur.Modified.Add(time.Millisecond)
		}
		raw, err := withFields(cur.Raw, map[string]any{"revoked": true, "modified": mod.Format("2006-01-02T15:04:05.000Z")})
		if err != nil {
			return err
		}
		out = cur
		out.Raw, out.Modified, out.Revoked, out.AddedAt, out.Source = raw, mod, true, now, "revoke"
		if err := tx.PutVersion(ctx, out); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, a.Record(now, "intel.revoke", "stix", id, cur.Dist.AuthorOrg, audit.Success, nil))
	})
	if err != nil {
		return Object{}, err
	}
	return s.present(m, out), nil
}

// withFields returns the JSON object raw with fields set.
func withFields(raw json.RawMessage, fields map[string]any) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, errs.Wrap(err, "decode stored object")
	}
	for k, v := range fields {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, errs.Wrap(err, "encode field")
		}
		obj[k] = b
	}
	b, err := json.Marshal(obj)
	return b, errs.Wrap(err, "encode object")
}
