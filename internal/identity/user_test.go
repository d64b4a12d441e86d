package identity

import (
	"fmt"
	"slices"
	"testing"
)

func manyCompartments(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("c-%03d", i)
	}
	return out
}

func TestNormalizeCompartments(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   []string
		want []string
	}{
		{"nil", nil, []string{}},
		{"empty", []string{}, []string{}},
		{"sorted", []string{"k-energy", "k-defence"}, []string{"k-defence", "k-energy"}},
		{"duplicates", []string{"k-defence", "k-defence"}, []string{"k-defence"}},
		{"folded duplicates", []string{" K-Defence", "k-defence "}, []string{"k-defence"}},
		{"bad kept for Validate", []string{"k defence", ""}, []string{"", "k defence"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := NormalizeCompartments(tc.in)
			if got == nil || !slices.Equal(got, tc.want) {
				t.Fatalf("NormalizeCompartments(%q) = %#v, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestUserNormalizeCompartments(t *testing.T) {
	u := User{Username: "alice", OrgID: "o"}
	u.Normalize()
	if u.Compartments == nil {
		t.Fatal("a person without compartments has a nil list; JSON would show null")
	}
}
