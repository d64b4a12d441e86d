package incident

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseReport feeds pasted reports: the parser never panics, never
// returns more than it promises, and every observable it returns is valid.
func FuzzParseReport(f *testing.F) {
	f.Add("件名: テスト\n組織: mof\nTLP: red\n198.51.100.7 hxxp://x[.]example[.]com/a")
	f.Add("Subject: x\nWhen: 2026-01-02 03:04\nSystems: a, b、c\nattacker@example.org CVE-2021-44228")
	f.Add(strings.Repeat("a.b.", 100) + "::" + strings.Repeat("f", 64))
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseReport(s)
		if err != nil {
			if len(s) <= MaxReport && utf8.ValidString(s) {
				t.Fatalf("refused valid input: %v", err)
			}
			return
		}
		if len(p.Observables) > MaxObservables || len(p.Systems) > MaxSystems || utf8.RuneCountInString(p.Title) > MaxTitle+1 {
			t.Fatalf("over limits: %d observables, %d systems", len(p.Observables), len(p.Systems))
		}
		for _, o := range p.Observables {
			if err := o.validate(); err != nil {
				t.Fatalf("invalid observable %v: %v", o, err)
			}
		}
		if p.TLP != "" && !p.TLP.Valid() {
			t.Fatalf("invalid TLP %q", p.TLP)
		}
	})
}

// FuzzParseQuery feeds list query strings: no panic, and an accepted
// filter is within bounds.
func FuzzParseQuery(f *testing.F) {
	f.Add("status=triage,closed&severity=high&limit=20")
	f.Add("before=2026-01-01T00:00:00Z,abc&q=%25")
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseQuery(s)
		if err != nil {
			return
		}
		if fl.PageLimit() < 1 || fl.PageLimit() > 500 || len(fl.Q) > 200 {
			t.Fatalf("out of bounds: %+v", fl)
		}
		for _, st := range fl.Status {
			if !st.Valid() {
				t.Fatalf("invalid status %q", st)
			}
		}
	})
}

// FuzzParseSLAs feeds SLA configurations: an accepted one validates.
func FuzzParseSLAs(f *testing.F) {
	f.Add("severe=30m/2h,high=1h/4h")
	f.Add("low=-1h/2h")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseSLAs(s)
		if err == nil && v.Validate() != nil {
			t.Fatalf("accepted an invalid configuration %q", s)
		}
	})
}

// FuzzCheckFileName: an accepted evidence name is never a path.
func FuzzCheckFileName(f *testing.F) {
	f.Add("report.pdf")
	f.Add("../x")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckFileName(s) != nil {
			return
		}
		if strings.ContainsAny(s, "/\\\x00") || strings.Contains(s, "..") || s == "" || len(s) > MaxFileName || !utf8.ValidString(s) {
			t.Fatalf("accepted %q", s)
		}
	})
}
