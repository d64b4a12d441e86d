package taxii

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzQuery: any query string parses without panicking, and what parses
// is within bounds.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"", "limit=10", "limit=0", "limit=1000000000", "added_after=2026-04-01T09:30:00.000Z",
		"added_after=yesterday", "match[id]=indicator--00000000-0000-4000-8000-000000000001,x", "match[type]=indicator,malware",
		"match[version]=first,last,all,2026-01-01T00:00:00Z", "match[spec_version]=2.0", "next=abc.def&limit=-1", "match[id]=../../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		q, err := parseQuery(v, true, true)
		if err != nil {
			return
		}
		if q.limit < 1 || q.limit > MaxLimit {
			t.Fatalf("limit %d accepted from %q", q.limit, raw)
		}
		for _, id := range q.f.IDs {
			if strings.ContainsAny(id, "/.%") {
				t.Fatalf("id %q accepted", id)
			}
		}
	})
}

// FuzzNext: no string but a token the server signed for that person and
// endpoint is accepted as a next token.
func FuzzNext(f *testing.F) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s := New(Deps{Key: []byte("fuzz key"), Now: func() time.Time { return now }})
	good := s.next(cursor{Seq: 7, User: "u", Endpoint: "public/objects"})
	for _, seed := range []string{good, "", ".", "abc.def", good + "x", strings.Replace(good, ".", "..", 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		seq, err := s.readNext(tok, "u", "public/objects")
		if err == nil && tok != good {
			// Another encoding of the same signed payload is harmless only
			// if it names the same cursor.
			if seq != 7 {
				t.Fatalf("%q accepted as cursor %d", tok, seq)
			}
		}
	})
}
