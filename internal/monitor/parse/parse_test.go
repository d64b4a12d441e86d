package parse

import (
	"bufio"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/sharedtest"
)

var now = time.Date(2026, 11, 28, 6, 0, 0, 0, time.UTC)

// readAll reads every line of a file with r, counting events and errors,
// and returns the events.
func readAll(t *testing.T, path string, r *Reader) (evs []Event, bad int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sc *bufio.Scanner
	if strings.HasSuffix(path, ".gz") {
		z, err := gzip.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		sc = bufio.NewScanner(z)
	} else {
		sc = bufio.NewScanner(f)
	}
	sc.Buffer(nil, MaxLine+1)
	for sc.Scan() {
		e, err := r.Line(sc.Bytes())
		switch {
		case errors.Is(err, ErrSkip):
		case err != nil:
			bad++
		default:
			evs = append(evs, e)
		}
	}
	return evs, bad
}

func obsOf(evs []Event) map[string]bool {
	m := map[string]bool{}
	for _, e := range evs {
		for _, o := range e.Observables() {
			m[o.Kind+"="+o.Value] = true
		}
	}
	return m
}

// TestRealEVE reads the real Suricata EVE files: every line parses but the
// one fever broke on purpose, and the observables a detector needs come out.
func TestRealEVE(t *testing.T) {
	tests := []struct {
		file     string
		events   int
		bad      int
		types    []string
		contains []string
	}{
		{"alert-testmyids.eve.json", 1, 0, []string{"alert"}, []string{"ip=10.16.1.11"}},
		{"tls-fingerprint-alert.eve.json", 2, 0, []string{"alert", "tls"}, []string{"domain=www.google.com", "ip=24.244.4.23"}},
		{"alertify_input.json", 3, 0, []string{"dns", "http", "tls"}, []string{"ja3=1fe4c7a3544eb27afec2adfb3a3dbf60"}},
		{"jsonparse_eve.json", 3, 0, []string{"dns", "fileinfo", "http"}, []string{"hash=8d81d793b28b098e8623d47bae23cf44", "domain=api.icndb.com", "user_agent=Ruby"}},
		{"jsonparse_eve_broken1.json", 2, 1, []string{"dns", "http"}, nil},
		{"jsonparse_eve_nulls.json", 1, 0, []string{"fileinfo"}, nil},
		{"eve-dns.eve.json", 9, 0, []string{"dns"}, []string{"domain=block.dropbox.com"}},
		{"dns-tcp-www-google-com.eve.json", 14, 0, []string{"dns", "flow"}, []string{"domain=www.google.com"}},
		{"detect-engine-state-03.eve.json", 3, 0, []string{"flow", "http", "stats"}, nil},
		{"output-eve-fileinfo.eve.json", 1, 0, []string{"fileinfo"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			evs, bad := readAll(t, filepath.Join("testdata", "suricata", tc.file), &Reader{Format: FormatEVE})
			if len(evs) != tc.events || bad != tc.bad {
				t.Fatalf("%d events, %d bad; want %d, %d", len(evs), bad, tc.events, tc.bad)
			}
			var types []string
			for _, e := range evs {
				if e.Time.Year() < 2010 || e.Time.Year() > 2030 {
					t.Errorf("time %v", e.Time)
				}
				if !slices.Contains(types, e.Type) {
					types = append(types, e.Type)
				}
			}
			slices.Sort(types)
			if !slices.Equal(types, tc.types) {
				t.Errorf("types %v, want %v", types, tc.types)
			}
			obs := obsOf(evs)
			for _, c := range tc.contains {
				if !obs[c] {
					t.Errorf("no observable %s in %v", c, obs)
				}
			}
		})
	}
	// Every real EVE file parses.
	files, _ := filepath.Glob("testdata/suricata/*.json")
	for _, f := range files {
		evs, bad := readAll(t, f, &Reader{Format: FormatEVE})
		if len(evs) == 0 || (bad > 0 && !strings.Contains(f, "broken")) {
			t.Errorf("%s: %d events, %d bad", f, len(evs), bad)
		}
	}
}

// TestEVELines covers the event types the real files lack (smtp) and the
// shapes of the others.
func TestEVELines(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
		err        bool
	}{
		{"smtp", `{"timestamp":"2026-11-01T00:00:00.000000+0900","event_type":"smtp","src_ip":"192.0.2.1","dest_ip":"198.51.100.25","smtp":{"mail_from":"<bad@evil.example>","rcpt_to":["<a@mof.go.jp>"]},"email":{"from":"Evil <bad@evil.example>","to":["a@mof.go.jp"]}}`,
			[]string{"ip=192.0.2.1", "ip=198.51.100.25", "email=bad@evil.example", "email=a@mof.go.jp"}, false},
		{"http with port", `{"timestamp":"2026-11-01T00:00:00Z","event_type":"http","src_ip":"::ffff:10.0.0.1","dest_ip":"2001:db8::1","http":{"hostname":"Evil.Example","url":"/a?b#c","http_port":8080,"http_user_agent":"curl/8"}}`,
			[]string{"ip=10.0.0.1", "ip=2001:db8::1", "domain=evil.example", "url=http://evil.example:8080/a?b", "user_agent=curl/8"}, false},
		{"tls ja3 ja4", `{"timestamp":"2026-11-01T00:00:00Z","event_type":"tls","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","tls":{"sni":"c2.example","ja3":{"hash":"E7D705A3286E19EA42F587B344EE6865"},"ja3s":{"hash":"abc"},"ja4":"t13d1516h2_8daaf6152771_b186095e22b6"}}`,
			[]string{"ip=10.0.0.1", "ip=10.0.0.2", "domain=c2.example", "ja3=e7d705a3286e19ea42f587b344ee6865", "ja3=abc", "ja3=t13d1516h2_8daaf6152771_b186095e22b6"}, false},
		{"dns v2 answers", `{"timestamp":"2026-11-01T00:00:00Z","event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.53","dns":{"version":2,"type":"answer","rrname":"x.example","answers":[{"rrname":"x.example","rrtype":"A","rdata":"203.0.113.5"}],"grouped":{"A":["203.0.113.6"]}}}`,
			[]string{"ip=10.0.0.1", "ip=10.0.0.53", "ip=203.0.113.5", "ip=203.0.113.6", "domain=x.example"}, false},
		{"fileinfo hashes", `{"timestamp":"2026-11-01T00:00:00Z","event_type":"fileinfo","fileinfo":{"md5":"D41D8CD98F00B204E9800998ECF8427E","sha256":"nothex"}}`,
			[]string{"hash=d41d8cd98f00b204e9800998ecf8427e"}, false},
		{"truncated", `{"timestamp":"2026-11-01T00:00:00Z","event_type":"dns","src_ip":"10.`, nil, true},
		{"no event_type", `{"timestamp":"2026-11-01T00:00:00Z"}`, nil, true},
		{"bad time", `{"timestamp":"yesterday","event_type":"dns"}`, nil, true},
		{"array", `[1,2]`, nil, true},
		{"invalid utf-8", "{\"timestamp\":\"2026-11-01T00:00:00Z\",\"event_type\":\"http\",\"http\":{\"hostname\":\"\xff\xfe.example\"}}", []string{}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := EVE([]byte(tc.line))
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, o := range e.Observables() {
				got = append(got, o.Kind+"="+o.Value)
			}
			if tc.want != nil && len(tc.want) > 0 && !slices.Equal(got, tc.want) {
				t.Errorf("observables %v, want %v", got, tc.want)
			}
		})
	}
}

// TestRealZeekTSV reads Zeek's own baseline logs.
func TestRealZeekTSV(t *testing.T) {
	tests := []struct {
		file     string
		events   int
		contains []string
	}{
		{"scripts.base.protocols.ssl.tls-1.2.ssl.log", 1, []string{"ip=10.0.0.80", "ip=68.233.76.12"}},
		{"scripts.base.protocols.http.http-methods.http.log", -1, []string{"domain=www.google.com", "ip=173.194.75.103"}},
		{"scripts.base.protocols.smtp.attachment.files.log", -1, []string{"ip=74.53.140.153"}},
		{"core.ipv6-frag.dns.log", -1, nil},
		{"core.tunnels.teredo.conn.log", -1, nil},
		{"scripts.base.protocols.ftp.gridftp.notice.log", -1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			evs, bad := readAll(t, filepath.Join("testdata", "zeek", tc.file), &Reader{Format: FormatZeek})
			if bad != 0 || len(evs) == 0 || (tc.events >= 0 && len(evs) != tc.events) {
				t.Fatalf("%d events, %d bad", len(evs), bad)
			}
			obs := obsOf(evs)
			for _, c := range tc.contains {
				if !obs[c] {
					t.Errorf("no observable %s", c)
				}
			}
		})
	}
	files, _ := filepath.Glob("testdata/zeek/*")
	for _, f := range files {
		if evs, bad := readAll(t, f, &Reader{Format: FormatZeek}); len(evs) == 0 || bad > 0 {
			t.Errorf("%s: %d events, %d bad", f, len(evs), bad)
		}
	}
}

// TestRealZeekJSON reads the CC-BY-SA Zeek JSON (and the same traffic as
// TSV) in place: the two formats give the same addresses.
func TestRealZeekJSON(t *testing.T) {
	dir := sharedtest.Dir()
	if dir == "" {
		t.Skip("shared/testdata not found beside the repository: skipping the Zeek JSON files read in place")
	}
	jsonEvs, bad := readAll(t, filepath.Join(dir, "zeek/zed-sample-data/zeek-json/ssh.json.gz"), &Reader{Format: FormatZeek})
	if bad != 0 || len(jsonEvs) == 0 {
		t.Fatalf("json: %d events, %d bad", len(jsonEvs), bad)
	}
	tsvEvs, bad := readAll(t, filepath.Join(dir, "zeek/zed-sample-data/zeek-default/ssh.log.gz"), &Reader{Format: FormatZeek})
	if bad != 0 || len(tsvEvs) != len(jsonEvs) {
		t.Fatalf("tsv: %d events (json %d), %d bad", len(tsvEvs), len(jsonEvs), bad)
	}
	if jsonEvs[0].Type != "ssh" || jsonEvs[0].SrcIP != tsvEvs[0].SrcIP || !jsonEvs[0].Time.Equal(tsvEvs[0].Time) {
		t.Errorf("first events differ: json %+v tsv %+v", jsonEvs[0], tsvEvs[0])
	}
}

func TestZeekErrors(t *testing.T) {
	var z ZeekTSV
	if _, err := z.Line([]byte("1.0\tx")); err == nil || errors.Is(err, ErrSkip) {
		t.Errorf("data before header: %v", err)
	}
	for _, h := range []string{"#separator \\x09", "#fields\tts\tid.orig_h\tquery"} {
		if _, err := z.Line([]byte(h)); !errors.Is(err, ErrSkip) {
			t.Fatalf("header %q: %v", h, err)
		}
	}
	if _, err := z.Line([]byte("1.0\t10.0.0.1")); err == nil {
		t.Error("short line accepted")
	}
	if _, err := z.Line([]byte("1e300\t10.0.0.1\tx.example")); err == nil {
		t.Error("ts out of range accepted")
	}
	e, err := z.Line([]byte("1700000000.5\t10.0.0.1\tEvil.Example."))
	if err != nil || e.Domains[0] != "evil.example" || e.Time.Unix() != 1700000000 {
		t.Errorf("%+v %v", e, err)
	}
}

func TestSyslog(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
		time       string
		err        bool
	}{
		{"5424 with sd", `<34>1 2026-11-27T22:14:15.003Z mymachine.example su - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] 'su root' failed for lonvick from 192.0.2.7`,
			[]string{"ip=192.0.2.7"}, "2026-11-27T22:14:15.003Z", false},
		{"5424 nil sd bom", "<165>1 2026-11-27T22:14:15Z host app - - - \ufeffconnection from 2001:db8::5 port 22", []string{"ip=2001:db8::5"}, "2026-11-27T22:14:15Z", false},
		{"3164", `<13>Nov 27 22:14:15 fw01 sshd[123]: Failed password for root from 203.0.113.9:4242 ssh2`,
			[]string{"ip=203.0.113.9"}, "2026-11-27T22:14:15Z", false},
		{"3164 last year", `<13>Dec 31 23:59:59 fw01 app: x`, nil, "2025-12-31T23:59:59Z", false},
		{"cef in 3164", `<134>Nov 27 22:14:15 proxy CEF:0|Vendor|Proxy|1.0|100|Blocked URL|8|src=10.1.1.1 dst=198.51.100.9 request=http://Evil.Example/payload.exe requestClientApplication=Mozilla/5.0 (X) fileHash=D41D8CD98F00B204E9800998ECF8427E suser=bob@mof.go.jp cs1Label=ja3 cs1=e7d705a3286e19ea42f587b344ee6865`,
			[]string{"ip=10.1.1.1", "ip=198.51.100.9", "domain=evil.example", "url=http://evil.example/payload.exe", "hash=d41d8cd98f00b204e9800998ecf8427e", "email=bob@mof.go.jp", "ja3=e7d705a3286e19ea42f587b344ee6865", "user_agent=Mozilla/5.0 (X)"}, "2026-11-27T22:14:15Z", false},
		{"cef in 5424 with rt", `<134>1 2026-11-27T22:14:15Z h a - - - CEF:0|V|P|1|1|N\|ame|High|rt=1764281655000 dhost=bad.example msg=a\=b c`,
			[]string{"domain=bad.example"}, "2025-11-27T22:14:15Z", false},
		{"no pri", `Nov 27 22:14:15 host x`, nil, "", true},
		{"pri out of range", `<999>1 2026-11-27T22:14:15Z h a - - - x`, nil, "", true},
		{"bad 5424 time", `<34>1 yesterday h a - - - x`, nil, "", true},
		{"unclosed sd", `<34>1 2026-11-27T22:14:15Z h a - - [x a="]"`, nil, "", true},
		{"bad 3164 time", `<34>Foo 27 22:14:15 h x`, nil, "", true},
		{"cef short header", `<34>Nov 27 22:14:15 h CEF:0|V|P|1`, nil, "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Syslog([]byte(tc.line), now)
			if (err != nil) != tc.err {
				t.Fatalf("err = %v, want error %v", err, tc.err)
			}
			if err != nil {
				return
			}
			var got []string
			for _, o := range e.Observables() {
				got = append(got, o.Kind+"="+o.Value)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("observables %v, want %v", got, tc.want)
			}
			if tc.time != "" && e.Time.Format(time.RFC3339Nano) != tc.time {
				t.Errorf("time %s, want %s", e.Time.Format(time.RFC3339Nano), tc.time)
			}
		})
	}
}

func TestJSONMapping(t *testing.T) {
	m := Mapping{Time: "event.created", SrcIP: "source.ip", DstIP: "destination.ip", Domain: "dns.question.name", URL: "url.full", Hash: "file.hash.sha256", Email: "user.email", JA3: "tls.client.ja3", UserAgent: "user_agent.original", Type: "event.kind"}
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	line := `{"event":{"created":"2026-11-27T01:02:03Z","kind":"alert"},"source":{"ip":"10.0.0.1"},"destination.ip":"198.51.100.1","dns":{"question":{"name":["A.example","b.example"]}},"url":{"full":"HTTP://X.example:80/p"},"file":{"hash":{"sha256":"` + strings.Repeat("ab", 32) + `"}},"user":{"email":"x@y.example"},"tls":{"client":{"ja3":"ABC"}},"user_agent":{"original":"ua"}}`
	e, err := JSON([]byte(line), m, now)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range e.Observables() {
		got = append(got, o.Kind+"="+o.Value)
	}
	want := []string{"ip=10.0.0.1", "ip=198.51.100.1", "domain=a.example", "domain=b.example", "url=http://x.example/p", "hash=" + strings.Repeat("ab", 32), "email=x@y.example", "ja3=abc", "user_agent=ua"}
	if !slices.Equal(got, want) || e.Type != "alert" || e.Time.Day() != 27 {
		t.Errorf("got %v %s %v", got, e.Type, e.Time)
	}
	if _, err := JSON([]byte(`{"event":{"created":"soon"}}`), m, now); err == nil {
		t.Error("bad time accepted")
	}
	if err := (Mapping{}).Check(); err == nil {
		t.Error("empty mapping accepted")
	}
	if err := (Mapping{SrcIP: "a..b"}).Check(); err == nil {
		t.Error("bad path accepted")
	}
}

func TestReaderLimits(t *testing.T) {
	r := &Reader{Format: FormatEVE}
	if _, err := r.Line([]byte("   ")); !errors.Is(err, ErrSkip) {
		t.Errorf("blank line: %v", err)
	}
	huge := append([]byte(`{"timestamp":"2026-11-01T00:00:00Z","event_type":"dns","x":"`), make([]byte, 10<<20)...)
	if _, err := r.Line(huge); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("10 MB line: %v", err)
	}
	if _, err := (&Reader{Format: "nope"}).Line([]byte("x")); err == nil {
		t.Error("unknown format accepted")
	}
}
