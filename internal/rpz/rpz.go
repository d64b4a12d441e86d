// Package rpz turns the intelligence store into DNS Response Policy Zones
// (RPZ): feed definitions (which indicators go in and with which action),
// subscribers (ISPs with their TSIG keys, addresses and NOTIFY targets), the
// zone each subscriber receives (computed with policy.CanSee as the
// subscriber's organisation), serials and the journal of changes that IXFR
// serves, and the lookup the filtering resolver applies. It does no I/O.
//
// The records follow the RPZ format of BIND's and PowerDNS's zones: every
// trigger is a QNAME owner under the zone's origin, and the action is a
// CNAME: "." for NXDOMAIN, "*." for NODATA, "rpz-passthru." for the
// allowlist, and any other target to rewrite (the walled garden).
package rpz

import (
	"net/netip"
	"slices"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Action is what a resolver does with a listed name.
type Action string

// The actions.
const (
	NXDomain Action = "nxdomain" // CNAME .
	NoData   Action = "nodata"   // CNAME *.
	Walled   Action = "walled"   // CNAME <warning host>.
	Passthru Action = "passthru" // CNAME rpz-passthru.
)

// Valid reports whether a is a known action.
func (a Action) Valid() bool {
	return a == NXDomain || a == NoData || a == Walled || a == Passthru
}

// Target is the CNAME target of the action; warn is the walled garden's
// host (a fully qualified name).
func (a Action) Target(warn string) string {
	switch a {
	case NXDomain:
		return "."
	case NoData:
		return "*."
	case Passthru:
		return "rpz-passthru."
	}
	return Fqdn(warn)
}

// ActionOf returns the action a CNAME target stands for.
func ActionOf(target string) Action {
	switch strings.ToLower(target) {
	case ".":
		return NXDomain
	case "*.":
		return NoData
	case "rpz-passthru.":
		return Passthru
	}
	return Walled
}

// Kinds of indicator values a feed may take.
const (
	KindDomain  = "domain"   // domain-name indicators
	KindURLHost = "url-host" // the host part of URL indicators
)

// Feed is a policy zone the hub publishes.
type Feed struct {
	ID          string     `json:"id"`
	Zone        string     `json:"zone"`                  // the zone's origin, e.g. "rpz.kyojo.example."
	Description string     `json:"description,omitempty"` // for people
	MinScore    float64    `json:"min_score"`             // indicators scoring at least this (0-100)
	Kinds       []string   `json:"kinds"`                 // KindDomain, KindURLHost
	MaxTLP      policy.TLP `json:"max_tlp,omitempty"`     // the most restricted marking taken; "" = any the subscriber may see
	Communities []string   `json:"communities,omitempty"` // only objects shared to one of these community ids; none = any
	Action      Action     `json:"action"`
	WarnHost    string     `json:"warn_host,omitempty"` // walled garden: the warning page's host
	TTL         uint32     `json:"ttl"`                 // record TTL, seconds
}

// Subscriber is an organisation that receives feeds over zone transfer.
type Subscriber struct {
	ID      string         `json:"id"`
	Name    string         `json:"name"`   // a handle, e.g. "kumo-net-ns1"
	OrgID   string         `json:"org_id"` // the ISP: whose visibility the zones follow
	Feeds   []string       `json:"feeds"`  // feed ids
	KeyName string         `json:"key_name,omitempty"`
	Secret  string         `json:"secret,omitempty"` // base64 hmac-sha256 key; empty: no TSIG
	Allow   []netip.Prefix `json:"allow"`            // addresses that may transfer
	Notify  []string       `json:"notify,omitempty"` // host:port to send NOTIFY to
}

// Member is the viewer the subscriber's zones are computed for: its
// organisation with that organisation's communities. It holds no
// compartments, so compartmented objects never reach a zone.
func (s Subscriber) Member(communities []string) policy.Member {
	return policy.Member{Viewer: policy.Viewer{UserID: "rpz:" + s.ID, OrgID: s.OrgID, Role: policy.ReadOnly, Scope: policy.ScopeRead},
		Communities: communities}
}

// Allowed reports whether addr may transfer the subscriber's zones.
func (s Subscriber) Allowed(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range s.Allow {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// Fqdn returns name lower-cased with a trailing dot.
func Fqdn(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

// CheckName reports whether name is a usable DNS host name (LDH labels,
// underscores allowed, at most 253 characters, punycode for IDNs).
func CheckName(name string) bool {
	n := strings.TrimSuffix(strings.ToLower(name), ".")
	if n == "" || len(n) > 253 {
		return false
	}
	start := 0
	for i := 0; i <= len(n); i++ {
		if i < len(n) && n[i] != '.' {
			c := n[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				return false
			}
			continue
		}
		// a label: 1 to 63 octets, no hyphen at either end
		if l := i - start; l < 1 || l > 63 || n[start] == '-' || n[i-1] == '-' {
			return false
		}
		start = i + 1
	}
	return true
}

// Validate checks a feed and fills its defaults.
func (f *Feed) Validate() error {
	var l errs.List
	f.Zone = Fqdn(f.Zone)
	if !CheckName(f.Zone) {
		l.Add(errs.Invalid, "zone", "%q is not a DNS name", f.Zone)
	}
	if f.MinScore < 0 || f.MinScore > 100 {
		l.Add(errs.Invalid, "min_score", "must be between 0 and 100")
	}
	if len(f.Kinds) == 0 {
		f.Kinds = []string{KindDomain, KindURLHost}
	}
	for _, k := range f.Kinds {
		if k != KindDomain && k != KindURLHost {
			l.Add(errs.Invalid, "kinds", "unknown kind %q (domain, url-host)", k)
		}
	}
	if f.MaxTLP != "" && !f.MaxTLP.Valid() {
		l.Add(errs.Invalid, "max_tlp", "unknown TLP %q", f.MaxTLP)
	}
	if f.Action == "" {
		f.Action = NXDomain
	}
	if !f.Action.Valid() || f.Action == Passthru {
		l.Add(errs.Invalid, "action", "must be nxdomain, nodata or walled")
	}
	if f.Action == Walled {
		if f.WarnHost == "" || !CheckName(f.WarnHost) {
			l.Add(errs.Invalid, "warn_host", "a walled garden needs the warning page's host name")
		} else {
			f.WarnHost = Fqdn(f.WarnHost)
		}
	}
	if f.TTL == 0 {
		f.TTL = 300
	}
	return l.Err()
}

// Validate checks a subscriber.
func (s *Subscriber) Validate() error {
	var l errs.List
	if !CheckName(s.Name) {
		l.Add(errs.Invalid, "name", "must be a handle of letters, digits and hyphens")
	}
	if s.OrgID == "" {
		l.Add(errs.Invalid, "org", "the subscribing organisation is required")
	}
	if s.Secret != "" || s.KeyName != "" {
		if !CheckName(s.KeyName) {
			l.Add(errs.Invalid, "key_name", "a TSIG key name must be a DNS name")
		} else {
			s.KeyName = Fqdn(s.KeyName)
		}
		if len(s.Secret) < 16 {
			l.Add(errs.Invalid, "secret", "a TSIG secret must be base64 of at least 12 bytes")
		}
	}
	if len(s.Allow) == 0 {
		l.Add(errs.Invalid, "allow", "name at least one address or network that may transfer")
	}
	for _, n := range s.Notify {
		if _, err := netip.ParseAddrPort(n); err != nil {
			l.Add(errs.Invalid, "notify", "%q is not address:port", n)
		}
	}
	slices.Sort(s.Feeds)
	s.Feeds = slices.Compact(s.Feeds)
	return l.Err()
}
