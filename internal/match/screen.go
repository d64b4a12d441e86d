package match

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// Screen gathers the filter probes of many look-ups (the addresses,
// domains and their parents, URLs… of a group of events) so that
// Set.Passes reads their filter words in one tight loop. Those reads do
// not depend on each other, so the processor has dozens of their cache
// misses in flight at once instead of waiting for each in turn between
// the hashing and the map probes of one look-up after another: with a
// million indicators the filter is megabytes, and a miss to memory costs
// as much as the rest of a look-up.
//
// Probes are added to the current group; Next closes it. A Screen holds
// at most 64 groups. It is scratch space for one goroutine; Reset
// empties it for reuse.
type Screen struct {
	h      []uint64
	ends   []int  // where each closed group's probes end in h
	always uint64 // groups with a look-up the filter cannot rule out
}

// MaxGroups is how many groups a Screen holds.
const MaxGroups = 64

// Reset empties the Screen, keeping its storage.
func (sc *Screen) Reset() { sc.h, sc.ends, sc.always = sc.h[:0], sc.ends[:0], 0 }

// Next closes the current group and starts the next one; it reports
// false, and does nothing, when the Screen is full.
func (sc *Screen) Next() bool {
	if len(sc.ends) == MaxGroups {
		return false
	}
	sc.ends = append(sc.ends, len(sc.h))
	return true
}

// Groups returns the number of closed groups.
func (sc *Screen) Groups() int { return len(sc.ends) }

func (sc *Screen) mustLookUp() {
	if len(sc.ends) < MaxGroups {
		sc.always |= 1 << len(sc.ends)
	}
}

// AddAddr adds the probes LookupAddr(a) makes.
func (s *Set) AddAddr(sc *Screen, a netip.Addr) {
	if s.seen == nil {
		sc.mustLookUp()
		return
	}
	a = a.Unmap()
	if !a.Is4() {
		if len(s.v6) > 0 { // IPv6 blocks are not in the filter
			sc.mustLookUp()
		}
		return
	}
	b := a.As4()
	k := binary.BigEndian.Uint32(b[:])
	for _, t := range s.v4 {
		sc.h = append(sc.h, s.seen.hash4(t.bits, mask4(k, t.bits)))
	}
}

// Add adds the probes Lookup(k, v) makes; for an IP it parses v.
func (s *Set) Add(sc *Screen, k Kind, v string) {
	switch {
	case k == IP:
		if a, err := netip.ParseAddr(v); err == nil {
			s.AddAddr(sc, a)
		}
		return
	case k < Domain || k > UserAgent || len(s.str[k]) == 0:
		return
	case s.seen == nil:
		sc.mustLookUp()
		return
	case k != Domain:
		sc.h = append(sc.h, s.seen.hash(k, v))
		return
	}
	d := domainKey(v)
	for n := labels(d); ; n-- {
		if s.depths&depthBit(n) != 0 {
			sc.h = append(sc.h, s.seen.hash(Domain, d))
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return
		}
		d = d[i+1:]
	}
}

// Passes returns which closed groups may find an indicator: bit i for
// group i. A clear bit means no look-up of the group would.
func (s *Set) Passes(sc *Screen) uint64 {
	res := sc.always & (1<<len(sc.ends) - 1)
	if s.seen == nil {
		return res
	}
	w, m := s.seen.words, s.seen.mask
	start := 0
	for g, end := range sc.ends {
		pass := uint64(0)
		for _, h := range sc.h[start:end] {
			b := filterBits(h)
			// No branch on the word: the reads of every probe of
			// every group start before the first one's arrives.
			x := w[h&m]&b ^ b // zero when every bit is set
			pass |= (x|-x)>>63 ^ 1
		}
		res |= pass << g
		start = end
	}
	return res
}

// mask4 keeps the first bits bits of the IPv4 address k.
func mask4(k uint32, bits int) uint32 {
	if bits == 0 {
		return 0
	}
	return k &^ (1<<(32-bits) - 1)
}

// domainKey is the form a domain is looked up in: without a final dot,
// in lower case.
func domainKey(v string) string {
	d := strings.TrimSuffix(v, ".")
	if hasUpper(d) {
		d = strings.ToLower(d)
	}
	return d
}
