// Package blobstore keeps incident evidence files on disk by content: each
// file once, under its SHA-256, in a folder of the data directory. Files
// arrive as streams and are hashed on the way to a temporary file, never
// held in memory; more than the limit is refused and nothing is kept.
//
// Malware samples are kept inside a zip archive encrypted with the
// conventional password "infected" (ZipPassword), as CSIRTs exchange them,
// so that no scanner, mail gateway or careless double-click meets the bare
// sample. archive/zip writes no encrypted entries, so the entry is written
// raw: stored, with the traditional PKWARE encryption (zipcrypto.go), which
// every unzip tool reads. Archives stored before this was so are plain
// zips; their comment says so. Downloads are always served as attachments
// of type application/octet-stream.
package blobstore

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// ZipComment is written into every malware archive.
const ZipComment = "kyojo malware sample. Password: " + ZipPassword + ". Handle with care."

// Dir is a blob store rooted at a folder.
type Dir struct{ root string }

// Open returns the store in root, creating it.
func Open(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o700); err != nil {
		return nil, err
	}
	return &Dir{root: root}, nil
}

var hexRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

func (d *Dir) path(sum string, malware bool) string {
	name := sum
	if malware {
		name += ".zip"
	}
	return filepath.Join(d.root, sum[:2], name)
}

// Put implements incident.Blobs.
func (d *Dir) Put(ctx context.Context, r io.Reader, limit int64, malware bool, name string) (string, int64, error) {
	tmp, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "up-*")
	if err != nil {
		return "", 0, errs.Wrap(err, "evidence: temp file")
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	h, c := sha256.New(), crc32.NewIEEE()
	n, err := io.Copy(io.MultiWriter(tmp, h, c), io.LimitReader(ctxReader{ctx, r}, limit+1))
	if err != nil {
		return "", 0, errs.Wrap(err, "evidence: read upload")
	}
	if n > limit {
		return "", 0, errs.F(errs.TooLarge, "file", "is larger than the limit of %d bytes", limit)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := d.path(sum, malware)
	if _, err := os.Stat(dst); err == nil {
		return sum, n, nil // stored once by content
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return "", 0, errs.Wrap(err, "evidence: folder")
	}
	if malware {
		if err := d.zip(tmp, n, c.Sum32(), sum, dst); err != nil {
			return "", 0, err
		}
		return sum, n, nil
	}
	if err := tmp.Sync(); err != nil {
		return "", 0, errs.Wrap(err, "evidence: sync")
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", 0, errs.Wrap(err, "evidence: store")
	}
	return sum, n, nil
}

// zip writes the sample in tmp (n bytes, whose CRC-32 is crc) into an
// encrypted zip archive at dst.
func (d *Dir) zip(tmp *os.File, n int64, crc uint32, sum, dst string) error {
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return errs.Wrap(err, "evidence: rewind")
	}
	out, err := os.CreateTemp(filepath.Join(d.root, "tmp"), "zip-*")
	if err != nil {
		return errs.Wrap(err, "evidence: temp zip")
	}
	defer os.Remove(out.Name())
	defer out.Close()
	if err := writeEncryptedZip(out, tmp, n, crc, sum+".bin", time.Now().UTC()); err != nil {
		return errs.Wrap(err, "evidence: zip")
	}
	if err := out.Sync(); err != nil {
		return errs.Wrap(err, "evidence: sync")
	}
	return errs.Wrap(os.Rename(out.Name(), dst), "evidence: store")
}

// writeEncryptedZip writes a zip archive of one entry, name, holding the n
// bytes of r (CRC-32 crc), stored and encrypted with ZipPassword.
func writeEncryptedZip(w io.Writer, r io.Reader, n int64, crc uint32, name string, modified time.Time) error {
	zw := zip.NewWriter(w)
	if err := zw.SetComment(ZipComment); err != nil {
		return err
	}
	fw, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Store, Flags: 0x1, // encrypted
		CRC32: crc, CompressedSize64: uint64(n) + 12, UncompressedSize64: uint64(n), Modified: modified})
	if err != nil {
		return err
	}
	z := newZipCrypto(ZipPassword)
	head, err := z.encryptionHeader(crc)
	if err != nil {
		return err
	}
	if _, err := fw.Write(head); err != nil {
		return err
	}
	copied, err := io.Copy(&encryptingWriter{z: z, w: fw, buf: make([]byte, 32<<10)}, r)
	if err != nil {
		return err
	}
	if copied != n {
		return errors.New("the sample changed size while it was zipped")
	}
	return zw.Close()
}

// Open implements incident.Blobs.
func (d *Dir) Open(sum string, malware bool) (io.ReadCloser, error) {
	if !hexRE.MatchString(sum) {
		return nil, errs.E(errs.NotFound, "no such file")
	}
	f, err := os.Open(d.path(sum, malware))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errs.E(errs.NotFound, "the evidence file is missing from storage")
	}
	return f, err
}

type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
