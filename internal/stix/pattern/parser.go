package pattern

import "github.com/kyojo-hub/kyojo/internal/errs"

// Limits on hostile input. Parse rejects longer or deeper patterns before
// doing work proportional to them, so it cannot exhaust the stack.
const (
	MaxLen   = 64 << 10 // bytes of pattern text
	MaxDepth = 100      // nested brackets, parentheses and qualifiers
)

// Parse parses a STIX 2.1 pattern. It returns a *ParseError (see its doc for
// how it maps to errs) when s is empty, longer than MaxLen, nested deeper
// than MaxDepth, not in the grammar, or breaks a rule of the specification:
// an object type or property that is not well formed, an invalid regular
// expression after MATCHES, a value after ISSUBSET/ISSUPERSET that is not an
// IP address or CIDR, WITHIN or REPEATS not positive, START not before STOP,
// a timestamp not in RFC 3339 UTC form (YYYY-MM-DDTHH:MM:SS[.s+]Z), or
// comparisons joined by AND in one observation expression that refer to more
// than one object type.
func Parse(s string) (*Pattern, error) {
	if len(s) > MaxLen {
		return nil, newParseError(s, 0, errs.TooLarge, "pattern is %d bytes, over the limit of %d", len(s), MaxLen)
	}
	p := &parser{lx: lexer{src: s}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tEOF {
		return nil, p.errf(p.tok.pos, "empty pattern")
	}
	root, err := p.parseFollowedBy()
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.errf(p.tok.pos, "unexpected %s after the end of the pattern", p.tok.describe())
	}
	return &Pattern{Root: root}, nil
}

// MustParse is Parse for patterns known to be valid, such as constants in
// tests; it panics on error.
func MustParse(s string) *Pattern {
	p, err := Parse(s)
	if err != nil {
		panic("pattern.MustParse(" + s + "): " + err.Error())
	}
	return p
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) errf(off int, format string, args ...any) error {
	return newParseError(p.lx.src, off, errs.Invalid, format, args...)
}

func (p *parser) advance() error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// is reports whether the current token is the keyword kw (case-sensitive).
func (p *parser) is(kw string) bool {
	return p.tok.kind == tIdent && p.tok.text == kw
}

func (p *parser) enter(pos int) error {
	p.depth++
	if p.depth > MaxDepth {
		return p.errf(pos, "nesting deeper than %d", MaxDepth)
	}
	return nil
}

// parseFollowedBy parses obs (FOLLOWEDBY obs)*, the lowest precedence.
func (p *parser) parseFollowedBy() (ObsExpr, error) {
	return p.parseObsChain(ObsFollowedBy, "FOLLOWEDBY", p.parseObsOr)
}

func (p *parser) parseObsOr() (ObsExpr, error) {
	return p.parseObsChain(ObsOr, "OR", p.parseObsAnd)
}

func (p *parser) parseObsAnd() (ObsExpr, error) {
	return p.parseObsChain(ObsAnd, "AND", p.parseObsUnit)
}

func (p *parser) parseObsChain(op ObsOp, kw string, sub func() (ObsExpr, error)) (ObsExpr, error) {
	first, err := sub()
	if err != nil || !p.is(kw) {
		return first, err
	}
	terms := []ObsExpr{first}
	for p.is(kw) {
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := sub()
		if err != nil {
			return nil, err
		}
		terms = append(terms, t)
	}
	return &ObsBinary{Op: op, Terms: terms}, nil
}

// parseObsUnit parses `[ comparison ]` or `( observations )`, then any
// qualifiers.
func (p *parser) parseObsUnit() (ObsExpr, error) {
	var e ObsExpr
	open := p.tok.pos
	saved := p.depth
	switch p.tok.kind {
	case tLBrack:
		if err := p.enter(open); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		c, _, err := p.parseCompOr()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRBrack {
			return nil, p.errf(p.tok.pos, "expected ']' after comparison, found %s", p.tok.describe())
		}
		e = &Bracket{Comp: c}
	case tLParen:
		if err := p.enter(open); err != nil {
			return nil, err
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		inner, err := p.parseFollowedBy()
		if err != nil {
			return nil, err
		}
		if p.tok.kind != tRParen {
			return nil, p.errf(p.tok.pos, "expected ')' to close '(' at %d, found %s", open, p.tok.describe())
		}
		e = inner
	case tRBrack, tRParen:
		return nil, p.errf(p.tok.pos, "unbalanced %s: expected an observation expression", p.tok.describe())
	default:
		return nil, p.errf(p.tok.pos, "expected '[' or '(' to start an observation expression, found %s", p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	for p.is("WITHIN") || p.is("REPEATS") || p.is("START") {
		if err := p.enter(p.tok.pos); err != nil {
			return nil, err
		}
		q, err := p.parseQualifier(e)
		if err != nil {
			return nil, err
		}
		e = q
	}
	p.depth = saved
	return e, nil
}

// parseCompOr parses and (OR and)*. It also returns the object types the
// expression refers to, for the AND rule.
func (p *parser) parseCompOr() (CompExpr, []string, error) {
	first, types, err := p.parseCompAnd()
	if err != nil || !p.is("OR") {
		return first, types, err
	}
	terms := []CompExpr{first}
	for p.is("OR") {
		if err := p.advance(); err != nil {
			return nil, nil, err
		}
		t, ty, err := p.parseCompAnd()
		if err != nil {
			return nil, nil, err
		}
		terms = append(terms, t)
		types = unionTypes(types, ty)
	}
	return &CompBinary{Op: Or, Terms: terms}, types, nil
}

// parseCompAnd parses unit (AND unit)*, enforcing the rule of STIX 2.1
// section 9 that comparisons joined by AND within one observation expression
// refer to the same object type (they are evaluated on one object).
func (p *parser) parseCompAnd() (CompExpr, []string, error) {
	first, types, err := p.parseCompUnit()
	if err != nil || !p.is("AND") {
		return first, types, err
	}
	terms := []CompExpr{first}
	for p.is("AND") {
		andPos := p.tok.pos
		if err := p.advance(); err != nil {
			return nil, nil, err
		}
		t, ty, err := p.parseCompUnit()
		if err != nil {
			return nil, nil, err
		}
		terms = append(terms, t)
		types = unionTypes(types, ty)
		if len(types) > 1 {
			return nil, nil, p.errf(andPos, "comparisons joined by AND must refer to one object type, found '%s' and '%s'", types[0], types[1])
		}
	}
	return &CompBinary{Op: And, Terms: terms}, types, nil
}

func unionTypes(a, b []string) []string {
	for _, t := range b {
		found := false
		for _, u := range a {
			if u == t {
				found = true
				break
			}
		}
		if !found {
			a = append(a, t)
		}
	}
	return a
}

// parseCompUnit parses a parenthesised comparison expression, EXISTS path,
// or path [NOT] op value.
func (p *parser) parseCompUnit() (CompExpr, []string, error) {
	switch {
	case p.tok.kind == tLParen:
		open := p.tok.pos
		if err := p.enter(open); err != nil {
			return nil, nil, err
		}
		if err := p.advance(); err != nil {
			return nil, nil, err
		}
		c, types, err := p.parseCompOr()
		if err != nil {
			return nil, nil, err
		}
		if p.tok.kind != tRParen {
			return nil, nil, p.errf(p.tok.pos, "expected ')' to close '(' at %d, found %s", open, p.tok.describe())
		}
		p.depth--
		return c, types, p.advance()
	case p.is("EXISTS") || p.is("NOT"):
		neg := p.is("NOT")
		if neg {
			if err := p.advance(); err != nil {
				return nil, nil, err
			}
			if !p.is("EXISTS") {
				return nil, nil, p.errf(p.tok.pos, "NOT must follow the object path (as in 'file:name NOT = ...') or precede EXISTS, found %s", p.tok.describe())
			}
		}
		if err := p.advance(); err != nil {
			return nil, nil, err
		}
		path, err := p.parsePath()
		if err != nil {
			return nil, nil, err
		}
		return &Comparison{Path: path, Negated: neg, Op: OpExists}, []string{path.Type}, nil
	case p.tok.kind == tIdent:
		c, err := p.parseComparison()
		if err != nil {
			return nil, nil, err
		}
		return c, []string{c.Path.Type}, nil
	case p.tok.kind == tRBrack:
		return nil, nil, p.errf(p.tok.pos, "expected a comparison, found %s", p.tok.describe())
	}
	return nil, nil, p.errf(p.tok.pos, "expected an object path, '(' or EXISTS, found %s", p.tok.describe())
}

// parseComparison parses path [NOT] op value.
func (p *parser) parseComparison() (*Comparison, error) {
	path, err := p.parsePath()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Path: path}
	if p.is("NOT") {
		c.Negated = true
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
	opPos := p.tok.pos
	switch p.tok.kind {
	case tEQ:
		c.Op = OpEq
	case tNEQ:
		c.Op = OpNeq
	case tGT:
		c.Op = OpGt
	case tLT:
		c.Op = OpLt
	case tGE:
		c.Op = OpGe
	case tLE:
		c.Op = OpLe
	case tIdent:
		switch p.tok.text {
		case "IN":
			c.Op = OpIn
		case "LIKE":
			c.Op = OpLike
		case "MATCHES":
			c.Op = OpMatches
		case "ISSUBSET":
			c.Op = OpIsSubset
		case "ISSUPERSET":
			c.Op = OpIsSuperset
		}
	}
	if c.Op == 0 {
		return nil, p.errf(opPos, "expected a comparison operator after '%s', found %s", path, p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if err := p.parseOperand(c, opPos); err != nil {
		return nil, err
	}
	return c, nil
}
