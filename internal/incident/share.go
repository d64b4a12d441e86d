package incident

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// ShareInput chooses the case's observables to publish as intelligence.
type ShareInput struct {
	Links       []string   `json:"links"`       // link ids of observables
	TLP         policy.TLP `json:"tlp"`         // GREEN by default
	Communities []string   `json:"communities"` // ids or slugs
	Orgs        []string   `json:"orgs"`        // named recipient organisations
	Anonymous   bool       `json:"anonymous"`   // recipients see the hub as author
}

// pattern returns the STIX pattern of an observable.
func pattern(o Observable) (string, bool) {
	q := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(o.Value) + "'"
	switch o.Type {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr":
		return "[" + o.Type + ":value = " + q + "]", true
	case "file-sha256":
		return "[file:hashes.'SHA-256' = " + q + "]", true
	case "file-md5":
		return "[file:hashes.MD5 = " + q + "]", true
	}
	return "", false
}

// indicatorNS names the indicators made from a case's observables, so that
// sharing the same observable again updates nothing twice.
var indicatorNS = uuid.MustParse("6b796f6a-6f00-4000-8000-00000000a1c1")

// indicator builds a STIX 2.1 indicator for an observable of a case.
func indicator(caseID string, o Observable, at time.Time) (json.RawMessage, string, bool) {
	p, ok := pattern(o)
	if !ok {
		return nil, "", false
	}
	id := "indicator--" + uuid.NewSHA1(indicatorNS, []byte(caseID+"|"+o.Type+"|"+o.Value)).String()
	ts := at.UTC().Format("2006-01-02T15:04:05.000Z")
	b, _ := json.Marshal(map[string]any{
		"type": "indicator", "spec_version": "2.1", "id": id, "created": ts, "modified": ts,
		"name": o.Type + " " + o.Value, "pattern": p, "pattern_type": "stix", "valid_from": ts,
		"indicator_types": []string{"malicious-activity"},
	})
	return b, id, true
}

// Share publishes chosen observables of the case to communities through
// the intelligence store, named or anonymous. Only the case's owner or the
// organisation that linked an observable may publish it.
func (s *Service) Share(ctx context.Context, a identity.Actor, id string, si ShareInput) (intel.Result, error) {
	if s.intel == nil {
		return intel.Result{}, errs.E(errs.Unavailable, "this hub has no intelligence store")
	}
	in, c, err := s.load(ctx, s.store, a, id, policy.ShareCaseIntel)
	if errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
		return intel.Result{}, s.deny(ctx, a, "incident.share", id, "", err)
	} else if err != nil {
		return intel.Result{}, err
	}
	if len(si.Links) == 0 || len(si.Links) > MaxObservables {
		return intel.Result{}, errs.F(errs.Invalid, "links", "choose 1 to %d observables to share", MaxObservables)
	}
	if si.TLP == "" {
		si.TLP = policy.Green
	}
	links, err := s.store.CaseLinks(ctx, id)
	if err != nil {
		return intel.Result{}, err
	}
	byID := map[string]Link{}
	for _, l := range links {
		if policy.CanSeeCaseItem(member(a), c, l.item()) {
			byID[l.ID] = l
		}
	}
	var l errs.List
	var objs []json.RawMessage
	now := s.clock()
	for i, lid := range si.Links {
		lk, ok := byID[lid]
		f := "links[" + itoa(i) + "]"
		switch {
		case !ok:
			l.Add(errs.Invalid, f, "no such link in this case")
		case lk.Kind != LinkObservable:
			l.Add(errs.Invalid, f, "only observables are shared as new indicators")
		case a.OrgID != in.OwnerOrg && a.OrgID != lk.AuthorOrg:
			l.Add(errs.Forbidden, f, "only the case's owner or the organisation that added it may publish it")
		default:
			raw, _, ok := indicator(in.ID, Observable{Type: lk.Type, Value: lk.Ref}, now)
			if !ok {
				l.Add(errs.Invalid, f, "a %s is not an indicator", lk.Type)
				continue
			}
			objs = append(objs, raw)
		}
	}
	if err := l.Err(); err != nil {
		return intel.Result{}, err
	}
	res, err := s.intel.PutParsed(ctx, a, objs, intel.Sharing{TLP: si.TLP, Communities: si.Communities, Orgs: si.Orgs, Anonymous: si.Anonymous},
		"incident:"+in.Ref)
	if err != nil {
		return intel.Result{}, err
	}
	_, err = s.change(ctx, a, id, policy.ShareCaseIntel, "incident.share", func(tx Tx, in *Incident, now time.Time) (any, []Notice, error) {
		body := "shared " + itoa(res.Created+res.Updated+res.Skipped) + " indicators as TLP:" + strings.ToUpper(string(si.TLP))
		if si.Anonymous {
			body += " (anonymously)"
		}
		return map[string]any{"links": si.Links, "tlp": si.TLP, "communities": si.Communities, "anonymous": si.Anonymous, "result": res},
			nil, tx.AddCaseEntry(ctx, s.sysEntry(a, *in, KindShare, body, now))
	})
	return res, err
}
