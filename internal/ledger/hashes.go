package ledger

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/bits"
	"os"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// frontier holds the roots of the complete subtrees of a tree of n leaves
// (one per set bit of n): exactly the stored hashes tlog needs to add the
// next leaf and to compute the tree hash. It implements tlog.HashReader for
// those indexes only. Not safe for concurrent use.
type frontier struct {
	n   int64
	idx [64]int64 // stored-hash index of the node at each level; -1 if none
	h   [64]Hash
}

func newFrontier() *frontier {
	f := &frontier{}
	for i := range f.idx {
		f.idx[i] = -1
	}
	return f
}

// loadFrontier reads the frontier of a tree of n leaves from r.
func loadFrontier(n int64, r tlog.HashReader) (*frontier, error) {
	f := newFrontier()
	f.n = n
	var levels []int
	var want []int64
	for l := 0; l < 63; l++ {
		if n&(1<<l) != 0 {
			levels = append(levels, l)
			want = append(want, tlog.StoredHashIndex(l, n>>l-1))
		}
	}
	hs, err := r.ReadHashes(want)
	if err != nil {
		return nil, err
	}
	for i, l := range levels {
		f.idx[l], f.h[l] = want[i], hs[i]
	}
	return f, nil
}

// ReadHashes implements tlog.HashReader for frontier nodes.
func (f *frontier) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		l, _ := tlog.SplitStoredHashIndex(x)
		if l < 0 || l >= 64 || f.idx[l] != x {
			return nil, fmt.Errorf("ledger: stored hash %d is not on the frontier of size %d", x, f.n)
		}
		out[i] = f.h[l]
	}
	return out, nil
}

// push records the stored hashes tlog returned for leaf f.n.
func (f *frontier) push(stored []Hash) {
	m := len(stored) - 1
	for l := 0; l < m; l++ {
		f.idx[l] = -1
	}
	f.idx[m] = tlog.StoredHashIndex(m, (f.n+1)>>m-1)
	f.h[m] = stored[m]
	f.n++
}

// add computes the stored hashes of the next leaf, pushes them and returns
// them (appended to dst).
func (f *frontier) add(leaf Hash, dst []Hash) ([]Hash, error) {
	stored, err := tlog.StoredHashesForRecordHash(f.n, leaf, f)
	if err != nil {
		return nil, err
	}
	f.push(stored)
	return append(dst, stored...), nil
}

func (f *frontier) root() Hash {
	h, err := tlog.TreeHash(f.n, f)
	if err != nil {
		panic(err) // the frontier always holds what TreeHash needs
	}
	return h
}

// storedPerLeaf is how many stored hashes leaf n adds: 1 + trailing ones.
func storedPerLeaf(n int64) int { return 1 + bits.TrailingZeros64(uint64(n+1)) }

// fileHashes reads stored hashes from hashes.dat, each with one pread, or
// from cache. limit is the number of stored hashes that may be read.
type fileHashes struct {
	f     io.ReaderAt
	limit int64
	cache *hashCache // may be nil
}

func (r fileHashes) ReadHashes(indexes []int64) ([]Hash, error) {
	out := make([]Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= r.limit {
			return nil, fmt.Errorf("ledger: stored hash %d beyond the %d stored", x, r.limit)
		}
		if r.cache.get(x, &out[i]) {
			continue
		}
		if _, err := r.f.ReadAt(out[i][:], x*int64(len(Hash{}))); err != nil {
			return nil, fmt.Errorf("ledger: hashes.dat: read stored hash %d: %w", x, err)
		}
		r.cache.put(x, out[i])
	}
	return out, nil
}

// cacheMinLevel is the lowest tree level whose nodes are cached: nodes
// covering 1,024 leaves or more, shared by many proofs (about 200,000 of
// them in a tree of 100,000,000 leaves), while the lower levels of a proof
// lie close together in hashes.dat.
const (
	cacheMinLevel = 10
	cacheMax      = 1 << 18
)

// hashCache keeps high-level stored hashes, which never change once
// written. Safe for concurrent use; a nil *hashCache caches nothing.
type hashCache struct {
	mu sync.Mutex
	m  map[int64]Hash
}

func (c *hashCache) get(x int64, h *Hash) bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[x]
	*h = v
	return ok
}

func (c *hashCache) put(x int64, h Hash) {
	if c == nil {
		return
	}
	if l, _ := tlog.SplitStoredHashIndex(x); l < cacheMinLevel {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= cacheMax {
		c.m = make(map[int64]Hash)
	}
	c.m[x] = h
}

// readU64At reads a big-endian u64 at off.
func readU64At(f *os.File, off int64) (uint64, error) {
	var b [8]byte
	if _, err := f.ReadAt(b[:], off); err != nil {
		return 0, err
	}
	return binary.BigEndian.Uint64(b[:]), nil
}
