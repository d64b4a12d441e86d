package ledger

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// open opens a ledger without background checkpoints and closes it at the
// end of the test.
func open(t testing.TB, dir string) *Log {
	t.Helper()
	l, err := Open(dir, Options{Origin: "test.kyojo/ledger", CheckpointInterval: -1, Logger: quiet})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// quiet drops the recovery warnings tests provoke on purpose.
var quiet = slog.New(slog.DiscardHandler)

func payload(i int) []byte { return fmt.Appendf(nil, `{"seq":%d,"action":"org.create"}`, i) }

func appendN(t testing.TB, l *Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if _, err := l.Append(t.Context(), "audit", payload(i)); err != nil {
			t.Fatalf("Append %d: %v", i, err)
		}
	}
}

func TestLeafEncoding(t *testing.T) {
	got := LeafData("audit", []byte("x"))
	if want := []byte{1, 5, 'a', 'u', 'd', 'i', 't', 'x'}; !bytes.Equal(got, want) {
		t.Fatalf("LeafData = %x, want %x", got, want)
	}
	// SHA-256(00 01 05 "audit" "x"), computed independently with
	// printf '\x00\x01\x05auditx' | sha256sum.
	h := LeafHash("audit", []byte("x"))
	if got := hex.EncodeToString(h[:]); got != leafHashGolden {
		t.Fatalf("LeafHash = %s, want %s", got, leafHashGolden)
	}
	k, p, _, ok := parseLeafData(got[:0:0])
	if ok || k != "" || p != nil {
		t.Fatal("parseLeafData accepted empty data")
	}
}

func TestAppendReadProve(t *testing.T) {
	l := open(t, t.TempDir())
	const n = 37
	for i := 0; i < n; i++ {
		idx, err := l.Append(t.Context(), "audit", payload(i))
		if err != nil || idx != uint64(i) {
			t.Fatalf("Append %d = %d, %v", i, idx, err)
		}
	}
	if l.Size() != n {
		t.Fatalf("Size = %d", l.Size())
	}
	for size := uint64(1); size <= n; size++ {
		root, err := l.RootAt(size)
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < size; i++ {
			e, err := l.Entry(i)
			if err != nil || e.Kind != "audit" || !bytes.Equal(e.Payload, payload(int(i))) || e.LeafHash != LeafHash("audit", payload(int(i))) {
				t.Fatalf("Entry(%d) = %+v, %v", i, e, err)
			}
			p, err := l.InclusionProof(i, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyInclusion(p, size, root, i, e.LeafHash); err != nil {
				t.Fatalf("inclusion %d in %d: %v", i, size, err)
			}
		}
		for old := uint64(0); old <= size; old++ {
			oldRoot, _ := l.RootAt(old)
			p, err := l.ConsistencyProof(old, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := VerifyConsistency(p, size, root, old, oldRoot); err != nil {
				t.Fatalf("consistency %d→%d: %v", old, size, err)
			}
		}
	}
	cp, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	tr, _, err := OpenCheckpoint(cp, l.VerifierKey())
	if err != nil || tr.Size != n || tr.Origin != "test.kyojo/ledger" {
		t.Fatalf("OpenCheckpoint = %+v, %v", tr, err)
	}
	if rep, err := l.Verify(t.Context()); err != nil || rep.Entries != n || rep.Root != tr.Root {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	if _, err := l.Entry(n); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Entry(n) = %v, want not_found", err)
	}
	if _, err := l.InclusionProof(n, n); !errs.Is(err, errs.Invalid) {
		t.Fatalf("InclusionProof(n, n) = %v, want invalid", err)
	}
}

func TestAppendRefusals(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, Options{Origin: "x", CheckpointInterval: -1, MaxPayload: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		kind    string
		payload []byte
		code    errs.Code
	}{
		{"", nil, errs.Invalid},
		{"Audit", nil, errs.Invalid},
		{"has space", nil, errs.Invalid},
		{"ledger.delete", nil, errs.Invalid},
		{"audit", make([]byte, 11), errs.TooLarge},
	} {
		if _, err := l.Append(t.Context(), tc.kind, tc.payload); !errs.Is(err, tc.code) {
			t.Errorf("Append(%q, %d bytes) = %v, want %s", tc.kind, len(tc.payload), err, tc.code)
		}
	}
	if _, err := l.AppendBatch(t.Context(), []Item{{"a", nil}, {"B", nil}}); errs.Fields(err)[0].Field != "items[1].kind" {
		t.Errorf("AppendBatch bad second item = %v", err)
	}
	if l.Size() != 0 {
		t.Fatalf("refused appends changed the size to %d", l.Size())
	}
	l.Close()
	if _, err := l.Append(t.Context(), "a", nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close = %v", err)
	}
	if _, err := Open(dir, Options{Origin: "other", CheckpointInterval: -1}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("Open with another origin = %v, want invalid", err)
	}
	st, err := os.Stat(filepath.Join(dir, signerFile))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("signer key mode = %v, %v", st.Mode(), err)
	}
}

func TestConcurrentAppendBatches(t *testing.T) {
	l := open(t, t.TempDir())
	const workers, per = 8, 150
	var wg sync.WaitGroup
	got := make([][]uint64, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < per; i++ {
				var idx uint64
				var err error
				if i%10 == 0 {
					idx, err = l.AppendBatch(t.Context(), []Item{{"w", payload(w*per + i)}, {"w2", payload(w*per + i)}})
				} else {
					idx, err = l.Append(t.Context(), "w", payload(w*per+i))
				}
				if err != nil {
					t.Error(err)
					return
				}
				got[w] = append(got[w], idx)
				if i%10 == 0 {
					if e, _ := l.Entry(idx + 1); e.Kind != "w2" {
						t.Errorf("batch not consecutive at %d", idx)
					}
				}
				if e, err := l.Entry(idx); err != nil || !bytes.Equal(e.Payload, payload(w*per+i)) {
					t.Errorf("Entry(%d) = %q, %v", idx, e.Payload, err)
				}
			}
		}()
	}
	wg.Wait()
	if want := uint64(workers * (per + per/10)); l.Size() != want {
		t.Fatalf("Size = %d, want %d", l.Size(), want)
	}
	if _, err := l.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	l := open(t, dir)
	appendN(t, l, 10)
	cp1, _ := l.Checkpoint()
	appendN(t, l, 5) // after the last explicit checkpoint; Close writes one
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := open(t, dir)
	if l2.Size() != 15 {
		t.Fatalf("Size after reopen = %d", l2.Size())
	}
	rep, err := l2.Verify(t.Context())
	if err != nil || rep.Checkpoints < 3 {
		t.Fatalf("Verify = %+v, %v", rep, err)
	}
	cp2, _ := l2.Checkpoint()
	if bytes.Equal(cp1, cp2) {
		t.Fatal("checkpoint did not advance")
	}
}

func TestWitnessCosign(t *testing.T) {
	ctx := t.Context()
	hub := open(t, t.TempDir())
	w, err := Open(t.TempDir(), Options{Origin: "witness.example/w1", CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	appendN(t, hub, 5)
	cp5, _ := hub.Checkpoint()
	co, err := w.Cosign(ctx, cp5, hub.VerifierKey(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if tr, err := VerifyCosigned(co, hub.VerifierKey(), w.VerifierKey()); err != nil || tr.Size != 5 {
		t.Fatalf("VerifyCosigned = %+v, %v", tr, err)
	}
	if _, err := VerifyCosigned(cp5, hub.VerifierKey(), w.VerifierKey()); !errors.Is(err, ErrTampered) {
		t.Fatalf("VerifyCosigned without co-signature = %v", err)
	}
	appendN(t, hub, 7)
	cp12, _ := hub.Checkpoint()
	p, _ := hub.ConsistencyProof(5, 12)
	if _, err := w.Cosign(ctx, cp12, hub.VerifierKey(), p[:len(p)-1]); !errors.Is(err, ErrInconsistent) || !errs.Is(err, errs.Conflict) {
		t.Fatalf("Cosign with a bad proof = %v", err)
	}
	if _, err := w.Cosign(ctx, cp12, hub.VerifierKey(), p); err != nil {
		t.Fatalf("Cosign 12: %v", err)
	}
	if _, err := w.Cosign(ctx, cp5, hub.VerifierKey(), nil); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Cosign of an older checkpoint = %v", err)
	}
	// A forked log: same origin and key, another tree of size 12.
	forkDir := t.TempDir()
	copyKeys(t, hub.dir, forkDir)
	fork := open(t, forkDir)
	for i := 0; i < 12; i++ {
		fork.Append(ctx, "fork", nil)
	}
	fcp, _ := fork.Checkpoint()
	if _, err := w.Cosign(ctx, fcp, hub.VerifierKey(), nil); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Cosign of a fork = %v", err)
	}
	other := open(t, t.TempDir())
	ocp, _ := other.Checkpoint()
	if _, err := w.Cosign(ctx, ocp, hub.VerifierKey(), nil); !errors.Is(err, ErrTampered) {
		t.Fatalf("Cosign with the wrong key = %v", err)
	}
}

func copyKeys(t *testing.T, from, to string) {
	t.Helper()
	for _, f := range []string{signerFile, verifierFile} {
		b, err := os.ReadFile(filepath.Join(from, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, f), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

const leafHashGolden = "6f2b565e6f5ce9a499f86fc9d5d265e88f7072910172e3b4b4a410e6d4c63cfb"

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if _, err := Open(dir, Options{Origin: "test.kyojo/ledger", CheckpointInterval: -1}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("second Open = %v, want conflict", err)
	}
}
