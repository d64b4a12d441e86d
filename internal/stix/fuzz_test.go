package stix

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// FuzzParse checks that Parse never panics, that every failure is a kyojo
// error with a code this package documents, and that an accepted object
// exports exactly its input and parses again to the same object.
// Seeds: the valid examples of every type here plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, raw := range validObjects {
		f.Add([]byte(raw))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		o, err := Parse(data)
		if err != nil {
			checkErr(t, err)
			return
		}
		if !bytes.Equal(o.Raw, bytes.TrimSpace(data)) {
			t.Fatalf("Raw differs from input")
		}
		out, err := json.Marshal(o)
		if err != nil || !json.Valid(out) {
			t.Fatalf("export: %v", err)
		}
		again, err := Parse(out)
		if err != nil || again.ID != o.ID || again.Type != o.Type || !again.Modified.Equal(o.Modified) {
			t.Fatalf("re-parse of export: %v", err)
		}
		Refs(o)
		Observables(o)
		TLP(o)
	})
}

// FuzzParseBundle checks that ParseBundle never panics and accounts for
// every object: each is either returned or reported, in order.
// Seeds: small bundles here plus testdata/fuzz/FuzzParseBundle.
func FuzzParseBundle(f *testing.F) {
	f.Add(bundleOf(validObjects["indicator"], validObjects["url"]))
	f.Add(bundleOf(validObjects["relationship"], `{"type":"x"}`, `7`))
	f.Fuzz(func(t *testing.T, data []byte) {
		objs, errList := ParseBundle(data)
		if len(errList) == 1 && errList[0].Index == -1 {
			if objs != nil {
				t.Fatal("objects returned with a bundle-level error")
			}
			checkErr(t, errList[0].Err)
			var top map[string]any
			if errs.Is(errList[0].Err, errs.Malformed) && json.Unmarshal(data, &top) == nil && top != nil {
				if _, ok := top["objects"].([]any); ok || top["objects"] == nil {
					if msg := errList[0].Error(); !strings.Contains(msg, "more than once") && !strings.Contains(msg, "UTF-8") {
						t.Fatalf("rejected a bundle encoding/json accepts: %v", errList[0])
					}
				}
			}
			return
		}
		// Member names are case-sensitive: read "objects" exactly, not
		// through a struct tag, which encoding/json matches ignoring case.
		var top map[string]any
		if err := json.Unmarshal(data, &top); err != nil {
			t.Fatalf("ParseBundle accepted what encoding/json rejects: %v", err)
		}
		inputs, _ := top["objects"].([]any)
		if len(objs)+len(errList) != len(inputs) {
			t.Fatalf("%d objects + %d errors for %d inputs", len(objs), len(errList), len(inputs))
		}
		last := -1
		for _, e := range errList {
			if e.Index <= last || e.Index >= len(inputs) {
				t.Fatalf("error index %d out of order", e.Index)
			}
			last = e.Index
			checkErr(t, e.Err)
		}
	})
}

func checkErr(t *testing.T, err error) {
	t.Helper()
	fields := errs.Fields(err)
	if len(fields) == 0 {
		t.Fatalf("error without kyojo fields: %v", err)
	}
	for _, fe := range fields {
		switch fe.Code {
		case errs.Malformed, errs.Invalid, errs.TooLarge:
		default:
			t.Fatalf("unexpected code %s: %v", fe.Code, err)
		}
		if fe.Message == "" {
			t.Fatalf("empty message: %v", err)
		}
	}
}

// FuzzDecodeObject checks decodeObject against encoding/json: it accepts
// exactly the JSON objects encoding/json accepts, except for the documented
// extra rejections (depth, duplicate names, invalid UTF-8), and decodes
// them to equal values.
func FuzzDecodeObject(f *testing.F) {
	for _, raw := range validObjects {
		f.Add([]byte(raw))
	}
	for _, s := range []string{`{"a":"\ud83d\ude00\u00e9\n"}`, `{"a":"\ud800"}`, `{"a":[1,-0.5e+3,true,null,{}]}`, `{"a":1,"a":2}`, "{\"a\":\"\xff\"}", `{"a":01}`, `{"a":"\u0041"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := decodeObject(data, MaxDepth)
		var want any
		d := json.NewDecoder(bytes.NewReader(data))
		d.UseNumber()
		jerr := d.Decode(&want)
		if jerr == nil && d.InputOffset() != int64(len(bytes.TrimRight(data, " \t\r\n"))) {
			jerr = errs.E(errs.Malformed, "trailing data")
		}
		if _, isObj := want.(map[string]any); jerr == nil && !isObj {
			jerr = errs.E(errs.Malformed, "not an object")
		}
		switch {
		case err == nil && jerr != nil:
			t.Fatalf("accepted what encoding/json rejects (%v)", jerr)
		case err != nil && jerr == nil:
			if msg := err.Error(); !strings.Contains(msg, "more than once") && !strings.Contains(msg, "nested deeper") && !strings.Contains(msg, "UTF-8") {
				t.Fatalf("rejected what encoding/json accepts: %v", err)
			}
		case err == nil && !reflect.DeepEqual(any(got), want):
			t.Fatalf("decoded differently:\n%#v\n%#v", got, want)
		}
	})
}
