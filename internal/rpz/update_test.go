package rpz

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/policy"
)

// TestUpdateMatchesBuild changes random indicators among random zones and
// checks that Update gives exactly what Build gives from scratch, and a
// delta that is the difference of the two.
func TestUpdateMatchesBuild(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	names := []string{"a.example", "b.example", "x.a.example", "c.example", "shop.example", "www.shop.example", "d.example"}
	tlps := []policy.TLP{policy.Clear, policy.Green, policy.Amber}
	random := func(id int) Indicator {
		in := Indicator{ID: fmt.Sprintf("indicator--%03d", id), Score: float64(r.IntN(100)), Wildcard: r.IntN(3) == 0,
			Dist: policy.Distribution{TLP: tlps[r.IntN(len(tlps))], Orgs: []string{"org-isp"}[:r.IntN(2)]}}
		for range 1 + r.IntN(2) {
			in.Domains = append(in.Domains, names[r.IntN(len(names))])
		}
		if r.IntN(2) == 0 {
			in.URLHosts = append(in.URLHosts, names[r.IntN(len(names))])
		}
		return in
	}
	m := Subscriber{ID: "s", OrgID: "org-isp"}.Member(nil)
	for round := range 300 {
		f := Feed{Zone: "rpz.test.", MinScore: 30, Action: NXDomain, Kinds: [][]string{{KindDomain}, {KindURLHost}, {KindDomain, KindURLHost}}[r.IntN(3)]}
		var allow []Allow
		if r.IntN(3) == 0 {
			allow = []Allow{{Name: names[r.IntN(len(names))]}}
		}
		inds := map[string]Indicator{}
		for i := range 8 {
			in := random(i)
			inds[in.ID] = in
		}
		list := func() []Indicator {
			out := slices.Collect(func(yield func(Indicator) bool) {
				for _, in := range inds {
					if !yield(in) {
						return
					}
				}
			})
			slices.SortFunc(out, func(a, b Indicator) int {
				if a.ID < b.ID {
					return -1
				}
				return 1
			})
			return out
		}
		before := Build(f, m, list(), allow)
		var changed []string
		for range 1 + r.IntN(3) {
			id := fmt.Sprintf("indicator--%03d", r.IntN(10))
			if old, ok := inds[id]; ok {
				changed = append(changed, old.Names()...)
			}
			if r.IntN(4) == 0 {
				delete(inds, id)
				continue
			}
			in := random(0)
			in.ID = id
			inds[id] = in
			changed = append(changed, in.Names()...)
		}
		cands := func(n string) []Indicator {
			var out []Indicator
			for _, in := range inds {
				if slices.Contains(in.Names(), n) {
					out = append(out, in)
				}
			}
			return out
		}
		got, d := Update(f, m, before, changed, cands, allow)
		want := Build(f, m, list(), allow)
		if !reflect.DeepEqual(got.Records, want.Records) || !reflect.DeepEqual(got.Source, want.Source) {
			t.Fatalf("round %d: Update\n %v %v\nBuild\n %v %v", round, got.Records, got.Source, want.Records, want.Source)
		}
		wd := Diff(before.Records, want.Records)
		if !reflect.DeepEqual(nilEmpty(d.Added), nilEmpty(wd.Added)) || !reflect.DeepEqual(nilEmpty(d.Deleted), nilEmpty(wd.Deleted)) {
			t.Fatalf("round %d: delta %+v, want %+v", round, d, wd)
		}
	}
}

func nilEmpty(r []Record) []Record {
	if len(r) == 0 {
		return nil
	}
	return r
}
