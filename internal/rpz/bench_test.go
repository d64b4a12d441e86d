package rpz

import (
	"fmt"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/policy"
)

// BenchmarkPolicy1M builds the resolver's policy from a 1,000,000-rule
// zone (the zone map already built), and looks names up in it.
func BenchmarkPolicy1M(b *testing.B) {
	z := Zone{Origin: "rpz.bench.", Records: make(map[string]string, 1_000_000), Source: map[string]string{}}
	for i := range 1_000_000 {
		n := fmt.Sprintf("b%07d.phish%d.example", i, i%97)
		z.Records[n], z.Source[n] = ".", fmt.Sprintf("indicator--%036d", i/3)
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			p := NewPolicy(len(z.Records))
			p.Add(z)
		}
	})
	p := NewPolicy(len(z.Records))
	p.Add(z)
	b.Run("lookup", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p.Lookup(fmt.Sprintf("www.b%07d.phish%d.example.", i%2_000_000, i%97))
			i++
		}
	})
}

// BenchmarkBuild1M computes one subscriber's zone from 1,000,000
// indicators (the visibility decision for each) and diffs it against the
// previous zone with one name changed: the engine's work per zone when
// the intelligence changes.
func BenchmarkBuild1M(b *testing.B) {
	inds := make([]Indicator, 1_000_000)
	for i := range inds {
		inds[i] = Indicator{ID: fmt.Sprintf("indicator--%036d", i), Score: 80, Domains: []string{fmt.Sprintf("b%07d.phish%d.example", i, i%97)},
			Dist: policy.Distribution{TLP: policy.Green, AuthorOrg: "org-author"}}
	}
	f := Feed{Zone: "rpz.bench.", MinScore: 50, Kinds: []string{KindDomain}, Action: NXDomain}
	m := Subscriber{ID: "s", OrgID: "org-isp"}.Member([]string{"comm"})
	old := Build(f, m, inds, nil)
	inds[0].Domains = []string{"changed.example"}
	for b.Loop() {
		z := Build(f, m, inds, nil)
		if d := Diff(old.Records, z.Records); len(d.Added) != 1 {
			b.Fatal(len(d.Added))
		}
	}
}

// BenchmarkUpdate1M is BenchmarkBuild1M's change made with Update: the
// engine's work per zone when a few indicators change.
func BenchmarkUpdate1M(b *testing.B) {
	inds := make([]Indicator, 1_000_000)
	for i := range inds {
		inds[i] = Indicator{ID: fmt.Sprintf("indicator--%036d", i), Score: 80, Domains: []string{fmt.Sprintf("b%07d.phish%d.example", i, i%97)},
			Dist: policy.Distribution{TLP: policy.Green, AuthorOrg: "org-author"}}
	}
	f := Feed{Zone: "rpz.bench.", MinScore: 50, Kinds: []string{KindDomain}, Action: NXDomain}
	m := Subscriber{ID: "s", OrgID: "org-isp"}.Member([]string{"comm"})
	old := Build(f, m, inds, nil)
	changed := append(inds[0].Domains, "changed.example")
	inds[0].Domains = []string{"changed.example"}
	cands := func(n string) []Indicator {
		if n == "changed.example" {
			return []Indicator{inds[0]}
		}
		return nil
	}
	for b.Loop() {
		if _, d := Update(f, m, old, changed, cands, nil); len(d.Added) != 1 || len(d.Deleted) != 1 {
			b.Fatal(d)
		}
	}
}
