package stix

import (
	"slices"
	"strings"
)

// Refs returns every identifier that o refers to through a property whose
// name ends in _ref or _refs, at any depth (granular_markings[].marking_ref
// and extension properties included), once each, in a deterministic order:
// properties by name, list members in order. The STIX 2.0 style local
// references inside observed-data "objects" are not identifiers and are
// left out. Whether the referenced objects exist is not known here.
func Refs(o Object) []string {
	var out []string
	seen := map[string]bool{}
	add := func(v any) {
		s, ok := v.(string)
		if !ok || seen[s] {
			return
		}
		if _, msg := checkIdentifier(s); msg == "" {
			seen[s] = true
			out = append(out, s)
		}
	}
	var walk func(m map[string]any)
	var walkAny func(v any)
	walkAny = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			walk(v)
		case []any:
			for _, x := range v {
				walkAny(x)
			}
		}
	}
	walk = func(m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			v := m[k]
			switch {
			case strings.HasSuffix(k, "_ref"):
				add(v)
			case strings.HasSuffix(k, "_refs"):
				if l, ok := v.([]any); ok {
					for _, x := range l {
						add(x)
					}
				}
			default:
				walkAny(v)
			}
		}
	}
	top := o.Props
	if o.Type == "observed-data" {
		if _, ok := top["objects"]; ok {
			top = make(map[string]any, len(o.Props))
			for k, v := range o.Props {
				if k != "objects" {
					top[k] = v
				}
			}
		}
	}
	walk(top)
	return out
}
