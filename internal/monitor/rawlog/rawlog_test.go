package rawlog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAppendRead(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	exp := time.Date(2027, 2, 26, 10, 0, 0, 0, time.UTC)
	var refs []Ref
	for i := range 5 {
		ref, err := l.Append("org-1", exp, fmt.Sprint("batch-", i), bytes.Repeat([]byte{byte(i)}, 1000*i))
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, ref)
	}
	if !strings.HasPrefix(refs[0].Segment, "org-1/2027-02-26/") || refs[1].Segment != refs[0].Segment {
		t.Fatalf("segments %q %q", refs[0].Segment, refs[1].Segment)
	}
	for i, ref := range refs {
		got, err := l.Read(ref, fmt.Sprint("batch-", i))
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, 1000*i)) {
			t.Fatalf("record %d: %v (%d bytes)", i, err, len(got))
		}
	}
	if _, err := l.Read(refs[1], "batch-2"); err == nil || !strings.Contains(err.Error(), "another batch") {
		t.Fatalf("read as another batch: %v", err)
	}
	// Another organisation or another expiry day: another segment.
	r2, _ := l.Append("org-2", exp, "b", []byte("x"))
	r3, _ := l.Append("org-1", exp.Add(24*time.Hour), "c", []byte("y"))
	if r2.Segment == refs[0].Segment || r3.Segment == refs[0].Segment || !strings.HasPrefix(r3.Segment, "org-1/2027-02-27/") {
		t.Fatalf("segments %q %q", r2.Segment, r3.Segment)
	}
}

func TestBadReferencesAndDamage(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	ref, err := l.Append("o", exp, "id", []byte("the raw lines"))
	if err != nil {
		t.Fatal(err)
	}
	// The error says what went wrong, and its class decides what the
	// processor does: a segment gone or a record damaged will not mend
	// (the batch is counted rejected), anything else may (retried).
	cases := []struct {
		name  string
		ref   Ref
		want  string
		class error // nil: neither gone nor damaged
	}{
		{"gone", Ref{Segment: "o/2027-01-01/nope.seg", Size: ref.Size}, "is gone", fs.ErrNotExist},
		{"escape", Ref{Segment: "../../etc/passwd", Size: ref.Size}, "raw events", nil},
		{"short", Ref{Segment: ref.Segment, Size: 3}, "bad reference", ErrDamaged},
		{"negative", Ref{Segment: ref.Segment, Offset: -1, Size: ref.Size}, "bad reference", ErrDamaged},
		{"longer", Ref{Segment: ref.Segment, Size: ref.Size + 1}, "ends before", ErrDamaged},
		{"shifted", Ref{Segment: ref.Segment, Offset: 1, Size: ref.Size - 1}, "no record", ErrDamaged},
		{"other batch", ref, "another batch", ErrDamaged},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := "id"
			if c.name == "other batch" {
				id = "id2"
			}
			_, err := l.Read(c.ref, id)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want %q", err, c.want)
			}
			gone, damaged := errors.Is(err, fs.ErrNotExist), errors.Is(err, ErrDamaged)
			if gone != (c.class == fs.ErrNotExist) || damaged != (c.class == ErrDamaged) {
				t.Fatalf("%v: gone %v, damaged %v; want %v", err, gone, damaged, c.class)
			}
		})
	}
	// ReadTo reads into the buffer it is given when that is large enough.
	buf := make([]byte, 0, 4096)
	got, err := l.ReadTo(buf, ref, "id")
	if err != nil || string(got) != "the raw lines" {
		t.Fatalf("ReadTo: %q, %v", got, err)
	}
	if rec := buf[:ref.Size]; &rec[len(rec)-len(got)] != &got[0] {
		t.Fatal("ReadTo read into a buffer of its own")
	}
	// One byte of the data changed on disk: the checksum says so.
	f, err := os.OpenFile(filepath.Join(dir, ref.Segment), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteAt([]byte("T"), ref.Offset+ref.Size-5)
	f.Close()
	if _, err := l.Read(ref, "id"); err == nil || !strings.Contains(err.Error(), "checksum") || !errors.Is(err, ErrDamaged) {
		t.Fatalf("altered record read: %v", err)
	}
	if _, err := l.Append("../x", exp, "id", nil); err == nil {
		t.Fatal("an organisation id with a slash named a folder")
	}
	if _, err := l.Append("o", exp, strings.Repeat("i", 300), nil); err == nil {
		t.Fatal("a 300-byte batch id was written")
	}
}

func TestConcurrentAppendsAndRollOver(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	l.limit = 64 << 10 // a new segment every few records
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	refs := map[string]Ref{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				id := fmt.Sprintf("w%d-%d", w, i)
				ref, err := l.Append("o", exp, id, bytes.Repeat([]byte(id), 1000))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				refs[id] = ref
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	segs := map[string]bool{}
	for id, ref := range refs {
		segs[ref.Segment] = true
		got, err := l.Read(ref, id)
		if err != nil || !bytes.Equal(got, bytes.Repeat([]byte(id), 1000)) {
			t.Fatalf("%s: %v", id, err)
		}
	}
	if len(refs) != 200 || len(segs) < 10 {
		t.Fatalf("%d records in %d segments", len(refs), len(segs))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append("o", exp, "late", nil); err == nil {
		t.Fatal("append after close")
	}
	// Records stay readable by a later process, which writes new files.
	l2, err := Open(l.Dir())
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if _, err := l2.Read(refs["w1-7"], "w1-7"); err != nil {
		t.Fatal(err)
	}
	ref, _ := l2.Append("o", exp, "new", []byte("n"))
	if segs[ref.Segment] {
		t.Fatalf("a second process appended to %s", ref.Segment)
	}
}

func TestPurge(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	now := time.Date(2027, 3, 10, 12, 0, 0, 0, time.UTC)
	refs := map[string]Ref{}
	for _, org := range []string{"a", "b"} {
		for _, d := range []int{-2, -1, 0, 1} {
			exp := now.Add(time.Duration(d) * 24 * time.Hour)
			ref, err := l.Append(org, exp, "x", []byte("data"))
			if err != nil {
				t.Fatal(err)
			}
			refs[fmt.Sprint(org, d)] = ref
		}
	}
	n, err := l.Purge(now, []string{"b"})
	if err != nil || n != 2 {
		t.Fatalf("purged %d segments: %v", n, err)
	}
	for k, ref := range refs {
		_, err := l.Read(ref, "x")
		gone := k == "a-2" || k == "a-1"
		if gone != (err != nil) {
			t.Errorf("%s: read error %v", k, err)
		}
	}
	// The expired day's segment is not reopened by a late append: the
	// folder comes back with a new file.
	if _, err := l.Append("a", now.Add(-24*time.Hour), "y", []byte("z")); err != nil {
		t.Fatal(err)
	}
	if n, _ := l.Purge(now.Add(48*time.Hour), nil); n != 7 {
		t.Fatalf("purged %d, want 7", n)
	}
	if err := os.WriteFile(filepath.Join(dir, "stray"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Purge(now, nil); err != nil {
		t.Fatal(err)
	}
}

// FuzzDecode: a record read back from a segment (which may have been
// altered on disk) either decodes to data whose checksum matches or is an
// error; it never panics.
func FuzzDecode(f *testing.F) {
	l, err := Open(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	ref, err := l.Append("o", time.Now(), "batch-1", []byte("the lines"))
	if err != nil {
		f.Fatal(err)
	}
	rec, err := os.ReadFile(filepath.Join(l.Dir(), ref.Segment))
	if err != nil {
		f.Fatal(err)
	}
	l.Close()
	f.Add(rec, "batch-1")
	f.Add(rec[:headerSize], "")
	f.Add([]byte("KYRB\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff"), "x")
	f.Fuzz(func(t *testing.T, rec []byte, id string) {
		data, err := decode(rec, id, Ref{Segment: "s"})
		if err != nil {
			return
		}
		if len(data) > len(rec) || !bytes.HasSuffix(rec, data) {
			t.Fatalf("decoded %d bytes out of a %d-byte record", len(data), len(rec))
		}
	})
}

// TestIdleSegmentsClosed: a segment written to since the last round is
// synced and kept open; one idle past the limit is closed, stays readable,
// and the next append starts a new file.
func TestIdleSegmentsClosed(t *testing.T) {
	l, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	exp := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	first, _ := l.Append("o", exp, "a", []byte("1"))
	l.syncOnce(0) // written since: synced, kept
	second, _ := l.Append("o", exp, "b", []byte("2"))
	if second.Segment != first.Segment {
		t.Fatal("a segment written to was closed")
	}
	l.syncOnce(0)
	l.syncOnce(0) // idle now: closed
	third, _ := l.Append("o", exp, "c", []byte("3"))
	if third.Segment == first.Segment {
		t.Fatal("an idle segment stayed open")
	}
	for id, ref := range map[string]Ref{"a": first, "b": second, "c": third} {
		if _, err := l.Read(ref, id); err != nil {
			t.Fatal(err)
		}
	}
}
