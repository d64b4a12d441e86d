package convert

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

var idRE = regexp.MustCompile(`^([a-z0-9]+(?:-[a-z0-9]+)*)--[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

var scoTypes = map[string]bool{"ipv4-addr": true, "ipv6-addr": true, "domain-name": true, "url": true, "file": true, "email-addr": true,
	"email-message": true, "network-traffic": true, "autonomous-system": true, "mac-addr": true, "windows-registry-key": true,
	"mutex": true, "x509-certificate": true}

// collected is the outcome of one import.
type collected struct {
	objs    []json.RawMessage
	rejects []Record
	byID    map[string]map[string]any
}

func collect(t *testing.T) (*collected, Emit) {
	t.Helper()
	c := &collected{byID: map[string]map[string]any{}}
	return c, func(r Record) error {
		if r.Err != nil {
			if r.Object != nil {
				t.Errorf("record %d has both an object and an error", r.Line)
			}
			c.rejects = append(c.rejects, r)
			return nil
		}
		c.objs = append(c.objs, r.Object)
		m := checkObject(t, r.Object)
		c.byID[m["id"].(string)] = m
		return nil
	}
}

// ofType returns the objects of a type, in emit order.
func (c *collected) ofType(typ string) []map[string]any {
	var out []map[string]any
	for _, raw := range c.objs {
		var m map[string]any
		json.Unmarshal(raw, &m)
		if m["type"] == typ {
			out = append(out, m)
		}
	}
	return out
}

// checkObject checks one produced object: valid JSON with type, spec_version
// "2.1", an id of the form type--uuid, created/modified on SDOs and SROs,
// and an indicator pattern that pattern.Parse accepts.
func checkObject(t *testing.T, raw json.RawMessage) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("object is not JSON: %v: %s", err, raw)
	}
	typ, _ := m["type"].(string)
	id, _ := m["id"].(string)
	if sm := idRE.FindStringSubmatch(id); sm == nil || sm[1] != typ {
		t.Errorf("bad id %q for type %q", id, typ)
	}
	if m["spec_version"] != "2.1" {
		t.Errorf("%s: spec_version %v", id, m["spec_version"])
	}
	if !scoTypes[typ] {
		for _, k := range []string{"created", "modified"} {
			s, _ := m[k].(string)
			if !strings.HasSuffix(s, "Z") || len(s) != len("2006-01-02T15:04:05.000Z") {
				t.Errorf("%s: %s = %q", id, k, s)
			}
		}
	}
	if typ == "indicator" {
		p, _ := m["pattern"].(string)
		if _, err := pattern.Parse(p); err != nil {
			t.Errorf("%s: pattern %q does not parse: %v", id, p, err)
		}
	}
	return m
}
