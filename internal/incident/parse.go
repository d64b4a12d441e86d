package incident

import (
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Observable is a value seen in an incident.
type Observable struct {
	Type  string `json:"type"` // ipv4-addr, ipv6-addr, domain-name, url, email-addr, file-sha256, file-md5, cve
	Value string `json:"value"`
}

var (
	stixIDRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	sha256RE   = regexp.MustCompile(`^[0-9a-f]{64}$`)
	md5RE      = regexp.MustCompile(`^[0-9a-f]{32}$`)
	domainRE   = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	emailRE    = regexp.MustCompile(`^[a-z0-9._%+-]{1,64}@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	cveRE      = regexp.MustCompile(`^CVE-\d{4}-\d{4,7}$`)
	urlTokenRE = regexp.MustCompile(`(?i)\bh(?:tt|xx)ps?://[^\s<>"'「」（）()]+`)
	tokenRE    = regexp.MustCompile(`[A-Za-z0-9._%+\-@:\[\]]+`)
)

// ObservableTypes lists the types Observable accepts.
var ObservableTypes = []string{"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file-sha256", "file-md5", "cve"}

func (o Observable) validate() error {
	v := o.Value
	ok := false
	switch o.Type {
	case "ipv4-addr":
		a, err := netip.ParseAddr(v)
		ok = err == nil && a.Is4()
	case "ipv6-addr":
		a, err := netip.ParseAddr(v)
		ok = err == nil && a.Is6()
	case "domain-name":
		ok = len(v) <= 253 && domainRE.MatchString(v)
	case "url":
		ok = len(v) <= 2000 && (strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://")) && utf8.ValidString(v)
	case "email-addr":
		ok = emailRE.MatchString(v)
	case "file-sha256":
		ok = sha256RE.MatchString(v)
	case "file-md5":
		ok = md5RE.MatchString(v)
	case "cve":
		ok = cveRE.MatchString(v)
	default:
		return fmt.Errorf("unknown observable type %q: use one of %v", o.Type, ObservableTypes)
	}
	if !ok {
		return fmt.Errorf("%q is not a valid %s", truncate(v, 80), o.Type)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// MaxReport is the largest free-text report ParseReport reads.
const MaxReport = 256 << 10

// Parsed is what ParseReport found in a pasted report: fields it could
// place and every observable, for a person to check before filing.
type Parsed struct {
	ReportInput
	Unknown []string `json:"unknown,omitempty"` // "Key: value" lines it did not recognise
}

// field names in English and Japanese, lower-cased.
var fieldNames = map[string]string{
	"title": "title", "subject": "title", "件名": "title", "表題": "title", "タイトル": "title",
	"summary": "summary", "description": "summary", "概要": "summary", "内容": "summary", "詳細": "summary",
	"organisation": "org", "organization": "org", "affected": "org", "affected organisation": "org", "affected organization": "org",
	"組織": "org", "被害組織": "org", "報告組織": "org",
	"sector": "sector", "分野": "sector", "セクター": "sector",
	"systems": "systems", "system": "systems", "affected systems": "systems", "対象システム": "systems", "システム": "systems",
	"occurred": "occurred", "occurred at": "occurred", "when": "occurred", "発生日時": "occurred", "発生時刻": "occurred", "発生": "occurred",
	"detected": "detected", "detected at": "detected", "検知日時": "detected", "検知": "detected",
	"tlp": "tlp",
}

var timeLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006/01/02 15:04", "2006-01-02", "2006/01/02"}

// jst is Japan Standard Time: reports without a zone are read in it.
var jst = time.FixedZone("JST", 9*3600)

func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "JST"))
	for _, l := range timeLayouts {
		if t, err := time.ParseInLocation(l, s, jst); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ParseReport reads an e-mail-like report: "Key: value" lines (English or
// Japanese keys, full-width colons too) for the fields, the body for the
// summary, and every observable in the text (defanged forms such as
// hxxp:// and example[.]com are refanged). It never fails on content; it
// refuses only text over MaxReport or not UTF-8.
func ParseReport(text string) (Parsed, error) {
	var p Parsed
	if len(text) > MaxReport {
		return p, errs.F(errs.TooLarge, "text", "is larger than %d bytes", MaxReport)
	}
	if !utf8.ValidString(text) {
		return p, fieldErr("text", "is not valid UTF-8")
	}
	var body []string
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		k, v, ok := cutField(line)
		if !ok {
			body = append(body, line)
			continue
		}
		name, known := fieldNames[strings.ToLower(k)]
		if !known {
			if len(p.Unknown) < 50 {
				p.Unknown = append(p.Unknown, truncate(strings.TrimSpace(line), 200))
			}
			body = append(body, line)
			continue
		}
		switch name {
		case "title":
			p.Title = truncate(v, MaxTitle)
		case "summary":
			body = append(body, v)
		case "org":
			p.AffectedOrg = truncate(v, 100)
		case "sector":
			if s := identity.Sector(strings.ToLower(v)); s.Valid() {
				p.Sector = s
			}
		case "systems":
			for _, sys := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '、' || r == ';' }) {
				if sys = strings.TrimSpace(sys); sys != "" && len(p.Systems) < MaxSystems {
					p.Systems = append(p.Systems, truncate(sys, MaxTitle))
				}
			}
		case "occurred", "detected":
			if t, ok := parseTime(v); ok {
				if name == "occurred" {
					p.OccurredAt = &t
				} else {
					p.DetectedAt = &t
				}
			}
		case "tlp":
			if t, ok := policy.ParseTLP(v); ok {
				p.TLP = t
			}
		}
	}
	p.Summary = truncate(strings.TrimSpace(strings.Join(body, "\n")), MaxText)
	if p.Title == "" {
		for _, l := range body {
			if l = strings.TrimSpace(l); l != "" {
				p.Title = truncate(l, 120)
				break
			}
		}
	}
	p.Observables = Extract(text)
	return p, nil
}

// cutField splits "Key: value" (or "Key：value") when the key is short.
func cutField(line string) (string, string, bool) {
	i := strings.IndexAny(line, ":：")
	if i <= 0 {
		return "", "", false
	}
	k := strings.TrimSpace(line[:i])
	if utf8.RuneCountInString(k) > 30 || strings.ContainsAny(k, "/.") || len(strings.Fields(k)) > 3 {
		return "", "", false
	}
	_, size := utf8.DecodeRuneInString(line[i:])
	if strings.HasPrefix(line[i+size:], "//") {
		return "", "", false // a URL, not a field
	}
	return k, strings.TrimSpace(line[i+size:]), true
}

// refang undoes the usual defanging.
var refang = strings.NewReplacer("[.]", ".", "(.)", ".", "{.}", ".", "[dot]", ".", "[@]", "@", "[at]", "@", "hxxp", "http", "hXXp", "http", "[:]", ":")

// MaxObservables is the most observables Extract returns.
const MaxObservables = 500

// Extract finds the observables in text, refanged, deduplicated and in a
// stable order.
func Extract(text string) []Observable {
	text = refang.Replace(text)
	seen := map[Observable]bool{}
	var out []Observable
	add := func(o Observable) {
		if len(out) < MaxObservables && !seen[o] && o.validate() == nil {
			seen[o] = true
			out = append(out, o)
		}
	}
	for _, u := range urlTokenRE.FindAllString(text, -1) {
		add(Observable{Type: "url", Value: strings.TrimRight(u, ".,;:")})
	}
	noURLs := urlTokenRE.ReplaceAllString(text, " ")
	for _, tok := range tokenRE.FindAllString(noURLs, -1) {
		tok = strings.Trim(tok, ".,;:[]")
		if tok == "" {
			continue
		}
		low := strings.ToLower(tok)
		switch {
		case strings.HasPrefix(strings.ToUpper(tok), "CVE-"):
			add(Observable{Type: "cve", Value: strings.ToUpper(tok)})
		case sha256RE.MatchString(low):
			add(Observable{Type: "file-sha256", Value: low})
		case md5RE.MatchString(low):
			add(Observable{Type: "file-md5", Value: low})
		case strings.Contains(low, "@"):
			add(Observable{Type: "email-addr", Value: low})
		default:
			if a, err := netip.ParseAddr(tok); err == nil {
				if a.Is4() {
					add(Observable{Type: "ipv4-addr", Value: a.String()})
				} else if strings.Count(tok, ":") >= 2 {
					add(Observable{Type: "ipv6-addr", Value: a.String()})
				}
				continue
			}
			if strings.Contains(low, ".") && !strings.Contains(low, ":") && domainRE.MatchString(low) && !fileExt[low[strings.LastIndex(low, ".")+1:]] {
				add(Observable{Type: "domain-name", Value: low})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Type < out[j].Type })
	return out
}

// fileExt are endings that make a token a file name, not a domain.
var fileExt = map[string]bool{"exe": true, "dll": true, "txt": true, "log": true, "pdf": true, "doc": true, "docx": true,
	"xls": true, "xlsx": true, "zip": true, "js": true, "ps1": true, "bat": true, "sh": true, "png": true, "jpg": true, "lnk": true}

func fieldErr(field, format string, args ...any) error {
	return errs.F(errs.Invalid, field, format, args...)
}
