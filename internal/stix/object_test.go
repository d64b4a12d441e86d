package stix_test

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/stix"
)

// TestParseKeepsPattern: an indicator's STIX pattern comes back parsed,
// so that callers need not parse it again; other pattern types and other
// objects have none.
func TestParseKeepsPattern(t *testing.T) {
	ind := func(pattern, typ string) []byte {
		return []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-000000000001",` +
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"` + pattern + `",` +
			`"pattern_type":"` + typ + `","valid_from":"2026-01-01T00:00:00Z"}`)
	}
	o, err := stix.Parse(ind("[ipv4-addr:value = '198.51.100.7']", "stix"))
	if err != nil || o.Pattern == nil {
		t.Fatalf("stix pattern: %v %v", o.Pattern, err)
	}
	if obs, ok := o.Pattern.Simple(); !ok || len(obs) != 1 || obs[0].Value != "198.51.100.7" {
		t.Fatalf("observables %v %v", obs, ok)
	}
	if o, err := stix.Parse(ind("alert tcp any any -> any any (msg:\\\"x\\\";)", "snort")); err != nil || o.Pattern != nil {
		t.Fatalf("snort pattern: %v %v", o.Pattern, err)
	}
	if o, err := stix.Parse([]byte(`{"type":"ipv4-addr","id":"ipv4-addr--00000000-0000-4000-8000-000000000002","value":"198.51.100.7"}`)); err != nil || o.Pattern != nil {
		t.Fatalf("SCO: %v %v", o.Pattern, err)
	}
}
