package monitor

import (
	"cmp"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"time"
	"unsafe"

	"github.com/kyojo-hub/kyojo/internal/match"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// rec is one indicator as a compiled Index keeps it, by value in one slab
// per Index: 32 bytes and no pointers (the GC does not scan the slab),
// instead of a heap object, an id string and a slice of entries each. The
// values are in the Index's match.Set only.
type rec struct {
	id    uid // of a canonical id (see parseID); zero for the others
	score float64
	name  uint32 // in Index.names
	dist  uint32 // in Index.dists
}

const idPrefix = "indicator--"

// uid is the UUID of a canonical id, as two big-endian halves: ordered
// as the UUIDs are.
type uid struct{ hi, lo uint64 }

func (a uid) cmp(b uid) int {
	if c := cmp.Compare(a.hi, b.hi); c != 0 {
		return c
	}
	return cmp.Compare(a.lo, b.lo)
}

// parseID returns the UUID of a canonical indicator id: "indicator--" and
// a lower-case UUID in 8-4-4-4-12 form, the one formatID gives back. Other
// ids are kept as strings.
func parseID(id string) (uid, bool) {
	var u [16]byte
	if len(id) != len(idPrefix)+36 || id[:len(idPrefix)] != idPrefix {
		return uid{}, false
	}
	s := id[len(idPrefix):]
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return uid{}, false
			}
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return uid{}, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return uid{binary.BigEndian.Uint64(u[:8]), binary.BigEndian.Uint64(u[8:])}, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

// formatID is the inverse of parseID.
func formatID(id uid) string {
	var u [16]byte
	binary.BigEndian.PutUint64(u[:8], id.hi)
	binary.BigEndian.PutUint64(u[8:], id.lo)
	var b [len(idPrefix) + 36]byte
	copy(b[:], idPrefix)
	p := b[len(idPrefix):]
	hex.Encode(p[0:8], u[0:4])
	p[8] = '-'
	hex.Encode(p[9:13], u[4:6])
	p[13] = '-'
	hex.Encode(p[14:18], u[6:8])
	p[18] = '-'
	hex.Encode(p[19:23], u[8:10])
	p[23] = '-'
	hex.Encode(p[24:36], u[10:16])
	return string(b[:])
}

// bitset is one bit per base ref.
type bitset []uint64

func (b bitset) has(i int32) bool {
	return int(i>>6) < len(b) && b[i>>6]&(1<<(i&63)) != 0
}

func (b *bitset) set(i int32, n int) {
	if *b == nil {
		*b = make(bitset, (n+63)/64)
	}
	(*b)[i>>6] |= 1 << (i & 63)
}

// maxNames bounds the names Apply shares and the map by which a compile
// finds repeated ones.
const maxNames = 1 << 16

// name returns the shared copy of s, as far as maxNames allows (when the
// map is full it starts over). Callers hold mu.
func (x *Indicators) name(s string) string {
	if c, ok := x.names[s]; ok {
		return c
	}
	if len(x.names) >= maxNames {
		x.names = map[string]string{}
	}
	x.names[s] = s
	return s
}

// table is the names or sharings of one Index, each once as far as their
// keys tell (names: by where their bytes are, since Apply shares them, and
// as far as limit allows), and the way to them from the previous Index's.
type table[K comparable, V any] struct {
	all   []V
	key   func(V) K
	index map[K]uint32
	old   []V     // the previous Index's
	from  []int32 // index in all of each of old; -1: not yet
	limit int
}

func newTable[K comparable, V any](old []V, key func(V) K, limit int) *table[K, V] {
	t := &table[K, V]{key: key, index: map[K]uint32{}, old: old, from: make([]int32, len(old)), limit: limit}
	for i := range t.from {
		t.from[i] = -1
	}
	return t
}

func (t *table[K, V]) add(v V) uint32 {
	k := t.key(v)
	if i, ok := t.index[k]; ok {
		return i
	}
	i := uint32(len(t.all))
	t.all = append(t.all, v)
	if len(t.index) < t.limit {
		t.index[k] = i
	}
	return i
}

// keep returns the index of the previous Index's entry j.
func (t *table[K, V]) keep(j uint32) uint32 {
	if i := t.from[j]; i >= 0 {
		return uint32(i)
	}
	i := t.add(t.old[j])
	t.from[j] = int32(i)
	return i
}

// stringKey is where a string's bytes are: equal for the copies Apply
// shares, without reading them.
type stringKey struct {
	p *byte
	n int
}

func keyOfString(s string) stringKey { return stringKey{unsafe.StringData(s), len(s)} }

func self[T any](v T) T { return v }

// find returns the ref of an id in a full compile, given parseID's
// answer for it.
func (ix *Index) find(id string, u uid, canonical bool) (int32, bool) {
	if canonical {
		lo, hi := 0, len(ix.recs)-len(ix.odd)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			switch ix.recs[m].id.cmp(u) {
			case 0:
				return int32(m), true
			case -1:
				lo = m + 1
			default:
				hi = m
			}
		}
		return 0, false
	}
	ref, ok := ix.oddRef[id]
	return ref, ok
}

// id returns the id of a ref of this table (not of its delta).
func (ix *Index) id(ref int32) string {
	if i := int(ref) - (len(ix.recs) - len(ix.odd)); i >= 0 {
		return ix.odd[i]
	}
	return formatID(ix.recs[ref].id)
}

// change is one pending change to the table: the new version of an
// indicator (nil: removed) and its id as parseID reads it.
type change struct {
	ind       *Indicator
	id        uid
	canonical bool
}

func changeOf(ind *Indicator) change {
	u, ok := parseID(ind.ID)
	return change{ind, u, ok}
}

// additions are the indicators a compile adds, with their ids apart, so
// that sorting them moves no pointers.
type additions struct {
	inds []*Indicator
	keys []addKey
}

type addKey struct {
	id        uid
	i         int32 // in inds
	canonical bool
}

func newAdditions(n int) *additions {
	return &additions{inds: make([]*Indicator, 0, n), keys: make([]addKey, 0, n)}
}

// add takes c when it adds or replaces an indicator.
func (a *additions) add(c change) {
	if c.ind != nil {
		a.keys = append(a.keys, addKey{c.id, int32(len(a.inds)), c.canonical})
		a.inds = append(a.inds, c.ind)
	}
}

// compile builds a full Index: the indicators of old that masked does not
// cover, renumbered, and the added ones. Refs follow the ids: canonical
// ones in UUID order, so that find is a binary search, then the others.
// old may be nil.
func compile(old *Index, masked bitset, add *additions, now time.Time) *Index {
	if old == nil {
		old = &Index{}
	}
	names := newTable(old.names, keyOfString, maxNames)
	dists := newTable(old.dists, self, math.MaxInt)
	// The added indicators are read once, in their order (the pointers are
	// followed in one pass, not in the order of their ids): their records
	// and entries under provisional refs, the positions in add.
	fresh := make([]rec, len(add.inds))
	entries := make([]match.Entry, 0, len(add.inds)) // most indicators have one value
	var patterns map[int32]*pattern.Pattern
	for i, ind := range add.inds {
		fresh[i] = rec{id: add.keys[i].id, name: names.add(ind.Name), dist: dists.add(ind.Dist), score: ind.Score}
		for _, e := range ind.Entries {
			e.Ref = int32(i)
			entries = append(entries, e)
		}
		if ind.Pattern != nil {
			if patterns == nil {
				patterns = map[int32]*pattern.Pattern{}
			}
			patterns[int32(i)] = ind.Pattern
		}
	}
	// Canonical ids first, in order; then the others.
	nAdd := 0
	for i, k := range add.keys {
		if k.canonical {
			add.keys[i], add.keys[nAdd] = add.keys[nAdd], k
			nAdd++
		}
	}
	sortKeys(add.keys[:nAdd])
	canon, odd := add.keys[:nAdd], add.keys[nAdd:]
	kept := len(old.recs)
	for i := range old.recs {
		if masked.has(int32(i)) {
			kept--
		}
	}
	ix := &Index{Built: now, recs: make([]rec, 0, kept+len(add.inds))}
	remap := make([]int32, len(old.recs)) // old ref → new ref
	final := make([]int32, len(add.inds)) // position in add → new ref
	addRec := func(i int32) {
		final[i] = int32(len(ix.recs))
		ix.recs = append(ix.recs, fresh[i])
	}
	keep := func(ref int) {
		remap[ref] = int32(len(ix.recs))
		r := old.recs[ref]
		r.name, r.dist = names.keep(r.name), dists.keep(r.dist)
		ix.recs = append(ix.recs, r)
	}
	nc := len(old.recs) - len(old.odd)
	for i, j := 0, 0; i < nc || j < len(canon); {
		if i < nc && masked.has(int32(i)) {
			remap[i] = -1
			i++
			continue
		}
		if j == len(canon) || (i < nc && old.recs[i].id.cmp(canon[j].id) < 0) {
			keep(i)
			i++
		} else {
			addRec(canon[j].i)
			j++
		}
	}
	for i := nc; i < len(old.recs); i++ {
		if masked.has(int32(i)) {
			remap[i] = -1
			continue
		}
		keep(i)
		ix.odd = append(ix.odd, old.odd[i-nc])
	}
	for _, k := range odd {
		addRec(k.i)
		ix.odd = append(ix.odd, add.inds[k.i].ID)
	}
	for i := range entries {
		entries[i].Ref = final[entries[i].Ref]
	}
	refPatterns := make(map[int32]*pattern.Pattern, len(patterns)+len(old.complex))
	for i, p := range patterns {
		refPatterns[final[i]] = p
	}
	patterns = refPatterns
	if len(ix.odd) > 0 {
		ix.oddRef = make(map[string]int32, len(ix.odd))
		for i, id := range ix.odd {
			ix.oddRef[id] = int32(len(ix.recs) - len(ix.odd) + i)
		}
	}
	for k, ref := range old.complex {
		if !masked.has(ref) {
			patterns[remap[ref]] = old.patterns[k]
		}
	}
	for ref := range patterns {
		ix.complex = append(ix.complex, ref)
	}
	slices.Sort(ix.complex)
	for _, ref := range ix.complex {
		ix.patterns = append(ix.patterns, patterns[ref])
	}
	if old.set != nil {
		ix.set = match.Rebase(old.set, remap, entries)
	} else {
		ix.set = match.Build(entries)
	}
	ix.names, ix.dists = names.all, dists.all
	ix.n = len(ix.recs)
	return ix
}

// sortKeys sorts keys by id: many at once by the top 16 bits (UUIDs are
// mostly random there) and then each bucket, a few at once by comparing.
func sortKeys(keys []addKey) {
	byID := func(a, b addKey) int { return a.id.cmp(b.id) }
	if len(keys) < 1<<14 {
		slices.SortFunc(keys, byID)
		return
	}
	start := make([]int, 1<<16+1)
	for _, k := range keys {
		start[k.id.hi>>48+1]++
	}
	for b := 1; b < len(start); b++ {
		start[b] += start[b-1]
	}
	next := slices.Clone(start[:1<<16])
	sorted := make([]addKey, len(keys))
	for _, k := range keys {
		b := k.id.hi >> 48
		sorted[next[b]] = k
		next[b]++
	}
	for b := range 1 << 16 {
		if seg := sorted[start[b]:start[b+1]]; len(seg) > 1 {
			slices.SortFunc(seg, byID)
		}
	}
	copy(keys, sorted)
}
