package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

var _ rpz.Store = (*DB)(nil)

// maxJournalBody is the largest delta (in records) the journal keeps in
// full; larger ones keep their serial and counts only.
const maxJournalBody = 10_000

// journalKeep is how many serials the journal keeps per zone.
const journalKeep = 200

func (db *DB) writeAudited(ctx context.Context, rec *audit.Record, fn func(tx *Tx) error) error {
	return db.TransactSQL(ctx, func(tx *Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if rec != nil {
			return tx.AppendAudit(ctx, rec)
		}
		return nil
	})
}

// PutRPZFeed inserts or replaces a feed.
func (db *DB) PutRPZFeed(ctx context.Context, f rpz.Feed, rec *audit.Record) error {
	body, _ := json.Marshal(f)
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rpz_feeds (id, zone, body, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET zone = excluded.zone, body = excluded.body, updated_at = excluded.updated_at`,
			f.ID, f.Zone, string(body), micros(time.Now()))
		return tx.mapErr(err, "put rpz feed")
	})
}

// DeleteRPZFeed deletes a feed.
func (db *DB) DeleteRPZFeed(ctx context.Context, id string, rec *audit.Record) error {
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM rpz_feeds WHERE id = ?`, id)
		if err != nil {
			return tx.mapErr(err, "delete rpz feed")
		}
		return mustAffect(res, "feed")
	})
}

// RPZFeeds returns every feed by zone.
func (db *DB) RPZFeeds(ctx context.Context) ([]rpz.Feed, error) {
	return scanJSON[rpz.Feed](ctx, db, `SELECT body FROM rpz_feeds ORDER BY zone`)
}

// PutRPZSubscriber inserts or replaces a subscriber.
func (db *DB) PutRPZSubscriber(ctx context.Context, s rpz.Subscriber, rec *audit.Record) error {
	body, _ := json.Marshal(s)
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rpz_subscribers (id, name, org_id, body, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET name = excluded.name, org_id = excluded.org_id, body = excluded.body, updated_at = excluded.updated_at`,
			s.ID, s.Name, s.OrgID, string(body), micros(time.Now()))
		return tx.mapErr(err, "put rpz subscriber")
	})
}

// DeleteRPZSubscriber deletes a subscriber.
func (db *DB) DeleteRPZSubscriber(ctx context.Context, id string, rec *audit.Record) error {
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM rpz_subscribers WHERE id = ?`, id)
		if err != nil {
			return tx.mapErr(err, "delete rpz subscriber")
		}
		return mustAffect(res, "subscriber")
	})
}

// RPZSubscribers returns every subscriber by name.
func (db *DB) RPZSubscribers(ctx context.Context) ([]rpz.Subscriber, error) {
	return scanJSON[rpz.Subscriber](ctx, db, `SELECT body FROM rpz_subscribers ORDER BY name`)
}

func scanJSON[T any](ctx context.Context, db *DB, q string, args ...any) ([]T, error) {
	rows, err := db.query(ctx, q, args...)
	if err != nil {
		return nil, db.mapErr(err, "query")
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, db.mapErr(err, "scan")
		}
		var v T
		if err := json.Unmarshal([]byte(b), &v); err != nil {
			return nil, errs.Wrap(err, "decode stored rpz definition")
		}
		out = append(out, v)
	}
	return out, db.mapErr(rows.Err(), "rows")
}

// PutRPZAllow inserts or replaces an allowlist entry.
func (db *DB) PutRPZAllow(ctx context.Context, a rpz.Allow, rec *audit.Record) error {
	return db.writeAudited(ctx, rec, func(tx *Tx) error { return tx.putAllow(ctx, a) })
}

func (tx *Tx) putAllow(ctx context.Context, a rpz.Allow) error {
	_, err := tx.exec(ctx, `INSERT INTO rpz_allow (name, reason, report_id, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET reason = excluded.reason, report_id = excluded.report_id, created_at = excluded.created_at`,
		a.Name, a.Reason, a.ReportID, micros(a.CreatedAt))
	return tx.mapErr(err, "put allowlist entry")
}

// DeleteRPZAllow deletes an allowlist entry.
func (db *DB) DeleteRPZAllow(ctx context.Context, name string, rec *audit.Record) error {
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		res, err := tx.exec(ctx, `DELETE FROM rpz_allow WHERE name = ?`, name)
		if err != nil {
			return tx.mapErr(err, "delete allowlist entry")
		}
		return mustAffect(res, "allowlist entry")
	})
}

// RPZAllowlist returns the allowlist by name.
func (db *DB) RPZAllowlist(ctx context.Context) ([]rpz.Allow, error) {
	rows, err := db.query(ctx, `SELECT name, reason, report_id, created_at FROM rpz_allow ORDER BY name`)
	if err != nil {
		return nil, db.mapErr(err, "allowlist")
	}
	defer rows.Close()
	out := []rpz.Allow{}
	for rows.Next() {
		var a rpz.Allow
		var at int64
		if err := rows.Scan(&a.Name, &a.Reason, &a.ReportID, &at); err != nil {
			return nil, db.mapErr(err, "scan")
		}
		a.CreatedAt = fromMicros(at)
		out = append(out, a)
	}
	return out, db.mapErr(rows.Err(), "rows")
}

const reportCols = `id, name, reason, contact, lang, remote, status, created_at, decided_at, decided_by, note`

// AddRPZReport stores a new report.
func (db *DB) AddRPZReport(ctx context.Context, r rpz.Report) error {
	return db.TransactSQL(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rpz_reports (`+reportCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			r.ID, r.Name, r.Reason, r.Contact, r.Lang, r.Remote, r.Status, micros(r.CreatedAt), nullMicros(r.DecidedAt), r.DecidedBy, r.Note)
		return tx.mapErr(err, "add report")
	})
}

func scanReport(s interface{ Scan(...any) error }) (rpz.Report, error) {
	var r rpz.Report
	var at int64
	var dec sql.NullInt64
	err := s.Scan(&r.ID, &r.Name, &r.Reason, &r.Contact, &r.Lang, &r.Remote, &r.Status, &at, &dec, &r.DecidedBy, &r.Note)
	r.CreatedAt, r.DecidedAt = fromMicros(at), fromNullMicros(dec)
	return r, err
}

// RPZReport returns one report.
func (db *DB) RPZReport(ctx context.Context, id string) (rpz.Report, error) {
	r, err := scanReport(db.queryRow(ctx, `SELECT `+reportCols+` FROM rpz_reports WHERE id = ?`, id))
	if err != nil {
		err = db.mapErr(err, "report")
		if errs.Is(err, errs.NotFound) {
			err = errs.E(errs.NotFound, "no such report")
		}
	}
	return r, err
}

// RPZReports returns reports with status ("" for all), newest first.
func (db *DB) RPZReports(ctx context.Context, status string, limit int) ([]rpz.Report, error) {
	rows, err := db.query(ctx, `SELECT `+reportCols+` FROM rpz_reports WHERE (? = '' OR status = ?) ORDER BY created_at DESC, id DESC LIMIT ?`,
		status, status, limit)
	if err != nil {
		return nil, db.mapErr(err, "reports")
	}
	defer rows.Close()
	out := []rpz.Report{}
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, db.mapErr(err, "scan")
		}
		out = append(out, r)
	}
	return out, db.mapErr(rows.Err(), "rows")
}

// DecideRPZReport records a decision on an open report and, when allow is
// set, the allowlist entry, in one transaction.
func (db *DB) DecideRPZReport(ctx context.Context, r rpz.Report, allow *rpz.Allow, rec *audit.Record) error {
	return db.writeAudited(ctx, rec, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE rpz_reports SET status = ?, decided_at = ?, decided_by = ?, note = ? WHERE id = ? AND status = ?`,
			r.Status, nullMicros(r.DecidedAt), r.DecidedBy, r.Note, r.ID, rpz.ReportOpen)
		if err != nil {
			return tx.mapErr(err, "decide report")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "the report is not open")
		}
		if allow != nil {
			return tx.putAllow(ctx, *allow)
		}
		return nil
	})
}

// AppendRPZJournal records a zone's new serial and its delta (in full
// when small), keeping the latest serials of the zone.
func (db *DB) AppendRPZJournal(ctx context.Context, zoneKey string, d rpz.Delta, at time.Time) error {
	body := ""
	if len(d.Deleted)+len(d.Added) <= maxJournalBody {
		b, _ := json.Marshal(d)
		body = string(b)
	}
	return db.TransactSQL(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO rpz_journal (zone_key, serial, from_serial, deleted, added, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			zoneKey, int64(d.To), int64(d.From), len(d.Deleted), len(d.Added), body, micros(at))
		if err != nil {
			return tx.mapErr(err, "append rpz journal")
		}
		_, err = tx.exec(ctx, `DELETE FROM rpz_journal WHERE zone_key = ? AND serial <= (
			SELECT serial FROM rpz_journal WHERE zone_key = ? ORDER BY serial DESC LIMIT 1 OFFSET ?)`, zoneKey, zoneKey, journalKeep)
		return tx.mapErr(err, "trim rpz journal")
	})
}

// RPZJournal returns a zone's journal after serial, oldest first; deltas
// too large to keep come without records.
func (db *DB) RPZJournal(ctx context.Context, zoneKey string, after uint32) ([]rpz.Delta, error) {
	rows, err := db.query(ctx, `SELECT serial, from_serial, body FROM rpz_journal WHERE zone_key = ? AND serial > ? ORDER BY serial`, zoneKey, int64(after))
	if err != nil {
		return nil, db.mapErr(err, "rpz journal")
	}
	defer rows.Close()
	out := []rpz.Delta{}
	for rows.Next() {
		var to, from int64
		var body string
		if err := rows.Scan(&to, &from, &body); err != nil {
			return nil, db.mapErr(err, "scan")
		}
		d := rpz.Delta{From: uint32(from), To: uint32(to)}
		if body != "" {
			_ = json.Unmarshal([]byte(body), &d)
		}
		out = append(out, d)
	}
	return out, db.mapErr(rows.Err(), "rows")
}

// RPZLastSerial returns a zone's last journalled serial, 0 when none.
func (db *DB) RPZLastSerial(ctx context.Context, zoneKey string) (uint32, error) {
	var s sql.NullInt64
	err := db.queryRow(ctx, `SELECT MAX(serial) FROM rpz_journal WHERE zone_key = ?`, zoneKey).Scan(&s)
	return uint32(s.Int64), db.mapErr(err, "rpz last serial")
}
