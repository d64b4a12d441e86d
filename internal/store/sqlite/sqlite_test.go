package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
	"github.com/kyojo-hub/kyojo/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) *store.DB {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "kyojo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}

// TestMigrateTwice checks that opening an existing database applies nothing.
func TestMigrateTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kyojo.db")
	db, err := sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = sqlite.Open(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	applied, err := db.Migrate(t.Context(), sqlite.Migrations())
	if err != nil || len(applied) != 0 {
		t.Fatalf("second migrate applied %v, %v", applied, err)
	}
}

func TestMonitorContract(t *testing.T) {
	storetest.RunMonitor(t, func(t *testing.T) *store.DB {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "kyojo.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	})
}
