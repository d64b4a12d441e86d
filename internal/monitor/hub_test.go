package monitor_test

import (
	"path/filepath"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// newDB opens a SQLite store closed with the test, holding one monitored
// organisation (the Ministry of Finance, tier 2).
func newDB(t *testing.T) (*store.DB, identity.Org) {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	org, err := identity.NewService(db, nil).CreateOrg(t.Context(), identity.System("test"),
		identity.Org{Slug: "mof", Name: "MoF", NameJA: "財務省", Kind: identity.KindGovernment, Tier: 2})
	if err != nil {
		t.Fatal(err)
	}
	return db, org
}

// newMonitor returns a processor and a service over db with opt (pub nil:
// ingest processes at once), and an EVE sensor of org.
func newMonitor(t *testing.T, db *store.DB, org identity.Org, pub monitor.Publisher, opt monitor.Options) (*monitor.Service, *monitor.Processor, monitor.Sensor) {
	t.Helper()
	proc := monitor.NewProcessor(db.Monitor(), db, monitor.NewIndicators(), nil, opt)
	svc := monitor.NewService(db.Monitor(), db, pub, proc, opt)
	sn, _, err := svc.AddSensor(t.Context(), identity.System("test"), monitor.NewSensor{Org: org.ID, Name: "s", Format: "eve"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, proc, sn
}

// newRawLog opens raw event files in a temporary directory, closed when
// the test ends.
func newRawLog(t *testing.T) *rawlog.Log {
	t.Helper()
	rl, err := rawlog.Open(filepath.Join(t.TempDir(), "raw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rl.Close() })
	return rl
}
