package convert

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// galaxyType maps a MISP galaxy type to a STIX SDO type.
func galaxyType(t string) string {
	for _, p := range []string{"mitre-enterprise-attack-", "mitre-mobile-attack-", "mitre-pre-attack-", "mitre-ics-", "mitre-"} {
		t = strings.TrimPrefix(t, p)
	}
	switch t {
	case "threat-actor", "microsoft-activity-group":
		return "threat-actor"
	case "intrusion-set":
		return "intrusion-set"
	case "malware", "ransomware", "banker", "rat", "botnet", "stealer", "backdoor", "android", "malpedia":
		return "malware"
	case "tool", "exploit-kit":
		return "tool"
	case "attack-pattern":
		return "attack-pattern"
	case "course-of-action":
		return "course-of-action"
	}
	return ""
}

// cluster converts a galaxy cluster to its SDO, emitted once per event,
// and "indicates" relationships from the targets.
func (x *eventCtx) cluster(g *mispGalaxy, cl *mispCluster, targets []string) ([]any, error) {
	gt := string(cl.Type)
	if gt == "" {
		gt = string(g.Type)
	}
	st := galaxyType(gt)
	if st == "" {
		return nil, errs.F(errs.Invalid, "type", "unsupported galaxy type")
	}
	name := strings.TrimSpace(string(cl.Value))
	if name == "" {
		return nil, errs.F(errs.Invalid, "value", "galaxy cluster has no value")
	}
	uuid, ok := normUUID(string(cl.UUID))
	if !ok {
		// Exports without cluster uuids: derive one from the galaxy and value.
		coll, _ := normUUID(string(cl.Collection))
		uuid = uuid5("misp-galaxy-cluster", coll, gt, name)
	}
	id := st + "--" + uuid
	var out []any
	if !x.idents[id] {
		x.idents[id] = true
		o := namedObj{common: newCommon(st, uuid, x.ts, x.ts, "", x.markings), Name: name, Description: string(cl.Description)}
		if st == "malware" {
			t := true
			o.IsFamily = &t
		}
		if syn, ok := cl.Meta["synonyms"]; ok {
			var s []string
			if json.Unmarshal(syn, &s) == nil {
				o.Aliases = s
			}
		}
		if st == "course-of-action" {
			o.Aliases = nil // the one of these types without aliases
		}
		out = append(out, &o)
		x.refs = append(x.refs, id)
	}
	if st == "course-of-action" {
		return out, nil
	}
	for _, t := range targets {
		rid := "relationship--" + uuid5(t, "indicates", id)
		if x.idents[rid] {
			continue
		}
		x.idents[rid] = true
		r := relationshipObj{common: newCommon("relationship", "", x.ts, x.ts, x.by, x.markings), RelType: "indicates", Source: t, Target: id}
		r.ID = rid
		out = append(out, &r)
		x.refs = append(x.refs, rid)
	}
	return out, nil
}

// galaxies converts event-level galaxies, one Record per cluster.
func (c *mispConv) galaxies(x *eventCtx, gals []mispGalaxy, path string, targets []string) error {
	for gi := range gals {
		g := &gals[gi]
		for ci := range g.Clusters {
			c.n++
			c.rep.Read++
			objs, err := x.cluster(g, &g.Clusters[ci], targets)
			if err != nil {
				err = prefixField(err, fmt.Sprintf("%s[%d].GalaxyCluster[%d]", path, gi, ci))
			}
			if err := c.result(objs, err); err != nil {
				return err
			}
		}
	}
	return nil
}

// sightings groups the event's sightings (on attributes and at event level)
// by attribute and organisation, one Record per group.
func (c *mispConv) sightings(x *eventCtx, ev *mispEvent, path string) error {
	type key struct{ attr, org string }
	type group struct {
		n           int
		first, last string
		org         *mispOrg
		bad         error
	}
	groups := map[key]*group{}
	var order []key
	add := func(attr string, s *mispSighting, p string) {
		org := ""
		if s.Org != nil {
			org, _ = normUUID(string(s.Org.UUID))
		}
		k := key{attr, org}
		g := groups[k]
		if g == nil {
			g = &group{org: s.Org}
			groups[k] = g
			order = append(order, k)
		}
		t, ok := epoch(s.DateSighting)
		switch {
		case s.Type != "" && s.Type != "0":
			if g.bad == nil {
				g.bad = errs.F(errs.Invalid, p+".type", "false-positive and expiration sightings are not converted")
			}
			return
		case !ok:
			if g.bad == nil {
				g.bad = errs.F(errs.Invalid, p+".date_sighting", "sighting has no valid date")
			}
			return
		}
		g.n++
		if g.first == "" || t < g.first {
			g.first = t
		}
		if t > g.last {
			g.last = t
		}
	}
	for i := range ev.Attrs {
		u, _ := normUUID(string(ev.Attrs[i].UUID))
		for j := range ev.Attrs[i].Sightings {
			add(u, &ev.Attrs[i].Sightings[j], fmt.Sprintf("%s[%d].Sighting[%d]", join(path, "Attribute"), i, j))
		}
	}
	for j := range ev.Sightings {
		u, _ := normUUID(string(ev.Sightings[j].AttributeUUID))
		add(u, &ev.Sightings[j], fmt.Sprintf("%s[%d]", join(path, "Sighting"), j))
	}
	for _, k := range order {
		g := groups[k]
		c.n++
		c.rep.Read++
		target := x.objOf[k.attr]
		var err error
		var objs []any
		switch {
		case g.n == 0 && g.bad != nil:
			err = g.bad
		case target == "":
			err = errs.F(errs.Invalid, join(path, "Sighting"), "sighting of an attribute that was not converted")
		default:
			s := sightingObj{common: newCommon("sighting", uuid5(k.attr, k.org), g.last, g.last, x.by, x.markings),
				SightingOf: target, Count: g.n, FirstSeen: g.first, LastSeen: g.last}
			if k.org != "" {
				oid := "identity--" + k.org
				s.WhereSighted = []string{oid}
				if !x.idents[oid] {
					x.idents[oid] = true
					name := string(g.org.Name)
					if name == "" {
						name = k.org
					}
					objs = append(objs, &identityObj{common: newCommon("identity", k.org, g.last, g.last, "", nil), Name: name, IdentityClass: "organization"})
					x.refs = append(x.refs, oid)
				}
			}
			objs = append(objs, &s)
			x.refs = append(x.refs, s.ID)
		}
		if err := c.result(objs, err); err != nil {
			return err
		}
	}
	return nil
}
