package stix

import (
	"bytes"
	"encoding/json"
	"github.com/kyojo-hub/kyojo/internal/sharedtest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// sharedTestdata is kyojo's shared collection of real data, read in place
// for files this package may not copy (MITRE ATT&CK terms) or does not
// need to (large ones). Tests that use it skip when it is absent.
var sharedTestdata = sharedtest.Dir()

// rejection is a real object this package rejects on purpose.
type rejection struct {
	field, msg string // substrings of one reported field and its message
	why        string
}

// expectedRejections are keyed by file base name and object id.
var expectedRejections = map[string]rejection{
	// Upstream defect, named in SOURCES.md: month "101" does not exist.
	"using-tlp2.0-green.json relationship--1621d4d4-b67d-11e3-9670-f01faf20d111": {
		field: "created", msg: "not a timestamp",
		why: "created is 2022-101-27T13:49:54.326Z",
	},
	// OpenCTI writes incident_type (and here first_seen) as plain
	// top-level properties of incident, which STIX 2.1 does not define;
	// they belong in an extension or should be x_opencti_ properties. The
	// data is wrong by the specification's custom-property rule.
	// MITRE ATLAS: modified (2025-10-27) is before created (2025-10-31);
	// the data is wrong, a version cannot predate the object.
	"stix-atlas.json attack-pattern--c9f8f4b0-e377-55b1-bad3-aa5f13389216": {field: "modified", msg: "must not be earlier than created"},
	// MITRE ATLAS: modified 2025-12-23, created 2025-12-24; same defect.
	"stix-atlas.json attack-pattern--92a68652-d864-5c9c-9c1d-64ec09587390": {field: "modified", msg: "must not be earlier than created"},
}

// realFiles lists the real data: the copies under testdata (OASIS examples,
// OASIS TLP 2.0 definitions, OpenCTI exports of MITRE ATLAS case studies)
// and, in place, MITRE ATT&CK for ICS, MITRE ATLAS and the misp-stix
// bundles.
func realFiles(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, g := range []string{"testdata/oasis/*.json", "testdata/tlp2/*.json", "testdata/opencti/*.json"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range []string{
		"stix21/real/ics-attack-18.1.json",
		"stix21/real/stix-atlas.json",
		"misp/misp-stix/test_events_collection_stix21.json",
		"misp/misp-stix/test_objects_collection_stix21.json",
	} {
		p := filepath.Join(sharedTestdata, f)
		if _, err := os.Stat(p); err != nil {
			t.Logf("skipping %s: %v", p, err)
			continue
		}
		files = append(files, p)
	}
	if len(files) < 20 {
		t.Fatalf("only %d real data files found", len(files))
	}
	return files
}

// rawObjects returns the objects of a file that is a bundle or a single
// object, as raw JSON.
func rawObjects(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	var b struct {
		Type    string            `json:"type"`
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	if b.Type != "bundle" && b.Objects == nil {
		return []json.RawMessage{data}
	}
	return b.Objects
}

func TestRealData(t *testing.T) {
	total := 0
	seenRejections := map[string]bool{}
	for _, path := range realFiles(t) {
		base := filepath.Base(path)
		t.Run(base, func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			raws := rawObjects(t, data)
			var objs []Object
			var errList []ItemError
			if len(raws) == 1 && !bytes.Contains(data[:min(len(data), 200)], []byte(`"objects"`)) {
				o, err := Parse(data)
				if err != nil {
					errList = append(errList, ItemError{Index: 0, ID: peekID(data), Err: err})
				} else {
					objs = append(objs, o)
				}
			} else {
				objs, errList = ParseBundle(data)
			}
			for _, ie := range errList {
				key := base + " " + ie.ID
				want, ok := expectedRejections[key]
				if !ok {
					t.Errorf("rejected %s: %v", key, ie.Err)
					continue
				}
				seenRejections[key] = true
				found := false
				for _, fe := range errs.Fields(ie.Err) {
					if strings.Contains(fe.Field, want.field) && strings.Contains(fe.Message, want.msg) {
						found = true
					}
				}
				if !found {
					t.Errorf("%s rejected, but not for %s %q: %v", key, want.field, want.msg, ie.Err)
				}
			}
			if len(objs)+len(errList) != len(raws) {
				t.Fatalf("%d objects + %d errors, want %d", len(objs), len(errList), len(raws))
			}
			// Round trip: exporting gives back the same members and values.
			byID := map[string][]json.RawMessage{}
			for _, r := range raws {
				byID[peekID(r)] = append(byID[peekID(r)], r)
			}
			for _, o := range objs {
				out, err := json.Marshal(o)
				if err != nil {
					t.Fatal(err)
				}
				matched := false
				for _, r := range byID[o.ID] {
					if jsonEqual(t, out, r) {
						matched = true
					}
				}
				if !matched {
					t.Errorf("%s: export differs from import", o.ID)
				}
			}
			total += len(objs)
		})
	}
	for k := range expectedRejections {
		if _, err := os.Stat(filepath.Join(sharedTestdata, "stix21/real/stix-atlas.json")); err != nil && strings.HasPrefix(k, "stix-atlas.json") {
			continue
		}
		if !seenRejections[k] {
			t.Errorf("expected rejection of %s did not happen", k)
		}
	}
	t.Logf("%d real objects validated", total)
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	dec := func(x []byte) any {
		d := json.NewDecoder(bytes.NewReader(x))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	return reflect.DeepEqual(dec(a), dec(b))
}
