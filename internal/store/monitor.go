package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
)

// Monitor is the monitoring store (monitor.Store) on a DB.
type Monitor struct{ db *DB }

// Monitor returns the monitoring store.
func (db *DB) Monitor() *Monitor { return &Monitor{db: db} }

var _ monitor.Store = (*Monitor)(nil)

// CreateSensor implements monitor.Store.
func (m *Monitor) CreateSensor(ctx context.Context, s monitor.Sensor, tokenHash string, rec *audit.Record) error {
	mapping := ""
	if s.Mapping != nil {
		b, _ := json.Marshal(s.Mapping)
		mapping = string(b)
	}
	return m.db.TransactSQL(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `INSERT INTO monitor_sensors (id, org_id, name, kind, location, format, mapping, sources, token_hash, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, s.ID, s.OrgID, s.Name, s.Kind, s.Location, string(s.Format), mapping,
			strings.Join(s.Sources, ","), tokenHash, micros(s.CreatedAt))
		if err != nil {
			return tx.mapErr(err, "create sensor")
		}
		return tx.AppendAudit(ctx, rec)
	})
}

const sensorCols = `id, org_id, name, kind, location, format, mapping, sources, disabled, created_at, events, rejected, reasons,
	last_event_at, last_error, last_error_at`

func scanSensor(sc interface{ Scan(...any) error }) (monitor.Sensor, error) {
	var s monitor.Sensor
	var format, mapping, sources, reasons string
	var created int64
	var lastEvent, lastErr sql.NullInt64
	err := sc.Scan(&s.ID, &s.OrgID, &s.Name, &s.Kind, &s.Location, &format, &mapping, &sources, &s.Disabled, &created,
		&s.Health.Events, &s.Health.Rejected, &reasons, &lastEvent, &s.Health.LastError, &lastErr)
	if err != nil {
		return s, err
	}
	s.Format = parse.Format(format)
	if sources != "" {
		s.Sources = strings.Split(sources, ",")
	}
	if mapping != "" {
		var mp parse.Mapping
		if json.Unmarshal([]byte(mapping), &mp) == nil {
			s.Mapping = &mp
		}
	}
	s.CreatedAt = fromMicros(created)
	json.Unmarshal([]byte(reasons), &s.Health.Reasons)
	if len(s.Health.Reasons) == 0 {
		s.Health.Reasons = nil
	}
	s.Health.LastEventAt, s.Health.LastErrorAt = fromNullMicros(lastEvent), fromNullMicros(lastErr)
	return s, nil
}

// Sensor implements monitor.Store.
func (m *Monitor) Sensor(ctx context.Context, id string) (monitor.Sensor, error) {
	s, err := scanSensor(m.db.queryRow(ctx, `SELECT `+sensorCols+` FROM monitor_sensors WHERE id = ?`, id))
	if err != nil {
		err = m.db.mapErr(err, "sensor")
		if errs.Is(err, errs.NotFound) {
			return s, errs.E(errs.NotFound, "no such sensor")
		}
	}
	return s, err
}

// SensorByToken implements monitor.Store.
func (m *Monitor) SensorByToken(ctx context.Context, hash string) (monitor.Sensor, error) {
	s, err := scanSensor(m.db.queryRow(ctx, `SELECT `+sensorCols+` FROM monitor_sensors WHERE token_hash = ?`, hash))
	if err != nil {
		err = m.db.mapErr(err, "sensor by token")
		if errs.Is(err, errs.NotFound) {
			return s, errs.E(errs.NotFound, "no such sensor")
		}
	}
	return s, err
}

// inList returns " AND col IN (?, …)" and its arguments; nil ids add
// nothing.
func inList(col string, ids []string) (string, []any) {
	if ids == nil {
		return "", nil
	}
	if len(ids) == 0 {
		return " AND 1 = 0", nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return " AND " + col + " IN (?" + strings.Repeat(", ?", len(ids)-1) + ")", args
}

// Sensors implements monitor.Store.
func (m *Monitor) Sensors(ctx context.Context, orgIDs []string, now time.Time) ([]monitor.Sensor, error) {
	cond, args := inList("org_id", orgIDs)
	rows, err := m.db.query(ctx, `SELECT `+sensorCols+` FROM monitor_sensors WHERE 1 = 1`+cond+` ORDER BY org_id, name`, args...)
	if err != nil {
		return nil, m.db.mapErr(err, "sensors")
	}
	var out []monitor.Sensor
	for rows.Next() {
		s, err := scanSensor(rows)
		if err != nil {
			rows.Close()
			return nil, m.db.mapErr(err, "sensors")
		}
		out = append(out, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, m.db.mapErr(err, "sensors")
	}
	for i := range out {
		var n sql.NullInt64
		if err := m.db.queryRow(ctx, `SELECT SUM(events) FROM monitor_batches WHERE sensor_id = ? AND processed_at >= ?`,
			out[i].ID, micros(now.Add(-time.Minute))).Scan(&n); err != nil {
			return nil, m.db.mapErr(err, "sensor rate")
		}
		out[i].Health.EventsPerSec = float64(n.Int64) / 60
	}
	return out, nil
}

// BatchSeen implements monitor.Store.
func (m *Monitor) BatchSeen(ctx context.Context, batchID string) (bool, error) {
	var one int
	err := m.db.queryRow(ctx, `SELECT 1 FROM monitor_batches WHERE id = ?`, batchID).Scan(&one)
	if err = m.db.mapErr(err, "batch"); errs.Is(err, errs.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// ApplyBatch implements monitor.Store.
func (m *Monitor) ApplyBatch(ctx context.Context, b monitor.Batch) (bool, []monitor.Alert, error) {
	var alerts []monitor.Alert
	var latest map[alertKey]monitor.Alert
	applied := false
	var cache *latestCache
	if m.db.Dialect() == "sqlite" {
		cache = &m.db.latest
		cache.mu.Lock()
		defer cache.mu.Unlock()
	}
	err := m.db.TransactSQL(ctx, func(tx *Tx) error {
		alerts, applied = nil, false
		if cache != nil {
			if err := cache.check(ctx, tx); err != nil {
				return err
			}
		}
		if m.db.Dialect() == "postgres" {
			// Nodes applying batches of one organisation at once (or one
			// batch twice) would each open the same alert or record the
			// same id: they take turns (SQLite has one writer anyway).
			if _, err := tx.execS(ctx, `SELECT pg_advisory_xact_lock(hashtext(?))`, "monitor:"+b.OrgID); err != nil {
				return tx.mapErr(err, "batch lock")
			}
		}
		res, err := tx.execS(ctx, `INSERT INTO monitor_batches (id, sensor_id, org_id, received_at, processed_at, events, rejected)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, b.ID, b.SensorID, b.OrgID, micros(b.ReceivedAt), micros(b.ProcessedAt), b.Events, b.Rejected)
		if err != nil {
			return tx.mapErr(err, "record batch")
		}
		if n, err := res.RowsAffected(); err != nil {
			return tx.mapErr(err, "record batch")
		} else if n == 0 {
			return nil // processed before
		}
		if err := m.addCounts(ctx, tx, b); err != nil {
			return err
		}
		if alerts, latest, err = m.applyHits(ctx, tx, b, cache); err != nil {
			return err
		}
		if (len(b.Raw) > 0 || b.RawRef.Segment != "") && b.Events+b.Rejected > 0 {
			data := b.Raw
			if b.RawRef.Segment != "" {
				data = []byte{} // kept in the segment file
			}
			if _, err := tx.execS(ctx, `INSERT INTO monitor_raw (batch_id, sensor_id, org_id, received_at, expires_at, data, segment, seg_offset, seg_size)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, b.SensorID, b.OrgID, micros(b.ReceivedAt), micros(b.Expires), data,
				b.RawRef.Segment, b.RawRef.Offset, b.RawRef.Size); err != nil {
				return tx.mapErr(err, "keep raw")
			}
		}
		if b.Record != nil {
			if err := tx.AppendAudit(ctx, b.Record); err != nil {
				return err
			}
		}
		applied = true
		return nil
	})
	if cache != nil {
		if err != nil {
			cache.clear()
		} else if applied {
			cache.put(b.OrgID, latest)
		}
	}
	return applied, alerts, err
}

func (m *Monitor) addCounts(ctx context.Context, tx *Tx, b monitor.Batch) error {
	// The reasons are read and merged only when the batch rejected lines:
	// a clean batch leaves them as they are.
	var reasons sql.NullString
	if len(b.Reasons) > 0 {
		var old string
		if err := tx.queryRowS(ctx, `SELECT reasons FROM monitor_sensors WHERE id = ?`, b.SensorID).Scan(&old); err != nil {
			return tx.mapErr(err, "sensor counts")
		}
		r := map[string]int64{}
		json.Unmarshal([]byte(old), &r)
		for k, v := range b.Reasons {
			r[k] += v
		}
		nb, _ := json.Marshal(r)
		reasons = sql.NullString{String: string(nb), Valid: true}
	}
	var lastEvent, lastErrAt sql.NullInt64
	if b.Events > 0 {
		lastEvent = sql.NullInt64{Int64: micros(b.ProcessedAt), Valid: true}
	}
	if b.LastError != "" {
		lastErrAt = sql.NullInt64{Int64: micros(b.ProcessedAt), Valid: true}
	}
	res, err := tx.execS(ctx, `UPDATE monitor_sensors SET events = events + ?, rejected = rejected + ?, reasons = COALESCE(?, reasons),
		last_event_at = COALESCE(?, last_event_at),
		last_error = CASE WHEN ? = '' THEN last_error ELSE ? END,
		last_error_at = COALESCE(?, last_error_at) WHERE id = ?`,
		b.Events, b.Rejected, reasons, lastEvent, b.LastError, b.LastError, lastErrAt, b.SensorID)
	if err != nil {
		return tx.mapErr(err, "sensor counts")
	}
	if n, err := res.RowsAffected(); err != nil {
		return tx.mapErr(err, "sensor counts")
	} else if n == 0 {
		return errs.E(errs.NotFound, "sensor counts: no such sensor")
	}
	return nil
}

// alertKey is what hits join alerts by, within an organisation.
type alertKey struct{ indicatorID, value string }

// applyHits joins each hit of b to the alert of its key last seen within
// the window before the hit, or opens one, and links the alerts to the
// batch. It gives the same alerts as applying the hits one by one (a hit
// may join what an earlier hit of the batch opened or widened) in a few
// statements per batch rather than two or three per hit: one read of the
// latest alert of every key, then the final state of each alert written
// once. It returns one alert per hit, in the order of b.Hits, as it stood
// after that hit, and the latest alert of each key as written. cache, when
// not nil, answers for the keys it knows.
func (m *Monitor) applyHits(ctx context.Context, tx *Tx, b monitor.Batch, cache *latestCache) ([]monitor.Alert, map[alertKey]monitor.Alert, error) {
	if len(b.Hits) == 0 {
		return nil, nil, nil
	}
	// The latest alert of a key is the one a hit joins if any does: the
	// read needs only alerts last seen since the earliest cutoff.
	since := micros(b.Hits[0].First.Add(-b.Window))
	seen := make(map[alertKey]bool, len(b.Hits))
	keys := make([]alertKey, 0, len(b.Hits))
	for _, h := range b.Hits {
		since = min(since, micros(h.First.Add(-b.Window)))
		if k := (alertKey{h.IndicatorID, h.Value}); !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	latest, err := latestAlerts(ctx, tx, b.OrgID, keys, since, cache)
	if err != nil {
		return nil, nil, err
	}
	read := make(map[string]int64, len(latest)) // id → last_seen as read
	for _, a := range latest {
		read[a.ID] = micros(a.LastSeen)
	}
	alerts := make([]monitor.Alert, len(b.Hits))
	opened := map[string]bool{}                // by id; others were read, and are updated
	touched := make([]string, 0, len(b.Hits))  // ids, first touch first
	final := make(map[string]int, len(b.Hits)) // id → the last hit that touched it
	for i, h := range b.Hits {
		k := alertKey{h.IndicatorID, h.Value}
		a, ok := latest[k]
		if ok && micros(a.LastSeen) >= micros(h.First.Add(-b.Window)) {
			a = joined(a, h)
		} else {
			a = monitor.Alert{ID: uuid.Must(uuid.NewV7()).String(), OrgID: b.OrgID, Sector: b.Sector, IndicatorID: h.IndicatorID, Name: h.Name,
				Kind: h.Kind, Value: h.Value, Observed: h.Observed, SensorID: b.SensorID, Count: h.Count, FirstSeen: h.First, LastSeen: h.Last,
				Severity: h.Severity, Score: h.Score, CreatedAt: b.ProcessedAt}
			opened[a.ID] = true
		}
		if _, ok := final[a.ID]; !ok {
			touched = append(touched, a.ID)
		}
		final[a.ID] = i
		alerts[i] = a
		// The next hit of the key sees the alert as stored: times to
		// the microsecond.
		a.FirstSeen, a.LastSeen, a.CreatedAt = fromMicros(micros(a.FirstSeen)), fromMicros(micros(a.LastSeen)), fromMicros(micros(a.CreatedAt))
		latest[k] = a
	}
	// Joined alerts whose last sighting did not move are written without
	// it, which spares the two indexes on last_seen.
	var news, moved, kept []monitor.Alert
	for _, id := range touched {
		switch a := alerts[final[id]]; {
		case opened[id]:
			news = append(news, a)
		case micros(a.LastSeen) == read[id]:
			kept = append(kept, a)
		default:
			moved = append(moved, a)
		}
	}
	at := micros(b.ReceivedAt)
	if err := insertAlerts(ctx, tx, news, at); err != nil {
		return nil, nil, err
	}
	if err := updateAlerts(ctx, tx, moved, true, at); err != nil {
		return nil, nil, err
	}
	if err := updateAlerts(ctx, tx, kept, false, at); err != nil {
		return nil, nil, err
	}
	if err := linkAlerts(ctx, tx, b.ID, touched); err != nil {
		return nil, nil, err
	}
	return alerts, latest, nil
}

// joined is a with hit h added.
func joined(a monitor.Alert, h monitor.Hit) monitor.Alert {
	a.Count += h.Count
	if h.First.Before(a.FirstSeen) {
		a.FirstSeen = h.First
	}
	if h.Last.After(a.LastSeen) {
		a.LastSeen = h.Last
	}
	a.Severity = min(a.Severity, h.Severity)
	a.Score = h.Score
	return a
}

// maxRows bounds the VALUES rows of one statement: 256 rows of at most
// 15 placeholders stay far below both engines' limits (SQLite's 32,766
// placeholders, PostgreSQL's 65,535). Larger batches take several
// statements.
const maxRows = 256

// inChunks calls fn on successive ranges [lo, hi) of n rows, at most
// maxRows each.
func inChunks(n int, fn func(lo, hi int) error) error {
	for lo := 0; lo < n; lo += maxRows {
		if err := fn(lo, min(lo+maxRows, n)); err != nil {
			return err
		}
	}
	return nil
}

// padded returns how many VALUES rows a statement for n rows has: n
// rounded up to one of a few sizes, so that the statements of applying
// batches come in a few shapes, each parsed once (Tx.execS). The padding
// rows have an empty id or key, which matches no alert and which the
// inserts leave out.
func padded(n int) int {
	switch {
	case n <= 8:
		return n
	case n <= 64:
		return (n + 7) / 8 * 8
	}
	return (n + 15) / 16 * 16
}

// pad appends filler to args k times.
func pad(args []any, k int, filler ...any) []any {
	for range k {
		args = append(args, filler...)
	}
	return args
}

// valuesRows returns n copies of row, comma-separated, for a VALUES list.
func valuesRows(row string, n int) string {
	return strings.Repeat(row+", ", n-1) + row
}

// latestAlerts reads, for each key, the alert of org last seen latest
// among those last seen at or after since. The keys are a VALUES list
// joined to the alerts: SQLite, told by CROSS JOIN to read the keys first,
// looks each up in the monitor_alerts_key index; PostgreSQL plans the
// join by its statistics. (A row-value IN list, which PostgreSQL turns
// into a semi-join, took it 20 ms for 100 keys on a new table.)
func latestAlerts(ctx context.Context, tx *Tx, orgID string, keys []alertKey, since int64, cache *latestCache) (map[alertKey]monitor.Alert, error) {
	latest := make(map[alertKey]monitor.Alert, len(keys))
	if cache != nil {
		// The keys the cache knows need no reading: their latest alert
		// is there, and counts if last seen at or after since.
		unknown := keys[:0:0]
		for _, k := range keys {
			if a, ok := cache.get(orgID, k); !ok {
				unknown = append(unknown, k)
			} else if micros(a.LastSeen) >= since {
				latest[k] = a
			}
		}
		keys = unknown
	}
	err := inChunks(len(keys), func(lo, hi int) error {
		n := padded(hi - lo)
		args := make([]any, 0, 2*n+2)
		for _, k := range keys[lo:hi] {
			args = append(args, k.indicatorID, k.value)
		}
		args = append(pad(args, n-(hi-lo), "", ""), orgID, since)
		rows, err := tx.queryS(ctx, `SELECT `+alertColsA+` FROM (VALUES `+valuesRows(`(?, ?)`, n)+`) AS k
			CROSS JOIN monitor_alerts a WHERE a.org_id = ? AND a.indicator_id = k.column1 AND a.value = k.column2 AND a.last_seen >= ?`, args...)
		if err != nil {
			return tx.mapErr(err, "alerts of the batch")
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return tx.mapErr(err, "alerts of the batch")
			}
			k := alertKey{a.IndicatorID, a.Value}
			if old, ok := latest[k]; !ok || a.LastSeen.After(old.LastSeen) || a.LastSeen.Equal(old.LastSeen) && a.ID > old.ID {
				latest[k] = a
			}
		}
		return tx.mapErr(rows.Err(), "alerts of the batch")
	})
	return latest, err
}

// The writes below take their rows from a VALUES list, whose first row's
// casts type its columns for PostgreSQL (which takes untyped parameters
// there for text); both engines name the columns column1, column2, ….

// insertAlerts inserts new alerts.
func insertAlerts(ctx context.Context, tx *Tx, as []monitor.Alert, rawAt int64) error {
	return inChunks(len(as), func(lo, hi int) error {
		n := padded(hi - lo)
		args := make([]any, 0, 15*n+2)
		args = append(args, rawAt, rawAt)
		for _, a := range as[lo:hi] {
			args = append(args, a.ID, a.OrgID, a.Sector, a.IndicatorID, a.Name, a.Kind, a.Value, a.Observed, a.SensorID, a.Count,
				micros(a.FirstSeen), micros(a.LastSeen), a.Severity, a.Score, micros(a.CreatedAt))
		}
		args = pad(args, n-(hi-lo), "", "", "", "", "", "", "", "", "", 0, 0, 0, 0, 0.0, 0)
		_, err := tx.execS(ctx, `INSERT INTO monitor_alerts (id, org_id, sector, indicator_id, name, kind, value, observed, sensor_id, count,
			first_seen, last_seen, severity, score, created_at, raw_from, raw_to)
			SELECT v.*, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM (VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS BIGINT),
			CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT))`+
			strings.Repeat(`, (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n-1)+`) AS v WHERE column1 <> ''`, args...)
		return tx.mapErr(err, "open alerts")
	})
}

// updateAlerts writes the counts, times, severity and score of alerts
// read before; the last sighting only when last says so; and widens the
// span of their batches' arrival to rawAt (a raw_from of 0, an alert from
// before spans were kept, stays unbounded).
func updateAlerts(ctx context.Context, tx *Tx, as []monitor.Alert, last bool, rawAt int64) error {
	set := `count = v.column2, first_seen = v.column3, severity = v.column5, score = v.column6,
		raw_from = CASE WHEN raw_from > CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE raw_from END,
		raw_to = CASE WHEN raw_to < CAST(? AS BIGINT) THEN CAST(? AS BIGINT) ELSE raw_to END`
	if last {
		set += `, last_seen = v.column4`
	}
	return inChunks(len(as), func(lo, hi int) error {
		n := padded(hi - lo)
		args := make([]any, 0, 6*n+4)
		args = append(args, rawAt, rawAt, rawAt, rawAt)
		for _, a := range as[lo:hi] {
			args = append(args, a.ID, a.Count, micros(a.FirstSeen), micros(a.LastSeen), a.Severity, a.Score)
		}
		args = pad(args, n-(hi-lo), "", 0, 0, 0, 0, 0.0)
		_, err := tx.execS(ctx, `UPDATE monitor_alerts SET `+set+` FROM (VALUES
			(?, CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS DOUBLE PRECISION))`+
			strings.Repeat(`, (?, ?, ?, ?, ?, ?)`, n-1)+`) AS v WHERE monitor_alerts.id = v.column1`, args...)
		return tx.mapErr(err, "join alerts")
	})
}

// linkAlerts links the alerts (each once) to the batch: rows keyed by
// batch, side by side on a page or two.
func linkAlerts(ctx context.Context, tx *Tx, batchID string, ids []string) error {
	return inChunks(len(ids), func(lo, hi int) error {
		n := padded(hi - lo)
		args := make([]any, 0, n+1)
		args = append(args, batchID)
		for _, id := range ids[lo:hi] {
			args = append(args, id)
		}
		args = pad(args, n-(hi-lo), "")
		_, err := tx.execS(ctx, `INSERT INTO monitor_raw_alerts (batch_id, alert_id) SELECT CAST(? AS TEXT), column1
			FROM (VALUES `+valuesRows(`(?)`, n)+`) AS v WHERE column1 <> ''`, args...)
		return tx.mapErr(err, "link alerts")
	})
}

const alertCols = `id, org_id, sector, indicator_id, name, kind, value, observed, sensor_id, count, first_seen, last_seen,
	severity, score, incident, created_at`

// alertColsA is alertCols of the alerts named a.
var alertColsA = qualify("a", alertCols)

// qualify prefixes each column of a comma-separated list with table.
func qualify(table, cols string) string {
	fs := strings.Split(cols, ",")
	for i, c := range fs {
		fs[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(fs, ", ")
}

func scanAlert(sc interface{ Scan(...any) error }) (monitor.Alert, error) {
	var a monitor.Alert
	var first, last, created int64
	err := sc.Scan(&a.ID, &a.OrgID, &a.Sector, &a.IndicatorID, &a.Name, &a.Kind, &a.Value, &a.Observed, &a.SensorID, &a.Count,
		&first, &last, &a.Severity, &a.Score, &a.Incident, &created)
	a.FirstSeen, a.LastSeen, a.CreatedAt = fromMicros(first), fromMicros(last), fromMicros(created)
	return a, err
}

// SetIncident implements monitor.Store.
func (m *Monitor) SetIncident(ctx context.Context, alertID, incidentID string) error {
	if m.db.Dialect() == "sqlite" {
		c := &m.db.latest
		c.mu.Lock()
		defer c.mu.Unlock()
		c.clear() // an alert it may hold changes
	}
	return m.db.TransactSQL(ctx, func(tx *Tx) error {
		res, err := tx.exec(ctx, `UPDATE monitor_alerts SET incident = ? WHERE id = ?`, incidentID, alertID)
		if err != nil {
			return tx.mapErr(err, "set incident")
		}
		return mustAffect(res, "alert")
	})
}

// Alerts implements monitor.Store.
func (m *Monitor) Alerts(ctx context.Context, f monitor.AlertFilter) ([]monitor.Alert, error) {
	q := `SELECT ` + alertCols + ` FROM monitor_alerts WHERE 1 = 1`
	cond, args := inList("org_id", f.OrgIDs)
	q += cond
	add := func(c string, v any) { q += " AND " + c; args = append(args, v) }
	if f.Sector != "" {
		add("sector = ?", f.Sector)
	}
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.IndicatorID != "" {
		add("indicator_id = ?", f.IndicatorID)
	}
	if f.SensorID != "" {
		add("sensor_id = ?", f.SensorID)
	}
	if !f.Since.IsZero() {
		add("last_seen >= ?", micros(f.Since))
	}
	if f.MaxSeverity > 0 {
		add("severity <= ?", f.MaxSeverity)
	}
	q += " ORDER BY last_seen DESC, id LIMIT ?"
	args = append(args, f.PageLimit())
	rows, err := m.db.query(ctx, q, args...)
	if err != nil {
		return nil, m.db.mapErr(err, "alerts")
	}
	defer rows.Close()
	out := []monitor.Alert{}
	for rows.Next() {
		a, err := scanAlert(rows)
		if err != nil {
			return nil, m.db.mapErr(err, "alerts")
		}
		out = append(out, a)
	}
	return out, m.db.mapErr(rows.Err(), "alerts")
}

// Alert implements monitor.Store.
func (m *Monitor) Alert(ctx context.Context, id string) (monitor.Alert, error) {
	a, err := scanAlert(m.db.queryRow(ctx, `SELECT `+alertCols+` FROM monitor_alerts WHERE id = ?`, id))
	if err != nil {
		err = m.db.mapErr(err, "alert")
		if errs.Is(err, errs.NotFound) {
			return a, errs.E(errs.NotFound, "no such alert")
		}
	}
	return a, err
}

// AlertRaw implements monitor.Store. The alert's batches are among the raw
// batches of its organisation received in the span the alert records,
// newest first: each is checked against the links by key.
func (m *Monitor) AlertRaw(ctx context.Context, alertID string, limit int) ([]monitor.Raw, error) {
	var org string
	var from, to int64
	err := m.db.queryRow(ctx, `SELECT org_id, raw_from, raw_to FROM monitor_alerts WHERE id = ?`, alertID).Scan(&org, &from, &to)
	if err := m.db.mapErr(err, "alert raw"); errs.Is(err, errs.NotFound) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	if to == 0 { // an alert from before spans were kept
		to = math.MaxInt64
	}
	rows, err := m.db.query(ctx, `SELECT `+rawCols+` FROM monitor_raw r
		JOIN monitor_raw_alerts l ON l.batch_id = r.batch_id AND l.alert_id = ?
		WHERE r.org_id = ? AND r.received_at >= ? AND r.received_at <= ? ORDER BY r.received_at DESC LIMIT ?`,
		alertID, org, from, to, limit)
	if err != nil {
		return nil, m.db.mapErr(err, "alert raw")
	}
	defer rows.Close()
	var out []monitor.Raw
	for rows.Next() {
		r, err := scanRaw(rows)
		if err != nil {
			return nil, m.db.mapErr(err, "alert raw")
		}
		out = append(out, r)
	}
	return out, m.db.mapErr(rows.Err(), "alert raw")
}

// RawBatch implements monitor.Store.
func (m *Monitor) RawBatch(ctx context.Context, batchID string) (monitor.Raw, error) {
	r, err := scanRaw(m.db.queryRow(ctx, `SELECT `+rawCols+` FROM monitor_raw r WHERE batch_id = ?`, batchID))
	return r, m.db.mapErr(err, "raw batch")
}

const rawCols = `r.batch_id, r.sensor_id, r.org_id, r.received_at, r.data, r.segment, r.seg_offset, r.seg_size`

func scanRaw(row interface{ Scan(...any) error }) (monitor.Raw, error) {
	var r monitor.Raw
	var at int64
	err := row.Scan(&r.BatchID, &r.SensorID, &r.OrgID, &at, &r.Data, &r.Ref.Segment, &r.Ref.Offset, &r.Ref.Size)
	r.ReceivedAt = fromMicros(at)
	return r, err
}

// TopIndicators implements monitor.Store.
func (m *Monitor) TopIndicators(ctx context.Context, orgIDs []string, since time.Time, limit int) ([]monitor.TopIndicator, error) {
	cond, args := inList("org_id", orgIDs)
	args = append([]any{micros(since)}, args...)
	args = append(args, limit)
	rows, err := m.db.query(ctx, `SELECT indicator_id, MAX(name), value, MAX(kind), COUNT(*), COUNT(DISTINCT org_id), SUM(count)
		FROM monitor_alerts WHERE last_seen >= ?`+cond+` GROUP BY indicator_id, value ORDER BY SUM(count) DESC, value LIMIT ?`, args...)
	if err != nil {
		return nil, m.db.mapErr(err, "top indicators")
	}
	defer rows.Close()
	out := []monitor.TopIndicator{}
	for rows.Next() {
		var t monitor.TopIndicator
		if err := rows.Scan(&t.IndicatorID, &t.Name, &t.Value, &t.Kind, &t.Alerts, &t.Orgs, &t.Count); err != nil {
			return nil, m.db.mapErr(err, "top indicators")
		}
		out = append(out, t)
	}
	return out, m.db.mapErr(rows.Err(), "top indicators")
}

// BatchHorizon is how long processed batch ids are remembered: far past
// any redelivery (JetStream's duplicate window is minutes, its ack wait
// two minutes), so a batch is never counted twice.
const BatchHorizon = 7 * 24 * time.Hour

// PurgeRaw implements monitor.Store; it also forgets processed batch ids
// older than BatchHorizon.
func (m *Monitor) PurgeRaw(ctx context.Context, now time.Time, held []string) (int64, error) {
	var n int64
	expired, args := `expires_at <= ?`, []any{micros(now)}
	if len(held) > 0 {
		expired += ` AND org_id NOT IN (?` + strings.Repeat(", ?", len(held)-1) + `)`
		for _, h := range held {
			args = append(args, h)
		}
	}
	err := m.db.TransactSQL(ctx, func(tx *Tx) error {
		// The links of the batches that go, first: found by their key.
		_, err := tx.exec(ctx, `DELETE FROM monitor_raw_alerts WHERE batch_id IN (SELECT batch_id FROM monitor_raw WHERE `+expired+`)`, args...)
		if err != nil {
			return tx.mapErr(err, "purge raw links")
		}
		res, err := tx.exec(ctx, `DELETE FROM monitor_raw WHERE `+expired, args...)
		if err != nil {
			return tx.mapErr(err, "purge raw")
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = tx.exec(ctx, `DELETE FROM monitor_batches WHERE processed_at < ?`, micros(now.Add(-BatchHorizon)))
		return tx.mapErr(err, "forget batches")
	})
	return n, err
}

// AppendAudits implements monitor.Store.
func (m *Monitor) AppendAudits(ctx context.Context, rs []*audit.Record) error {
	return m.db.TransactSQL(ctx, func(tx *Tx) error { return audit.AppendAll(ctx, tx, rs) })
}
