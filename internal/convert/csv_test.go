package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

var importTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func convertCSV(t *testing.T, in string, m Mapping) (*collected, Report) {
	t.Helper()
	if m.Now.IsZero() {
		m.Now = importTime
	}
	c, emit := collect(t)
	rep, err := FromCSV(strings.NewReader(in), m, emit)
	if err != nil {
		t.Fatalf("FromCSV: %v", err)
	}
	return c, rep
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		kind     Kind
		in       string
		private  bool
		wantKind Kind
		want     string
		reason   string
	}{
		{KindIPv4, " 198.51.100.7 ", false, KindIPv4, "198.51.100.7", ""},
		{KindIPv4, "198.51.100.07", false, "", "", "invalid IP address"},
		{KindIPv4, "::ffff:198.51.100.7", false, KindIPv4, "198.51.100.7", ""},
		{KindIPv6, "2001:0DB8:0::1", false, KindIPv6, "2001:db8::1", ""},
		{KindIPv4, "2001:db8::1", false, "", "", "not an ipv4 address"},
		{KindCIDR, "198.51.100.77/24", false, KindCIDR, "198.51.100.0/24", ""},
		{KindCIDR, "198.51.100.7/32", false, KindIPv4, "198.51.100.7", ""},
		{KindIPv4, "10.0.0.1", true, "", "", "private or reserved address"},
		{KindIPv4, "10.0.0.1", false, KindIPv4, "10.0.0.1", ""},
		{KindIPv4, "8.8.8.8", true, KindIPv4, "8.8.8.8", ""},
		{KindCIDR, "fe80::/10", true, "", "", "private or reserved address"},
		{KindDomain, "Evil.Example.", false, KindDomain, "evil.example", ""},
		{KindDomain, "xn--bcher-kva.example", false, KindDomain, "xn--bcher-kva.example", ""},
		{KindDomain, "bücher.example", false, "", "", "invalid domain name"},
		{KindDomain, "-bad.example", false, "", "", "invalid domain name"},
		{KindDomain, "a..example", false, "", "", "invalid domain name"},
		{KindDomain, strings.Repeat("a", 64) + ".example", false, "", "", "invalid domain name"},
		{KindDomain, strings.Repeat("abcdefghi.", 25) + "example", false, "", "", "invalid domain name"},
		{KindURL, "HTTPS://Evil.Example/Path?q=1", false, KindURL, "https://evil.example/Path?q=1", ""},
		{KindURL, "javascript:alert(1)", false, "", "", "invalid URL (http, https or ftp with a host)"},
		{KindURL, "http:///nohost", false, "", "", "invalid URL (http, https or ftp with a host)"},
		{KindMD5, "D41D8CD98F00B204E9800998ECF8427E", false, KindMD5, "d41d8cd98f00b204e9800998ecf8427e", ""},
		{KindSHA256, "abcd", false, "", "", "invalid sha256 digest: want 64 hex digits"},
		{KindEmail, "Bad.Guy@Evil.Example", false, KindEmail, "Bad.Guy@evil.example", ""},
		{KindEmail, "nobody", false, "", "", "invalid e-mail address"},
		{KindAuto, "198.51.100.7", false, KindIPv4, "198.51.100.7", ""},
		{KindAuto, "2001:db8::/48", false, KindCIDR, "2001:db8::/48", ""},
		{KindAuto, "da39a3ee5e6b4b0d3255bfef95601890afd80709", false, KindSHA1, "da39a3ee5e6b4b0d3255bfef95601890afd80709", ""},
		{KindAuto, strings.Repeat("a", 128), false, KindSHA512, strings.Repeat("a", 128), ""},
		{KindAuto, "http://x.example/", false, KindURL, "http://x.example/", ""},
		{KindAuto, "a@x.example", false, KindEmail, "a@x.example", ""},
		{KindAuto, "x.example", false, KindDomain, "x.example", ""},
		{KindAuto, "hello", false, "", "", "value of unknown type"},
		{KindAuto, "\xff.example", false, "", "", "invalid UTF-8"},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+"/"+tt.in, func(t *testing.T) {
			k, v, err := Normalize(tt.kind, tt.in, tt.private)
			if tt.reason != "" {
				var ke *errs.Error
				ke, _ = err.(*errs.Error)
				if ke == nil || ke.Message != tt.reason {
					t.Errorf("err %v, want %q", err, tt.reason)
				}
				return
			}
			if err != nil || k != tt.wantKind || v != tt.want {
				t.Errorf("got %s %q %v, want %s %q", k, v, err, tt.wantKind, tt.want)
			}
		})
	}
}

func TestCSV(t *testing.T) {
	const sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	tests := []struct {
		name     string
		in       string
		m        Mapping
		patterns []string       // of the converted indicators, in order
		rejected map[string]int // reasons
		lines    []int          // lines of the rejected records
	}{
		{
			name:     "header detected, mixed auto",
			in:       "indicator,first_seen,comment\n198.51.100.7,2024-01-02,c2\nevil.example,,\nhttp://evil.example/x,,\n" + sha + ",,\n",
			m:        Mapping{Value: 1, FirstSeen: 2, Description: 3},
			patterns: []string{"[ipv4-addr:value = '198.51.100.7']", "[domain-name:value = 'evil.example']", "[url:value = 'http://evil.example/x']", "[file:hashes.'SHA-256' = '" + sha + "']"},
		},
		{
			name:     "no header when the first value is valid",
			in:       "198.51.100.7\n198.51.100.8\n",
			m:        Mapping{Type: KindIPv4},
			patterns: []string{"[ipv4-addr:value = '198.51.100.7']", "[ipv4-addr:value = '198.51.100.8']"},
		},
		{
			name:     "quoted fields with commas and newlines",
			in:       "\"evil.example\",\"a, b\nand \"\"c\"\"\",x|y\nok.example,plain,\n",
			m:        Mapping{Type: KindDomain, Description: 2, Labels: 3},
			patterns: []string{"[domain-name:value = 'evil.example']", "[domain-name:value = 'ok.example']"},
		},
		{
			name:     "formula injection",
			in:       "=cmd|' /C calc'!A0,x\nevil.example,@SUM(1)\nok.example,fine\n-2+3,x\n",
			m:        Mapping{Type: KindAuto, Description: 2, Header: HeaderNo},
			patterns: []string{"[domain-name:value = 'ok.example']"},
			rejected: map[string]int{"cell starts with =, +, -, @, tab or CR (formula injection)": 3},
			lines:    []int{1, 2, 4},
		},
		{
			name:     "bad UTF-8",
			in:       "a.example,\xff\xfe\nb.example,ok\n",
			m:        Mapping{Description: 2, Header: HeaderNo},
			patterns: []string{"[domain-name:value = 'b.example']"},
			rejected: map[string]int{"invalid UTF-8": 1},
			lines:    []int{1},
		},
		{
			name:     "long line",
			in:       "a.example," + strings.Repeat("x", 300) + "\nb.example,ok\n",
			m:        Mapping{Description: 2, Header: HeaderNo, MaxLine: 100},
			patterns: []string{"[domain-name:value = 'b.example']"},
			rejected: map[string]int{"record longer than 100 bytes": 1},
			lines:    []int{1},
		},
		{
			name:     "long quoted record over several lines",
			in:       "a.example,\"" + strings.Repeat("x\n", 80) + "\"\nb.example,ok\n",
			m:        Mapping{Description: 2, Header: HeaderNo, MaxLine: 100},
			patterns: []string{"[domain-name:value = 'b.example']"},
			rejected: map[string]int{"record longer than 100 bytes": 1},
			lines:    []int{1},
		},
		{
			name:     "tab delimiter, confidence, labels, bad values",
			in:       "value\tconf\ttags\n9.9.9.9\t80\tc2|botnet\n10.0.0.1\t50\t\nnot-an-ip\t50\t\n8.8.8.8\t101\t\n",
			m:        Mapping{Type: KindIPv4, Delimiter: '\t', Confidence: 2, Labels: 3, RejectPrivate: true},
			patterns: []string{"[ipv4-addr:value = '9.9.9.9']"},
			rejected: map[string]int{"private or reserved address": 1, "invalid IP address": 1, "confidence is not an integer from 0 to 100": 1},
			lines:    []int{3, 4, 5},
		},
		{
			name:     "semicolon delimiter and missing column",
			in:       "2024-05-06T07:08:09Z;evil.example\nshort\n2024-05-06;localhost\n",
			m:        Mapping{Value: 2, FirstSeen: 1, Delimiter: ';', Header: HeaderNo, Type: KindDomain},
			patterns: []string{"[domain-name:value = 'evil.example']"},
			rejected: map[string]int{"record has no column 2": 1, "invalid domain name": 1},
			lines:    []int{2, 3},
		},
		{
			name:     "unterminated quote",
			in:       "ok.example\n\"evil.example\n",
			m:        Mapping{Header: HeaderNo},
			patterns: []string{"[domain-name:value = 'ok.example']"},
			rejected: map[string]int{"unterminated quoted field": 1},
			lines:    []int{2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, rep := convertCSV(t, tt.in, tt.m)
			var got []string
			for _, o := range c.ofType("indicator") {
				got = append(got, o["pattern"].(string))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.patterns) {
				t.Errorf("patterns\n got %q\nwant %q", got, tt.patterns)
			}
			if fmt.Sprint(rep.Reasons) != fmt.Sprint(tt.rejected) && !(len(rep.Reasons) == 0 && len(tt.rejected) == 0) {
				t.Errorf("reasons %v, want %v", rep.Reasons, tt.rejected)
			}
			var lines []int
			for _, r := range c.rejects {
				lines = append(lines, r.Line)
			}
			if fmt.Sprint(lines) != fmt.Sprint(tt.lines) && !(len(lines) == 0 && len(tt.lines) == 0) {
				t.Errorf("rejected lines %v, want %v", lines, tt.lines)
			}
			if rep.Read != rep.Converted+rep.Rejected {
				t.Errorf("report %+v does not add up", rep)
			}
		})
	}
}

func TestCSVIndicatorFields(t *testing.T) {
	in := "198.51.100.7,2024-01-02 03:04:05,2024-02-01,\"seen, twice\",70,c2|botnet\n"
	m := Mapping{Value: 1, FirstSeen: 2, LastSeen: 3, Description: 4, Confidence: 5, Labels: 6, Source: "feed-a",
		NewID: func() string { return "0190a000-0000-7000-8000-000000000001" }, CreatedBy: "identity--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Marking: "amber", DefaultLabels: []string{"blocklist"}}
	c, _ := convertCSV(t, in, m)
	inds := c.ofType("indicator")
	if len(inds) != 1 {
		t.Fatalf("%d indicators", len(inds))
	}
	o := inds[0]
	want := map[string]any{
		"id": "indicator--0190a000-0000-7000-8000-000000000001", "name": "feed-a: 198.51.100.7", "valid_from": "2024-01-02T03:04:05.000Z",
		"x_kyojo_last_seen": "2024-02-01T00:00:00.000Z", "description": "seen, twice", "confidence": 70.0, "labels": "[blocklist c2 botnet]",
		"object_marking_refs": "[" + TLPAmber + "]", "created_by_ref": "identity--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee",
		"created": "2026-01-02T03:04:05.000Z", "pattern_type": "stix",
	}
	for k, v := range want {
		got := o[k]
		if s, ok := v.(string); ok && strings.HasPrefix(s, "[") {
			got = fmt.Sprint(got)
		}
		if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
}

// TestCSVMintedIDs: list indicators get new UUIDv7 ids, increasing in
// the order minted, and their records say Minted; MISP records do not.
func TestCSVMintedIDs(t *testing.T) {
	in := "198.51.100.7\nEVIL.example.\nhttp://x.example/a\n"
	var ids []string
	for range 2 {
		_, err := FromCSV(strings.NewReader(in), Mapping{Source: "s1", Now: importTime}, func(r Record) error {
			var o struct{ ID string }
			if err := json.Unmarshal(r.Object, &o); err != nil || !r.Minted {
				t.Errorf("record %d: minted %v, %v", r.Line, r.Minted, err)
			}
			ids = append(ids, o.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		u, err := uuid.Parse(strings.TrimPrefix(id, "indicator--"))
		if err != nil || u.Version() != 7 || !strings.HasPrefix(id, "indicator--") {
			t.Fatalf("id %s: version %v, %v", id, u.Version(), err)
		}
		if i > 0 && id <= ids[i-1] {
			t.Errorf("id %s minted after %s sorts before it", id, ids[i-1])
		}
	}
	data, err := os.ReadFile("testdata/misp/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	FromMISPEvent(bytes.NewReader(data), MISPOptions{}, func(r Record) error {
		if r.Minted {
			t.Errorf("MISP record %d says minted", r.Line)
		}
		return nil
	})
}

// lineGen generates n CSV lines without holding them: an io.Reader.
type lineGen struct {
	n, i  int
	buf   []byte
	plain bool // values only, for FromPlain
}

func (g *lineGen) Read(p []byte) (int, error) {
	for len(g.buf) < len(p) && g.i < g.n {
		i := g.i
		g.i++
		switch i % 4 {
		case 0:
			g.buf = fmt.Appendf(g.buf, "%d.%d.%d.%d,2024-01-02T03:04:05Z,scanner,80,ssh|bruteforce\n", 1+i>>24&0x7f, i>>16&0xff, i>>8&0xff, i&0xff)
		case 1:
			g.buf = fmt.Appendf(g.buf, "host%d.evil.example,2024-01-02T03:04:05Z,c2,90,c2\n", i)
		case 2:
			g.buf = fmt.Appendf(g.buf, "http://site%d.evil.example/gate.php?id=%d,,phishing,,\n", i, i)
		default:
			g.buf = fmt.Appendf(g.buf, "%064x,,dropper,60,\n", i)
		}
	}
	if g.plain {
		// keep the first field of each generated line only
		out := g.buf[:0]
		for line := range bytes.Lines(g.buf) {
			v, _, _ := bytes.Cut(line, []byte(","))
			out = append(append(out, v...), '\n')
		}
		g.buf = out
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	n := copy(p, g.buf)
	g.buf = g.buf[:copy(g.buf, g.buf[n:])]
	return n, nil
}

var benchMapping = Mapping{Value: 1, FirstSeen: 2, Description: 3, Confidence: 4, Labels: 5, Header: HeaderNo, Source: "bench", Marking: "green", Now: importTime}

// TestCSVConstantMemory streams 300,000 generated lines and checks the heap
// does not grow with the input.
func TestCSVConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	n := 0
	var peak uint64
	rep, err := FromCSV(&lineGen{n: 300_000}, benchMapping, func(r Record) error {
		n++
		if n%50_000 == 0 {
			runtime.ReadMemStats(&after)
			peak = max(peak, after.HeapInuse)
		}
		return nil
	})
	if err != nil || rep.Converted != 300_000 {
		t.Fatalf("%+v %v", rep, err)
	}
	if peak > before.HeapInuse+16<<20 {
		t.Errorf("heap grew from %d to %d bytes", before.HeapInuse, peak)
	}
}

func TestCSVEmitErrorStops(t *testing.T) {
	stop := errs.E(errs.Unavailable, "store full")
	n := 0
	_, err := FromCSV(strings.NewReader("a.example\nb.example\n"), Mapping{}, func(Record) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("err %v after %d records", err, n)
	}
	if _, err := FromCSV(strings.NewReader(""), Mapping{Delimiter: '"'}, func(Record) error { return nil }); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad delimiter: %v", err)
	}
	if _, err := FromCSV(strings.NewReader(""), Mapping{Marking: "purple"}, func(Record) error { return nil }); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad marking: %v", err)
	}
}

func TestPlain(t *testing.T) {
	in := "# blocklist\n\n198.51.100.7   # scanner\nevil.example#notacomment\n  2001:db8::1\t# v6\nbad value\n" +
		"\xff.example\n" + strings.Repeat("a", 200) + ".example\nlast.example"
	c, emit := collect(t)
	rep, err := FromPlain(strings.NewReader(in), Mapping{Type: KindAuto, MaxLine: 128, Now: importTime}, emit)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range c.ofType("indicator") {
		got = append(got, o["pattern"].(string))
	}
	want := []string{"[ipv4-addr:value = '198.51.100.7']", "[ipv6-addr:value = '2001:db8::1']", "[domain-name:value = 'last.example']"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("got %q", got)
	}
	var lines []int
	for _, r := range c.rejects {
		lines = append(lines, r.Line)
	}
	// line 4: "#" not after whitespace keeps the value, which is then invalid.
	if fmt.Sprint(lines) != "[4 6 7 8]" {
		t.Errorf("rejected lines %v: %v", lines, c.rejects)
	}
	if rep.Read != 7 || rep.Converted != 3 || rep.Rejected != 4 {
		t.Errorf("report %+v", rep)
	}
}

func TestPlainCRLF(t *testing.T) {
	c, emit := collect(t)
	if _, err := FromPlain(bytes.NewReader([]byte("a.example\r\nb.example\r\n")), Mapping{Type: KindDomain}, emit); err != nil {
		t.Fatal(err)
	}
	if len(c.objs) != 2 || len(c.rejects) != 0 {
		t.Errorf("%d objects, %v", len(c.objs), c.rejects)
	}
}
