package stix

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestValidObjects(t *testing.T) {
	for typ, raw := range validObjects {
		t.Run(typ, func(t *testing.T) {
			o, err := Parse([]byte(raw))
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if o.Type != typ || !strings.HasPrefix(o.ID, typ+"--") {
				t.Errorf("Type %q ID %q", o.Type, o.ID)
			}
			if !jsonEqual(t, must(json.Marshal(o)), []byte(raw)) {
				t.Errorf("round trip differs")
			}
		})
	}
	for _, typ := range []string{"attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
		"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note",
		"observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability", "relationship", "sighting",
		"artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
		"ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
		"user-account", "windows-registry-key", "x509-certificate", "marking-definition", "extension-definition",
		"language-content"} {
		if _, ok := validObjects[typ]; !ok {
			t.Errorf("no valid example for %s", typ)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// change is an invalid case: the valid example of base with set applied
// (a nil value deletes the property) must fail with an error on field
// whose message contains msg.
type change struct {
	name  string
	base  string
	set   map[string]any
	field string
	msg   string
	code  errs.Code // Invalid when empty
}

func mutate(t *testing.T, base string, set map[string]any) []byte {
	t.Helper()
	raw, ok := validObjects[base]
	if !ok {
		t.Fatalf("no valid example %q", base)
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		t.Fatal(err)
	}
	for k, v := range set {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return must(json.Marshal(m))
}

func runChanges(t *testing.T, cases []change) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.base+"/"+tc.name, func(t *testing.T) {
			raw := mutate(t, tc.base, tc.set)
			_, err := Parse(raw)
			if err == nil {
				t.Fatalf("Parse accepted %s", raw)
			}
			code := tc.code
			if code == "" {
				code = errs.Invalid
			}
			for _, fe := range errs.Fields(err) {
				if fe.Field == tc.field && strings.Contains(fe.Message, tc.msg) {
					if fe.Code != code {
						t.Errorf("code %s, want %s", fe.Code, code)
					}
					return
				}
			}
			t.Errorf("want %s %q, got %v", tc.field, tc.msg, err)
		})
	}
}
