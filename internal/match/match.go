// Package match owns the compiled indicator set: an immutable, in-memory
// index of every indicator value kyojo detects on (IP addresses and CIDR
// blocks of IPv4 and IPv6 with longest-prefix lookup, domains with their
// parent domains, normalised URLs, file hashes, e-mail addresses, TLS
// JA3/JA4 fingerprints, user agents), and a Matcher that swaps a new Set
// in atomically so that look-ups never pause while indicators change.
//
// The package does no I/O and knows nothing of who may see what: a Set
// answers which indicators carry a value; callers filter the hits through
// policy.CanSee for the organisation whose traffic it is.
package match

import (
	"net/netip"
	"strings"
	"sync/atomic"
)

// Kind is the kind of an observable value.
type Kind uint8

// The kinds a Set indexes.
const (
	IP        Kind = iota + 1 // an address, or a CIDR block in an indicator
	Domain                    // a domain name; a look-up also finds its parents
	URL                       // a normalised URL (intel.NormalizeURL)
	Hash                      // a hex digest of any algorithm, lower case
	Email                     // an e-mail address, lower case
	JA3                       // a TLS client fingerprint (JA3 or JA4), lower case
	UserAgent                 // an HTTP user agent, exact
)

var kindNames = [...]string{IP: "ip", Domain: "domain", URL: "url", Hash: "hash", Email: "email", JA3: "ja3", UserAgent: "user_agent"}

func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// ParseKind reads a kind's name; ok is false for an unknown one.
func ParseKind(s string) (Kind, bool) {
	for k, n := range kindNames {
		if n != "" && n == s {
			return Kind(k), true
		}
	}
	return 0, false
}

// Entry is one value of one indicator, the unit a Set is built from. Ref is
// the caller's handle on the indicator (an index into its own table).
type Entry struct {
	Kind  Kind
	Value string // canonical: see Canonical
	Ref   int32
}

// Canonical returns the form in which values of kind k are indexed and
// looked up, and false when v is not a valid value of that kind: IPs and
// CIDR blocks masked and unmapped ("198.51.100.0/24", "2001:db8::1"),
// domains lower case without a trailing dot, hashes, e-mail addresses and
// fingerprints lower case. URLs are expected already normalised.
func Canonical(k Kind, v string) (string, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", false
	}
	switch k {
	case IP:
		p, ok := parsePrefix(v)
		if !ok {
			return "", false
		}
		if p.IsSingleIP() {
			return p.Addr().String(), true
		}
		return p.String(), true
	case Domain:
		return strings.TrimSuffix(strings.ToLower(v), "."), true
	case Hash, Email, JA3:
		return strings.ToLower(v), true
	}
	return v, true
}

func parsePrefix(v string) (netip.Prefix, bool) {
	if strings.IndexByte(v, '/') >= 0 {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr().Unmap()
		bits := p.Bits()
		if p.Addr().Is4In6() {
			bits -= 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
		}
		q, err := a.Prefix(bits)
		return q, err == nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap().WithZone("")
	return netip.PrefixFrom(a, a.BitLen()), true
}

// Matcher holds the current Set. Look-ups read it without locks; Swap
// replaces it atomically, so ingest never waits for a rebuild. The zero
// Matcher holds an empty Set.
type Matcher struct {
	cur atomic.Pointer[Set]
}

// Set returns the Set in use.
func (m *Matcher) Set() *Set {
	if s := m.cur.Load(); s != nil {
		return s
	}
	return empty
}

// Swap puts s in use and returns the one it replaces.
func (m *Matcher) Swap(s *Set) *Set { return m.cur.Swap(s) }

var empty = Build(nil)
