package httpapi_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// deserved are the real objects the hub refuses, with the reason: the OASIS
// interop test marks a campaign with a marking-definition that is defined
// nowhere (…5ec, next to TLP 1.0 RED …5ed), which is what it tests.
var deserved = map[string]string{
	"interop-objectmarking-test.json campaign--0c7b5b88-8ff7-4a4d-aa9d-feb398cd0061": "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ec",
}

// TestRealBundlesRoundTrip shares the OASIS STIX 2.1 example bundles and
// checks that the export gives every object back equal to its input as
// JSON (same members and values). The files are read from ../shared.
func TestRealBundlesRoundTrip(t *testing.T) {
	files, _ := filepath.Glob("../../../shared/testdata/stix21/oasis-examples/*.json")
	if len(files) == 0 {
		t.Skip("../shared/testdata/stix21/oasis-examples is absent: the real-data round trip needs it")
	}
	h := hubtest.New(t)
	admin := h.Tokens["admin"]
	want := map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var res intel.Result
		r := call(t, h, req{as: admin, method: "POST", path: "/objects?tlp=green", body: b})
		if r.status != 201 && r.status != 200 {
			t.Fatalf("%s: %d %s", filepath.Base(f), r.status, r.body)
		}
		json.Unmarshal(r.body, &res)
		rejected := map[string]bool{}
		for _, it := range res.Items {
			if it.Status != intel.Rejected {
				continue
			}
			if why, ok := deserved[filepath.Base(f)+" "+it.ID]; ok && strings.Contains(it.Error, why) {
				rejected[it.ID] = true
				continue
			}
			t.Errorf("%s: object %d (%s) rejected: %s %s", filepath.Base(f), it.Index, it.ID, it.Field, it.Error)
		}
		var bundle struct {
			Type    string
			Objects []json.RawMessage
		}
		json.Unmarshal(b, &bundle)
		if bundle.Type != "bundle" {
			bundle.Objects = []json.RawMessage{b} // a file holding one object
		}
		for _, o := range bundle.Objects {
			var v map[string]any
			json.Unmarshal(o, &v)
			id := v["id"].(string)
			if rejected[id] {
				continue
			}
			if mod, ok := v["modified"].(string); ok {
				id += "@" + mod
			}
			want[id] = v
		}
	}
	r := call(t, h, req{as: admin, method: "GET", path: "/export?format=stix"})
	if r.status != 200 {
		t.Fatalf("export: %d %s", r.status, r.body)
	}
	var out struct {
		Type    string
		Objects []map[string]any
	}
	if err := json.Unmarshal(r.body, &out); err != nil || out.Type != "bundle" {
		t.Fatalf("export is not a bundle: %v", err)
	}
	got := 0
	for _, o := range out.Objects {
		id := o["id"].(string)
		if mod, ok := o["modified"].(string); ok {
			id += "@" + mod
		}
		w, ok := want[id]
		if !ok {
			t.Logf("exported but not in the input: %s", id)
			continue
		}
		got++
		if !reflect.DeepEqual(w, o) {
			t.Errorf("%s differs after the round trip", id)
		}
	}
	if got == 0 || got < len(out.Objects) {
		t.Fatalf("matched %d of %d exported objects", got, len(out.Objects))
	}
}
