// Package pattern owns the STIX 2.1 Patterning language (OASIS STIX 2.1,
// section 9): a hand-written lexer and recursive-descent parser that turns a
// pattern string into an immutable syntax tree, a canonical printer, an
// evaluator that decides whether a set of observations matches a pattern, and
// a reduction of simple patterns to indexable observables.
//
// The package is pure: it does no I/O, keeps no package-level mutable state
// and uses only the standard library. A *Pattern is immutable after Parse and
// safe for concurrent use.
//
// Parse errors are *ParseError values that carry the byte offset and the
// reason; they unwrap to an *errs.Error with Field "pattern" and Code
// errs.Invalid (errs.TooLarge for input over MaxLen), so
// errs.Is(err, errs.Invalid) holds for every malformed pattern.
//
// Where this package reads the specification a particular way, or departs
// from it, it says so here:
//   - Keywords (AND, OR, NOT, FOLLOWEDBY, WITHIN, …) and true/false are
//     case-sensitive, as in the specification's grammar; = and ==, != and <>
//     are synonyms, and /* */ and // comments are skipped.
//   - Comparisons joined by AND inside one pair of brackets must all refer to
//     one object type, counting every comparison below the AND, so
//     `[(a:x = 1 OR b:y = 2) AND a:z = 3]` is rejected; comparisons of
//     different types may be joined by OR.
//   - `NOT EXISTS path` is accepted in addition to `EXISTS path`.
//   - List indexes must be non-negative integers or `*`.
//   - START and STOP take timestamp constants t'…' only (the STIX 2.0 plain
//     string form is rejected) and STOP must be strictly later than START.
//     A leap second (:60) is read as the next minute's first instant.
//   - MATCHES uses Go's regexp (RE2 syntax). PCRE-only constructs such as
//     look-around and back-references are rejected as invalid regular
//     expressions. Because RE2 runs in time linear in its input, no pattern
//     can cause catastrophic backtracking.
//
// Match documents the evaluation semantics and its simplifications.
package pattern

import (
	"encoding/base64"
	"encoding/hex"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Pattern is a parsed STIX pattern. Get one from Parse; the zero value is not
// a valid pattern. Root is the observation expression tree.
type Pattern struct {
	Root ObsExpr
}

// String returns the canonical text of the pattern: single spaces, keywords
// in upper case, redundant parentheses dropped, quoted keys only where a key
// is not a plain identifier. Parse(p.String()) yields an equal tree.
func (p *Pattern) String() string {
	var b strings.Builder
	p.Root.write(&b)
	return b.String()
}

// ObsExpr is a node of the observation expression tree: *Bracket,
// *ObsBinary or *Qualified.
type ObsExpr interface {
	write(b *strings.Builder)
	obsPrec() int
}

// ObsOp is an observation operator.
type ObsOp uint8

// The observation operators, in decreasing precedence: AND binds tighter
// than OR, which binds tighter than FOLLOWEDBY.
const (
	ObsAnd ObsOp = iota + 1
	ObsOr
	ObsFollowedBy
)

// String returns the operator's keyword.
func (o ObsOp) String() string {
	switch o {
	case ObsAnd:
		return "AND"
	case ObsOr:
		return "OR"
	case ObsFollowedBy:
		return "FOLLOWEDBY"
	}
	return "?"
}

// Bracket is one observation expression, `[ comparison ]`, matched against a
// single observation.
type Bracket struct {
	Comp CompExpr
}

// ObsBinary joins two or more observation expressions with one operator.
// Explicit parentheses in the source give nested nodes; a chain of the same
// operator gives one node with many terms.
type ObsBinary struct {
	Op    ObsOp
	Terms []ObsExpr // at least two
}

// QualKind names a qualifier.
type QualKind uint8

// The qualifiers.
const (
	Within QualKind = iota + 1
	Repeats
	StartStop
)

// Qualified applies one qualifier to an observation expression. Chained
// qualifiers nest: the innermost is the one written first.
type Qualified struct {
	Expr    ObsExpr
	Kind    QualKind
	Seconds float64 // WITHIN: positive
	Times   int64   // REPEATS: positive
	Start   Value   // START: a timestamp
	Stop    Value   // STOP: a timestamp later than Start
}

func (*Bracket) obsPrec() int   { return 9 }
func (*Qualified) obsPrec() int { return 8 }
func (e *ObsBinary) obsPrec() int {
	return 4 - int(e.Op) // AND 3, OR 2, FOLLOWEDBY 1
}

func (e *Bracket) write(b *strings.Builder) {
	b.WriteByte('[')
	e.Comp.write(b)
	b.WriteByte(']')
}

func (e *ObsBinary) write(b *strings.Builder) {
	for i, t := range e.Terms {
		if i > 0 {
			b.WriteByte(' ')
			b.WriteString(e.Op.String())
			b.WriteByte(' ')
		}
		writeObsChild(b, t, e.obsPrec())
	}
}

func writeObsChild(b *strings.Builder, t ObsExpr, parent int) {
	if t.obsPrec() <= parent {
		b.WriteByte('(')
		t.write(b)
		b.WriteByte(')')
		return
	}
	t.write(b)
}

func (e *Qualified) write(b *strings.Builder) {
	writeObsChild(b, e.Expr, 7)
	switch e.Kind {
	case Within:
		b.WriteString(" WITHIN ")
		b.WriteString(formatSeconds(e.Seconds))
		b.WriteString(" SECONDS")
	case Repeats:
		b.WriteString(" REPEATS ")
		b.WriteString(strconv.FormatInt(e.Times, 10))
		b.WriteString(" TIMES")
	case StartStop:
		b.WriteString(" START ")
		e.Start.write(b)
		b.WriteString(" STOP ")
		e.Stop.write(b)
	}
}

func formatSeconds(f float64) string {
	if f == float64(int64(f)) && f < 1e15 {
		return strconv.FormatInt(int64(f), 10)
	}
	return formatFloat(f)
}

func formatFloat(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.Contains(s, ".") {
		s += ".0"
	}
	return s
}

// Kind is the type of a constant.
type Kind uint8

// The constant kinds.
const (
	KindString Kind = iota + 1
	KindInt
	KindFloat
	KindBool
	KindTimestamp
	KindBinary
	KindHex
)

// Value is a constant in a pattern. Only the fields for its Kind are set:
// Str for strings (decoded, without escapes) and for timestamps (the text
// between the quotes), Int, Float, Bool, Time (UTC) and Bytes (binary and hex).
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Float float64
	Bool  bool
	Time  time.Time
	Bytes []byte
}

func (v Value) write(b *strings.Builder) {
	switch v.Kind {
	case KindString:
		writeQuoted(b, v.Str)
	case KindInt:
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindFloat:
		b.WriteString(formatFloat(v.Float))
	case KindBool:
		b.WriteString(strconv.FormatBool(v.Bool))
	case KindTimestamp:
		b.WriteString("t'")
		b.WriteString(v.Str)
		b.WriteByte('\'')
	case KindBinary:
		b.WriteString("b'")
		b.WriteString(base64.StdEncoding.EncodeToString(v.Bytes))
		b.WriteByte('\'')
	case KindHex:
		b.WriteString("h'")
		b.WriteString(hex.EncodeToString(v.Bytes))
		b.WriteByte('\'')
	}
}

// String returns the constant as pattern text.
func (v Value) String() string {
	var b strings.Builder
	v.write(&b)
	return b.String()
}

func writeQuoted(b *strings.Builder, s string) {
	b.WriteByte('\'')
	for i := 0; i < len(s); i++ {
		if s[i] == '\'' || s[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	b.WriteByte('\'')
}

// CompExpr is a node of a comparison expression tree inside brackets:
// *CompBinary or *Comparison.
type CompExpr interface {
	write(b *strings.Builder)
	compPrec() int
}

// BoolOp joins comparison expressions. AND binds tighter than OR.
type BoolOp uint8

// The comparison expression operators.
const (
	And BoolOp = iota + 1
	Or
)

// CompBinary joins two or more comparison expressions with AND or OR.
type CompBinary struct {
	Op    BoolOp
	Terms []CompExpr // at least two
}

func (e *CompBinary) compPrec() int {
	if e.Op == And {
		return 2
	}
	return 1
}

func (e *CompBinary) write(b *strings.Builder) {
	op := " OR "
	if e.Op == And {
		op = " AND "
	}
	for i, t := range e.Terms {
		if i > 0 {
			b.WriteString(op)
		}
		if t.compPrec() <= e.compPrec() {
			b.WriteByte('(')
			t.write(b)
			b.WriteByte(')')
		} else {
			t.write(b)
		}
	}
}

// CompOp is a comparison operator.
type CompOp uint8

// The comparison operators.
const (
	OpEq CompOp = iota + 1
	OpNeq
	OpGt
	OpLt
	OpGe
	OpLe
	OpIn
	OpLike
	OpMatches
	OpIsSubset
	OpIsSuperset
	OpExists
)

var opNames = [...]string{"", "=", "!=", ">", "<", ">=", "<=", "IN", "LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "EXISTS"}

// String returns the operator as written in a pattern.
func (o CompOp) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return "?"
}

// Comparison is one test of an object property against a constant.
// Negated is set for `NOT op`. Value holds the constant for every operator
// but IN (Set) and EXISTS (neither). Trees are made by Parse, which also
// compiles the regular expressions and CIDR blocks that Match uses; a
// Comparison built by hand never matches with LIKE, MATCHES, ISSUBSET or
// ISSUPERSET.
type Comparison struct {
	Path    Path
	Negated bool
	Op      CompOp
	Value   Value
	Set     []Value

	re  *regexp.Regexp // compiled MATCHES or LIKE, set by Parse
	pfx netip.Prefix   // ISSUBSET or ISSUPERSET constant, set by Parse
}

func (*Comparison) compPrec() int { return 3 }

func (c *Comparison) write(b *strings.Builder) {
	if c.Op == OpExists {
		if c.Negated {
			b.WriteString("NOT ")
		}
		b.WriteString("EXISTS ")
		c.Path.write(b)
		return
	}
	c.Path.write(b)
	b.WriteByte(' ')
	if c.Negated {
		b.WriteString("NOT ")
	}
	b.WriteString(c.Op.String())
	b.WriteByte(' ')
	if c.Op == OpIn {
		b.WriteByte('(')
		for i, v := range c.Set {
			if i > 0 {
				b.WriteString(", ")
			}
			v.write(b)
		}
		b.WriteByte(')')
		return
	}
	c.Value.write(b)
}
