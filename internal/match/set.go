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
	v4    []v4Table // by prefix length, longest first; /32 included
	v6    []v6Table
	str   [UserAgent + 1]map[string]int32 // Domain, URL, Hash, Email, JA3, UserAgent
	multi [][]int32
	n     int
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
	s := &Set{}
	v4 := map[int]map[uint32]int32{}
	v6 := map[int]map[[16]byte]int32{}
	for k := Domain; k <= UserAgent; k++ {
		s.str[k] = map[string]int32{}
	}
	for _, e := range entries {
		if e.Kind == IP {
			p, ok := parsePrefix(e.Value)
			if !ok {
				continue
			}
			if p.Addr().Is4() {
				m := v4[p.Bits()]
				if m == nil {
					m = map[uint32]int32{}
					v4[p.Bits()] = m
				}
				k := binary.BigEndian.Uint32(p.Addr().AsSlice())
				if s.add4(m, k, e.Ref) {
					s.n++
				}
			} else {
				m := v6[p.Bits()]
				if m == nil {
					m = map[[16]byte]int32{}
					v6[p.Bits()] = m
				}
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
		if s.addStr(s.str[e.Kind], v, e.Ref) {
			s.n++
		}
	}
	for bits, m := range v4 {
		s.v4 = append(s.v4, v4Table{bits, m})
	}
	for bits, m := range v6 {
		s.v6 = append(s.v6, v6Table{bits, m})
	}
	slices.SortFunc(s.v4, func(a, b v4Table) int { return b.bits - a.bits })
	slices.SortFunc(s.v6, func(a, b v6Table) int { return b.bits - a.bits })
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

func (s *Set) addStr(m map[string]int32, k string, ref int32) bool {
	cur, ok := m[k]
	if !ok {
		m[strings.Clone(k)] = ref
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
		d := strings.TrimSuffix(v, ".")
		if hasUpper(d) {
			d = strings.ToLower(d)
		}
		for {
			if slot, ok := m[d]; ok {
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
			var masked uint32
			if t.bits > 0 {
				masked = k &^ (1<<(32-t.bits) - 1)
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

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
