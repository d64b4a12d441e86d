package gctune

import (
	"math"
	"runtime/debug"
	"testing"
)

func TestParse(t *testing.T) {
	percents := []struct {
		in   string
		want int
		ok   bool
	}{{"", DefaultPercent, true}, {"off", -1, true}, {"100", 100, true}, {"0", 0, false}, {"-5", 0, false}, {"lots", 0, false}}
	for _, c := range percents {
		got, err := ParsePercent(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParsePercent(%q) = %d, %v", c.in, got, err)
		}
	}
	limits := []struct {
		in   string
		want int64
		ok   bool
	}{{"8GiB", 8 << 30, true}, {"512MiB", 512 << 20, true}, {"1TiB", 1 << 40, true}, {"100000000", 100000000, true},
		{"100000000B", 100000000, true}, {"65536KiB", 64 << 20, true}, {"1MiB", 0, false}, {"8GB", 0, false}, {"GiB", 0, false},
		{"-1GiB", 0, false}, {"99999999999TiB", 0, false}}
	for _, c := range limits {
		got, err := ParseLimit(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseLimit(%q) = %d, %v", c.in, got, err)
		}
	}
	if d, err := ParseLimit(""); err != nil || d <= 0 || (d != math.MaxInt64 && d < 64<<20) {
		t.Errorf("default limit %d, %v", d, err)
	}
}

func TestApply(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	s, err := Apply("250", "1GiB")
	if err != nil || s.Percent != 250 || s.Limit != 1<<30 || s.FromEnv {
		t.Fatalf("%+v %v", s, err)
	}
	if got := debug.SetGCPercent(250); got != 250 {
		t.Fatalf("GOGC is %d", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<30 {
		t.Fatalf("limit is %d", got)
	}
	// The environment wins.
	t.Setenv("GOGC", "50")
	debug.SetGCPercent(50)
	if s, _ := Apply("", ""); s.Percent != 50 || !s.FromEnv {
		t.Fatalf("with GOGC=50 in the environment: %+v", s)
	}
	if _, err := Apply("x", ""); err == nil {
		t.Fatal("bad percent applied")
	}
}
