package ledger

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// tamperFixture makes a closed ledger of 40 entries whose last checkpoint
// covers them all (with an earlier one at 25) and returns its directory and
// the offset and length of entry 10's frame.
func tamperFixture(t *testing.T) (dir string, off10, len10 int64) {
	t.Helper()
	dir = t.TempDir()
	l := open(t, dir)
	appendN(t, l, 25)
	l.Checkpoint()
	appendN(t, l, 15)
	off, _ := readU64At(l.idx, 10*8)
	next, _ := readU64At(l.idx, 11*8)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, int64(off), int64(next - off)
}

// appendCheckpoint appends a checkpoint frame signed by skey to
// checkpoints.log, as a forger with write access would.
func appendCheckpoint(t *testing.T, dir, skey string, tr Tree, dataEnd int64) {
	t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := note.Sign(&note.Note{Text: string(tr.MarshalCheckpoint())}, s)
	body := append(binary.BigEndian.AppendUint64(nil, uint64(dataEnd)), signed...)
	frame := binary.BigEndian.AppendUint32(nil, uint32(len(body)))
	frame = binary.BigEndian.AppendUint32(frame, crc32.Checksum(body, castagnoli))
	frame = append(frame, body...)
	editFile(t, filepath.Join(dir, cpFile), func(b []byte) []byte { return append(b, frame...) })
}

func TestVerifyFindsTampering(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(t *testing.T, dir string, off, n int64)
		want string // in the error of Open or Verify
	}{
		{"payload byte", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, dataFile), func(b []byte) []byte { b[off+n-3] ^= 1; return b })
		}, "entries.dat: entry 10 at offset"},
		{"payload byte with checksum fixed", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, dataFile), func(b []byte) []byte {
				b[off+n-3] ^= 1
				binary.BigEndian.PutUint32(b[off+5:], frameCRC(b[off:off+5], b[off+frameHeader:off+n]))
				return b
			})
		}, "entry 10: leaf hash in hashes.dat does not match"},
		{"stored leaf hash", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, hashFile), func(b []byte) []byte { b[tlog.StoredHashIndex(0, 10)*32+5] ^= 1; return b })
		}, "entry 10: leaf hash in hashes.dat does not match"},
		{"stored interior hash", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, hashFile), func(b []byte) []byte { b[tlog.StoredHashIndex(1, 5)*32] ^= 1; return b })
		}, "interior hash (level 1) completed by entry 11"},
		{"entry dropped from the middle", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, dataFile), func(b []byte) []byte { return append(b[:off:off], b[off+n:]...) })
		}, "entries.dat"},
		{"entry dropped, file padded to its length", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, dataFile), func(b []byte) []byte { return append(append(b[:off:off], b[off+n:]...), make([]byte, n)...) })
		}, "entries.dat: entry 39 at offset 1852 does not end where the latest checkpoint says"},
		{"hashes.dat truncated", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, hashFile), func(b []byte) []byte { return b[:len(b)/2] })
		}, "hashes.dat: 1248 bytes, but the latest checkpoint (size 40) needs 2496"},
		{"entries.idx truncated", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, idxFile), func(b []byte) []byte { return b[:100] })
		}, "entries.idx: 100 bytes"},
		{"entries.idx offset", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, idxFile), func(b []byte) []byte { b[10*8+7]++; return b })
		}, "entries.idx: entry 10: offset"},
		{"checkpoint by another key", func(t *testing.T, dir string, off, n int64) {
			skey, _, _ := note.GenerateKey(rand.Reader, "test.kyojo/ledger")
			appendCheckpoint(t, dir, skey, Tree{"test.kyojo/ledger", 40, Hash{}}, 0)
		}, "latest checkpoint (offset"},
		{"checkpoint with a wrong root, hub key", func(t *testing.T, dir string, off, n int64) {
			skey, _ := os.ReadFile(filepath.Join(dir, signerFile))
			appendCheckpoint(t, dir, strings.TrimSpace(string(skey)), Tree{"test.kyojo/ledger", 40, Hash{7}}, 0)
		}, "different root at size 40 than the latest checkpoint"},
		{"checkpoint with a wrong root in the middle", func(t *testing.T, dir string, off, n int64) {
			skey, _ := os.ReadFile(filepath.Join(dir, signerFile))
			l := open(t, dir)
			p := l.state()
			l.Close()
			appendCheckpoint(t, dir, strings.TrimSpace(string(skey)), Tree{"test.kyojo/ledger", 30, Hash{7}}, 0)
			appendCheckpoint(t, dir, strings.TrimSpace(string(skey)), Tree{"test.kyojo/ledger", p.size, p.root}, p.dataEnd)
		}, "size 30"},
		{"checkpoint frame edited", func(t *testing.T, dir string, off, n int64) {
			editFile(t, filepath.Join(dir, cpFile), func(b []byte) []byte { b[20] ^= 1; return b })
		}, "checkpoints.log: frame at offset 0 is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, off, n := tamperFixture(t)
			tc.edit(t, dir, off, n)
			err := openAndVerify(t, dir)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v\nwant ErrTampered saying %q", err, tc.want)
			}
		})
	}
}

// openAndVerify is what `kyojo ledger verify` does: Open, then Verify.
func openAndVerify(t *testing.T, dir string) error {
	t.Helper()
	l, err := Open(dir, Options{Origin: "test.kyojo/ledger", CheckpointInterval: -1, Logger: quiet})
	if err != nil {
		return err
	}
	defer l.Close()
	_, err = l.Verify(t.Context())
	return err
}
