package ledger

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestDeletePayload(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	l := open(t, dir)
	appendN(t, l, 10)
	if _, err := l.Append(ctx, "secret", []byte("PERSONAL-DATA-123")); err != nil {
		t.Fatal(err)
	}
	cp, _ := l.Checkpoint()
	before, _, _ := OpenCheckpoint(cp, l.VerifierKey())
	leaf, _ := l.Entry(10)

	if err := l.PlaceHold(ctx, Hold{Indexes: []uint64{3}, Kinds: []string{"secret"}, Reason: "case 2026-17"}); err != nil {
		t.Fatal(err)
	}
	for _, i := range []uint64{3, 10} {
		if _, err := l.DeletePayload(ctx, i, "retention"); !errs.Is(err, errs.Conflict) {
			t.Fatalf("DeletePayload(%d) under hold = %v, want conflict", i, err)
		}
	}
	if err := l.ReleaseHold(ctx, Hold{Kinds: []string{"secret"}, Reason: "case closed"}); err != nil {
		t.Fatal(err)
	}
	if h := l.Holds(); len(h.Indexes) != 1 || len(h.Kinds) != 0 {
		t.Fatalf("Holds = %+v", h)
	}
	j, err := l.DeletePayload(ctx, 10, "retention period over")
	if err != nil {
		t.Fatal(err)
	}
	e, err := l.Entry(10)
	if err != nil || !e.Deleted || e.Payload != nil || e.LeafHash != leaf.LeafHash || e.Kind != "secret" {
		t.Fatalf("Entry after delete = %+v, %v", e, err)
	}
	d, _ := l.Entry(j)
	var del deletion
	if d.Kind != kindDelete || json.Unmarshal(d.Payload, &del) != nil || del.Index != 10 || del.Reason != "retention period over" {
		t.Fatalf("deletion entry = %+v", d)
	}
	raw, _ := os.ReadFile(filepath.Join(dir, dataFile))
	if bytes.Contains(raw, []byte("PERSONAL-DATA-123")) {
		t.Fatal("payload bytes still on disk")
	}
	// Proofs against the old checkpoint still hold.
	p, _ := l.InclusionProof(10, before.Size)
	if err := VerifyInclusion(p, before.Size, before.Root, 10, e.LeafHash); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		i    uint64
		code errs.Code
	}{{10, errs.Conflict}, {j, errs.Invalid}, {999, errs.NotFound}} {
		if _, err := l.DeletePayload(ctx, tc.i, "again"); !errs.Is(err, tc.code) {
			t.Errorf("DeletePayload(%d) = %v, want %s", tc.i, err, tc.code)
		}
	}
	if _, err := l.Verify(ctx); err != nil {
		t.Fatal(err)
	}
	l.Close()
	l2 := open(t, dir)
	if rep, err := l2.Verify(ctx); err != nil || rep.Deleted != 1 {
		t.Fatalf("Verify after reopen = %+v, %v", rep, err)
	}
	if _, err := l2.DeletePayload(ctx, 3, "x"); !errs.Is(err, errs.Conflict) {
		t.Fatalf("hold lost on reopen: %v", err)
	}
}

// TestDeleteFinishedAfterCrash: the deletion entry is durable but the
// payload was not yet erased; Open finishes the erasure.
func TestDeleteFinishedAfterCrash(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	l := open(t, dir)
	appendN(t, l, 3)
	e, _ := l.Entry(1)
	p, _ := json.Marshal(deletion{Index: 1, Kind: e.Kind, LeafHash: e.LeafHash, Reason: "r"})
	if _, err := l.appendItems(ctx, []Item{{Kind: kindDelete, Payload: p}}); err != nil {
		t.Fatal(err)
	}
	crash(l)
	l2 := open(t, dir)
	if e, _ := l2.Entry(1); !e.Deleted {
		t.Fatal("erasure not finished on Open")
	}
	if _, err := l2.Verify(ctx); err != nil {
		t.Fatal(err)
	}
}

// crash stops a log as a crash would: no final checkpoint, no syncs.
func crash(l *Log) {
	l.sendMu.Lock()
	l.closed = true
	close(l.reqs)
	close(l.stop)
	l.sendMu.Unlock()
	l.wg.Wait()
	l.closeFiles()
}
