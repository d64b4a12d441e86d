package parse

import (
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"net/netip"
	"strconv"
)

// This file is the fast path of EVE: a scanner that reads the fields kyojo
// needs straight from the bytes and skips the rest, without reflection.
// Whenever it meets something it does not expect it gives up, and EVE falls
// back to encoding/json, which also makes the error message; so the fast
// path never decides that a line is bad. FuzzEVEFast checks that both
// paths give the same event.

// scanner walks one JSON text.
type scanner struct {
	b  []byte
	i  int
	ok bool
}

func (s *scanner) ws() {
	if s.i < len(s.b) && s.b[s.i] > ' ' { // no space: EVE writes none
		return
	}
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) fail() { s.ok = false }

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// raw reads a string and returns its bytes as they stand in the line
// (valid while the line is) and whether they hold escapes; it fails on
// control characters and leaves non-ASCII to encoding/json.
func (s *scanner) raw() (b []byte, esc bool) {
	if s.peek() != '"' {
		s.fail()
		return nil, false
	}
	start := s.i
	s.i++
	for s.i < len(s.b) {
		s.i += plainRun(s.b[s.i:])
		if s.i >= len(s.b) {
			break
		}
		c := s.b[s.i]
		switch {
		case c == '\\':
			esc = true
			s.i += 2
			continue
		case c == '"':
			s.i++
			return s.b[start+1 : s.i-1], esc
		case c < 0x20 || c >= 0x80:
			s.fail()
			return nil, false
		}
		s.i++
	}
	s.fail()
	return nil, false
}

// plainRun returns how many bytes at the start of b need no attention in a
// string (not '"', '\\', a control character or non-ASCII), looking at
// eight at a time. The lowest flagged byte of each word is exact, which is
// the only one it uses.
func plainRun(b []byte) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	n := 0
	for len(b)-n >= 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		q, bs := x^(ones*'"'), x^(ones*'\\')
		m := ((x - ones*0x20) & ^x) | x | ((q - ones) & ^q) | ((bs - ones) & ^bs)
		if m &= highs; m != 0 {
			return n + bits.TrailingZeros64(m)/8
		}
		n += 8
	}
	return n
}

// str reads a string; escaped strings are decoded by encoding/json.
func (s *scanner) str() string {
	start := s.i
	b, esc := s.raw()
	if !s.ok {
		return ""
	}
	if !esc {
		return intern(b)
	}
	var out string
	if json.Unmarshal(s.b[start:s.i], &out) != nil {
		s.fail()
	}
	return out
}

// plainStr reads a string or null. For a string without escapes it
// returns the bytes as they stand in the line (valid while the line is)
// and true; otherwise it stores the decoded string (or "" for null) in
// *dst and returns false.
func (s *scanner) plainStr(dst *string) ([]byte, bool) {
	if s.peek() == 'n' {
		s.lit("null")
		*dst = ""
		return nil, false
	}
	start := s.i
	b, esc := s.raw()
	if !s.ok || !esc {
		return b, s.ok
	}
	s.i = start
	*dst = s.str()
	return nil, false
}

// addr reads an address field: a plain IPv4 address straight into *a
// (set reports it), anything else as text into *dst for parseAddr.
func (s *scanner) addr(dst *string, a *netip.Addr, set *bool) {
	*dst, *a, *set = "", netip.Addr{}, false
	b, ok := s.plainStr(dst)
	if !ok {
		return
	}
	if *a, *set = ipv4(b); !*set {
		*dst = string(b)
	}
}

// key reads an object key without copying it; a key with escapes gives
// up (encoding/json reads it).
func (s *scanner) key() []byte {
	b, esc := s.raw()
	if esc {
		s.fail()
	}
	return b
}

// intern returns b as a string, without allocating for the values EVE
// repeats on every line (event types, protocols).
func intern(b []byte) string {
	switch string(b) {
	case "flow":
		return "flow"
	case "dns":
		return "dns"
	case "http":
		return "http"
	case "tls":
		return "tls"
	case "alert":
		return "alert"
	case "fileinfo":
		return "fileinfo"
	case "smtp":
		return "smtp"
	case "TCP":
		return "TCP"
	case "UDP":
		return "UDP"
	case "ICMP":
		return "ICMP"
	case "":
		return ""
	}
	return string(b)
}

// num reads an integer (a number with a fraction or exponent gives up).
func (s *scanner) num() int {
	s.ws()
	start := s.i
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		s.i++
	}
	lit := s.b[start:s.i]
	n, err := strconv.Atoi(string(lit))
	d := lit
	if len(d) > 0 && d[0] == '-' {
		d = d[1:]
	}
	if err != nil || (len(d) > 1 && d[0] == '0') || (s.i < len(s.b) && (s.b[s.i] == '.' || s.b[s.i] == 'e' || s.b[s.i] == 'E')) {
		s.fail()
	}
	return n
}

// skip skips any value.
func (s *scanner) skip() {
	switch c := s.peek(); {
	case c == '"':
		start := s.i
		if _, esc := s.raw(); esc && s.ok && !json.Valid(s.b[start:s.i]) {
			s.fail() // a bad escape: encoding/json says so
		}
	case c == '{':
		s.object(func([]byte) { s.skip() })
	case c == '[':
		s.array(s.skip)
	case c == 't':
		s.lit("true")
	case c == 'f':
		s.lit("false")
	case c == 'n':
		s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		s.number()
	default:
		s.fail()
	}
}

// number skips a number, strictly as JSON spells it:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() {
	digits := func() int {
		n := 0
		for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
			s.i++
			n++
		}
		return n
	}
	if s.i < len(s.b) && s.b[s.i] == '-' {
		s.i++
	}
	if s.i < len(s.b) && s.b[s.i] == '0' {
		s.i++
	} else if digits() == 0 {
		s.fail()
		return
	}
	if s.i < len(s.b) && s.b[s.i] == '.' {
		s.i++
		if digits() == 0 {
			s.fail()
			return
		}
	}
	if s.i < len(s.b) && (s.b[s.i] == 'e' || s.b[s.i] == 'E') {
		s.i++
		if s.i < len(s.b) && (s.b[s.i] == '+' || s.b[s.i] == '-') {
			s.i++
		}
		if digits() == 0 {
			s.fail()
		}
	}
}

func (s *scanner) lit(w string) {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		s.fail()
		return
	}
	s.i += len(w)
}

// object calls member for each key; member must consume the value. The
// key is valid only during the call.
func (s *scanner) object(member func(key []byte)) {
	if s.peek() != '{' {
		s.fail()
		return
	}
	s.i++
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok {
		k := s.key()
		if s.peek() != ':' {
			s.fail()
			return
		}
		s.i++
		member(k)
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// other skips the value of a key the fast path does not read. encoding/json
// matches keys case-insensitively, so a key with capitals may be one it
// reads: such lines are left to it. (Keys inside a skipped value do not
// matter: encoding/json skips it whole.)
func (s *scanner) other(k []byte) {
	if hasUpperASCII(k) {
		s.fail()
		return
	}
	s.skip()
}

func hasUpperASCII(k []byte) bool {
	for i := 0; i < len(k); i++ {
		if k[i] >= 'A' && k[i] <= 'Z' {
			return true
		}
	}
	return false
}

// array calls elem for each element; elem must consume it.
func (s *scanner) array(elem func()) {
	if s.peek() != '[' {
		s.fail()
		return
	}
	s.i++
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.ok {
		elem()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail()
		}
	}
}

// strOrNull reads a string, or null as "" (encoding/json leaves a field
// untouched on null); anything else gives up.
func (s *scanner) strOrNull() string {
	if s.peek() == 'n' {
		s.lit("null")
		return ""
	}
	return s.str()
}

func (s *scanner) numOrNull() int {
	if s.peek() == 'n' {
		s.lit("null")
		return 0
	}
	return s.num()
}

// strs reads an array of strings (or null).
func (s *scanner) strs() []string {
	if s.peek() == 'n' {
		s.lit("null")
		return nil
	}
	var out []string
	s.array(func() { out = append(out, s.str()) })
	return out
}

// eveFast fills r from line; ok is false when the line needs the slow path.
func eveFast(line []byte, r *eve) bool {
	s := &scanner{b: line, ok: true}
	s.object(func(k []byte) {
		switch string(k) {
		case "timestamp":
			r.Timestamp, r.tsSet = "", false
			if b, ok := s.plainStr(&r.Timestamp); ok {
				if r.ts, r.tsSet = suricataTime(b); !r.tsSet {
					r.Timestamp = string(b)
				}
			}
		case "event_type":
			r.EventType = s.strOrNull()
		case "src_ip":
			s.addr(&r.SrcIP, &r.src, &r.srcSet)
		case "dest_ip":
			s.addr(&r.DestIP, &r.dst, &r.dstSet)
		case "src_port":
			r.SrcPort = s.numOrNull()
		case "dest_port":
			r.DestPort = s.numOrNull()
		case "proto":
			r.Proto = s.strOrNull()
		case "alert", "dns", "http", "tls", "fileinfo", "smtp", "email":
			if s.peek() == 'n' {
				s.lit("null")
				r.fast.clear(string(k))
				return
			}
			eveSection(s, string(k), r)
		default:
			s.other(k)
		}
	})
	s.ws()
	return s.ok && s.i == len(s.b)
}

// eveSection reads one nested object of a record.
func eveSection(s *scanner, name string, r *eve) {
	switch name {
	case "alert":
		a := &r.fast.alert
		r.fast.hasAlert = true
		s.object(func(k []byte) {
			switch string(k) {
			case "signature":
				a.Signature = s.strOrNull()
			case "severity":
				a.Severity = s.numOrNull()
			default:
				s.other(k)
			}
		})
	case "http":
		h := &r.fast.http
		r.fast.hasHTTP = true
		s.object(func(k []byte) {
			switch string(k) {
			case "hostname":
				h.Hostname = s.strOrNull()
			case "url":
				h.URL = s.strOrNull()
			case "http_user_agent":
				h.UserAgent = s.strOrNull()
			case "http_port":
				h.Port = s.numOrNull()
			default:
				s.other(k)
			}
		})
	case "fileinfo":
		f := &r.fast.file
		r.fast.hasFile = true
		s.object(func(k []byte) {
			switch string(k) {
			case "md5":
				f.MD5 = s.strOrNull()
			case "sha1":
				f.SHA1 = s.strOrNull()
			case "sha256":
				f.SHA256 = s.strOrNull()
			default:
				s.other(k)
			}
		})
	case "dns":
		d := &r.fast.dns
		r.fast.hasDNS = true
		s.object(func(k []byte) {
			switch string(k) {
			case "rrname":
				d.RRName = s.strOrNull()
			case "rdata":
				d.RData = s.strOrNull()
			case "queries", "answers", "grouped":
				s.fail() // DNS v2 lists: encoding/json reads them
			default:
				s.other(k)
			}
		})
	default: // tls, smtp, email: rarer or nested deeper; encoding/json reads them
		s.fail()
	}
}

// fastSections holds the nested objects the fast path reads, in place
// (pointers from the record into itself would move it to the heap); eve
// fills its pointers from them (sections) before reading the record.
type fastSections struct {
	alert                              eveAlert
	http                               eveHTTP
	file                               eveFile
	dns                                eveDNS
	hasAlert, hasHTTP, hasFile, hasDNS bool
}

// clear forgets a section set to null, as encoding/json does.
func (f *fastSections) clear(name string) {
	switch name {
	case "alert":
		f.alert, f.hasAlert = eveAlert{}, false
	case "http":
		f.http, f.hasHTTP = eveHTTP{}, false
	case "fileinfo":
		f.file, f.hasFile = eveFile{}, false
	case "dns":
		f.dns, f.hasDNS = eveDNS{}, false
	}
}

// sections returns the record's sections: what encoding/json read, or
// what the fast path did.
func (r *eve) sections() (*eveAlert, *eveDNS, *eveHTTP, *eveFile) {
	a, d, h, f := r.Alert, r.DNS, r.HTTP, r.Fileinfo
	if r.fast.hasAlert {
		a = &r.fast.alert
	}
	if r.fast.hasDNS {
		d = &r.fast.dns
	}
	if r.fast.hasHTTP {
		h = &r.fast.http
	}
	if r.fast.hasFile {
		f = &r.fast.file
	}
	return a, d, h, f
}
