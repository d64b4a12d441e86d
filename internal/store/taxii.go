package store

import (
	"context"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// PutTAXIIStatus stores the status resource of a TAXII POST: body is the
// resource as served, orgID the organisation that posted and alone may
// read it. An id that exists is errs.Conflict.
func (db *DB) PutTAXIIStatus(ctx context.Context, id, orgID, userID string, at time.Time, body []byte) error {
	return db.TransactSQL(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO taxii_status (id, org_id, user_id, created_at, body) VALUES (?, ?, ?, ?, ?)`,
			id, orgID, userID, micros(at), string(body))
		return tx.mapErr(err, "put taxii status")
	})
}

// TAXIIStatus returns a stored status resource and the organisation that
// posted it; errs.NotFound when there is none.
func (db *DB) TAXIIStatus(ctx context.Context, id string) (orgID string, body []byte, err error) {
	var b string
	err = db.queryRow(ctx, `SELECT org_id, body FROM taxii_status WHERE id = ?`, id).Scan(&orgID, &b)
	if err != nil {
		err = db.mapErr(err, "taxii status")
		if errs.Is(err, errs.NotFound) {
			return "", nil, errs.E(errs.NotFound, "no such status")
		}
		return "", nil, err
	}
	return orgID, []byte(b), nil
}
