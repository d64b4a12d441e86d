package pattern

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// obsAt builds an observation seen once at t0+sec from a JSON objects
// dictionary.
func obsAt(t *testing.T, sec int, objects string) Observation {
	t.Helper()
	var m map[string]map[string]any
	if err := json.Unmarshal([]byte(objects), &m); err != nil {
		t.Fatalf("bad test objects %s: %v", objects, err)
	}
	at := t0.Add(time.Duration(sec) * time.Second)
	return Observation{FirstObserved: at, LastObserved: at, NumberObserved: 1, Objects: m}
}

const (
	fileObj = `{"0": {"type": "file", "name": "Invoice.PDF.exe", "size": 371712,
		"created": "2014-01-13T07:03:17Z", "is_encrypted": false,
		"magic_number_hex": "ffd8", "payload": "SGVsbG8=",
		"hashes": {"MD5": "cead3f77f6cda6ec00f57d76c9a6879f", "SHA-256": "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f"},
		"extensions": {"windows-pebinary-ext": {"sections": [{"name": ".text", "entropy": 7.5}, {"name": ".data", "entropy": 3.1}]}},
		"parent_directory_ref": "1"},
		"1": {"type": "directory", "path": "C:\\Windows\\System32"}}`
	emailObj = `{"0": {"type": "email-message", "from_ref": "1", "to_refs": ["2", "3"], "subject": "Please review"},
		"1": {"type": "email-addr", "value": "billing@g0thamnatl.com"},
		"2": {"type": "email-addr", "value": "a@example.com"},
		"3": {"type": "email-addr", "value": "b@example.com"}}`
	netObj = `{"0": {"type": "ipv4-addr", "value": "198.51.100.7"},
		"1": {"type": "ipv4-addr", "value": "203.0.113.0/24"},
		"2": {"type": "network-traffic", "src_ref": "0", "dst_ref": "3", "dst_port": 443, "protocols": ["ipv4", "tcp", "tls"]},
		"3": {"type": "ipv6-addr", "value": "2001:db8:dead:beef::1"},
		"4": {"type": "domain-name", "value": "evil.example", "resolves_to_refs": ["0"]}}`
)

func TestMatchComparisons(t *testing.T) {
	file := []Observation{obsAt(t, 0, fileObj)}
	email := []Observation{obsAt(t, 0, emailObj)}
	net := []Observation{obsAt(t, 0, netObj)}
	tests := []struct {
		pattern string
		obs     []Observation
		want    bool
	}{
		{`[file:name = 'Invoice.PDF.exe']`, file, true},
		{`[file:name = 'invoice.pdf.exe']`, file, false},
		{`[file:name != 'x']`, file, true},
		{`[file:name NOT = 'Invoice.PDF.exe']`, file, false},
		{`[file:name = 'x' OR file:size = 371712]`, file, true},
		{`[file:name = 'Invoice.PDF.exe' AND file:size = 371712.0]`, file, true},
		{`[file:name = 'Invoice.PDF.exe' AND file:size = 1]`, file, false},
		{`[file:size > 371711 AND file:size < 371713 AND file:size >= 371712 AND file:size <= 371712]`, file, true},
		{`[file:size > 371712]`, file, false},
		{`[file:size = '371712']`, file, false},
		{`[file:size NOT = 'abc']`, file, false},
		{`[file:name > 'H' AND file:name < 'J']`, file, true},
		{`[file:size IN (1, 371712)]`, file, true},
		{`[file:size IN (1, 2)]`, file, false},
		{`[file:size NOT IN (1, 2)]`, file, true},
		{`[file:name LIKE 'Invoice.%.exe']`, file, true},
		{`[file:name LIKE 'Invoice._DF.exe']`, file, true},
		{`[file:name LIKE 'invoice%']`, file, false},
		{`[file:name LIKE 'Invoice.PDF.ex']`, file, false},
		{`[file:name NOT LIKE '%.exe']`, file, false},
		{`[file:name MATCHES '\\.exe$']`, file, true},
		{`[file:name MATCHES '(?i)^invoice']`, file, true},
		{`[file:name MATCHES '^PDF']`, file, false},
		{`[file:name NOT MATCHES '^PDF']`, file, true},
		{`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`, file, true},
		{`[file:hashes.md5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`, file, true},
		{`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`, file, true},
		{`[file:hashes.'SHA-1' = 'cead3f77f6cda6ec00f57d76c9a6879f']`, file, false},
		{`[file:created = t'2014-01-13T07:03:17Z']`, file, true},
		{`[file:created > t'2014-01-13T07:03:16.5Z' AND file:created < t'2014-01-13T07:03:17.001Z']`, file, true},
		{`[file:is_encrypted = false]`, file, true},
		{`[file:is_encrypted = true]`, file, false},
		{`[file:magic_number_hex = h'FFD8']`, file, true},
		{`[file:magic_number_hex = h'ffd9']`, file, false},
		{`[file:payload = b'SGVsbG8=']`, file, true},
		{`[file:extensions.'windows-pebinary-ext'.sections[*].entropy > 7.0]`, file, true},
		{`[file:extensions.'windows-pebinary-ext'.sections[1].entropy > 7.0]`, file, false},
		{`[file:extensions.'windows-pebinary-ext'.sections[0].name = '.text']`, file, true},
		{`[file:extensions.'windows-pebinary-ext'.sections[5].name = '.text']`, file, false},
		{`[file:parent_directory_ref.path = 'C:\\Windows\\System32']`, file, true},
		{`[file:parent_directory_ref = '1']`, file, true},
		{`[EXISTS file:hashes.MD5]`, file, true},
		{`[EXISTS file:hashes.'SHA-512']`, file, false},
		{`[NOT EXISTS file:hashes.'SHA-512']`, file, true},
		{`[NOT EXISTS file:name]`, file, false},
		{`[NOT EXISTS file:name]`, email, false},
		{`[directory:path LIKE 'C:\\Windows%']`, file, true},
		{`[email-message:from_ref.value = 'billing@g0thamnatl.com']`, email, true},
		{`[email-message:from_ref.value MATCHES '.+\\@g0thamnatl\\.com$' AND email-message:subject = 'Please review']`, email, true},
		{`[email-message:to_refs[*].value = 'b@example.com']`, email, true},
		{`[email-message:to_refs[0].value = 'b@example.com']`, email, false},
		{`[email-message:from_ref.value = 'billing@g0thamnatl.com']`, file, false},
		{`[ipv4-addr:value ISSUBSET '198.51.100.0/24']`, net, true},
		{`[ipv4-addr:value ISSUBSET '198.51.101.0/24']`, net, false},
		{`[ipv4-addr:value ISSUPERSET '203.0.113.9']`, net, true},
		{`[ipv4-addr:value ISSUPERSET '203.0.0.0/16']`, net, false},
		{`[ipv4-addr:value NOT ISSUBSET '0.0.0.0/0']`, net, false},
		{`[network-traffic:dst_ref.value ISSUBSET '2001:db8:dead:beef::/64']`, net, true},
		{`[network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24']`, net, false},
		{`[network-traffic:src_ref.value = '198.51.100.7' AND network-traffic:dst_port = 443]`, net, true},
		{`[network-traffic:protocols[*] = 'tls']`, net, true},
		{`[network-traffic:protocols[*] NOT = 'tls']`, net, true},
		{`[network-traffic:protocols[2] != 'tls']`, net, false},
		{`[domain-name:value = 'evil.example' AND domain-name:resolves_to_refs[*].value = '198.51.100.7']`, net, true},
		{`[domain-name:resolves_to_refs[*].value ISSUBSET '10.0.0.0/8']`, net, false},
		{`[domain-name:value = 'evil.example' OR ipv4-addr:value = '1.1.1.1']`, net, true},
		{`[x-custom:value = 'evil.example']`, net, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			p := MustParse(tt.pattern)
			got, err := p.Match(tt.obs)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchObservationOperators(t *testing.T) {
	a := `{"0": {"type": "file", "name": "a"}}`
	b := `{"0": {"type": "file", "name": "b"}}`
	ab := `{"0": {"type": "file", "name": "a"}, "1": {"type": "file", "name": "b"}}`
	twice := obsAt(t, 0, a)
	twice.NumberObserved = 3
	spread := obsAt(t, 0, a)
	spread.LastObserved = t0.Add(time.Hour)
	tests := []struct {
		pattern string
		obs     []Observation
		want    bool
	}{
		{`[file:name = 'a'] AND [file:name = 'b']`, []Observation{obsAt(t, 0, a), obsAt(t, 5, b)}, true},
		{`[file:name = 'a'] AND [file:name = 'b']`, []Observation{obsAt(t, 0, a)}, false},
		{`[file:name = 'a'] AND [file:name = 'b']`, []Observation{obsAt(t, 0, ab)}, false},
		{`[file:name = 'a'] OR [file:name = 'b']`, []Observation{obsAt(t, 0, b)}, true},
		{`[file:name = 'a'] OR [file:name = 'b']`, []Observation{obsAt(t, 0, `{"0": {"type": "file", "name": "c"}}`)}, false},
		{`[file:name = 'a'] FOLLOWEDBY [file:name = 'b']`, []Observation{obsAt(t, 0, a), obsAt(t, 5, b)}, true},
		{`[file:name = 'a'] FOLLOWEDBY [file:name = 'b']`, []Observation{obsAt(t, 5, a), obsAt(t, 0, b)}, false},
		{`[file:name = 'b'] FOLLOWEDBY [file:name = 'a']`, []Observation{obsAt(t, 5, a), obsAt(t, 0, b)}, true},
		{`[file:name = 'a'] FOLLOWEDBY [file:name = 'a']`, []Observation{obsAt(t, 0, a)}, false},
		{`[file:name = 'a'] FOLLOWEDBY [file:name = 'a']`, []Observation{obsAt(t, 0, a), obsAt(t, 1, a)}, true},
		{`([file:name = 'a'] AND [file:name = 'b']) WITHIN 10 SECONDS`, []Observation{obsAt(t, 0, a), obsAt(t, 9, b)}, true},
		{`([file:name = 'a'] AND [file:name = 'b']) WITHIN 10 SECONDS`, []Observation{obsAt(t, 0, a), obsAt(t, 11, b)}, false},
		{`([file:name = 'a'] AND [file:name = 'b']) WITHIN 10 SECONDS`, []Observation{obsAt(t, 0, a), obsAt(t, 30, b), obsAt(t, 35, a)}, true},
		{`[file:name = 'a'] WITHIN 60 SECONDS`, []Observation{spread}, false},
		{`[file:name = 'a'] REPEATS 2 TIMES`, []Observation{obsAt(t, 0, a), obsAt(t, 9, a)}, true},
		{`[file:name = 'a'] REPEATS 3 TIMES`, []Observation{obsAt(t, 0, a), obsAt(t, 9, a)}, false},
		{`[file:name = 'a'] REPEATS 3 TIMES`, []Observation{twice}, true},
		{`[file:name = 'a'] REPEATS 4 TIMES`, []Observation{twice}, false},
		{`[file:name = 'a'] REPEATS 3 TIMES WITHIN 10 SECONDS`, []Observation{obsAt(t, 0, a), obsAt(t, 100, a), obsAt(t, 104, a), obsAt(t, 108, a)}, true},
		{`[file:name = 'a'] REPEATS 3 TIMES WITHIN 5 SECONDS`, []Observation{obsAt(t, 0, a), obsAt(t, 100, a), obsAt(t, 104, a), obsAt(t, 108, a)}, false},
		{`([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) REPEATS 2 TIMES`, []Observation{obsAt(t, 0, a), obsAt(t, 1, b), obsAt(t, 2, a), obsAt(t, 3, b)}, true},
		{`([file:name = 'a'] FOLLOWEDBY [file:name = 'b']) REPEATS 2 TIMES`, []Observation{obsAt(t, 0, a), obsAt(t, 1, b), obsAt(t, 2, a)}, false},
		{`[file:name = 'a'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T13:00:00Z'`, []Observation{obsAt(t, 0, a)}, true},
		{`[file:name = 'a'] START t'2024-03-01T12:00:00Z' STOP t'2024-03-01T12:00:01Z'`, []Observation{obsAt(t, 0, a)}, true},
		{`[file:name = 'a'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T12:00:00Z'`, []Observation{obsAt(t, 0, a)}, false},
		{`[file:name = 'a'] START t'2024-03-01T12:00:00.5Z' STOP t'2024-03-01T13:00:00Z'`, []Observation{obsAt(t, 0, a)}, false},
		{`[file:name = 'a'] START t'2024-03-01T11:00:00Z' STOP t'2024-03-01T12:30:00Z'`, []Observation{spread}, false},
		{`[file:name = 'a'] AND [file:name = 'b'] OR [file:name = 'c']`, []Observation{obsAt(t, 0, a), obsAt(t, 0, b)}, true},
		{`[file:name = 'a'] AND ([file:name = 'b'] OR [file:name = 'c'])`, []Observation{obsAt(t, 0, b)}, false},
		{`[file:name = 'a']`, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, err := MustParse(tt.pattern).Match(tt.obs)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestMatchErrors(t *testing.T) {
	bad := obsAt(t, 0, `{}`)
	bad.LastObserved = t0.Add(-time.Second)
	if _, err := MustParse(`[file:name = 'a']`).Match([]Observation{bad}); !errs.Is(err, errs.Invalid) {
		t.Errorf("reversed times: err = %v, want invalid", err)
	}
	neg := obsAt(t, 0, `{}`)
	neg.NumberObserved = -1
	if _, err := MustParse(`[file:name = 'a']`).Match([]Observation{neg}); !errs.Is(err, errs.Invalid) {
		t.Errorf("negative count: err = %v, want invalid", err)
	}
	// Many matching observations joined by AND blow past MaxBindings.
	var obs []Observation
	for i := range 200 {
		obs = append(obs, obsAt(t, i, `{"0": {"type": "file", "name": "a"}}`))
	}
	p := MustParse(`[file:name = 'a'] AND [file:name = 'a'] AND [file:name = 'a']`)
	start := time.Now()
	if _, err := p.Match(obs); !errs.Is(err, errs.TooLarge) {
		t.Errorf("combinatorial AND: err = %v, want too_large", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v", d)
	}
	if ok, err := MustParse(`[file:name = 'a'] REPEATS 150 TIMES WITHIN 200 SECONDS`).Match(obs); err != nil || !ok {
		t.Errorf("REPEATS over 200 observations = %v, %v", ok, err)
	}
}

// TestMatchEvilRegex shows that a regular expression that backtracks
// exponentially in PCRE runs in linear time: Go's regexp is RE2.
func TestMatchEvilRegex(t *testing.T) {
	long := strings.Repeat("a", 100_000) + "!"
	obs := []Observation{{FirstObserved: t0, LastObserved: t0, Objects: map[string]map[string]any{
		"0": {"type": "file", "name": long},
	}}}
	start := time.Now()
	for _, re := range []string{`(a+)+$`, `^(a|a)*$`, `(a*)*b`, `^(([a-z])+.)+[A-Z]([a-z])+$`} {
		ok, err := MustParse(`[file:name MATCHES '` + re + `']`).Match(obs)
		if err != nil || ok {
			t.Errorf("%s: %v, %v", re, ok, err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("evil regexes took %v", d)
	}
}
