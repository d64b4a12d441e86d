package convert

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestMISPFeed(t *testing.T) {
	ursnif, err := os.ReadFile("testdata/misp/ursnif-sightings.json")
	if err != nil {
		t.Fatal(err)
	}
	circl, err := os.ReadFile("testdata/misp/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	const (
		u1      = "5b646415-7b48-40d5-86b4-c0070acd0835" // ursnif
		u2      = "57c4445b-c548-4654-af0b-4be3950d210f"
		missing = "00000000-0000-4000-8000-000000000001"
		broken  = "00000000-0000-4000-8000-000000000002"
		wrong   = "00000000-0000-4000-8000-000000000003"
	)
	entry := `{"info":"x","date":"2024-01-01","timestamp":"1","Orgc":{"name":"o","uuid":"` + u2 + `"},"Tag":[{"name":"tlp:white"}]}`
	manifest := `{"` + u1 + `":` + entry + `,"` + u2 + `":` + entry + `,"` + missing + `":` + entry + `,"` + broken + `":` + entry + `,"` + wrong + `":` + entry + `}`
	fsys := fstest.MapFS{
		"manifest.json":  {Data: []byte(manifest)},
		u1 + ".json":     {Data: ursnif},
		u2 + ".json":     {Data: circl},
		broken + ".json": {Data: []byte(`{"Event":{"uuid":`)},
		wrong + ".json":  {Data: circl},
	}
	c, emit := collect(t)
	rep, err := FromMISPFeed(fsys, MISPOptions{}, emit)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.ofType("report")) != 2 {
		t.Errorf("%d reports, want 2", len(c.ofType("report")))
	}
	want := map[string]string{
		missing + ".json": "event file missing",
		broken + ".json":  "event file is not JSON",
		wrong + ".json":   `event file holds event "57c4445b-c548-4654-af0b-4be3950d210f", not the one the manifest names`,
	}
	got := map[string]string{}
	for _, r := range c.rejects {
		var ke *errs.Error
		if errors.As(r.Err, &ke) && !strings.Contains(ke.Field, ":") {
			got[ke.Field] = ke.Message
		}
	}
	for f, m := range want {
		if got[f] != m {
			t.Errorf("%s: %q, want %q", f, got[f], m)
		}
	}
	// The ursnif event's own rejections keep their reason, prefixed by the file.
	if rep.Reasons["false-positive and expiration sightings are not converted"] != 3 || rep.Rejected != 6 {
		t.Errorf("report %+v", rep)
	}
	t.Run("no manifest", func(t *testing.T) {
		_, err := FromMISPFeed(fstest.MapFS{}, MISPOptions{}, emit)
		if !errs.Is(err, errs.NotFound) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("bad manifest", func(t *testing.T) {
		_, err := FromMISPFeed(fstest.MapFS{"manifest.json": {Data: []byte(`[]`)}}, MISPOptions{}, emit)
		if !errs.Is(err, errs.Malformed) {
			t.Errorf("err %v", err)
		}
	})
}

// TestExportImportRoundTrip exports a converted event as a MISP feed and
// imports the feed again: the same indicator ids and patterns come back.
func TestExportImportRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/misp/57c4445b-c548-4654-af0b-4be3950d210f.json")
	if err != nil {
		t.Fatal(err)
	}
	first, _ := convertMISP(t, string(data))
	loose, _ := convertCSV(t, "9.9.9.9\nevil.example\n", Mapping{Source: "list", CreatedBy: "identity--aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", Marking: "red"})
	objs := append(append([]json.RawMessage{}, first.objs...), loose.objs...)
	manifest, events, err := ToMISPFeed(objs, ExportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 {
		t.Fatalf("%d events, want the report and one loose event", len(events))
	}
	fsys := fstest.MapFS{"manifest.json": {Data: manifest}}
	for u, b := range events {
		fsys[u+".json"] = &fstest.MapFile{Data: b}
	}
	second, emit := collect(t)
	rep, err := FromMISPFeed(fsys, MISPOptions{}, emit)
	if err != nil || rep.Rejected != 0 {
		t.Fatalf("%+v %v %v", rep, err, second.rejects)
	}
	for _, ind := range first.ofType("indicator") {
		back := second.byID[ind["id"].(string)]
		if back == nil || back["pattern"] != ind["pattern"] {
			t.Errorf("%s %s came back as %v", ind["id"], ind["pattern"], back)
		}
	}
	for _, ind := range loose.ofType("indicator") {
		back := second.byID[ind["id"].(string)]
		if back == nil || back["pattern"] != ind["pattern"] {
			t.Errorf("loose %s came back as %v", ind["id"], back)
			continue
		}
		if s := back["object_marking_refs"]; len(s.([]any)) != 1 || s.([]any)[0] != TLPRed {
			t.Errorf("loose marking %v", s)
		}
	}
	var man map[string]map[string]any
	if err := json.Unmarshal(manifest, &man); err != nil || man["57c4445b-c548-4654-af0b-4be3950d210f"]["info"] == nil {
		t.Errorf("manifest %s", manifest)
	}
}
