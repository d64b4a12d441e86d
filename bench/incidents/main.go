// Command incidents measures the incident case list at scale, with the
// load coming from a second process over loopback.
//
//	go run ./bench/incidents seed -data /tmp/kyojo-inc -n 1000000
//	kyojo serve --data /tmp/kyojo-inc --listen 127.0.0.1:18080 --ledger=false &
//	go run ./bench/incidents load -url http://127.0.0.1:18080 -tokens /tmp/kyojo-inc/bench-tokens.txt -c 50 -d 60s
//
// With -db postgres://… seed fills PostgreSQL instead (serve then with the
// same --db); the tokens file still goes to the data directory.
//
// seed creates the national centre, 200 organisations with one analyst
// each (API tokens written to bench-tokens.txt: the first is the centre's
// administrator) and N cases spread over five years, through the incident
// store's own write methods in transactions of 5,000 cases: the same SQL
// and indexes as the service, without the per-case audit record and
// timeline entry the service adds. load sends GET /api/v1/incidents with a
// random filter from c concurrent clients, each as a random person (one in
// five the national centre, who sees every case), and prints the latency
// percentiles. With -think each client starts after a random pause as
// between requests; -burst starts them all at once instead: 50 cold
// requests at the same instant (each a new connection and a token's first
// use) take up to ~200 ms on two cores, which alone is 1.6% of a 60 s run at
// 50 req/s and so sets the p99.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/postgres"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: incidents seed|load [flags]")
	}
	switch os.Args[1] {
	case "seed":
		seed(os.Args[2:])
	case "load":
		load(os.Args[2:])
	default:
		log.Fatalf("unknown command %q", os.Args[1])
	}
}

const orgs = 200

func seed(args []string) {
	fs := flag.NewFlagSet("seed", flag.ExitOnError)
	data := fs.String("data", "/tmp/kyojo-inc", "data directory of the hub to seed")
	n := fs.Int("n", 1_000_000, "cases")
	dsn := fs.String("db", "", "postgres://… to seed PostgreSQL instead of SQLite in the data directory")
	fs.Parse(args)
	ctx := context.Background()
	if err := os.MkdirAll(*data, 0o700); err != nil {
		log.Fatal(err)
	}
	var db *store.DB
	var err error
	if *dsn != "" {
		db, err = postgres.Open(ctx, *dsn, nil)
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(*data, "kyojo.db"), nil)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewService(db, nil)
	sys := identity.System("bench")
	var tokens []string
	mk := func(o identity.Org, role policy.Role) identity.Org {
		o, err := ids.CreateOrg(ctx, sys, o)
		if err != nil {
			log.Fatal(err)
		}
		u, err := ids.CreateUser(ctx, sys, identity.NewUser{Username: "u-" + o.Slug, Org: o.Slug, Role: role, Password: "bench password 123", Locale: "en"})
		if err != nil {
			log.Fatal(err)
		}
		_, secret, err := ids.CreateToken(ctx, sys, u.ID, identity.NewToken{Name: "bench", Scope: policy.ScopeRead})
		if err != nil {
			log.Fatal(err)
		}
		tokens = append(tokens, secret)
		return o
	}
	mk(identity.Org{Slug: "ncc", Name: "National Centre", Kind: identity.KindGovernment, Tier: 1}, policy.HubAdmin)
	var members []identity.Org
	for i := 0; i < orgs; i++ {
		sec := identity.Sectors[i%len(identity.Sectors)]
		members = append(members, mk(identity.Org{Slug: fmt.Sprintf("org-%03d", i), Name: fmt.Sprintf("Operator %d", i),
			Kind: identity.KindCIOperator, Sector: sec, Tier: identity.Tier(1 + i%4)}, policy.Analyst))
	}
	if err := os.WriteFile(filepath.Join(*data, "bench-tokens.txt"), []byte(strings.Join(tokens, "\n")+"\n"), 0o600); err != nil {
		log.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Now()
	end := time.Now().UTC().Add(-time.Hour)
	span := 5 * 365 * 24 * time.Hour
	const batch = 5000
	for done := 0; done < *n; {
		err := db.Incidents().Transact(ctx, func(tx incident.Tx) error {
			for i := 0; i < batch && done < *n; i, done = i+1, done+1 {
				owner := members[r.IntN(orgs)]
				created := end.Add(-span + time.Duration(float64(span)*float64(done)/float64(*n))).Truncate(time.Microsecond)
				im := incident.Impact{Functional: incident.Functional(r.IntN(4)), Information: incident.Information(r.IntN(4)),
					Recoverability: incident.Recoverability(r.IntN(4))}
				sc := incident.Compute(im, owner.Tier, owner.Sector)
				status := incident.Closed
				if done > *n-20000 || r.IntN(50) == 0 {
					status = incident.Statuses[r.IntN(len(incident.Statuses))]
				}
				sla := incident.DefaultSLAs.For(sc.Level)
				in := incident.Incident{ID: uuid.Must(uuid.NewV7()).String(), Title: fmt.Sprintf("Case %d at %s", done, owner.Name),
					Summary: "seeded", OwnerOrg: owner.ID, AffectedOrg: owner.ID, Sector: owner.Sector, Systems: []string{"ERP"},
					TLP: policy.Amber, Status: status, Impact: im, Score: sc, Severity: sc.Level, Escalated: sc.Level >= incident.Severe,
					AckDue: created.Add(sla.Ack), ResponseDue: created.Add(sla.Response), ReportedBy: "bench", CreatedAt: created, UpdatedAt: created}
				in.Ref = fmt.Sprintf("INC-%d-%07d", created.Year(), done)
				if status != incident.Reported {
					in.AckAt = &created
				}
				if err := tx.CreateIncident(ctx, in); err != nil {
					return err
				}
				if err := tx.AddParticipant(ctx, in.ID, incident.Participant{OrgID: owner.ID, Role: policy.CaseOwner, InvitedBy: "bench", CreatedAt: created}); err != nil {
					return err
				}
				if r.IntN(4) == 0 {
					other := members[r.IntN(orgs)]
					if other.ID != owner.ID {
						if err := tx.AddParticipant(ctx, in.ID, incident.Participant{OrgID: other.ID, Role: policy.CaseObserver, InvitedBy: "bench", CreatedAt: created}); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			log.Fatal(err)
		}
		fmt.Fprintf(os.Stderr, "\r%d cases (%.0f/s)", done, float64(done)/time.Since(start).Seconds())
	}
	fmt.Fprintln(os.Stderr)
	if err := db.AnalyzeIncidents(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("seeded %d cases in %s (%.0f cases/s)\n", *n, time.Since(start).Round(time.Second), float64(*n)/time.Since(start).Seconds())
}

// filters is the mix of list queries the clients send.
var filters = []string{
	"", "status=triage", "status=response", "status=reported,triage", "severity=high", "severity=emergency",
	"sector=electricity", "sector=finance&status=closed", "escalated=true", "overdue=true", "limit=100",
	"status=closed&severity=medium", "sector=water&escalated=true",
}

func load(args []string) {
	fs := flag.NewFlagSet("load", flag.ExitOnError)
	base := fs.String("url", "http://127.0.0.1:18080", "hub URL (loopback)")
	tokFile := fs.String("tokens", "/tmp/kyojo-inc/bench-tokens.txt", "API tokens, one a line; the first is the national centre's")
	c := fs.Int("c", 50, "concurrent clients")
	d := fs.Duration("d", 30*time.Second, "duration")
	page2 := fs.Bool("page", true, "one request in four asks for the next page")
	verbose := fs.Bool("v", false, "print latency by query")
	think := fs.Duration("think", 0, "each client waits a random 0..2×think between requests (0: back to back, the harshest)")
	burst := fs.Bool("burst", false, "with -think, all clients send their first request at the same instant (cold start) instead of a random 0..2×think apart")
	fs.Parse(args)
	u, err := url.Parse(*base)
	if err != nil || (u.Hostname() != "127.0.0.1" && u.Hostname() != "localhost" && u.Hostname() != "::1") {
		log.Fatalf("load goes to loopback only, not %q", *base)
	}
	f, err := os.Open(*tokFile)
	if err != nil {
		log.Fatal(err)
	}
	var tokens []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			tokens = append(tokens, t)
		}
	}
	f.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *c}, Timeout: 10 * time.Second}
	deadline := time.Now().Add(*d)
	var mu sync.Mutex
	var lat []time.Duration
	var fails, items int
	byKind := map[string][]time.Duration{}
	var wg sync.WaitGroup
	for w := 0; w < *c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 9))
			if *think > 0 && !*burst {
				// Users already at work do not all click in the same
				// millisecond: start where a think pause would end.
				time.Sleep(time.Duration(r.Int64N(int64(2 * *think))))
			}
			for time.Now().Before(deadline) {
				tok, who := tokens[1+r.IntN(len(tokens)-1)], "org"
				if r.IntN(5) == 0 {
					tok, who = tokens[0], "ncc"
				}
				q := filters[r.IntN(len(filters))]
				kind := who + " " + q
				if *page2 && r.IntN(4) == 0 {
					kind += " +page"
					q += "&before=" + url.QueryEscape(time.Now().Add(-time.Duration(r.IntN(4*365*24))*time.Hour).UTC().Format(time.RFC3339)+",z")
				}
				req, _ := http.NewRequest("GET", *base+"/api/v1/incidents?"+q, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				t0 := time.Now()
				resp, err := client.Do(req)
				var body []byte
				if err == nil {
					body, _ = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				el := time.Since(t0)
				mu.Lock()
				if err != nil || resp.StatusCode != 200 {
					fails++
					if fails < 5 {
						log.Printf("failed: %v %s", err, body)
					}
				} else {
					lat = append(lat, el)
					byKind[kind] = append(byKind[kind], el)
					items += strings.Count(string(body), `"ref"`)
				}
				mu.Unlock()
				if *think > 0 {
					time.Sleep(time.Duration(r.Int64N(int64(2 * *think))))
				}
			}
		}(w)
	}
	wg.Wait()
	slices.Sort(lat)
	pct := func(p float64) time.Duration {
		if len(lat) == 0 {
			return 0
		}
		return lat[min(len(lat)-1, int(float64(len(lat))*p))]
	}
	fmt.Printf("%d requests in %s from %d clients (%.0f req/s), %d failed, %.1f cases per answer\n", len(lat), *d, *c,
		float64(len(lat))/d.Seconds(), fails, float64(items)/float64(max(1, len(lat))))
	if *verbose {
		for k, v := range byKind {
			slices.Sort(v)
			fmt.Printf("  %-50s n=%4d p50 %8s max %8s\n", k, len(v), v[len(v)/2].Round(100*time.Microsecond), v[len(v)-1].Round(100*time.Microsecond))
		}
	}
	fmt.Printf("latency p50 %s  p90 %s  p99 %s  max %s\n", pct(.50).Round(10*time.Microsecond), pct(.90).Round(10*time.Microsecond),
		pct(.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond))
}
