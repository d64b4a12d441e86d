package monitor

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/match"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// BenchmarkIndexMatch is the monitor's match path for one event, whose
// destination hits an indicator or not: the look-ups, the visibility check
// of each hit (as Processor does it) and reading the indicator of each hit.
func BenchmarkIndexMatch(b *testing.B) {
	x := NewIndicators()
	objs := make([]intel.Object, 100_000)
	for i := range objs {
		id := fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", i, i)
		objs[i] = obj(id, fmt.Sprintf("[ipv4-addr:value = '10.%d.%d.%d']", i>>16&255, i>>8&255, i&255), policy.Distribution{TLP: policy.Green})
	}
	x.Apply(objs, now)
	ix := x.Rebuild(now)
	m := OrgMember(identity.Org{ID: "mof", Kind: identity.KindGovernment}, "s1", nil)
	visible := func(ref int32) bool { return policy.CanSee(m, *ix.ind(ref).Dist) }
	for _, tc := range []struct {
		name string
		dst  string
		hits int
	}{{"hit", "10.0.1.7", 1}, {"miss", "172.16.1.7", 0}} {
		b.Run(tc.name, func(b *testing.B) {
			ev := parse.Event{Time: now, SrcIP: netip.MustParseAddr("192.168.1.1"), DstIP: netip.MustParseAddr(tc.dst), Domains: []string{"www.example.jp"}}
			b.ReportAllocs()
			n, chars := 0, 0
			for b.Loop() {
				fs := ix.match(nil, &ev, visible)
				n += len(fs)
				for _, f := range fs {
					ind := ix.ind(f.ref)
					chars += len(ind.ID) + len(ind.Name)
				}
			}
			if n != tc.hits*b.N || chars < n {
				b.Fatalf("%d hits in %d events", n, b.N)
			}
		})
	}
}

// benchIndicators returns n indicators of mixed kinds with UUID ids, as
// Apply makes them.
func benchIndicators(n int) []*Indicator {
	inds := make([]*Indicator, n)
	d := &policy.Distribution{TLP: policy.Green}
	for i := range inds {
		var e match.Entry
		switch i % 4 {
		case 0, 1:
			e = match.Entry{Kind: match.IP, Value: fmt.Sprintf("%d.%d.%d.%d", 1+i%222, i>>16&255, i>>8&255, i&255)}
		case 2:
			e = match.Entry{Kind: match.Domain, Value: fmt.Sprintf("h%d.evil%d.example", i%1000, i)}
		default:
			e = match.Entry{Kind: match.Hash, Value: fmt.Sprintf("%064x", i*7919)}
		}
		inds[i] = &Indicator{ID: fmt.Sprintf("indicator--%08x-0000-4000-8000-%012x", uint32(i*2654435761), i), Name: "bench", Dist: d, Score: 80,
			Entries: []match.Entry{e}}
	}
	return inds
}

// BenchmarkCompile is a full compile of a million indicators from scratch
// (as the first Rebuild does). go test ./internal/monitor -run '^$' -bench Compile -benchtime 5x
func BenchmarkCompile(b *testing.B) {
	inds := benchIndicators(1_000_000)
	for b.Loop() {
		Compile(inds, now)
	}
}
