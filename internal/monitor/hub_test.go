package monitor_test

import (
	"path/filepath"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/identity"
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
