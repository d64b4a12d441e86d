package intel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/stix"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Status is what happened to one object of a write.
type Status string

// The statuses.
const (
	Created  Status = "created"  // a new object
	Updated  Status = "updated"  // a new version of a known object
	Skipped  Status = "skipped"  // exactly this version was already stored
	Rejected Status = "rejected" // refused; Error says why
)

// Item is the outcome of one object.
type Item struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`
	Status Status `json:"status"`
	Field  string `json:"field,omitempty"`
	Error  string `json:"error,omitempty"`
}

// Result counts the outcomes of a write.
type Result struct {
	Created  int    `json:"created"`
	Updated  int    `json:"updated"`
	Skipped  int    `json:"skipped"`
	Rejected int    `json:"rejected"`
	Items    []Item `json:"items"`
}

func (r *Result) add(it Item) {
	switch it.Status {
	case Created:
		r.Created++
	case Updated:
		r.Updated++
	case Skipped:
		r.Skipped++
	case Rejected:
		r.Rejected++
	}
	r.Items = append(r.Items, it)
}

// Parsed is one object read from input, before it is stored.
type Parsed struct {
	ID, Type           string
	Created, Modified  time.Time
	Revoked            bool
	Raw                json.RawMessage
	Fields             map[string]any
	MarkingRefs        []string
	GranularRefs       []string // the marking_ref of each granular marking
	ValidFrom, ValidTo *time.Time
	Confidence         int
	// Pattern is an indicator's STIX pattern, when the parser parsed it
	// (ValuesOf then need not parse it again); may be nil.
	Pattern *pattern.Pattern
}

// Parser validates one STIX object. The stix package provides it; tests may
// pass a stricter or looser one.
type Parser func(raw []byte) (Parsed, error)

// SetParser replaces the object parser (the default is the full STIX 2.1
// validation of package stix).
func (s *Service) SetParser(p Parser) { s.parse = p }

// Put stores STIX objects from one object or a bundle, shared as sh, and
// reports each object's outcome. Valid objects are stored in one
// transaction; invalid ones are rejected with the reason and do not stop
// the rest. source says where they came from ("api", "import:<file>").
func (s *Service) Put(ctx context.Context, a identity.Actor, raw []byte, sh Sharing, source string) (Result, error) {
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		return Result{}, err
	}
	objs, err := splitInput(raw)
	if err != nil {
		return Result{}, err
	}
	dist, err := s.distribution(ctx, a, sh)
	if err != nil {
		return Result{}, err
	}
	return s.store1(ctx, a, objs, dist, sh.Anonymous, source)
}

// PutParsed stores already split objects (the importers' path).
func (s *Service) PutParsed(ctx context.Context, a identity.Actor, objs []json.RawMessage, sh Sharing, source string) (Result, error) {
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		return Result{}, err
	}
	dist, err := s.distribution(ctx, a, sh)
	if err != nil {
		return Result{}, err
	}
	return s.store1(ctx, a, objs, dist, sh.Anonymous, source)
}

func (s *Service) store1(ctx context.Context, a identity.Actor, objs []json.RawMessage, dist policy.Distribution, anon bool, source string) (Result, error) {
	var res Result
	now := s.clock()
	type pending struct {
		idx int
		o   Object
	}
	var todo []pending
	seen := map[string]int{}
	for i, raw := range objs {
		p, err := s.parse(raw)
		if err != nil {
			res.add(rejected(i, p.ID, err))
			continue
		}
		key := p.ID + "@" + p.Modified.Format(time.RFC3339Nano)
		if j, dup := seen[key]; dup {
			if !bytes.Equal(compact(objs[j]), compact(raw)) {
				res.add(rejected(i, p.ID, errs.F(errs.Conflict, "id", "the input holds this id and version twice with different content")))
			} else {
				res.add(Item{Index: i, ID: p.ID, Status: Skipped})
			}
			continue
		}
		seen[key] = i
		d := dist
		if t := markingTLP(p.MarkingRefs); t.Rank() > d.TLP.Rank() {
			d.TLP = t // the object's own marking is stricter than the sharing
		}
		mod := p.Modified
		if mod.IsZero() {
			mod = now // cyber-observables have no version of their own
		}
		o := Object{ID: p.ID, Type: p.Type, Created: p.Created, Modified: mod, Revoked: p.Revoked, AddedAt: now,
			Source: source, Raw: compact(raw), Dist: d, TLP: d.TLP, Anonymous: anon, Values: valuesOf(p),
			ValidFrom: p.ValidFrom, ValidUntil: p.ValidTo, Confidence: p.Confidence}
		o.setMarkings(p)
		todo = append(todo, pending{i, o})
	}
	m, err := s.Member(ctx, a)
	if err != nil {
		return Result{}, err
	}
	err = s.store.Transact(ctx, func(tx Tx) error {
		objs := make([]Object, len(todo))
		for i, pd := range todo {
			objs[i] = pd.o
		}
		hidden, err := refusals(ctx, tx, m, objs)
		if err != nil {
			return err
		}
		// Objects whose id the store does not have, appearing once in the
		// input, are inserted together (in key order) at the end; the
		// others one by one, as versions.
		ids := make([]string, len(objs))
		times := map[string]int{}
		for i, o := range objs {
			ids[i] = o.ID
			times[o.ID]++
		}
		known, err := tx.LatestMeta(ctx, ids)
		if err != nil {
			return err
		}
		var fresh []Object
		for i, pd := range todo {
			if err := hidden[i]; err != nil {
				res.add(rejected(pd.idx, pd.o.ID, err))
				continue
			}
			if _, ok := known[pd.o.ID]; !ok && times[pd.o.ID] == 1 {
				fresh = append(fresh, pd.o)
				res.add(Item{Index: pd.idx, ID: pd.o.ID, Status: Created})
				continue
			}
			st, err := s.putOne(ctx, tx, a, pd.o)
			if err != nil && !isRecordError(err) {
				return err
			}
			if err != nil {
				res.add(rejected(pd.idx, pd.o.ID, err))
				continue
			}
			res.add(Item{Index: pd.idx, ID: pd.o.ID, Status: st})
		}
		sort.Slice(fresh, func(i, j int) bool { return fresh[i].ID < fresh[j].ID })
		if err := tx.PutNew(ctx, fresh); err != nil {
			return err
		}
		detail := map[string]any{"source": source, "created": res.Created, "updated": res.Updated,
			"skipped": res.Skipped, "rejected": res.Rejected, "tlp": dist.TLP}
		return tx.AppendAudit(ctx, a.Record(now, "intel.put", "stix", firstID(res), a.OrgID, audit.Success, detail))
	})
	if err != nil {
		return Result{}, err
	}
	sortItems(res.Items)
	return res, nil
}

// putOne stores one version. A version that exists with the same content is
// skipped; with other content it is a conflict. Only the author's
// organisation (or a hub administrator) may add versions to an object.
func (s *Service) putOne(ctx context.Context, tx Tx, a identity.Actor, o Object) (Status, error) {
	cur, err := tx.Latest(ctx, o.ID)
	switch {
	case errs.Is(err, errs.NotFound):
		return Created, tx.PutVersion(ctx, o)
	case err != nil:
		return "", err
	}
	if cur.Dist.AuthorOrg != a.OrgID && a.Role != policy.HubAdmin && a.UserID != "system" {
		return "", errs.F(errs.Forbidden, "id", "only the organisation that shared %s may publish new versions of it", o.ID)
	}
	if old, err := tx.Version(ctx, o.ID, o.Modified); err == nil {
		if bytes.Equal(old.Raw, o.Raw) {
			return Skipped, nil
		}
		return "", errs.F(errs.Conflict, "modified", "version %s of %s is already stored with other content", o.Modified.Format(time.RFC3339Nano), o.ID)
	} else if !errs.Is(err, errs.NotFound) {
		return "", err
	}
	return Updated, tx.PutVersion(ctx, o)
}

func isRecordError(err error) bool {
	switch errs.CodeOf(err) {
	case errs.Invalid, errs.Conflict, errs.Forbidden, errs.TooLarge, errs.Malformed:
		return true
	}
	return false
}

// rejected describes a refused record: Field is the first field in
// alphabetical order, Error every problem ("field: message; …") when there
// are several.
func rejected(i int, id string, err error) Item {
	it := Item{Index: i, ID: id, Status: Rejected, Error: err.Error()}
	f := errs.Fields(err)
	if len(f) == 0 {
		return it
	}
	sort.SliceStable(f, func(a, b int) bool { return f[a].Field < f[b].Field })
	it.Field, it.Error = f[0].Field, f[0].Message
	if len(f) > 1 {
		parts := make([]string, len(f))
		for j, e := range f {
			parts[j] = e.Field + ": " + e.Message
		}
		it.Error = strings.Join(parts, "; ")
	}
	return it
}

func firstID(r Result) string {
	for _, it := range r.Items {
		if it.Status != Rejected {
			return it.ID
		}
	}
	return ""
}

func sortItems(items []Item) {
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].Index < items[j-1].Index; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
}

// compactIf compacts raw when need says so.
func compactIf(raw []byte, need bool) json.RawMessage {
	if !need {
		return raw
	}
	return compact(raw)
}

func compact(raw []byte) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// splitInput reads one object or a bundle.
func splitInput(raw []byte) ([]json.RawMessage, error) {
	var head struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, errs.E(errs.Malformed, "not a STIX object or bundle: %v", err)
	}
	if head.Type == "bundle" {
		if len(head.Objects) == 0 {
			return nil, errs.F(errs.Invalid, "objects", "the bundle holds no objects")
		}
		return head.Objects, nil
	}
	return []json.RawMessage{raw}, nil
}

// markingTLP returns the most restrictive TLP among marking ids ("" if none).
func markingTLP(refs []string) policy.TLP {
	var t policy.TLP
	for _, r := range refs {
		if l, ok := policy.TLPOfMarking(r); ok && l.Rank() > t.Rank() {
			t = l
		}
	}
	return t
}

// distribution resolves a sharer's Sharing into a Distribution. Sharers may
// share to communities their organisation belongs to (hub administrators to
// any), to named organisations, and to named people.
func (s *Service) distribution(ctx context.Context, a identity.Actor, sh Sharing) (policy.Distribution, error) {
	d := policy.Distribution{TLP: sh.TLP, AuthorOrg: a.OrgID, AuthorUser: a.UserID}
	if d.TLP == "" {
		d.TLP = s.opt.DefaultTLP
	}
	if len(sh.Compartments) > 0 {
		d.Compartments = identity.NormalizeCompartments(sh.Compartments)
		var l errs.List
		identity.ValidateCompartments(&l, d.Compartments)
		if err := l.Err(); err != nil {
			return d, err
		}
	}
	if !d.TLP.Valid() {
		return d, errs.F(errs.Invalid, "tlp", "must be clear, green, amber, amber+strict or red")
	}
	mine, err := s.dir.CommunitiesOf(ctx, a.OrgID)
	if err != nil {
		return d, err
	}
	for i, ref := range sh.Communities {
		c, err := s.dir.CommunityBySlug(ctx, ref)
		if errs.Is(err, errs.NotFound) {
			c, err = s.dir.Community(ctx, ref)
		}
		if err != nil {
			return d, errs.F(errs.Invalid, fmt.Sprintf("communities[%d]", i), "no community %q", ref)
		}
		if a.Role != policy.HubAdmin && !contains(mine, c.ID) {
			return d, errs.F(errs.Forbidden, fmt.Sprintf("communities[%d]", i), "your organisation is not a member of %s", c.Slug)
		}
		d.Communities = append(d.Communities, c.ID)
	}
	for i, ref := range sh.Orgs {
		o, err := s.dir.OrgBySlug(ctx, ref)
		if errs.Is(err, errs.NotFound) {
			o, err = s.dir.Org(ctx, ref)
		}
		if err != nil {
			return d, errs.F(errs.Invalid, fmt.Sprintf("orgs[%d]", i), "no organisation %q", ref)
		}
		d.Orgs = append(d.Orgs, o.ID)
	}
	for i, ref := range sh.Users {
		u, err := s.dir.UserByUsername(ctx, ref)
		if errs.Is(err, errs.NotFound) {
			u, err = s.dir.User(ctx, ref)
		}
		if err != nil {
			return d, errs.F(errs.Invalid, fmt.Sprintf("users[%d]", i), "no person %q", ref)
		}
		d.Users = append(d.Users, u.ID)
	}
	if d.TLP == policy.Red && len(d.Users) == 0 {
		return d, errs.F(errs.Invalid, "users", "TLP:RED is for named people: name at least one")
	}
	return d, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// stixParser is the default Parser: the full STIX 2.1 validation of
// package stix, plus the fields the store keeps beside the JSON.
func stixParser(raw []byte) (Parsed, error) {
	o, err := stix.Parse(raw)
	p := Parsed{ID: o.ID, Type: o.Type, Created: o.Created, Modified: o.Modified, Revoked: o.Revoked, Raw: o.Raw,
		Fields: o.Props, MarkingRefs: o.ObjectMarkingRefs, Pattern: o.Pattern}
	if err != nil {
		return p, err
	}
	for _, g := range o.GranularMarkings {
		if g.MarkingRef != "" {
			p.GranularRefs = append(p.GranularRefs, g.MarkingRef)
		}
	}
	for _, f := range []struct {
		name string
		dst  **time.Time
	}{{"valid_from", &p.ValidFrom}, {"valid_until", &p.ValidTo}} {
		if s, ok := o.Props[f.name].(string); ok {
			if t, ok := stix.ParseTimestamp(s); ok {
				t = t.UTC()
				*f.dst = &t
			}
		}
	}
	if n, ok := o.Props["confidence"].(json.Number); ok {
		if c, err := n.Int64(); err == nil {
			p.Confidence = int(c)
		}
	}
	return p, nil
}
