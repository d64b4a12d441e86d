package intel

import "testing"

func TestOverlayAfter(t *testing.T) {
	b := func(max int64, rows int, opaque bool) ownBatch {
		return ownBatch{maxSeq: max, rows: rows, opaque: opaque}
	}
	for _, tc := range []struct {
		name    string
		batches []ownBatch
		seq     int64
		rows    int
		ok      bool
	}{
		{"nothing written yet", nil, 0, 0, true},
		{"snapshot saw every batch", []ownBatch{b(10, 10, false), b(20, 10, false)}, 20, 0, true},
		{"snapshot missed the last", []ownBatch{b(10, 10, false), b(20, 10, false)}, 10, 10, true},
		{"snapshot missed both", []ownBatch{b(10, 10, false), b(20, 10, false)}, 0, 20, true},
		{"a missed batch updated in place", []ownBatch{b(10, 10, false), b(20, 10, true)}, 10, 0, false},
		{"an opaque batch the snapshot saw", []ownBatch{b(10, 10, true), b(20, 10, false)}, 10, 10, true},
	} {
		ov := &overlay{}
		for _, x := range tc.batches {
			ov.add(x)
		}
		_, rows, ok := ov.after(tc.seq)
		if rows != tc.rows || ok != tc.ok {
			t.Errorf("%s: rows %d ok %v, want %d %v", tc.name, rows, ok, tc.rows, tc.ok)
		}
	}
	// Forgotten batches: a snapshot older than all remembered ones is refused.
	ov := &overlay{}
	for i := range overlayBatches + 2 {
		ov.add(b(int64(10*(i+1)), 10, false))
	}
	if _, _, ok := ov.after(15); ok {
		t.Error("a snapshot before the remembered batches was accepted")
	}
	if _, rows, ok := ov.after(int64(10 * (overlayBatches + 1))); !ok || rows != 10 {
		t.Errorf("recent snapshot: rows %d ok %v", rows, ok)
	}
}
