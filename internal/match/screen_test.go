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
		pass := s.Pass(&sc)
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
		if s.Pass(&sc) {
			none++
		}
	}
	if none > 200 {
		t.Errorf("%d of 10000 absent URLs pass the screen", none)
	}
	// Several look-ups on one screen: one that may hit is enough.
	sc.Reset()
	s.AddAddr(&sc, netip.MustParseAddr("192.0.2.1"))
	s.Add(&sc, Domain, "www.evil.example")
	if !s.Pass(&sc) {
		t.Error("a screen with a held parent domain among others does not pass")
	}
	// An empty screen, and an empty set.
	sc.Reset()
	if s.Pass(&sc) {
		t.Error("an empty screen passes")
	}
	e := Build(nil)
	e.Add(&sc, Domain, "evil.example")
	e.AddAddr(&sc, netip.MustParseAddr("192.0.2.1"))
	if len(e.Lookup(nil, Domain, "evil.example")) != 0 {
		t.Fatal("empty set finds something")
	}
}
