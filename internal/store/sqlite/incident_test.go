package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
	"github.com/kyojo-hub/kyojo/internal/store/storetest"
)

func TestIncidentContract(t *testing.T) {
	storetest.RunIncidents(t, func(t *testing.T) *store.DB {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "kyojo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
