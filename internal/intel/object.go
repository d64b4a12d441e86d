// Package intel owns the intelligence store's rules: STIX 2.1 objects with
// their versions and sharing (TLP 2.0, communities, named recipients,
// need-to-know), the observable values they are about, search by value with
// correlation across organisations, and the visibility decision applied on
// every read: each object a read returns has passed policy.CanSee.
//
// Objects are kept as their exact JSON, so what is exported is what was
// shared. Sharing is kept beside the JSON and never written into it.
package intel

import (
	"context"
	"encoding/json"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Object is one stored version of a STIX object with its sharing.
type Object struct {
	ID        string              `json:"id"`
	Type      string              `json:"type"`
	Created   time.Time           `json:"created"`
	Modified  time.Time           `json:"modified"` // the version; for SCOs, when first stored
	Revoked   bool                `json:"revoked"`
	Latest    bool                `json:"latest"`   // the newest version of its id
	AddedAt   time.Time           `json:"added_at"` // when the hub stored this version (TAXII date_added)
	Source    string              `json:"source"`   // "api", "import:<name>", "taxii:<partner>"
	Raw       json.RawMessage     `json:"object"`   // the STIX object exactly as shared
	TLP       policy.TLP          `json:"tlp"`      // Dist.TLP, shown to viewers
	Dist      policy.Distribution `json:"-"`
	Anonymous bool                `json:"-"`      // shared anonymously: others see the hub as author
	Values    []Value             `json:"values"` // indexed observable values

	ValidFrom  *time.Time `json:"valid_from,omitempty"` // indicators
	ValidUntil *time.Time `json:"valid_until,omitempty"`
	Confidence int        `json:"confidence,omitempty"`
	Score      float64    `json:"score"` // confidence decayed to now (see Decay); 0 when revoked or expired

	// markings are the marking definitions the object references
	// (object_marking_refs and granular markings), when the parser said.
	markings      []string
	markingsKnown bool
	minted        bool // an import made the id up (Incoming.Minted)
}

func (o *Object) setMarkings(p Parsed) {
	o.markings = append(append([]string(nil), p.MarkingRefs...), p.GranularRefs...)
	o.markingsKnown = true
}

// hashName drops the dashes and quotes of a hash algorithm's name.
var hashName = strings.NewReplacer("-", "", "'", "")

// markingRefs returns the marking definitions o references.
func (o Object) markingRefs() []string {
	if o.markingsKnown {
		return o.markings
	}
	var m struct {
		Refs     []string `json:"object_marking_refs"`
		Granular []struct {
			Ref string `json:"marking_ref"`
		} `json:"granular_markings"`
	}
	if json.Unmarshal(o.Raw, &m) != nil {
		return nil
	}
	for _, g := range m.Granular {
		if g.Ref != "" {
			m.Refs = append(m.Refs, g.Ref)
		}
	}
	return m.Refs
}

// Sharing is how a sharer distributes what they publish.
type Sharing struct {
	TLP          policy.TLP `json:"tlp,omitempty"`          // empty: the object's TLP marking, else the hub's default
	Communities  []string   `json:"communities,omitempty"`  // community ids or slugs
	Orgs         []string   `json:"orgs,omitempty"`         // recipient organisations (ids or slugs)
	Users        []string   `json:"users,omitempty"`        // recipient people for TLP:RED (ids or usernames)
	Compartments []string   `json:"compartments,omitempty"` // need-to-know compartments
	Anonymous    bool       `json:"anonymous,omitempty"`    // recipients see the hub as author; the hub keeps who it was
}

// Filter selects objects; zero fields match all. Results come oldest
// added first, after the cursor.
type Filter struct {
	Types      []string
	IDs        []string // exact object ids
	AuthorOrg  string
	TLP        policy.TLP
	Community  string
	Org        string // shared to this organisation by name: Distribution.Orgs holds it
	Source     string
	AddedAfter time.Time
	AfterSeq   int64 // cursor: only rows with a larger store sequence
	Revoked    *bool
	Versions   Versions // which versions of each id; the zero value is the latest only
	Limit      int      // 0: 100; at most 1000
}

// Versions selects versions of each object, as TAXII's match[version]
// does: a version is selected when any of the set conditions holds. The
// zero value selects the latest version only.
type Versions struct {
	All   bool        // every version
	First bool        // the oldest version (smallest modified)
	Last  bool        // the latest version
	At    []time.Time // the versions modified at exactly these times
}

// Zero reports whether v selects nothing explicitly (then: latest only).
func (v Versions) Zero() bool { return !v.All && !v.First && !v.Last && len(v.At) == 0 }

// PageLimit clamps Limit to [1, 1000], 100 when zero.
func (f Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}

// Stored is an object with its store sequence, the paging cursor.
type Stored struct {
	Object
	Seq int64 `json:"seq"`
}

// Reader reads the store. Lookups of one object return errs.NotFound when
// it does not exist. Visibility is NOT applied here: the Service applies it.
type Reader interface {
	// Latest returns the newest version of id.
	Latest(ctx context.Context, id string) (Object, error)
	// Versions returns every version of id, oldest first.
	Versions(ctx context.Context, id string) ([]Object, error)
	// Version returns the version of id modified at t.
	Version(ctx context.Context, id string, t time.Time) (Object, error)
	// List returns the versions f selects (the latest unless f.Versions says
	// otherwise) matching f, in store order after f.AfterSeq.
	List(ctx context.Context, f Filter) ([]Stored, error)
	// ByKeys returns the latest versions of objects with a value of kind
	// whose key is one of keys, or (when lo, hi are set) between lo and hi.
	ByKeys(ctx context.Context, kind string, keys []string, lo, hi string, limit int) ([]Object, error)
}

// Meta is what bulk writes need to know of a stored latest version.
type Meta struct {
	ID       string
	Modified time.Time
	Dist     policy.Distribution
	Values   []Value
	Source   string
	Raw      json.RawMessage
}

// Lookup is what bulk writes read before they write.
type Lookup interface {
	// LatestMeta returns the latest version's metadata of each id that exists.
	LatestMeta(ctx context.Context, ids []string) (map[string]Meta, error)
	// ValueOwners returns, for each key of kind that some latest version is
	// about, one such object: the most recently stored one from source
	// shared by organisation org when there is one, else the most recently
	// stored.
	ValueOwners(ctx context.Context, kind string, keys []string, source, org string) (map[string]Meta, error)
}

// Snapshotter is a store that can serve Lookups from one consistent view
// outside any write transaction, so that an import reads on one core while
// it writes on another. seq is the newest stored sequence in that view.
type Snapshotter interface {
	Snapshot(ctx context.Context, fn func(seq int64, l Lookup) error) error
}

// Tx writes in one transaction.
type Tx interface {
	Reader
	audit.Appender
	Lookup
	// CountAfter counts the versions stored after seq, up to limit.
	CountAfter(ctx context.Context, seq int64, limit int) (int, error)
	// MaxSeq returns the newest stored sequence (0 when empty).
	MaxSeq(ctx context.Context) (int64, error)
	// PutNew stores objects whose ids the store does not have yet, as their
	// first and latest versions. An id that exists is errs.Conflict and
	// nothing of the call is kept.
	PutNew(ctx context.Context, objs []Object) error
	// PutVersion stores a version; it becomes the latest when newer than the
	// current latest. Storing an (id, modified) that exists is errs.Conflict.
	PutVersion(ctx context.Context, o Object) error
}

// Store is the intelligence store.
type Store interface {
	Reader
	Transact(ctx context.Context, fn func(Tx) error) error
}

// ValuesOf returns the observable values an object is about: the values a
// STIX indicator's simple pattern looks for, a cyber-observable's own
// value or hashes, and those of the observables an observed-data embeds.
// A sighting is indexed under the object it sights, as a value of kind
// SightingOf whose value and key are that object's id, so that the
// sightings of an object are found by ByKeys(SightingOf, id); that kind is
// no observable and Classify never yields it, so search does not reach it.
func ValuesOf(typ string, m map[string]any) []Value {
	return valuesOf(Parsed{Type: typ, Fields: m})
}

// valuesOf is ValuesOf of a parsed object, using its parsed pattern when
// it has one.
func valuesOf(p Parsed) []Value {
	var out []Value
	typ, m := p.Type, p.Fields
	switch typ {
	case "sighting":
		if ref, _ := m["sighting_of_ref"].(string); ref != "" {
			out = append(out, Value{Kind: SightingOf, Value: ref, Key: ref})
		}
	case "indicator":
		if pt, _ := m["pattern_type"].(string); pt == "stix" {
			pat := p.Pattern
			if s, _ := m["pattern"].(string); pat == nil && s != "" {
				pat, _ = pattern.Parse(s)
			}
			if pat != nil {
				if obs, ok := pat.Simple(); ok {
					for _, o := range obs {
						out = appendObservable(out, o.Type, o.Value)
					}
				}
			}
		}
	case "observed-data":
		if objs, ok := m["objects"].(map[string]any); ok {
			for _, v := range objs {
				if sco, ok := v.(map[string]any); ok {
					t, _ := sco["type"].(string)
					out = append(out, scoValues(t, sco)...)
				}
			}
		}
	default:
		out = scoValues(typ, m)
	}
	return dedupe(out)
}

func scoValues(typ string, m map[string]any) []Value {
	var out []Value
	switch typ {
	case "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr":
		if v, ok := m["value"].(string); ok {
			out = appendObservable(out, typ, v)
		}
	case "file", "artifact", "x509-certificate":
		if hs, ok := m["hashes"].(map[string]any); ok {
			for alg, v := range hs {
				if s, ok := v.(string); ok {
					out = appendObservable(out, typ+":hashes."+alg, s)
				}
			}
		}
	}
	return out
}

// appendObservable adds the value of an observable type (as pattern.Simple
// names them) in kyojo's kinds; a URL also indexes its host as a domain.
func appendObservable(out []Value, typ, v string) []Value {
	kind := ""
	switch {
	case typ == "ipv4-addr" || typ == "ipv6-addr":
		p, err := parsePrefix(v)
		if err != nil {
			return out
		}
		val := p.Addr().Unmap().String()
		if p.Bits() != p.Addr().BitLen() {
			val = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).String()
		}
		return append(out, Value{Kind: "ip", Value: val, Key: ipKey(p)})
	case typ == "domain-name":
		d := strings.TrimSuffix(strings.ToLower(v), ".")
		return append(out, Value{Kind: "domain", Value: d, Key: reverseDomain(d)})
	case typ == "url":
		u, err := url.Parse(v)
		if err != nil || u.Host == "" {
			return out
		}
		n := NormalizeURL(u)
		out = append(out, Value{Kind: "url", Value: n, Key: n})
		if h := strings.ToLower(u.Hostname()); h != "" {
			if _, err := netip.ParseAddr(h); err == nil {
				return appendObservable(out, "ipv4-addr", h)
			}
			return append(out, Value{Kind: "domain", Value: h, Key: reverseDomain(h)})
		}
		return out
	case typ == "email-addr":
		kind = "email"
	case typ == "mac-addr":
		kind = "mac"
	case strings.Contains(typ, ":hashes."):
		alg := typ[strings.Index(typ, ":hashes.")+len(":hashes."):]
		kind = strings.ToLower(hashName.Replace(alg))
	default:
		return out
	}
	val := strings.ToLower(strings.TrimSpace(v))
	if kind == "tlsh" {
		val = strings.ToUpper(val)
	}
	return append(out, Value{Kind: kind, Value: val, Key: val})
}

func dedupe(vs []Value) []Value {
	seen := map[string]bool{}
	out := vs[:0]
	for _, v := range vs {
		k := v.Kind + "\x00" + v.Key
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}
