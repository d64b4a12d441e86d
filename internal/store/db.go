// Package store implements the domain stores (identity, audit, and the
// parts to come) on database/sql, for every SQL dialect kyojo supports. The
// dialect adapters (store/sqlite, store/postgres) open the connections, bring
// their migrations and say how their errors look; the queries live here once.
//
// SQL is written with ? placeholders in the subset SQLite and PostgreSQL both
// accept; the dialect rebinds placeholders. Times are stored as microseconds
// since the Unix epoch, booleans as the dialect's boolean.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// Dialect is what differs between SQL engines.
type Dialect interface {
	// Name is "sqlite" or "postgres".
	Name() string
	// Rebind turns ? placeholders into the engine's form.
	Rebind(query string) string
	// Unique reports whether err is a unique-constraint violation and, when
	// the engine says, the column it is on ("slug", "name_key"; "" if unknown).
	Unique(err error) (column string, ok bool)
	// IsForeignKey reports whether err is a foreign-key violation.
	IsForeignKey(err error) bool
	// LockMigrations takes a lock that keeps other nodes from migrating at
	// the same time, on conn, and returns its release.
	LockMigrations(ctx context.Context, conn *sql.Conn) (func(), error)
	// BeforeAudit runs in a transaction before an audit record is appended;
	// PostgreSQL serialises appenders there so that sequence numbers commit
	// in order, which the ledger relies on.
	BeforeAudit(ctx context.Context, tx *sql.Tx) error
}

// DB is a kyojo database. Reads run on the read pool; Transact runs on the
// write pool. For SQLite the write pool has one connection, which serialises
// writers without busy errors; for PostgreSQL both pools are the same.
type DB struct {
	ops
	write   *sql.DB
	read    *sql.DB
	log     *slog.Logger
	closers []func() error // run by Close, last first
	grown   statsDebt      // intel rows written since the planner's statistics were refreshed
	shared  sharedStmts    // prepared on the write pool, for every transaction (Tx.execS)
	latest  latestCache    // monitoring's latest alert of each key, on SQLite
}

// sharedStmts are statements prepared once on the write pool and used by
// the transactions that run them (Tx.execS, Tx.queryS), so that SQLite
// parses them once rather than in every transaction; a 100-row VALUES
// list takes longer to parse than to run.
type sharedStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// maxShared bounds the statements kept: a caller with ever new query
// texts gets them parsed each time, not kept forever.
const maxShared = 256

func (s *sharedStmts) get(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[query]
}

// prepare prepares the queries not kept yet. It must not run inside a
// transaction: with SQLite's single write connection, preparing on the
// pool would wait for the transaction's own connection.
func (s *sharedStmts) prepare(ctx context.Context, db *DB, queries []string) {
	for _, q := range queries {
		s.mu.Lock()
		kept, full := s.m[q] != nil, len(s.m) >= maxShared
		s.mu.Unlock()
		if full {
			return
		}
		if kept {
			continue
		}
		st, err := db.write.PrepareContext(ctx, db.d.Rebind(q))
		if err != nil {
			return // parsed per transaction until a later one prepares it
		}
		s.mu.Lock()
		if s.m == nil {
			s.m = map[string]*sql.Stmt{}
		}
		if s.m[q] == nil && len(s.m) < maxShared {
			s.m[q], st = st, nil
		}
		s.mu.Unlock()
		if st != nil {
			st.Close()
		}
	}
}

func (s *sharedStmts) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	for q, st := range s.m {
		err = errors.Join(err, st.Close())
		delete(s.m, q)
	}
	return err
}

// OnClose adds fn to what Close runs before it closes the pools (a dialect's
// background work, say).
func (db *DB) OnClose(fn func() error) { db.closers = append(db.closers, fn) }

var _ identity.Store = (*DB)(nil)

// New wraps open pools. read may equal write.
func New(d Dialect, write, read *sql.DB, log *slog.Logger) *DB {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DB{ops: ops{q: read, d: d}, write: write, read: read, log: log}
}

// Dialect returns the dialect's name.
func (db *DB) Dialect() string { return db.d.Name() }

// Close closes both pools.
func (db *DB) Close() error {
	var err error
	for i := len(db.closers) - 1; i >= 0; i-- {
		err = errors.Join(err, db.closers[i]())
	}
	err = errors.Join(err, db.shared.close(), db.write.Close())
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ping checks that both pools answer.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.write.PingContext(ctx); err != nil {
		return errs.Wrap(err, "ping")
	}
	return errs.Wrap(db.read.PingContext(ctx), "ping")
}

// Tx is one transaction; it implements every domain's Tx interface.
type Tx struct {
	ops
	db     *DB
	tx     *sql.Tx
	stmts  map[string]*sql.Stmt // prepared in this transaction, or shared ones bound to it (closed with it)
	unkept []string             // shared statements to prepare once the transaction is over
}

// prepared returns query prepared in the transaction, once (shared's
// fallback until the statement is shared).
func (tx *Tx) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := tx.stmts[query]; st != nil {
		return st, nil
	}
	st, err := tx.tx.PrepareContext(ctx, tx.d.Rebind(query))
	if err != nil {
		return nil, err
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// shared returns query as a statement of the DB's shared ones bound to
// the transaction; a query not shared yet is prepared in the transaction
// and shared once the transaction is over.
func (tx *Tx) shared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st := tx.stmts[query]; st != nil {
		return st, nil
	}
	st := tx.db.shared.get(query)
	if st == nil {
		tx.unkept = append(tx.unkept, query)
		return tx.prepared(ctx, query)
	}
	st = tx.tx.StmtContext(ctx, st)
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[query] = st
	return st, nil
}

// execS is exec through shared: for statements that run often (applying a
// batch of sensor events, full chunks of an import), where preparing each
// time costs more than running.
func (tx *Tx) execS(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := tx.shared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// queryS is query through shared.
func (tx *Tx) queryS(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := tx.shared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// queryRowS is queryRow through shared; a failed prepare shows as the
// row's error.
func (tx *Tx) queryRowS(ctx context.Context, query string, args ...any) rowScanner {
	st, err := tx.shared(ctx, query)
	if err != nil {
		return errRow{err}
	}
	return st.QueryRowContext(ctx, args...)
}

type rowScanner interface{ Scan(...any) error }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// Transact runs fn in a transaction on the write pool; it commits when fn
// returns nil and rolls back otherwise, returning fn's error unchanged.
func (db *DB) Transact(ctx context.Context, fn func(identity.Tx) error) error {
	return db.TransactSQL(ctx, func(tx *Tx) error { return fn(tx) })
}

// TransactSQL is Transact with the concrete transaction type, for the
// parts' own interfaces.
func (db *DB) TransactSQL(ctx context.Context, fn func(*Tx) error) error {
	stx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return errs.Wrap(err, "begin")
	}
	tx := &Tx{ops: ops{q: stx, d: db.d, tx: stx}, db: db, tx: stx}
	err = fn(tx)
	if err != nil {
		_ = stx.Rollback()
	} else if err = stx.Commit(); err != nil {
		err = db.mapErr(err, "commit")
	}
	if len(tx.unkept) > 0 && ctx.Err() == nil {
		db.shared.prepare(ctx, db, tx.unkept)
	}
	return err
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ops holds the queries; it runs them on a pool or in a transaction.
type ops struct {
	q             querier
	d             Dialect
	tx            *sql.Tx // set inside a transaction
	auditPrepared bool
}

func (o *ops) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return o.q.ExecContext(ctx, o.d.Rebind(query), args...)
}

func (o *ops) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return o.q.QueryContext(ctx, o.d.Rebind(query), args...)
}

func (o *ops) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return o.q.QueryRowContext(ctx, o.d.Rebind(query), args...)
}

// mapErr turns driver errors into kyojo errors: unique violations become
// Conflict, foreign-key violations Invalid, no rows NotFound.
func (o *ops) mapErr(err error, op string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return &errs.Error{Code: errs.NotFound, Message: "not found", Err: err}
	case isUnique(o.d, err):
		col, _ := o.d.Unique(err)
		return &errs.Error{Code: errs.Conflict, Field: col, Message: "already exists", Err: err}
	case o.d.IsForeignKey(err):
		return &errs.Error{Code: errs.Invalid, Message: "refers to something that does not exist", Err: err}
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return &errs.Error{Code: errs.Unavailable, Message: "the request was cancelled or timed out", Err: err}
	}
	return errs.Wrap(err, op)
}

func isUnique(d Dialect, err error) bool { _, ok := d.Unique(err); return ok }

// mustAffect returns NotFound when res touched no row.
func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return errs.Wrap(err, "rows affected")
	}
	if n == 0 {
		return errs.E(errs.NotFound, "no such %s", what)
	}
	return nil
}

// Times are microseconds since the epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}

// RebindDollar rewrites ? placeholders as $1, $2, … It assumes queries have
// no ? inside string literals, which kyojo's SQL never does.
func RebindDollar(q string) string {
	if !strings.Contains(q, "?") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q) + 8)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

// Migrate applies the numbered migrations in fsys (files NNNN_name.sql) not
// yet recorded in schema_migrations, each in its own transaction, in order.
// It returns the versions applied.
func (db *DB) Migrate(ctx context.Context, fsys fs.FS) ([]int, error) {
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return nil, errs.Wrap(err, "migrate: conn")
	}
	defer conn.Close()
	unlock, err := db.d.LockMigrations(ctx, conn)
	if err != nil {
		return nil, errs.Wrap(err, "migrate: lock")
	}
	defer unlock()
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`); err != nil {
		return nil, errs.Wrap(err, "migrate: create table")
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, errs.Wrap(err, "migrate: list")
	}
	sort.Strings(files)
	var applied []int
	for _, name := range files {
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return applied, fmt.Errorf("migrate: %s: name must start with a number: %w", name, err)
		}
		var one int
		err = conn.QueryRowContext(ctx, db.d.Rebind(`SELECT 1 FROM schema_migrations WHERE version = ?`), v).Scan(&one)
		if err == nil {
			continue
		} else if !errors.Is(err, sql.ErrNoRows) {
			return applied, errs.Wrap(err, "migrate: check")
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return applied, errs.Wrap(err, "migrate: read "+name)
		}
		tx, err := conn.BeginTx(ctx, nil)
		if err != nil {
			return applied, errs.Wrap(err, "migrate: begin")
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate: %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, db.d.Rebind(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
			v, name, time.Now().UnixMicro()); err != nil {
			tx.Rollback()
			return applied, fmt.Errorf("migrate: %s: record: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return applied, fmt.Errorf("migrate: %s: commit: %w", name, err)
		}
		db.log.Info("migration applied", "dialect", db.d.Name(), "version", v, "name", name)
		applied = append(applied, v)
	}
	return applied, nil
}
