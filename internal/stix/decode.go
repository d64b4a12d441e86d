package stix

import (
	"encoding/json"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// decodeObject decodes one JSON object (RFC 8259) into the generic form
// encoding/json produces with UseNumber: map[string]any, []any, string,
// json.Number, bool and nil. Compared with encoding/json it is stricter in
// three ways that matter for hostile input: it rejects nesting deeper than
// maxDepth (errs.TooLarge), a member name repeated within one object, and
// strings that are not valid UTF-8 (errs.Malformed; encoding/json keeps
// the last duplicate and replaces bad bytes, so what this package checks
// could differ from what another consumer acts on). Lone UTF-16
// surrogates in \u escapes become U+FFFD, as in encoding/json.
// FuzzDecodeObject checks it against encoding/json.
func decodeObject(data []byte, maxDepth int) (map[string]any, error) {
	d := decoder{data: data, maxDepth: maxDepth}
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return nil, errs.F(errs.Malformed, "", "a STIX object must be a JSON object")
	}
	v, err := d.value()
	if err != nil {
		return nil, err
	}
	d.ws()
	if d.pos != len(d.data) {
		return nil, d.errorf("data after the end of the object")
	}
	return v.(map[string]any), nil
}

type decoder struct {
	data     []byte
	pos      int
	depth    int
	maxDepth int
}

func (d *decoder) errorf(format string, args ...any) error {
	e := errs.F(errs.Malformed, "", format, args...)
	e.Message = "invalid JSON at byte " + strconv.Itoa(d.pos) + ": " + e.Message
	return e
}

func (d *decoder) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *decoder) value() (any, error) {
	d.ws()
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object()
	case c == '[':
		return d.array()
	case c == '"':
		return d.str()
	case c == '-' || c >= '0' && c <= '9':
		return d.number()
	case c == 't':
		return true, d.literal("true")
	case c == 'f':
		return false, d.literal("false")
	case c == 'n':
		return nil, d.literal("null")
	default:
		return nil, d.errorf("unexpected character %q", c)
	}
}

func (d *decoder) literal(word string) error {
	if len(d.data)-d.pos < len(word) || string(d.data[d.pos:d.pos+len(word)]) != word {
		return d.errorf("invalid literal")
	}
	d.pos += len(word)
	return nil
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > d.maxDepth {
		return errs.F(errs.TooLarge, "", "nested deeper than %d levels", d.maxDepth)
	}
	d.pos++ // the opening bracket
	return nil
}

func (d *decoder) object() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	m := make(map[string]any, 8)
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		d.depth--
		return m, nil
	}
	for {
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("expected a member name")
		}
		k, err := d.str()
		if err != nil {
			return nil, err
		}
		if _, dup := m[k]; dup {
			return nil, errs.F(errs.Malformed, "", "member %q appears more than once in one JSON object", truncate(k, 64))
		}
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("expected ':' after a member name")
		}
		d.pos++
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		m[k] = v
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			d.depth--
			return m, nil
		default:
			return nil, d.errorf("expected ',' or '}'")
		}
	}
}

func (d *decoder) array() (any, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	l := []any{}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return l, nil
	}
	for {
		v, err := d.value()
		if err != nil {
			return nil, err
		}
		l = append(l, v)
		d.ws()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return l, nil
		default:
			return nil, d.errorf("expected ',' or ']'")
		}
	}
}

// str decodes the string at d.pos (which is '"').
func (d *decoder) str() (string, error) {
	start := d.pos + 1
	ascii := true
	i := start
	for ; i < len(d.data); i++ {
		c := d.data[i]
		if c == '"' {
			s := d.data[start:i]
			if !ascii && !utf8.Valid(s) {
				return "", d.errorf("string is not valid UTF-8")
			}
			d.pos = i + 1
			return string(s), nil
		}
		if c == '\\' {
			return d.strSlow(start)
		}
		if c < 0x20 {
			d.pos = i
			return "", d.errorf("control character in a string")
		}
		if c >= 0x80 {
			ascii = false
		}
	}
	return "", d.errorf("unterminated string")
}

// strSlow decodes a string with escapes, starting after its quote.
func (d *decoder) strSlow(start int) (string, error) {
	b := make([]byte, 0, 64)
	i := start
	for i < len(d.data) {
		c := d.data[i]
		switch {
		case c == '"':
			if !utf8.Valid(b) {
				return "", d.errorf("string is not valid UTF-8")
			}
			d.pos = i + 1
			return string(b), nil
		case c < 0x20:
			d.pos = i
			return "", d.errorf("control character in a string")
		case c != '\\':
			b = append(b, c)
			i++
			continue
		}
		if i+1 >= len(d.data) {
			break
		}
		i++
		switch e := d.data[i]; e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := d.hex4(i + 1)
			if !ok {
				d.pos = i
				return "", d.errorf("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+6 < len(d.data) && d.data[i+1] == '\\' && d.data[i+2] == 'u' {
					r2, ok = d.hex4(i + 3)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			d.pos = i
			return "", d.errorf("invalid escape \\%c", e)
		}
		i++
	}
	return "", d.errorf("unterminated string")
}

func (d *decoder) hex4(at int) (rune, bool) {
	if at+4 > len(d.data) {
		return 0, false
	}
	var r rune
	for _, c := range d.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// number decodes a JSON number, keeping its text as json.Number.
func (d *decoder) number() (any, error) {
	start := d.pos
	i := d.pos
	digits := func() bool {
		n := i
		for i < len(d.data) && d.data[i] >= '0' && d.data[i] <= '9' {
			i++
		}
		return i > n
	}
	if d.data[i] == '-' {
		i++
	}
	if i < len(d.data) && d.data[i] == '0' {
		i++
	} else if !digits() {
		d.pos = i
		return nil, d.errorf("invalid number")
	}
	if i < len(d.data) && d.data[i] == '.' {
		i++
		if !digits() {
			d.pos = i
			return nil, d.errorf("invalid number")
		}
	}
	if i < len(d.data) && (d.data[i] == 'e' || d.data[i] == 'E') {
		i++
		if i < len(d.data) && (d.data[i] == '+' || d.data[i] == '-') {
			i++
		}
		if !digits() {
			d.pos = i
			return nil, d.errorf("invalid number")
		}
	}
	d.pos = i
	return json.Number(d.data[start:i]), nil
}

// truncate shortens s to at most n bytes, on a rune boundary, for messages.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
