package stix

import (
	"encoding/json"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// rawBundle is the top level of a bundle, with its objects left as raw
// JSON for parse to decode one by one.
type rawBundle struct {
	hasType bool
	typ     any // the value of "type", when present
	id      any // the value of "id", when present
	objects []json.RawMessage
	hasObjs bool
}

// decodeBundle reads the top level of a bundle with the same strictness as
// decodeObject: valid JSON, no repeated member names at the top level, and
// no nesting deeper than MaxDepth+2 anywhere (an object at MaxDepth inside
// the objects array). The members of the objects themselves are checked
// when each is parsed, so that one bad object does not reject the bundle.
func decodeBundle(data []byte) (rawBundle, error) {
	var b rawBundle
	d := decoder{data: data, maxDepth: MaxDepth + 2}
	d.ws()
	if d.pos >= len(d.data) || d.data[d.pos] != '{' {
		return b, errs.F(errs.Malformed, "", "a bundle must be a JSON object")
	}
	if err := d.enter(); err != nil {
		return b, err
	}
	seen := map[string]bool{}
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		return b, d.end()
	}
	for {
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return b, d.errorf("expected a member name")
		}
		k, err := d.str()
		if err != nil {
			return b, err
		}
		if seen[k] {
			return b, errs.F(errs.Malformed, "", "member %q appears more than once in the bundle", truncate(k, 64))
		}
		seen[k] = true
		d.ws()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return b, d.errorf("expected ':' after a member name")
		}
		d.pos++
		d.ws()
		switch k {
		case "objects":
			if err := d.objectSpans(&b); err != nil {
				return b, err
			}
		case "type", "id":
			v, err := d.value()
			if err != nil {
				return b, err
			}
			if k == "type" {
				b.hasType, b.typ = true, v
			} else {
				b.id = v
			}
		default:
			if err := d.skip(); err != nil {
				return b, err
			}
		}
		d.ws()
		if d.pos >= len(d.data) {
			return b, d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			return b, d.end()
		default:
			return b, d.errorf("expected ',' or '}'")
		}
	}
}

func (d *decoder) end() error {
	d.ws()
	if d.pos != len(d.data) {
		return d.errorf("data after the end of the bundle")
	}
	return nil
}

// objectSpans reads the objects array, recording each element's bytes.
func (d *decoder) objectSpans(b *rawBundle) error {
	if d.pos >= len(d.data) || d.data[d.pos] != '[' {
		if d.pos < len(d.data) && d.data[d.pos] == 'n' { // "objects": null
			return d.literal("null")
		}
		return errs.F(errs.Malformed, "objects", "must be a list")
	}
	if err := d.enter(); err != nil {
		return err
	}
	b.hasObjs = true
	d.ws()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		d.depth--
		return nil
	}
	for {
		d.ws()
		start := d.pos
		if err := d.skip(); err != nil {
			return err
		}
		if len(b.objects) >= MaxBundleObjects {
			return errs.F(errs.TooLarge, "objects", "bundle has more than %d objects", MaxBundleObjects)
		}
		b.objects = append(b.objects, json.RawMessage(d.data[start:d.pos]))
		d.ws()
		if d.pos >= len(d.data) {
			return d.errorf("unexpected end of input")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			d.depth--
			return nil
		default:
			return d.errorf("expected ',' or ']'")
		}
	}
}

// skip checks the syntax of the value at d.pos and moves past it without
// building it. Repeated names are left to decodeObject.
func (d *decoder) skip() error {
	d.ws()
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of input")
	}
	switch c := d.data[d.pos]; {
	case c == '{' || c == '[':
		closer := byte('}')
		if c == '[' {
			closer = ']'
		}
		if err := d.enter(); err != nil {
			return err
		}
		d.ws()
		if d.pos < len(d.data) && d.data[d.pos] == closer {
			d.pos++
			d.depth--
			return nil
		}
		for {
			if c == '{' {
				d.ws()
				if d.pos >= len(d.data) || d.data[d.pos] != '"' {
					return d.errorf("expected a member name")
				}
				if err := d.skipString(); err != nil {
					return err
				}
				d.ws()
				if d.pos >= len(d.data) || d.data[d.pos] != ':' {
					return d.errorf("expected ':' after a member name")
				}
				d.pos++
			}
			if err := d.skip(); err != nil {
				return err
			}
			d.ws()
			if d.pos >= len(d.data) {
				return d.errorf("unexpected end of input")
			}
			switch d.data[d.pos] {
			case ',':
				d.pos++
			case closer:
				d.pos++
				d.depth--
				return nil
			default:
				return d.errorf("expected ',' or %q", closer)
			}
		}
	case c == '"':
		return d.skipString()
	case c == '-' || c >= '0' && c <= '9':
		_, err := d.number()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	}
	return d.errorf("unexpected character %q", d.data[d.pos])
}

// skipString moves past the string at d.pos, checking its escapes and
// that it has no control characters; UTF-8 is checked when the string is
// decoded.
func (d *decoder) skipString() error {
	for i := d.pos + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c < 0x20:
			d.pos = i
			return d.errorf("control character in a string")
		case c == '\\':
			if i+1 >= len(d.data) {
				break
			}
			i++
			switch d.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if _, ok := d.hex4(i + 1); !ok {
					d.pos = i
					return d.errorf("invalid \\u escape")
				}
				i += 4
			default:
				d.pos = i
				return d.errorf("invalid escape")
			}
		}
	}
	return d.errorf("unterminated string")
}
