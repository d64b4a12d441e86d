package stix

import "testing"

// BenchmarkParseIndicator measures Parse on a typical indicator with a
// STIX pattern, markings and a kill chain; it reports objects/s.
func BenchmarkParseIndicator(b *testing.B) {
	raw := []byte(`{"type":"indicator","spec_version":"2.1","id":"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",` +
		`"created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff","created":"2016-04-06T20:03:48.000Z",` +
		`"modified":"2016-04-06T20:03:48.000Z","name":"Poison Ivy Malware","description":"This file is part of Poison Ivy",` +
		`"indicator_types":["malicious-activity"],"pattern":"[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",` +
		`"pattern_type":"stix","valid_from":"2016-01-01T00:00:00Z","kill_chain_phases":[{"kill_chain_name":"mandiant-attack-lifecycle-model","phase_name":"initial-compromise"}],` +
		`"object_marking_refs":["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"],"labels":["poison-ivy"],"confidence":85,` +
		`"external_references":[{"source_name":"x","url":"https://example.org/report"}]}`)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
}

// BenchmarkParseBundleOASIS measures ParseBundle on the OASIS poisonivy.json
// example (155 objects of many types).
func BenchmarkParseBundleOASIS(b *testing.B) {
	raw, err := readFile("testdata/oasis/poisonivy.json")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		objs, errList := ParseBundle(raw)
		if errList != nil {
			b.Fatal(errList)
		}
		n += len(objs)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "objects/s")
}
