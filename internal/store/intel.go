package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Intel returns the database as an intel.Store. The intel methods live on
// small views (intelView) rather than on DB and Tx, so that their generic
// names (List, Latest) stay free for the other parts.
func (db *DB) Intel() intel.Store { return intelDB{intelView{&db.ops}, db} }

type intelView struct{ o *ops }

type intelDB struct {
	intelView
	db *DB
}

type intelTx struct {
	intelView
	tx    *Tx
	added *int // objects PutNew wrote in this transaction
}

// Transact implements intel.Store. After a transaction that took the
// intel tables well past what the planner last measured (a bulk import),
// PostgreSQL's statistics are refreshed: its plan for the de-duplication
// reads turns into a scan of the whole table when it believes the tables
// are empty, and autovacuum (when it runs at all) comes too late for an
// import that started on an empty hub.
func (i intelDB) Transact(ctx context.Context, fn func(intel.Tx) error) error {
	var added int
	err := i.db.TransactSQL(ctx, func(tx *Tx) error {
		added = 0
		return fn(intelTx{intelView{&tx.ops}, tx, &added})
	})
	if err == nil && added > 0 && i.db.d.Name() == "postgres" && i.db.grown.add(added) {
		if _, aerr := i.db.write.ExecContext(ctx, "ANALYZE intel_objects, intel_values"); aerr != nil {
			i.db.log.Warn("refreshing the planner's statistics of the intel tables", "err", aerr)
		}
	}
	return err
}

// statsDebt counts rows written since the last ANALYZE: add reports when
// they reach the larger of 50,000 and the table size then (so a table
// growing by a bulk load is measured at 50k, 100k, 200k, … rows: a
// handful of ANALYZEs of about a tenth of a second each).
type statsDebt struct {
	mu          sync.Mutex
	since, size int
}

func (s *statsDebt) add(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.since += n
	if s.since < max(50_000, s.size) {
		return false
	}
	s.size += s.since
	s.since = 0
	return true
}

// AppendAudit implements audit.Appender.
func (t intelTx) AppendAudit(ctx context.Context, r *audit.Record) error {
	return t.tx.AppendAudit(ctx, r)
}

// PutVersion implements intel.Tx.
func (t intelTx) PutVersion(ctx context.Context, obj intel.Object) error {
	return t.o.intelPut(ctx, obj)
}

// Latest implements intel.Reader.
func (v intelView) Latest(ctx context.Context, id string) (intel.Object, error) {
	return v.o.intelLatest(ctx, id)
}

// Versions implements intel.Reader.
func (v intelView) Versions(ctx context.Context, id string) ([]intel.Object, error) {
	return v.o.intelVersions(ctx, id)
}

// Version implements intel.Reader.
func (v intelView) Version(ctx context.Context, id string, t time.Time) (intel.Object, error) {
	return v.o.intelVersion(ctx, id, t)
}

// List implements intel.Reader.
func (v intelView) List(ctx context.Context, f intel.Filter) ([]intel.Stored, error) {
	return v.o.intelList(ctx, f)
}

// ByKeys implements intel.Reader.
func (v intelView) ByKeys(ctx context.Context, kind string, keys []string, lo, hi string, limit int) ([]intel.Object, error) {
	return v.o.intelByKeys(ctx, kind, keys, lo, hi, limit)
}

var (
	_ intel.Tx          = intelTx{}
	_ intel.Snapshotter = intelDB{}
)

// Snapshot implements intel.Snapshotter: one read-only transaction on the
// read pool (repeatable read on PostgreSQL, a WAL snapshot on SQLite).
func (i intelDB) Snapshot(ctx context.Context, fn func(seq int64, l intel.Lookup) error) error {
	stx, err := i.db.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	if err != nil {
		return errs.Wrap(err, "begin snapshot")
	}
	defer stx.Rollback()
	v := intelView{&ops{q: stx, d: i.db.d}}
	var seq int64
	if err := v.o.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM intel_objects`).Scan(&seq); err != nil {
		return v.o.mapErr(err, "snapshot")
	}
	return fn(seq, v)
}

// MaxSeq implements intel.Tx. It takes the writers' sequence lock first, so
// that no other writer's versions appear after it in this transaction.
func (t intelTx) MaxSeq(ctx context.Context) (int64, error) {
	if err := t.o.serialize(ctx); err != nil {
		return 0, err
	}
	var seq int64
	err := t.o.queryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM intel_objects`).Scan(&seq)
	return seq, t.o.mapErr(err, "max seq")
}

// CountAfter implements intel.Tx.
func (t intelTx) CountAfter(ctx context.Context, seq int64, limit int) (int, error) {
	var n int
	err := t.o.queryRow(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM intel_objects WHERE seq > ? LIMIT ?) t`, seq, limit).Scan(&n)
	return n, t.o.mapErr(err, "count after")
}

const intelCols = `seq, id, modified, type, created, revoked, latest, added_at, source, raw, tlp, author_org, author_user,
	anonymous, communities, orgs, users, compartments, valid_from, valid_until, confidence, vals`

// encodeValues is the inline form of an object's values (the vals column):
// a JSON array of [kind, key, value] triples.
// It writes what json.Marshal of [][3]string writes, without reflection:
// an import encodes one per row on the one writer.
func encodeValues(vs []intel.Value) string {
	if len(vs) == 0 {
		return "[]"
	}
	b := make([]byte, 0, 64*len(vs))
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendJSONString(b, v.Kind)
		b = append(b, ',')
		b = appendJSONString(b, v.Key)
		b = append(b, ',')
		b = appendJSONString(b, v.Value)
		b = append(b, ']')
	}
	return string(append(b, ']'))
}

// appendJSONString appends s as encoding/json writes a string: as is when
// it holds printable ASCII that needs no escape, else through json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// decodeValues reads the vals column.
func decodeValues(s string) ([]intel.Value, error) {
	if s == "" || s == "[]" {
		return nil, nil
	}
	var t [][3]string
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return nil, errs.Wrap(err, "intel values")
	}
	out := make([]intel.Value, len(t))
	for i, x := range t {
		out[i] = intel.Value{Kind: x[0], Key: x[1], Value: x[2]}
	}
	return out, nil
}

func scanIntel(sc interface{ Scan(...any) error }) (intel.Stored, error) {
	var s intel.Stored
	o := &s.Object
	var mod, created, added int64
	var raw, tlp, comms, orgs, users, comps, vals string
	var from, until sql.NullInt64
	err := sc.Scan(&s.Seq, &o.ID, &mod, &o.Type, &created, &o.Revoked, &o.Latest, &added, &o.Source, &raw, &tlp,
		&o.Dist.AuthorOrg, &o.Dist.AuthorUser, &o.Anonymous, &comms, &orgs, &users, &comps, &from, &until, &o.Confidence, &vals)
	if err != nil {
		return s, err
	}
	if o.Latest { // only the latest version is indexed by its values
		if o.Values, err = decodeValues(vals); err != nil {
			return s, err
		}
	}
	o.Modified, o.AddedAt, o.Raw = fromMicros(mod), fromMicros(added), json.RawMessage(raw)
	if created != 0 {
		o.Created = fromMicros(created)
	}
	o.Dist.TLP = policy.TLP(tlp)
	o.TLP = o.Dist.TLP
	for _, f := range []struct {
		s   string
		dst *[]string
	}{{comms, &o.Dist.Communities}, {orgs, &o.Dist.Orgs}, {users, &o.Dist.Users}, {comps, &o.Dist.Compartments}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return s, errs.Wrap(err, "intel distribution")
		}
	}
	o.ValidFrom, o.ValidUntil = fromNullMicros(from), fromNullMicros(until)
	return s, nil
}

func (o *ops) intelObjects(ctx context.Context, q string, args ...any) ([]intel.Stored, error) {
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.mapErr(err, "intel query")
	}
	defer rows.Close()
	var out []intel.Stored
	for rows.Next() {
		s, err := scanIntel(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan intel")
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, o.mapErr(err, "intel query")
	}
	return out, nil
}

func placeholders(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func plain(ss []intel.Stored) []intel.Object {
	out := make([]intel.Object, len(ss))
	for i, s := range ss {
		out[i] = s.Object
	}
	return out
}

// intelLatest reads for intel.Reader.
func (o *ops) intelLatest(ctx context.Context, id string) (intel.Object, error) {
	ss, err := o.intelObjects(ctx, `SELECT `+intelCols+` FROM intel_objects WHERE id = ? AND latest = ?`, id, true)
	if err != nil {
		return intel.Object{}, err
	}
	if len(ss) == 0 {
		return intel.Object{}, errs.E(errs.NotFound, "no such object")
	}
	return ss[0].Object, nil
}

// intelVersions reads for intel.Reader.
func (o *ops) intelVersions(ctx context.Context, id string) ([]intel.Object, error) {
	ss, err := o.intelObjects(ctx, `SELECT `+intelCols+` FROM intel_objects WHERE id = ? ORDER BY modified`, id)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, errs.E(errs.NotFound, "no such object")
	}
	return plain(ss), nil
}

// intelVersion reads for intel.Reader.
func (o *ops) intelVersion(ctx context.Context, id string, t time.Time) (intel.Object, error) {
	ss, err := o.intelObjects(ctx, `SELECT `+intelCols+` FROM intel_objects WHERE id = ? AND modified = ?`, id, micros(t))
	if err != nil {
		return intel.Object{}, err
	}
	if len(ss) == 0 {
		return intel.Object{}, errs.E(errs.NotFound, "no such version")
	}
	return ss[0].Object, nil
}

// intelList reads for intel.Reader.
func (o *ops) intelList(ctx context.Context, f intel.Filter) ([]intel.Stored, error) {
	q := `SELECT ` + intelCols + ` FROM intel_objects WHERE seq > ?`
	args := []any{f.AfterSeq}
	if v := f.Versions; v.Zero() {
		q += ` AND latest = ?`
		args = append(args, true)
	} else if !v.All {
		var or []string
		if v.Last {
			or = append(or, `latest = ?`)
			args = append(args, true)
		}
		if v.First {
			or = append(or, `NOT EXISTS (SELECT 1 FROM intel_objects e WHERE e.id = intel_objects.id AND e.modified < intel_objects.modified)`)
		}
		if len(v.At) > 0 {
			or = append(or, `modified IN (`+placeholders(len(v.At))+`)`)
			for _, t := range v.At {
				args = append(args, micros(t))
			}
		}
		q += ` AND (` + strings.Join(or, ` OR `) + `)`
	}
	if len(f.Types) > 0 {
		q += ` AND type IN (` + placeholders(len(f.Types)) + `)`
		for _, t := range f.Types {
			args = append(args, t)
		}
	}
	if len(f.IDs) > 0 {
		q += ` AND id IN (` + placeholders(len(f.IDs)) + `)`
		for _, id := range f.IDs {
			args = append(args, id)
		}
	}
	if f.Org != "" {
		q += ` AND orgs LIKE ? ESCAPE '\'`
		args = append(args, `%"`+escapeLike(f.Org)+`"%`)
	}
	if f.AuthorOrg != "" {
		q += ` AND author_org = ?`
		args = append(args, f.AuthorOrg)
	}
	if f.TLP != "" {
		q += ` AND tlp = ?`
		args = append(args, string(f.TLP))
	}
	if f.Source != "" {
		q += ` AND source = ?`
		args = append(args, f.Source)
	}
	if f.Community != "" {
		q += ` AND communities LIKE ? ESCAPE '\'`
		args = append(args, `%"`+escapeLike(f.Community)+`"%`)
	}
	if !f.AddedAfter.IsZero() {
		// date_added never decreases in store order (addedFloor): start
		// at the first row added after the time instead of scanning to it
		// (one lower bound on seq, so that the planner seeks to it; the
		// unary plus keeps it off the added_at index for the page itself).
		var first int64
		err := o.queryRow(ctx, `SELECT seq FROM intel_objects WHERE added_at > ? ORDER BY added_at, seq LIMIT 1`, micros(f.AddedAfter)).Scan(&first)
		if err == sql.ErrNoRows {
			return []intel.Stored{}, nil
		} else if err != nil {
			return nil, o.mapErr(err, "added_after")
		}
		args[0] = max(f.AfterSeq, first-1)
		q += ` AND +added_at > ?`
		args = append(args, micros(f.AddedAfter))
	}
	if f.Revoked != nil {
		q += ` AND revoked = ?`
		args = append(args, *f.Revoked)
	}
	q += ` ORDER BY seq LIMIT ?`
	args = append(args, f.PageLimit())
	out, err := o.intelObjects(ctx, q, args...)
	if out == nil {
		out = []intel.Stored{}
	}
	return out, err
}

// intelByKeys reads for intel.Reader.
func (o *ops) intelByKeys(ctx context.Context, kind string, keys []string, lo, hi string, limit int) ([]intel.Object, error) {
	q := `SELECT DISTINCT object_id FROM intel_values WHERE kind = ?`
	args := []any{kind}
	if len(keys) > 0 {
		q += ` AND key IN (` + placeholders(len(keys)) + `)`
		for _, k := range keys {
			args = append(args, k)
		}
	} else {
		q += ` AND key >= ? AND key <= ?`
		args = append(args, lo, hi)
	}
	q += ` LIMIT ?`
	args = append(args, limit)
	ids, err := o.strings(ctx, q, args...)
	if err != nil || len(ids) == 0 {
		return []intel.Object{}, err
	}
	idArgs := []any{true}
	for _, id := range ids {
		idArgs = append(idArgs, id)
	}
	ss, err := o.intelObjects(ctx, `SELECT `+intelCols+` FROM intel_objects WHERE latest = ? AND id IN (`+placeholders(len(ids))+`)`, idArgs...)
	return plain(ss), err
}

func jsonList(s []string) string {
	if s == nil {
		s = []string{}
	}
	b, _ := json.Marshal(s)
	return string(b)
}

// intelPut writes for intel.Tx.
func (o *ops) intelPut(ctx context.Context, obj intel.Object) error {
	if err := o.serialize(ctx); err != nil {
		return err
	}
	var cur sql.NullInt64
	var curVals sql.NullString
	err := o.queryRow(ctx, `SELECT modified, vals FROM intel_objects WHERE id = ? AND latest = ?`, obj.ID, true).Scan(&cur, &curVals)
	if err != nil && err != sql.ErrNoRows {
		return o.mapErr(err, "current version")
	}
	latest := !cur.Valid || micros(obj.Modified) > cur.Int64
	if latest && cur.Valid {
		if _, err := o.exec(ctx, `UPDATE intel_objects SET latest = ? WHERE id = ? AND latest = ?`, false, obj.ID, true); err != nil {
			return o.mapErr(err, "demote version")
		}
	}
	var created int64
	if !obj.Created.IsZero() {
		created = micros(obj.Created)
	}
	floor, err := o.addedFloor(ctx)
	if err != nil {
		return err
	}
	added := max(micros(obj.AddedAt), floor)
	d := obj.Dist
	_, err = o.exec(ctx, `INSERT INTO intel_objects (id, modified, type, created, revoked, latest, added_at, source, raw, tlp,
		author_org, author_user, anonymous, communities, orgs, users, compartments, valid_from, valid_until, confidence, vals)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		obj.ID, micros(obj.Modified), obj.Type, created, obj.Revoked, latest, added, obj.Source, string(obj.Raw),
		string(d.TLP), d.AuthorOrg, d.AuthorUser, obj.Anonymous, jsonList(d.Communities), jsonList(d.Orgs), jsonList(d.Users),
		jsonList(d.Compartments), nullMicros(obj.ValidFrom), nullMicros(obj.ValidUntil), obj.Confidence, encodeValues(obj.Values))
	if err != nil {
		err = o.mapErr(err, "put version")
		if errs.Is(err, errs.Conflict) {
			return errs.F(errs.Conflict, "modified", "this version of %s is already stored", obj.ID)
		}
		return err
	}
	if !latest {
		return nil
	}
	old, err := decodeValues(curVals.String)
	if err != nil {
		return err
	}
	for _, v := range old {
		if _, err := o.exec(ctx, `DELETE FROM intel_values WHERE kind = ? AND key = ? AND object_id = ?`, v.Kind, v.Key, obj.ID); err != nil {
			return o.mapErr(err, "clear values")
		}
	}
	for _, v := range obj.Values {
		if _, err := o.exec(ctx, `INSERT INTO intel_values (kind, key, object_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			v.Kind, v.Key, obj.ID); err != nil {
			return o.mapErr(err, "add value")
		}
	}
	return nil
}

// LatestMeta implements intel.Lookup.
func (t intelView) LatestMeta(ctx context.Context, ids []string) (map[string]intel.Meta, error) {
	out := map[string]intel.Meta{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := []any{true}
		for _, id := range chunk {
			args = append(args, id)
		}
		rows, err := t.o.query(ctx, `SELECT source, raw, vals, id, modified, tlp, author_org, author_user, communities, orgs, users,
			compartments FROM intel_objects WHERE latest = ? AND id IN (`+placeholders(len(chunk))+`)`, args...)
		if err != nil {
			return nil, t.o.mapErr(err, "intel meta")
		}
		for rows.Next() {
			var source, raw, vals string
			m, err := scanMeta(rows, &source, &raw, &vals)
			if err != nil {
				rows.Close()
				return nil, t.o.mapErr(err, "scan meta")
			}
			m.Source, m.Raw = source, json.RawMessage(raw)
			if m.Values, err = decodeValues(vals); err != nil {
				rows.Close()
				return nil, err
			}
			out[m.ID] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, t.o.mapErr(err, "intel meta")
		}
	}
	return out, nil
}

// ValueOwners implements intel.Lookup.
// The rows come preferred last, so the last one per key wins.
func (t intelView) ValueOwners(ctx context.Context, kind string, keys []string, source, org string) (map[string]intel.Meta, error) {
	out := map[string]intel.Meta{}
	for start := 0; start < len(keys); start += 500 {
		chunk := keys[start:min(start+500, len(keys))]
		args := []any{kind, true}
		for _, k := range chunk {
			args = append(args, k)
		}
		args = append(args, source, org)
		rows, err := t.o.query(ctx, `SELECT v.key, o.source, o.raw, o.vals, o.id, o.modified, o.tlp, o.author_org, o.author_user,
			o.communities, o.orgs, o.users, o.compartments FROM intel_values v JOIN intel_objects o ON o.id = v.object_id
			WHERE v.kind = ? AND o.latest = ? AND v.key IN (`+placeholders(len(chunk))+`)
			ORDER BY (o.source = ? AND o.author_org = ?), o.seq`, args...)
		if err != nil {
			return nil, t.o.mapErr(err, "value owners")
		}
		for rows.Next() {
			var key, source, raw, vals string
			m, err := scanMeta(rows, &key, &source, &raw, &vals)
			if err != nil {
				rows.Close()
				return nil, t.o.mapErr(err, "scan owner")
			}
			m.Source, m.Raw = source, json.RawMessage(raw)
			if m.Values, err = decodeValues(vals); err != nil {
				rows.Close()
				return nil, err
			}
			out[key] = m
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, t.o.mapErr(err, "value owners")
		}
	}
	return out, nil
}

func scanMeta(sc interface{ Scan(...any) error }, lead ...any) (intel.Meta, error) {
	var m intel.Meta
	var mod int64
	var tlp, comms, orgs, users, comps string
	dst := append(lead, &m.ID, &mod, &tlp, &m.Dist.AuthorOrg, &m.Dist.AuthorUser, &comms, &orgs, &users, &comps)
	if err := sc.Scan(dst...); err != nil {
		return m, err
	}
	m.Modified, m.Dist.TLP = fromMicros(mod), policy.TLP(tlp)
	for _, f := range []struct {
		s   string
		dst *[]string
	}{{comms, &m.Dist.Communities}, {orgs, &m.Dist.Orgs}, {users, &m.Dist.Users}, {comps, &m.Dist.Compartments}} {
		if err := json.Unmarshal([]byte(f.s), f.dst); err != nil {
			return m, errs.Wrap(err, "intel distribution")
		}
	}
	return m, nil
}

// PutNew implements intel.Tx: the bulk path of imports, with multi-row
// INSERT statements of up to 100 objects (and 200 values) each, which
// SQLite executes several times faster than one statement per row. The
// full-size statements are prepared once per call: parsing a 2,000-
// parameter statement costs as much as running it.
func (t intelTx) PutNew(ctx context.Context, objs []intel.Object) error {
	if len(objs) == 0 {
		return nil
	}
	if t.added != nil {
		*t.added += len(objs)
	}
	if err := t.o.serialize(ctx); err != nil {
		return err
	}
	const objRows, valRows = 100, 300
	const nObj, nVal = 21, 3 // columns
	const objCols = `(id, modified, type, created, revoked, latest, added_at, source, raw, tlp, author_org, author_user,
		anonymous, communities, orgs, users, compartments, valid_from, valid_until, confidence, vals)`
	// Both inserts skip conflicting rows rather than abort: a multi-row
	// statement that may abort makes SQLite keep a statement journal, a copy
	// of every page it changes. An id that exists shows as a short count.
	ins, ignore := `INSERT OR IGNORE INTO `, ``
	if t.o.d.Name() != "sqlite" {
		ins, ignore = `INSERT INTO `, ` ON CONFLICT DO NOTHING`
	}
	insObjs := func(n int) string { return ins + `intel_objects ` + objCols + ` VALUES ` + rowsOf(n, nObj) + ignore }
	insVals := func(n int) string {
		return ins + `intel_values (kind, key, object_id) VALUES ` + rowsOf(n, nVal) + ignore
	}
	// Full chunks all have the same statement: prepared once (Tx.execS);
	// the shorter last chunk is sent as it is.
	exec := func(n, size int, q func(int) string, args []any) (int64, error) {
		var res sql.Result
		var err error
		if n < size {
			res, err = t.o.exec(ctx, q(n), args...)
		} else {
			res, err = t.tx.execS(ctx, q(size), args...)
		}
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	type valRow struct{ kind, key, id string }
	var rows []valRow
	for _, obj := range objs {
		for _, v := range obj.Values {
			rows = append(rows, valRow{v.Kind, v.Key, obj.ID})
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].kind != rows[j].kind {
			return rows[i].kind < rows[j].kind
		}
		return rows[i].key < rows[j].key
	})
	var vals []any
	flushVals := func() error {
		if len(vals) == 0 {
			return nil
		}
		_, err := exec(len(vals)/nVal, valRows, insVals, vals)
		vals = vals[:0]
		return t.o.mapErr(err, "insert values")
	}
	floor, err := t.o.addedFloor(ctx)
	if err != nil {
		return err
	}
	// An import shares all its objects alike: encode each list once.
	var comms, orgs, users, comps memoList
	args := make([]any, 0, objRows*nObj)
	for start := 0; start < len(objs); start += objRows {
		chunk := objs[start:min(start+objRows, len(objs))]
		args = args[:0]
		for _, obj := range chunk {
			var created int64
			if !obj.Created.IsZero() {
				created = micros(obj.Created)
			}
			d := obj.Dist
			floor = max(floor, micros(obj.AddedAt))
			args = append(args, obj.ID, micros(obj.Modified), obj.Type, created, obj.Revoked, true, floor,
				obj.Source, string(obj.Raw), string(d.TLP), d.AuthorOrg, d.AuthorUser, obj.Anonymous, comms.json(d.Communities),
				orgs.json(d.Orgs), users.json(d.Users), comps.json(d.Compartments), nullMicros(obj.ValidFrom), nullMicros(obj.ValidUntil),
				obj.Confidence, encodeValues(obj.Values))
		}
		n, err := exec(len(chunk), objRows, insObjs, args)
		if err != nil {
			return t.o.mapErr(err, "insert objects")
		}
		if n != int64(len(chunk)) {
			return errs.E(errs.Conflict, "%d of %d objects are stored already", int64(len(chunk))-n, len(chunk))
		}
	}
	for _, r := range rows {
		vals = append(vals, r.kind, r.key, r.id)
		if len(vals) == valRows*nVal {
			if err := flushVals(); err != nil {
				return err
			}
		}
	}
	return flushVals()
}

// memoList is jsonList remembering its last answer.
type memoList struct {
	in  []string
	out string
	ok  bool
}

func (m *memoList) json(s []string) string {
	if !m.ok || !slices.Equal(m.in, s) {
		m.in, m.out, m.ok = s, jsonList(s), true
	}
	return m.out
}

// rowsOf returns n parenthesised groups of cols placeholders.
func rowsOf(n, cols int) string {
	row := "(" + placeholders(cols) + ")"
	var b strings.Builder
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// addedFloor is the date_added of the latest stored row (0 when none): a
// write stamps its rows with at least this, so that date_added never
// decreases in store order, which TAXII's added_after relies on. It runs
// after serialize, under the sequence lock.
func (o *ops) addedFloor(ctx context.Context) (int64, error) {
	var last int64
	err := o.queryRow(ctx, `SELECT added_at FROM intel_objects ORDER BY seq DESC LIMIT 1`).Scan(&last)
	if err == sql.ErrNoRows {
		return 0, nil
	}
	return last, o.mapErr(err, "latest date added")
}
