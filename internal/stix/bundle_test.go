package stix

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func bundleOf(objs ...string) []byte {
	return []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Join(objs, ",") + `]}`)
}

func TestParseBundleIsolatesBadObjects(t *testing.T) {
	badIndicator := strings.Replace(validObjects["indicator"], `"valid_from":"2016-01-01T00:00:00Z"`, `"valid_from":"2016-13-01T00:00:00Z"`, 1)
	raw := bundleOf(validObjects["identity"], validObjects["malware"], validObjects["url"], badIndicator, `"not an object"`, validObjects["relationship"])
	objs, errList := ParseBundle(raw)
	if len(objs) != 4 {
		t.Errorf("%d objects, want 4", len(objs))
	}
	if len(errList) != 2 {
		t.Fatalf("errors %v, want 2", errList)
	}
	e := errList[0]
	if e.Index != 3 || e.ID != "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f" {
		t.Errorf("error index %d id %q", e.Index, e.ID)
	}
	if !hasField(e.Err, "objects[3].valid_from", "not a timestamp") {
		t.Errorf("error %v", e.Err)
	}
	if !errs.Is(e, errs.Invalid) {
		t.Errorf("ItemError does not unwrap to Invalid: %v", e)
	}
	if errList[1].Index != 4 || !hasField(errList[1].Err, "objects[4]", "must be a JSON object") {
		t.Errorf("second error %+v", errList[1])
	}
	if objs[3].Type != "relationship" {
		t.Errorf("order not kept: %s", objs[3].Type)
	}
}

func TestParseBundleLevelErrors(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		code      errs.Code
		msg       string
	}{
		{"not json", `{"type":`, errs.Malformed, "not a JSON bundle"},
		{"array", `[]`, errs.Malformed, "not a JSON bundle"},
		{"wrong type", `{"type":"indicator","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}`, errs.Invalid, "is not a bundle"},
		{"no id", `{"type":"bundle","objects":[]}`, errs.Invalid, "needs an id"},
		{"bad id", `{"type":"bundle","id":"bundle--x","objects":[]}`, errs.Invalid, "RFC 4122"},
		{"id of other type", `{"type":"bundle","id":"report--5d0092c5-5f74-4287-9642-33f4c354e56d"}`, errs.Invalid, `start with "bundle--"`},
		{"objects not list", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":{}}`, errs.Malformed, "must be a list"},
		{"type not string", `{"type":5,"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`, errs.Invalid, "is not a bundle"},
		{"duplicate objects", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[],"objects":[]}`, errs.Malformed, "\"objects\" appears more than once"},
		{"too deep", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `]}`, errs.TooLarge, "nested deeper"},
		{"trailing", `{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"} x`, errs.Malformed, "after the end"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs, errList := ParseBundle([]byte(tc.raw))
			if objs != nil || len(errList) != 1 || errList[0].Index != -1 {
				t.Fatalf("got %v %v", objs, errList)
			}
			if !errs.Is(errList[0].Err, tc.code) || !strings.Contains(errList[0].Error(), tc.msg) {
				t.Errorf("got %v, want %s %q", errList[0], tc.code, tc.msg)
			}
		})
	}
	// A bundle may be empty, and may lack "type" when its id says bundle.
	for _, raw := range []string{
		`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d"}`,
		`{"id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[]}`,
	} {
		if objs, errList := ParseBundle([]byte(raw)); len(objs) != 0 || errList != nil {
			t.Errorf("%s: %v %v", raw, objs, errList)
		}
	}
}

func TestLimits(t *testing.T) {
	t.Run("50 MB description", func(t *testing.T) {
		huge := strings.Replace(validObjects["identity"], `"name":"John Smith"`, `"name":"John Smith","description":"`+strings.Repeat("A", 50<<20)+`"`, 1)
		objs, errList := ParseBundle(bundleOf(validObjects["url"], huge, validObjects["mutex"]))
		if len(objs) != 2 || len(errList) != 1 {
			t.Fatalf("%d objects, errors %v", len(objs), errList)
		}
		e := errList[0]
		if e.Index != 1 || e.ID != "identity--311b2d2d-f010-4473-83ec-1edf84858f4c" || !errs.Is(e, errs.TooLarge) {
			t.Errorf("got %+v", e)
		}
		if !hasField(e.Err, "objects[1]", "over the limit") {
			t.Errorf("got %v", e.Err)
		}
		if _, err := Parse([]byte(huge)); !errs.Is(err, errs.TooLarge) {
			t.Errorf("Parse: %v", err)
		}
	})
	t.Run("long string under the object limit", func(t *testing.T) {
		raw := strings.Replace(validObjects["note"], `"content":"This note`, `"content":"`+strings.Repeat("b", MaxStringBytes+1)+`This note`, 1)
		_, err := Parse([]byte(raw))
		if !hasField(err, "content", "over the limit") || !errs.Is(err, errs.TooLarge) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("depth", func(t *testing.T) {
		deep := strings.Repeat(`{"a":`, MaxDepth) + "1" + strings.Repeat("}", MaxDepth)
		raw := strings.Replace(validObjects["identity"], `"name":"John Smith"`, `"name":"John Smith","x_deep":`+deep, 1)
		_, err := Parse([]byte(raw))
		if !errs.Is(err, errs.TooLarge) || !strings.Contains(err.Error(), "nested deeper than 64") {
			t.Errorf("got %v", err)
		}
		ok := strings.Repeat(`[`, MaxDepth-1) + strings.Repeat("]", MaxDepth-1)
		raw = strings.Replace(validObjects["identity"], `"name":"John Smith"`, `"name":"John Smith","x_deep":`+ok, 1)
		if _, err := Parse([]byte(raw)); err != nil {
			t.Errorf("depth %d rejected: %v", MaxDepth, err)
		}
	})
	t.Run("too many objects", func(t *testing.T) {
		saved := MaxBundleObjects
		MaxBundleObjects = 2
		defer func() { MaxBundleObjects = saved }()
		_, errList := ParseBundle(bundleOf(validObjects["url"], validObjects["url"], validObjects["url"]))
		if len(errList) != 1 || !errs.Is(errList[0], errs.TooLarge) || errList[0].Index != -1 {
			t.Errorf("got %v", errList)
		}
	})
	t.Run("duplicate member", func(t *testing.T) {
		raw := strings.Replace(validObjects["url"], `"value":`, `"value":"https://a.example/","value":`, 1)
		if _, err := Parse([]byte(raw)); !errs.Is(err, errs.Malformed) || !strings.Contains(err.Error(), `"value" appears more than once`) {
			t.Errorf("got %v", err)
		}
		escaped := strings.Replace(validObjects["url"], `"value":`, `"valu\u0065":"https://a.example/","value":`, 1)
		if _, err := Parse([]byte(escaped)); !errs.Is(err, errs.Malformed) {
			t.Errorf("escaped duplicate: %v", err)
		}
		var many strings.Builder
		for i := range 5000 {
			fmt.Fprintf(&many, `"x_k%d":1,`, i)
		}
		raw = strings.Replace(validObjects["url"], `"value":`, many.String()+`"x_k17":2,"value":`, 1)
		if _, err := Parse([]byte(raw)); !errs.Is(err, errs.Malformed) {
			t.Errorf("duplicate among many: %v", err)
		}
	})
	t.Run("not an object", func(t *testing.T) {
		for _, raw := range []string{``, `[]`, `"x"`, `{"type":"url"`, `{} {}`} {
			if _, err := Parse([]byte(raw)); !errs.Is(err, errs.Malformed) {
				t.Errorf("%q: %v", raw, err)
			}
		}
	})
}
