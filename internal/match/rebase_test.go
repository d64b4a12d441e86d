package match

import (
	"slices"
	"testing"
)

// TestRebase: a rebased Set answers every look-up as a Set built afresh
// from the kept entries under their new refs plus the added ones would.
func TestRebase(t *testing.T) {
	es, ps := mixed(20_000)
	// Shared values: a second indicator on some values, and one value of
	// each kind on three indicators.
	for i := 0; i < 2000; i += 7 {
		e := es[i]
		e.Ref = int32(len(es))
		es = append(es, e)
	}
	old := Build(es)
	n := int32(len(es))
	// Keep two refs in three, in reverse order; drop the rest.
	remap := make([]int32, n)
	var kept []Entry
	next := int32(0)
	for ref := n - 1; ref >= 0; ref-- {
		remap[ref] = -1
		if ref%3 != 0 {
			remap[ref] = next
			next++
		}
	}
	for _, e := range es {
		if r := remap[e.Ref]; r >= 0 {
			e.Ref = r
			kept = append(kept, e)
		}
	}
	added := []Entry{
		{IP, "192.0.2.0/24", next}, {IP, "2001:db8:ffff::/48", next}, {Domain, "new.example", next + 1},
		{Hash, "AAAA", next + 1}, {UserAgent, "NewBot/2", next + 2},
		es[1], es[2], // values the old Set holds, now also on other refs
	}
	added[5].Ref, added[6].Ref = next+3, next+4
	got := Rebase(old, remap, added)
	want := Build(append(kept, added...))
	if got.Len() != want.Len() {
		t.Errorf("Len = %d, want %d", got.Len(), want.Len())
	}
	probes := append(ps, probe{IP, "192.0.2.9"}, probe{IP, "2001:db8:ffff::1"}, probe{Domain, "a.new.example"},
		probe{Hash, "aaaa"}, probe{UserAgent, "NewBot/2"})
	for _, e := range es {
		v := e.Value
		if e.Kind == IP {
			p, _ := parsePrefix(v)
			v = p.Addr().String()
		}
		probes = append(probes, probe{e.Kind, v})
	}
	hits := 0
	for _, p := range probes {
		g, w := refs(got.Lookup(nil, p.k, p.v)), refs(want.Lookup(nil, p.k, p.v))
		slices.Sort(g)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Fatalf("Lookup(%s, %q) = %v, want %v", p.k, p.v, g, w)
		}
		hits += len(g)
	}
	if hits < len(kept) {
		t.Errorf("only %d hits for %d kept entries", hits, len(kept))
	}
	// The old Set is untouched, and a nil remap drops everything.
	if old.Len() != Build(es).Len() || len(old.Lookup(nil, es[3].Kind, probes[len(ps)+5+3].v)) == 0 {
		t.Error("the old Set changed")
	}
	if s := Rebase(old, nil, nil); s.Len() != 0 || len(s.Lookup(nil, es[0].Kind, probes[len(ps)+5].v)) != 0 || len(s.v4) != 0 {
		t.Errorf("nil remap kept %d entries", s.Len())
	}
}
