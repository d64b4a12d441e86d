package stix

import (
	"os"
	"slices"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

func mustParse(t *testing.T, raw string) Object {
	t.Helper()
	o, err := Parse([]byte(raw))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return o
}

func TestObjectFields(t *testing.T) {
	o := mustParse(t, validObjects["indicator"])
	if o.SpecVersion != "2.1" || o.Created.IsZero() || o.Created.Nanosecond() != 678_000_000 ||
		o.CreatedByRef != "identity--311b2d2d-f010-4473-83ec-1edf84858f4c" ||
		len(o.ObjectMarkingRefs) != 1 || len(o.GranularMarkings) != 2 ||
		o.GranularMarkings[1].Lang != "en" || o.GranularMarkings[0].Selectors[0] != "description" {
		t.Errorf("%+v", o)
	}
	u := mustParse(t, validObjects["url"])
	if !u.Created.IsZero() || u.Revoked {
		t.Errorf("SCO times %v", u.Created)
	}
}

func TestCategories(t *testing.T) {
	for typ, raw := range validObjects {
		o := mustParse(t, raw)
		n := 0
		for _, f := range []func(Object) bool{IsSDO, IsSCO, IsSRO, IsMeta} {
			if f(o) {
				n++
			}
		}
		if n != 1 || IsCustom(o) {
			t.Errorf("%s: in %d categories, custom %v", typ, n, IsCustom(o))
		}
	}
	x := mustParse(t, `{"type":"x-acme-widget","id":"x-acme-widget--2558fd61-8c75-4730-94c4-11926db2a263"}`)
	if !IsCustom(x) || IsSDO(x) {
		t.Errorf("custom object categories")
	}
	n := mustParse(t, `{"type":"acme-sco","id":"acme-sco--2558fd61-8c75-4730-94c4-11926db2a263","extensions":{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62":{"extension_type":"new-sco"}}}`)
	if !IsSCO(n) || IsCustom(n) {
		t.Errorf("new-sco categories")
	}
}

func TestRefs(t *testing.T) {
	o := mustParse(t, validObjects["indicator"])
	want := []string{
		"identity--311b2d2d-f010-4473-83ec-1edf84858f4c",
		"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
		"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
	}
	if got := Refs(o); !slices.Equal(got, want) {
		t.Errorf("Refs = %v, want %v", got, want)
	}
	f := mustParse(t, validObjects["file"])
	if got := Refs(f); !slices.Equal(got, []string{"file--019fde1c-94ab-5b5d-9f5a-5e9aaa5a6f8c", "directory--93c0a9b0-520d-545d-9094-1a08ddf46b05"}) {
		t.Errorf("file Refs = %v", got)
	}
	// A dangling reference is valid: using-granular-markings.json points
	// at a marking definition its bundle does not hold.
	objs, errList := ParseBundle(must(readFile("testdata/oasis/using-granular-markings.json")))
	if errList != nil {
		t.Fatal(errList)
	}
	found := false
	for _, o := range objs {
		found = found || slices.Contains(Refs(o), "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed")
	}
	if !found {
		t.Errorf("dangling marking reference not reported by Refs")
	}
}

func TestObservables(t *testing.T) {
	for _, tc := range []struct {
		typ  string
		want []pattern.Observable
	}{
		{"ipv4-addr", []pattern.Observable{{Type: "ipv4-addr", Value: "198.51.100.0/24"}}},
		{"ipv6-addr", []pattern.Observable{{Type: "ipv6-addr", Value: "2001:db8::1"}}},
		{"domain-name", []pattern.Observable{{Type: "domain-name", Value: "example.com"}}},
		{"url", []pattern.Observable{{Type: "url", Value: "https://example.com/Path?Q=1"}}},
		{"email-addr", []pattern.Observable{{Type: "email-addr", Value: "john@example.com"}}},
		{"mac-addr", []pattern.Observable{{Type: "mac-addr", Value: "d2:fb:49:24:37:18"}}},
		{"file", []pattern.Observable{
			{Type: "file:hashes.MD5", Value: "1717b7fff97d37a1e1a0029d83492de1"},
			{Type: "file:hashes.SHA-1", Value: "c79a326f8411e9488bdc3779753e1e3489aaedea"},
		}},
		{"x509-certificate", []pattern.Observable{{Type: "x509-certificate:hashes.SHA-256", Value: "0c4e1b7d9b4bcbc7ed18b7dea3b4e8b1e2fe9a9d17e1e1a4b3d4e6f1c8a9b0c1"}}},
		{"mutex", nil},
		{"indicator", nil},
	} {
		if got := Observables(mustParse(t, validObjects[tc.typ])); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.typ, got, tc.want)
		}
	}
	// The values match what a simple pattern yields for the same input.
	p := pattern.MustParse("[domain-name:value = 'EXAMPLE.com.'] OR [file:hashes.'SHA-1' = 'C79A326F8411E9488BDC3779753E1E3489AAEDEA']")
	simple, _ := p.Simple()
	d := Observables(mustParse(t, validObjects["domain-name"]))
	f := Observables(mustParse(t, validObjects["file"]))
	if !slices.Contains(simple, d[0]) || !slices.Contains(simple, f[1]) {
		t.Errorf("pattern %v, objects %v %v", simple, d, f)
	}
}

func TestNewerThan(t *testing.T) {
	a := mustParse(t, validObjects["tool"])
	b := mustParse(t, `{"type":"tool","spec_version":"2.1","id":"tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f","created":"2024-01-02T03:04:05.678Z","modified":"2024-01-02T03:04:05.679Z","name":"VNC"}`)
	if !NewerThan(b, a) || NewerThan(a, b) || NewerThan(a, a) {
		t.Error("NewerThan by modified")
	}
	u := mustParse(t, validObjects["url"])
	if NewerThan(u, u) {
		t.Error("SCOs are not newer than themselves")
	}
}

func TestTLP(t *testing.T) {
	for file, want := range map[string]string{
		"testdata/tlp2/tlp-amber+strict.json":           "amber+strict",
		"testdata/tlp2/tlp-clear.json":                  "clear",
		"testdata/oasis/using-marking-definitions.json": "amber",
		"testdata/opencti/atlas-opencti-AMLCS0010.json": "clear",
	} {
		objs, _ := ParseBundle(must(readFile(file)))
		got := ""
		for _, o := range objs {
			if l, ok := TLP(o); ok {
				got = l
				break
			}
		}
		if got != want {
			t.Errorf("%s: TLP %q, want %q", file, got, want)
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for s, ok := range map[string]bool{
		"2016-01-01T00:00:00Z": true, "2016-01-01T00:00:00.1Z": true, "2016-01-01T00:00:00.123456789123Z": true,
		"2016-12-31T23:59:60Z": true, "2016-02-29T00:00:00Z": true, "2015-02-29T00:00:00Z": false,
		"2016-01-01T00:00:00": false, "2016-01-01T00:00:00.Z": false, "2016-01-01 00:00:00Z": false,
		"2016-01-01T24:00:00Z": false, "0000-01-01T00:00:00Z": false, "2016-1-01T00:00:00Z": false,
		"2016-01-01T00:00:00+01:00": false, "2016-01-01T00:00:00z": false, "": false,
	} {
		if _, got := ParseTimestamp(s); got != ok {
			t.Errorf("ParseTimestamp(%q) = %v", s, got)
		}
	}
}

func readFile(name string) ([]byte, error) { return os.ReadFile(name) }
