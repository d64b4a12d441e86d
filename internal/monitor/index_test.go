package monitor

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/match"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

var now = time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

func obj(id, pattern string, d policy.Distribution) intel.Object {
	return intel.Object{ID: id, Type: "indicator", Latest: true, AddedAt: now, Confidence: 80, Dist: d,
		Raw: []byte(fmt.Sprintf(`{"name":%q,"pattern":%q,"pattern_type":"stix"}`, id, pattern))}
}

func TestIndicatorOf(t *testing.T) {
	green := policy.Distribution{TLP: policy.Green}
	tests := []struct {
		pattern string
		ok      bool
		entries []string
		complex bool
	}{
		{"[ipv4-addr:value = '198.51.100.0/24']", true, []string{"ip=198.51.100.0/24"}, false},
		{"[domain-name:value = 'Evil.Example'] OR [url:value = 'HTTP://Evil.Example:80/x']", true, []string{"domain=evil.example", "url=http://evil.example/x"}, false},
		{"[file:hashes.'SHA-256' = '" + strings.Repeat("a", 64) + "']", true, []string{"hash=" + strings.Repeat("a", 64)}, false},
		{"[email-addr:value = 'bad@evil.example']", true, []string{"email=bad@evil.example"}, false},
		{"[network-traffic:extensions.'x-tls'.ja3 = 'e7d705a3286e19ea42f587b344ee6865']", true, []string{"ja3=e7d705a3286e19ea42f587b344ee6865"}, false},
		{"[network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'EvilBot/1.0']", true, []string{"user_agent=EvilBot/1.0"}, false},
		{"[network-traffic:dst_port = 4444 AND network-traffic:dst_ref.value = '192.0.2.1']", true, nil, true},
		{"not a pattern", false, nil, false},
		{"[mac-addr:value = '00:11:22:33:44:55']", false, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.pattern, func(t *testing.T) {
			ind, ok := indicatorOf(obj("indicator--1", tc.pattern, green), now, 0)
			if ok != tc.ok {
				t.Fatalf("ok = %v", ok)
			}
			var got []string
			for _, e := range ind.Entries {
				got = append(got, e.Kind.String()+"="+e.Value)
			}
			if !slices.Equal(got, tc.entries) || (ind.Pattern != nil) != tc.complex {
				t.Errorf("entries %v complex %v", got, ind.Pattern != nil)
			}
		})
	}
	// Revoked, expired, not an indicator, not STIX: not detected on.
	o := obj("indicator--2", "[ipv4-addr:value = '192.0.2.1']", green)
	o.Revoked = true
	if _, ok := indicatorOf(o, now, 0); ok {
		t.Error("revoked indicator detected on")
	}
	o = obj("indicator--3", "[ipv4-addr:value = '192.0.2.1']", green)
	past := now.Add(-time.Hour)
	o.ValidUntil = &past
	if _, ok := indicatorOf(o, now, 0); ok {
		t.Error("expired indicator detected on")
	}
}

// TestMatchVisibility: each organisation's events hit only what it may
// see; an address hits its longest visible block.
func TestMatchVisibility(t *testing.T) {
	mof := identity.Org{ID: "mof", Kind: identity.KindGovernment}
	isp := identity.Org{ID: "isp", Kind: identity.KindISP}
	x := NewIndicators()
	x.Apply([]intel.Object{
		obj("indicator--wide", "[ipv4-addr:value = '198.51.0.0/16']", policy.Distribution{TLP: policy.Green}),
		obj("indicator--narrow", "[ipv4-addr:value = '198.51.100.0/24']", policy.Distribution{TLP: policy.AmberStrict, AuthorOrg: "ncc", Orgs: []string{"isp"}}),
		obj("indicator--community", "[domain-name:value = 'evil.example']", policy.Distribution{TLP: policy.Amber, AuthorOrg: "ncc", Communities: []string{"gov"}}),
		obj("indicator--red", "[domain-name:value = 'red.example']", policy.Distribution{TLP: policy.Red, AuthorOrg: "mof", AuthorUser: "alice", Users: []string{"alice"}}),
		obj("indicator--secret", "[domain-name:value = 'secret.example']", policy.Distribution{TLP: policy.Clear, Compartments: []string{"x"}}),
		obj("indicator--complex", "[network-traffic:dst_port = 4444 AND network-traffic:dst_ref.value = '192.0.2.1']", policy.Distribution{TLP: policy.Clear}),
	}, now)
	ix := x.Rebuild(now)
	ev := parse.Event{Time: now, DstIP: netip.MustParseAddr("198.51.100.7"), DstPort: 4444,
		Domains: []string{"a.evil.example", "red.example", "secret.example"}, Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	ev2 := ev
	ev2.DstIP = netip.MustParseAddr("192.0.2.1")
	tests := []struct {
		name   string
		m      policy.Member
		ev     parse.Event
		values []string
	}{
		{"mof in gov", OrgMember(mof, "s1", []string{"gov"}), ev, []string{"198.51.0.0/16", "evil.example"}},
		{"isp", OrgMember(isp, "s2", nil), ev, []string{"198.51.100.0/24"}},
		{"complex pattern", OrgMember(isp, "s2", nil), ev2, []string{"pattern"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := ix.match(nil, &tc.ev, func(ref int32) bool { return policy.CanSee(tc.m, *ix.ind(ref).Dist) })
			var got []string
			for _, f := range fs {
				if f.kind == "pattern" {
					got = append(got, "pattern")
					continue
				}
				got = append(got, f.value)
			}
			if !slices.Equal(got, tc.values) {
				t.Errorf("hits %v, want %v", got, tc.values)
			}
		})
	}
	// Removing an indicator takes it out at the next rebuild; readers of
	// the old index are not disturbed.
	old := x.Current()
	rev := obj("indicator--wide", "[ipv4-addr:value = '198.51.0.0/16']", policy.Distribution{TLP: policy.Green})
	rev.Revoked = true
	if n := x.Apply([]intel.Object{rev}, now); n != 1 {
		t.Fatalf("changed %d", n)
	}
	x.Rebuild(now)
	if x.Current().Len() != 5 || old.Len() != 6 {
		t.Errorf("after revoking: %d, old %d", x.Current().Len(), old.Len())
	}
	if hs := x.Current().set.Lookup(nil, match.IP, "198.51.1.1"); len(hs) != 0 {
		t.Errorf("revoked block still hit: %v", hs)
	}
}

// TestUpdateDelta: small changes go on top of the full compile; look-ups
// see additions, changes and removals at once, and a rebuild folds them in.
func TestUpdateDelta(t *testing.T) {
	green := policy.Distribution{TLP: policy.Green}
	x := NewIndicators()
	x.Apply([]intel.Object{
		obj("indicator--a", "[ipv4-addr:value = '192.0.2.1']", green),
		obj("indicator--b", "[ipv4-addr:value = '192.0.2.2']", green),
		obj("indicator--c", "[domain-name:value = 'c.example']", green),
	}, now)
	x.Update(now) // the first update compiles everything
	if x.Current().delta != nil || x.Current().Len() != 3 {
		t.Fatalf("first update: delta %v, len %d", x.Current().delta != nil, x.Current().Len())
	}
	rev := obj("indicator--b", "[ipv4-addr:value = '192.0.2.2']", green)
	rev.Revoked = true
	x.Apply([]intel.Object{
		rev, // removed
		obj("indicator--c", "[domain-name:value = 'c2.example']", green), // changed
		obj("indicator--d", "[ipv4-addr:value = '192.0.2.0/24']", green), // added
	}, now)
	ix := x.Update(now)
	if ix.delta == nil || ix.Len() != 3 {
		t.Fatalf("update: delta %v, len %d", ix.delta != nil, ix.Len())
	}
	hits := func(ix *Index, ev parse.Event) []string {
		fs := ix.match(nil, &ev, func(int32) bool { return true })
		var out []string
		for _, f := range fs {
			out = append(out, ix.ind(f.ref).ID+"="+f.value)
		}
		slices.Sort(out)
		return out
	}
	ev := parse.Event{Time: now, SrcIP: netip.MustParseAddr("192.0.2.1"), DstIP: netip.MustParseAddr("192.0.2.2"), Domains: []string{"c.example", "c2.example"}}
	want := []string{"indicator--a=192.0.2.1", "indicator--c=c2.example", "indicator--d=192.0.2.0/24"}
	if got := hits(ix, ev); !slices.Equal(got, want) {
		t.Errorf("with the delta: %v, want %v", got, want)
	}
	full := x.Rebuild(now)
	if full.delta != nil || full.Len() != 3 {
		t.Fatalf("rebuild: delta %v len %d", full.delta != nil, full.Len())
	}
	if got := hits(full, ev); !slices.Equal(got, want) {
		t.Errorf("after the rebuild: %v, want %v", got, want)
	}
}

// The hub's decay setting decides which indicators are still detected on.
func TestIndicatorsUseTheHubsDecay(t *testing.T) {
	o := obj("indicator--old", "[ipv4-addr:value = '198.51.100.7']", policy.Distribution{TLP: policy.Green})
	o.AddedAt, o.Values = now.Add(-60*24*time.Hour), []intel.Value{{Kind: "ip", Value: "198.51.100.7"}}
	slow, err := intel.ParseDecay("ip=365d")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		decay intel.Decay
		want  int
	}{{intel.Decay{}, 0}, {slow, 1}} { // 80 → 20 after two 30-day half-lives; → 71 after 60 of 365 days
		x := NewIndicators()
		x.MinScore, x.Decay = 30, tc.decay
		if got := x.Apply([]intel.Object{o}, now); got != tc.want {
			t.Errorf("decay %v: %d indicators taken, want %d", tc.decay.HalfLife["ip"], got, tc.want)
		}
	}
}
