package partner

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func TestOutbound(t *testing.T) {
	p := Partner{Slug: "cert-x", OrgID: "org-x", Policy: Policy{
		Markings: []policy.TLP{policy.Clear, policy.Green, policy.Amber, policy.Red, policy.AmberStrict}, // RED listed: must not matter
		Types:    []string{"indicator", "report"}, Communities: []string{"c-intl"}}}
	m := policy.Member{Viewer: policy.Viewer{UserID: "partner:cert-x", OrgID: "org-x", Role: policy.Analyst}, Communities: []string{"c-intl"}}
	plain := json.RawMessage(`{"type":"indicator","id":"indicator--1"}`)
	obj := func(tlp policy.TLP, mod func(*intel.Object)) intel.Object {
		o := intel.Object{Type: "indicator", Raw: plain, Source: "api",
			Dist: policy.Distribution{TLP: tlp, AuthorOrg: "org-a", AuthorUser: "u-a", Communities: []string{"c-intl"}}}
		if mod != nil {
			mod(&o)
		}
		return o
	}
	cases := []struct {
		name string
		p    Partner
		o    intel.Object
		want bool
	}{
		{"amber in an allowed community", p, obj(policy.Amber, nil), true},
		{"clear anywhere", p, obj(policy.Clear, func(o *intel.Object) { o.Dist.Communities = nil }), true},
		{"green to everyone, no community", p, obj(policy.Green, func(o *intel.Object) { o.Dist.Communities = nil }), false},
		{"green in the community", p, obj(policy.Green, nil), true},
		{"red by sharing, even named to the partner", p, obj(policy.Red, func(o *intel.Object) { o.Dist.Users = []string{"partner:cert-x"} }), false},
		{"red by marking inside the object", p, obj(policy.Amber, func(o *intel.Object) {
			o.Raw = json.RawMessage(`{"type":"indicator","object_marking_refs":["` + policy.MarkingRed + `"]}`)
		}), false},
		{"red TLP 1.0 granular marking", p, obj(policy.Amber, func(o *intel.Object) {
			o.Raw = json.RawMessage(`{"type":"indicator","granular_markings":[{"marking_ref":"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed","selectors":["name"]}]}`)
		}), false},
		{"unreadable JSON", p, obj(policy.Amber, func(o *intel.Object) { o.Raw = json.RawMessage(`{`) }), false},
		{"named recipients", p, obj(policy.Amber, func(o *intel.Object) { o.Dist.Users = []string{"u-b"} }), false},
		{"need-to-know", p, obj(policy.Amber, func(o *intel.Object) { o.Dist.Compartments = []string{"op-x"} }), false},
		{"need-to-know even when clear", p, obj(policy.Clear, func(o *intel.Object) { o.Dist.Compartments = []string{"op-x"} }), false},
		{"received from the partner", p, obj(policy.Amber, func(o *intel.Object) { o.Source = "taxii:cert-x" }), false},
		{"authored by the partner's organisation", p, obj(policy.Amber, func(o *intel.Object) { o.Dist.AuthorOrg = "org-x" }), false},
		{"from another partner", p, obj(policy.Amber, func(o *intel.Object) { o.Source = "taxii:cert-y" }), true},
		{"type not allowed", p, obj(policy.Amber, func(o *intel.Object) { o.Type = "malware" }), false},
		{"every type when none named", func() Partner { q := p; q.Policy.Types = nil; return q }(), obj(policy.Amber, func(o *intel.Object) { o.Type = "malware" }), true},
		{"marking not allowed", func() Partner { q := p; q.Policy.Markings = []policy.TLP{policy.Clear}; return q }(), obj(policy.Amber, nil), false},
		{"no markings: nothing leaves", func() Partner { q := p; q.Policy.Markings = nil; return q }(), obj(policy.Clear, nil), false},
		{"community not allowed", p, obj(policy.Amber, func(o *intel.Object) { o.Dist.Communities = []string{"c-other"} }), false},
		{"partner may not see it (amber+strict to others)", p, obj(policy.AmberStrict, func(o *intel.Object) { o.Dist.Orgs = []string{"org-b"} }), false},
		{"amber+strict named to the partner, outside the communities", func() Partner { q := p; q.Policy.Communities = nil; return q }(),
			obj(policy.AmberStrict, func(o *intel.Object) { o.Dist.Orgs = []string{"org-x"}; o.Dist.Communities = nil }), true},
		{"partner not in the community", p, obj(policy.Amber, func(o *intel.Object) { o.Dist.Communities = []string{"c-intl2"} }), false},
	}
	for _, c := range cases {
		got, why := Outbound(c.p, m, c.o)
		if got != c.want {
			t.Errorf("%s: got %v (%s), want %v", c.name, got, why, c.want)
		}
		if !got && why == "" {
			t.Errorf("%s: refused without a reason", c.name)
		}
	}
}

func TestHealthAndBackoff(t *testing.T) {
	t0 := time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)
	p := Partner{Interval: time.Minute}
	if HealthOf(p, t0) != Never || !NextAttempt(p).IsZero() {
		t.Fatal("a new partner is due now and never tried")
	}
	p.State = State{LastAttempt: t0, LastSuccess: t0}
	if HealthOf(p, t0) != Healthy || !NextAttempt(p).Equal(t0.Add(time.Minute)) {
		t.Fatal("healthy partner")
	}
	p.State.Failures = 1
	if HealthOf(p, t0) != Degraded || !NextAttempt(p).Equal(t0.Add(2*time.Minute)) {
		t.Fatal("one failure")
	}
	p.State.Failures = 3
	if NextAttempt(p) != t0.Add(8*time.Minute) || HealthOf(p, t0.Add(5*time.Minute)) != Degraded {
		t.Fatal("three failures, recent success")
	}
	if HealthOf(p, t0.Add(11*time.Minute)) != Down {
		t.Fatal("three failures, old success")
	}
	p.State.Failures = 30
	if NextAttempt(p) != t0.Add(MaxBackoff) {
		t.Fatalf("back-off not capped: %v", NextAttempt(p))
	}
	p.Disabled = true
	if HealthOf(p, t0) != Off {
		t.Fatal("disabled")
	}
}

func TestSealer(t *testing.T) {
	s, err := NewSealer([]byte("0123456789abcdef0123"))
	if err != nil {
		t.Fatal(err)
	}
	a, b := s.Seal("p1", "token"), s.Seal("p1", "token")
	if string(a) == string(b) {
		t.Fatal("same nonce twice")
	}
	if v, err := s.Open("p1", a); err != nil || v != "token" {
		t.Fatal(v, err)
	}
	a[len(a)-1] ^= 1
	if _, err := s.Open("p1", a); err == nil {
		t.Fatal("a tampered value opened")
	}
	other, _ := NewSealer([]byte("another key of 16+ bytes"))
	if _, err := other.Open("p1", b); err == nil {
		t.Fatal("opened with another key")
	}
	if _, err := NewSealer([]byte("short")); err == nil {
		t.Fatal("short key accepted")
	}
}
