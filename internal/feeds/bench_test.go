package feeds_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/gctune"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store/postgres"
)

// BenchmarkImportCSV1M imports a generated 1,000,000-line CSV blocklist
// (addresses, domains, URLs and SHA-256 hashes, with a comment column) into
// a fresh SQLite database: conversion, validation, de-duplication and
// storage, end to end. Run it with -benchtime 1x. KYOJO_BENCH_LINES sets
// the number of lines, KYOJO_BENCH_BATCH the batch size, and
// KYOJO_BENCH_POSTGRES (a DSN) imports into a new schema of that
// PostgreSQL database instead. The collector runs as in kyojo import
// (gctune: GOGC 400 unless the GOGC environment variable says otherwise).
func BenchmarkImportCSV1M(b *testing.B) {
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gctune.DefaultPercent))
	}
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
		var svc *intel.Service
		var a identity.Actor
		if d := os.Getenv("KYOJO_BENCH_POSTGRES"); d != "" {
			svc, a = setupPostgres(b, d, opt)
		} else {
			svc, a = setupWith(b, opt)
		}
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

// setupPostgres is setupWith on a new schema of the PostgreSQL database at
// dsn, dropped when the benchmark ends.
func setupPostgres(b *testing.B, dsn string, opt intel.Options) (*intel.Service, identity.Actor) {
	ctx := b.Context()
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("kyojo_bench_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(dsn)
	if err != nil {
		b.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := postgres.Open(ctx, u.String(), nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	// The test server runs without autovacuum: the store refreshes the
	// planner's statistics itself as the import grows the tables.
	o, err := identity.NewService(db, nil).CreateOrg(ctx, identity.System("t"), identity.Org{Slug: "o", Name: "O", Kind: identity.KindSME})
	if err != nil {
		b.Fatal(err)
	}
	a := identity.Actor{Viewer: policy.Viewer{UserID: "u", OrgID: o.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	return intel.NewService(db.Intel(), db, opt), a
}
