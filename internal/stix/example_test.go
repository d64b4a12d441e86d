package stix_test

import (
	"fmt"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix"
)

func ExampleParseBundle() {
	raw := []byte(`{"type":"bundle","id":"bundle--5d0092c5-5f74-4287-9642-33f4c354e56d","objects":[
	 {"type":"domain-name","spec_version":"2.1","id":"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5","value":"Evil.Example."},
	 {"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
	  "created":"2024-01-02T03:04:05.678Z","modified":"2024-01-02T03:04:05.678Z",
	  "pattern":"[domain-name:value = 'evil.example'","pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"}]}`)
	objs, problems := stix.ParseBundle(raw)
	for _, o := range objs {
		fmt.Println(o.ID, stix.Observables(o))
	}
	for _, p := range problems {
		for _, fe := range errs.Fields(p) {
			fmt.Println(p.Index, p.ID, fe.Field)
		}
	}
	// Output:
	// domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5 [{domain-name evil.example}]
	// 1 indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f objects[1].pattern
}

func ExampleSCOID() {
	fmt.Println(stix.SCOID("file", map[string]any{
		"name":   "resume.pdf",
		"hashes": map[string]string{"MD5": "1717b7fff97d37a1e1a0029d83492de1", "SHA-1": "c79a326f8411e9488bdc3779753e1e3489aaedea"},
	}))
	// Output: file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d
}
