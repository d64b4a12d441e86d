package feeds_test

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// BenchmarkImportCSV1M imports a generated 1,000,000-line CSV blocklist
// (addresses, domains, URLs and SHA-256 hashes, with a comment column) into
// a fresh SQLite database: conversion, validation, de-duplication and
// storage, end to end. Run it with -benchtime 1x.
func BenchmarkImportCSV1M(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("KYOJO_BENCH_LINES"); s != "" {
		fmt.Sscan(s, &n)
	}
	path := filepath.Join(b.TempDir(), "blocklist.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "value,comment")
	for i := range n {
		switch i % 4 {
		case 0, 1:
			fmt.Fprintf(w, "%d.%d.%d.%d,scanner\n", 11+i>>24, i>>16&255, i>>8&255, i&255)
		case 2:
			fmt.Fprintf(w, "host%d.bad.example,phishing\n", i)
		case 3:
			fmt.Fprintf(w, "%064x,malware\n", i)
		}
	}
	w.Flush()
	f.Close()
	for b.Loop() {
		b.StopTimer()
		var opt intel.Options
		if s := os.Getenv("KYOJO_BENCH_BATCH"); s != "" {
			fmt.Sscan(s, &opt.ImportBatch)
		}
		svc, a := setupWith(b, opt)
		in, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		st, err := feeds.Import(b.Context(), svc, a, "blocklist.csv", in, feeds.Options{Format: feeds.CSV,
			Sharing: intel.Sharing{TLP: policy.Green}, Mapping: convert.Mapping{Value: 1, Description: 2}}, nil)
		el := time.Since(start)
		in.Close()
		if err != nil || st.Created != n {
			b.Fatalf("%+v %v", st, err)
		}
		b.ReportMetric(float64(n)/el.Seconds(), "indicators/s")
	}
}
