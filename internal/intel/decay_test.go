package intel

import (
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestScore(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	until := t0.Add(10 * day)
	ip := []Value{{Kind: "ip"}}
	hash := []Value{{Kind: "sha256"}}
	for _, tc := range []struct {
		name string
		o    Object
		at   time.Time
		want float64
	}{
		{"fresh, no confidence", Object{ValidFrom: &t0, Values: ip}, t0, 50},
		{"ip after one half-life", Object{ValidFrom: &t0, Confidence: 80, Values: ip}, t0.Add(30 * day), 40},
		{"ip after two", Object{ValidFrom: &t0, Confidence: 80, Values: ip}, t0.Add(60 * day), 20},
		{"hash after 30 days barely moves", Object{ValidFrom: &t0, Confidence: 80, Values: hash}, t0.Add(30 * day), 79.5},
		{"shortest-lived value wins", Object{ValidFrom: &t0, Confidence: 80, Values: append(hash, ip...)}, t0.Add(30 * day), 40},
		{"expired", Object{ValidFrom: &t0, ValidUntil: &until, Confidence: 80, Values: hash}, until, 0},
		{"revoked", Object{ValidFrom: &t0, Revoked: true, Confidence: 80, Values: hash}, t0, 0},
		{"no valid_from: from when stored", Object{AddedAt: t0, Confidence: 60, Values: ip}, t0.Add(30 * day), 30},
	} {
		if got := DefaultDecay.Score(tc.o, tc.at); got != tc.want {
			t.Errorf("%s: score %v, want %v", tc.name, got, tc.want)
		}
	}
	ind := Object{Type: "indicator", ValidFrom: &t0, Confidence: 80, Values: ip}
	if !DefaultDecay.Detectable(ind, t0, 30) || DefaultDecay.Detectable(ind, t0.Add(60*day), 30) || DefaultDecay.Detectable(ind, t0.Add(-time.Hour), 0) {
		t.Error("Detectable")
	}
}

func TestParseDecay(t *testing.T) {
	for _, tc := range []struct {
		in   string
		kind string
		want time.Duration
		bad  bool
	}{
		{"", "ip", 30 * 24 * time.Hour, false},
		{"ip=7d", "ip", 7 * 24 * time.Hour, false},
		{" ip = 2w , domain=1y ", "domain", 365 * 24 * time.Hour, false},
		{"ip=2w,domain=1y", "ip", 14 * 24 * time.Hour, false},
		{"sha256=36h", "sha256", 36 * time.Hour, false},
		{"default=1.5d", "default", 36 * time.Hour, false},
		{"ja3=10d", "ja3", 10 * 24 * time.Hour, false},
		{"ip=7d", "domain", 90 * 24 * time.Hour, false}, // unnamed kinds keep the default
		{"ip", "", 0, true},
		{"=7d", "", 0, true},
		{"ip=", "", 0, true},
		{"ip=-3d", "", 0, true},
		{"ip=0d", "", 0, true},
		{"ip=soon", "", 0, true},
		{"colour=7d", "", 0, true},
		{"ip=9999999y", "", 0, true},
	} {
		d, err := ParseDecay(tc.in)
		if tc.bad {
			if !errs.Is(err, errs.Invalid) {
				t.Errorf("%q: err %v, want Invalid", tc.in, err)
			}
			continue
		}
		if err != nil || d.HalfLife[tc.kind] != tc.want {
			t.Errorf("%q: %s = %v (%v), want %v", tc.in, tc.kind, d.HalfLife[tc.kind], err, tc.want)
		}
	}
	if DefaultDecay.HalfLife["ip"] != 30*24*time.Hour {
		t.Error("ParseDecay changed the defaults")
	}
}
