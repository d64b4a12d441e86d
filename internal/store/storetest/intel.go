package storetest

import (
	"encoding/json"
	"fmt"
	"iter"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

func ind(id, ip string, mod time.Time) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s",
		"pattern":"[ipv4-addr:value = '%s']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, id, mod.Format("2006-01-02T15:04:05.000Z"), ip)
}

// testIntel runs the intelligence store through the service: versions,
// latest, value search by address, CIDR and domain, paging, conflicts.
func testIntel(t *testing.T, db *store.DB) {
	ctx := t.Context()
	t0 := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC) // millisecond precision, as STIX timestamps here
	ids := identity.NewService(db, nil)
	org, err := ids.CreateOrg(ctx, identity.System("test"), identity.Org{Slug: "o", Name: "O", Kind: identity.KindSME})
	if err != nil {
		t.Fatal(err)
	}
	a := identity.Actor{Viewer: policy.Viewer{UserID: "u", OrgID: org.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	svc := intel.NewService(db.Intel(), db, intel.Options{})
	id1 := "indicator--00000000-0000-4000-8000-000000000001"
	id2 := "indicator--00000000-0000-4000-8000-000000000002"
	cidr := "indicator--00000000-0000-4000-8000-000000000003"
	bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-00000000000b","objects":[` +
		ind(id1, "198.51.100.7", t0) + "," + ind(id1, "198.51.100.8", t0.Add(time.Hour)) + "," +
		ind(id2, "198.51.100.9", t0) + "," + ind(cidr, "198.51.100.0/24", t0) + `,
		{"type":"domain-name","spec_version":"2.1","id":"domain-name--00000000-0000-4000-8000-000000000004","value":"www.evil.example"}]}`
	res, err := svc.Put(ctx, a, []byte(bundle), intel.Sharing{TLP: policy.Green}, "test")
	if err != nil || res.Created != 4 || res.Updated != 1 {
		t.Fatalf("put: %+v %v", res, err)
	}
	latest, err := db.Intel().Latest(ctx, id1)
	if err != nil || !latest.Modified.Equal(t0.Add(time.Hour)) || latest.TLP != policy.Green || len(latest.Values) != 1 ||
		latest.Values[0].Value != "198.51.100.8" || latest.Dist.AuthorOrg != org.ID {
		t.Fatalf("latest: %+v %v", latest, err)
	}
	// The older version no longer answers for its value.
	for q, want := range map[string]int{"198.51.100.7": 1, "198.51.100.8": 2, "198.51.100.0/25": 3, "198.51.101.1": 0, "evil.example": 1, "www.evil.example": 1} {
		r, err := svc.Search(ctx, a, q)
		if err != nil || len(r.Objects) != want {
			t.Errorf("search %s: %d objects, %v; want %d", q, len(r.Objects), err, want)
		}
	}
	page, next, err := svc.List(ctx, a, intel.Filter{Limit: 2})
	if err != nil || len(page) != 2 || next == 0 {
		t.Fatalf("page 1: %d %d %v", len(page), next, err)
	}
	rest, next2, _ := svc.List(ctx, a, intel.Filter{AfterSeq: next, Limit: 10})
	if len(rest) != 2 || next2 != 0 {
		t.Fatalf("page 2: %d, next %d", len(rest), next2)
	}
	// Exact ids, versions as TAXII's match[version] selects them, and
	// objects shared to an organisation by name.
	for _, tc := range []struct {
		name string
		f    intel.Filter
		want []time.Time // the modified times of the rows, in store order
	}{
		{"latest", intel.Filter{IDs: []string{id1}}, []time.Time{t0.Add(time.Hour)}},
		{"all", intel.Filter{IDs: []string{id1}, Versions: intel.Versions{All: true}}, []time.Time{t0, t0.Add(time.Hour)}},
		{"first", intel.Filter{IDs: []string{id1}, Versions: intel.Versions{First: true}}, []time.Time{t0}},
		{"first or last", intel.Filter{IDs: []string{id1}, Versions: intel.Versions{First: true, Last: true}}, []time.Time{t0, t0.Add(time.Hour)}},
		{"at", intel.Filter{IDs: []string{id1, id2}, Versions: intel.Versions{At: []time.Time{t0}}}, []time.Time{t0, t0}},
		{"unknown id", intel.Filter{IDs: []string{"indicator--00000000-0000-4000-8000-00000000dead"}}, nil},
		{"named org", intel.Filter{Org: org.ID}, nil},
	} {
		got, err := db.Intel().List(ctx, tc.f)
		if err != nil || len(got) != len(tc.want) {
			t.Fatalf("%s: %d rows, %v; want %d", tc.name, len(got), err, len(tc.want))
		}
		for i, s := range got {
			if !s.Modified.Equal(tc.want[i]) || (i > 0 && s.Seq <= got[i-1].Seq) {
				t.Errorf("%s: row %d modified %s seq %d", tc.name, i, s.Modified, s.Seq)
			}
		}
	}
	named := "indicator--00000000-0000-4000-8000-00000000000e"
	if res, err := svc.Put(ctx, a, []byte(ind(named, "192.0.2.14", t0)), intel.Sharing{TLP: policy.Amber, Orgs: []string{org.ID}}, "test"); err != nil || res.Created != 1 {
		t.Fatalf("put named: %+v %v", res, err)
	}
	if got, err := db.Intel().List(ctx, intel.Filter{Org: org.ID}); err != nil || len(got) != 1 || got[0].ID != named {
		t.Fatalf("named org: %v %v", got, err)
	}
	if got, err := db.Intel().List(ctx, intel.Filter{Org: "00000000-0000-7000-8000-00000000beef"}); err != nil || len(got) != 0 {
		t.Fatalf("other org: %v %v", got, err)
	}

	conflict := ind(id2, "198.51.100.99", t0) // same version, other content
	res, _ = svc.Put(ctx, a, []byte(conflict), intel.Sharing{TLP: policy.Green}, "test")
	if res.Rejected != 1 {
		t.Fatalf("conflicting version: %+v", res)
	}
	if _, err := db.Intel().Latest(ctx, "indicator--00000000-0000-4000-8000-00000000dead"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("missing object: %v", err)
	}

	// The bulk import path: new objects, a known value become a sighting,
	// a re-import skipped.
	feed := func(prefix string, n int) iter.Seq[intel.Incoming] {
		return func(yield func(intel.Incoming) bool) {
			for i := range n {
				id := fmt.Sprintf("indicator--%s-0000-4000-8000-%012d", prefix, i)
				if !yield(intel.Incoming{Line: i + 1, Object: json.RawMessage(ind(id, fmt.Sprintf("10.9.%d.%d", i/256, i%256), t0))}) {
					return
				}
			}
		}
	}
	st, err := svc.Import(ctx, a, feed("aaaaaaaa", 300), intel.Sharing{TLP: policy.Clear}, "feed-a", nil)
	if err != nil || st.Created != 300 {
		t.Fatalf("import: %+v %v", st, err)
	}
	st, err = svc.Import(ctx, a, feed("aaaaaaaa", 300), intel.Sharing{TLP: policy.Clear}, "feed-a", nil)
	if err != nil || st.Skipped != 300 {
		t.Fatalf("re-import: %+v %v", st, err)
	}
	st, err = svc.Import(ctx, a, feed("bbbbbbbb", 10), intel.Sharing{TLP: policy.Clear}, "feed-b", nil)
	if err != nil || st.Sighted != 10 {
		t.Fatalf("second source: %+v %v", st, err)
	}
	if r, _ := svc.Search(ctx, a, "10.9.0.5"); len(r.Objects) != 1 {
		t.Fatalf("search after import: %d objects", len(r.Objects))
	}
	testImportLookahead(t, db, a, feed)
}

// testImportLookahead checks the store's side of an import's lookahead:
// snapshots, sequence counts, and PutNew refusing an id that exists.
func testImportLookahead(t *testing.T, db *store.DB, a identity.Actor, feed func(string, int) iter.Seq[intel.Incoming]) {
	ctx := t.Context()
	sn, ok := db.Intel().(intel.Snapshotter)
	if !ok {
		t.Fatal("the store offers no snapshots")
	}
	known := "indicator--aaaaaaaa-0000-4000-8000-000000000001"
	var seq0 int64
	err := sn.Snapshot(ctx, func(seq int64, l intel.Lookup) error {
		seq0 = seq
		m, err := l.LatestMeta(ctx, []string{known, "indicator--ffffffff-0000-4000-8000-000000000001"})
		if err != nil || len(m) != 1 || m[known].Source != "feed-a" || len(m[known].Values) != 1 {
			return fmt.Errorf("snapshot meta: %+v %v", m, err)
		}
		o, err := l.ValueOwners(ctx, "ip", []string{intel.Key("ip", "10.9.0.1"), intel.Key("ip", "10.250.0.1")}, "feed-a", a.OrgID)
		if err != nil || len(o) != 1 {
			return fmt.Errorf("snapshot owners: %+v %v", o, err)
		}
		return nil
	})
	if err != nil || seq0 == 0 {
		t.Fatalf("snapshot: seq %d, %v", seq0, err)
	}
	// In batches of 50, so that later batches use the lookahead.
	svc := intel.NewService(db.Intel(), db, intel.Options{ImportBatch: 50})
	st, err := svc.Import(ctx, a, feed("cccccccc", 120), intel.Sharing{TLP: policy.Clear}, "feed-c", nil)
	if err != nil || st.Sighted != 120 {
		t.Fatalf("batched import: %+v %v", st, err)
	}
	var fresh intel.Object
	err = db.Intel().Transact(ctx, func(tx intel.Tx) error {
		if n, err := tx.CountAfter(ctx, seq0, 1000); err != nil || n != 120 {
			return fmt.Errorf("count after the snapshot: %d %v", n, err)
		}
		if n, err := tx.CountAfter(ctx, seq0, 7); err != nil || n != 7 {
			return fmt.Errorf("count up to a limit: %d %v", n, err)
		}
		if max, err := tx.MaxSeq(ctx); err != nil || max < seq0+120 {
			return fmt.Errorf("max seq %d after %d: %v", max, seq0, err)
		}
		cur, err := tx.Latest(ctx, known)
		if err != nil {
			return err
		}
		fresh = cur
		fresh.ID = "indicator--dddddddd-0000-4000-8000-000000000001"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	dup, err := db.Intel().Latest(ctx, known)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Intel().Transact(ctx, func(tx intel.Tx) error { return tx.PutNew(ctx, []intel.Object{fresh, dup}) })
	if !errs.Is(err, errs.Conflict) {
		t.Fatalf("PutNew of a stored id: %v", err)
	}
	if _, err := db.Intel().Latest(ctx, fresh.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("PutNew kept part of a refused call: %v", err)
	}
}
