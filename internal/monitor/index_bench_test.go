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

// BenchmarkMatchGroup matches events against a million indicators one at
// a time and in groups (as Processor does), with about one event in 100
// hitting. Between events it reads 330 bytes of a 64 MB buffer, as
// parsing an EVE line streams the batch through the caches: the filter
// does not stay cached for free.
func BenchmarkMatchGroup(b *testing.B) {
	ix := Compile(benchIndicators(1_000_000), now)
	m := OrgMember(identity.Org{ID: "mof", Kind: identity.KindGovernment}, "s1", nil)
	visible := func(ref int32) bool { return policy.CanSee(m, *ix.dist(ref)) }
	evs := make([]parse.Event, 100_000)
	for i := range evs {
		dst := netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)})
		if i%100 == 0 {
			j := i * 7 % 500_000 * 2 // an IP indicator of benchIndicators
			dst = netip.AddrFrom4([4]byte{byte(1 + j%222), byte(j >> 16), byte(j >> 8), byte(j)})
		}
		evs[i] = parse.Event{Time: now, SrcIP: netip.AddrFrom4([4]byte{10, 1, byte(i * 31 >> 8), byte(i * 31)}), DstIP: dst,
			Domains: []string{fmt.Sprintf("www.site%d.example.jp", i*7919%1_000_000)}}
	}
	stream := make([]byte, 64<<20)
	for i := range stream {
		stream[i] = byte(i * 7)
	}
	line := make([]byte, 330)
	for _, size := range []int{1, 8, group} {
		b.Run(fmt.Sprint("group=", size), func(b *testing.B) {
			var s scratch
			hits, pos := 0, 0
			for i := 0; b.Loop(); i += size {
				start := i % len(evs)
				g := evs[start:min(start+size, len(evs))]
				for range g {
					copy(line, stream[pos:])
					pos = (pos + len(line)) % (len(stream) - len(line))
				}
				ix.matchGroup(&s, g, visible, func(_ int, fs []found) { hits += len(fs) })
			}
			b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds()/1e6, "Mevents/s")
			if hits == 0 {
				b.Fatal("no hits")
			}
		})
	}
}
