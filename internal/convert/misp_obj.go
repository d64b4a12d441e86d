package convert

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// scoObj renders an SCO spec with its final id and the resolved refs.
func scoObj(s scoSpec, id string, ids []string, markings []string) map[string]any {
	o := map[string]any{"type": s.typ, "spec_version": "2.1", "id": id}
	for k, v := range s.props {
		o[k] = v
	}
	for k, idx := range s.refs {
		var refs []string
		for _, i := range idx {
			refs = append(refs, ids[i])
		}
		if strings.HasSuffix(k, "_refs") {
			o[k] = refs
		} else if len(refs) > 0 {
			o[k] = refs[0]
		}
	}
	if len(markings) > 0 {
		o["object_marking_refs"] = markings
	}
	return o
}

// scoIDs gives the SCOs of an attribute or object their ids: the first
// <type>--<uuid>, the others UUIDv5(uuid, index).
func scoIDs(scos []scoSpec, uuid string) []string {
	ids := make([]string, len(scos))
	for i, s := range scos {
		if i == 0 {
			ids[i] = s.typ + "--" + uuid
		} else {
			ids[i] = s.typ + "--" + uuid5(uuid, strconv.Itoa(i))
		}
	}
	return ids
}

// times returns created/modified and the first/last seen of an attribute.
func (x *eventCtx) times(a *mispAttr) (mod, first, last string) {
	mod = x.ts
	if t, ok := epoch(a.Timestamp); ok {
		mod = t
	}
	first = mod
	if t, ok := seen(a.FirstSeen); ok {
		first = t
	}
	last = ""
	if t, ok := seen(a.LastSeen); ok && t > first {
		last = t
	}
	return mod, first, last
}

// build makes the indicator or observed-data (with SCOs) for an observation.
func (x *eventCtx) build(uuid string, ob obsv, toIDs bool, name, desc string, tags []mispTag, mod, first, last string) ([]any, error) {
	labels, marks := splitTags(tags)
	if len(marks) == 0 {
		marks = x.markings
	}
	if toIDs {
		ind := indicatorObj{
			common:      newCommon("indicator", uuid, mod, mod, x.by, marks),
			Name:        name,
			Description: desc,
			Pattern:     ob.pattern(),
			PatternType: "stix",
			PatternVer:  "2.1",
			ValidFrom:   first,
			ValidUntil:  last,
		}
		ind.Labels = labels
		x.refs = append(x.refs, ind.ID)
		x.inds = append(x.inds, ind.ID)
		return []any{&ind}, nil
	}
	if len(ob.scos) == 0 {
		return nil, errs.F(errs.Invalid, "to_ids", "no STIX observable for this type; only an indicator (to_ids true) is possible")
	}
	ids := scoIDs(ob.scos, uuid)
	od := observedObj{
		common:         newCommon("observed-data", uuid, mod, mod, x.by, marks),
		FirstObserved:  first,
		LastObserved:   first,
		NumberObserved: 1,
		ObjectRefs:     ids,
	}
	if last != "" {
		od.LastObserved = last
	}
	od.Labels = labels
	out := []any{&od}
	for i, s := range ob.scos {
		out = append(out, scoObj(s, ids[i], ids, marks))
	}
	x.refs = append(x.refs, od.ID)
	x.refs = append(x.refs, ids...)
	return out, nil
}

// attribute converts one stand-alone attribute.
func (c *mispConv) attribute(x *eventCtx, a *mispAttr, path string) ([]any, error) {
	uuid, ok := normUUID(string(a.UUID))
	if !ok {
		return nil, errs.F(errs.Invalid, path+".uuid", "attribute has no valid uuid")
	}
	mod, first, last := x.times(a)
	typ, val := string(a.Type), string(a.Value)
	var err error
	if typ == "vulnerability" {
		v := strings.TrimSpace(val)
		if v == "" {
			return nil, errs.F(errs.Invalid, path+".value", "empty value")
		}
		vu := namedObj{common: newCommon("vulnerability", uuid, mod, mod, x.by, x.markings), Name: v, Description: string(a.Comment)}
		if strings.HasPrefix(strings.ToUpper(v), "CVE-") {
			vu.ExtRefs = []extRef{{SourceName: "cve", ExternalID: strings.ToUpper(v)}}
		}
		x.refs = append(x.refs, vu.ID)
		return []any{&vu}, nil
	}
	var ob obsv
	if typ == "stix2-pattern" {
		if _, err := pattern.Parse(val); err != nil {
			return nil, errs.F(errs.Invalid, path+".value", "invalid STIX pattern")
		}
		if !a.ToIDs.bool() {
			return nil, errs.F(errs.Invalid, path+".to_ids", "no STIX observable for this type; only an indicator (to_ids true) is possible")
		}
		ob.raw = val
	} else if ob, err = mapAttr(typ, val); err != nil {
		return nil, prefixField(err, path)
	}
	out, err := x.build(uuid, ob, a.ToIDs.bool(), typ+": "+val, string(a.Comment), a.Tags, mod, first, last)
	if err != nil {
		return nil, prefixField(err, path)
	}
	x.objOf[uuid] = out[0].(interface{ id() string }).id()
	var targets []string // observed-data gets the SDOs without relationships
	if a.ToIDs.bool() {
		targets = []string{"indicator--" + uuid}
	}
	if len(a.Galaxies) > 0 {
		for gi, g := range a.Galaxies {
			for ci := range g.Clusters {
				objs, err := x.cluster(&g, &g.Clusters[ci], targets)
				if err != nil {
					return nil, prefixField(err, fmt.Sprintf("%s.Galaxy[%d].GalaxyCluster[%d]", path, gi, ci))
				}
				out = append(out, objs...)
			}
		}
	}
	return out, nil
}

func (c common) id() string { return c.ID }

// prefixField puts path before the field of an *errs.Error.
func prefixField(err error, path string) error {
	if ke, ok := err.(*errs.Error); ok {
		e := *ke
		e.Field = join(path, e.Field)
		return &e
	}
	return err
}

// objectAttr maps an attribute of a MISP object by the object's name and
// the attribute's relation; ok false leaves the attribute out.
func objectAttr(obj string, a *mispAttr, hasDomain bool) (obsv, bool, error) {
	rel, typ, v := string(a.Relation), string(a.Type), string(a.Value)
	algo := hashNames[typ]
	switch {
	case obj == "pe-section":
		const p = "extensions.'windows-pebinary-ext'.sections[*]."
		switch {
		case algo != "":
			h, err := checkHash(algo, v)
			return obsv{comps: []cmp{{"file", p + "hashes." + quote(algo), h}}}, true, err
		case rel == "name":
			return obsv{comps: []cmp{{"file", p + "name", v}}}, true, nil
		}
		return obsv{}, false, nil
	case obj == "pe":
		switch rel {
		case "number-sections":
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return obsv{}, true, errs.F(errs.Invalid, "value", "invalid number of sections")
			}
			return obsv{comps: []cmp{{"file", "extensions.'windows-pebinary-ext'.number_of_sections", n}}}, true, nil
		case "imphash":
			h, err := checkHash("MD5", v)
			return obsv{comps: []cmp{{"file", "extensions.'windows-pebinary-ext'.imphash", h}}}, true, err
		}
		return obsv{}, false, nil
	case obj == "domain-ip" && hasDomain && (typ == "ip-dst" || typ == "ip-src"):
		t, n, err := ipObs(v)
		return obsv{comps: []cmp{{"domain-name", "resolves_to_refs[*].value", n}}, scos: []scoSpec{sco(t, "value", n)}}, true, err
	case obj == "ip-port":
		switch {
		case typ == "ip-dst" || typ == "ip-src":
			side := strings.TrimPrefix(typ, "ip-")
			t, n, err := ipObs(v)
			return obsv{comps: []cmp{{"network-traffic", side + "_ref.value", n}}, scos: []scoSpec{sco(t, "value", n)}}, true, err
		case rel == "dst-port" || rel == "src-port":
			p, err := port(v)
			return obsv{comps: []cmp{{"network-traffic", rel[:3] + "_port", p}}, scos: []scoSpec{sco("network-traffic", "protocols", []string{"tcp"}, rel[:3]+"_port", p)}}, true, err
		}
	case rel == "size-in-bytes" && obj == "file":
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return obsv{}, true, errs.F(errs.Invalid, "value", "invalid size")
		}
		return obsv{comps: []cmp{{"file", "size", n}}, scos: []scoSpec{sco("file", "size", n)}}, true, nil
	case (rel == "mimetype" || typ == "mime-type") && obj == "file":
		return obsv{comps: []cmp{{"file", "mime_type", v}}, scos: []scoSpec{sco("file", "mime_type", v)}}, true, nil
	}
	switch typ {
	case "text", "datetime", "counter", "float", "link", "comment", "other", "size-in-bytes", "boolean", "attachment", "mime-type":
		return obsv{}, false, nil
	}
	ob, err := mapAttr(typ, v)
	return ob, true, err
}

// object converts one MISP object.
func (c *mispConv) object(x *eventCtx, o *mispObject, path string) ([]any, error) {
	uuid, ok := normUUID(string(o.UUID))
	if !ok {
		return nil, errs.F(errs.Invalid, path+".uuid", "object has no valid uuid")
	}
	hasDomain := false
	for _, a := range o.Attrs {
		if a.Type == "domain" || a.Type == "hostname" {
			hasDomain = true
		}
	}
	var all obsv
	toIDs := false
	var tags []mispTag
	var text []string
	var fa mispAttr
	fa.Timestamp = o.Timestamp
	for i := range o.Attrs {
		a := &o.Attrs[i]
		if a.Deleted.bool() {
			continue
		}
		ob, ok, err := objectAttr(string(o.Name), a, hasDomain)
		if err != nil {
			return nil, prefixField(err, fmt.Sprintf("%s.Attribute[%d]", path, i))
		}
		if !ok {
			text = append(text, string(a.Relation)+": "+string(a.Value))
			continue
		}
		base := len(all.scos)
		for _, s := range ob.scos {
			for k, idx := range s.refs {
				for j := range idx {
					idx[j] += base
				}
				s.refs[k] = idx
			}
		}
		all.comps = append(all.comps, ob.comps...)
		all.scos = append(all.scos, ob.scos...)
		toIDs = toIDs || a.ToIDs.bool()
		tags = append(tags, a.Tags...)
		if a.FirstSeen != "" {
			fa.FirstSeen = a.FirstSeen
		}
		if a.LastSeen != "" {
			fa.LastSeen = a.LastSeen
		}
	}
	mod, first, last := x.times(&fa)
	if len(all.comps) == 0 || (!toIDs && len(all.scos) == 0) {
		n := noteObj{common: newCommon("note", uuid, mod, mod, x.by, x.markings), Abstract: "MISP object " + string(o.Name),
			Content: strings.Join(text, "\n"), ObjectRefs: []string{x.report}}
		if n.Content == "" {
			n.Content = string(o.Name)
		}
		x.refs = append(x.refs, n.ID)
		return []any{&n}, nil
	}
	all.scos = mergeSCOs(all.scos, string(o.Name))
	out, err := x.build(uuid, all, toIDs, "MISP object "+string(o.Name), string(o.Comment), tags, mod, first, last)
	if err != nil {
		return nil, prefixField(err, path)
	}
	id := out[0].(interface{ id() string }).id()
	for _, a := range o.Attrs {
		if u, ok := normUUID(string(a.UUID)); ok {
			x.objOf[u] = id
		}
	}
	return out, nil
}

// mergeSCOs merges SCOs of the same type into the first of that type
// (addresses excepted, and domain names outside domain-ip objects), then
// drops the merged ones and renumbers the refs.
func mergeSCOs(scos []scoSpec, obj string) []scoSpec {
	first := map[string]int{}
	target := make([]int, len(scos))
	for i, s := range scos {
		target[i] = i
		switch s.typ {
		case "ipv4-addr", "ipv6-addr", "email-addr", "url":
			continue
		case "domain-name":
			if obj != "domain-ip" {
				continue
			}
		}
		if j, ok := first[s.typ]; ok {
			target[i] = j
			for k, v := range s.props {
				if h, ok := v.(map[string]string); ok {
					if old, ok := scos[j].props[k].(map[string]string); ok {
						for hk, hv := range h {
							old[hk] = hv
						}
						continue
					}
				}
				scos[j].props[k] = v
			}
			for k, idx := range s.refs {
				scos[j] = scos[j].ref(k, idx...)
			}
		} else {
			first[s.typ] = i
		}
	}
	// domain-ip: the domain resolves to every address.
	if d, ok := first["domain-name"]; ok && obj == "domain-ip" {
		for i, s := range scos {
			if s.typ == "ipv4-addr" || s.typ == "ipv6-addr" {
				if !containsInt(scos[d].refs["resolves_to_refs"], i) {
					scos[d] = scos[d].ref("resolves_to_refs", i)
				}
			}
		}
	}
	newIdx := make([]int, len(scos))
	var out []scoSpec
	for i, s := range scos {
		if target[i] == i {
			newIdx[i] = len(out)
			out = append(out, s)
		}
	}
	for i := range scos {
		newIdx[i] = newIdx[target[i]]
	}
	for _, s := range out {
		for k, idx := range s.refs {
			var n []int
			for _, j := range idx {
				if !containsInt(n, newIdx[j]) {
					n = append(n, newIdx[j])
				}
			}
			s.refs[k] = n
		}
	}
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
