package ledger

import (
	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/tlog"
)

// Entry is one stored entry. Payload is nil when Deleted: the payload was
// erased for retention and only LeafHash (which still covers the original
// kind and payload) remains.
type Entry struct {
	Index    uint64 `json:"index"`
	Kind     string `json:"kind"`
	Payload  []byte `json:"payload,omitempty"`
	LeafHash Hash   `json:"leaf_hash"`
	Deleted  bool   `json:"payload_deleted,omitempty"`
}

// Entry returns entry i. An index at or beyond Size is errs.NotFound; a
// frame whose checksum or leaf hash does not match wraps ErrTampered.
func (l *Log) Entry(i uint64) (Entry, error) {
	if err := l.checkOpen(); err != nil {
		return Entry{}, err
	}
	if i >= l.Size() {
		return Entry{}, errs.E(errs.NotFound, "ledger has no entry %d", i)
	}
	e, _, _, err := l.readEntry(i)
	return e, err
}

// readEntry reads entry i (which MUST be below the published size) and
// returns it with its frame offset and raw leaf data.
func (l *Log) readEntry(i uint64) (Entry, int64, []byte, error) {
	l.eraseMu.RLock()
	defer l.eraseMu.RUnlock()
	off64, err := readU64At(l.idx, int64(i)*8)
	if err != nil {
		return Entry{}, 0, nil, ioErr(err, "read entries.idx")
	}
	off := int64(off64)
	var h [frameHeader]byte
	if _, err := l.data.ReadAt(h[:], off); err != nil {
		return Entry{}, 0, nil, tampered("entries.dat: entry %d at offset %d: cannot read frame header: %v", i, off, err)
	}
	n, flags, crc := frameHead(h[:])
	if int64(n) > maxLeafData {
		return Entry{}, 0, nil, tampered("entries.dat: entry %d at offset %d: frame length %d is impossible", i, off, n)
	}
	d := make([]byte, n)
	if _, err := l.data.ReadAt(d, off+frameHeader); err != nil {
		return Entry{}, 0, nil, tampered("entries.dat: entry %d at offset %d: truncated frame: %v", i, off, err)
	}
	if frameCRC(h[:5], d) != crc {
		return Entry{}, 0, nil, tampered("entries.dat: entry %d at offset %d: checksum mismatch", i, off)
	}
	kind, payload, _, ok := parseLeafData(d)
	if !ok {
		return Entry{}, 0, nil, tampered("entries.dat: entry %d at offset %d: not a version-%d leaf", i, off, LeafVersion)
	}
	hs, err := fileHashes{l.hashes, tlog.StoredHashCount(int64(l.Size())), nil}.ReadHashes([]int64{tlog.StoredHashIndex(0, int64(i))})
	if err != nil {
		return Entry{}, 0, nil, ioErr(err, "read leaf hash")
	}
	e := Entry{Index: i, Kind: kind, LeafHash: hs[0], Deleted: flags&flagErased != 0}
	if !e.Deleted {
		if tlog.RecordHash(d) != e.LeafHash {
			return Entry{}, 0, nil, tampered("entry %d: data in entries.dat (offset %d) does not match its leaf hash in hashes.dat", i, off)
		}
		e.Payload = payload
	}
	return e, off, d, nil
}

// InclusionProof returns the RFC 6962 audit path proving entry i is in the
// tree of the given size; check it with tlog.CheckRecord or VerifyInclusion.
// It needs O(log size) reads. i MUST be below size and size at most Size
// (errs.Invalid otherwise).
func (l *Log) InclusionProof(i, size uint64) ([]Hash, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	cur := l.Size()
	if i >= size || size > cur {
		return nil, errs.E(errs.Invalid, "no inclusion proof for entry %d in a tree of %d (ledger size %d)", i, size, cur)
	}
	p, err := tlog.ProveRecord(int64(size), int64(i), fileHashes{l.hashes, tlog.StoredHashCount(int64(cur)), &l.cache})
	return p, ioErr(err, "prove inclusion")
}

// ConsistencyProof returns the RFC 6962 proof that the tree of size old is
// a prefix of the tree of size new; check it with tlog.CheckTree or
// VerifyConsistency. old MUST be at most new and new at most Size.
func (l *Log) ConsistencyProof(old, new uint64) ([]Hash, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	cur := l.Size()
	if old > new || new > cur {
		return nil, errs.E(errs.Invalid, "no consistency proof from %d to %d (ledger size %d)", old, new, cur)
	}
	if old == 0 || old == new {
		return []Hash{}, nil // every tree extends the empty tree and itself
	}
	p, err := tlog.ProveTree(int64(new), int64(old), fileHashes{l.hashes, tlog.StoredHashCount(int64(cur)), &l.cache})
	return p, ioErr(err, "prove consistency")
}

// RootAt returns the root hash of the tree of the given size (at most Size).
func (l *Log) RootAt(size uint64) (Hash, error) {
	if err := l.checkOpen(); err != nil {
		return Hash{}, err
	}
	cur := l.Size()
	if size > cur {
		return Hash{}, errs.E(errs.Invalid, "no tree of size %d (ledger size %d)", size, cur)
	}
	h, err := tlog.TreeHash(int64(size), fileHashes{l.hashes, tlog.StoredHashCount(int64(cur)), &l.cache})
	return h, ioErr(err, "tree hash")
}

// VerifyInclusion checks that leaf is entry i of the tree (size, root).
// A failing proof wraps ErrTampered.
func VerifyInclusion(proof []Hash, size uint64, root Hash, i uint64, leaf Hash) error {
	if i >= size || tlog.CheckRecord(proof, int64(size), root, int64(i), leaf) != nil {
		return tampered("inclusion proof of entry %d in tree of size %d does not lead to its root", i, size)
	}
	return nil
}

// VerifyConsistency checks that tree (oldSize, oldRoot) is a prefix of tree
// (size, root). A failing proof wraps ErrTampered.
func VerifyConsistency(proof []Hash, size uint64, root Hash, oldSize uint64, oldRoot Hash) error {
	switch {
	case oldSize == 0 && len(proof) == 0 && oldRoot == emptyRoot:
		return nil
	case oldSize == size && len(proof) == 0 && oldRoot == root:
		return nil
	}
	if oldSize == 0 || oldSize > size || tlog.CheckTree(proof, int64(size), root, int64(oldSize), oldRoot) != nil {
		return tampered("consistency proof from size %d to %d does not hold", oldSize, size)
	}
	return nil
}

// emptyRoot is the RFC 6962 root of the empty tree, SHA-256 of nothing.
var emptyRoot, _ = tlog.TreeHash(0, nil)
