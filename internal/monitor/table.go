package monitor

import (
	"encoding/binary"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"time"
	"unsafe"

	"github.com/google/uuid"

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

// uid is the UUID of a canonical id, as two big-endian halves.
type uid struct{ hi, lo uint64 }

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
	return idPrefix + uuid.UUID(u).String()
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
	if !canonical {
		ref, ok := ix.oddRef[id]
		return ref, ok
	}
	if len(ix.byID) == 0 {
		return 0, false
	}
	mask := uint64(len(ix.byID) - 1)
	for i := u.hash() & mask; ; i = (i + 1) & mask {
		s := ix.byID[i]
		if s == 0 {
			return 0, false
		}
		if ix.recs[s-1].id == u {
			return s - 1, true
		}
	}
}

// idSeed makes the slots of ids unpredictable from outside, so that ids
// cannot be chosen to collide.
var idSeed = [2]uint64{rand.Uint64(), rand.Uint64()}

func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

func (u uid) hash() uint64 { return mix(mix(u.hi^idSeed[0]) ^ u.lo ^ idSeed[1]) }

// indexIDs returns the open-addressing table of the canonical recs: a ref
// + 1 per slot, 0 for none; a power of two at least half empty.
func indexIDs(recs []rec) []int32 {
	if len(recs) == 0 {
		return nil
	}
	n := 8
	for n < 2*len(recs) {
		n <<= 1
	}
	slots := make([]int32, n)
	mask := uint64(n - 1)
	for ref := range recs {
		i := recs[ref].id.hash() & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = int32(ref) + 1
	}
	return slots
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

// compile builds a full Index: the indicators of old that masked does not
// cover, renumbered, and the changes (n of them) that add or replace one.
// Refs: ids canonical first (found through Index.byID), then the others
// (Index.odd). old may be nil.
func compile(old *Index, masked bitset, changes iter.Seq[change], n int, now time.Time) *Index {
	if old == nil {
		old = &Index{}
	}
	kept := len(old.recs)
	for i := range old.recs {
		if masked.has(int32(i)) {
			kept--
		}
	}
	ix := &Index{Built: now, recs: make([]rec, 0, kept+n)}
	names := newTable(old.names, keyOfString, maxNames)
	dists := newTable(old.dists, self, math.MaxInt)
	remap := make([]int32, len(old.recs)) // old ref → new ref, or -1
	keep := func(ref int) {
		if masked.has(int32(ref)) {
			remap[ref] = -1
			return
		}
		remap[ref] = int32(len(ix.recs))
		r := old.recs[ref]
		r.name, r.dist = names.keep(r.name), dists.keep(r.dist)
		ix.recs = append(ix.recs, r)
		if nc := len(old.recs) - len(old.odd); ref >= nc {
			ix.odd = append(ix.odd, old.odd[ref-nc])
		}
	}
	entries := make([]match.Entry, 0, n) // most indicators have one value
	patterns := map[int32]*pattern.Pattern{}
	addInd := func(u uid, ind *Indicator) {
		ref := int32(len(ix.recs))
		ix.recs = append(ix.recs, rec{id: u, name: names.add(ind.Name), dist: dists.add(ind.Dist), score: ind.Score})
		for _, e := range ind.Entries {
			e.Ref = ref
			entries = append(entries, e)
		}
		if ind.Pattern != nil {
			patterns[ref] = ind.Pattern
		}
	}
	nc := len(old.recs) - len(old.odd)
	for ref := range nc {
		keep(ref)
	}
	var odd []*Indicator
	for c := range changes {
		switch {
		case c.ind == nil:
		case c.canonical:
			addInd(c.id, c.ind)
		default:
			odd = append(odd, c.ind)
		}
	}
	ix.byID = indexIDs(ix.recs)
	for ref := nc; ref < len(old.recs); ref++ {
		keep(ref)
	}
	for _, ind := range odd {
		addInd(uid{}, ind)
		ix.odd = append(ix.odd, ind.ID)
	}
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
