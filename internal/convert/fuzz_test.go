package convert

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// fuzzEmit checks every Record: exactly one of Object and Err, objects
// JSON with a type--uuid id, indicator patterns that parse, and errors of
// type *errs.Error.
func fuzzEmit(t *testing.T) Emit {
	return func(r Record) error {
		if (r.Object == nil) == (r.Err == nil) {
			t.Fatalf("record %d: object %s, err %v", r.Line, r.Object, r.Err)
		}
		if r.Err != nil {
			var ke *errs.Error
			if !errors.As(r.Err, &ke) {
				t.Fatalf("record %d: error %T %v is not *errs.Error", r.Line, r.Err, r.Err)
			}
			return nil
		}
		var m struct {
			Type, ID, Pattern string
		}
		if err := json.Unmarshal(r.Object, &m); err != nil {
			t.Fatalf("not JSON: %v: %s", err, r.Object)
		}
		if sm := idRE.FindStringSubmatch(m.ID); sm == nil || sm[1] != m.Type {
			t.Fatalf("bad id %q", m.ID)
		}
		if m.Type == "indicator" {
			if _, err := pattern.Parse(m.Pattern); err != nil {
				t.Fatalf("pattern %q: %v", m.Pattern, err)
			}
		}
		return nil
	}
}

// FuzzMISPEvent: FromMISPEvent never panics and emits only well-formed
// records. Seeds: testdata/fuzz/FuzzMISPEvent.
func FuzzMISPEvent(f *testing.F) {
	f.Add([]byte(event(`{"name":"tlp:green"}`, attr("5b6464ca-e73c-4707-9b8a-d0350acd0835", "ip-dst|port", "198.51.100.7|80", true))))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := FromMISPEvent(bytes.NewReader(b), MISPOptions{MaxBytes: 1 << 20}, fuzzEmit(t))
		if err == nil && rep.Read != rep.Converted+rep.Rejected {
			t.Fatalf("report %+v", rep)
		}
	})
}

// FuzzCSV: FromCSV never panics, emits well-formed records and counts
// every record. Seeds: testdata/fuzz/FuzzCSV.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("value,first_seen\n\"198.51.100.7\",2024-01-01\n=1+1,x\n"), byte(','))
	f.Fuzz(func(t *testing.T, b []byte, delim byte) {
		if delim != ';' && delim != '\t' {
			delim = ','
		}
		m := Mapping{Value: 1, FirstSeen: 2, Description: 3, Confidence: 4, Labels: 5, Delimiter: rune(delim), MaxLine: 256}
		rep, err := FromCSV(bytes.NewReader(b), m, fuzzEmit(t))
		if err != nil || rep.Read != rep.Converted+rep.Rejected {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}

// FuzzPlain: FromPlain never panics and emits well-formed records.
// Seeds: testdata/fuzz/FuzzPlain.
func FuzzPlain(f *testing.F) {
	f.Add([]byte("# c\n198.51.100.7 # x\nevil.example\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		rep, err := FromPlain(bytes.NewReader(b), Mapping{MaxLine: 128}, fuzzEmit(t))
		if err != nil || rep.Read != rep.Converted+rep.Rejected {
			t.Fatalf("%+v %v", rep, err)
		}
	})
}
