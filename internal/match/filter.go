package match

import "hash/maphash"

// filter is a blocked Bloom filter over the Set's keys (IPv4 blocks,
// domains, URLs, hashes, e-mail addresses, fingerprints, user agents): one 64-bit
// word per key, four bits set in it. A look-up that the filter rules out
// costs one hash and one memory read instead of a map probe; at 16 bits a
// key about one probe in 200 of a value not held gets through anyway and
// goes on to the map. Most values seen in traffic are not indicators, and
// a domain name is probed once per parent, so most probes end here.
//
// It holds no pointers (the garbage collector does not look into it) and
// is immutable once built.
type filter struct {
	words []uint64
	seed  maphash.Seed
	seed4 uint64
	mask  uint64
}

// newFilter returns a filter sized for n keys.
func newFilter(n int) *filter {
	size := 1
	for size < n/4 { // 64-bit words: 16 bits a key
		size <<= 1
	}
	seed := maphash.MakeSeed()
	return &filter{words: make([]uint64, size), seed: seed, seed4: maphash.String(seed, "v4"), mask: uint64(size - 1)}
}

func (f *filter) hash(k Kind, v string) uint64 {
	return maphash.String(f.seed, v) ^ uint64(k)*0x9e3779b97f4a7c15
}

func filterBits(h uint64) uint64 {
	return 1<<(h>>32&63) | 1<<(h>>38&63) | 1<<(h>>44&63) | 1<<(h>>50&63)
}

func (f *filter) set(h uint64) { f.words[h&f.mask] |= filterBits(h) }

// has reports whether every bit of h is set; a nil filter has them all.
func (f *filter) has(h uint64) bool {
	if f == nil {
		return true
	}
	b := filterBits(h)
	return f.words[h&f.mask]&b == b
}

func (f *filter) add(k Kind, v string) { f.set(f.hash(k, v)) }

// may reports whether v of kind k may be held: false means it is not.
func (f *filter) may(k Kind, v string) bool { return f == nil || f.has(f.hash(k, v)) }

// hash4 mixes an IPv4 block (prefix length and masked address) into 64
// bits (the SplitMix64 finaliser), with the filter's seed folded in.
func (f *filter) hash4(bits int, k uint32) uint64 {
	x := (uint64(k)<<8 | uint64(bits)) ^ f.seed4
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func (f *filter) add4(bits int, k uint32) { f.set(f.hash4(bits, k)) }

// may4 is may for an IPv4 block.
func (f *filter) may4(bits int, k uint32) bool { return f == nil || f.has(f.hash4(bits, k)) }
