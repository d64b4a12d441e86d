package pattern

import (
	"strconv"
	"strings"
)

// AnyIndex is Step.Index for `[*]`.
const AnyIndex = -1

// Path is an object path: an object type and at least one step. The first
// step is always a property key.
type Path struct {
	Type  string
	Steps []Step
}

// Step is one path component: a property or dictionary key, or, when
// IsIndex is set, a list index (Index >= 0, or AnyIndex for `[*]`).
type Step struct {
	Key     string
	IsIndex bool
	Index   int
}

// String returns the path as pattern text.
func (p Path) String() string {
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p Path) write(b *strings.Builder) {
	b.WriteString(p.Type)
	b.WriteByte(':')
	for i, s := range p.Steps {
		switch {
		case s.IsIndex && s.Index == AnyIndex:
			b.WriteString("[*]")
		case s.IsIndex:
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(s.Index))
			b.WriteByte(']')
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if isPlainIdent(s.Key) {
				b.WriteString(s.Key)
			} else {
				writeQuoted(b, s.Key)
			}
		}
	}
}

// isPlainIdent reports whether s can be written without quotes in a path.
func isPlainIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9' {
			continue
		}
		return false
	}
	return true
}

// parsePath parses type ':' key ('.' key | '[' index ']')*.
func (p *parser) parsePath() (Path, error) {
	t := p.tok
	if t.kind != tIdent {
		return Path{}, p.errf(t.pos, "expected an object type, found %s", t.describe())
	}
	if reason := checkObjectType(t.text); reason != "" {
		return Path{}, p.errf(t.pos, "invalid object type '%s': %s", t.text, reason)
	}
	if err := p.advance(); err != nil {
		return Path{}, err
	}
	if p.tok.kind != tColon {
		return Path{}, p.errf(p.tok.pos, "expected ':' after object type '%s', found %s", t.text, p.tok.describe())
	}
	if err := p.advance(); err != nil {
		return Path{}, err
	}
	path := Path{Type: t.text}
	key, err := p.parseKey()
	if err != nil {
		return Path{}, err
	}
	path.Steps = append(path.Steps, Step{Key: key})
	for {
		switch p.tok.kind {
		case tDot:
			if err := p.advance(); err != nil {
				return Path{}, err
			}
			key, err := p.parseKey()
			if err != nil {
				return Path{}, err
			}
			path.Steps = append(path.Steps, Step{Key: key})
		case tLBrack:
			step, err := p.parseIndex()
			if err != nil {
				return Path{}, err
			}
			path.Steps = append(path.Steps, step)
		default:
			return path, nil
		}
	}
}

func (p *parser) parseKey() (string, error) {
	t := p.tok
	switch t.kind {
	case tIdent:
		if strings.IndexByte(t.text, '-') >= 0 {
			return "", p.errf(t.pos, "property name '%s' contains '-': quote it as '%s'", t.text, "'"+t.text+"'")
		}
	case tString:
		if t.val == "" {
			return "", p.errf(t.pos, "empty property name")
		}
	default:
		return "", p.errf(t.pos, "expected a property name, found %s", t.describe())
	}
	key := t.val
	if t.kind == tIdent {
		key = t.text
	}
	return key, p.advance()
}

func (p *parser) parseIndex() (Step, error) {
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	t := p.tok
	step := Step{IsIndex: true, Index: AnyIndex}
	switch {
	case t.kind == tStar:
	case t.kind == tInt && t.text[0] != '-':
		v, err := parseInt(t.text)
		if err != nil || v > 1<<31 {
			return Step{}, p.errf(t.pos, "list index %s out of range", t.text)
		}
		step.Index = int(v)
	case t.kind == tInt:
		return Step{}, p.errf(t.pos, "list index must not be negative")
	default:
		return Step{}, p.errf(t.pos, "expected a list index or '*', found %s", t.describe())
	}
	if err := p.advance(); err != nil {
		return Step{}, err
	}
	if p.tok.kind != tRBrack {
		return Step{}, p.errf(p.tok.pos, "expected ']' after list index, found %s", p.tok.describe())
	}
	return step, p.advance()
}

// checkObjectType applies the STIX 2.1 rules for type names: only a-z, 0-9
// and '-', beginning with a letter, 3 to 250 characters. It returns "" for a
// valid name, else the reason.
func checkObjectType(s string) string {
	if len(s) < 3 || len(s) > 250 {
		return "must be 3 to 250 characters"
	}
	if s[0] < 'a' || s[0] > 'z' {
		return "must begin with a lower-case letter"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return "only a-z, 0-9 and '-' are allowed"
		}
	}
	return ""
}
