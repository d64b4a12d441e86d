package stix

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// checker validates one decoded object and collects every problem.
type checker struct {
	prefix string // "" or "objects[3]."
	m      map[string]any
	typ    string
	spec   *typeSpec
	errs   errs.List
	// local is set while walking observed-data "objects", whose embedded
	// SCOs use STIX 2.0 style local references ("0", "1") instead of
	// identifiers.
	local bool
	// custom is set while walking custom content (x_ properties and
	// custom object types), where an empty string under a _ref key is read
	// as no reference.
	custom bool
	// pattern is an indicator's STIX pattern, parsed by checkIndicator.
	pattern *pattern.Pattern
}

func (c *checker) field(f string) string {
	if f == "" && c.prefix != "" {
		return c.prefix[:len(c.prefix)-1]
	}
	return c.prefix + f
}

// bad records a rule violation on field f.
func (c *checker) bad(f, format string, args ...any) {
	c.errs.Add(errs.Invalid, c.field(f), format, args...)
}

func (c *checker) has(name string) bool { _, ok := c.m[name]; return ok }

func (c *checker) str(name string) string { s, _ := c.m[name].(string); return s }

// time returns the timestamp property name when it is present and valid.
func (c *checker) time(name string) (time.Time, bool) {
	s, ok := c.m[name].(string)
	if !ok {
		return time.Time{}, false
	}
	return ParseTimestamp(s)
}

// order checks that timestamp later is not before earlier (or strictly
// after when strict), when both are present and valid.
func (c *checker) order(earlier, later string, strict bool) {
	a, ok1 := c.time(earlier)
	b, ok2 := c.time(later)
	if !ok1 || !ok2 {
		return
	}
	if strict && !b.After(a) {
		c.bad(later, "must be later than %s", earlier)
	} else if b.Before(a) {
		c.bad(later, "must not be earlier than %s", earlier)
	}
}

// validate checks c.m and returns the Object view of it; the caller looks
// at c.errs.
func (c *checker) validate() Object {
	var o Object
	typ, ok := c.m["type"].(string)
	switch {
	case !c.has("type"):
		c.bad("type", "is required")
		return o
	case !ok:
		c.bad("type", "must be a string")
		return o
	case !validTypeName(typ):
		c.bad("type", "%q is not a valid type name (3–250 characters of a–z, 0–9 and single hyphens)", truncate(typ, 64))
		return o
	}
	c.typ = typ
	c.spec = specs[typ]
	if c.spec == nil {
		if !strings.HasPrefix(typ, "x-") && extensionKind(c.m) == "" {
			c.bad("type", "%q is not a STIX 2.1 type; custom types must start with \"x-\" or be declared by a new-sdo, new-sco or new-sro extension", truncate(typ, 64))
			return o
		}
		c.spec = customSpec
	}
	if id, ok := c.m["id"].(string); !ok {
		if c.has("id") {
			c.bad("id", "must be a string")
		} else {
			c.bad("id", "is required")
		}
	} else if t, msg := checkIdentifier(id); msg != "" {
		c.bad("id", "%q %s", truncate(id, 100), msg)
	} else if t != typ {
		c.bad("id", "type part %q does not match the object type %q", t, typ)
	}

	topExt := hasToplevelExtension(c.m)
	for k, v := range c.m {
		if p, ok := c.spec.props[k]; ok {
			c.checkProp(k, p, v)
			c.local = typ == "observed-data" && k == "objects"
			c.walk(v, k, false)
			c.local = false
			continue
		}
		switch {
		case !validPropName(k):
			c.bad(truncate(k, 64), "is not a valid property name (3–250 characters of a–z, A–Z, 0–9 and _)")
		case strings.HasPrefix(k, "x_") || c.spec == customSpec || topExt:
		case forbiddenOn(typ, k):
			c.bad(k, "is not a property of %s", typ)
		default:
			// STIX 2.1 §11.1: custom property names SHOULD (not MUST) start
			// with x_; producers such as OpenCTI use plain names, so a valid
			// name that is not a property of another category is kept.
		}
		c.custom = strings.HasPrefix(k, "x_") || c.spec == customSpec
		c.walk(v, k, true)
		c.custom = false
	}
	for _, k := range c.spec.required {
		if !c.has(k) {
			c.bad(k, "is required for %s", typ)
		}
	}
	if sv, ok := c.m["spec_version"].(string); ok && sv != "2.1" {
		c.bad("spec_version", "must be \"2.1\", not %q", truncate(sv, 32))
	}
	c.order("created", "modified", false)
	if c.spec.check != nil {
		c.spec.check(c)
	}
	if len(c.errs) > 1 {
		slices.SortStableFunc(c.errs, func(a, b *errs.Error) int { return strings.Compare(a.Field, b.Field) })
	}
	if len(c.errs) > 0 {
		return o
	}
	o.Type = typ
	o.ID = c.str("id")
	o.SpecVersion = c.str("spec_version")
	o.Created, _ = c.time("created")
	o.Modified, _ = c.time("modified")
	o.Revoked, _ = c.m["revoked"].(bool)
	o.CreatedByRef = c.str("created_by_ref")
	o.ObjectMarkingRefs = stringList(c.m["object_marking_refs"])
	if gm, ok := c.m["granular_markings"].([]any); ok {
		for _, g := range gm {
			g, _ := g.(map[string]any)
			mr, _ := g["marking_ref"].(string)
			lang, _ := g["lang"].(string)
			o.GranularMarkings = append(o.GranularMarkings, GranularMarking{MarkingRef: mr, Lang: lang, Selectors: stringList(g["selectors"])})
		}
	}
	return o
}

func stringList(v any) []string {
	l, _ := v.([]any)
	if len(l) == 0 {
		return nil
	}
	out := make([]string, 0, len(l))
	for _, x := range l {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// hasToplevelExtension reports whether m declares an extension-definition
// based extension of type toplevel-property-extension.
func hasToplevelExtension(m map[string]any) bool {
	ext, _ := m["extensions"].(map[string]any)
	for k, v := range ext {
		if e, ok := v.(map[string]any); ok && strings.HasPrefix(k, "extension-definition--") {
			if t, _ := e["extension_type"].(string); t == "toplevel-property-extension" {
				return true
			}
		}
	}
	return false
}

// walk enforces MaxStringBytes on every string and the _ref/_refs naming
// rule on every nested key; checkRefs also applies it to path itself (for
// properties the type table does not know). Paths of children are built
// only for containers, so lists of strings cost no allocation.
func (c *checker) walk(v any, path string, checkRefs bool) {
	if checkRefs && !c.local {
		c.refShape(path, v)
	}
	switch v := v.(type) {
	case string:
		if len(v) > MaxStringBytes {
			c.errs.Add(errs.TooLarge, c.field(path), "is %d bytes, over the limit of %d", len(v), MaxStringBytes)
		}
	case map[string]any:
		for k, x := range v {
			if len(k) > MaxStringBytes {
				c.errs.Add(errs.TooLarge, c.field(path), "has a key of %d bytes, over the limit of %d", len(k), MaxStringBytes)
				continue
			}
			if s, ok := x.(string); ok && len(s) <= MaxStringBytes && !isRefKey(k) {
				continue
			}
			c.walk(x, path+"."+k, true)
		}
	case []any:
		for i, x := range v {
			if s, ok := x.(string); ok && len(s) <= MaxStringBytes {
				continue
			}
			c.walk(x, indexPath(path, i), false)
		}
	}
}

func isRefKey(k string) bool {
	return strings.HasSuffix(k, "_ref") || strings.HasSuffix(k, "_refs")
}

// refShape checks that a key ending in _ref holds an identifier and one
// ending in _refs a list of identifiers.
func (c *checker) refShape(path string, v any) {
	key := path[strings.LastIndexByte(path, '.')+1:]
	switch {
	case strings.HasSuffix(key, "_ref"):
		s, ok := v.(string)
		if !ok {
			c.bad(path, "must be an identifier")
		} else if s == "" && c.custom {
			// MITRE ATT&CK writes x_mitre_data_source_ref: "".
		} else if _, msg := checkIdentifier(s); msg != "" {
			c.bad(path, "%q %s", truncate(s, 100), msg)
		}
	case strings.HasSuffix(key, "_refs"):
		l, ok := v.([]any)
		if !ok {
			c.bad(path, "must be a list of identifiers")
			return
		}
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				c.bad(indexPath(path, i), "must be an identifier")
			} else if _, msg := checkIdentifier(s); msg != "" {
				c.bad(indexPath(path, i), "%q %s", truncate(s, 100), msg)
			}
		}
	}
}

func indexPath(path string, i int) string {
	var b [20]byte
	n := len(b)
	if i == 0 {
		n--
		b[n] = '0'
	}
	for ; i > 0; i /= 10 {
		n--
		b[n] = byte('0' + i%10)
	}
	return path + "[" + string(b[n:]) + "]"
}

// num returns v as an integer when it is a JSON number without fraction
// or exponent.
func asInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

func asFloat(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// scoForbidden are the common properties of SDOs and SROs that a
// cyber-observable MUST NOT carry; sdoForbidden the reverse.
var (
	scoForbidden = map[string]bool{"created": true, "modified": true, "created_by_ref": true, "revoked": true, "labels": true,
		"confidence": true, "lang": true, "external_references": true}
	sdoForbidden = map[string]bool{"defanged": true}
	// reserved are properties STIX 2.1 reserves for a later version: they
	// MUST NOT be used.
	reserved = map[string]map[string]bool{
		"course-of-action": {"action_type": true, "os_execution_envs": true, "action_bin": true, "action_reference": true},
	}
)

// forbiddenOn reports whether property k belongs to another category of
// object than typ's, and so may not appear on it.
func forbiddenOn(typ, k string) bool {
	if reserved[typ][k] {
		return true
	}
	if scoTypes[typ] {
		return scoForbidden[k]
	}
	return sdoForbidden[k]
}
