package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kyojo-hub/kyojo/internal/store"
)

// migrationsUpTo returns the embedded migrations numbered at most v.
func migrationsUpTo(t *testing.T, v int) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	err := fs.WalkDir(Migrations(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		n, _ := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if n <= v {
			b, err := fs.ReadFile(Migrations(), name)
			if err != nil {
				return err
			}
			out[name] = &fstest.MapFile{Data: b}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUpgradeAlertLinks opens a database written before migration 0013
// (links keyed by alert, no span on alerts): after the upgrade the raw
// batches behind an old alert are still found, in any span.
func TestUpgradeAlertLinks(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "kyojo.db")
	w, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	db := store.New(dialect{}, w, w, nil)
	if _, err := db.Migrate(ctx, migrationsUpTo(t, 12)); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixMicro()
	for _, q := range []string{
		`INSERT INTO monitor_alerts (id, org_id, indicator_id, kind, value, observed, sensor_id, count, first_seen, last_seen, severity, score, created_at)
			VALUES ('al-old', 'org-a', 'indicator--1', 'ip', '192.0.2.1', '192.0.2.1', 's1', 2, ?1, ?1, 3, 70, ?1)`,
		`INSERT INTO monitor_raw (batch_id, sensor_id, org_id, received_at, expires_at, data) VALUES ('b-old', 's1', 'org-a', ?1, ?1 + 86400000000, x'00')`,
		`INSERT INTO monitor_raw (batch_id, sensor_id, org_id, received_at, expires_at, data) VALUES ('b-other', 's1', 'org-a', ?1, ?1 + 86400000000, x'00')`,
		`INSERT INTO monitor_alert_batches (alert_id, batch_id) VALUES ('al-old', 'b-old')`,
	} {
		if _, err := w.ExecContext(ctx, q, at); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	applied, err := db.Migrate(ctx, Migrations())
	if err != nil || len(applied) == 0 || applied[0] != 13 {
		t.Fatalf("upgrade applied %v, %v", applied, err)
	}
	raw, err := db.Monitor().AlertRaw(ctx, "al-old", 10)
	if err != nil || len(raw) != 1 || raw[0].BatchID != "b-old" {
		t.Fatalf("raw behind an alert from before the upgrade: %+v %v", raw, err)
	}
	db.Close()
}
