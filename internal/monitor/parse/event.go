// Package parse reads what sensors send — Suricata EVE JSON, Zeek logs (TSV
// with #fields headers, and JSON), syslog (RFC 5424 and RFC 3164) with CEF
// payloads, and any JSON with a field mapping — into normalised Events whose
// observables the matcher looks up. It is outside input: every parser
// returns an error that says what is wrong, never panics, and bounds what it
// keeps from one line.
package parse

import (
	"net/netip"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// MaxLine is the longest line a parser accepts.
const MaxLine = 1 << 20

// MaxValues caps the values of one kind kept from one event.
const MaxValues = 32

// Event is one normalised sensor event.
type Event struct {
	Time      time.Time    `json:"time"`
	Type      string       `json:"type"` // alert, dns, http, tls, flow, fileinfo, smtp, conn, ssl, files, syslog, cef, json …
	SrcIP     netip.Addr   `json:"src_ip,omitzero"`
	DstIP     netip.Addr   `json:"dst_ip,omitzero"`
	SrcPort   int          `json:"src_port,omitempty"`
	DstPort   int          `json:"dst_port,omitempty"`
	Proto     string       `json:"proto,omitempty"`
	Addrs     []netip.Addr `json:"addrs,omitempty"` // other addresses: DNS answers, hosts named in a message
	Domains   []string     `json:"domains,omitempty"`
	URLs      []string     `json:"urls,omitempty"`
	Hashes    []string     `json:"hashes,omitempty"`
	Emails    []string     `json:"emails,omitempty"`
	JA3       []string     `json:"ja3,omitempty"` // JA3, JA3S and JA4 fingerprints
	UserAgent string       `json:"user_agent,omitempty"`
	Signature string       `json:"signature,omitempty"` // the sensor's own alert, if any
	Severity  int          `json:"severity,omitempty"`  // the sensor's severity, 1 (high) … 4 (low); 0 unknown
}

// Observable is one value of an event to look up.
type Observable struct {
	Kind  string // ip, domain, url, hash, email, ja3, user_agent
	Value string
}

// Observables returns every value of e to look up, each once.
func (e *Event) Observables() []Observable {
	var out []Observable
	seen := map[Observable]bool{}
	add := func(k, v string) {
		if v == "" {
			return
		}
		o := Observable{k, v}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, a := range append([]netip.Addr{e.SrcIP, e.DstIP}, e.Addrs...) {
		if a.IsValid() {
			add("ip", a.Unmap().String())
		}
	}
	for _, d := range e.Domains {
		add("domain", d)
	}
	for _, u := range e.URLs {
		add("url", u)
	}
	for _, h := range e.Hashes {
		add("hash", h)
	}
	for _, m := range e.Emails {
		add("email", m)
	}
	for _, j := range e.JA3 {
		add("ja3", j)
	}
	add("user_agent", e.UserAgent)
	return out
}

// addDomain adds a host name (not an address) lower case, once.
func (e *Event) addDomain(h string) {
	h = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	if h == "" || len(h) > 253 || strings.ContainsAny(h, " /\\:@\x00") {
		if a, err := netip.ParseAddr(h); err == nil {
			e.addAddr(a)
		}
		return
	}
	if strings.Trim(h, "0123456789.") == "" { // an IPv4 address is the only address spelled without ':'
		if a, err := netip.ParseAddr(h); err == nil {
			e.addAddr(a)
			return
		}
	}
	e.Domains = addOnce(e.Domains, h)
}

func (e *Event) addAddr(a netip.Addr) {
	if !a.IsValid() || len(e.Addrs) >= MaxValues {
		return
	}
	for _, b := range e.Addrs {
		if b == a {
			return
		}
	}
	e.Addrs = append(e.Addrs, a)
}

// addURL adds a URL in normalised form; a host and a path given apart are
// joined as http://host/path.
func (e *Event) addURL(scheme, host, path string) {
	host = strings.ToLower(strings.TrimSpace(host))
	if host == "" {
		return
	}
	if strings.Contains(path, "://") {
		e.URLs = addOnce(e.URLs, normURL(path))
		return
	}
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if u, ok := plainURL(scheme, host, path); ok {
		e.URLs = addOnce(e.URLs, u)
		return
	}
	e.URLs = addOnce(e.URLs, normURL(scheme+"://"+host+path))
}

func (e *Event) addHash(h string) {
	h = strings.ToLower(strings.TrimSpace(h))
	if len(h) < 32 || len(h) > 128 {
		return
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return
		}
	}
	e.Hashes = addOnce(e.Hashes, h)
}

func (e *Event) addEmail(m string) {
	m = strings.Trim(strings.ToLower(strings.TrimSpace(m)), "<>")
	if i := strings.LastIndexByte(m, '<'); i >= 0 { // "Name <a@b>"
		m = strings.TrimSuffix(m[i+1:], ">")
	}
	if !strings.Contains(m, "@") || len(m) > 254 || strings.ContainsAny(m, " \t,;") {
		return
	}
	e.Emails = addOnce(e.Emails, m)
}

func (e *Event) addJA3(s string) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" || s == "-" || len(s) > 128 {
		return
	}
	e.JA3 = addOnce(e.JA3, s)
}

func addOnce(list []string, v string) []string {
	if len(list) >= MaxValues {
		return list
	}
	for _, x := range list {
		if x == v {
			return list
		}
	}
	return append(list, v)
}

func parseAddr(s string) netip.Addr {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// bad returns the error of a malformed line.
func bad(format string, args ...any) error { return errs.E(errs.Malformed, format, args...) }
