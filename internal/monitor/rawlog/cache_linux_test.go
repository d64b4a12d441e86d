package rawlog

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// resident returns how many of the file's pages are in the page cache.
func resident(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	m, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	page := os.Getpagesize()
	vec := make([]byte, (len(m)+page-1)/page)
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		t.Skipf("mincore: %v", e)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}

// TestSyncedPagesLeaveTheCache: once a segment is synced its pages are
// dropped from the page cache; what is read later comes from the disk,
// intact.
func TestSyncedPagesLeaveTheCache(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	data := bytes.Repeat([]byte("kept batch "), 100_000) // 1.1 MB
	ref, err := l.Append("o", time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "a", data)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(l.Dir(), filepath.FromSlash(ref.Segment))
	if n := resident(t, path); n == 0 {
		t.Skip("the file system keeps no written pages in the page cache")
	}
	l.syncOnce(time.Hour)
	if n := resident(t, path); n > 1 {
		t.Fatalf("%d pages of the synced segment still in the page cache", n)
	}
	got, err := l.Read(ref, "a")
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read back %d bytes, %v", len(got), err)
	}
}
