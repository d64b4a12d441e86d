package pattern

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// ParseError is a syntax or rule violation in a pattern. Offset is the
// 0-based byte offset of the offending token; Line and Column are 1-based,
// Column counting runes. It unwraps to an *errs.Error with Field "pattern"
// and Code errs.Invalid (errs.TooLarge when the input is over MaxLen), whose
// Message is the full text of Error and so includes the position.
type ParseError struct {
	Offset int
	Line   int
	Column int
	Reason string

	code errs.Code
}

// Error returns "at OFFSET (column C): reason", with the line too when it
// is not the first.
func (e *ParseError) Error() string {
	if e.Line > 1 {
		return fmt.Sprintf("at %d (line %d, column %d): %s", e.Offset, e.Line, e.Column, e.Reason)
	}
	return fmt.Sprintf("at %d (column %d): %s", e.Offset, e.Column, e.Reason)
}

// Unwrap returns the kyojo error for the HTTP adapters.
func (e *ParseError) Unwrap() error {
	return &errs.Error{Code: e.code, Field: "pattern", Message: e.Error()}
}

func newParseError(src string, off int, code errs.Code, format string, args ...any) *ParseError {
	if off > len(src) {
		off = len(src)
	}
	line, col := 1, 1
	for _, r := range src[:off] {
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &ParseError{Offset: off, Line: line, Column: col, Reason: fmt.Sprintf(format, args...), code: code}
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tString
	tInt
	tFloat
	tTimestamp
	tBinary
	tHex
	tLBrack
	tRBrack
	tLParen
	tRParen
	tColon
	tDot
	tComma
	tStar
	tEQ
	tNEQ
	tLT
	tLE
	tGT
	tGE
)

// token is one lexeme. text is the source text; val is the decoded content
// of string-like literals (without quotes, prefix or escapes).
type token struct {
	kind tokKind
	pos  int
	text string
	val  string
}

// describe names a token for error messages.
func (t token) describe() string {
	if t.kind == tEOF {
		return "end of pattern"
	}
	s := t.text
	if len(s) > 40 {
		s = s[:37] + "..."
	}
	return "'" + s + "'"
}

// lexer splits a pattern into tokens on demand.
type lexer struct {
	src string
	pos int
}

func (l *lexer) errf(off int, format string, args ...any) *ParseError {
	return newParseError(l.src, off, errs.Invalid, format, args...)
}

// skip passes over white space and comments (`/* */` and `//` to end of line).
func (l *lexer) skip() error {
	for l.pos < len(l.src) {
		c := l.src[l.pos]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			l.pos++
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "/*"):
			end := strings.Index(l.src[l.pos+2:], "*/")
			if end < 0 {
				return l.errf(l.pos, "unterminated comment")
			}
			l.pos += end + 4
		case c == '/' && strings.HasPrefix(l.src[l.pos:], "//"):
			end := strings.IndexByte(l.src[l.pos:], '\n')
			if end < 0 {
				l.pos = len(l.src)
			} else {
				l.pos += end
			}
		case c >= utf8.RuneSelf:
			r, n := utf8.DecodeRuneInString(l.src[l.pos:])
			if r == utf8.RuneError || !unicode.IsSpace(r) {
				return nil
			}
			l.pos += n
		default:
			return nil
		}
	}
	return nil
}

// next returns the next token or a *ParseError.
func (l *lexer) next() (token, error) {
	if err := l.skip(); err != nil {
		return token{}, err
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tEOF, pos: start}, nil
	}
	c := l.src[start]
	one := func(k tokKind, n int) (token, error) {
		l.pos += n
		return token{kind: k, pos: start, text: l.src[start:l.pos]}, nil
	}
	var c2 byte
	if start+1 < len(l.src) {
		c2 = l.src[start+1]
	}
	switch {
	case c == '[':
		return one(tLBrack, 1)
	case c == ']':
		return one(tRBrack, 1)
	case c == '(':
		return one(tLParen, 1)
	case c == ')':
		return one(tRParen, 1)
	case c == ':':
		return one(tColon, 1)
	case c == ',':
		return one(tComma, 1)
	case c == '*':
		return one(tStar, 1)
	case c == '=' && c2 == '=':
		return one(tEQ, 2)
	case c == '=':
		return one(tEQ, 1)
	case c == '!' && c2 == '=':
		return one(tNEQ, 2)
	case c == '<' && c2 == '>':
		return one(tNEQ, 2)
	case c == '<' && c2 == '=':
		return one(tLE, 2)
	case c == '<':
		return one(tLT, 1)
	case c == '>' && c2 == '=':
		return one(tGE, 2)
	case c == '>':
		return one(tGT, 1)
	case c == '\'':
		return l.quoted(tString, start, start)
	case (c == 't' || c == 'b' || c == 'h') && c2 == '\'':
		kind := tTimestamp
		if c == 'b' {
			kind = tBinary
		} else if c == 'h' {
			kind = tHex
		}
		return l.quoted(kind, start, start+1)
	case c == '.' && !(c2 >= '0' && c2 <= '9'):
		return one(tDot, 1)
	case c == '+' || c == '-' || c == '.' || c >= '0' && c <= '9':
		return l.number(start)
	case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		l.pos++
		for l.pos < len(l.src) && isIdentByte(l.src[l.pos]) {
			l.pos++
		}
		return token{kind: tIdent, pos: start, text: l.src[start:l.pos]}, nil
	}
	r, _ := utf8.DecodeRuneInString(l.src[start:])
	if r == utf8.RuneError {
		return token{}, l.errf(start, "invalid UTF-8 byte 0x%02x", c)
	}
	return token{}, l.errf(start, "unexpected character %q", r)
}

func isIdentByte(c byte) bool {
	return c == '_' || c == '-' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// quoted reads a quoted literal whose opening quote is at q. Only \' and \\
// are valid escapes, and only in plain strings.
func (l *lexer) quoted(kind tokKind, start, q int) (token, error) {
	i := q + 1
	var b *strings.Builder
	from := i
	for {
		if i >= len(l.src) {
			return token{}, l.errf(start, "unterminated quoted literal")
		}
		c := l.src[i]
		if c == '\'' {
			break
		}
		if c == '\\' {
			if kind != tString {
				return token{}, l.errf(i, "backslash not allowed in this literal")
			}
			if i+1 >= len(l.src) || (l.src[i+1] != '\'' && l.src[i+1] != '\\') {
				return token{}, l.errf(i, "invalid escape in string: only \\' and \\\\ are allowed")
			}
			if b == nil {
				b = &strings.Builder{}
			}
			b.WriteString(l.src[from:i])
			b.WriteByte(l.src[i+1])
			i += 2
			from = i
			continue
		}
		i++
	}
	if !utf8.ValidString(l.src[q:i]) {
		return token{}, l.errf(start, "invalid UTF-8 in quoted literal")
	}
	val := l.src[from:i]
	if b != nil {
		b.WriteString(val)
		val = b.String()
	}
	l.pos = i + 1
	return token{kind: kind, pos: start, text: l.src[start:l.pos], val: val}, nil
}

// number reads [+-]?digits, [+-]?digits?.digits.
func (l *lexer) number(start int) (token, error) {
	i := start
	if l.src[i] == '+' || l.src[i] == '-' {
		i++
	}
	intStart := i
	for i < len(l.src) && l.src[i] >= '0' && l.src[i] <= '9' {
		i++
	}
	intDigits := i - intStart
	kind := tInt
	if i < len(l.src) && l.src[i] == '.' {
		i++
		fracStart := i
		for i < len(l.src) && l.src[i] >= '0' && l.src[i] <= '9' {
			i++
		}
		if i == fracStart {
			return token{}, l.errf(start, "a decimal point must be followed by digits")
		}
		kind = tFloat
	} else if intDigits == 0 {
		return token{}, l.errf(start, "expected a number after '%c'", l.src[start])
	}
	if kind == tInt && intDigits > 1 && l.src[intStart] == '0' {
		return token{}, l.errf(start, "integer with leading zero")
	}
	if i < len(l.src) && (isIdentByte(l.src[i]) || l.src[i] == '.') {
		return token{}, l.errf(i, "unexpected %q after number", l.src[i])
	}
	l.pos = i
	return token{kind: kind, pos: start, text: l.src[start:i]}, nil
}
