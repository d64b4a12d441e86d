package convert

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// cmp is one comparison of a pattern: obj:prop = val (string, int64 or float64).
type cmp struct {
	obj, prop string
	val       any
}

// scoSpec describes an SCO before it has an id: refs point at other specs
// of the same observation by index (a list for names ending in _refs).
type scoSpec struct {
	typ   string
	props map[string]any
	refs  map[string][]int
}

// obsv is what one MISP attribute describes.
type obsv struct {
	comps []cmp
	scos  []scoSpec
	raw   string // a whole STIX pattern (MISP type stix2-pattern) instead of comps
}

func (o obsv) pattern() string {
	if o.raw != "" {
		return o.raw
	}
	return patternOf(o.comps)
}

func sco(typ string, kv ...any) scoSpec {
	s := scoSpec{typ: typ, props: map[string]any{}}
	for i := 0; i+1 < len(kv); i += 2 {
		s.props[kv[i].(string)] = kv[i+1]
	}
	return s
}

func (s scoSpec) ref(name string, idx ...int) scoSpec {
	if s.refs == nil {
		s.refs = map[string][]int{}
	}
	s.refs[name] = append(s.refs[name], idx...)
	return s
}

var hashNames = map[string]string{
	"md5": "MD5", "sha1": "SHA-1", "sha224": "SHA-224", "sha256": "SHA-256", "sha384": "SHA-384", "sha512": "SHA-512",
	"sha3-224": "SHA3-224", "sha3-256": "SHA3-256", "sha3-384": "SHA3-384", "sha3-512": "SHA3-512", "ssdeep": "SSDEEP", "tlsh": "TLSH",
}

var hexLen = map[string]int{"MD5": 32, "SHA-1": 40, "SHA-224": 56, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128,
	"SHA3-224": 56, "SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128}

func bad(format string, args ...any) error { return errs.F(errs.Invalid, "value", format, args...) }

func checkHash(algo, v string) (string, error) {
	v = strings.TrimSpace(v)
	if n := hexLen[algo]; n > 0 {
		if len(v) != n || !isHex(v) {
			return "", bad("invalid %s digest", algo)
		}
		return strings.ToLower(v), nil
	}
	if v == "" || strings.ContainsAny(v, "\r\n") {
		return "", bad("invalid %s digest", algo)
	}
	return v, nil
}

func ipObs(v string) (string, string, error) {
	k, n, err := Normalize(KindCIDR, v, false)
	if err != nil {
		return "", "", bad("invalid IP address or CIDR block")
	}
	if strings.Contains(n, ":") || k == KindIPv6 {
		return "ipv6-addr", n, nil
	}
	return "ipv4-addr", n, nil
}

func port(s string) (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 32)
	if err != nil || n < 0 || n > 65535 {
		return 0, bad("invalid port")
	}
	return n, nil
}

func split2(v string) (string, string, error) {
	a, b, ok := strings.Cut(v, "|")
	if !ok {
		return "", "", bad("composite value without '|'")
	}
	return strings.TrimSpace(a), strings.TrimSpace(b), nil
}

func plainString(v string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", bad("empty value")
	}
	return v, nil
}

// mapAttr maps one attribute type and value (see the table above).
func mapAttr(typ, v string) (obsv, error) {
	if algo, ok := hashNames[typ]; ok {
		h, err := checkHash(algo, v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"file", "hashes." + quote(algo), h}}, scos: []scoSpec{sco("file", "hashes", map[string]string{algo: h})}}, nil
	}
	if strings.HasPrefix(typ, "filename|") || typ == "malware-sample" {
		algo := hashNames[strings.TrimPrefix(typ, "filename|")]
		if typ == "malware-sample" {
			algo = "MD5"
		}
		if algo == "" {
			return obsv{}, errs.F(errs.Invalid, "type", "unsupported MISP attribute type")
		}
		name, h, err := split2(v)
		if err != nil {
			return obsv{}, err
		}
		if h, err = checkHash(algo, h); err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"file", "name", name}, {"file", "hashes." + quote(algo), h}}, scos: []scoSpec{sco("file", "name", name, "hashes", map[string]string{algo: h})}}, nil
	}
	switch typ {
	case "ip-src", "ip-dst":
		t, n, err := ipObs(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{t, "value", n}}, scos: []scoSpec{sco(t, "value", n)}}, nil
	case "ip-src|port", "ip-dst|port":
		side := "dst"
		if typ == "ip-src|port" {
			side = "src"
		}
		a, p, err := split2(v)
		if err != nil {
			return obsv{}, err
		}
		t, n, err := ipObs(a)
		if err != nil {
			return obsv{}, err
		}
		pn, err := port(p)
		if err != nil {
			return obsv{}, err
		}
		proto := strings.TrimSuffix(t, "-addr")
		return obsv{comps: []cmp{{"network-traffic", side + "_ref.type", t}, {"network-traffic", side + "_ref.value", n}, {"network-traffic", side + "_port", pn}}, scos: []scoSpec{sco("network-traffic", "protocols", []string{proto}, side+"_port", pn).ref(side+"_ref", 1), sco(t, "value", n)}}, nil
	case "domain", "hostname":
		d, ok := normDomain(v)
		if !ok {
			return obsv{}, bad("invalid domain name")
		}
		return obsv{comps: []cmp{{"domain-name", "value", d}}, scos: []scoSpec{sco("domain-name", "value", d)}}, nil
	case "domain|ip":
		a, b, err := split2(v)
		if err != nil {
			return obsv{}, err
		}
		d, ok := normDomain(a)
		if !ok {
			return obsv{}, bad("invalid domain name")
		}
		t, n, err := ipObs(b)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"domain-name", "value", d}, {"domain-name", "resolves_to_refs[*].value", n}}, scos: []scoSpec{sco("domain-name", "value", d).ref("resolves_to_refs", 1), sco(t, "value", n)}}, nil
	case "hostname|port":
		a, p, err := split2(v)
		if err != nil {
			return obsv{}, err
		}
		d, ok := normDomain(a)
		if !ok {
			return obsv{}, bad("invalid domain name")
		}
		pn, err := port(p)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"network-traffic", "dst_ref.type", "domain-name"}, {"network-traffic", "dst_ref.value", d}, {"network-traffic", "dst_port", pn}}, scos: []scoSpec{sco("network-traffic", "protocols", []string{"tcp"}, "dst_port", pn).ref("dst_ref", 1), sco("domain-name", "value", d)}}, nil
	case "url", "uri", "link":
		u, ok := normURL(strings.TrimSpace(v))
		if !ok {
			var err error
			if u, err = plainString(v); err != nil {
				return obsv{}, err
			}
		}
		return obsv{comps: []cmp{{"url", "value", u}}, scos: []scoSpec{sco("url", "value", u)}}, nil
	case "filename", "attachment":
		n, err := plainString(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"file", "name", n}}, scos: []scoSpec{sco("file", "name", n)}}, nil
	case "email", "email-addr", "email-src", "email-dst":
		e, ok := normEmail(strings.TrimSpace(v))
		if !ok {
			return obsv{}, bad("invalid e-mail address")
		}
		switch typ {
		case "email-src":
			return obsv{comps: []cmp{{"email-message", "from_ref.value", e}}, scos: []scoSpec{sco("email-message", "is_multipart", false).ref("from_ref", 1), sco("email-addr", "value", e)}}, nil
		case "email-dst":
			return obsv{comps: []cmp{{"email-message", "to_refs[*].value", e}}, scos: []scoSpec{sco("email-message", "is_multipart", false).ref("to_refs", 1), sco("email-addr", "value", e)}}, nil
		}
		return obsv{comps: []cmp{{"email-addr", "value", e}}, scos: []scoSpec{sco("email-addr", "value", e)}}, nil
	case "email-subject":
		s, err := plainString(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"email-message", "subject", s}}, scos: []scoSpec{sco("email-message", "is_multipart", false, "subject", s)}}, nil
	case "ja3-fingerprint-md5":
		h, err := checkHash("MD5", v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"network-traffic", "x_ja3_fingerprint_md5", h}}, scos: []scoSpec{sco("network-traffic", "protocols", []string{"tcp", "tls"}, "x_ja3_fingerprint_md5", h)}}, nil
	case "AS":
		s := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(v)), "AS")
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 || n > 1<<32-1 {
			return obsv{}, bad("invalid AS number")
		}
		return obsv{comps: []cmp{{"autonomous-system", "number", n}}, scos: []scoSpec{sco("autonomous-system", "number", n)}}, nil
	case "mac-address":
		m := strings.ToLower(strings.TrimSpace(v))
		if len(m) != 17 {
			return obsv{}, bad("invalid MAC address")
		}
		return obsv{comps: []cmp{{"mac-addr", "value", m}}, scos: []scoSpec{sco("mac-addr", "value", m)}}, nil
	case "regkey":
		k, err := plainString(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"windows-registry-key", "key", k}}, scos: []scoSpec{sco("windows-registry-key", "key", k)}}, nil
	case "regkey|value":
		k, d, err := split2(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"windows-registry-key", "key", k}, {"windows-registry-key", "values[*].data", d}}, scos: []scoSpec{sco("windows-registry-key", "key", k, "values", []map[string]string{{"data": d}})}}, nil
	case "mutex":
		m, err := plainString(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"mutex", "name", m}}, scos: []scoSpec{sco("mutex", "name", m)}}, nil
	case "x509-fingerprint-md5", "x509-fingerprint-sha1", "x509-fingerprint-sha256":
		algo := hashNames[strings.TrimPrefix(typ, "x509-fingerprint-")]
		h, err := checkHash(algo, v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"x509-certificate", "hashes." + quote(algo), h}}, scos: []scoSpec{sco("x509-certificate", "hashes", map[string]string{algo: h})}}, nil
	case "user-agent":
		s, err := plainString(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"network-traffic", "extensions.'http-request-ext'.request_header.'User-Agent'", s}}}, nil
	case "port":
		p, err := port(v)
		if err != nil {
			return obsv{}, err
		}
		return obsv{comps: []cmp{{"network-traffic", "dst_port", p}}}, nil
	}
	return obsv{}, errs.F(errs.Invalid, "type", "unsupported MISP attribute type")
}

// patternOf joins comparisons: one bracket per SCO type, in order of first
// appearance, comparisons within a bracket and brackets joined with AND.
func patternOf(cs []cmp) string {
	var order []string
	by := map[string][]string{}
	for _, c := range cs {
		if _, ok := by[c.obj]; !ok {
			order = append(order, c.obj)
		}
		by[c.obj] = append(by[c.obj], c.obj+":"+c.prop+" = "+literal(c.val))
	}
	var b strings.Builder
	for i, o := range order {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString("[" + strings.Join(by[o], " AND ") + "]")
	}
	return b.String()
}

func literal(v any) string {
	switch v := v.(type) {
	case string:
		return quote(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return quote(fmt.Sprint(v))
}
