package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
)

// AppendAudit implements audit.Appender outside a transaction: it is an
// error, for a record must commit with the change it describes (Tx has the
// real one).
func (o *ops) AppendAudit(ctx context.Context, r *audit.Record) error {
	return errs.Wrap(errs.E(errs.Internal, "audit append outside a transaction"), "audit")
}

// AppendAudit implements audit.Appender, through a shared statement: every
// change and every read appends a record, and preparing the insert each
// time cost more than running it.
func (tx *Tx) AppendAudit(ctx context.Context, r *audit.Record) error {
	if err := tx.serialize(ctx); err != nil {
		return err
	}
	var detail any
	if len(r.Detail) > 0 {
		detail = string(r.Detail)
	}
	err := tx.queryRowS(ctx, `INSERT INTO audit (time, actor_id, actor_name, actor_org_id, action, object_type, object_id,
		object_org_id, outcome, remote, via, request_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		micros(r.Time), r.ActorID, r.ActorName, r.ActorOrgID, r.Action, r.ObjectType, r.ObjectID, r.ObjectOrg,
		string(r.Outcome), r.Remote, r.Via, r.RequestID, detail).Scan(&r.Seq)
	return tx.mapErr(err, "audit append")
}

const auditCols = `seq, time, actor_id, actor_name, actor_org_id, action, object_type, object_id, object_org_id,
	outcome, remote, via, request_id, detail`

// AuditAfter implements audit.Reader.
func (o *ops) AuditAfter(ctx context.Context, seq int64, limit int) ([]audit.Record, error) {
	if limit <= 0 || limit > 10_000 {
		limit = 10_000
	}
	rows, err := o.query(ctx, `SELECT `+auditCols+` FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limit)
	if err != nil {
		return nil, o.mapErr(err, "audit after")
	}
	return scanAudit(rows, o)
}

// serialize takes, once per transaction, the dialect's lock that makes
// sequence numbers assigned in this transaction commit in order (see
// Dialect.BeforeAudit): audit appends and intelligence writes both need it,
// so that readers paging by sequence (the ledger anchor, TAXII) never see a
// smaller number appear behind one they have passed.
func (o *ops) serialize(ctx context.Context) error {
	if o.auditPrepared {
		return nil
	}
	if err := o.d.BeforeAudit(ctx, o.tx); err != nil {
		return o.mapErr(err, "sequence lock")
	}
	o.auditPrepared = true
	return nil
}

// ListAudit implements audit.Reader: newest first.
func (o *ops) ListAudit(ctx context.Context, f audit.Filter) ([]audit.Record, error) {
	q := `SELECT ` + auditCols + ` FROM audit WHERE 1=1`
	var args []any
	add := func(cond string, v any) {
		q += " AND " + cond
		args = append(args, v)
	}
	if f.ActorID != "" {
		add(`actor_id = ?`, f.ActorID)
	}
	if f.OrgID != "" {
		q += ` AND (actor_org_id = ? OR object_org_id = ?)`
		args = append(args, f.OrgID, f.OrgID)
	}
	if strings.HasSuffix(f.Action, ".") {
		add(`action LIKE ? ESCAPE '\'`, escapeLike(f.Action)+"%")
	} else if f.Action != "" {
		add(`action = ?`, f.Action)
	}
	if f.ObjectID != "" {
		add(`object_id = ?`, f.ObjectID)
	}
	if f.Outcome != "" {
		add(`outcome = ?`, string(f.Outcome))
	}
	if !f.Since.IsZero() {
		add(`time >= ?`, micros(f.Since))
	}
	if !f.Until.IsZero() {
		add(`time < ?`, micros(f.Until))
	}
	if f.BeforeSeq > 0 {
		add(`seq < ?`, f.BeforeSeq)
	}
	q += ` ORDER BY seq DESC LIMIT ?`
	args = append(args, f.PageLimit())
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.mapErr(err, "list audit")
	}
	return scanAudit(rows, o)
}

func scanAudit(rows *sql.Rows, o *ops) ([]audit.Record, error) {
	defer rows.Close()
	out := []audit.Record{}
	for rows.Next() {
		var r audit.Record
		var t int64
		var outcome string
		var detail *string
		if err := rows.Scan(&r.Seq, &t, &r.ActorID, &r.ActorName, &r.ActorOrgID, &r.Action, &r.ObjectType, &r.ObjectID,
			&r.ObjectOrg, &outcome, &r.Remote, &r.Via, &r.RequestID, &detail); err != nil {
			return nil, o.mapErr(err, "scan audit")
		}
		r.Time, r.Outcome = fromMicros(t), audit.Outcome(outcome)
		if detail != nil {
			r.Detail = []byte(*detail)
		}
		out = append(out, r)
	}
	return out, o.mapErr(rows.Err(), "list audit")
}
