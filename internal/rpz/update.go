package rpz

import (
	"maps"
	"slices"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Update returns the zone Build would give after a change to the
// indicators, computed from the zone before it: only the names in changed
// (every name the changed indicators had before or have now) are looked
// at again, with cands giving the indicators that now have a name. The
// allowlist and the feed must be the same as old's. It copies old's maps
// (they stay as they are for their readers) and returns the delta.
func Update(f Feed, m policy.Member, old Zone, changed []string, cands func(name string) []Indicator, allow []Allow) (Zone, Delta) {
	z := Zone{Origin: old.Origin, Records: maps.Clone(old.Records), Source: maps.Clone(old.Source)}
	if z.Records == nil {
		z.Records, z.Source = map[string]string{}, map[string]string{}
	}
	allowed := map[string]bool{}
	for _, a := range allow {
		n := strings.TrimSuffix(strings.ToLower(a.Name), ".")
		if CheckName(n) && fits(n, f.Zone, true) {
			allowed[n] = true
		}
	}
	target := f.Action.Target(f.WarnHost)
	var d Delta
	set := func(key, t, src string, ok bool) {
		ot, had := old.Records[key]
		switch {
		case ok && (!had || ot != t):
			if had {
				d.Deleted = append(d.Deleted, Record{key, ot})
			}
			d.Added = append(d.Added, Record{key, t})
		case !ok && had:
			d.Deleted = append(d.Deleted, Record{key, ot})
		}
		if ok {
			z.Records[key], z.Source[key] = t, src
		} else {
			delete(z.Records, key)
			delete(z.Source, key)
		}
	}
	seen := map[string]bool{}
	for _, n := range changed {
		if seen[n] || allowed[n] {
			continue
		}
		seen[n] = true
		plain, wild := "", ""
		if CheckName(n) && !underAllowed(n, allowed) {
			ins := cands(n)
			slices.SortFunc(ins, func(a, b Indicator) int { return strings.Compare(a.ID, b.ID) })
			for _, in := range ins {
				if !f.Takes(m, in) || !fits(n, f.Zone, in.Wildcard) || !takesName(f, in, n) {
					continue
				}
				if plain == "" {
					plain = in.ID
				}
				if in.Wildcard && wild == "" {
					wild = in.ID
				}
				if plain != "" && wild != "" {
					break
				}
			}
		}
		set(n, target, plain, plain != "")
		set("*."+n, target, wild, wild != "")
	}
	byOwner := func(a, b Record) int { return strings.Compare(a.Owner, b.Owner) }
	slices.SortFunc(d.Deleted, byOwner)
	slices.SortFunc(d.Added, byOwner)
	return z, d
}

// takesName reports whether the feed takes name from in: among its
// domains or its URL hosts, as the feed's kinds say.
func takesName(f Feed, in Indicator, name string) bool {
	return slices.Contains(f.Kinds, KindDomain) && slices.Contains(in.Domains, name) ||
		slices.Contains(f.Kinds, KindURLHost) && slices.Contains(in.URLHosts, name)
}

// Names returns every name an indicator lists (domains and URL hosts).
func (in Indicator) Names() []string {
	return append(slices.Clone(in.Domains), in.URLHosts...)
}
