package ledger

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/crc32"
	"io"
	"log/slog"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// storedCheckpoint is one record of checkpoints.log.
type storedCheckpoint struct {
	tree    Tree
	dataEnd int64
	note    []byte
	off     int64 // where its frame starts in checkpoints.log
}

const maxCheckpointNote = 64 << 10

// readCheckpoints reads the frames of checkpoints.log up to the first torn
// or damaged one and returns them with the end of the last good frame. The
// notes are not verified.
func readCheckpoints(r io.Reader) ([]storedCheckpoint, int64) {
	br := bufio.NewReader(r)
	var out []storedCheckpoint
	var off int64
	for {
		var h [8]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			return out, off
		}
		n := binary.BigEndian.Uint32(h[:4])
		if n < 8 || n > maxCheckpointNote+8 {
			return out, off
		}
		body := make([]byte, n)
		if _, err := io.ReadFull(br, body); err != nil {
			return out, off
		}
		if crc32.Checksum(body, castagnoli) != binary.BigEndian.Uint32(h[4:]) {
			return out, off
		}
		out = append(out, storedCheckpoint{dataEnd: int64(binary.BigEndian.Uint64(body)), note: body[8:], off: off})
		off += 8 + int64(n)
	}
}

// recover brings the files to a consistent state; see Open.
func (l *Log) recover() error {
	cps, end := readCheckpoints(io.NewSectionReader(l.cps, 0, 1<<62))
	if st, _ := l.cps.Stat(); st != nil && st.Size() > end {
		// Each checkpoint is synced before the next is written, so only the
		// last frame can be torn: a bad frame with whole frames after it is
		// damage, not a crash.
		var h [8]byte
		if _, err := l.cps.ReadAt(h[:], end); err == nil && end+8+int64(binary.BigEndian.Uint32(h[:4])) < st.Size() {
			return tampered("checkpoints.log: frame at offset %d is damaged and is not the last", end)
		}
		l.logRecovery("checkpoints.log", end, st.Size())
		if err := l.cps.Truncate(end); err != nil {
			return ioErr(err, "truncate checkpoints.log")
		}
	}
	l.cpEnd = end
	var c int64
	var cp storedCheckpoint
	if len(cps) > 0 {
		cp = cps[len(cps)-1]
		t, _, err := openCheckpoint(cp.note, l.verifier)
		if err != nil {
			return tampered("checkpoints.log: latest checkpoint (offset %d): %v", cp.off, err)
		}
		cp.tree, c = t, int64(t.Size)
		l.latest = cp
	}
	if err := l.checkLen(l.idx, idxFile, c*8); err != nil {
		return err
	}
	if err := l.checkLen(l.hashes, hashFile, tlog.StoredHashCount(c)*int64(len(Hash{}))); err != nil {
		return err
	}
	if err := l.checkLen(l.data, dataFile, cp.dataEnd); err != nil {
		return err
	}
	front, err := loadFrontier(c, fileHashes{l.hashes, tlog.StoredHashCount(c), nil})
	if err != nil {
		return ioErr(err, "read hashes.dat")
	}
	if len(cps) > 0 && front.root() != cp.tree.Root {
		return tampered("hashes.dat: stored hashes give a different root at size %d than the latest checkpoint", c)
	}
	if err := l.checkLastCheckpointed(c, cp.dataEnd); err != nil {
		return err
	}
	l.front, l.dataEnd = front, cp.dataEnd
	if err := l.idx.Truncate(c * 8); err != nil {
		return ioErr(err, "truncate entries.idx")
	}
	if err := l.hashes.Truncate(tlog.StoredHashCount(c) * int64(len(Hash{}))); err != nil {
		return ioErr(err, "truncate hashes.dat")
	}
	deletes, err := l.replayTail()
	if err != nil {
		return err
	}
	for _, f := range []interface{ Sync() error }{l.data, l.idx, l.hashes, l.cps} {
		if err := f.Sync(); err != nil {
			return ioErr(err, "sync")
		}
	}
	l.pub = published{size: uint64(l.front.n), root: l.front.root(), dataEnd: l.dataEnd}
	for _, i := range deletes { // finish erasures a crash interrupted
		if err := l.erase(i); err != nil {
			return err
		}
	}
	return nil
}

// checkLen reports a file shorter than the latest checkpoint needs.
func (l *Log) checkLen(f *os.File, name string, want int64) error {
	st, err := f.Stat()
	if err != nil {
		return ioErr(err, "stat "+name)
	}
	if st.Size() < want {
		return tampered("%s: %d bytes, but the latest checkpoint (size %d) needs %d: data below the checkpoint is missing", name, st.Size(), l.latest.tree.Size, want)
	}
	return nil
}

// checkLastCheckpointed checks cheaply that entry c-1, the last one the
// latest checkpoint covers, is where entries.idx says, ends where the
// checkpoint says entries.dat ends, and matches its stored leaf hash; an
// entry cut out of the middle of entries.dat fails here.
func (l *Log) checkLastCheckpointed(c, dataEnd int64) error {
	if c == 0 {
		if dataEnd != 0 {
			return tampered("checkpoints.log: empty tree with data end %d", dataEnd)
		}
		return nil
	}
	off64, err := readU64At(l.idx, (c-1)*8)
	if err != nil {
		return ioErr(err, "read entries.idx")
	}
	off := int64(off64)
	var h [frameHeader]byte
	if _, err := l.data.ReadAt(h[:], off); err != nil {
		return tampered("entries.dat: entry %d at offset %d: cannot read frame", c-1, off)
	}
	n, flags, crc := frameHead(h[:])
	if off+frameHeader+int64(n) != dataEnd {
		return tampered("entries.dat: entry %d at offset %d does not end where the latest checkpoint says (%d): entries.dat was cut or edited", c-1, off, dataEnd)
	}
	d := make([]byte, n)
	if _, err := l.data.ReadAt(d, off+frameHeader); err != nil || frameCRC(h[:5], d) != crc {
		return tampered("entries.dat: entry %d at offset %d: checksum mismatch", c-1, off)
	}
	leaf, err := fileHashes{l.hashes, tlog.StoredHashCount(c), nil}.ReadHashes([]int64{tlog.StoredHashIndex(0, c-1)})
	if err != nil {
		return ioErr(err, "read hashes.dat")
	}
	if flags&flagErased == 0 && tlog.RecordHash(d) != leaf[0] {
		return tampered("entry %d: leaf hash in hashes.dat does not match entries.dat", c-1)
	}
	return nil
}

// replayTail scans entries.dat from l.dataEnd, appends the offsets and
// stored hashes of every complete frame to entries.idx and hashes.dat, cuts
// off a torn or damaged tail, and returns the targets of deletion entries
// found (their erasure may not have happened).
func (l *Log) replayTail() ([]uint64, error) {
	st, err := l.data.Stat()
	if err != nil {
		return nil, ioErr(err, "stat entries.dat")
	}
	br := bufio.NewReaderSize(io.NewSectionReader(l.data, l.dataEnd, st.Size()-l.dataEnd), 1<<20)
	n0, off := l.front.n, l.dataEnd
	var ibuf, hbuf []byte
	var stored []Hash
	var deletes []uint64
	var h [frameHeader]byte
	for {
		if _, err := io.ReadFull(br, h[:]); err != nil {
			break
		}
		n, flags, crc := frameHead(h[:])
		if n < 2 || int64(n) > maxLeafData || flags&^flagErased != 0 {
			break
		}
		d := make([]byte, n)
		if _, err := io.ReadFull(br, d); err != nil || frameCRC(h[:5], d) != crc {
			break
		}
		kind, payload, _, ok := parseLeafData(d)
		if !ok || flags&flagErased != 0 {
			break // erased frames are always below a checkpoint
		}
		if kind == kindDelete {
			var del deletion
			if json.Unmarshal(payload, &del) == nil {
				deletes = append(deletes, del.Index)
			}
		}
		ibuf = binary.BigEndian.AppendUint64(ibuf, uint64(off))
		if stored, err = l.front.add(tlog.RecordHash(d), stored[:0]); err != nil {
			return nil, ioErr(err, "rebuild hashes")
		}
		for _, s := range stored {
			hbuf = append(hbuf, s[:]...)
		}
		off += frameHeader + int64(n)
	}
	if off < st.Size() {
		l.logRecovery(dataFile, off, st.Size())
		if err := l.data.Truncate(off); err != nil {
			return nil, ioErr(err, "truncate entries.dat")
		}
	}
	l.dataEnd = off
	if _, err := l.idx.WriteAt(ibuf, n0*8); err != nil {
		return nil, ioErr(err, "write entries.idx")
	}
	if _, err := l.hashes.WriteAt(hbuf, tlog.StoredHashCount(n0)*int64(len(Hash{}))); err != nil {
		return nil, ioErr(err, "write hashes.dat")
	}
	return deletes, nil
}

func (l *Log) logRecovery(file string, keep, had int64) {
	l.opts.Logger.LogAttrs(context.Background(), slog.LevelWarn, "ledger: cut torn tail after crash",
		slog.String("dir", l.dir), slog.String("file", file), slog.Int64("kept_bytes", keep), slog.Int64("dropped_bytes", had-keep))
}

// Checkpoint returns the latest signed checkpoint, first signing and storing
// a new one if the tree has grown since. The returned note covers every
// entry whose Append returned before the call.
func (l *Log) Checkpoint() ([]byte, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	return l.checkpoint()
}

func (l *Log) checkpoint() ([]byte, error) {
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	return l.checkpointLocked()
}

func (l *Log) checkpointLocked() ([]byte, error) {
	p := l.state()
	if l.latest.note != nil && l.latest.tree.Size == p.size {
		return append([]byte(nil), l.latest.note...), nil
	}
	// The derived files MUST be durable before a checkpoint vouches for them.
	if err := l.idx.Sync(); err != nil {
		return nil, ioErr(err, "sync entries.idx")
	}
	if err := l.hashes.Sync(); err != nil {
		return nil, ioErr(err, "sync hashes.dat")
	}
	t := Tree{Origin: l.opts.Origin, Size: p.size, Root: p.root}
	signed, err := note.Sign(&note.Note{Text: string(t.MarshalCheckpoint())}, l.signer)
	if err != nil {
		return nil, ioErr(err, "sign checkpoint")
	}
	body := binary.BigEndian.AppendUint64(nil, uint64(p.dataEnd))
	body = append(body, signed...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	frame = binary.BigEndian.AppendUint32(frame, crc32.Checksum(body, castagnoli))
	frame = append(frame, body...)
	if _, err := l.cps.WriteAt(frame, l.cpEnd); err != nil {
		return nil, ioErr(err, "write checkpoints.log")
	}
	if err := l.cps.Sync(); err != nil {
		return nil, ioErr(err, "sync checkpoints.log")
	}
	l.latest = storedCheckpoint{tree: t, dataEnd: p.dataEnd, note: signed, off: l.cpEnd}
	l.cpEnd += int64(len(frame))
	return append([]byte(nil), signed...), nil
}

// storedCheckpoints returns every checkpoint in checkpoints.log, verified.
func (l *Log) storedCheckpoints() ([]storedCheckpoint, error) {
	l.ckMu.Lock()
	end := l.cpEnd
	l.ckMu.Unlock()
	cps, got := readCheckpoints(io.NewSectionReader(l.cps, 0, end))
	if got != end {
		return nil, tampered("checkpoints.log: frame at offset %d is damaged", got)
	}
	for i := range cps {
		t, _, err := openCheckpoint(cps[i].note, l.verifier)
		if err != nil {
			return nil, tampered("checkpoints.log: checkpoint %d (offset %d): %v", i, cps[i].off, err)
		}
		cps[i].tree = t
	}
	return cps, nil
}
