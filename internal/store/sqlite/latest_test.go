package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// TestLatestAlertCache: applying batches on SQLite remembers the latest
// alert of each key, and must never answer with what the database no
// longer holds: a commit by another process on the file, and an incident
// set on the alert, are seen by the next batch.
func TestLatestAlertCache(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kyojo.db")
	db, orgID := monitorDB(t, path)
	m := db.Monitor()
	now := time.Now().UTC().Truncate(time.Second)
	n := 0
	apply := func() monitor.Alert {
		t.Helper()
		n++
		at := now.Add(time.Duration(n) * time.Second)
		b := monitor.Batch{ID: "b" + string(rune('a'+n)), SensorID: "s", OrgID: orgID, ReceivedAt: at, ProcessedAt: at, Events: 1, Window: time.Hour,
			Expires: at.Add(time.Hour), Reasons: map[string]int64{},
			Hits: []monitor.Hit{{IndicatorID: "indicator--1", Kind: "ip", Value: "192.0.2.1", Observed: "192.0.2.1", Count: 1, First: at, Last: at, Severity: 3, Score: 50}}}
		applied, as, err := m.ApplyBatch(ctx, b)
		if err != nil || !applied || len(as) != 1 {
			t.Fatalf("batch %d: %v %v", n, applied, err)
		}
		return as[0]
	}
	a := apply()
	if a = apply(); a.Count != 2 {
		t.Fatalf("count %d after two batches", a.Count)
	}
	// Another process writes the alert (kyojo ingest on the same file).
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.ExecContext(ctx, `UPDATE monitor_alerts SET count = 100 WHERE id = ?`, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := apply(); got.ID != a.ID || got.Count != 101 {
		t.Fatalf("after another process counted 100: %d (the cache answered)", got.Count)
	}
	// An incident set on the alert here.
	if err := m.SetIncident(ctx, a.ID, "incident--1"); err != nil {
		t.Fatal(err)
	}
	if got := apply(); got.Incident != "incident--1" || got.Count != 102 {
		t.Fatalf("after the incident: %+v", got)
	}
	// And a batch of the cache's own keeps counting from what it wrote.
	if got := apply(); got.Count != 103 || got.Incident != "incident--1" {
		t.Fatalf("then %+v", got)
	}
}
