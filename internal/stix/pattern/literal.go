package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"net/netip"
	"regexp"
	"regexp/syntax"
	"strconv"
	"strings"
	"time"
)

// parseOperand reads the constant(s) after operator c.Op and checks them.
func (p *parser) parseOperand(c *Comparison, opPos int) error {
	t := p.tok
	switch c.Op {
	case OpIn:
		if t.kind != tLParen {
			return p.errf(t.pos, "expected '(' after IN, found %s", t.describe())
		}
		if err := p.advance(); err != nil {
			return err
		}
		c.Set = []Value{}
		for p.tok.kind != tRParen {
			if len(c.Set) > 0 {
				if p.tok.kind != tComma {
					return p.errf(p.tok.pos, "expected ',' or ')' in IN list, found %s", p.tok.describe())
				}
				if err := p.advance(); err != nil {
					return err
				}
			}
			v, err := p.literal()
			if err != nil {
				return err
			}
			c.Set = append(c.Set, v)
		}
		return p.advance()
	case OpLike, OpMatches, OpIsSubset, OpIsSuperset:
		if t.kind != tString {
			return p.errf(t.pos, "%s needs a string constant, found %s", c.Op, t.describe())
		}
		c.Value = Value{Kind: KindString, Str: t.val}
		switch c.Op {
		case OpMatches:
			re, err := compileRegexp(t.val)
			if err != nil {
				return p.errf(t.pos, "invalid regular expression after MATCHES: %v", err)
			}
			c.re = re
		case OpLike:
			re, err := likeRegexp(t.val)
			if err != nil {
				return p.errf(t.pos, "invalid LIKE pattern: %v", err)
			}
			c.re = re
		default:
			pfx, ok := parsePrefix(t.val)
			if !ok {
				return p.errf(t.pos, "%s needs an IP address or CIDR block, found %s", c.Op, t.describe())
			}
			c.pfx = pfx
		}
		return p.advance()
	}
	v, err := p.literal()
	if err != nil {
		return err
	}
	if c.Op != OpEq && c.Op != OpNeq && v.Kind == KindBool {
		return p.errf(t.pos, "%s cannot compare a boolean", c.Op)
	}
	c.Value = v
	return nil
}

// literal reads one constant and advances past it.
func (p *parser) literal() (Value, error) {
	t := p.tok
	var v Value
	switch t.kind {
	case tString:
		v = Value{Kind: KindString, Str: t.val}
	case tInt:
		n, err := parseInt(t.text)
		if err != nil {
			return v, p.errf(t.pos, "integer %s out of range", t.text)
		}
		v = Value{Kind: KindInt, Int: n}
	case tFloat:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) {
			return v, p.errf(t.pos, "number %s out of range", t.describe())
		}
		v = Value{Kind: KindFloat, Float: f}
	case tTimestamp:
		ts, err := parseTimestamp(t.val)
		if err != "" {
			return v, p.errf(t.pos, "invalid timestamp %s: %s", t.describe(), err)
		}
		v = Value{Kind: KindTimestamp, Str: t.val, Time: ts}
	case tBinary:
		b, ok := decodeBase64(t.val)
		if !ok {
			return v, p.errf(t.pos, "invalid base64 in binary constant %s", t.describe())
		}
		v = Value{Kind: KindBinary, Bytes: b}
	case tHex:
		b, err := hex.DecodeString(t.val)
		if err != nil {
			return v, p.errf(t.pos, "invalid hex constant %s", t.describe())
		}
		v = Value{Kind: KindHex, Bytes: b}
	case tIdent:
		switch t.text {
		case "true", "false":
			v = Value{Kind: KindBool, Bool: t.text == "true"}
		default:
			return v, p.errf(t.pos, "expected a constant, found %s", t.describe())
		}
	default:
		return v, p.errf(t.pos, "expected a constant, found %s", t.describe())
	}
	return v, p.advance()
}

func parseInt(s string) (int64, error) { return strconv.ParseInt(s, 10, 64) }

func decodeBase64(s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '\r' || s[i] == '\n' {
			return nil, false
		}
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// parseTimestamp accepts exactly YYYY-MM-DDTHH:MM:SS[.fraction]Z, the RFC
// 3339 UTC form STIX requires. A leap second (:60) is read as the first
// instant of the next minute. It returns the reason on failure.
func parseTimestamp(s string) (time.Time, string) {
	const form = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(form)+1 || s[len(s)-1] != 'Z' {
		return time.Time{}, "want RFC 3339 in UTC, YYYY-MM-DDTHH:MM:SS[.s]Z"
	}
	for i := 0; i < len(form); i++ {
		c := s[i]
		if form[i] == 'd' && (c < '0' || c > '9') || form[i] != 'd' && c != form[i] {
			return time.Time{}, "want RFC 3339 in UTC, YYYY-MM-DDTHH:MM:SS[.s]Z"
		}
	}
	frac := s[len(form) : len(s)-1]
	if frac != "" {
		if len(frac) < 2 || frac[0] != '.' || strings.Trim(frac[1:], "0123456789") != "" {
			return time.Time{}, "bad fractional seconds"
		}
	}
	norm := s
	leap := s[17:19] == "60"
	if leap {
		norm = s[:17] + "59" + s[19:]
	}
	ts, err := time.Parse(time.RFC3339Nano, norm)
	if err != nil {
		return time.Time{}, "no such date or time"
	}
	if leap {
		ts = ts.Add(time.Second)
	}
	return ts.UTC(), ""
}

// parsePrefix reads an IP address (as a full-length prefix) or a CIDR block.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.IndexByte(s, '/') >= 0 {
		pf, err := netip.ParsePrefix(s)
		if err != nil || pf.Addr().Zone() != "" {
			return netip.Prefix{}, false
		}
		return pf.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// likeRegexp translates a LIKE pattern: % is any run of characters, _ is
// exactly one character, everything else is literal.
func likeRegexp(s string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	lit := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '%' || s[i] == '_' {
			b.WriteString(regexp.QuoteMeta(s[lit:i]))
			if s[i] == '%' {
				b.WriteString(".*")
			} else {
				b.WriteString(".")
			}
			lit = i + 1
		}
	}
	b.WriteString(regexp.QuoteMeta(s[lit:]))
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}

// parseQualifier reads one WITHIN, REPEATS or START … STOP qualifier.
func (p *parser) parseQualifier(e ObsExpr) (*Qualified, error) {
	kw := p.tok.text
	if err := p.advance(); err != nil {
		return nil, err
	}
	q := &Qualified{Expr: e}
	t := p.tok
	switch kw {
	case "WITHIN":
		q.Kind = Within
		if (t.kind != tInt && t.kind != tFloat) || t.text[0] == '-' {
			return nil, p.errf(t.pos, "WITHIN needs a positive number of seconds, found %s", t.describe())
		}
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil || math.IsInf(f, 0) || f <= 0 {
			return nil, p.errf(t.pos, "WITHIN needs a positive number of seconds, found %s", t.describe())
		}
		q.Seconds = f
		if err := p.expectKeyword("SECONDS", "after WITHIN "+t.text); err != nil {
			return nil, err
		}
	case "REPEATS":
		q.Kind = Repeats
		n, err := parseInt(t.text)
		if t.kind != tInt || err != nil || n <= 0 {
			return nil, p.errf(t.pos, "REPEATS needs a positive integer, found %s", t.describe())
		}
		q.Times = n
		if err := p.expectKeyword("TIMES", "after REPEATS "+t.text); err != nil {
			return nil, err
		}
	default:
		q.Kind = StartStop
		if t.kind != tTimestamp {
			return nil, p.errf(t.pos, "START needs a timestamp t'...', found %s", t.describe())
		}
		start, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !p.is("STOP") {
			return nil, p.errf(p.tok.pos, "expected STOP after START %s, found %s", t.text, p.tok.describe())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		st := p.tok
		if st.kind != tTimestamp {
			return nil, p.errf(st.pos, "STOP needs a timestamp t'...', found %s", st.describe())
		}
		stop, err := p.literal()
		if err != nil {
			return nil, err
		}
		if !start.Time.Before(stop.Time) {
			return nil, p.errf(st.pos, "STOP %s must be later than START %s", st.text, t.text)
		}
		q.Start, q.Stop = start, stop
		return q, nil
	}
	return q, nil
}

// expectKeyword checks that the token after the current one is kw and
// advances past it.
func (p *parser) expectKeyword(kw, after string) error {
	if err := p.advance(); err != nil {
		return err
	}
	if !p.is(kw) {
		return p.errf(p.tok.pos, "expected %s %s, found %s", kw, after, p.tok.describe())
	}
	return p.advance()
}

// maxRegexpCost bounds the expanded size of a MATCHES expression, counted
// in literal characters and character-class ranges after repetitions are
// unrolled. Without it a short expression such as `\pL{1000}` repeated a
// few thousand times takes seconds to compile.
const maxRegexpCost = 100_000

// compileRegexp compiles a MATCHES expression after checking its cost.
func compileRegexp(s string) (*regexp.Regexp, error) {
	tree, err := syntax.Parse(s, syntax.Perl)
	if err != nil {
		return nil, err
	}
	if c := regexpCost(tree); c > maxRegexpCost {
		return nil, errors.New("expression too large once repetitions are expanded")
	}
	return regexp.Compile(s)
}

// regexpCost estimates the size of re's compiled program, saturating
// above maxRegexpCost.
func regexpCost(re *syntax.Regexp) int {
	var c int
	switch re.Op {
	case syntax.OpCharClass:
		c = len(re.Rune)/2 + 1
	case syntax.OpLiteral:
		c = len(re.Rune) + 1
	case syntax.OpRepeat:
		n := max(re.Max, re.Min, 1)
		c = n * min(regexpCost(re.Sub[0]), maxRegexpCost+1)
	default:
		c = 1
		for _, sub := range re.Sub {
			c += regexpCost(sub)
			if c > maxRegexpCost {
				break
			}
		}
	}
	return min(c, maxRegexpCost+1)
}
