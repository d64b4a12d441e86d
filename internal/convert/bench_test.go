package convert

import (
	"testing"
)

// BenchmarkCSV1M converts generated CSV lines (IPs, domains, URLs, SHA-256
// digests with first_seen, description, confidence and labels); one op is
// one line, and lines/s is reported. Run with -benchtime=1000000x for a
// million-line file.
func BenchmarkCSV1M(b *testing.B) {
	b.ReportAllocs()
	n := 0
	b.ResetTimer()
	rep, err := FromCSV(&lineGen{n: b.N}, benchMapping, func(r Record) error { n += len(r.Object); return nil })
	if err != nil || rep.Converted != b.N {
		b.Fatalf("%+v %v", rep, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkPlain converts generated one-value lines.
func BenchmarkPlain(b *testing.B) {
	b.ReportAllocs()
	m := benchMapping
	rep, err := FromPlain(&lineGen{n: b.N, plain: true}, Mapping{Source: m.Source, Now: m.Now, Type: KindAuto}, func(Record) error { return nil })
	if err != nil || rep.Converted != b.N {
		b.Fatalf("%+v %v", rep, err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
