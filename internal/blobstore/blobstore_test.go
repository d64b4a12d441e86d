package blobstore_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/errs"
)

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

func TestPutOpen(t *testing.T) {
	root := t.TempDir()
	d, err := blobstore.Open(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sum, n, err := d.Put(ctx, strings.NewReader("evidence"), 100, false, "a.txt")
	want := sha256.Sum256([]byte("evidence"))
	if err != nil || sum != hex.EncodeToString(want[:]) || n != 8 {
		t.Fatalf("put: %s %d %v", sum, n, err)
	}
	again, _, _ := d.Put(ctx, strings.NewReader("evidence"), 100, false, "b.txt")
	files, _ := filepath.Glob(filepath.Join(root, sum[:2], "*"))
	if again != sum || len(files) != 1 {
		t.Errorf("not stored once: %v", files)
	}
	rc, err := d.Open(sum, false)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "evidence" {
		t.Errorf("read %q", b)
	}
	msum, _, err := d.Put(ctx, strings.NewReader("MZ sample"), 100, true, "x.exe")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ = d.Open(msum, true)
	zb, _ := io.ReadAll(rc)
	rc.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil || len(zr.File) != 1 || !strings.Contains(zr.Comment, "infected") {
		t.Fatalf("zip: %v", err)
	}
	if zr.File[0].Flags&0x1 == 0 || bytes.Contains(zb, []byte("MZ sample")) {
		t.Errorf("the sample is not encrypted in its zip")
	}
	for _, bad := range []string{"../../etc/passwd", "zz", strings.Repeat("g", 64)} {
		if _, err := d.Open(bad, false); !errs.Is(err, errs.NotFound) {
			t.Errorf("Open(%q): %v", bad, err)
		}
	}
}

// TestTooLarge streams 2 GiB of zeros against a 1 MiB limit: refused after
// the limit is passed, in constant memory, and nothing is kept.
func TestTooLarge(t *testing.T) {
	root := t.TempDir()
	d, _ := blobstore.Open(root)
	_, _, err := d.Put(context.Background(), io.LimitReader(zeros{}, 2<<30), 1<<20, false, "big.bin")
	if !errs.Is(err, errs.TooLarge) {
		t.Fatalf("2 GiB upload: %v", err)
	}
	var left []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			left = append(left, p)
		}
		return nil
	})
	if len(left) != 0 {
		t.Errorf("kept %v", left)
	}
}
