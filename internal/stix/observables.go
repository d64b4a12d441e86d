package stix

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Observables returns the indexable values of an SCO, normalised the way
// pattern.Pattern.Simple normalises the values a pattern looks for, so
// that the two can be matched by equality:
//
//   - ipv4-addr, ipv6-addr value: canonical address (netip), or a masked
//     CIDR block; a full-length block becomes an address.
//   - domain-name value: lower case, without a trailing dot.
//   - url value: scheme and host lower case, the rest as it is.
//   - email-addr and mac-addr value: lower case.
//   - file, artifact and x509-certificate hashes: one Observable per hash,
//     Type "file:hashes.SHA-256" and the like with the algorithm in its
//     vocabulary spelling, hex digests lower case, TLSH upper case.
//
// Values that do not normalise (an IP address that does not parse, a
// digest of the wrong length) are left out. Other objects give nil.
// Hashes come in algorithm order.
func Observables(o Object) []pattern.Observable {
	val, _ := o.Props["value"].(string)
	one := func(s string, ok bool) []pattern.Observable {
		if !ok {
			return nil
		}
		return []pattern.Observable{{Type: o.Type, Value: s}}
	}
	switch o.Type {
	case "ipv4-addr":
		return one(NormalizeIP(val, true))
	case "ipv6-addr":
		return one(NormalizeIP(val, false))
	case "domain-name":
		return one(NormalizeDomain(val))
	case "url":
		return one(normURL(val))
	case "email-addr", "mac-addr":
		s := strings.ToLower(strings.TrimSpace(val))
		return one(s, s != "")
	case "file", "artifact", "x509-certificate":
		h, _ := o.Props["hashes"].(map[string]any)
		var out []pattern.Observable
		for k, v := range h {
			s, _ := v.(string)
			algo, n := hashAlgo(k)
			if algo == "" || s == "" {
				continue
			}
			s = strings.TrimSpace(s)
			switch {
			case n > 0:
				s = strings.ToLower(s)
				if len(s) != n || !isHex(s) {
					continue
				}
			case algo == "TLSH":
				s = strings.ToUpper(s)
			}
			out = append(out, pattern.Observable{Type: o.Type + ":hashes." + algo, Value: s})
		}
		slices.SortFunc(out, func(a, b pattern.Observable) int { return strings.Compare(a.Type, b.Type) })
		return out
	}
	return nil
}

// NormalizeIP returns the canonical form of an IPv4 (v4 true) or IPv6
// address or CIDR block: netip's text form, host bits of a block masked,
// a full-length block written as an address. It reports false when s is
// not of the requested family.
func NormalizeIP(s string, v4 bool) (string, bool) {
	s = strings.TrimSpace(s)
	var p netip.Prefix
	if strings.Contains(s, "/") {
		var err error
		if p, err = netip.ParsePrefix(s); err != nil {
			return "", false
		}
		p = p.Masked()
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return "", false
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Addr().Is4() != v4 {
		return "", false
	}
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String(), true
	}
	return p.String(), true
}

// NormalizeDomain lower-cases a domain name and drops a trailing dot. It
// reports false for an empty name or one with characters no host name has.
func NormalizeDomain(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	return s, s != "" && !strings.ContainsAny(s, "/:@ \t\r\n")
}

func normURL(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	i := strings.Index(s, "://")
	if err != nil || u.Scheme == "" || u.Host == "" || i < 0 {
		return s, true
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.ToLower(s[:i+3]) + strings.ToLower(rest[:end]) + rest[end:], true
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}
