package intel

import (
	"encoding/hex"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Value is one indexed observable value of an object: what search and
// correlation look up.
type Value struct {
	Kind  string `json:"kind"`  // ip, domain, url, email, md5, sha1, sha256, sha512, ssdeep, tlsh, mac, ja3, other
	Value string `json:"value"` // canonical form for display: 198.51.100.7, 198.51.100.0/24, evil.example, …
	Key   string `json:"-"`     // the index key (see Key)
}

// Key returns the index key of a canonical value of kind:
//   - ip: the 16-byte network address (IPv4 mapped into IPv6) in hex, a
//     slash and the prefix length in IPv6 terms, three digits: "…/128" for an
//     address, "…/120" for an IPv4 /24. Every CIDR that contains an address
//     is found by masking the address at each length.
//   - domain: the labels reversed with a trailing dot, "example.evil.", so
//     that a domain and its subdomains share a key prefix.
//   - everything else: the canonical value itself.
func Key(kind, value string) string {
	switch kind {
	case "ip":
		p, err := parsePrefix(value)
		if err != nil {
			return value
		}
		return ipKey(p)
	case "domain":
		return reverseDomain(value)
	}
	return value
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ipKey is the index key of a prefix.
func ipKey(p netip.Prefix) string {
	a := p.Addr()
	bits := p.Bits()
	if a.Is4() {
		bits += 96
	}
	b := a.As16()
	return hex.EncodeToString(b[:]) + "/" + pad3(bits)
}

func pad3(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// containingKeys returns the keys of every prefix that contains p, p's own
// included: what an exact lookup must try to find the CIDR blocks around an
// address.
func containingKeys(p netip.Prefix) []string {
	var keys []string
	for bits := p.Bits(); bits >= 0; bits-- {
		q, _ := p.Addr().Prefix(bits)
		keys = append(keys, ipKey(q))
	}
	return keys
}

// rangeKeys returns the key range [lo, hi] within which lie the keys of
// every prefix inside p.
func rangeKeys(p netip.Prefix) (lo, hi string) {
	first := p.Masked().Addr()
	last := lastAddr(p)
	a, b := first.As16(), last.As16()
	return hex.EncodeToString(a[:]) + "/", hex.EncodeToString(b[:]) + "/~"
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr()
	b := a.AsSlice()
	host := a.BitLen() - p.Bits()
	for i := len(b) - 1; i >= 0 && host > 0; i-- {
		n := min(host, 8)
		b[i] |= byte(1<<n - 1)
		host -= n
	}
	out, _ := netip.AddrFromSlice(b)
	return out
}

func reverseDomain(d string) string {
	labels := strings.Split(strings.TrimSuffix(d, "."), ".")
	for i, j := 0, len(labels)-1; i < j; i, j = i+1, j-1 {
		labels[i], labels[j] = labels[j], labels[i]
	}
	return strings.Join(labels, ".") + "."
}

var (
	hexRE    = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	domainRE = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$`)
)

// hashKinds maps hex lengths to the hash a search value most likely is.
var hashKinds = map[int]string{32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}

// Classify reads what someone typed into the search box (or an API
// client sent) as a value: an IP address or CIDR block, a URL, an e-mail
// address, a hex hash, or a domain name. It returns errs.Invalid for
// anything else.
func Classify(s string) (Value, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Value{}, errs.F(errs.Invalid, "value", "type an IP address, CIDR block, domain, URL, hash or e-mail address")
	}
	if len(s) > 2048 {
		return Value{}, errs.F(errs.Invalid, "value", "is longer than 2048 characters")
	}
	if p, err := parsePrefix(s); err == nil {
		v := p.Addr().Unmap().String()
		if p.Bits() != p.Addr().BitLen() {
			v = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()).String()
		}
		return Value{Kind: "ip", Value: v, Key: ipKey(p)}, nil
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		if err != nil || u.Host == "" {
			return Value{}, errs.F(errs.Invalid, "value", "is not a valid URL")
		}
		v := NormalizeURL(u)
		return Value{Kind: "url", Value: v, Key: v}, nil
	}
	if strings.Contains(s, "@") {
		a, err := mail.ParseAddress(s)
		if err != nil || a.Name != "" {
			return Value{}, errs.F(errs.Invalid, "value", "is not a valid e-mail address")
		}
		v := strings.ToLower(a.Address)
		return Value{Kind: "email", Value: v, Key: v}, nil
	}
	if hexRE.MatchString(s) {
		if k, ok := hashKinds[len(s)]; ok {
			v := strings.ToLower(s)
			return Value{Kind: k, Value: v, Key: v}, nil
		}
	}
	d := strings.TrimSuffix(strings.ToLower(s), ".")
	if len(d) <= 253 && domainRE.MatchString(d) {
		return Value{Kind: "domain", Value: d, Key: reverseDomain(d)}, nil
	}
	return Value{}, errs.F(errs.Invalid, "value", "%q is not an IP address, CIDR block, domain, URL, hash or e-mail address", s)
}

// NormalizeURL lower-cases the scheme and host and drops a default port and
// the fragment, so that equal URLs compare equal.
func NormalizeURL(u *url.URL) string {
	c := *u
	c.Scheme = strings.ToLower(c.Scheme)
	host := strings.ToLower(c.Hostname())
	port := c.Port()
	if (c.Scheme == "http" && port == "80") || (c.Scheme == "https" && port == "443") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	c.Host = host
	c.Fragment, c.RawFragment = "", ""
	if c.Path == "" {
		c.Path = "/"
	}
	return c.String()
}
