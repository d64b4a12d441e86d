package match

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func refs(hs []Hit) []string {
	var out []string
	for _, h := range hs {
		out = append(out, fmt.Sprintf("%d:%s", h.Ref, h.Prefix()))
	}
	return out
}

func TestLookup(t *testing.T) {
	s := Build([]Entry{
		{IP, "198.51.100.7", 1},
		{IP, "198.51.100.0/24", 2},
		{IP, "198.51.0.0/16", 3},
		{IP, "198.51.100.7", 4}, // a second indicator, same address
		{IP, "198.51.100.7", 4}, // the same twice counts once
		{IP, "2001:db8::/32", 5},
		{IP, "2001:db8:1::/48", 6},
		{IP, "::ffff:203.0.113.9", 7}, // mapped: indexed as IPv4
		{IP, "0.0.0.0/0", 8},
		{IP, "not an ip", 99},
		{Domain, "Evil.Example.", 10},
		{Domain, "example", 11},
		{URL, "http://evil.example/x", 12},
		{Hash, "D41D8CD98F00B204E9800998ECF8427E", 13},
		{Email, "Bad@Evil.Example", 14},
		{JA3, "e7d705a3286e19ea42f587b344ee6865", 15},
		{UserAgent, "EvilBot/1.0", 16},
		{Domain, "l8.l9.deep.example", 17}, // the eighth parent of the name below
		{Domain, "l9.deep.example", 18},    // the ninth
		{Domain, "l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example", 19},
		{Domain, strings.Repeat("d.", 69) + "example", 20}, // 70 labels: past the depths kept one by one
	})
	if s.Len() != 19 {
		t.Errorf("Len = %d, want 19", s.Len())
	}
	tests := []struct {
		k    Kind
		v    string
		want []string
	}{
		{IP, "198.51.100.7", []string{"1:198.51.100.7", "4:198.51.100.7", "2:198.51.100.0/24", "3:198.51.0.0/16", "8:0.0.0.0/0"}},
		{IP, "198.51.100.8", []string{"2:198.51.100.0/24", "3:198.51.0.0/16", "8:0.0.0.0/0"}},
		{IP, "198.52.0.1", []string{"8:0.0.0.0/0"}},
		{IP, "::ffff:198.51.100.7", []string{"1:198.51.100.7", "4:198.51.100.7", "2:198.51.100.0/24", "3:198.51.0.0/16", "8:0.0.0.0/0"}},
		{IP, "203.0.113.9", []string{"7:203.0.113.9", "8:0.0.0.0/0"}},
		{IP, "2001:db8:1::5", []string{"6:2001:db8:1::/48", "5:2001:db8::/32"}},
		{IP, "2001:db9::5", nil},
		{IP, "garbage", nil},
		{Domain, "a.b.evil.example", []string{"10:evil.example", "11:example"}},
		{Domain, "EVIL.example.", []string{"10:evil.example", "11:example"}},
		{Domain, "notevil.example", []string{"11:example"}},
		{Domain, "example.com", nil},
		// Names are probed eight labels at a time: parents past the
		// eighth are found, in order.
		{Domain, "x.l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example", []string{"19:l1.l2.l3.l4.l5.l6.l7.l8.l9.deep.example", "17:l8.l9.deep.example", "18:l9.deep.example", "11:example"}},
		{Domain, "l7.l8.l9.deep.example", []string{"17:l8.l9.deep.example", "18:l9.deep.example", "11:example"}},
		{Domain, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.u.v.w.x.y.z.evil.example", []string{"10:evil.example", "11:example"}},
		// Depths with no indicator are skipped, past 63 labels too.
		{Domain, strings.Repeat("d.", 71) + "example", []string{"20:" + strings.Repeat("d.", 69) + "example", "11:example"}},
		{Domain, strings.Repeat("d.", 68) + "example", []string{"11:example"}},
		{URL, "http://evil.example/x", []string{"12:http://evil.example/x"}},
		{URL, "http://evil.example/y", nil},
		{Hash, "d41d8cd98f00b204e9800998ecf8427e", []string{"13:d41d8cd98f00b204e9800998ecf8427e"}},
		{Email, "bad@evil.example", []string{"14:bad@evil.example"}},
		{JA3, "e7d705a3286e19ea42f587b344ee6865", []string{"15:e7d705a3286e19ea42f587b344ee6865"}},
		{UserAgent, "EvilBot/1.0", []string{"16:EvilBot/1.0"}},
		{UserAgent, "evilbot/1.0", nil},
		{Kind(42), "x", nil},
	}
	for _, tc := range tests {
		t.Run(tc.k.String()+"/"+tc.v, func(t *testing.T) {
			got := refs(s.Lookup(nil, tc.k, tc.v))
			if !slices.Equal(got, tc.want) {
				t.Errorf("Lookup(%s, %q) = %v, want %v", tc.k, tc.v, got, tc.want)
			}
		})
	}
}

func TestMatcherSwap(t *testing.T) {
	var m Matcher
	if hs := m.Set().Lookup(nil, IP, "192.0.2.1"); len(hs) != 0 {
		t.Fatalf("empty matcher hit %v", hs)
	}
	m.Swap(Build([]Entry{{IP, "192.0.2.1", 1}}))
	if hs := m.Set().Lookup(nil, IP, "192.0.2.1"); len(hs) != 1 {
		t.Fatalf("after swap: %v", hs)
	}
	old := m.Swap(Build(nil))
	if old.Len() != 1 || len(m.Set().Lookup(nil, IP, "192.0.2.1")) != 0 {
		t.Fatal("second swap did not replace the set")
	}
}

// mixed returns n entries of mixed kinds (40% IPv4, 5% CIDR, 5% IPv6, 25%
// domains, 10% URLs, 15% hashes) and probes that hit about 1 in 10.
func mixed(n int) ([]Entry, []probe) {
	r := rand.New(rand.NewPCG(1, 2))
	es := make([]Entry, 0, n)
	var ps []probe
	for i := range n {
		var e Entry
		switch x := i % 20; {
		case x < 8:
			e = Entry{IP, netip.AddrFrom4([4]byte{byte(r.IntN(223) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}).String(), int32(i)}
		case x < 9:
			e = Entry{IP, fmt.Sprintf("%d.%d.%d.0/24", r.IntN(223)+1, r.IntN(256), r.IntN(256)), int32(i)}
		case x < 10:
			e = Entry{IP, fmt.Sprintf("2001:db8:%x:%x::/64", r.IntN(65536), r.IntN(65536)), int32(i)}
		case x < 15:
			e = Entry{Domain, fmt.Sprintf("h%x.evil%d.example", r.Uint32(), i), int32(i)}
		case x < 17:
			e = Entry{URL, fmt.Sprintf("http://u%d.example/p/%x", i, r.Uint64()), int32(i)}
		default:
			e = Entry{Hash, fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64()), int32(i)}
		}
		es = append(es, e)
	}
	for i := range 100000 {
		switch i % 4 {
		case 0:
			ps = append(ps, probe{IP, netip.AddrFrom4([4]byte{byte(r.IntN(223) + 1), byte(r.IntN(256)), byte(r.IntN(256)), byte(r.IntN(256))}).String()})
		case 1:
			ps = append(ps, probe{Domain, fmt.Sprintf("www.site%d.example.jp", r.IntN(1e6))})
		case 2:
			ps = append(ps, probe{Hash, fmt.Sprintf("%016x%016x%016x%016x", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())})
		default:
			ps = append(ps, probe{URL, fmt.Sprintf("http://site%d.example.jp/index.html", r.IntN(1e6))})
		}
		if i%10 == 0 { // a real hit
			e := es[r.IntN(len(es))]
			if e.Kind == IP {
				p, _ := parsePrefix(e.Value)
				e.Value = p.Addr().String()
			}
			ps[len(ps)-1] = probe{e.Kind, e.Value}
		}
	}
	return es, ps
}

type probe struct {
	k Kind
	v string
}

// BenchmarkLookup measures look-ups of mixed observables (a tenth of them
// hits) against a million mixed indicators; it reports the heap the Set
// holds. go test ./internal/match -bench Lookup -benchtime 3s
func BenchmarkLookup(b *testing.B) {
	es, ps := mixed(1_000_000)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	s := Build(es)
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(es)
	setMB := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	var buf []Hit
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p := ps[i%len(ps)]
		buf = s.Lookup(buf[:0], p.k, p.v)
		hits += len(buf)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
	b.ReportMetric(setMB, "set-MB")
	runtime.KeepAlive(s)
	if hits == 0 {
		b.Fatal("no hits")
	}
}

// BenchmarkLookupScreened is BenchmarkLookup the way the monitor looks
// values up: 64 at a time through a Screen, each one that passes then
// looked up. go test ./internal/match -bench Lookup -benchtime 3s
func BenchmarkLookupScreened(b *testing.B) {
	es, ps := mixed(1_000_000)
	s := Build(es)
	var sc Screen
	var buf []Hit
	hits := 0
	b.ResetTimer()
	for i := 0; b.Loop(); i += MaxGroups {
		sc.Reset()
		for j := range MaxGroups {
			p := ps[(i+j)%len(ps)]
			s.Add(&sc, p.k, p.v)
			sc.Next()
		}
		pass := s.Passes(&sc)
		for j := range MaxGroups {
			if pass>>j&1 != 0 {
				p := ps[(i+j)%len(ps)]
				buf = s.Lookup(buf[:0], p.k, p.v)
				hits += len(buf)
			}
		}
	}
	b.ReportMetric(float64(b.N*MaxGroups)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
	runtime.KeepAlive(es)
	if hits == 0 {
		b.Fatal("no hits")
	}
}

// BenchmarkBuild measures a full rebuild of a million indicators.
func BenchmarkBuild(b *testing.B) {
	es, _ := mixed(1_000_000)
	for b.Loop() {
		Build(es)
	}
}
