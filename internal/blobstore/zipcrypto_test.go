package blobstore

import (
	"archive/zip"
	"bytes"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestEncryptedZip: an archive written with the conventional password
// gives the sample back with that password (the check byte and the CRC
// agree) and garbage with another; Python's zipfile, an independent
// reader, opens it with "infected" and refuses a wrong password.
func TestEncryptedZip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, size := range []int{0, 1, 11, 12, 4096, 100_003} {
		sample := make([]byte, size)
		for i := range sample {
			sample[i] = byte(r.UintN(256))
		}
		var buf bytes.Buffer
		sum := crc32.ChecksumIEEE(sample)
		if err := writeEncryptedZip(&buf, bytes.NewReader(sample), int64(size), sum, "s.bin", time.Now()); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil || len(zr.File) != 1 {
			t.Fatalf("%d bytes: %v", size, err)
		}
		f := zr.File[0]
		if f.Flags&0x1 == 0 || f.Method != zip.Store || f.UncompressedSize64 != uint64(size) || f.CRC32 != sum {
			t.Fatalf("%d bytes: header %+v", size, f.FileHeader)
		}
		read := func(password string) ([]byte, byte) {
			rc, err := f.OpenRaw()
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(rc)
			z := newZipCrypto(password)
			z.decrypt(raw)
			return raw[12:], raw[11]
		}
		got, check := read(ZipPassword)
		if check != byte(sum>>24) || !bytes.Equal(got, sample) {
			t.Fatalf("%d bytes: decrypted with the password: check %x, equal %v", size, check, bytes.Equal(got, sample))
		}
		if got, _ := read("wrong"); size > 8 && bytes.Equal(got, sample) {
			t.Fatalf("%d bytes: a wrong password gives the sample", size)
		}
		if size > 12 && bytes.Contains(buf.Bytes(), sample[:12]) {
			t.Fatalf("%d bytes: the sample shows in the archive", size)
		}
		if got, err := ReadSample(buf.Bytes()); err != nil || !bytes.Equal(got, sample) {
			t.Fatalf("%d bytes: ReadSample: %v", size, err)
		}
		if size > 0 {
			bad := bytes.Clone(buf.Bytes())
			bad[bytes.Index(bad, []byte("s.bin"))+5+12] ^= 1 // in the encrypted part, past the local header
			if _, err := ReadSample(bad); err == nil {
				t.Fatalf("%d bytes: a damaged archive reads", size)
			}
		}
		python(t, buf.Bytes(), sample)
	}
	// A plain zip, as archives were before encryption.
	var plain bytes.Buffer
	zw := zip.NewWriter(&plain)
	w, _ := zw.Create("old.bin")
	w.Write([]byte("MZ old"))
	zw.Close()
	if got, err := ReadSample(plain.Bytes()); err != nil || string(got) != "MZ old" {
		t.Fatalf("plain zip: %q %v", got, err)
	}
}

// python reads the archive with Python's zipfile, when Python is here.
func python(t *testing.T, archive, want []byte) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not found: archive not checked with an independent reader")
		return
	}
	path := filepath.Join(t.TempDir(), "a.zip")
	if err := os.WriteFile(path, archive, 0o600); err != nil {
		t.Fatal(err)
	}
	const script = `import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.stdout.buffer.write(z.read(z.namelist()[0], pwd=sys.argv[2].encode()))`
	out, err := exec.Command(py, "-c", script, path, ZipPassword).Output()
	if err != nil || !bytes.Equal(out, want) {
		t.Fatalf("python zipfile with the password: %v, %d bytes, want %d", err, len(out), len(want))
	}
	if out, err := exec.Command(py, "-c", script, path, "not-infected").Output(); len(want) >= 8 && err == nil && bytes.Equal(out, want) {
		t.Fatal("python zipfile reads the sample with a wrong password")
	}
}
