package pattern

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"
)

// This file evaluates comparison expressions against the objects of one
// observation.
//
// Semantics, following STIX 2.1 section 9.7 and 9.8:
//   - A comparison is true on an object when the object's "type" equals the
//     path's object type and some value the path resolves to satisfies the
//     test. [*] resolves to every element of a list, [n] to one element.
//   - A property whose name ends in _ref or _refs holds references; a path
//     that continues past it follows the reference to the object with that
//     key in Observation.Objects (from_ref.value, resolves_to_refs[*].value).
//   - NOT (and !=) negate the test on each value: `a NOT = 1` is true when
//     some value of a is comparable with 1 and not equal to it. A path that
//     resolves to nothing, or to values of an incomparable type, makes every
//     comparison but NOT EXISTS false.
//   - Strings compare with strings (byte-wise, which is code point order),
//     numbers with numbers (integers and floats mix), booleans with
//     booleans for = and != only. A timestamp constant compares with a
//     string property holding an RFC 3339 timestamp. Binary and hex
//     constants compare with a string property holding base64 (binary) or
//     hex (either), byte-wise.
//   - LIKE and MATCHES apply to string properties. MATCHES uses Go's regexp
//     (RE2 syntax, unanchored search); its run time is linear in the input,
//     so no regular expression can cause catastrophic backtracking.
//   - ISSUBSET is true when the property (an IP address or CIDR block) lies
//     inside the constant block; ISSUPERSET when it contains the constant.
//   - Dictionary keys are matched exactly, except that keys of "hashes" also
//     match case-insensitively (hashes.md5 finds "MD5").

// ref is a value reached by a path; isRef marks reference strings.
type ref struct {
	v     any
	isRef bool
}

// evalComp reports whether c holds on obj, an object of o.
func evalComp(c CompExpr, obj map[string]any, o *Observation, typ string) bool {
	switch c := c.(type) {
	case *CompBinary:
		for _, t := range c.Terms {
			r := evalComp(t, obj, o, typ)
			if c.Op == And && !r {
				return false
			}
			if c.Op == Or && r {
				return true
			}
		}
		return c.Op == And
	case *Comparison:
		if c.Path.Type != typ {
			return false
		}
		vals := resolve(c.Path, obj, o)
		if c.Op == OpExists {
			return (len(vals) > 0) != c.Negated
		}
		for _, v := range vals {
			if r, ok := test(c, v); ok && r != c.Negated {
				return true
			}
		}
	}
	return false
}

// resolve returns the values path reaches from obj.
func resolve(path Path, obj map[string]any, o *Observation) []ref {
	cur := []ref{{v: obj}}
	var next []ref
	parent := ""
	for _, s := range path.Steps {
		next = next[:0:0]
		for _, r := range cur {
			v := r.v
			if s.IsIndex {
				list, ok := v.([]any)
				if !ok {
					continue
				}
				if s.Index == AnyIndex {
					for _, e := range list {
						next = append(next, ref{e, r.isRef})
					}
				} else if s.Index < len(list) {
					next = append(next, ref{list[s.Index], r.isRef})
				}
				continue
			}
			if id, ok := v.(string); ok && r.isRef {
				v = o.Objects[id]
			}
			m, ok := v.(map[string]any)
			if !ok {
				continue
			}
			e, ok := m[s.Key]
			if !ok && parent == "hashes" {
				for k, x := range m {
					if strings.EqualFold(k, s.Key) {
						e, ok = x, true
						break
					}
				}
			}
			if ok && e != nil {
				next = append(next, ref{e, strings.HasSuffix(s.Key, "_ref") || strings.HasSuffix(s.Key, "_refs")})
			}
		}
		cur = next
		if !s.IsIndex {
			parent = s.Key
		}
	}
	return cur
}

// test applies c's operator (without NOT) to one value. ok is false when
// the value cannot be compared with the constant.
func test(c *Comparison, r ref) (result, ok bool) {
	switch c.Op {
	case OpIn:
		seen := false
		for _, want := range c.Set {
			if d, ok := compare(want, r.v); ok {
				seen = true
				if d == 0 {
					return true, true
				}
			}
		}
		return false, seen
	case OpLike, OpMatches:
		s, ok := r.v.(string)
		if !ok || c.re == nil {
			return false, false
		}
		return c.re.MatchString(s), true
	case OpIsSubset, OpIsSuperset:
		s, ok := r.v.(string)
		if !ok {
			return false, false
		}
		have, ok1 := parsePrefix(s)
		want := c.pfx
		if !ok1 || !want.IsValid() {
			return false, false
		}
		if c.Op == OpIsSubset {
			return want.Bits() <= have.Bits() && want.Contains(have.Addr()), true
		}
		return have.Bits() <= want.Bits() && have.Contains(want.Addr()), true
	}
	d, ok := compare(c.Value, r.v)
	if !ok {
		return false, false
	}
	if c.Value.Kind == KindBool && c.Op != OpEq && c.Op != OpNeq {
		return false, false
	}
	switch c.Op {
	case OpEq:
		return d == 0, true
	case OpNeq:
		return d != 0, true
	case OpGt:
		return d > 0, true
	case OpLt:
		return d < 0, true
	case OpGe:
		return d >= 0, true
	case OpLe:
		return d <= 0, true
	}
	return false, false
}

// compare orders a property value v against constant want: negative when v
// is less. ok is false when the two are not comparable.
func compare(want Value, v any) (int, bool) {
	switch want.Kind {
	case KindString:
		s, ok := v.(string)
		return strings.Compare(s, want.Str), ok
	case KindBool:
		b, ok := v.(bool)
		if !ok {
			return 0, false
		}
		if b == want.Bool {
			return 0, true
		}
		return 1, true
	case KindTimestamp:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, false
		}
		return t.Compare(want.Time), true
	case KindBinary, KindHex:
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		var b []byte
		var err error
		if want.Kind == KindBinary {
			b, err = base64.StdEncoding.DecodeString(s)
		}
		if want.Kind == KindHex || err != nil {
			b, err = hex.DecodeString(s)
		}
		if err != nil {
			return 0, false
		}
		return bytes.Compare(b, want.Bytes), true
	case KindInt, KindFloat:
		return compareNumber(want, v)
	}
	return 0, false
}

func compareNumber(want Value, v any) (int, bool) {
	var f float64
	switch n := v.(type) {
	case float64:
		f = n
	case float32:
		f = float64(n)
	case int:
		return compareInt(want, int64(n))
	case int64:
		return compareInt(want, n)
	case int32:
		return compareInt(want, int64(n))
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return compareInt(want, i)
		}
		x, err := n.Float64()
		if err != nil {
			return 0, false
		}
		f = x
	default:
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	w := want.Float
	if want.Kind == KindInt {
		w = float64(want.Int)
	}
	return cmp.Compare(f, w), true
}

func compareInt(want Value, i int64) (int, bool) {
	if want.Kind == KindInt {
		return cmp.Compare(i, want.Int), true
	}
	return cmp.Compare(float64(i), want.Float), true
}
