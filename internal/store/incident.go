package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Incidents returns the database as an incident.Store.
func (db *DB) Incidents() incident.Store { return incidentDB{db} }

type incidentDB struct{ *DB }

// Transact implements incident.Store.
func (e incidentDB) Transact(ctx context.Context, fn func(incident.Tx) error) error {
	return e.TransactSQL(ctx, func(tx *Tx) error { return fn(tx) })
}

var _ incident.Tx = (*Tx)(nil)

const incidentCols = `i.id, i.ref, i.title, i.summary, i.owner_org, i.affected_org, i.sector, i.systems, i.occurred_at, i.detected_at,
	i.tlp, i.status, i.impact_f, i.impact_i, i.impact_r, i.score_tier, i.severity, i.override, i.override_reason, i.escalated, i.escalated_at,
	i.ack_due, i.response_due, i.ack_at, i.response_at, i.overdue_sent, i.reported_by, i.created_at, i.updated_at`

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func nullLevel(l *incident.Level) sql.NullInt64 {
	if l == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*l), Valid: true}
}

func incidentArgs(in incident.Incident) []any {
	return []any{in.Ref, in.Title, in.Summary, in.OwnerOrg, in.AffectedOrg, string(in.Sector), mustJSON(in.Systems),
		nullMicros(in.OccurredAt), nullMicros(in.DetectedAt), string(in.TLP), string(in.Status),
		int(in.Impact.Functional), int(in.Impact.Information), int(in.Impact.Recoverability), int(in.Score.Tier),
		int(in.Severity), nullLevel(in.Override), in.OverrideReason, in.Escalated, nullMicros(in.EscalatedAt),
		micros(in.AckDue), micros(in.ResponseDue), nullMicros(in.AckAt), nullMicros(in.ResponseAt), in.OverdueSent,
		in.ReportedBy, micros(in.CreatedAt), micros(in.UpdatedAt)}
}

// CreateIncident implements incident.Tx.
func (o *ops) CreateIncident(ctx context.Context, in incident.Incident) error {
	_, err := o.exec(ctx, `INSERT INTO incidents (ref, title, summary, owner_org, affected_org, sector, systems, occurred_at, detected_at,
		tlp, status, impact_f, impact_i, impact_r, score_tier, severity, override, override_reason, escalated, escalated_at, ack_due, response_due, ack_at, response_at,
		overdue_sent, reported_by, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		append(incidentArgs(in), in.ID)...)
	return o.mapErr(err, "create incident")
}

// UpdateIncident implements incident.Tx.
func (o *ops) UpdateIncident(ctx context.Context, in incident.Incident) error {
	res, err := o.exec(ctx, `UPDATE incidents SET ref = ?, title = ?, summary = ?, owner_org = ?, affected_org = ?, sector = ?, systems = ?,
		occurred_at = ?, detected_at = ?, tlp = ?, status = ?, impact_f = ?, impact_i = ?, impact_r = ?, score_tier = ?, severity = ?, override = ?, override_reason = ?,
		escalated = ?, escalated_at = ?, ack_due = ?, response_due = ?, ack_at = ?, response_at = ?, overdue_sent = ?, reported_by = ?,
		created_at = ?, updated_at = ? WHERE id = ?`, append(incidentArgs(in), in.ID)...)
	if err != nil {
		return o.mapErr(err, "update incident")
	}
	if err := mustAffect(res, "incident"); err != nil {
		return err
	}
	_, err = o.exec(ctx, `UPDATE incident_participants SET case_created = ?, status = ?, severity = ?, sector = ?, escalated = ?
		WHERE incident_id = ?`, micros(in.CreatedAt), string(in.Status), int(in.Severity), string(in.Sector), in.Escalated, in.ID)
	return o.mapErr(err, "update incident participants")
}

type scanner interface{ Scan(dest ...any) error }

// withExtra is a scanner that appends more destinations to every Scan.
type withExtra struct {
	r     scanner
	extra []any
}

func (w withExtra) Scan(dest ...any) error { return w.r.Scan(append(dest, w.extra...)...) }

// scanIncidentMember scans a case with one participation row (nullable).
func scanIncidentMember(r scanner) (incident.Incident, error) {
	var org, role, by, reason sql.NullString
	var at sql.NullInt64
	in, err := scanIncident(withExtra{r, []any{&org, &role, &by, &reason, &at}})
	if err == nil && org.Valid {
		in.Participants = []incident.Participant{{OrgID: org.String, Role: policy.CaseRole(role.String), InvitedBy: by.String,
			Reason: reason.String, CreatedAt: fromMicros(at.Int64)}}
	}
	return in, err
}

func scanIncident(r scanner) (incident.Incident, error) {
	var in incident.Incident
	var sector, systems, tlp, status string
	var occ, det, escAt, ackAt, respAt, override sql.NullInt64
	var sev, fi, ii, ri, tier int
	var ackDue, respDue, created, updated int64
	err := r.Scan(&in.ID, &in.Ref, &in.Title, &in.Summary, &in.OwnerOrg, &in.AffectedOrg, &sector, &systems, &occ, &det,
		&tlp, &status, &fi, &ii, &ri, &tier, &sev, &override, &in.OverrideReason, &in.Escalated, &escAt,
		&ackDue, &respDue, &ackAt, &respAt, &in.OverdueSent, &in.ReportedBy, &created, &updated)
	if err != nil {
		return in, err
	}
	in.Sector, in.TLP, in.Status, in.Severity = identitySector(sector), policy.TLP(tlp), incident.Status(status), incident.Level(sev)
	if systems != "[]" {
		_ = json.Unmarshal([]byte(systems), &in.Systems)
	}
	in.Impact = incident.Impact{Functional: incident.Functional(fi), Information: incident.Information(ii), Recoverability: incident.Recoverability(ri)}
	in.Score = incident.Compute(in.Impact, identity.Tier(tier), in.Sector) // the score is a pure function of these
	if override.Valid {
		lv := incident.Level(override.Int64)
		in.Override = &lv
	}
	in.OccurredAt, in.DetectedAt, in.EscalatedAt = fromNullMicros(occ), fromNullMicros(det), fromNullMicros(escAt)
	in.AckAt, in.ResponseAt = fromNullMicros(ackAt), fromNullMicros(respAt)
	in.AckDue, in.ResponseDue, in.CreatedAt, in.UpdatedAt = fromMicros(ackDue), fromMicros(respDue), fromMicros(created), fromMicros(updated)
	if in.Systems == nil {
		in.Systems = []string{}
	}
	return in, nil
}

// Incident implements incident.Reader.
func (o *ops) Incident(ctx context.Context, id string) (incident.Incident, error) {
	in, err := scanIncident(o.queryRow(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE i.id = ?`, id))
	if err != nil {
		if err == sql.ErrNoRows {
			return in, errs.E(errs.NotFound, "no such incident")
		}
		return in, o.mapErr(err, "incident")
	}
	ps, err := o.participants(ctx, []string{id})
	in.Participants = ps[id]
	return in, err
}

func phs(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

func (o *ops) participants(ctx context.Context, ids []string) (map[string][]incident.Participant, error) {
	out := map[string][]incident.Participant{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := o.query(ctx, `SELECT incident_id, org_id, role, invited_by, reason, created_at FROM incident_participants
		WHERE incident_id IN (`+phs(len(ids))+`) ORDER BY created_at, org_id`, args...)
	if err != nil {
		return nil, o.mapErr(err, "participants")
	}
	defer rows.Close()
	for rows.Next() {
		var id, role string
		var p incident.Participant
		var at int64
		if err := rows.Scan(&id, &p.OrgID, &role, &p.InvitedBy, &p.Reason, &at); err != nil {
			return nil, o.mapErr(err, "scan participant")
		}
		p.Role, p.CreatedAt = policy.CaseRole(role), fromMicros(at)
		out[id] = append(out[id], p)
	}
	return out, o.mapErr(rows.Err(), "participants")
}

// AddParticipant implements incident.Tx.
func (o *ops) AddParticipant(ctx context.Context, incidentID string, p incident.Participant) error {
	_, err := o.exec(ctx, `INSERT INTO incident_participants (incident_id, org_id, role, invited_by, reason, created_at,
		case_created, status, severity, sector, escalated)
		SELECT ?, ?, ?, ?, ?, ?, created_at, status, severity, sector, escalated FROM incidents WHERE id = ?`,
		incidentID, p.OrgID, string(p.Role), p.InvitedBy, p.Reason, micros(p.CreatedAt), incidentID)
	return o.mapErr(err, "add participant")
}

// ListIncidents implements incident.Reader: newest first, filtered.
func (o *ops) ListIncidents(ctx context.Context, f incident.Filter) ([]incident.Incident, error) {
	var q strings.Builder
	var args []any
	order := `i.created_at DESC, i.id DESC`
	cols, member := incidentCols, ``
	switch {
	case f.Member != "" && len(f.Visible) == 1 && f.Visible[0] == f.Member:
		cols += `, p.org_id, p.role, p.invited_by, p.reason, p.created_at` // the row the list walks
	case f.Member != "":
		cols += `, m.org_id, m.role, m.invited_by, m.reason, m.created_at`
		member = ` LEFT JOIN incident_participants m ON m.incident_id = i.id AND m.org_id = ?`
		args = append(args, f.Member)
	}
	if f.Visible != nil {
		q.WriteString(`SELECT ` + cols + ` FROM incident_participants p JOIN incidents i ON i.id = p.incident_id` + member +
			` WHERE p.org_id IN (` + phs(len(f.Visible)) + `)`)
		for _, v := range f.Visible {
			args = append(args, v)
		}
		order = `p.case_created DESC, p.incident_id DESC`
		if len(f.Visible) == 0 {
			return []incident.Incident{}, nil
		}
	} else {
		q.WriteString(`SELECT ` + cols + ` FROM incidents i` + member + ` WHERE 1=1`)
	}
	col := "i." // the list columns are copied to the participants' rows
	if f.Visible != nil {
		col = "p."
	}
	if len(f.Status) > 0 {
		q.WriteString(` AND ` + col + `status IN (` + phs(len(f.Status)) + `)`)
		for _, s := range f.Status {
			args = append(args, string(s))
		}
	}
	if f.MinLevel != nil {
		q.WriteString(` AND ` + col + `severity >= ?`)
		args = append(args, int(*f.MinLevel))
	}
	if f.Sector != "" {
		q.WriteString(` AND ` + col + `sector = ?`)
		args = append(args, string(f.Sector))
	}
	if f.OrgID != "" {
		q.WriteString(` AND (i.owner_org = ? OR i.affected_org = ?)`)
		args = append(args, f.OrgID, f.OrgID)
	}
	if f.Q != "" {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(f.Q))
		q.WriteString(` AND (LOWER(i.title) LIKE ? ESCAPE '\' OR LOWER(i.ref) LIKE ? ESCAPE '\')`)
		args = append(args, "%"+esc+"%", "%"+esc+"%")
	}
	if f.Escalated != nil {
		q.WriteString(` AND ` + col + `escalated = ?`)
		args = append(args, *f.Escalated)
	}
	if f.Overdue {
		now := micros(f.Now)
		// the status test on col lets an organisation's list skip closed
		// cases on the index row, before reading the case
		q.WriteString(` AND ` + col + `status <> 'closed' AND ((i.ack_at IS NULL AND i.ack_due < ?) OR (i.response_at IS NULL AND i.response_due < ?))`)
		args = append(args, now, now)
	}
	if !f.BeforeCreated.IsZero() {
		// "<= ? AND (< ? OR id < ?)" rather than "< ? OR (= ? AND id < ?)":
		// with bound parameters only the first gives the planner a range.
		if f.Visible != nil {
			q.WriteString(` AND p.case_created <= ? AND (p.case_created < ? OR p.incident_id < ?)`)
		} else {
			q.WriteString(` AND i.created_at <= ? AND (i.created_at < ? OR i.id < ?)`)
		}
		t := micros(f.BeforeCreated)
		args = append(args, t, t, f.BeforeID)
	}
	q.WriteString(` ORDER BY ` + order + ` LIMIT ?`)
	args = append(args, f.PageLimit())
	rows, err := o.query(ctx, q.String(), args...)
	if err != nil {
		return nil, o.mapErr(err, "list incidents")
	}
	defer rows.Close()
	out := []incident.Incident{}
	var ids []string
	seen := map[string]bool{}
	for rows.Next() {
		var in incident.Incident
		var err error
		if f.Member != "" {
			in, err = scanIncidentMember(rows)
		} else {
			in, err = scanIncident(rows)
		}
		if err != nil {
			return nil, o.mapErr(err, "scan incident")
		}
		if seen[in.ID] {
			continue
		}
		seen[in.ID] = true
		out = append(out, in)
		ids = append(ids, in.ID)
	}
	if err := rows.Err(); err != nil {
		return nil, o.mapErr(err, "list incidents")
	}
	rows.Close()
	if f.Member != "" {
		return out, nil
	}
	ps, err := o.participants(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Participants = ps[out[i].ID]
	}
	return out, nil
}

// CountIncidents implements incident.Reader.
func (o *ops) CountIncidents(ctx context.Context) (int64, error) {
	var n int64
	err := o.queryRow(ctx, `SELECT COUNT(*) FROM incidents`).Scan(&n)
	return n, o.mapErr(err, "count incidents")
}

// DueIncidents implements incident.Reader.
func (o *ops) DueIncidents(ctx context.Context, now time.Time, limit int) ([]incident.Incident, error) {
	t := micros(now)
	// the literal FALSE and the status test match the partial index's predicate
	rows, err := o.query(ctx, `SELECT `+incidentCols+` FROM incidents i WHERE i.overdue_sent = FALSE AND i.status <> 'closed'
		AND ((i.ack_at IS NULL AND i.ack_due < ?) OR (i.response_at IS NULL AND i.response_due < ?)) ORDER BY i.ack_due LIMIT ?`, t, t, limit)
	if err != nil {
		return nil, o.mapErr(err, "due incidents")
	}
	defer rows.Close()
	var out []incident.Incident
	for rows.Next() {
		in, err := scanIncident(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan incident")
		}
		out = append(out, in)
	}
	return out, o.mapErr(rows.Err(), "due incidents")
}

// ClaimOverdue implements incident.Tx. The conditions are DueIncidents':
// a case acknowledged, answered or closed since it was read is not
// notified, and a node that finds the row claimed (PostgreSQL re-reads it
// after the other node's commit) sends nothing.
func (o *ops) ClaimOverdue(ctx context.Context, id string, now time.Time) (bool, error) {
	t := micros(now)
	res, err := o.exec(ctx, `UPDATE incidents SET overdue_sent = TRUE WHERE id = ? AND overdue_sent = FALSE AND status <> 'closed'
		AND ((ack_at IS NULL AND ack_due < ?) OR (response_at IS NULL AND response_due < ?))`, id, t, t)
	return claimed(res, err, o, "claim overdue case")
}

// ClaimTaskOverdue implements incident.Tx.
func (o *ops) ClaimTaskOverdue(ctx context.Context, id string, now time.Time) (bool, error) {
	res, err := o.exec(ctx, `UPDATE incident_tasks SET overdue_sent = TRUE WHERE id = ? AND overdue_sent = FALSE
		AND status IN ('open', 'accepted') AND due IS NOT NULL AND due < ?`, id, micros(now))
	return claimed(res, err, o, "claim overdue task")
}

func claimed(res sql.Result, err error, o *ops, what string) (bool, error) {
	if err != nil {
		return false, o.mapErr(err, what)
	}
	n, err := res.RowsAffected()
	return n == 1, o.mapErr(err, what)
}

// AddCaseEntry implements incident.Tx.
func (o *ops) AddCaseEntry(ctx context.Context, e incident.Entry) error {
	_, err := o.exec(ctx, `INSERT INTO incident_entries (id, incident_id, kind, body, tlp, users, author_org, author_user, at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.IncidentID, string(e.Kind), e.Body, string(e.TLP), mustJSON(nonNilS(e.Users)),
		e.AuthorOrg, e.AuthorUser, micros(e.At), micros(e.CreatedAt))
	return o.mapErr(err, "add entry")
}

func nonNilS(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// CaseEntries implements incident.Reader, oldest first.
func (o *ops) CaseEntries(ctx context.Context, incidentID string) ([]incident.Entry, error) {
	rows, err := o.query(ctx, `SELECT id, incident_id, kind, body, tlp, users, author_org, author_user, at, created_at
		FROM incident_entries WHERE incident_id = ? ORDER BY at, created_at, id LIMIT 100000`, incidentID)
	if err != nil {
		return nil, o.mapErr(err, "entries")
	}
	defer rows.Close()
	var out []incident.Entry
	for rows.Next() {
		var e incident.Entry
		var kind, tlp, users string
		var at, created int64
		if err := rows.Scan(&e.ID, &e.IncidentID, &kind, &e.Body, &tlp, &users, &e.AuthorOrg, &e.AuthorUser, &at, &created); err != nil {
			return nil, o.mapErr(err, "scan entry")
		}
		e.Kind, e.TLP, e.At, e.CreatedAt = incident.EntryKind(kind), policy.TLP(tlp), fromMicros(at), fromMicros(created)
		_ = json.Unmarshal([]byte(users), &e.Users)
		if len(e.Users) == 0 {
			e.Users = nil
		}
		out = append(out, e)
	}
	return out, o.mapErr(rows.Err(), "entries")
}

const taskCols = `id, incident_id, title, detail, assignee_user, assignee_org, due, status, dispatch, tlp, author_org, author_user, overdue_sent, created_at, updated_at`

func taskArgs(t incident.Task) []any {
	var d sql.NullString
	if t.Dispatch != nil {
		d = sql.NullString{String: mustJSON(t.Dispatch), Valid: true}
	}
	return []any{t.IncidentID, t.Title, t.Detail, t.AssigneeUser, t.AssigneeOrg, nullMicros(t.Due), string(t.Status), d, string(t.TLP),
		t.AuthorOrg, t.AuthorUser, t.OverdueSent, micros(t.CreatedAt), micros(t.UpdatedAt), t.ID}
}

// CreateCaseTask implements incident.Tx.
func (o *ops) CreateCaseTask(ctx context.Context, t incident.Task) error {
	_, err := o.exec(ctx, `INSERT INTO incident_tasks (incident_id, title, detail, assignee_user, assignee_org, due, status, dispatch, tlp,
		author_org, author_user, overdue_sent, created_at, updated_at, id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, taskArgs(t)...)
	return o.mapErr(err, "create task")
}

// UpdateCaseTask implements incident.Tx.
func (o *ops) UpdateCaseTask(ctx context.Context, t incident.Task) error {
	res, err := o.exec(ctx, `UPDATE incident_tasks SET incident_id = ?, title = ?, detail = ?, assignee_user = ?, assignee_org = ?, due = ?,
		status = ?, dispatch = ?, tlp = ?, author_org = ?, author_user = ?, overdue_sent = ?, created_at = ?, updated_at = ? WHERE id = ?`, taskArgs(t)...)
	if err != nil {
		return o.mapErr(err, "update task")
	}
	return mustAffect(res, "task")
}

func scanTask(r scanner) (incident.Task, error) {
	var t incident.Task
	var due sql.NullInt64
	var dispatch sql.NullString
	var status, tlp string
	var created, updated int64
	if err := r.Scan(&t.ID, &t.IncidentID, &t.Title, &t.Detail, &t.AssigneeUser, &t.AssigneeOrg, &due, &status, &dispatch, &tlp,
		&t.AuthorOrg, &t.AuthorUser, &t.OverdueSent, &created, &updated); err != nil {
		return t, err
	}
	t.Due, t.Status, t.TLP, t.CreatedAt, t.UpdatedAt = fromNullMicros(due), incident.TaskStatus(status), policy.TLP(tlp), fromMicros(created), fromMicros(updated)
	if dispatch.Valid {
		t.Dispatch = &incident.Dispatch{}
		_ = json.Unmarshal([]byte(dispatch.String), t.Dispatch)
	}
	return t, nil
}

func (o *ops) tasks(ctx context.Context, where string, args ...any) ([]incident.Task, error) {
	rows, err := o.query(ctx, `SELECT `+taskCols+` FROM incident_tasks WHERE `+where, args...)
	if err != nil {
		return nil, o.mapErr(err, "tasks")
	}
	defer rows.Close()
	var out []incident.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan task")
		}
		out = append(out, t)
	}
	return out, o.mapErr(rows.Err(), "tasks")
}

// CaseTasks implements incident.Reader.
func (o *ops) CaseTasks(ctx context.Context, incidentID string) ([]incident.Task, error) {
	return o.tasks(ctx, `incident_id = ? ORDER BY created_at, id LIMIT 10000`, incidentID)
}

// CaseTask implements incident.Reader.
func (o *ops) CaseTask(ctx context.Context, id string) (incident.Task, error) {
	ts, err := o.tasks(ctx, `id = ?`, id)
	if err != nil {
		return incident.Task{}, err
	}
	if len(ts) == 0 {
		return incident.Task{}, errs.E(errs.NotFound, "no such task")
	}
	return ts[0], nil
}

// DueCaseTasks implements incident.Reader.
func (o *ops) DueCaseTasks(ctx context.Context, now time.Time, limit int) ([]incident.Task, error) {
	return o.tasks(ctx, `overdue_sent = FALSE AND status IN ('open', 'accepted') AND due IS NOT NULL AND due < ? ORDER BY due LIMIT ?`,
		micros(now), limit)
}

// AddCaseLink implements incident.Tx.
func (o *ops) AddCaseLink(ctx context.Context, l incident.Link) error {
	_, err := o.exec(ctx, `INSERT INTO incident_links (id, incident_id, kind, type, ref, tlp, author_org, author_user, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, l.IncidentID, string(l.Kind), l.Type, l.Ref, string(l.TLP), l.AuthorOrg, l.AuthorUser, micros(l.CreatedAt))
	return o.mapErr(err, "add link")
}

// CaseLinks implements incident.Reader.
func (o *ops) CaseLinks(ctx context.Context, incidentID string) ([]incident.Link, error) {
	rows, err := o.query(ctx, `SELECT id, incident_id, kind, type, ref, tlp, author_org, author_user, created_at
		FROM incident_links WHERE incident_id = ? ORDER BY created_at, id LIMIT 100000`, incidentID)
	if err != nil {
		return nil, o.mapErr(err, "links")
	}
	defer rows.Close()
	var out []incident.Link
	for rows.Next() {
		var l incident.Link
		var kind, tlp string
		var at int64
		if err := rows.Scan(&l.ID, &l.IncidentID, &kind, &l.Type, &l.Ref, &tlp, &l.AuthorOrg, &l.AuthorUser, &at); err != nil {
			return nil, o.mapErr(err, "scan link")
		}
		l.Kind, l.TLP, l.CreatedAt = incident.LinkKind(kind), policy.TLP(tlp), fromMicros(at)
		out = append(out, l)
	}
	return out, o.mapErr(rows.Err(), "links")
}

const evidenceCols = `id, incident_id, name, sha256, size, malware, tlp, author_org, author_user, created_at`

// AddCaseEvidence implements incident.Tx.
func (o *ops) AddCaseEvidence(ctx context.Context, e incident.Evidence) error {
	_, err := o.exec(ctx, `INSERT INTO incident_evidence (`+evidenceCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, e.IncidentID, e.Name, e.SHA256, e.Size, e.Malware, string(e.TLP), e.AuthorOrg, e.AuthorUser, micros(e.CreatedAt))
	return o.mapErr(err, "add evidence")
}

func (o *ops) evidenceFiles(ctx context.Context, where string, args ...any) ([]incident.Evidence, error) {
	rows, err := o.query(ctx, `SELECT `+evidenceCols+` FROM incident_evidence WHERE `+where, args...)
	if err != nil {
		return nil, o.mapErr(err, "evidence")
	}
	defer rows.Close()
	var out []incident.Evidence
	for rows.Next() {
		var e incident.Evidence
		var tlp string
		var at int64
		if err := rows.Scan(&e.ID, &e.IncidentID, &e.Name, &e.SHA256, &e.Size, &e.Malware, &tlp, &e.AuthorOrg, &e.AuthorUser, &at); err != nil {
			return nil, o.mapErr(err, "scan evidence")
		}
		e.TLP, e.CreatedAt = policy.TLP(tlp), fromMicros(at)
		out = append(out, e)
	}
	return out, o.mapErr(rows.Err(), "evidence")
}

// CaseEvidenceFiles implements incident.Reader.
func (o *ops) CaseEvidenceFiles(ctx context.Context, incidentID string) ([]incident.Evidence, error) {
	return o.evidenceFiles(ctx, `incident_id = ? ORDER BY created_at, id LIMIT 100000`, incidentID)
}

// CaseEvidenceFile implements incident.Reader.
func (o *ops) CaseEvidenceFile(ctx context.Context, id string) (incident.Evidence, error) {
	es, err := o.evidenceFiles(ctx, `id = ?`, id)
	if err != nil {
		return incident.Evidence{}, err
	}
	if len(es) == 0 {
		return incident.Evidence{}, errs.E(errs.NotFound, "no such evidence file")
	}
	return es[0], nil
}

// SaveCaseSearch implements incident.Tx.
func (o *ops) SaveCaseSearch(ctx context.Context, s incident.SavedSearch) error {
	_, err := o.exec(ctx, `INSERT INTO incident_searches (id, user_id, name, query, created_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.Name, s.Query, micros(s.CreatedAt))
	return o.mapErr(err, "save search")
}

// DeleteCaseSearch implements incident.Tx.
func (o *ops) DeleteCaseSearch(ctx context.Context, id, userID string) error {
	res, err := o.exec(ctx, `DELETE FROM incident_searches WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return o.mapErr(err, "delete search")
	}
	return mustAffect(res, "saved search")
}

// CaseSearches implements incident.Reader.
func (o *ops) CaseSearches(ctx context.Context, userID string) ([]incident.SavedSearch, error) {
	rows, err := o.query(ctx, `SELECT id, user_id, name, query, created_at FROM incident_searches WHERE user_id = ? ORDER BY name LIMIT 1000`, userID)
	if err != nil {
		return nil, o.mapErr(err, "saved searches")
	}
	defer rows.Close()
	var out []incident.SavedSearch
	for rows.Next() {
		var s incident.SavedSearch
		var at int64
		if err := rows.Scan(&s.ID, &s.UserID, &s.Name, &s.Query, &at); err != nil {
			return nil, o.mapErr(err, "scan search")
		}
		s.CreatedAt = fromMicros(at)
		out = append(out, s)
	}
	return out, o.mapErr(rows.Err(), "saved searches")
}

// AddCaseNotice implements incident.Tx.
func (o *ops) AddCaseNotice(ctx context.Context, n incident.Notice) error {
	_, err := o.exec(ctx, `INSERT INTO incident_notices (id, user_id, org_id, incident_id, kind, text, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		n.ID, n.UserID, n.OrgID, n.IncidentID, n.Kind, n.Text, micros(n.CreatedAt))
	return o.mapErr(err, "add notice")
}

// CaseNotices implements incident.Reader, newest first.
func (o *ops) CaseNotices(ctx context.Context, userID, orgID string, limit int) ([]incident.Notice, error) {
	rows, err := o.query(ctx, `SELECT id, user_id, org_id, incident_id, kind, text, created_at FROM incident_notices
		WHERE (user_id = ? AND user_id <> '') OR (org_id = ? AND org_id <> '') ORDER BY created_at DESC, id DESC LIMIT ?`, userID, orgID, limit)
	if err != nil {
		return nil, o.mapErr(err, "notices")
	}
	defer rows.Close()
	var out []incident.Notice
	for rows.Next() {
		var n incident.Notice
		var at int64
		if err := rows.Scan(&n.ID, &n.UserID, &n.OrgID, &n.IncidentID, &n.Kind, &n.Text, &at); err != nil {
			return nil, o.mapErr(err, "scan notice")
		}
		n.CreatedAt = fromMicros(at)
		out = append(out, n)
	}
	return out, o.mapErr(rows.Err(), "notices")
}

func identitySector(s string) identity.Sector { return identity.Sector(s) }

// AnalyzeIncidents refreshes the planner's statistics of the case tables
// (after a bulk load; both dialects take ANALYZE <table>).
func (db *DB) AnalyzeIncidents(ctx context.Context) error {
	for _, t := range []string{"incidents", "incident_participants"} {
		if _, err := db.write.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return errs.Wrap(err, "analyze "+t)
		}
	}
	return nil
}
