package parse

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// The fuzz tests check that no input crashes a parser, and that what a
// parser accepts is bounded. Seeds are committed under testdata/fuzz/.

func checkEvent(t *testing.T, e Event, err error) {
	t.Helper()
	if err != nil {
		return
	}
	if len(e.Domains) > MaxValues || len(e.Addrs) > MaxValues || len(e.URLs) > MaxValues || len(e.Hashes) > MaxValues || len(e.Emails) > MaxValues || len(e.JA3) > MaxValues {
		t.Fatalf("unbounded values: %+v", e)
	}
	_ = e.Observables()
}

func FuzzEVE(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-11-01T00:00:00Z","event_type":"http","src_ip":"10.0.0.1","http":{"hostname":"a.example","url":"/x","http_port":8080}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := EVE(b)
		checkEvent(t, e, err)
	})
}

func FuzzZeek(f *testing.F) {
	f.Add([]byte("#fields\tts\tid.orig_h\tquery\n1700000000.1\t10.0.0.1\tx.example"))
	f.Add([]byte(`{"ts":"2026-11-01T00:00:00Z","_path":"dns","query":"a.example","answers":["1.2.3.4"]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := &Reader{Format: FormatZeek}
		for _, l := range splitLines(b) {
			e, err := r.Line(l)
			if !errors.Is(err, ErrSkip) {
				checkEvent(t, e, err)
			}
		}
	})
}

func FuzzSyslog(f *testing.F) {
	f.Add([]byte(`<34>1 2026-11-27T22:14:15.003Z h su - ID47 [x@1 a="\]"] from 192.0.2.7`))
	f.Add([]byte(`<13>Nov 27 22:14:15 fw sshd[1]: from 203.0.113.9:22`))
	f.Add([]byte(`<134>Nov 27 22:14:15 p CEF:0|V|P|1|1|N\|x|8|src=10.1.1.1 request=http://e.example/ cs1Label=ja3 cs1=ab msg=a\=b`))
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := Syslog(b, now)
		checkEvent(t, e, err)
	})
}

func FuzzJSONMapping(f *testing.F) {
	f.Add([]byte(`{"t":"1700000000","s":{"ip":"10.0.0.1"},"d":["a.example","b"],"u":"http://x/"}`))
	m := Mapping{Time: "t", SrcIP: "s.ip", Domain: "d", URL: "u", Hash: "h", Email: "e"}
	now := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := JSON(b, m, now)
		checkEvent(t, e, err)
	})
}

func splitLines(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == '\n' {
			out = append(out, b[start:i])
			start = i + 1
		}
	}
	return append(out, b[start:])
}

// FuzzEVEFast checks the fast EVE path against encoding/json: on every
// input both give the same event, or both an error.
func FuzzEVEFast(f *testing.F) {
	f.Add([]byte(`{"timestamp":"2026-11-01T00:00:00Z","event_type":"http","src_ip":"10.0.0.1","src_port":1,"http":{"hostname":"a.example","url":"\/x","http_port":8080},"x":[1,-2.5e3,true,null,{"y":"z"}]}`))
	f.Add([]byte(`{"timestamp":"2026-11-01T00:00:00Z","event_type":"dns","dns":{"rrname":"a.example","rdata":"1.2.3.4"},"alert":{"signature":"s","severity":2}}`))
	f.Add([]byte(`{"timestamp":"2026-11-01T00:00:00Z","event_type":"fileinfo","fileinfo":{"md5":"d41d8cd98f00b204e9800998ecf8427e"},"http":null,"src_port":null}`))
	f.Add([]byte(`{"Event_Type":"flow","timestamp":"2026-11-01T00:00:00Z","src_port":01}`))
	f.Add([]byte(`{"timestamp":"2026-11-28T06:00:00.123456+0900","event_type":"dns","dns":{"version":2,"rrname":"a.example","answers":[{"rrname":"a.example","rdata":"192.0.2.1"}],"grouped":{"A":["192.0.2.2"]}}}`))
	f.Add([]byte(`{"timestamp":"2026-11-28T06:00:00.123456+0900","event_type":"http","src_ip":"10.1.2.3","dest_ip":"2001:db8::1","timestamp":"2026-02-30T00:00:00.1+0000","http":{"hostname":"www.example.jp","url":"/a?b=c"}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		fast, ferr := EVE(b)
		slow, serr := eveSlow(b)
		if (ferr != nil) != (serr != nil) {
			t.Fatalf("fast error %v, slow error %v", ferr, serr)
		}
		if ferr == nil && !reflect.DeepEqual(fast, slow) {
			t.Fatalf("fast %+v\nslow %+v", fast, slow)
		}
	})
}

// FuzzFastValues checks each fast value conversion against the general
// one: whenever the fast one answers, it answers the same.
func FuzzFastValues(f *testing.F) {
	for _, s := range []string{"2026-11-28T06:00:00.123456+0900", "2024-02-29T23:59:59.1-0000", "2023-02-29T00:00:00.5+0000",
		"10.1.2.3", "010.1.2.3", "256.1.1.1", "1.2.3", "/index.html?q=1&r=2", "/a%20b", "/x?y?z"} {
		f.Add([]byte(s), "www.example.jp")
	}
	f.Fuzz(func(t *testing.T, b []byte, host string) {
		if got, ok := suricataTime(b); ok {
			want, err := eveTime(string(b))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("suricataTime(%q) = %v, eveTime: %v %v", b, got, want, err)
			}
		}
		if got, ok := ipv4(b); ok {
			if want := parseAddr(string(b)); got != want {
				t.Fatalf("ipv4(%q) = %v, parseAddr %v", b, got, want)
			}
		}
		for _, scheme := range []string{"http", "https"} {
			if got, ok := plainURL(scheme, host, string(b)); ok {
				if want := normURL(scheme + "://" + host + string(b)); got != want {
					t.Fatalf("plainURL(%q, %q) = %q, normURL %q", host, b, got, want)
				}
			}
		}
	})
}

// FuzzPlainRun checks the eight-at-a-time string scan against a byte at a
// time: it stops at the first byte that needs attention or at the last
// whole word.
func FuzzPlainRun(f *testing.F) {
	for _, s := range []string{"abcdefgh\"", "abcdefghijklmno\\p", "a\x1fbcdefgh", "abcdefgh\xe3\x81\x82", "0123456789abcdef0123"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := 0
		for want < len(b) {
			c := b[want]
			if c == '"' || c == '\\' || c < 0x20 || c >= 0x80 {
				break
			}
			want++
		}
		got := plainRun(b)
		if whole := len(b) &^ 7; want > whole {
			want = whole // the tail of fewer than eight bytes is left to the caller
		}
		if got != want {
			t.Fatalf("plainRun(%q) = %d, want %d", b, got, want)
		}
	})
}
