package postgres_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/postgres"
	"github.com/kyojo-hub/kyojo/internal/store/storetest"
)

// dsn returns KYOJO_TEST_POSTGRES, or skips the test with a message.
func dsn(t *testing.T) string {
	t.Helper()
	d := os.Getenv("KYOJO_TEST_POSTGRES")
	if d == "" {
		t.Skip("KYOJO_TEST_POSTGRES is not set: set it to a DSN such as postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL contract tests")
	}
	return d
}

// fresh creates an empty schema for one test and returns a DSN whose
// search_path points at it; the schema is dropped when the test ends.
func fresh(t *testing.T) string {
	t.Helper()
	base := dsn(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := fmt.Sprintf("kyojo_test_%d", time.Now().UnixNano())
	if _, err := admin.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("PostgreSQL at KYOJO_TEST_POSTGRES is not usable: %v", err)
	}
	t.Cleanup(func() { admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t *testing.T) *store.DB {
	db, err := postgres.Open(t.Context(), fresh(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) { storetest.Run(t, open) }

// TestConcurrentMigrate starts several nodes on one empty database at once;
// the advisory lock lets exactly one apply each migration.
func TestConcurrentMigrate(t *testing.T) {
	d := fresh(t)
	var wg sync.WaitGroup
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			db, err := postgres.Open(t.Context(), d, nil)
			if err == nil {
				db.Close()
			}
			errc <- err
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestMonitorContract(t *testing.T) { storetest.RunMonitor(t, open) }
