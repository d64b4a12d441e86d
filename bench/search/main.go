// Command search measures search by value in the intelligence store at
// scale: it fills a SQLite database with N indicators (once; the database is
// kept for later runs), then times Service.Search — the real path, with the
// visibility decision and the audit record — for random present and absent
// values, and prints percentiles.
//
//	go run ./bench/search -n 10000000 -db /tmp/kyojo-bench.db
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"iter"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

func main() {
	n := flag.Int("n", 1_000_000, "indicators to store")
	path := flag.String("db", "/tmp/kyojo-bench-search.db", "database file (kept between runs)")
	queries := flag.Int("queries", 20_000, "searches to time")
	flag.Parse()
	ctx := context.Background()
	_, statErr := os.Stat(*path)
	db, err := sqlite.Open(ctx, *path, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewService(db, nil)
	sys := identity.System("bench")
	org, err := ids.CreateOrg(ctx, sys, identity.Org{Slug: "bench", Name: "Bench", Kind: identity.KindSME})
	if err != nil {
		if org, err = db.OrgBySlug(ctx, "bench"); err != nil {
			log.Fatal(err)
		}
	}
	a := identity.Actor{Viewer: policy.Viewer{UserID: "bench", OrgID: org.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	svc := intel.NewService(db.Intel(), db, intel.Options{})
	if os.IsNotExist(statErr) {
		start := time.Now()
		st, err := svc.Import(ctx, a, generate(*n), intel.Sharing{TLP: policy.Green}, "bench", func(st intel.ImportStats) {
			if st.Read%200_000 < intel.ImportBatch {
				fmt.Fprintf(os.Stderr, "\r%d stored (%.0f/s)", st.Created, float64(st.Created)/time.Since(start).Seconds())
			}
		})
		if err != nil {
			log.Fatal(err)
		}
		el := time.Since(start)
		fmt.Printf("\nfilled: %d indicators in %s (%.0f/s)\n", st.Created, el.Round(time.Second), float64(st.Created)/el.Seconds())
	}
	r := rand.New(rand.NewPCG(1, 2))
	var lat []time.Duration
	found := 0
	start := time.Now()
	for i := range *queries {
		var q string
		switch i % 4 {
		case 0, 1: // an address that is stored
			q = addr(r.IntN(*n))
		case 2: // an address that is not
			q = fmt.Sprintf("203.0.%d.%d", r.IntN(256), r.IntN(256))
		case 3: // a domain that is stored, with its subdomains
			q = fmt.Sprintf("d%d.example", r.IntN(*n))
		}
		t := time.Now()
		res, err := svc.Search(ctx, a, q)
		lat = append(lat, time.Since(t))
		if err != nil {
			log.Fatal(err)
		}
		if len(res.Objects) > 0 {
			found++
		}
	}
	total := time.Since(start)
	slices.Sort(lat)
	p := func(q float64) time.Duration { return lat[int(float64(len(lat)-1)*q)] }
	fmt.Printf("objects: %d; searches: %d (%d found something) in %s, %.0f/s, GOMAXPROCS %d\n", *n, len(lat), found,
		total.Round(time.Millisecond), float64(len(lat))/total.Seconds(), runtime.GOMAXPROCS(0))
	fmt.Printf("latency: p50 %s  p90 %s  p99 %s  p99.9 %s  max %s\n", p(.5), p(.9), p(.99), p(.999), lat[len(lat)-1])
}

// addr is the address of indicator i: 10.0.0.0/8 then 172.16.0.0/12 onwards.
func addr(i int) string {
	return fmt.Sprintf("%d.%d.%d.%d", 11+i>>24, i>>16&255, i>>8&255, i&255)
}

// generate yields n indicators: every fourth a domain, the rest addresses.
func generate(n int) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		for i := range n {
			pat := fmt.Sprintf("[ipv4-addr:value = '%s']", addr(i))
			if i%4 == 3 {
				pat = fmt.Sprintf("[domain-name:value = 'www.d%d.example']", i)
			}
			obj := map[string]any{"type": "indicator", "spec_version": "2.1", "id": fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i),
				"created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z", "pattern": pat, "pattern_type": "stix",
				"valid_from": "2026-01-01T00:00:00Z", "name": fmt.Sprintf("bench %d", i)}
			raw, _ := json.Marshal(obj)
			if !yield(intel.Incoming{Line: i + 1, Object: raw}) {
				return
			}
		}
	}
}
