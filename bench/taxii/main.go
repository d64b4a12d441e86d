// Command taxii measures the TAXII 2.1 server at scale, over HTTP on
// loopback through the whole handler (authentication, visibility, audit):
//
//   - paging: a collection of N objects (TLP:CLEAR, the public collection)
//     read 1,000 objects a page, following next tokens from the start and
//     from random added_after points; it prints the page latencies;
//   - posting: envelopes of 10,000 new indicators (random ids) POSTed to an
//     inbox; it prints objects stored per second.
//
// The N objects are stored once through intel.Service.Import (the real
// import path, with sequential ids, which is its fast case; see the README)
// and the database is kept for later runs.
//
//	go run ./bench/taxii -n 1000000 -db /tmp/kyojo-bench-taxii.db
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"iter"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/server"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

func main() {
	n := flag.Int("n", 1_000_000, "objects in the collection")
	path := flag.String("db", "/tmp/kyojo-bench-taxii.db", "database file (kept between runs)")
	pages := flag.Int("pages", 1000, "pages to time with next (1,000 walks a 1M collection)")
	posts := flag.Int("posts", 5, "10,000-object envelopes to POST")
	per := flag.Int("envelope", 10_000, "objects per envelope")
	cpu := flag.String("cpuprofile", "", "write a CPU profile of the POSTs to this file")
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
	org, err := ids.CreateOrg(ctx, sys, identity.Org{Slug: "bench", Name: "Bench", NameJA: "Bench", Kind: identity.KindSME, Tier: 3, Country: "JP"})
	if err != nil {
		if org, err = db.OrgBySlug(ctx, "bench"); err != nil {
			log.Fatal(err)
		}
	}
	usr, err := db.UserByUsername(ctx, "bench")
	if err != nil {
		if usr, err = ids.CreateUser(ctx, sys, identity.NewUser{Username: "bench", Org: "bench", Role: policy.Analyst, Locale: "en", Password: "bench password 123"}); err != nil {
			log.Fatal(err)
		}
	}
	_, token, err := ids.CreateToken(ctx, sys, usr.ID, identity.NewToken{Name: fmt.Sprint("bench ", time.Now().UnixNano()), Scope: policy.ScopeWrite})
	if err != nil {
		log.Fatal(err)
	}
	svc := intel.NewService(db.Intel(), db, intel.Options{})
	if os.IsNotExist(statErr) {
		a := identity.Actor{Viewer: policy.Viewer{UserID: usr.ID, OrgID: org.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
		start := time.Now()
		st, err := svc.Import(ctx, a, generate(*n), intel.Sharing{TLP: policy.Clear}, "bench", func(st intel.ImportStats) {
			if st.Read%100_000 < intel.ImportBatch {
				fmt.Fprintf(os.Stderr, "\r%d stored (%.0f/s)", st.Created, float64(st.Created)/time.Since(start).Seconds())
			}
		})
		if err != nil {
			log.Fatal(err)
		}
		el := time.Since(start)
		fmt.Printf("\nfilled: %d objects in %s (%.0f/s)\n", st.Created, el.Round(time.Second), float64(st.Created)/el.Seconds())
	}
	h, _ := server.Handler(server.Services{Identity: ids, Intel: svc}, server.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	base := srv.URL + "/taxii2/kyojo/collections/"
	get := func(u string) (time.Duration, int, string, string) {
		req, _ := http.NewRequest("GET", u, nil)
		req.SetBasicAuth("bench", token)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		var env struct {
			Objects []json.RawMessage `json:"objects"`
			Next    string            `json:"next"`
		}
		err = json.NewDecoder(resp.Body).Decode(&env)
		resp.Body.Close()
		d := time.Since(t)
		if resp.StatusCode != 200 || err != nil {
			log.Fatalf("GET %s: %s %v", u, resp.Status, err)
		}
		return d, len(env.Objects), env.Next, resp.Header.Get("X-TAXII-Date-Added-Last")
	}

	// Paging through the whole collection with next, every page timed.
	var lat []time.Duration
	next := ""
	var stamps []string
	for i := 0; ; i++ {
		u := base + "public/objects/?limit=1000"
		if next != "" {
			u += "&next=" + url.QueryEscape(next)
		}
		d, cnt, nx, last := get(u)
		if cnt != 1000 && nx != "" {
			log.Fatalf("page %d held %d objects", i, cnt)
		}
		lat = append(lat, d)
		stamps = append(stamps, last)
		if nx == "" || len(lat) >= *pages {
			break
		}
		next = nx
	}
	fmt.Printf("next paging (from the start, %d pages): %s\n", len(lat), summary(lat))
	// added_after at random depths: the date_added of random pages seen.
	r := rand.New(rand.NewPCG(1, 2))
	var lat2 []time.Duration
	for i := 0; i < min(*pages, 100); i++ {
		after := stamps[r.IntN(max(1, len(stamps)-1))]
		d, cnt, _, _ := get(base + "public/objects/?limit=1000&added_after=" + url.QueryEscape(after))
		if cnt == 0 {
			log.Fatalf("added_after page held %d", cnt)
		}
		lat2 = append(lat2, d)
	}
	fmt.Printf("added_after paging (random depths): %s\n", summary(lat2))

	// POSTs of new objects.
	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var rates []float64
	for i := 0; i < *posts; i++ {
		var b bytes.Buffer
		b.WriteString(`{"objects":[`)
		for j := 0; j < *per; j++ {
			if j > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"type":"indicator","spec_version":"2.1","id":"indicator--%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
				uuid.NewString(), i, j/256, j%256)
		}
		b.WriteString(`]}`)
		req, _ := http.NewRequest("POST", base+"inbox-bench/objects/", bytes.NewReader(b.Bytes()))
		req.SetBasicAuth("bench", token)
		req.Header.Set("Accept", "application/taxii+json;version=2.1")
		req.Header.Set("Content-Type", "application/taxii+json;version=2.1")
		t := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		var st struct {
			SuccessCount int `json:"success_count"`
			FailureCount int `json:"failure_count"`
		}
		json.Unmarshal(body, &st)
		if resp.StatusCode != 202 || st.SuccessCount != *per {
			log.Fatalf("POST: %s %.300s", resp.Status, body)
		}
		rates = append(rates, float64(*per)/d.Seconds())
		fmt.Printf("POST %d objects (%.1f MB): %s, %.0f objects/s\n", *per, float64(b.Len())/1e6, d.Round(time.Millisecond), rates[len(rates)-1])
	}
	slices.Sort(rates)
	fmt.Printf("POST median: %.0f objects/s (min %.0f, max %.0f)\n", rates[len(rates)/2], rates[0], rates[len(rates)-1])
}

func summary(lat []time.Duration) string {
	s := slices.Clone(lat)
	slices.Sort(s)
	q := func(p float64) time.Duration {
		return s[min(len(s)-1, int(p*float64(len(s))))].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("%d pages: p50 %s, p90 %s, p99 %s, max %s", len(s), q(.5), q(.9), q(.99), s[len(s)-1].Round(10*time.Microsecond))
}

// generate yields n TLP:CLEAR indicators with sequential ids.
func generate(n int) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		for i := range n {
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"bench %d","pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
				i, i, addr(i))
			if !yield(intel.Incoming{Line: i + 1, Object: json.RawMessage(raw)}) {
				return
			}
		}
	}
}

func addr(i int) string {
	return strings.Join([]string{fmt.Sprint(11 + i>>24&0xff), fmt.Sprint(i >> 16 & 0xff), fmt.Sprint(i >> 8 & 0xff), fmt.Sprint(i & 0xff)}, ".")
}
