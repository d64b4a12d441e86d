package match

import (
	"fmt"
	"net/netip"
	"testing"
)

// TestScreenNoFalseNegatives: whenever Lookup finds something, the
// screen of the same look-up passes; and a screen of values no indicator
// has mostly does not.
func TestScreenNoFalseNegatives(t *testing.T) {
	es, ps := mixed(200_000)
	es = append(es,
		Entry{IP, "2001:db8::/32", 1},
		Entry{Domain, "Evil.Example.", 2},
		Entry{JA3, "e7d705a3286e19ea42f587b344ee6865", 3},
		Entry{UserAgent, "EvilBot/1.0", 4},
		Entry{Email, "phish@evil.example", 5},
	)
	s := Build(es)
	ps = append(ps, probe{IP, "2001:db8::1"}, probe{Domain, "a.b.EVIL.example."}, probe{JA3, "e7d705a3286e19ea42f587b344ee6865"},
		probe{UserAgent, "EvilBot/1.0"}, probe{Email, "phish@evil.example"}, probe{IP, "::ffff:" + es[0].Value})
	var sc Screen
	var hits []Hit
	found, passed := 0, 0
	for _, p := range ps {
		sc.Reset()
		s.Add(&sc, p.k, p.v)
		sc.Next()
		pass := s.Passes(&sc) == 1
		hits = s.Lookup(hits[:0], p.k, p.v)
		if len(hits) > 0 {
			found++
			if !pass {
				t.Fatalf("%v %q: Lookup finds %v, the screen rules it out", p.k, p.v, hits)
			}
		}
		if pass {
			passed++
		}
	}
	if found < len(ps)/20 {
		t.Fatalf("only %d of %d probes hit: the test data is wrong", found, len(ps))
	}
	// Values no indicator has: about one in 200 probes passes by chance
	// (several probes a look-up for domains and addresses).
	var none int
	for i := range 10_000 {
		sc.Reset()
		s.Add(&sc, URL, fmt.Sprintf("http://absent%d.example/", i))
		sc.Next()
		if s.Passes(&sc) != 0 {
			none++
		}
	}
	if none > 200 {
		t.Errorf("%d of 10000 absent URLs pass the screen", none)
	}
	// Groups: one look-up that may hit is enough for its group, and
	// only its group.
	sc.Reset()
	s.AddAddr(&sc, netip.MustParseAddr("192.0.2.1"))
	s.Add(&sc, Domain, "www.evil.example")
	sc.Next()
	s.Add(&sc, URL, "http://absent.example/")
	sc.Next()
	sc.Next()                                          // an empty group
	s.AddAddr(&sc, netip.MustParseAddr("2001:db8::5")) // IPv6 blocks: always looked up
	sc.Next()
	if got := s.Passes(&sc); got != 0b1001 {
		t.Errorf("Passes = %b, want 1001", got)
	}
	// A full screen.
	sc.Reset()
	for i := range MaxGroups {
		s.Add(&sc, Domain, "evil.example")
		if !sc.Next() {
			t.Fatalf("group %d refused", i)
		}
	}
	if sc.Next() || sc.Groups() != MaxGroups {
		t.Error("a full screen takes another group")
	}
	if got := s.Passes(&sc); got != ^uint64(0) {
		t.Errorf("Passes of 64 held groups = %x", got)
	}
	// An empty set.
	sc.Reset()
	e := Build(nil)
	e.Add(&sc, Domain, "evil.example")
	e.AddAddr(&sc, netip.MustParseAddr("192.0.2.1"))
	sc.Next()
	if e.Passes(&sc) != 0 || len(e.Lookup(nil, Domain, "evil.example")) != 0 {
		t.Fatal("empty set finds something")
	}
}
