package pattern

import (
	"encoding/hex"
	"net/url"
	"strings"
)

// Observable is one indexable value a simple pattern looks for.
//
// Type is an SCO type for value properties ("ipv4-addr", "ipv6-addr",
// "domain-name", "url", "email-addr", "mac-addr") or type plus hash
// algorithm for hashes ("file:hashes.SHA-256", "artifact:hashes.MD5",
// "x509-certificate:hashes.SHA-1"), with the algorithm in its STIX
// vocabulary spelling. Value is normalised: IP addresses in canonical form,
// CIDR blocks masked (a full-length block becomes an address), domains
// lower case without a trailing dot, URL scheme and host lower case, email
// and MAC addresses lower case, hex digests lower case, TLSH upper case.
type Observable struct {
	Type  string
	Value string
}

// Simple reduces a pattern that only looks for single observable values to
// those values, for indexing. It reports true when the pattern is a
// disjunction (OR within brackets, OR between brackets, parentheses) of
// `=` or IN comparisons with string constants on the properties Observable
// lists, each value valid for its type. Any qualifier, AND, FOLLOWEDBY, NOT,
// another operator, another property or a malformed value gives false, and
// the pattern must then be matched with Match. The values are returned once
// each, in pattern order.
func (p *Pattern) Simple() ([]Observable, bool) {
	var out []Observable
	if !simpleObs(p.Root, &out) || len(out) == 0 {
		return nil, false
	}
	return out, true
}

func simpleObs(e ObsExpr, out *[]Observable) bool {
	switch e := e.(type) {
	case *Bracket:
		return simpleComp(e.Comp, out)
	case *ObsBinary:
		if e.Op != ObsOr {
			return false
		}
		for _, t := range e.Terms {
			if !simpleObs(t, out) {
				return false
			}
		}
		return true
	}
	return false
}

func simpleComp(c CompExpr, out *[]Observable) bool {
	switch c := c.(type) {
	case *CompBinary:
		if c.Op != Or {
			return false
		}
		for _, t := range c.Terms {
			if !simpleComp(t, out) {
				return false
			}
		}
		return true
	case *Comparison:
		if c.Negated {
			return false
		}
		vals := c.Set
		switch c.Op {
		case OpEq:
			vals = []Value{c.Value}
		case OpIn:
		default:
			return false
		}
		typ, norm := simpleKind(c.Path)
		if norm == nil || len(vals) == 0 {
			return false
		}
		for _, v := range vals {
			if v.Kind != KindString {
				return false
			}
			s, ok := norm(strings.TrimSpace(v.Str))
			if !ok {
				return false
			}
			o := Observable{Type: typ, Value: s}
			dup := false
			for _, x := range *out {
				if x == o {
					dup = true
					break
				}
			}
			if !dup {
				*out = append(*out, o)
			}
		}
		return true
	}
	return false
}

// simpleKind returns the Observable type and the normaliser for path, or a
// nil normaliser when the path is not an indexable single value.
func simpleKind(path Path) (string, func(string) (string, bool)) {
	st := path.Steps
	if len(st) == 1 && st[0].Key == "value" {
		switch path.Type {
		case "ipv4-addr":
			return path.Type, func(s string) (string, bool) { return normIP(s, true) }
		case "ipv6-addr":
			return path.Type, func(s string) (string, bool) { return normIP(s, false) }
		case "domain-name":
			return path.Type, normDomain
		case "url":
			return path.Type, normURL
		case "email-addr":
			return path.Type, normEmail
		case "mac-addr":
			return path.Type, normMAC
		}
		return "", nil
	}
	if len(st) == 2 && st[0].Key == "hashes" && !st[1].IsIndex {
		switch path.Type {
		case "file", "artifact", "x509-certificate":
		default:
			return "", nil
		}
		algo, size := hashAlgo(st[1].Key)
		if algo == "" {
			return "", nil
		}
		return path.Type + ":hashes." + algo, func(s string) (string, bool) { return normHash(algo, size, s) }
	}
	return "", nil
}

func normIP(s string, v4 bool) (string, bool) {
	pf, ok := parsePrefix(s)
	if !ok || pf.Addr().Is4() != v4 {
		return "", false
	}
	if pf.Bits() == pf.Addr().BitLen() {
		return pf.Addr().String(), true
	}
	return pf.String(), true
}

func normDomain(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	return s, s != "" && !strings.ContainsAny(s, "/:@ \t")
}

func normURL(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return s, true
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return s, true
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.ToLower(s[:i+3]) + strings.ToLower(rest[:end]) + rest[end:], true
}

func normEmail(s string) (string, bool) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 {
		return "", false
	}
	return strings.ToLower(s), true
}

func normMAC(s string) (string, bool) {
	s = strings.ToLower(s)
	return s, s != ""
}

// hashAlgo maps a hashes key to its STIX vocabulary name and hex length
// (0 when the digest is not plain hex). Unknown algorithms give "".
func hashAlgo(key string) (string, int) {
	switch strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(key, "-", ""), "_", "")) {
	case "MD5":
		return "MD5", 32
	case "SHA1":
		return "SHA-1", 40
	case "SHA224":
		return "SHA-224", 56
	case "SHA256":
		return "SHA-256", 64
	case "SHA384":
		return "SHA-384", 96
	case "SHA512":
		return "SHA-512", 128
	case "SHA3224":
		return "SHA3-224", 56
	case "SHA3256":
		return "SHA3-256", 64
	case "SHA3384":
		return "SHA3-384", 96
	case "SHA3512":
		return "SHA3-512", 128
	case "SSDEEP":
		return "SSDEEP", 0
	case "TLSH":
		return "TLSH", 0
	}
	return "", 0
}

func normHash(algo string, size int, s string) (string, bool) {
	switch {
	case size > 0:
		s = strings.ToLower(s)
		if len(s) != size {
			return "", false
		}
		_, err := hex.DecodeString(s)
		return s, err == nil
	case algo == "TLSH":
		s = strings.ToUpper(s)
		return s, s != ""
	}
	return s, s != ""
}
