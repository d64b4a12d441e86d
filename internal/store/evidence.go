package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
)

// Evidence returns the database as an evidence.Store.
func (db *DB) Evidence() evidence.Store { return evidenceDB{db} }

type evidenceDB struct{ *DB }

// Transact implements evidence.Store.
func (e evidenceDB) Transact(ctx context.Context, fn func(evidence.Tx) error) error {
	return e.TransactSQL(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ evidence.Tx = (*Tx)(nil)

// IndexEntries implements evidence.Tx.
func (o *ops) IndexEntries(ctx context.Context, es []evidence.Entry) error {
	for _, e := range es {
		if _, err := o.exec(ctx, `INSERT INTO ledger_entries (idx, kind, org_id, time, ref, erased) VALUES (?, ?, ?, ?, ?, ?)`,
			int64(e.Index), e.Kind, e.OrgID, micros(e.Time), e.Ref, e.Erased); err != nil {
			return o.mapErr(err, "index entry")
		}
	}
	return nil
}

// Entries implements evidence.Reader, in index order.
func (o *ops) Entries(ctx context.Context, f evidence.EntryFilter) ([]evidence.Entry, error) {
	q := `SELECT idx, kind, org_id, time, ref, erased FROM ledger_entries WHERE 1=1`
	var args []any
	if len(f.Kinds) > 0 {
		q += ` AND kind IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(f.Kinds)), ", ") + `)`
		for _, k := range f.Kinds {
			args = append(args, k)
		}
	}
	if f.OrgID != "" {
		q += ` AND org_id = ?`
		args = append(args, f.OrgID)
	}
	if !f.Since.IsZero() {
		q += ` AND time >= ?`
		args = append(args, micros(f.Since))
	}
	if !f.Until.IsZero() {
		q += ` AND time < ?`
		args = append(args, micros(f.Until))
	}
	if f.Erased != nil {
		q += ` AND erased = ?`
		args = append(args, *f.Erased)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	limit = min(limit, 1_000_000)
	q += ` ORDER BY idx LIMIT ?`
	args = append(args, limit)
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.mapErr(err, "entries")
	}
	defer rows.Close()
	out := []evidence.Entry{}
	for rows.Next() {
		var e evidence.Entry
		var idx, t int64
		if err := rows.Scan(&idx, &e.Kind, &e.OrgID, &t, &e.Ref, &e.Erased); err != nil {
			return nil, o.mapErr(err, "scan entry")
		}
		e.Index, e.Time = uint64(idx), fromMicros(t)
		out = append(out, e)
	}
	return out, o.mapErr(rows.Err(), "entries")
}

// LastIndexed implements evidence.Reader.
func (o *ops) LastIndexed(ctx context.Context, kind string) (string, error) {
	var ref string
	err := o.queryRow(ctx, `SELECT ref FROM ledger_entries WHERE kind = ? ORDER BY idx DESC LIMIT 1`, kind).Scan(&ref)
	if err == sql.ErrNoRows {
		return "", nil
	}
	return ref, o.mapErr(err, "last indexed")
}

// EntryByRef implements evidence.Reader.
func (o *ops) EntryByRef(ctx context.Context, kind, ref string) (evidence.Entry, error) {
	var e evidence.Entry
	var idx, t int64
	err := o.queryRow(ctx, `SELECT idx, kind, org_id, time, ref, erased FROM ledger_entries WHERE kind = ? AND ref = ?`, kind, ref).
		Scan(&idx, &e.Kind, &e.OrgID, &t, &e.Ref, &e.Erased)
	if err == sql.ErrNoRows {
		return e, errs.E(errs.NotFound, "not in the ledger yet")
	}
	e.Index, e.Time = uint64(idx), fromMicros(t)
	return e, o.mapErr(err, "entry by ref")
}

// NextIndex implements evidence.Reader.
func (o *ops) NextIndex(ctx context.Context) (uint64, error) {
	var n sql.NullInt64
	err := o.queryRow(ctx, `SELECT MAX(idx) FROM ledger_entries`).Scan(&n)
	if err != nil || !n.Valid {
		return 0, o.mapErr(err, "next index")
	}
	return uint64(n.Int64) + 1, nil
}

// MarkErased implements evidence.Tx.
func (o *ops) MarkErased(ctx context.Context, index uint64) error {
	res, err := o.exec(ctx, `UPDATE ledger_entries SET erased = ? WHERE idx = ?`, true, int64(index))
	if err != nil {
		return o.mapErr(err, "mark erased")
	}
	return mustAffect(res, "ledger entry")
}

// EraseAudit implements evidence.Tx.
func (o *ops) EraseAudit(ctx context.Context, seq int64) error {
	_, err := o.exec(ctx, `DELETE FROM audit WHERE seq = ?`, seq)
	return o.mapErr(err, "erase audit")
}

// PutRule implements evidence.Tx.
func (o *ops) PutRule(ctx context.Context, r evidence.Rule) error {
	if _, err := o.exec(ctx, `DELETE FROM retention_rules WHERE kind = ? AND org_id = ?`, r.Kind, r.OrgID); err != nil {
		return o.mapErr(err, "replace rule")
	}
	_, err := o.exec(ctx, `INSERT INTO retention_rules (id, kind, org_id, days, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.OrgID, r.Days, micros(r.CreatedAt), r.CreatedBy)
	return o.mapErr(err, "put rule")
}

// DeleteRule implements evidence.Tx.
func (o *ops) DeleteRule(ctx context.Context, id string) error {
	res, err := o.exec(ctx, `DELETE FROM retention_rules WHERE id = ?`, id)
	if err != nil {
		return o.mapErr(err, "delete rule")
	}
	return mustAffect(res, "retention rule")
}

// Rules implements evidence.Reader.
func (o *ops) Rules(ctx context.Context) ([]evidence.Rule, error) {
	rows, err := o.query(ctx, `SELECT id, kind, org_id, days, created_at, created_by FROM retention_rules ORDER BY kind, org_id`)
	if err != nil {
		return nil, o.mapErr(err, "rules")
	}
	defer rows.Close()
	out := []evidence.Rule{}
	for rows.Next() {
		var r evidence.Rule
		var created int64
		if err := rows.Scan(&r.ID, &r.Kind, &r.OrgID, &r.Days, &created, &r.CreatedBy); err != nil {
			return nil, o.mapErr(err, "scan rule")
		}
		r.CreatedAt, r.Period = fromMicros(created), time.Duration(r.Days)*24*time.Hour
		out = append(out, r)
	}
	return out, o.mapErr(rows.Err(), "rules")
}

// CreateHold implements evidence.Tx.
func (o *ops) CreateHold(ctx context.Context, h evidence.Hold) error {
	_, err := o.exec(ctx, `INSERT INTO legal_holds (id, org_id, kind, reason, created_at, created_by, released_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		h.ID, h.OrgID, h.Kind, h.Reason, micros(h.CreatedAt), h.CreatedBy, nullMicros(h.Released))
	return o.mapErr(err, "create hold")
}

// ReleaseHold implements evidence.Tx.
func (o *ops) ReleaseHold(ctx context.Context, id string, at time.Time) error {
	res, err := o.exec(ctx, `UPDATE legal_holds SET released_at = ? WHERE id = ? AND released_at IS NULL`, micros(at), id)
	if err != nil {
		return o.mapErr(err, "release hold")
	}
	return mustAffect(res, "legal hold in force")
}

// Holds implements evidence.Reader: every hold, released ones too.
func (o *ops) Holds(ctx context.Context) ([]evidence.Hold, error) {
	rows, err := o.query(ctx, `SELECT id, org_id, kind, reason, created_at, created_by, released_at FROM legal_holds ORDER BY created_at, id`)
	if err != nil {
		return nil, o.mapErr(err, "holds")
	}
	defer rows.Close()
	out := []evidence.Hold{}
	for rows.Next() {
		var h evidence.Hold
		var created int64
		var released sql.NullInt64
		if err := rows.Scan(&h.ID, &h.OrgID, &h.Kind, &h.Reason, &created, &h.CreatedBy, &released); err != nil {
			return nil, o.mapErr(err, "scan hold")
		}
		h.CreatedAt, h.Released = fromMicros(created), fromNullMicros(released)
		out = append(out, h)
	}
	return out, o.mapErr(rows.Err(), "holds")
}

const requestCols = `id, reference, legal_basis, scope, status, requested_by, requester_org_id, decided_by, decision_note,
	bundle_sha256, entries, created_at, updated_at`

func scanRequest(sc interface{ Scan(...any) error }) (evidence.Request, error) {
	var r evidence.Request
	var scope string
	var created, updated int64
	err := sc.Scan(&r.ID, &r.Reference, &r.LegalBasis, &scope, &r.Status, &r.RequestedBy, &r.RequesterOrg, &r.DecidedBy,
		&r.DecisionNote, &r.BundleSHA256, &r.Entries, &created, &updated)
	if err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(scope), &r.Scope); err != nil {
		return r, errs.Wrap(err, "request scope")
	}
	return r, nil
}

// CreateRequest implements evidence.Tx.
func (o *ops) CreateRequest(ctx context.Context, r evidence.Request) error {
	scope, _ := json.Marshal(r.Scope)
	_, err := o.exec(ctx, `INSERT INTO evidence_requests (`+requestCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Reference, r.LegalBasis, string(scope), string(r.Status), r.RequestedBy, r.RequesterOrg, r.DecidedBy,
		r.DecisionNote, r.BundleSHA256, r.Entries, micros(r.CreatedAt), micros(r.UpdatedAt))
	return o.mapErr(err, "create request")
}

// UpdateRequest implements evidence.Tx: status, decision and bundle fields.
func (o *ops) UpdateRequest(ctx context.Context, r evidence.Request) error {
	res, err := o.exec(ctx, `UPDATE evidence_requests SET status = ?, decided_by = ?, decision_note = ?, bundle_sha256 = ?,
		entries = ?, updated_at = ? WHERE id = ?`, string(r.Status), r.DecidedBy, r.DecisionNote, r.BundleSHA256, r.Entries,
		micros(r.UpdatedAt), r.ID)
	if err != nil {
		return o.mapErr(err, "update request")
	}
	return mustAffect(res, "request")
}

// Request implements evidence.Reader.
func (o *ops) Request(ctx context.Context, id string) (evidence.Request, error) {
	r, err := scanRequest(o.queryRow(ctx, `SELECT `+requestCols+` FROM evidence_requests WHERE id = ?`, id))
	if err == sql.ErrNoRows {
		return r, errs.E(errs.NotFound, "no such request")
	}
	return r, o.mapErr(err, "request")
}

// Requests implements evidence.Reader: newest first.
func (o *ops) Requests(ctx context.Context, orgID string) ([]evidence.Request, error) {
	q := `SELECT ` + requestCols + ` FROM evidence_requests`
	var args []any
	if orgID != "" {
		q += ` WHERE requester_org_id = ?`
		args = append(args, orgID)
	}
	rows, err := o.query(ctx, q+` ORDER BY created_at DESC, id`, args...)
	if err != nil {
		return nil, o.mapErr(err, "requests")
	}
	defer rows.Close()
	out := []evidence.Request{}
	for rows.Next() {
		r, err := scanRequest(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan request")
		}
		out = append(out, r)
	}
	return out, o.mapErr(rows.Err(), "requests")
}
