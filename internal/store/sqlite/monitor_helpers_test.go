package sqlite_test

import (
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// monitorDB opens a database at path with one organisation and its
// sensor "s", closed when the test ends; it returns the organisation's id.
func monitorDB(tb testing.TB, path string) (*store.DB, string) {
	tb.Helper()
	ctx := tb.Context()
	db, err := sqlite.Open(ctx, path, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	org, err := identity.NewService(db, nil).CreateOrg(ctx, identity.System("test"), identity.Org{Slug: "o", Name: "O", NameJA: "O", Kind: identity.KindGovernment, Tier: 2})
	if err != nil {
		tb.Fatal(err)
	}
	now := time.Now()
	if err := db.Monitor().CreateSensor(ctx, monitor.Sensor{ID: "s", OrgID: org.ID, Name: "s", Format: parse.FormatEVE, CreatedAt: now}, "h",
		&audit.Record{Time: now, ActorID: "u", Action: "sensor.create", ObjectType: "sensor", Outcome: audit.Success}); err != nil {
		tb.Fatal(err)
	}
	return db, org.ID
}
