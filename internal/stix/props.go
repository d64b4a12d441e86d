package stix

import (
	"encoding/hex"
	"maps"
	"strings"
)

// kind is the JSON shape and meaning of a property.
type kind uint8

const (
	kString     kind = iota
	kBool            // true or false
	kInt             // integer, optionally within [lo, hi]
	kFloat           // any number, optionally within [flo, fhi]
	kTime            // timestamp
	kStrings         // non-empty list of strings
	kRef             // identifier
	kRefs            // non-empty list of identifiers
	kDict            // JSON object
	kObjects         // non-empty list of JSON objects
	kList            // non-empty list of anything
	kHashes          // hashes dictionary
	kKillChain       // kill_chain_phases
	kExtRefs         // external_references
	kGranular        // granular_markings
	kExtensions      // extensions
	kHex             // hex string
	kAny             // anything; checked by the type's own rule
)

// target restricts the types a reference may point to.
type target struct {
	desc string
	ok   func(typ string) bool
}

func only(types ...string) *target {
	m := set(types...)
	return &target{desc: strings.Join(types, " or "), ok: func(t string) bool { return m[t] }}
}

var (
	// toSDO accepts the SDO types and types the specification does not
	// know (custom or extension-defined), which may be SDOs.
	toSDO = &target{desc: "an SDO", ok: func(t string) bool { return sdoTypes[t] || !IsKnownType(t) }}
	toSCO = &target{desc: "an SCO", ok: func(t string) bool { return scoTypes[t] || !IsKnownType(t) }}
	// toSDOorSCO is the rule for relationship source_ref and target_ref.
	toSDOorSCO = &target{desc: "an SDO or SCO", ok: func(t string) bool { return !sroTypes[t] && !metaTypes[t] && t != "bundle" }}
	toObject   = &target{desc: "a STIX object", ok: func(t string) bool { return t != "bundle" }}
)

// prop is the rule for one property.
type prop struct {
	k        kind
	req      bool
	to       *target  // kRef, kRefs
	enum     []string // closed vocabulary for kString, kStrings
	lo, hi   int64    // kInt bounds when hi > lo
	flo, fhi float64  // kFloat bounds when fhi > flo
}

// typeSpec is the rule set of one object type.
type typeSpec struct {
	props    map[string]prop
	required []string
	check    func(c *checker)
}

var specs = map[string]*typeSpec{}

// customSpec checks the common properties that custom objects carry, when
// present, and accepts any other property.
var customSpec = &typeSpec{props: withCommon(sdoCommon, nil)}

var (
	sdoCommon = map[string]prop{
		"type":                {k: kString, req: true},
		"spec_version":        {k: kString, req: true},
		"id":                  {k: kString, req: true},
		"created_by_ref":      {k: kRef, to: only("identity")},
		"created":             {k: kTime, req: true},
		"modified":            {k: kTime, req: true},
		"revoked":             {k: kBool},
		"labels":              {k: kStrings},
		"confidence":          {k: kInt, lo: 0, hi: 100},
		"lang":                {k: kString},
		"external_references": {k: kExtRefs},
		"object_marking_refs": {k: kRefs, to: only("marking-definition")},
		"granular_markings":   {k: kGranular},
		"extensions":          {k: kExtensions},
	}
	scoCommon = map[string]prop{
		"type":                {k: kString, req: true},
		"spec_version":        {k: kString},
		"id":                  {k: kString, req: true},
		"object_marking_refs": {k: kRefs, to: only("marking-definition")},
		"granular_markings":   {k: kGranular},
		"defanged":            {k: kBool},
		"extensions":          {k: kExtensions},
	}
)

// withCommon merges a common property set with a type's own properties.
func withCommon(common, own map[string]prop) map[string]prop {
	m := maps.Clone(common)
	maps.Copy(m, own)
	return m
}

// define registers a type.
func define(typ string, common, own map[string]prop, check func(*checker)) {
	ts := &typeSpec{props: withCommon(common, own), check: check}
	for k, p := range ts.props {
		if p.req {
			ts.required = append(ts.required, k)
		}
	}
	specs[typ] = ts
}

// Well-known hash algorithms (hashing-algorithm-ov) with their hex length,
// keyed by their vocabulary spelling.
var hashHexLen = map[string]int{
	"MD5": 32, "SHA-1": 40, "SHA-224": 56, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128,
	"SHA3-224": 56, "SHA3-256": 64, "SHA3-384": 96, "SHA3-512": 128,
}

// checkProp checks value v of property name against rule p.
func (c *checker) checkProp(name string, p prop, v any) {
	switch p.k {
	case kString:
		s, ok := v.(string)
		if !ok {
			c.bad(name, "must be a string")
		} else if p.enum != nil && !contains(p.enum, s) {
			c.bad(name, "%q is not one of %s", truncate(s, 64), strings.Join(p.enum, ", "))
		} else if name == "lang" && !validLang(s) {
			c.bad(name, "%q is not an RFC 5646 language tag", truncate(s, 64))
		}
	case kBool:
		if _, ok := v.(bool); !ok {
			c.bad(name, "must be true or false")
		}
	case kInt:
		i, ok := asInt(v)
		if !ok {
			c.bad(name, "must be an integer")
		} else if p.hi > p.lo && (i < p.lo || i > p.hi) {
			c.bad(name, "%d is outside %d..%d", i, p.lo, p.hi)
		}
	case kFloat:
		f, ok := asFloat(v)
		if !ok {
			c.bad(name, "must be a number")
		} else if p.fhi > p.flo && (f < p.flo || f > p.fhi) {
			c.bad(name, "%v is outside %v..%v", f, p.flo, p.fhi)
		}
	case kTime:
		s, ok := v.(string)
		if !ok {
			c.bad(name, "must be a timestamp string")
		} else if _, ok := ParseTimestamp(s); !ok {
			c.bad(name, "%q is not a timestamp of the form YYYY-MM-DDTHH:MM:SS[.s+]Z", truncate(s, 64))
		}
	case kStrings:
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			c.bad(name, "must be a non-empty list of strings")
			return
		}
		for i, x := range l {
			s, ok := x.(string)
			if !ok {
				c.bad(indexPath(name, i), "must be a string")
			} else if p.enum != nil && !contains(p.enum, s) {
				c.bad(indexPath(name, i), "%q is not one of %s", truncate(s, 64), strings.Join(p.enum, ", "))
			}
		}
	case kRef:
		c.ref(name, v, p.to)
	case kRefs:
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			c.bad(name, "must be a non-empty list of identifiers")
			return
		}
		for i, x := range l {
			if s, ok := x.(string); ok && c.refOK(s, p.to) {
				continue
			}
			c.ref(indexPath(name, i), x, p.to)
		}
	case kDict:
		if _, ok := v.(map[string]any); !ok {
			c.bad(name, "must be a JSON object")
		}
	case kObjects:
		l, ok := v.([]any)
		if !ok || len(l) == 0 {
			c.bad(name, "must be a non-empty list of JSON objects")
			return
		}
		for i, x := range l {
			if _, ok := x.(map[string]any); !ok {
				c.bad(indexPath(name, i), "must be a JSON object")
			}
		}
	case kList:
		if l, ok := v.([]any); !ok || len(l) == 0 {
			c.bad(name, "must be a non-empty list")
		}
	case kHashes:
		c.hashes(name, v)
	case kKillChain:
		c.killChain(name, v)
	case kExtRefs:
		c.extRefs(name, v)
	case kGranular:
		c.granular(name, v)
	case kExtensions:
		c.extensions(name, v)
	case kHex:
		s, ok := v.(string)
		if _, err := hex.DecodeString(s); !ok || err != nil {
			c.bad(name, "must be a string of hex digits")
		}
	}
}

// ref checks that v is an identifier of a type allowed by to (nil: any).
func (c *checker) ref(name string, v any, to *target) {
	s, ok := v.(string)
	if !ok {
		c.bad(name, "must be an identifier")
		return
	}
	t, msg := checkIdentifier(s)
	if msg != "" {
		c.bad(name, "%q %s", truncate(s, 100), msg)
		return
	}
	if to != nil && !to.ok(t) {
		c.bad(name, "must refer to %s, not %s", to.desc, t)
	}
}

// refOK reports whether s is an identifier of a type allowed by to,
// without building any message.
func (c *checker) refOK(s string, to *target) bool {
	t, msg := checkIdentifier(s)
	return msg == "" && (to == nil || to.ok(t))
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// validLang checks the shape of an RFC 5646 tag: alphanumeric subtags of
// 1–8 characters separated by hyphens, the first alphabetic.
func validLang(s string) bool {
	if s == "" || len(s) > 100 {
		return false
	}
	for i, sub := range strings.Split(s, "-") {
		if len(sub) < 1 || len(sub) > 8 {
			return false
		}
		for j := 0; j < len(sub); j++ {
			ch := sub[j] | 0x20
			alpha := ch >= 'a' && ch <= 'z'
			if !alpha && (i == 0 || sub[j] < '0' || sub[j] > '9') {
				return false
			}
		}
	}
	return true
}
