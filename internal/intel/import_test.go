package intel_test

import (
	"encoding/json"
	"os"
	"strconv"

	"fmt"
	"github.com/google/uuid"
	"iter"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// feed yields n indicators for 10.x.y.z addresses with ids derived from
// prefix, and one rejected record every 1000.
func feed(prefix string, n int) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		for i := range n {
			if i%1000 == 999 {
				if !yield(intel.Incoming{Line: i + 1, Err: errs.F(errs.Invalid, "value", "not an address")}) {
					return
				}
				continue
			}
			id := fmt.Sprintf("indicator--%s-0000-4000-8000-%012d", prefix, i)
			if prefix == "random" {
				id = "indicator--" + uuid.NewSHA1(uuid.NameSpaceOID, []byte(strconv.Itoa(i))).String()
			}
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-03-01T00:00:00.000Z",`+
				`"modified":"2026-03-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix",`+
				`"valid_from":"2026-03-01T00:00:00Z"}`, id, i>>16&255, i>>8&255, i&255)
			if !yield(intel.Incoming{Line: i + 1, Object: json.RawMessage(raw)}) {
				return
			}
		}
	}
}

func TestImportDeduplicates(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(3, 3)))
	ctx := t.Context()
	a, b := w.actors[0], w.actors[1]
	var batches int
	st, err := w.svc.Import(ctx, a, feed("aaaaaaaa", 5000), intel.Sharing{TLP: policy.Clear}, "feed-a", func(intel.ImportStats) { batches++ })
	if err != nil {
		t.Fatal(err)
	}
	if st.Read != 5000 || st.Created != 4995 || st.Rejected != 5 || batches != (5000+intel.ImportBatch-1)/intel.ImportBatch || st.Reasons["value: not an address"] != 5 {
		t.Fatalf("first import: %+v, %d batches", st, batches)
	}
	// The same file again: nothing new.
	st, err = w.svc.Import(ctx, a, feed("aaaaaaaa", 5000), intel.Sharing{TLP: policy.Clear}, "feed-a", nil)
	if err != nil || st.Skipped != 4995 || st.Created != 0 {
		t.Fatalf("re-import: %+v %v", st, err)
	}
	// The same values from another source: sightings, not copies.
	st, err = w.svc.Import(ctx, b, feed("bbbbbbbb", 2000), intel.Sharing{TLP: policy.Clear}, "feed-b", nil)
	if err != nil || st.Sighted != 1998 || st.Created != 0 {
		t.Fatalf("second source: %+v %v", st, err)
	}
	res, err := w.svc.Search(ctx, b, "10.0.0.7")
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("search after dedupe: %d %v", len(res.Objects), err)
	}
	page, _, _ := w.svc.List(ctx, b, intel.Filter{Types: []string{"sighting"}, Limit: 1})
	if len(page) != 1 {
		t.Fatal("no sighting stored")
	}
	var sg map[string]any
	json.Unmarshal(page[0].Raw, &sg)
	if sg["sighting_of_ref"] != res.Objects[0].ID && sg["x_kyojo_source"] != "feed-b" {
		t.Fatalf("sighting: %s", page[0].Raw)
	}
}

// BenchmarkImport imports 100,000 indicators into a fresh SQLite database
// per iteration, in ImportBatch transactions, and reports indicators/s.
func BenchmarkImport(b *testing.B) {
	const n = 100_000
	for b.Loop() {
		b.StopTimer()
		ctx := b.Context()
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "kyojo.db"), nil)
		if err != nil {
			b.Fatal(err)
		}
		ids := identity.NewService(db, nil)
		o, _ := ids.CreateOrg(ctx, identity.System("bench"), identity.Org{Slug: "o", Name: "O", Kind: identity.KindSME})
		a := identity.Actor{Viewer: policy.Viewer{UserID: "u", OrgID: o.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
		svc := intel.NewService(db.Intel(), db, intel.Options{})
		b.StartTimer()
		start := time.Now()
		prefix := "dddddddd"
		if os.Getenv("KYOJO_BENCH_RANDOM_IDS") != "" {
			prefix = "random"
		}
		st, err := svc.Import(ctx, a, feed(prefix, n), intel.Sharing{TLP: policy.Green}, "bench", nil)
		if err != nil || st.Created < n*99/100 {
			b.Fatalf("%+v %v", st, err)
		}
		b.ReportMetric(float64(n)/time.Since(start).Seconds(), "indicators/s")
		b.StopTimer()
		db.Close()
		b.StartTimer()
	}
}
