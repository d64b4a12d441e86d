package incident

import (
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		im     Impact
		tier   identity.Tier
		sector identity.Sector
		points float64
		level  Level
	}{
		{Impact{3, 3, 3}, 1, identity.SectorElectric, 100, Emergency},
		{Impact{3, 0, 1}, 1, identity.SectorElectric, 70, Severe},
		{Impact{2, 2, 2}, 2, identity.SectorFinance, 67, Severe},
		{Impact{1, 1, 0}, 3, "", 28.9, Low},
		{Impact{0, 0, 0}, 4, "", 6.1, Baseline},
		{Impact{2, 1, 1}, 3, identity.SectorWater, 49.2, Medium},
		{Impact{0, 0, 0}, 0, "", 12.2, Baseline}, // unknown tier counts as tier 3
	} {
		s := Compute(tc.im, tc.tier, tc.sector)
		if s.Points != tc.points || s.Level != tc.level {
			t.Errorf("%+v tier %d %q: %.1f %s, want %.1f %s", tc.im, tc.tier, tc.sector, s.Points, s.Level, tc.points, tc.level)
		}
		if s.Formula == "" || s.TierWeight == 0 || s.SectorWeight == 0 {
			t.Errorf("inputs not shown: %+v", s)
		}
	}
	// monotone: more impact or a more critical tier never lowers the score
	for f := Functional(0); f <= 3; f++ {
		for tier := identity.Tier(1); tier < 4; tier++ {
			a := Compute(Impact{f, 1, 1}, tier, identity.SectorGas)
			b := Compute(Impact{f, 1, 1}, tier+1, identity.SectorGas)
			if a.Points < b.Points {
				t.Errorf("tier %d scores below tier %d", tier, tier+1)
			}
			if f < 3 && Compute(Impact{f + 1, 1, 1}, tier, identity.SectorGas).Points < a.Points {
				t.Errorf("more functional impact lowered the score")
			}
		}
	}
}

func TestTransitions(t *testing.T) {
	for _, tc := range []struct {
		from, to Status
		ok       bool
	}{
		{Reported, Triage, true},
		{Reported, Response, false}, // skips triage
		{Reported, Closed, false},
		{Triage, Response, true},
		{Triage, Closed, true}, // false positive
		{Triage, Recovery, false},
		{Response, Recovery, true},
		{Response, Triage, true},
		{Response, Closed, false},
		{Recovery, Closed, true},
		{Recovery, Response, true},
		{Closed, Triage, true}, // reopen
		{Closed, Reported, false},
		{Closed, Response, false},
		{Triage, Triage, false},
		{"bogus", Triage, false},
	} {
		if got := CanMove(tc.from, tc.to); got != tc.ok {
			t.Errorf("%s → %s: %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

func TestSLAs(t *testing.T) {
	s, err := ParseSLAs("severe=10m/1h, low=2h/8h")
	if err != nil {
		t.Fatal(err)
	}
	if s.For(Severe).Ack != 10*time.Minute || s.For(Low).Response != 8*time.Hour || s.For(High) != DefaultSLAs[High] {
		t.Errorf("parsed %+v", s)
	}
	for _, bad := range []string{"severe=-10m/1h", "severe=1h/10m", "severe=0s/1h", "nope=1h/2h", "severe=1h", "severe=x/y"} {
		if _, err := ParseSLAs(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if err := (SLAs{High: {Ack: -time.Minute, Response: time.Hour}}).Validate(); err == nil {
		t.Error("negative SLA accepted")
	}
}

func TestParseReport(t *testing.T) {
	text := "件名: 電力制御システムへの不正アクセス\n" +
		"組織: power-co\n分野: electricity\nTLP: AMBER+STRICT\n" +
		"発生日時: 2026-11-20 03:15 JST\nSystems: SCADA-1, HMI 2\n" +
		"Reporter-Phone: +81 3 0000 0000\n\n" +
		"C2 at hxxps://evil-c2[.]example[.]net/gate.php and 203.0.113[.]5, dropper sha256 " +
		strings.Repeat("ab", 32) + " sent from attacker@phish.example.org (CVE-2024-3400).\n" +
		"Also see report.pdf and 2001:db8::1.\n"
	p, err := ParseReport(text)
	if err != nil {
		t.Fatal(err)
	}
	if p.Title != "電力制御システムへの不正アクセス" || p.AffectedOrg != "power-co" || p.Sector != identity.SectorElectric ||
		p.TLP != policy.AmberStrict || len(p.Systems) != 2 || p.OccurredAt == nil ||
		!p.OccurredAt.Equal(time.Date(2026, 11, 19, 18, 15, 0, 0, time.UTC)) {
		t.Errorf("fields: %+v", p.ReportInput)
	}
	want := map[Observable]bool{
		{"url", "https://evil-c2.example.net/gate.php"}: true, {"ipv4-addr", "203.0.113.5"}: true,
		{"file-sha256", strings.Repeat("ab", 32)}: true, {"email-addr", "attacker@phish.example.org"}: true,
		{"cve", "CVE-2024-3400"}: true, {"ipv6-addr", "2001:db8::1"}: true,
	}
	got := map[Observable]bool{}
	for _, o := range p.Observables {
		got[o] = true
		if o.Value == "report.pdf" {
			t.Errorf("a file name was read as a domain")
		}
	}
	for o := range want {
		if !got[o] {
			t.Errorf("missing %v in %v", o, p.Observables)
		}
	}
	if len(p.Unknown) != 1 || !strings.HasPrefix(p.Unknown[0], "Reporter-Phone") {
		t.Errorf("unknown = %v", p.Unknown)
	}
	if _, err := ParseReport(strings.Repeat("x", MaxReport+1)); err == nil {
		t.Error("oversized report accepted")
	}
	if _, err := ParseReport("\xff\xfe"); err == nil {
		t.Error("invalid UTF-8 accepted")
	}
}

func TestCheckFileName(t *testing.T) {
	for name, ok := range map[string]bool{
		"mail.eml": true, "ログ 2026.txt": true, "../../etc/passwd": false, `..\boot.ini`: false, "a/b": false,
		"": false, "..": false, ".": false, "x\x00y": false, "line\nbreak": false, strings.Repeat("a", 256): false,
	} {
		if err := CheckFileName(name); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%v", name, err, ok)
		}
	}
}

func TestParseQuery(t *testing.T) {
	f, err := ParseQuery("status=triage,response&severity=high&sector=finance&escalated=true&overdue=1&q=ransom&limit=20")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Status) != 2 || *f.MinLevel != High || f.Sector != identity.SectorFinance || !*f.Escalated || !f.Overdue || f.Limit != 20 {
		t.Errorf("%+v", f)
	}
	for _, bad := range []string{"status=nope", "severity=huge", "sector=moon", "limit=-1", "limit=x", "before=yesterday", "%zz"} {
		if _, err := ParseQuery(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
