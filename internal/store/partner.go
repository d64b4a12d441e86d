package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/partner"
)

// Partners returns the database as a partner.Store. Like Intel, the
// methods live on a small view so their names stay free for other parts.
func (db *DB) Partners() partner.Store { return partnerDB{partnerView{&db.ops}, db} }

type partnerView struct{ o *ops }

type partnerDB struct {
	partnerView
	db *DB
}

type partnerTx struct {
	partnerView
	tx *Tx
}

// Transact implements partner.Store.
func (p partnerDB) Transact(ctx context.Context, fn func(partner.Tx) error) error {
	return p.db.TransactSQL(ctx, func(tx *Tx) error { return fn(partnerTx{partnerView{&tx.ops}, tx}) })
}

// MaxIntelSeq implements partner.Store.
func (p partnerDB) MaxIntelSeq(ctx context.Context) (int64, error) {
	var n sql.NullInt64
	if err := p.o.queryRow(ctx, `SELECT MAX(seq) FROM intel_objects`).Scan(&n); err != nil {
		return 0, p.o.mapErr(err, "max intel seq")
	}
	return n.Int64, nil
}

// AppendAudit implements audit.Appender.
func (t partnerTx) AppendAudit(ctx context.Context, r *audit.Record) error {
	return t.tx.AppendAudit(ctx, r)
}

// partnerDoc is what the doc column holds: the registry fields.
type partnerDoc struct {
	partner.Partner
	State *struct{} `json:"state,omitempty"` // kept in columns
}

const partnerCols = `id, slug, org_id, doc, secret, pull_after, push_seq, failures, last_attempt, last_success, last_error, created_at, updated_at`

func scanPartner(sc interface{ Scan(...any) error }) (partner.Partner, error) {
	var p partner.Partner
	var doc string
	var secret []byte
	var pull, attempt, success, created, updated int64
	var st partner.State
	err := sc.Scan(&p.ID, &p.Slug, &p.OrgID, &doc, &secret, &pull, &st.PushSeq, &st.Failures, &attempt, &success, &st.LastError, &created, &updated)
	if err != nil {
		return p, err
	}
	if err := json.Unmarshal([]byte(doc), &p); err != nil {
		return p, errs.Wrap(err, "partner doc")
	}
	st.PullAfter, st.LastAttempt, st.LastSuccess = fromMicros0(pull), fromMicros0(attempt), fromMicros0(success)
	p.State, p.Sealed, p.HasSecret = st, secret, len(secret) > 0
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return p, nil
}

func fromMicros0(us int64) time.Time {
	if us == 0 {
		return time.Time{}
	}
	return fromMicros(us)
}

func micros0(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return micros(t)
}

func docOf(p partner.Partner) (string, error) {
	p.State = partner.State{}
	b, err := json.Marshal(partnerDoc{Partner: p})
	return string(b), err
}

// Partners implements partner.Reader, by handle.
func (v partnerView) Partners(ctx context.Context) ([]partner.Partner, error) {
	rows, err := v.o.query(ctx, `SELECT `+partnerCols+` FROM partners ORDER BY slug`)
	if err != nil {
		return nil, v.o.mapErr(err, "partners")
	}
	defer rows.Close()
	out := []partner.Partner{}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, v.o.mapErr(err, "partners")
		}
		out = append(out, p)
	}
	return out, v.o.mapErr(rows.Err(), "partners")
}

func (v partnerView) one(ctx context.Context, where string, arg any) (partner.Partner, error) {
	p, err := scanPartner(v.o.queryRow(ctx, `SELECT `+partnerCols+` FROM partners WHERE `+where+` = ?`, arg))
	if err != nil {
		err = v.o.mapErr(err, "partner")
		if errs.Is(err, errs.NotFound) {
			return p, errs.E(errs.NotFound, "no such partner")
		}
	}
	return p, err
}

// Partner implements partner.Reader.
func (v partnerView) Partner(ctx context.Context, id string) (partner.Partner, error) {
	return v.one(ctx, "id", id)
}

// PartnerBySlug implements partner.Reader.
func (v partnerView) PartnerBySlug(ctx context.Context, slug string) (partner.Partner, error) {
	return v.one(ctx, "slug", slug)
}

// Exchanges implements partner.Reader.
func (v partnerView) Exchanges(ctx context.Context, partnerID string, limit int) ([]partner.Exchange, error) {
	rows, err := v.o.query(ctx, `SELECT id, partner_id, at, direction, objects_in, objects_out, failed, error, duration_us
		FROM partner_exchanges WHERE partner_id = ? ORDER BY id DESC LIMIT ?`, partnerID, limit)
	if err != nil {
		return nil, v.o.mapErr(err, "exchanges")
	}
	defer rows.Close()
	out := []partner.Exchange{}
	for rows.Next() {
		var e partner.Exchange
		var at, dur int64
		if err := rows.Scan(&e.ID, &e.PartnerID, &at, &e.Direction, &e.ObjectsIn, &e.ObjectsOut, &e.Failed, &e.Error, &dur); err != nil {
			return nil, v.o.mapErr(err, "exchanges")
		}
		e.At, e.Duration = fromMicros(at), time.Duration(dur)*time.Microsecond
		out = append(out, e)
	}
	return out, v.o.mapErr(rows.Err(), "exchanges")
}

// CreatePartner implements partner.Tx.
func (t partnerTx) CreatePartner(ctx context.Context, p partner.Partner) error {
	doc, err := docOf(p)
	if err != nil {
		return errs.Wrap(err, "partner doc")
	}
	_, err = t.o.exec(ctx, `INSERT INTO partners (id, slug, org_id, doc, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Slug, p.OrgID, doc, p.Sealed, micros(p.CreatedAt), micros(p.UpdatedAt))
	if err != nil && isUnique(t.o.d, err) {
		return errs.F(errs.Conflict, "slug", "a partner %q exists", p.Slug)
	}
	return t.o.mapErr(err, "create partner")
}

// UpdatePartner implements partner.Tx.
func (t partnerTx) UpdatePartner(ctx context.Context, p partner.Partner) error {
	doc, err := docOf(p)
	if err != nil {
		return errs.Wrap(err, "partner doc")
	}
	res, err := t.o.exec(ctx, `UPDATE partners SET slug = ?, org_id = ?, doc = ?, secret = ?, updated_at = ? WHERE id = ?`,
		p.Slug, p.OrgID, doc, p.Sealed, micros(p.UpdatedAt), p.ID)
	if err != nil && isUnique(t.o.d, err) {
		return errs.F(errs.Conflict, "slug", "a partner %q exists", p.Slug)
	}
	if err != nil {
		return t.o.mapErr(err, "update partner")
	}
	return mustAffect(res, "partner")
}

// DeletePartner implements partner.Tx.
func (t partnerTx) DeletePartner(ctx context.Context, id string) error {
	if _, err := t.o.exec(ctx, `DELETE FROM partner_exchanges WHERE partner_id = ?`, id); err != nil {
		return t.o.mapErr(err, "delete exchanges")
	}
	res, err := t.o.exec(ctx, `DELETE FROM partners WHERE id = ?`, id)
	if err != nil {
		return t.o.mapErr(err, "delete partner")
	}
	return mustAffect(res, "partner")
}

// SavePartnerState implements partner.Tx.
func (t partnerTx) SavePartnerState(ctx context.Context, id string, st partner.State) error {
	res, err := t.o.exec(ctx, `UPDATE partners SET pull_after = ?, push_seq = ?, failures = ?, last_attempt = ?, last_success = ?, last_error = ? WHERE id = ?`,
		micros0(st.PullAfter), st.PushSeq, st.Failures, micros0(st.LastAttempt), micros0(st.LastSuccess), st.LastError, id)
	if err != nil {
		return t.o.mapErr(err, "partner state")
	}
	return mustAffect(res, "partner")
}

// AddExchange implements partner.Tx.
func (t partnerTx) AddExchange(ctx context.Context, e partner.Exchange) error {
	_, err := t.o.exec(ctx, `INSERT INTO partner_exchanges (partner_id, at, direction, objects_in, objects_out, failed, error, duration_us)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.PartnerID, micros(e.At), string(e.Direction), e.ObjectsIn, e.ObjectsOut, e.Failed, e.Error, e.Duration.Microseconds())
	return t.o.mapErr(err, "add exchange")
}

// PruneExchanges implements partner.Tx.
func (t partnerTx) PruneExchanges(ctx context.Context, partnerID string, before time.Time) error {
	_, err := t.o.exec(ctx, `DELETE FROM partner_exchanges WHERE partner_id = ? AND at < ?`, partnerID, micros(before))
	return t.o.mapErr(err, "prune exchanges")
}
