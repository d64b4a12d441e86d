package monitor

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"
	"unsafe"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func TestIDRoundTrip(t *testing.T) {
	for _, id := range []string{
		"indicator--6b6464ca-e73c-4707-9b8a-d0350acd0835",
		"indicator--00000000-0000-0000-0000-000000000000",
		"indicator--ffffffff-ffff-ffff-ffff-ffffffffffff",
	} {
		u, ok := parseID(id)
		if !ok || formatID(u) != id {
			t.Errorf("%s: canonical %v, back %q", id, ok, formatID(u))
		}
	}
	for _, id := range []string{
		"indicator--6B6464CA-E73C-4707-9B8A-D0350ACD0835", // upper case: kept as is
		"indicator--6b6464ca-e73c-4707-9b8a-d0350acd083",
		"indicator--6b6464ca-e73c-4707-9b8a-d0350acd08355",
		"indicator--6b6464cae73c-4707-9b8a-d0350acd0835-",
		"indicator--6b6464ca-e73c-4707-9b8a-d0350acd083g",
		"indicator-6b6464ca-e73c-4707-9b8a-d0350acd08355",
		"malware--6b6464ca-e73c-4707-9b8a-d0350acd0835",
		"indicator--1", "",
	} {
		if _, ok := parseID(id); ok {
			t.Errorf("%q read as canonical", id)
		}
	}
}

// TestTableModel applies random additions, changes, removals and re-adds,
// of canonical and other ids, with updates and rebuilds in between, and
// checks after each that every indicator and only those in the table is
// hit by its value, with its own id, name, score and sharing, and is
// visible to exactly the organisations that may see it.
func TestTableModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	dists := []policy.Distribution{
		{TLP: policy.Green},
		{TLP: policy.AmberStrict, AuthorOrg: "ncc", Orgs: []string{"isp"}},
		{TLP: policy.AmberStrict, AuthorOrg: "ncc", Orgs: []string{"mof"}},
		{TLP: policy.Amber, AuthorOrg: "ncc", Communities: []string{"gov"}},
		{TLP: policy.Clear, Compartments: []string{"x"}},
	}
	members := []policy.Member{
		OrgMember(identity.Org{ID: "mof", Kind: identity.KindGovernment}, "s1", []string{"gov"}),
		OrgMember(identity.Org{ID: "isp", Kind: identity.KindISP}, "s2", nil),
	}
	type want struct {
		addr  netip.Addr
		dist  policy.Distribution
		name  string
		score float64
	}
	var ids []string
	for i := range 300 {
		if i%3 == 0 {
			ids = append(ids, fmt.Sprintf("indicator--odd-%d", i))
		} else {
			ids = append(ids, fmt.Sprintf("indicator--%08x-%04x-4000-8000-%012x", r.Uint32(), i, r.Uint64()>>16))
		}
	}
	model := map[string]want{}
	x := NewIndicators()
	next := 0
	var gone []netip.Addr // values of versions no longer in the table
	check := func(step string, ix *Index) {
		t.Helper()
		if ix.Len() != len(model) {
			t.Fatalf("%s: Len %d, want %d", step, ix.Len(), len(model))
		}
		for id, w := range model {
			ev := parse.Event{Time: now, Addrs: []netip.Addr{w.addr}}
			fs := ix.match(nil, &ev, func(int32) bool { return true })
			if len(fs) != 1 {
				t.Fatalf("%s: %s (%s) hits %d", step, id, w.addr, len(fs))
			}
			ind := ix.ind(fs[0].ref)
			if ind.ID != id || ind.Name != w.name || ind.Score != w.score || !reflect.DeepEqual(*ind.Dist, w.dist) {
				t.Fatalf("%s: %s hits %+v, want %+v", step, id, *ind, w)
			}
			for _, m := range members {
				vis := func(ref int32) bool { return policy.CanSee(m, *ix.ind(ref).Dist) }
				fs := ix.match(nil, &ev, vis)
				if (len(fs) == 1) != policy.CanSee(m, w.dist) {
					t.Fatalf("%s: %s visible to %s: %v", step, id, m.OrgID, len(fs) == 1)
				}
			}
		}
		for _, a := range gone {
			ev := parse.Event{Time: now, Addrs: []netip.Addr{a}}
			if fs := ix.match(nil, &ev, func(int32) bool { return true }); len(fs) != 0 {
				t.Fatalf("%s: old value %s still hits %s", step, a, ix.ind(fs[0].ref).ID)
			}
		}
	}
	for round := range 40 {
		var objs []intel.Object
		for range 1 + r.IntN(40) {
			id := ids[r.IntN(len(ids))]
			if w, ok := model[id]; ok {
				gone = append(gone, w.addr)
			}
			if r.IntN(4) == 0 { // removed (revoked)
				o := obj(id, "[ipv4-addr:value = '192.0.2.1']", dists[0])
				o.Revoked = true
				objs = append(objs, o)
				delete(model, id)
				continue
			}
			next++
			a := netip.AddrFrom4([4]byte{10, byte(next >> 16), byte(next >> 8), byte(next)})
			d := dists[r.IntN(len(dists))]
			o := obj(id, fmt.Sprintf("[ipv4-addr:value = '%s']", a), d)
			name := fmt.Sprintf("feed %d", r.IntN(3))
			o.Raw = []byte(fmt.Sprintf(`{"name":%q,"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix"}`, name, a))
			o.Confidence = 50 + r.IntN(50)
			objs = append(objs, o)
			ind, _ := indicatorOf(o, now, 0)
			model[id] = want{a, d, name, ind.Score}
		}
		x.Apply(objs, now)
		if round%5 == 4 {
			check(fmt.Sprintf("round %d rebuilt", round), x.Rebuild(now))
		} else {
			ix := x.Update(now)
			check(fmt.Sprintf("round %d updated (delta %v)", round, ix.delta != nil), ix)
		}
	}
	// Forgetting everything: only what is applied again counts.
	x.mu.Lock()
	x.forget()
	x.mu.Unlock()
	var objs []intel.Object
	keep := map[string]want{}
	for id, w := range model {
		if len(keep) < 10 {
			o := obj(id, fmt.Sprintf("[ipv4-addr:value = '%s']", w.addr), w.dist)
			objs = append(objs, o)
			ind, _ := indicatorOf(o, now, 0)
			w.name, w.score = id, ind.Score
			keep[id] = w
		} else {
			gone = append(gone, w.addr)
		}
	}
	model = keep
	x.Apply(objs, now)
	check("forgotten, updated", x.Update(now))
	check("forgotten, rebuilt", x.Rebuild(now))
}

// Names repeated across indicators are kept once.
func TestNamesInterned(t *testing.T) {
	x := NewIndicators()
	var objs []intel.Object
	for i := range 3 {
		o := obj(fmt.Sprintf("indicator--%d", i), fmt.Sprintf("[ipv4-addr:value = '192.0.2.%d']", i), policy.Distribution{TLP: policy.Green})
		o.Raw = []byte(fmt.Sprintf(`{"name":"Same feed","pattern":"[ipv4-addr:value = '192.0.2.%d']","pattern_type":"stix"}`, i))
		objs = append(objs, o)
	}
	x.Apply(objs, now)
	ix := x.Rebuild(now)
	var data []*byte
	for ref := range int32(ix.Len()) {
		ind := ix.ind(ref)
		if ind.Name != "Same feed" {
			t.Fatalf("name %q", ind.Name)
		}
		data = append(data, unsafe.StringData(ind.Name))
	}
	if len(slices.Compact(data)) != 1 {
		t.Error("the name is held three times")
	}
}

// Readers match on the Index in use while the table changes, updates and
// rebuilds (run with -race).
func TestReadersDuringRebuilds(t *testing.T) {
	x := NewIndicators()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		ev := parse.Event{Time: now, Addrs: []netip.Addr{netip.MustParseAddr("10.0.0.1")}}
		for {
			select {
			case <-done:
				return
			default:
			}
			ix := x.Current()
			fs := ix.match(nil, &ev, func(ref int32) bool { return ix.ind(ref).Dist != nil })
			for _, f := range fs {
				if id := ix.ind(f.ref).ID; id == "" {
					t.Error("empty id")
				}
			}
		}
	}()
	for i := range 30 {
		var objs []intel.Object
		for j := range 50 {
			id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", j, i%3)
			if j%2 == 0 {
				id = fmt.Sprintf("indicator--x%d", j)
			}
			objs = append(objs, obj(id, fmt.Sprintf("[ipv4-addr:value = '10.0.%d.%d']", i%2, j), policy.Distribution{TLP: policy.Green}))
		}
		x.Apply(objs, now)
		if i%4 == 0 {
			x.Rebuild(now)
		} else {
			x.Update(now)
		}
	}
	close(done)
	<-finished
}
