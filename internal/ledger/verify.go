package ledger

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"

	"golang.org/x/mod/sumdb/tlog"
)

// Report summarises a successful Verify.
type Report struct {
	Entries     uint64 // entries checked
	Checkpoints int    // stored checkpoints checked
	Deleted     uint64 // entries whose payload was erased (only the hash checked)
	Root        Hash   // root of the tree of Entries leaves
}

// Verify recomputes the whole tree from entries.dat and checks it against
// everything stored: each frame's checksum, each entry's leaf hash and every
// interior hash in hashes.dat, each offset in entries.idx, and the signature,
// size, data end and root of every checkpoint in checkpoints.log. An erased
// payload is accepted only if a ledger.delete entry records it with the same
// leaf hash. It reads every file once, sequentially, and blocks payload
// deletions while it runs. The first mismatch is returned wrapping
// ErrTampered, with the file, entry index and offset.
func (l *Log) Verify(ctx context.Context) (Report, error) {
	if err := l.checkOpen(); err != nil {
		return Report{}, err
	}
	cps, err := l.storedCheckpoints()
	if err != nil {
		return Report{}, err
	}
	l.eraseMu.RLock()
	defer l.eraseMu.RUnlock()
	p := l.state()
	size := int64(p.size)
	data := bufio.NewReaderSize(io.NewSectionReader(l.data, 0, p.dataEnd), 1<<20)
	idx := bufio.NewReaderSize(io.NewSectionReader(l.idx, 0, size*8), 1<<16)
	hashes := bufio.NewReaderSize(io.NewSectionReader(l.hashes, 0, tlog.StoredHashCount(size)*32), 1<<20)

	rep := Report{Checkpoints: len(cps)}
	front := newFrontier()
	erased := map[uint64]Hash{}
	deleted := map[uint64]Hash{}
	ck := 0
	var prev uint64
	checkCheckpoints := func(n int64, off int64) error {
		for ; ck < len(cps) && cps[ck].tree.Size == uint64(n); ck++ {
			c := cps[ck]
			if c.tree.Size < prev {
				return tampered("checkpoints.log: checkpoint %d (offset %d) has size %d, smaller than the one before", ck, c.off, c.tree.Size)
			}
			prev = c.tree.Size
			if c.dataEnd != off {
				return tampered("checkpoints.log: checkpoint %d (size %d) says entries.dat ends at %d, but its entries end at %d", ck, n, c.dataEnd, off)
			}
			if r := front.root(); r != c.tree.Root {
				return tampered("checkpoint %d (size %d): root does not match the tree recomputed from entries.dat", ck, n)
			}
		}
		if ck < len(cps) && cps[ck].tree.Size < uint64(n) {
			return tampered("checkpoints.log: checkpoint %d (offset %d) has size %d, out of order", ck, cps[ck].off, cps[ck].tree.Size)
		}
		return nil
	}
	var off int64
	var hdr [frameHeader]byte
	var stored, want []Hash
	for n := int64(0); n < size; n++ {
		if n&0xffff == 0 && ctx.Err() != nil {
			return rep, ctx.Err()
		}
		if err := checkCheckpoints(n, off); err != nil {
			return rep, err
		}
		var ib [8]byte
		if _, err := io.ReadFull(idx, ib[:]); err != nil {
			return rep, tampered("entries.idx: entry %d: offset missing", n)
		}
		if got := int64(binary.BigEndian.Uint64(ib[:])); got != off {
			return rep, tampered("entries.idx: entry %d: offset %d, but entries.dat has it at %d", n, got, off)
		}
		if _, err := io.ReadFull(data, hdr[:]); err != nil {
			return rep, tampered("entries.dat: entry %d at offset %d: missing or truncated (file ends early)", n, off)
		}
		dn, flags, crc := frameHead(hdr[:])
		if int64(dn) > p.dataEnd-off-frameHeader || flags&^flagErased != 0 {
			return rep, tampered("entries.dat: entry %d at offset %d: impossible frame header (length %d, flags %#x)", n, off, dn, flags)
		}
		d := make([]byte, dn)
		if _, err := io.ReadFull(data, d); err != nil {
			return rep, tampered("entries.dat: entry %d at offset %d: truncated frame", n, off)
		}
		if frameCRC(hdr[:5], d) != crc {
			return rep, tampered("entries.dat: entry %d at offset %d: checksum mismatch (frame damaged or edited)", n, off)
		}
		kind, payload, _, ok := parseLeafData(d)
		if !ok {
			return rep, tampered("entries.dat: entry %d at offset %d: not a version-%d leaf", n, off, LeafVersion)
		}
		stored = stored[:0]
		for k := 0; k < storedPerLeaf(n); k++ {
			var h Hash
			if _, err := io.ReadFull(hashes, h[:]); err != nil {
				return rep, tampered("hashes.dat: stored hashes of entry %d missing (file truncated)", n)
			}
			stored = append(stored, h)
		}
		leaf := tlog.RecordHash(d)
		if flags&flagErased != 0 {
			leaf = stored[0]
			erased[uint64(n)] = leaf
			rep.Deleted++
		} else if leaf != stored[0] {
			return rep, tampered("entry %d: leaf hash in hashes.dat does not match the entry in entries.dat at offset %d (payload or hash edited)", n, off)
		}
		if kind == kindDelete {
			var del deletion
			if json.Unmarshal(payload, &del) == nil {
				deleted[del.Index] = del.LeafHash
			}
		}
		if want, err = front.add(leaf, want[:0]); err != nil {
			return rep, ioErr(err, "recompute tree")
		}
		for k := 1; k < len(want); k++ {
			if want[k] != stored[k] {
				return rep, tampered("hashes.dat: interior hash (level %d) completed by entry %d does not match the recomputed tree", k, n)
			}
		}
		off += frameHeader + int64(dn)
	}
	if err := checkCheckpoints(size, off); err != nil {
		return rep, err
	}
	if ck < len(cps) {
		return rep, tampered("checkpoints.log: checkpoint %d has size %d but the ledger holds only %d entries: entries are missing", ck, cps[ck].tree.Size, size)
	}
	for i, h := range erased {
		if d, ok := deleted[i]; !ok || d != h {
			return rep, tampered("entries.dat: entry %d is marked erased but no ledger.delete entry records it", i)
		}
	}
	rep.Entries, rep.Root = uint64(size), front.root()
	return rep, nil
}
