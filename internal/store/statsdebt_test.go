package store

import "testing"

// TestStatsDebt: statistics are refreshed at 50,000 rows written, then
// each time the rows written since reach the table's size then.
func TestStatsDebt(t *testing.T) {
	var s statsDebt
	var at []int
	written := 0
	for range 200 {
		written += 5000
		if s.add(5000) {
			at = append(at, written)
		}
	}
	want := []int{50_000, 100_000, 200_000, 400_000, 800_000}
	if len(at) != len(want) {
		t.Fatalf("refreshed at %v, want %v", at, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("refreshed at %v, want %v", at, want)
		}
	}
}
