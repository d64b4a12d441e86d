package rpz

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/sharedtest"
)

var now = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

func ind(id string, tlp policy.TLP, score float64, domains ...string) Indicator {
	return Indicator{ID: id, Dist: policy.Distribution{TLP: tlp, AuthorOrg: "org-author"}, Score: score, Domains: domains}
}

func TestBuild(t *testing.T) {
	isp := Subscriber{ID: "s1", OrgID: "org-isp"}.Member([]string{"comm-isps"})
	other := Subscriber{ID: "s2", OrgID: "org-other"}.Member(nil)
	green := ind("indicator--g", policy.Green, 80, "green.example")
	green.Dist.Communities = []string{"comm-isps"}
	amberNamed := ind("indicator--a", policy.Amber, 80, "amber.example")
	amberNamed.Dist.Orgs = []string{"org-isp"}
	wild := ind("indicator--w", policy.Clear, 90, "wild.example")
	wild.Wildcard = true
	url := Indicator{ID: "indicator--u", Dist: policy.Distribution{TLP: policy.Clear}, Score: 70, URLHosts: []string{"phish.example"}}
	low := ind("indicator--l", policy.Clear, 10, "low.example")
	red := ind("indicator--r", policy.Red, 99, "red.example")
	comp := ind("indicator--c", policy.Clear, 99, "comp.example")
	comp.Dist.Compartments = []string{"op-x"}
	bad := ind("indicator--b", policy.Clear, 99, "bad name.example", strings.Repeat("a", 63)+"."+strings.Repeat("b", 63)+"."+strings.Repeat("c", 63)+"."+strings.Repeat("d", 50))
	all := []Indicator{green, amberNamed, wild, url, low, red, comp, bad}

	feed := Feed{Zone: "rpz.kyojo.example", MinScore: 50, Action: NXDomain}
	if err := feed.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		feed  Feed
		m     policy.Member
		allow []Allow
		want  map[string]string
	}{
		{"isp sees green, named amber, clear; wildcard; url host", feed, isp, nil, map[string]string{
			"green.example": ".", "amber.example": ".", "wild.example": ".", "*.wild.example": ".", "phish.example": "."}},
		{"another org sees only clear", feed, other, nil, map[string]string{
			"wild.example": ".", "*.wild.example": ".", "phish.example": "."}},
		{"domains only", func() Feed { f := feed; f.Kinds = []string{KindDomain}; return f }(), other, nil, map[string]string{
			"wild.example": ".", "*.wild.example": "."}},
		{"max tlp clear", func() Feed { f := feed; f.MaxTLP = policy.Clear; return f }(), isp, nil, map[string]string{
			"wild.example": ".", "*.wild.example": ".", "phish.example": "."}},
		{"community filter", func() Feed { f := feed; f.Communities = []string{"comm-isps"}; return f }(), isp, nil, map[string]string{
			"green.example": "."}},
		{"nodata", func() Feed { f := feed; f.Action = NoData; f.MinScore = 75; return f }(), other, nil, map[string]string{
			"wild.example": "*.", "*.wild.example": "*."}},
		{"walled garden", func() Feed {
			f := feed
			f.Action = Walled
			f.WarnHost = "warn.kyojo.example"
			f.Kinds = []string{KindURLHost}
			return f
		}(), other, nil, map[string]string{
			"phish.example": "warn.kyojo.example."}},
		{"allowlist wins and passes through", feed, other, []Allow{{Name: "Wild.Example."}}, map[string]string{
			"wild.example": "rpz-passthru.", "*.wild.example": "rpz-passthru.", "phish.example": "."}},
		{"allowlisted parent covers children", feed, isp, []Allow{{Name: "example"}}, map[string]string{
			"example": "rpz-passthru.", "*.example": "rpz-passthru."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			z := Build(tc.feed, tc.m, all, tc.allow)
			if !reflect.DeepEqual(z.Records, tc.want) {
				t.Fatalf("records\n got %v\nwant %v", z.Records, tc.want)
			}
			for o := range z.Records {
				if _, ok := z.Source[o]; !ok {
					t.Errorf("no source for %s", o)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		feed   Feed
		fields []string
	}{
		{"ok", Feed{Zone: "rpz.example"}, nil},
		{"bad zone", Feed{Zone: "bad zone"}, []string{"zone"}},
		{"score", Feed{Zone: "rpz.example", MinScore: 101}, []string{"min_score"}},
		{"walled needs host", Feed{Zone: "rpz.example", Action: Walled}, []string{"warn_host"}},
		{"passthru is no feed action", Feed{Zone: "rpz.example", Action: Passthru}, []string{"action"}},
		{"kinds and tlp", Feed{Zone: "rpz.example", Kinds: []string{"ip"}, MaxTLP: "purple"}, []string{"kinds", "max_tlp"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.feed.Validate()
			var got []string
			for _, e := range errsFields(err) {
				got = append(got, e)
			}
			if !reflect.DeepEqual(got, tc.fields) {
				t.Fatalf("fields %v, want %v (%v)", got, tc.fields, err)
			}
		})
	}
}

func TestSubscriberValidate(t *testing.T) {
	s := Subscriber{Name: "kumo-ns1", OrgID: "o", KeyName: "kumo-key", Secret: "c2VjcmV0c2VjcmV0c2VjcmV0"}
	if err := s.Validate(); err == nil || !strings.Contains(err.Error(), "allow") {
		t.Fatalf("no allow: %v", err)
	}
	s.Allow = mustPrefixes("192.0.2.0/24")
	s.Notify = []string{"192.0.2.53:53"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	if s.KeyName != "kumo-key." {
		t.Fatalf("key name %q", s.KeyName)
	}
	for addr, want := range map[string]bool{"192.0.2.7": true, "::ffff:192.0.2.7": true, "198.51.100.1": false} {
		if got := s.Allowed(mustAddr(addr)); got != want {
			t.Errorf("Allowed(%s) = %v", addr, got)
		}
	}
	s.Notify = []string{"ns.example"}
	if err := s.Validate(); err == nil {
		t.Fatal("notify without port accepted")
	}
}

func TestFromObject(t *testing.T) {
	raw := func(m map[string]any) json.RawMessage { b, _ := json.Marshal(m); return b }
	past := now.Add(-time.Hour)
	future := now.Add(time.Hour)
	base := intel.Object{ID: "indicator--1", Type: "indicator", AddedAt: now, Confidence: 80,
		Values: []intel.Value{{Kind: "url", Value: "http://phish.example/login"}, {Kind: "domain", Value: "phish.example"}, {Kind: "domain", Value: "evil.example"}},
		Raw:    raw(map[string]any{"name": "Phishing kit", "labels": []string{"rpz:wildcard"}, "indicator_types": []string{"malicious-activity"}})}
	in, ok := FromObject(base, intel.DefaultDecay, now)
	if !ok || !in.Wildcard || in.Name != "Phishing kit" || !reflect.DeepEqual(in.Domains, []string{"evil.example"}) ||
		!reflect.DeepEqual(in.URLHosts, []string{"phish.example"}) || in.Score != 80 {
		t.Fatalf("got %+v %v", in, ok)
	}
	idn := base
	idn.Values = []intel.Value{{Kind: "domain", Value: "例え.example"}}
	if in, ok := FromObject(idn, intel.DefaultDecay, now); !ok || !reflect.DeepEqual(in.Domains, []string{"xn--r8jz45g.example"}) {
		t.Fatalf("IDN indicator: %+v %v", in, ok)
	}
	for name, o := range map[string]intel.Object{
		"revoked": func() intel.Object { o := base; o.Revoked = true; return o }(),
		"expired": func() intel.Object { o := base; o.ValidUntil = &past; return o }(),
		"future":  func() intel.Object { o := base; o.ValidFrom = &future; return o }(),
		"not ind": func() intel.Object { o := base; o.Type = "domain-name"; return o }(),
		"ip only": func() intel.Object { o := base; o.Values = []intel.Value{{Kind: "ip", Value: "192.0.2.1"}}; return o }(),
		"ip in url": func() intel.Object {
			o := base
			o.Values = []intel.Value{{Kind: "url", Value: "http://192.0.2.1/x"}, {Kind: "ip", Value: "192.0.2.1"}}
			return o
		}(),
	} {
		if _, ok := FromObject(o, intel.DefaultDecay, now); ok {
			t.Errorf("%s: served", name)
		}
	}
}

func TestDiffAndJournal(t *testing.T) {
	a := map[string]string{"a.example": ".", "b.example": "."}
	b := map[string]string{"a.example": "*.", "c.example": "."}
	d := Diff(a, b)
	if !reflect.DeepEqual(d.Deleted, []Record{{"a.example", "."}, {"b.example", "."}}) || !reflect.DeepEqual(d.Added, []Record{{"a.example", "*."}, {"c.example", "."}}) {
		t.Fatalf("diff %+v", d)
	}
	var j Journal
	j.MaxRecords = 5
	j.Append(Delta{From: 1, To: 2, Added: []Record{{"x", "."}}})
	j.Append(Delta{From: 2, To: 3, Added: []Record{{"y", "."}, {"z", "."}}})
	cases := []struct {
		serial uint32
		n      int
		ok     bool
	}{{1, 2, true}, {2, 1, true}, {3, 0, true}, {0, 0, false}, {9, 0, false}}
	for _, c := range cases {
		ds, ok := j.Since(c.serial)
		if ok != c.ok || len(ds) != c.n {
			t.Errorf("Since(%d) = %d deltas, %v", c.serial, len(ds), ok)
		}
	}
	j.Append(Delta{From: 3, To: 4, Added: []Record{{"w", "."}, {"v", "."}, {"u", "."}}})
	if _, ok := j.Since(1); ok {
		t.Error("journal kept more than its limit")
	}
	if ds, ok := j.Since(3); !ok || len(ds) != 1 {
		t.Error("latest delta lost")
	}
	j.Append(Delta{From: 7, To: 8})
	if _, ok := j.Since(3); ok {
		t.Error("a gap did not reset the journal")
	}
}

func TestNextSerial(t *testing.T) {
	if s := NextSerial(5, now); s != uint32(now.Unix()) {
		t.Fatalf("%d", s)
	}
	if s := NextSerial(uint32(now.Unix())+10, now); s != uint32(now.Unix())+11 {
		t.Fatalf("%d", s)
	}
}

func TestLookup(t *testing.T) {
	p := NewPolicy(0)
	p.Add(Zone{Origin: "first.", Records: map[string]string{"evil.example": ".", "*.wild.example": "warn.kyojo.", "ok.wild.example": "rpz-passthru."},
		Source: map[string]string{"evil.example": "i1", "*.wild.example": "i2"}})
	p.Add(Zone{Origin: "second.", Records: map[string]string{"evil.example": "*.", "other.example": "*."}})
	cases := []struct {
		q      string
		ok     bool
		action Action
		feed   string
		rule   string
	}{
		{"evil.example.", true, NXDomain, "first.", "evil.example"},
		{"EVIL.Example", true, NXDomain, "first.", "evil.example"},
		{"www.evil.example.", false, "", "", ""},
		{"wild.example.", false, "", "", ""},
		{"a.b.wild.example.", true, Walled, "first.", "*.wild.example"},
		{"ok.wild.example.", true, Passthru, "first.", "ok.wild.example"},
		{"other.example.", true, NoData, "second.", "other.example"},
		{"example.", false, "", "", ""},
		{".", false, "", "", ""},
	}
	for _, c := range cases {
		h, ok := p.Lookup(c.q)
		if ok != c.ok || h.Action != c.action || h.Feed != c.feed || h.Rule != c.rule {
			t.Errorf("Lookup(%q) = %+v %v", c.q, h, ok)
		}
	}
	if h, _ := p.Lookup("a.wild.example"); h.Indicator != "i2" || h.Target != "warn.kyojo." {
		t.Errorf("hit %+v", h)
	}
}

// TestRealZones parses the RPZ zones of BIND's and PowerDNS's test suites
// (read in place: MPL-2.0 and GPL-2.0) and checks that the zones kyojo
// writes read back the same way.
func TestRealZones(t *testing.T) {
	dir := sharedtest.Dir()
	if dir == "" {
		t.Skip("shared/testdata not found beside the repository: the real RPZ zones are not checked")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "rpz", "*", "*"))
	want := map[string]struct {
		records int
		origin  string
	}{
		"rpzrecurse_ns2_db.passthru":  {records: 2},
		"rpz_ns9_rpz.db":              {records: 3, origin: "rpz."},
		"rpzrecurse_ns2_db.wildcard1": {records: 2},
		"basic.rpz":                   {records: 5, origin: "rpz.example."},
	}
	seen := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		w, checked := want[filepath.Base(f)]
		origin := "rpz.test"
		if w.origin != "" {
			origin = w.origin
		}
		p, err := ParseText(bytes.NewReader(b), origin)
		if checked {
			seen++
			if err != nil || len(p.Records) != w.records {
				t.Errorf("%s: %d records, %v", filepath.Base(f), len(p.Records), err)
			}
		}
		t.Logf("%s: %d QNAME records, %d skipped, err %v", filepath.Base(f), len(p.Records), p.Skipped, err)
	}
	if seen != len(want) {
		t.Fatalf("found %d of the %d expected zones", seen, len(want))
	}
}

func TestTextRoundTrip(t *testing.T) {
	z := Zone{Origin: "rpz.kyojo.example.", Records: map[string]string{"evil.example": ".", "*.evil.example": ".", "nodata.example": "*.",
		"ok.example": "rpz-passthru.", "phish.example": "warn.kyojo.example."}}
	var buf bytes.Buffer
	if err := WriteText(&buf, z, 42, 300); err != nil {
		t.Fatal(err)
	}
	p, err := ParseText(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range p.Records {
		got[r.Owner] = r.Target
	}
	if !reflect.DeepEqual(got, z.Records) || p.Origin != z.Origin {
		t.Fatalf("round trip %v %s", got, p.Origin)
	}
}

func TestParseTextErrors(t *testing.T) {
	cases := []struct{ name, text, want string }{
		{"unbalanced", "@ SOA a. b. ( 1 2 3 4 5\n", "unclosed"},
		{"close first", "x CNAME . )\n", "unbalanced"},
		{"include", "$INCLUDE /etc/passwd\n", "not accepted"},
		{"outside", "$ORIGIN rpz.\nevil.other. CNAME .\n", "outside"},
		{"bad type", "$ORIGIN rpz.\nevil BOGUS .\n", "unknown record type"},
		{"bad name", "$ORIGIN rpz.\nev!l CNAME .\n", "line 2"},
		{"no owner", " CNAME .\n", "without an owner"},
		{"long line", strings.Repeat("a", MaxZoneLine+1), "too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseText(strings.NewReader(c.text), "rpz.")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err %v, want %q", err, c.want)
			}
		})
	}
}

func FuzzParseText(f *testing.F) {
	f.Add("$ORIGIN rpz.\n$TTL 60\n@ SOA a. b. (1 2 3 4 5)\n NS .\nevil CNAME .\n*.evil CNAME *.\nok CNAME rpz-passthru.\n")
	f.Add("x.rpz-ip CNAME .\n32.1.2.0.192.rpz-client-ip CNAME rpz-drop.\n")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseText(strings.NewReader(s), "rpz.")
		if err != nil {
			return
		}
		for _, r := range p.Records {
			if !CheckName(strings.TrimPrefix(r.Owner, "*.")) {
				t.Fatalf("accepted owner %q", r.Owner)
			}
		}
	})
}
