// Package sqlite opens kyojo's SQLite database: one file in the data
// directory, WAL mode, foreign keys on, pure Go (modernc.org/sqlite). Writes go
// through a pool of one connection, so writers queue in Go instead of failing
// with SQLITE_BUSY; reads use a separate pool.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"runtime"
	"strconv"
	"strings"

	sqlite3 "modernc.org/sqlite"
	sqlite3lib "modernc.org/sqlite/lib"

	"github.com/kyojo-hub/kyojo/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Open opens (creating if needed) the database file at path and applies
// pending migrations.
func Open(ctx context.Context, path string, log *slog.Logger) (*store.DB, error) {
	const (
		writer = iota
		reader
		checkpoints
	)
	dsn := func(role int) string {
		v := url.Values{}
		for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "foreign_keys(1)", "synchronous(NORMAL)",
			"cache_size(-65536)", "temp_store(MEMORY)", "mmap_size(" + strconv.Itoa(mmapSize) + ")"} {
			v.Add("_pragma", p)
		}
		switch role {
		case reader:
			v.Add("_pragma", "query_only(1)")
		case writer:
			v.Set("_txlock", "immediate")
			v.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(autoCheckpointPages)+")")
		}
		return "file:" + path + "?" + v.Encode()
	}
	write, err := sql.Open("sqlite", dsn(writer))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	if err := write.PingContext(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read, err := sql.Open("sqlite", dsn(reader))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	read.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	db := store.New(dialect{}, write, read, log)
	if _, err := db.Migrate(ctx, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	ck, err := startCheckpointer(dsn(checkpoints), log)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.OnClose(ck.Close)
	return db, nil
}

type dialect struct{}

func (dialect) Name() string           { return "sqlite" }
func (dialect) Rebind(q string) string { return q }

func code(err error) int {
	var se *sqlite3.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

func (dialect) Unique(err error) (string, bool) {
	c := code(err)
	if c != sqlite3lib.SQLITE_CONSTRAINT_UNIQUE && c != sqlite3lib.SQLITE_CONSTRAINT_PRIMARYKEY {
		return "", false
	}
	// "UNIQUE constraint failed: organizations.slug"
	msg := err.Error()
	if i := strings.LastIndex(msg, "."); i >= 0 && strings.Contains(msg, "constraint failed") {
		col := msg[i+1:]
		if j := strings.IndexAny(col, " ,)"); j >= 0 {
			col = col[:j]
		}
		return col, true
	}
	return "", true
}

func (dialect) IsForeignKey(err error) bool {
	return code(err) == sqlite3lib.SQLITE_CONSTRAINT_FOREIGNKEY
}

// LockMigrations needs no lock: the write pool has one connection and
// SQLite serialises writers across processes.
func (dialect) LockMigrations(context.Context, *sql.Conn) (func(), error) { return func() {}, nil }

// BeforeAudit does nothing: SQLite has one writer at a time.
func (dialect) BeforeAudit(context.Context, *sql.Tx) error { return nil }
