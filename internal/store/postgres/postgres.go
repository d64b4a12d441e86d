// Package postgres opens kyojo's PostgreSQL database through pgx, for hubs
// that run several stateless nodes. The same queries as SQLite run here (see
// package store); only connection set-up, migrations and error shapes differ.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/kyojo-hub/kyojo/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migrations.
func Migrations() fs.FS {
	sub, _ := fs.Sub(migrations, "migrations")
	return sub
}

// Open connects to the database at dsn (postgres://…) and applies pending
// migrations. Several nodes may call Open at once: migrations take an
// advisory lock.
func Open(ctx context.Context, dsn string, log *slog.Logger) (*store.DB, error) {
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	// Connections stay open while they are used: with fewer idle than
	// open, every burst of requests closed the surplus and the next burst
	// waited for new backends (each a fork and a handshake) and for pgx to
	// prepare its statements again. Idle for five minutes, they close.
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	db := store.New(dialect{}, pool, pool, log)
	if _, err := db.Migrate(ctx, Migrations()); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Lock keys for pg_advisory_lock; arbitrary but fixed.
const (
	migrationLock = 0x6b796f6a6f01 // "kyojo" 01
	auditLock     = 0x6b796f6a6f02
)

type dialect struct{}

func (dialect) Name() string           { return "postgres" }
func (dialect) Rebind(q string) string { return store.RebindDollar(q) }

func pgErr(err error) *pgconn.PgError {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe
	}
	return nil
}

func (dialect) Unique(err error) (string, bool) {
	pe := pgErr(err)
	if pe == nil || pe.Code != "23505" {
		return "", false
	}
	// Constraint names are table_column_key, as PostgreSQL makes them.
	col := strings.TrimSuffix(strings.TrimPrefix(pe.ConstraintName, pe.TableName+"_"), "_key")
	return col, true
}

func (dialect) IsForeignKey(err error) bool {
	pe := pgErr(err)
	return pe != nil && pe.Code == "23503"
}

func (dialect) LockMigrations(ctx context.Context, conn *sql.Conn) (func(), error) {
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return nil, err
	}
	return func() {
		conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock))
	}, nil
}

// BeforeAudit serialises transactions that append audit records until they
// commit, so audit sequence numbers become visible in order: a reader that
// has seen seq N will never later see a record with a smaller seq appear.
func (dialect) BeforeAudit(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(auditLock))
	return err
}
