package rpz

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParseReport feeds the warning page's form to ParseReport: it never
// panics, and what it accepts is a valid name with a bounded reason.
func FuzzParseReport(f *testing.F) {
	f.Add("evil.example", "our shop", "a@b.example", "ja")
	f.Add("xn--r8jz45g.example.", strings.Repeat("あ", 10), "", "en")
	f.Add("../etc/passwd", "\xff\xfe", "a@@b", "<script>")
	f.Fuzz(func(t *testing.T, name, reason, contact, lang string) {
		r, err := ParseReport(url.Values{"name": {name}, "reason": {reason}, "contact": {contact}, "lang": {lang}})
		if err != nil {
			return
		}
		if !CheckName(r.Name) || r.Reason == "" || !utf8.ValidString(r.Reason) || utf8.RuneCountInString(r.Reason) > MaxReason ||
			len(r.Contact) > MaxContact || (r.Lang != "ja" && r.Lang != "en") {
			t.Fatalf("accepted %+v", r)
		}
	})
}

// FuzzFeed decodes feed definitions as the API does and validates them:
// an accepted feed has a valid zone, action and kinds.
func FuzzFeed(f *testing.F) {
	f.Add(`{"zone":"rpz.kyojo.example","min_score":50,"action":"walled","warn_host":"warn.example"}`)
	f.Add(`{"zone":"","kinds":["domain","ip"],"max_tlp":"red","ttl":0}`)
	f.Add(`{"zone":"a..b","action":"passthru","min_score":1e400}`)
	f.Fuzz(func(t *testing.T, s string) {
		var feed Feed
		if json.Unmarshal([]byte(s), &feed) != nil {
			return
		}
		if feed.Validate() != nil {
			return
		}
		if !CheckName(feed.Zone) || !feed.Action.Valid() || feed.Action == Passthru || feed.TTL == 0 || len(feed.Kinds) == 0 ||
			(feed.Action == Walled && !CheckName(feed.WarnHost)) {
			t.Fatalf("accepted %+v", feed)
		}
		z := Build(feed, Subscriber{ID: "s", OrgID: "o"}.Member(nil), []Indicator{{ID: "i", Score: 100, Domains: []string{"evil.example"}}}, nil)
		for o := range z.Records {
			if len(o)+len(feed.Zone)+1 > 255 {
				t.Fatalf("record %q does not fit under %s", o, feed.Zone)
			}
		}
	})
}
