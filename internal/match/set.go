package match

import (
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
)

// Set is an immutable index of indicator values. It is safe for concurrent
// use by any number of readers.
//
// Every map holds an int32 per key: a ref when the key belongs to one
// indicator (the common case), or -(i+1) for entry i of multi when several
// indicators share it. This keeps a million indicators in well under 300 MB.
type Set struct {
	v4   []v4Table // by prefix length, longest first; /32 included
	v6   []v6Table
	str  [UserAgent + 1]map[string]int32 // Domain, URL, Hash, Email, JA3, UserAgent
	seen *filter                         // every key of v4 and str: rules out most probes of absent values
	// depths has bit n set when some domain has n labels (n < 64; longer
	// ones set bit 63): a domain's parents with a number of labels no
	// indicator has (most often the top-level domain) are not probed.
	depths uint64
	multi  [][]int32
	n      int
}

type v4Table struct {
	bits int
	m    map[uint32]int32
}

type v6Table struct {
	bits int
	m    map[[16]byte]int32
}

// Hit is one indicator a look-up found. Value is the indicator value that
// matched: the looked-up value itself, or the parent domain; for IP hits
// Bits is the prefix length of the matching block (32 or 128 for an exact
// address) and Prefix returns the block.
type Hit struct {
	Ref   int32
	Kind  Kind
	Value string
	Bits  int
	addr  netip.Addr
}

// Prefix returns the block an IP hit matched, as text.
func (h Hit) Prefix() string {
	if h.Kind != IP {
		return h.Value
	}
	if h.Bits == h.addr.BitLen() {
		return h.addr.String()
	}
	p, _ := h.addr.Prefix(h.Bits)
	return p.String()
}

// Len returns the number of entries the Set was built from (after
// dropping invalid values).
func (s *Set) Len() int { return s.n }

// Build compiles entries into a Set. Invalid values are skipped; the same
// value of the same indicator counts once.
func Build(entries []Entry) *Set {
	b := newBuilder(nil, entries)
	b.add(entries)
	return b.finish()
}

// Rebase returns the Set that Build would give for the entries of s whose
// refs remap maps to a new ref (remap[ref] >= 0; refs past the end of
// remap or mapped to -1 are dropped), under their new refs, together with
// entries. It does not parse again the values s holds, and its keys share
// their bytes with those of s. remap may be nil, to drop every entry of s.
func Rebase(s *Set, remap []int32, entries []Entry) *Set {
	b := newBuilder(s, entries)
	var refs []int32
	each := func(slot int32, f func(ref int32)) {
		refs = s.refs(refs[:0], slot)
		for _, r := range refs {
			if int(r) < len(remap) && remap[r] >= 0 {
				f(remap[r])
			}
		}
	}
	for _, t := range s.v4 {
		m := b.v4map(t.bits, len(t.m))
		for k, slot := range t.m {
			each(slot, func(ref int32) {
				if b.s.add4(m, k, ref) {
					b.s.n++
				}
			})
		}
	}
	for _, t := range s.v6 {
		m := b.v6map(t.bits, len(t.m))
		for k, slot := range t.m {
			each(slot, func(ref int32) {
				if b.s.add6(m, k, ref) {
					b.s.n++
				}
			})
		}
	}
	for k := Domain; k <= UserAgent; k++ {
		m := b.s.str[k]
		for v, slot := range s.str[k] {
			each(slot, func(ref int32) {
				if b.s.addStr(m, v, ref, false) {
					b.s.n++
				}
			})
		}
	}
	b.add(entries)
	return b.finish()
}

// refs appends the refs of a slot to dst.
func (s *Set) refs(dst []int32, slot int32) []int32 {
	if slot >= 0 {
		return append(dst, slot)
	}
	return append(dst, s.multi[-slot-1]...)
}

// builder assembles a Set.
type builder struct {
	s  *Set
	v4 map[int]map[uint32]int32
	v6 map[int]map[[16]byte]int32
}

// newBuilder starts a Set, with maps sized for the keys of like (when not
// nil) and entries, so that they do not grow while they are filled.
func newBuilder(like *Set, entries []Entry) *builder {
	var n [UserAgent + 1]int
	n4, n6 := 0, 0 // single addresses
	if like != nil {
		for k := Domain; k <= UserAgent; k++ {
			n[k] = len(like.str[k])
		}
		if len(like.v4) > 0 && like.v4[0].bits == 32 {
			n4 = len(like.v4[0].m)
		}
		if len(like.v6) > 0 && like.v6[0].bits == 128 {
			n6 = len(like.v6[0].m)
		}
	}
	for _, e := range entries {
		switch {
		case e.Kind == IP:
			// Most are single IPv4 addresses, of at most 15 characters;
			// the values are not read (a cache miss each).
			if len(e.Value) <= len("255.255.255.255") {
				n4++
			}
		case e.Kind <= UserAgent:
			n[e.Kind]++
		}
	}
	b := &builder{s: &Set{}, v4: map[int]map[uint32]int32{}, v6: map[int]map[[16]byte]int32{}}
	for k := Domain; k <= UserAgent; k++ {
		b.s.str[k] = make(map[string]int32, n[k])
	}
	b.v4map(32, n4)
	b.v6map(128, n6)
	return b
}

func (b *builder) v4map(bits, hint int) map[uint32]int32 {
	m := b.v4[bits]
	if m == nil {
		m = make(map[uint32]int32, hint)
		b.v4[bits] = m
	}
	return m
}

func (b *builder) v6map(bits, hint int) map[[16]byte]int32 {
	m := b.v6[bits]
	if m == nil {
		m = make(map[[16]byte]int32, hint)
		b.v6[bits] = m
	}
	return m
}

func (b *builder) add(entries []Entry) {
	s := b.s
	for _, e := range entries {
		if e.Kind == IP {
			p, ok := parsePrefix(e.Value)
			if !ok {
				continue
			}
			if p.Addr().Is4() {
				m := b.v4map(p.Bits(), 0)
				k := binary.BigEndian.Uint32(p.Addr().AsSlice())
				if s.add4(m, k, e.Ref) {
					s.n++
				}
			} else {
				m := b.v6map(p.Bits(), 0)
				if s.add6(m, p.Addr().As16(), e.Ref) {
					s.n++
				}
			}
			continue
		}
		if e.Kind < Domain || e.Kind > UserAgent {
			continue
		}
		v, ok := Canonical(e.Kind, e.Value)
		if !ok {
			continue
		}
		if s.addStr(s.str[e.Kind], v, e.Ref, true) {
			s.n++
		}
	}
}

func (b *builder) finish() *Set {
	s := b.s
	for bits, m := range b.v4 {
		if len(m) > 0 {
			s.v4 = append(s.v4, v4Table{bits, m})
		}
	}
	for bits, m := range b.v6 {
		if len(m) > 0 {
			s.v6 = append(s.v6, v6Table{bits, m})
		}
	}
	slices.SortFunc(s.v4, func(a, b v4Table) int { return b.bits - a.bits })
	slices.SortFunc(s.v6, func(a, b v6Table) int { return b.bits - a.bits })
	n := 0
	for k := Domain; k <= UserAgent; k++ {
		n += len(s.str[k])
	}
	for _, t := range s.v4 {
		n += len(t.m)
	}
	s.seen = newFilter(n)
	for d := range s.str[Domain] {
		s.depths |= depthBit(labels(d))
	}
	for k := Domain; k <= UserAgent; k++ {
		for v := range s.str[k] {
			s.seen.add(k, v)
		}
	}
	for _, t := range s.v4 {
		for k := range t.m {
			s.seen.add4(t.bits, k)
		}
	}
	return s
}

// join adds ref to the slot cur (a ref or a multi index) and returns the
// new slot value, or false when ref is already there.
func (s *Set) join(cur, ref int32) (int32, bool) {
	if cur >= 0 {
		if cur == ref {
			return cur, false
		}
		s.multi = append(s.multi, []int32{cur, ref})
		return -int32(len(s.multi)), true
	}
	i := -cur - 1
	if slices.Contains(s.multi[i], ref) {
		return cur, false
	}
	s.multi[i] = append(s.multi[i], ref)
	return cur, true
}

func (s *Set) add4(m map[uint32]int32, k uint32, ref int32) bool {
	cur, ok := m[k]
	if !ok {
		m[k] = ref
		return true
	}
	nv, added := s.join(cur, ref)
	m[k] = nv
	return added
}

func (s *Set) add6(m map[[16]byte]int32, k [16]byte, ref int32) bool {
	cur, ok := m[k]
	if !ok {
		m[k] = ref
		return true
	}
	nv, added := s.join(cur, ref)
	m[k] = nv
	return added
}

// addStr adds ref under k, a copy of k when clone is set (k may be part of
// a larger string the Set should not keep alive).
func (s *Set) addStr(m map[string]int32, k string, ref int32, clone bool) bool {
	cur, ok := m[k]
	if !ok {
		if clone {
			k = strings.Clone(k)
		}
		m[k] = ref
		return true
	}
	nv, added := s.join(cur, ref)
	m[k] = nv
	return added
}

func (s *Set) emit(dst []Hit, slot int32, h Hit) []Hit {
	if slot >= 0 {
		h.Ref = slot
		return append(dst, h)
	}
	for _, r := range s.multi[-slot-1] {
		h.Ref = r
		dst = append(dst, h)
	}
	return dst
}

// Lookup appends to dst the indicators that value v of kind k hits and
// returns the extended slice: for an IP address every block that contains
// it, longest prefix first (the exact address first of all); for a domain
// the domain and then each parent ("a.b.example", "b.example",
// "example"); for the other kinds the exact value. v must be in canonical
// form (see Canonical; Lookup lower-cases domains itself).
func (s *Set) Lookup(dst []Hit, k Kind, v string) []Hit {
	switch k {
	case IP:
		a, err := netip.ParseAddr(v)
		if err != nil {
			return dst
		}
		return s.LookupAddr(dst, a)
	case Domain:
		m := s.str[Domain]
		if len(m) == 0 {
			return dst
		}
		d := domainKey(v)
		for n := labels(d); ; n-- {
			if s.depths&depthBit(n) == 0 || !s.seen.may(Domain, d) {
				// not held
			} else if slot, ok := m[d]; ok {
				dst = s.emit(dst, slot, Hit{Kind: Domain, Value: d})
			}
			i := strings.IndexByte(d, '.')
			if i < 0 {
				return dst
			}
			d = d[i+1:]
		}
	}
	if k < Domain || k > UserAgent {
		return dst
	}
	if !s.seen.may(k, v) {
		return dst
	}
	if slot, ok := s.str[k][v]; ok {
		dst = s.emit(dst, slot, Hit{Kind: k, Value: v})
	}
	return dst
}

// LookupAddr is Lookup for a parsed address.
func (s *Set) LookupAddr(dst []Hit, a netip.Addr) []Hit {
	a = a.Unmap()
	if a.Is4() {
		b := a.As4()
		k := binary.BigEndian.Uint32(b[:])
		for _, t := range s.v4 {
			masked := mask4(k, t.bits)
			if !s.seen.may4(t.bits, masked) {
				continue
			}
			if slot, ok := t.m[masked]; ok {
				dst = s.emit(dst, slot, Hit{Kind: IP, Value: a.String(), Bits: t.bits, addr: a})
			}
		}
		return dst
	}
	for _, t := range s.v6 {
		p, err := a.WithZone("").Prefix(t.bits)
		if err != nil {
			continue
		}
		if slot, ok := t.m[p.Addr().As16()]; ok {
			dst = s.emit(dst, slot, Hit{Kind: IP, Value: a.String(), Bits: t.bits, addr: a})
		}
	}
	return dst
}

// labels returns the number of labels of a domain (dots plus one).
func labels(d string) int { return strings.Count(d, ".") + 1 }

// depthBit is the bit of Set.depths for a domain of n labels.
func depthBit(n int) uint64 { return 1 << min(n, 63) }

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
