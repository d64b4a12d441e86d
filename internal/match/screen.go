package match

import (
	"encoding/binary"
	"net/netip"
	"strings"
)

// Screen gathers the filter probes of several look-ups (an event's
// addresses, domains and their parents, URLs…) so that Set.Pass reads
// their filter words in one tight loop. Those reads do not depend on each
// other, so the processor has all their cache misses in flight at once
// instead of waiting for each in turn between the hashing and the map
// probes of one look-up after another: with a million indicators the
// filter is megabytes, and a miss to memory costs as much as the rest of
// a look-up.
//
// A Screen is scratch space for one goroutine; Reset empties it for reuse.
type Screen struct {
	h      []uint64
	always bool // a look-up the filter cannot rule out was added
}

// Reset empties the Screen, keeping its storage.
func (sc *Screen) Reset() { sc.h, sc.always = sc.h[:0], false }

// AddAddr adds the probes LookupAddr(a) makes.
func (s *Set) AddAddr(sc *Screen, a netip.Addr) {
	if s.seen == nil {
		sc.always = true
		return
	}
	a = a.Unmap()
	if !a.Is4() {
		sc.always = sc.always || len(s.v6) > 0 // IPv6 blocks are not in the filter
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
		sc.always = true
		return
	case k != Domain:
		sc.h = append(sc.h, s.seen.hash(k, v))
		return
	}
	for d := domainKey(v); ; {
		sc.h = append(sc.h, s.seen.hash(Domain, d))
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return
		}
		d = d[i+1:]
	}
}

// Pass reports whether any look-up added since the last Reset may find
// an indicator; false means none of them would.
func (s *Set) Pass(sc *Screen) bool {
	if sc.always {
		return true
	}
	if s.seen == nil {
		return len(sc.h) > 0
	}
	w, m := s.seen.words, s.seen.mask
	pass := uint64(0)
	for _, h := range sc.h {
		b := filterBits(h)
		// No branch on the word: the next probe's read starts before
		// this one's arrives.
		x := w[h&m]&b ^ b // zero when every bit is set
		pass |= (x|-x)>>63 ^ 1
	}
	return pass != 0
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
