package partner

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzInput: any JSON body of a partner request validates without
// panicking, and what validates is well-formed.
func FuzzInput(f *testing.F) {
	for _, s := range []string{
		`{"slug":"cert-x","name":"CERT X","country":"fr","org":"o","api_root":"https://h.example/api1","collection":"c1","direction":"both","username":"u","markings":["TLP:GREEN"],"interval":"1m"}`,
		`{"slug":"X","api_root":"ftp://x","direction":"up","auth":"digest","markings":["purple"],"interval":"1ns"}`,
		`{"slug":"a","name":"n","country":"JP","org":"o","api_root":"http://u:p@h/","collection":"../x","direction":"pull","auth":"bearer","types":["Indicator"]}`,
		`{"contacts":[{"name":""}],"secret":"a\nb"}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		var in Input
		if json.Unmarshal([]byte(body), &in) != nil {
			return
		}
		interval, err := validate(&in)
		if err != nil {
			return
		}
		if !slugRE.MatchString(in.Slug) || !strings.HasSuffix(in.APIRoot, "/") || !(in.Direction.Pulls() || in.Direction.Pushes()) ||
			interval < MinInterval || (in.Auth != Basic && in.Auth != Bearer) || strings.ContainsAny(in.Secret, "\r\n") {
			t.Fatalf("accepted %+v", in)
		}
		for _, m := range in.Markings {
			if !m.Valid() {
				t.Fatalf("marking %q accepted", m)
			}
		}
	})
}
