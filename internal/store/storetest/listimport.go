package storetest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// testListImport imports CSV lists, whose indicators get new time-ordered
// ids on every import, and checks that values are still recognised as
// they were when ids were derived from kind, value and source: the same
// list again changes nothing, a changed line is a new version of the same
// indicator, another organisation's list sights the values, and a value
// listed twice is stored once. It runs with the default batch size and in
// batches of 40 (the lookahead and its overlay).
func testListImport(t *testing.T, db *store.DB) {
	ctx := t.Context()
	ids := identity.NewService(db, nil)
	actor := func(slug string) identity.Actor {
		o, err := ids.CreateOrg(ctx, identity.System("test"), identity.Org{Slug: slug, Name: strings.ToUpper(slug), Kind: identity.KindSME})
		if err != nil {
			t.Fatal(err)
		}
		return identity.Actor{Viewer: policy.Viewer{UserID: "u-" + slug, OrgID: o.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	}
	a, b := actor("la"), actor("lb")
	for run, batch := range []int{0, 40} {
		svc := intel.NewService(db.Intel(), db, intel.Options{ImportBatch: batch})
		const n = 150
		value := func(i int) string { return fmt.Sprintf("10.77.%d.%d", run, i) }
		list := func(changed int) string {
			var sb strings.Builder
			sb.WriteString("value,comment\n")
			for i := range n {
				comment := "scanner"
				if i == changed {
					comment = "scanner and brute force"
				}
				fmt.Fprintf(&sb, "%s,%s\n", value(i), comment)
				if i == 5 {
					fmt.Fprintf(&sb, "%s,scanner\n", value(3)) // again, in the same batch
				}
			}
			fmt.Fprintf(&sb, "%s,scanner\n", value(0)) // again, in another batch of 40
			return sb.String()
		}
		imp := func(who identity.Actor, name, csv string) intel.ImportStats {
			t.Helper()
			st, err := feeds.Import(ctx, svc, who, name, strings.NewReader(csv), feeds.Options{Format: feeds.CSV,
				Sharing: intel.Sharing{TLP: policy.Green}, Mapping: convert.Mapping{Value: 1, Description: 2}}, nil)
			if err != nil || st.Read != n+2 || st.Rejected != 0 {
				t.Fatalf("batch %d, %s: %+v %v", batch, name, st, err)
			}
			return st
		}
		rows := func(source, typ string) int { // all runs
			t.Helper()
			got, err := db.Intel().List(ctx, intel.Filter{Source: source, Types: []string{typ}, Versions: intel.Versions{All: true}, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			return len(got)
		}
		owner := func(i int) intel.Object {
			t.Helper()
			r, err := svc.Search(ctx, a, value(i))
			if err != nil || len(r.Objects) != 1 {
				t.Fatalf("batch %d: search %s: %d objects, %v", batch, value(i), len(r.Objects), err)
			}
			return r.Objects[0]
		}

		if st := imp(a, "a.csv", list(-1)); st.Created != n || st.Skipped != 2 || st.Sighted != 0 {
			t.Fatalf("batch %d, first import: %+v", batch, st)
		}
		first := owner(7)
		if st := imp(a, "a.csv", list(-1)); st.Created != 0 || st.Updated != 0 || st.Sighted != 0 || st.Skipped != n+2 {
			t.Fatalf("batch %d, the same list again: %+v", batch, st)
		}
		if st := imp(a, "a.csv", list(7)); st.Created != 0 || st.Updated != 1 || st.Sighted != 0 || st.Skipped != n+1 {
			t.Fatalf("batch %d, one line changed: %+v", batch, st)
		}
		if got := owner(7); got.ID != first.ID || !strings.Contains(string(got.Raw), "brute force") {
			t.Fatalf("batch %d: the changed line is %s %s, want a new version of %s", batch, got.ID, got.Raw, first.ID)
		}
		if vs, err := db.Intel().Versions(ctx, first.ID); err != nil || len(vs) != 2 {
			t.Fatalf("batch %d: %d versions of the changed indicator, %v", batch, len(vs), err)
		}
		if got := rows("import:a.csv", "indicator"); got != (n+1)*(run+1) {
			t.Fatalf("batch %d: %d indicator versions stored, want %d", batch, got, (n+1)*(run+1))
		}

		// Another organisation's list of the same values: sightings, once.
		if st := imp(b, "b.csv", list(-1)); st.Created != 0 || st.Sighted != n || st.Skipped != 2 {
			t.Fatalf("batch %d, another organisation: %+v", batch, st)
		}
		if st := imp(b, "b.csv", list(-1)); st.Created != 0 || st.Sighted != 0 || st.Skipped != n+2 {
			t.Fatalf("batch %d, another organisation again: %+v", batch, st)
		}
		if got := rows("import:b.csv", "sighting"); got != n*(run+1) {
			t.Fatalf("batch %d: %d sightings stored, want %d", batch, got, n*(run+1))
		}

		// A newer indicator of another organisation about one of the
		// values does not hide the list's own from it.
		other := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-0000000077%02d",
			"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '%s']",
			"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, run, value(9))
		if res, err := svc.Put(ctx, b, []byte(other), intel.Sharing{TLP: policy.Green}, "api"); err != nil || res.Created != 1 {
			t.Fatalf("batch %d, put: %+v %v", batch, res, err)
		}
		if st := imp(a, "a.csv", list(7)); st.Created != 0 || st.Updated != 0 || st.Sighted != 0 || st.Skipped != n+2 {
			t.Fatalf("batch %d, the list after another's indicator: %+v", batch, st)
		}
	}
}
