package rpz

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// WriteText writes the zone as a master file in the format of BIND's RPZ
// zones: $TTL, SOA and NS at the apex, then one CNAME per rule.
func WriteText(w io.Writer, z Zone, serial uint32, ttl uint32) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "$ORIGIN %s\n$TTL %d\n", z.Origin, ttl)
	fmt.Fprintf(bw, "@ IN SOA localhost. hostmaster.%s %d 3600 600 604800 %d\n", z.Origin, serial, ttl)
	fmt.Fprintf(bw, "@ IN NS localhost.\n")
	for _, r := range z.Sorted() {
		fmt.Fprintf(bw, "%s CNAME %s\n", r.Owner, r.Target)
	}
	return bw.Flush()
}

// Parsed is an RPZ zone read from text.
type Parsed struct {
	Origin  string
	Records []Record // QNAME triggers with a CNAME action, relative to Origin
	Skipped int      // records kyojo does not take (IP, NSDNAME, client-IP triggers, local data other than CNAME)
}

// Limits of ParseText.
const (
	MaxZoneLine    = 4096
	MaxZoneRecords = 2_000_000
)

// ParseText reads an RPZ zone in master-file form ($ORIGIN, $TTL, @,
// blank owners, parentheses, comments), keeping the QNAME triggers whose
// action is a CNAME. origin is used until the file sets $ORIGIN. Errors
// name the line.
func ParseText(r io.Reader, origin string) (Parsed, error) {
	p := Parsed{Origin: Fqdn(origin)}
	if origin == "" {
		p.Origin = ""
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1024), MaxZoneLine)
	line, start := 0, 0
	var pending []string
	depth := 0
	prevOwner := ""
	for sc.Scan() {
		line++
		text := sc.Text()
		if i := strings.IndexByte(text, ';'); i >= 0 {
			text = text[:i]
		}
		blankOwner := len(text) > 0 && (text[0] == ' ' || text[0] == '\t')
		if len(pending) == 0 {
			start = line
			if blankOwner {
				pending = append(pending, "")
			}
		}
		for _, f := range strings.Fields(text) {
			for f != "" {
				switch {
				case f[0] == '(':
					depth++
					f = f[1:]
				case f[len(f)-1] == ')':
					pending = appendField(pending, f[:len(f)-1])
					depth--
					f = ""
				default:
					pending = appendField(pending, f)
					f = ""
				}
			}
		}
		if depth < 0 {
			return p, errs.E(errs.Malformed, "line %d: unbalanced parenthesis", line)
		}
		if depth > 0 || len(pending) == 0 || len(pending) == 1 && pending[0] == "" {
			if depth == 0 {
				pending = nil
			}
			continue
		}
		fields := pending
		pending = nil
		if err := p.record(fields, &prevOwner); err != nil {
			return p, errs.E(errs.Malformed, "line %d: %s", start, err)
		}
		if len(p.Records) > MaxZoneRecords {
			return p, errs.E(errs.TooLarge, "more than %d records", MaxZoneRecords)
		}
	}
	if err := sc.Err(); err != nil {
		return p, errs.E(errs.Malformed, "line %d: %v", line+1, err)
	}
	if depth != 0 {
		return p, errs.E(errs.Malformed, "line %d: unclosed parenthesis", start)
	}
	return p, nil
}

func appendField(fs []string, f string) []string {
	if f == "" {
		return fs
	}
	return append(fs, f)
}

var rrTypes = map[string]bool{"SOA": true, "NS": true, "A": true, "AAAA": true, "CNAME": true, "TXT": true, "MX": true,
	"PTR": true, "SRV": true, "DNAME": true, "HINFO": true, "CAA": true, "SVCB": true, "HTTPS": true}

func (p *Parsed) record(fs []string, prevOwner *string) error {
	switch strings.ToUpper(fs[0]) {
	case "$ORIGIN":
		if len(fs) < 2 || !CheckName(fs[1]) && fs[1] != "." {
			return fmt.Errorf("$ORIGIN needs a domain name")
		}
		p.Origin = Fqdn(fs[1])
		return nil
	case "$TTL":
		if len(fs) < 2 {
			return fmt.Errorf("$TTL needs a value")
		}
		if !isTTL(fs[1]) {
			return fmt.Errorf("$TTL %q is not a number of seconds", fs[1])
		}
		return nil
	case "$INCLUDE", "$GENERATE":
		return fmt.Errorf("%s is not accepted", fs[0])
	}
	owner := fs[0]
	if owner == "" {
		if *prevOwner == "" {
			return fmt.Errorf("a record without an owner comes first")
		}
		owner = *prevOwner
	}
	*prevOwner = owner
	rest := fs[1:]
	// [TTL] [class] type rdata, TTL and class in either order.
	for len(rest) > 0 {
		u := strings.ToUpper(rest[0])
		if u == "IN" || u == "CH" || u == "HS" {
			rest = rest[1:]
			continue
		}
		if isTTL(rest[0]) {
			rest = rest[1:]
			continue
		}
		break
	}
	if len(rest) == 0 {
		return fmt.Errorf("record %q has no type", owner)
	}
	typ := strings.ToUpper(rest[0])
	if !rrTypes[typ] && !strings.HasPrefix(typ, "TYPE") {
		return fmt.Errorf("unknown record type %q", rest[0])
	}
	rel, ok := p.relative(owner)
	if !ok {
		return fmt.Errorf("owner %q is outside the zone %s", owner, p.Origin)
	}
	if rel == "" || typ != "CNAME" {
		p.Skipped += boolInt(rel != "")
		return nil
	}
	if len(rest) != 2 {
		return fmt.Errorf("CNAME of %q needs one target", owner)
	}
	trigger := strings.TrimPrefix(rel, "*.")
	if strings.HasSuffix(trigger, ".rpz-ip") || strings.HasSuffix(trigger, ".rpz-nsip") || strings.HasSuffix(trigger, ".rpz-nsdname") ||
		strings.HasSuffix(trigger, ".rpz-client-ip") || strings.HasPrefix(trigger, "rpz-") {
		p.Skipped++
		return nil
	}
	if !CheckName(trigger) || len(rel) > 253 {
		return fmt.Errorf("%q is not a valid trigger name", rel)
	}
	target := strings.ToLower(rest[1])
	if strings.HasPrefix(target, "rpz-") && target != "rpz-passthru." {
		p.Skipped++ // rpz-drop., rpz-tcp-only.: actions kyojo does not serve
		return nil
	}
	if target != "." && target != "*." && !strings.HasSuffix(target, ".") {
		target += "." + p.Origin
	}
	if target != "." && target != "*." && !CheckName(strings.TrimPrefix(target, "*.")) {
		return fmt.Errorf("CNAME target %q is not a domain name", rest[1])
	}
	p.Records = append(p.Records, Record{Owner: rel, Target: target})
	return nil
}

// relative returns owner relative to the origin ("" for the apex).
func (p *Parsed) relative(owner string) (string, bool) {
	o := strings.ToLower(owner)
	if o == "@" {
		return "", p.Origin != ""
	}
	if !strings.HasSuffix(o, ".") {
		return o, p.Origin != ""
	}
	if o == p.Origin {
		return "", true
	}
	if p.Origin == "." {
		return strings.TrimSuffix(o, "."), true
	}
	if r, ok := strings.CutSuffix(o, "."+p.Origin); ok {
		return r, true
	}
	return "", false
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// isTTL reports whether s is a TTL: seconds, or BIND's units (1h30m, 2d).
func isTTL(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	if _, err := strconv.ParseUint(s, 10, 32); err == nil {
		return true
	}
	digits := 0
	for _, c := range strings.ToLower(s) {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case strings.ContainsRune("smhdw", c) && digits > 0:
			digits = 0
		default:
			return false
		}
	}
	return digits == 0
}
