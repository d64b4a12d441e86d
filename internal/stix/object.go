package stix

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Limits on hostile input. They are variables so a deployment can tune
// them; set them at start-up only, never while Parse or ParseBundle runs.
var (
	// MaxObjectBytes is the largest object, in bytes of JSON, that Parse
	// accepts. A larger object is rejected with errs.TooLarge before it is
	// decoded.
	MaxObjectBytes = 16 << 20
	// MaxStringBytes is the longest string value (description, content, …)
	// at any depth of an object.
	MaxStringBytes = 4 << 20
	// MaxDepth is the deepest nesting of JSON arrays and objects within one
	// object (the object itself is depth 1). encoding/json stops at 10,000;
	// no STIX object needs more than a handful of levels.
	MaxDepth = 64
	// MaxBundleObjects is the most objects one bundle may hold.
	MaxBundleObjects = 100_000
	// MaxBundleBytes is the largest bundle ParseBundle accepts.
	MaxBundleBytes = 1 << 30
)

// Object is one validated STIX 2.1 object. Get one from Parse or
// ParseBundle; the fields are read from Raw and MUST NOT be modified.
type Object struct {
	ID          string
	Type        string
	SpecVersion string // "2.1", or "" for an SCO that omits it
	// Created and Modified are zero when absent (SCOs; Modified for
	// marking-definition objects).
	Created, Modified time.Time
	Revoked           bool
	CreatedByRef      string
	ObjectMarkingRefs []string
	GranularMarkings  []GranularMarking
	// Raw is the object exactly as it was received. MarshalJSON returns it.
	Raw json.RawMessage
	// Props is Raw decoded, numbers as json.Number so that nothing loses
	// precision. It is shared: callers MUST NOT modify it.
	Props map[string]any
	// Pattern is an indicator's pattern, parsed, when its pattern_type is
	// "stix"; nil otherwise. Shared like Props.
	Pattern *pattern.Pattern
}

// GranularMarking is one entry of granular_markings: exactly one of
// MarkingRef and Lang is set, and Selectors is not empty.
type GranularMarking struct {
	MarkingRef string
	Lang       string
	Selectors  []string
}

// MarshalJSON returns Raw unchanged, so exporting gives back exactly the
// members and values that were imported.
func (o Object) MarshalJSON() ([]byte, error) {
	if len(o.Raw) == 0 {
		return []byte("null"), nil
	}
	return o.Raw, nil
}

// NewerThan reports whether a is a later version than b of an object: its
// modified is later. Objects without modified (SCOs, marking definitions)
// compare by created, which for them is normally zero, so NewerThan is
// false for them. It does not check that a and b have the same id.
func NewerThan(a, b Object) bool {
	ta, tb := a.Modified, b.Modified
	if ta.IsZero() && tb.IsZero() {
		ta, tb = a.Created, b.Created
	}
	return ta.After(tb)
}

// Parse decodes and validates one STIX 2.1 object. It returns the Object
// when every rule holds, and otherwise an error listing every problem
// found (see the package doc); the Object is then the zero value. raw is
// copied, so the caller may reuse its buffer.
func Parse(raw []byte) (Object, error) {
	return parse(raw, "")
}

func parse(raw []byte, prefix string) (Object, error) {
	field := func(f string) string {
		if prefix == "" {
			return f
		}
		if f == "" {
			return prefix[:len(prefix)-1]
		}
		return prefix + f
	}
	if len(raw) > MaxObjectBytes {
		return Object{}, errs.F(errs.TooLarge, field(""), "object is %d bytes, over the limit of %d", len(raw), MaxObjectBytes)
	}
	raw = bytes.TrimSpace(raw)
	m, err := decodeObject(raw, MaxDepth)
	if err != nil {
		e := err.(*errs.Error)
		e.Field = field("")
		return Object{}, e
	}
	c := checker{prefix: prefix, m: m}
	o := c.validate()
	if err := c.errs.Err(); err != nil {
		return Object{}, err
	}
	o.Raw = bytes.Clone(raw)
	o.Props = m
	if o.Type == "indicator" {
		o.Pattern = c.pattern
	}
	return o, nil
}

// ItemError is a problem with one object of a bundle. Index is its 0-based
// position in "objects" and ID its id when one could be read. Err is the
// validation error, whose fields carry the "objects[i]." prefix.
type ItemError struct {
	Index int
	ID    string
	Err   error
}

func (e ItemError) Error() string {
	if e.ID != "" {
		return fmt.Sprintf("object %d (%s): %v", e.Index, e.ID, e.Err)
	}
	return fmt.Sprintf("object %d: %v", e.Index, e.Err)
}

// Unwrap returns the validation error, so errs.Is and errs.Fields see it.
func (e ItemError) Unwrap() error { return e.Err }

// ParseBundle decodes a STIX 2.1 bundle and validates each of its objects
// on its own. Objects that pass are returned in bundle order; each object
// that fails gives one ItemError and does not stop the others. A problem
// with the bundle itself (not JSON, not a bundle, a bad id, a repeated
// top-level member, nesting deeper than MaxDepth+2, over MaxBundleBytes or
// MaxBundleObjects) is returned as a single ItemError with Index -1, and
// then no objects are returned. A bundle without "type" is accepted when
// its id is a bundle id (see the package doc); other top-level members are
// ignored. Dangling references between objects are not checked.
func ParseBundle(raw []byte) (objs []Object, errList []ItemError) {
	bundleErr := func(e *errs.Error) ([]Object, []ItemError) {
		return nil, []ItemError{{Index: -1, Err: e}}
	}
	if len(raw) > MaxBundleBytes {
		return bundleErr(errs.F(errs.TooLarge, "", "bundle is %d bytes, over the limit of %d", len(raw), MaxBundleBytes))
	}
	b, err := decodeBundle(raw)
	if err != nil {
		e := err.(*errs.Error)
		if e.Code == errs.Malformed && e.Field == "" {
			e.Message = "not a JSON bundle: " + e.Message
		}
		return nil, []ItemError{{Index: -1, Err: e}}
	}
	typ, typOK := b.typ.(string)
	id, idOK := b.id.(string)
	switch {
	case b.hasType && (!typOK || typ != "bundle"):
		return bundleErr(errs.F(errs.Invalid, "type", "%q is not a bundle", truncate(fmt.Sprint(b.typ), 64)))
	case b.id == nil:
		return bundleErr(errs.F(errs.Invalid, "id", "a bundle needs an id"))
	case !idOK:
		return bundleErr(errs.F(errs.Invalid, "id", "must be a string"))
	}
	if t, msg := checkIdentifier(id); msg != "" {
		return bundleErr(errs.F(errs.Invalid, "id", "%s", msg))
	} else if t != "bundle" {
		return bundleErr(errs.F(errs.Invalid, "id", "the id of a bundle must start with \"bundle--\""))
	}
	objs = make([]Object, 0, len(b.objects))
	for i, r := range b.objects {
		o, err := parse(r, fmt.Sprintf("objects[%d].", i))
		if err != nil {
			errList = append(errList, ItemError{Index: i, ID: peekID(r), Err: err})
			continue
		}
		objs = append(objs, o)
	}
	return objs, errList
}

// peekID reads the id of an object that failed validation, for reports.
func peekID(r []byte) string {
	if len(r) > MaxObjectBytes {
		// Avoid decoding a huge object a second time; ids come first in
		// most producers' output, so look near the start only.
		r = r[:4096]
		i := bytes.Index(r, []byte(`"id"`))
		if i < 0 {
			return ""
		}
		rest := bytes.TrimLeft(r[i+4:], " \t\r\n:")
		var s string
		if dec := json.NewDecoder(bytes.NewReader(rest)); dec.Decode(&s) == nil && len(s) <= 300 {
			return s
		}
		return ""
	}
	var v struct {
		ID any `json:"id"`
	}
	if json.Unmarshal(r, &v) != nil {
		return ""
	}
	if s, ok := v.ID.(string); ok && len(s) <= 300 {
		return s
	}
	return ""
}
