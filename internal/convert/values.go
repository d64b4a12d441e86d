package convert

import (
	"net/netip"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Kind is the type of a single indicator value in a list.
type Kind string

// The value kinds. KindAuto detects the kind of each value (see Detect).
// KindIP, for export only, selects IPv4 and IPv6 addresses and blocks.
const (
	KindAuto   Kind = "auto"
	KindIPv4   Kind = "ipv4"
	KindIPv6   Kind = "ipv6"
	KindCIDR   Kind = "cidr" // an IPv4 or IPv6 block; a full-length block is an address
	KindDomain Kind = "domain"
	KindURL    Kind = "url"
	KindMD5    Kind = "md5"
	KindSHA1   Kind = "sha1"
	KindSHA256 Kind = "sha256"
	KindSHA512 Kind = "sha512"
	KindEmail  Kind = "email"
	KindIP     Kind = "ip"
)

// maxDomain is the longest domain name in octets (RFC 1035), without the root dot.
const maxDomain = 253

// Detect returns the kind of a value: an IP address (ipv4, ipv6), a block
// (cidr), a hex digest by its length (md5, sha1, sha256, sha512), a URL
// (has "://"), an e-mail address (has "@"), else a domain with at least one
// dot. It reports false when the value fits none.
func Detect(s string) (Kind, bool) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", false
	case strings.Contains(s, "://"):
		return KindURL, true
	case strings.Contains(s, "/"):
		if _, err := netip.ParsePrefix(s); err == nil {
			return KindCIDR, true
		}
		return "", false
	case strings.Contains(s, "@"):
		return KindEmail, true
	}
	if a, err := netip.ParseAddr(s); err == nil {
		if a.Is4() || a.Is4In6() {
			return KindIPv4, true
		}
		return KindIPv6, true
	}
	if isHex(s) {
		switch len(s) {
		case 32:
			return KindMD5, true
		case 40:
			return KindSHA1, true
		case 64:
			return KindSHA256, true
		case 128:
			return KindSHA512, true
		}
	}
	if strings.Contains(s, ".") {
		if _, ok := normDomain(s); ok {
			return KindDomain, true
		}
	}
	return "", false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return s != ""
}

// Normalize checks s as a value of kind k and returns its canonical form
// and its concrete kind (k itself unless k is KindAuto; a CIDR block of full
// length becomes an address). IPs are in net/netip canonical form, blocks
// masked; domains lower case without a trailing dot, ASCII or punycode
// labels only, at least two labels; URLs with scheme http, https or ftp and a host, scheme and
// host lower case; hashes lower-case hex of the right length; e-mail
// addresses with a lower-case domain. With rejectPrivate, private, loopback,
// link-local, multicast, unspecified and other special-purpose addresses are
// rejected. The error is an Invalid *errs.Error whose message is the reason.
func Normalize(k Kind, s string, rejectPrivate bool) (Kind, string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return k, "", errs.E(errs.Invalid, "empty value")
	}
	if !utf8.ValidString(s) {
		return k, "", errs.E(errs.Invalid, "invalid UTF-8")
	}
	if k == KindAuto || k == "" {
		d, ok := Detect(s)
		if !ok {
			return k, "", errs.E(errs.Invalid, "value of unknown type")
		}
		k = d
	}
	switch k {
	case KindIPv4, KindIPv6, KindCIDR:
		return normIPValue(k, s, rejectPrivate)
	case KindDomain:
		d, ok := normDomain(s)
		if !ok || !strings.Contains(d, ".") {
			return k, "", errs.E(errs.Invalid, "invalid domain name")
		}
		return k, d, nil
	case KindURL:
		u, ok := normURL(s)
		if !ok {
			return k, "", errs.E(errs.Invalid, "invalid URL (http, https or ftp with a host)")
		}
		return k, u, nil
	case KindMD5, KindSHA1, KindSHA256, KindSHA512:
		if len(s) != hashLen(k) || !isHex(s) {
			return k, "", errs.E(errs.Invalid, "invalid %s digest: want %d hex digits", k, hashLen(k))
		}
		return k, strings.ToLower(s), nil
	case KindEmail:
		e, ok := normEmail(s)
		if !ok {
			return k, "", errs.E(errs.Invalid, "invalid e-mail address")
		}
		return k, e, nil
	}
	return k, "", errs.E(errs.Invalid, "unknown value type %q", string(k))
}

func hashLen(k Kind) int {
	switch k {
	case KindMD5:
		return 32
	case KindSHA1:
		return 40
	case KindSHA256:
		return 64
	case KindSHA512:
		return 128
	}
	return 0
}

func normIPValue(k Kind, s string, rejectPrivate bool) (Kind, string, error) {
	var p netip.Prefix
	if strings.Contains(s, "/") {
		pp, err := netip.ParsePrefix(s)
		if err != nil || pp.Addr().Zone() != "" {
			return k, "", errs.E(errs.Invalid, "invalid CIDR block")
		}
		p = pp.Masked()
	} else {
		a, err := netip.ParseAddr(s)
		if err != nil || a.Zone() != "" {
			return k, "", errs.E(errs.Invalid, "invalid IP address")
		}
		p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
	}
	a := p.Addr().Unmap()
	p = netip.PrefixFrom(a, min(p.Bits(), a.BitLen()))
	switch {
	case k == KindIPv4 && !a.Is4(), k == KindIPv6 && !a.Is6():
		return k, "", errs.E(errs.Invalid, "not an %s address", k)
	case (k == KindIPv4 || k == KindIPv6) && p.Bits() != a.BitLen():
		return k, "", errs.E(errs.Invalid, "a CIDR block where an address was expected")
	}
	if rejectPrivate && !publicIP(a) {
		return k, "", errs.E(errs.Invalid, "private or reserved address")
	}
	if p.Bits() == a.BitLen() {
		if a.Is4() {
			return KindIPv4, a.String(), nil
		}
		return KindIPv6, a.String(), nil
	}
	return KindCIDR, p.String(), nil
}

// reserved holds special-purpose blocks (RFC 6890 and successors) that
// netip's predicates do not cover.
var reserved = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "2001:db8::/32", "64:ff9b:1::/48", "100::/64", "2001::/23"} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

func publicIP(a netip.Addr) bool {
	if a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsMulticast() || a.IsUnspecified() || a.IsInterfaceLocalMulticast() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// normDomain lower-cases s, drops one trailing dot and checks it is a
// host name of ASCII letters, digits and hyphens (punycode "xn--" labels
// included), with labels of 1 to 63 octets not starting or ending with a
// hyphen and at most 253 octets in all. A leading "*." or "_" labels (for
// SRV-style names) are not accepted.
func normDomain(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(s), "."))
	if s == "" || len(s) > maxDomain {
		return "", false
	}
	for label := range strings.SplitSeq(s, ".") {
		if len(label) == 0 || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", false
			}
		}
		if len(label) >= 4 && label[2:4] == "--" && label[:2] != "xn" {
			return "", false // reserved R-LDH label other than punycode
		}
	}
	return s, true
}

// normURL checks an absolute http, https or ftp URL with a valid host and
// lower-cases its scheme and host, leaving the rest unchanged.
func normURL(s string) (string, bool) {
	if strings.ContainsAny(s, " \t\r\n") {
		return "", false
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https", "ftp":
	default:
		return "", false
	}
	host := u.Hostname()
	if host == "" {
		return "", false
	}
	if _, err := netip.ParseAddr(host); err != nil {
		if _, ok := normDomain(host); !ok {
			return "", false
		}
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return "", false
	}
	rest := s[i+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	return strings.ToLower(s[:i+3]) + strings.ToLower(rest[:end]) + rest[end:], true
}

// normEmail checks local@domain with a non-empty local part of printable
// ASCII without spaces and a valid domain, and lower-cases the domain.
func normEmail(s string) (string, bool) {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at > 64 {
		return "", false
	}
	local := s[:at]
	for i := 0; i < len(local); i++ {
		if c := local[i]; c <= ' ' || c >= 0x7f || c == '@' || c == '"' || c == '\\' {
			return "", false
		}
	}
	d, ok := normDomain(s[at+1:])
	if !ok || !strings.Contains(d, ".") {
		return "", false
	}
	return local + "@" + d, true
}

// quote returns s as a STIX pattern string literal.
func quote(s string) string {
	if !strings.ContainsAny(s, `'\`) {
		return "'" + s + "'"
	}
	r := strings.NewReplacer(`\`, `\\`, `'`, `\'`)
	return "'" + r.Replace(s) + "'"
}

// simplePattern returns the one-comparison STIX pattern for a normalised
// value of a concrete kind.
func simplePattern(k Kind, v string) string {
	var path string
	switch k {
	case KindIPv4:
		path = "ipv4-addr:value"
	case KindIPv6:
		path = "ipv6-addr:value"
	case KindCIDR:
		path = "ipv4-addr:value"
		if strings.Contains(v, ":") {
			path = "ipv6-addr:value"
		}
	case KindDomain:
		path = "domain-name:value"
	case KindURL:
		path = "url:value"
	case KindMD5:
		path = "file:hashes.'MD5'"
	case KindSHA1:
		path = "file:hashes.'SHA-1'"
	case KindSHA256:
		path = "file:hashes.'SHA-256'"
	case KindSHA512:
		path = "file:hashes.'SHA-512'"
	case KindEmail:
		path = "email-addr:value"
	}
	return "[" + path + " = " + quote(v) + "]"
}
