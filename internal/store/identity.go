package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// nameKey folds a display name for duplicate detection.
func nameKey(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// conflict rewrites a Conflict from a unique index as a field error.
func conflict(err error, field, format string, args ...any) error {
	if errs.Is(err, errs.Conflict) {
		e := errs.F(errs.Conflict, field, format, args...)
		e.Err = err
		return e
	}
	return err
}

// ---- organisations ----

const orgCols = `id, slug, name, name_ja, kind, sector, tier, country, description, contacts, disabled, created_at, updated_at`

func scanOrg(sc interface{ Scan(...any) error }) (identity.Org, error) {
	var o identity.Org
	var contacts string
	var created, updated int64
	err := sc.Scan(&o.ID, &o.Slug, &o.Name, &o.NameJA, &o.Kind, &o.Sector, &o.Tier, &o.Country,
		&o.Description, &contacts, &o.Disabled, &created, &updated)
	if err != nil {
		return o, err
	}
	o.CreatedAt, o.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal([]byte(contacts), &o.Contacts); err != nil {
		return o, errs.Wrap(err, "org contacts")
	}
	if o.Contacts == nil {
		o.Contacts = []identity.Contact{}
	}
	return o, nil
}

func (o *ops) orgWhere(ctx context.Context, where string, arg any) (identity.Org, error) {
	org, err := scanOrg(o.queryRow(ctx, `SELECT `+orgCols+` FROM organizations WHERE `+where, arg))
	if err != nil {
		if err == sql.ErrNoRows {
			return org, errs.E(errs.NotFound, "no such organisation")
		}
		return org, o.mapErr(err, "org")
	}
	return org, nil
}

// Org implements identity.Reader.
func (o *ops) Org(ctx context.Context, id string) (identity.Org, error) {
	return o.orgWhere(ctx, `id = ?`, id)
}

// OrgBySlug implements identity.Reader.
func (o *ops) OrgBySlug(ctx context.Context, slug string) (identity.Org, error) {
	return o.orgWhere(ctx, `slug = ?`, strings.ToLower(slug))
}

// ListOrgs implements identity.Reader; organisations come sorted by slug.
func (o *ops) ListOrgs(ctx context.Context, f identity.OrgFilter) ([]identity.Org, error) {
	q := `SELECT ` + orgCols + ` FROM organizations WHERE 1=1`
	var args []any
	if f.Kind != "" {
		q += ` AND kind = ?`
		args = append(args, f.Kind)
	}
	if f.Sector != "" {
		q += ` AND sector = ?`
		args = append(args, f.Sector)
	}
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		q += ` AND (slug LIKE ? ESCAPE '\' OR name_key LIKE ? ESCAPE '\' OR LOWER(name_ja) LIKE ? ESCAPE '\')`
		args = append(args, like, like, like)
	}
	rows, err := o.query(ctx, q+` ORDER BY slug`, args...)
	if err != nil {
		return nil, o.mapErr(err, "list orgs")
	}
	defer rows.Close()
	out := []identity.Org{}
	for rows.Next() {
		org, err := scanOrg(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan org")
		}
		out = append(out, org)
	}
	return out, o.mapErr(rows.Err(), "list orgs")
}

func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

func contactsJSON(cs []identity.Contact) string {
	if cs == nil {
		cs = []identity.Contact{}
	}
	b, _ := json.Marshal(cs)
	return string(b)
}

// CreateOrg implements identity.Writer.
func (o *ops) CreateOrg(ctx context.Context, org identity.Org) error {
	_, err := o.exec(ctx, `INSERT INTO organizations (`+orgCols+`, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		org.ID, org.Slug, org.Name, org.NameJA, org.Kind, org.Sector, org.Tier, org.Country, org.Description,
		contactsJSON(org.Contacts), org.Disabled, micros(org.CreatedAt), micros(org.UpdatedAt), nameKey(org.Name))
	return orgConflict(o.mapErr(err, "create org"), org)
}

// orgConflict names which unique field a duplicate organisation collides on.
func orgConflict(err error, org identity.Org) error {
	if uniqueField(err) == "slug" {
		return conflict(err, "slug", "an organisation with the handle %q already exists", org.Slug)
	}
	return conflict(err, "name", "an organisation named %q already exists", org.Name)
}

// uniqueField returns the column of a Conflict from a unique index.
func uniqueField(err error) string {
	var ke *errs.Error
	if errors.As(err, &ke) && ke.Code == errs.Conflict {
		return ke.Field
	}
	return ""
}

// UpdateOrg implements identity.Writer.
func (o *ops) UpdateOrg(ctx context.Context, org identity.Org) error {
	res, err := o.exec(ctx, `UPDATE organizations SET slug = ?, name = ?, name_key = ?, name_ja = ?, kind = ?, sector = ?,
		tier = ?, country = ?, description = ?, contacts = ?, disabled = ?, updated_at = ? WHERE id = ?`,
		org.Slug, org.Name, nameKey(org.Name), org.NameJA, org.Kind, org.Sector, org.Tier, org.Country, org.Description,
		contactsJSON(org.Contacts), org.Disabled, micros(org.UpdatedAt), org.ID)
	if err != nil {
		return orgConflict(o.mapErr(err, "update org"), org)
	}
	return mustAffect(res, "organisation")
}

// ---- communities ----

const communityCols = `id, slug, name, name_ja, description, sector, created_at, updated_at`

func (o *ops) communityWhere(ctx context.Context, where string, arg any) (identity.Community, error) {
	var c identity.Community
	var created, updated int64
	err := o.queryRow(ctx, `SELECT `+communityCols+` FROM communities WHERE `+where, arg).
		Scan(&c.ID, &c.Slug, &c.Name, &c.NameJA, &c.Description, &c.Sector, &created, &updated)
	if err == sql.ErrNoRows {
		return c, errs.E(errs.NotFound, "no such community")
	} else if err != nil {
		return c, o.mapErr(err, "community")
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	c.Members, err = o.strings(ctx, `SELECT org_id FROM community_members WHERE community_id = ? ORDER BY org_id`, c.ID)
	return c, err
}

// Community implements identity.Reader.
func (o *ops) Community(ctx context.Context, id string) (identity.Community, error) {
	return o.communityWhere(ctx, `id = ?`, id)
}

// CommunityBySlug implements identity.Reader.
func (o *ops) CommunityBySlug(ctx context.Context, slug string) (identity.Community, error) {
	return o.communityWhere(ctx, `slug = ?`, strings.ToLower(slug))
}

// ListCommunities implements identity.Reader; sorted by slug, with members.
func (o *ops) ListCommunities(ctx context.Context) ([]identity.Community, error) {
	rows, err := o.query(ctx, `SELECT `+communityCols+` FROM communities ORDER BY slug`)
	if err != nil {
		return nil, o.mapErr(err, "list communities")
	}
	out := []identity.Community{}
	byID := map[string]int{}
	for rows.Next() {
		var c identity.Community
		var created, updated int64
		if err := rows.Scan(&c.ID, &c.Slug, &c.Name, &c.NameJA, &c.Description, &c.Sector, &created, &updated); err != nil {
			rows.Close()
			return nil, o.mapErr(err, "scan community")
		}
		c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
		c.Members = []string{}
		byID[c.ID] = len(out)
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, o.mapErr(err, "list communities")
	}
	mrows, err := o.query(ctx, `SELECT community_id, org_id FROM community_members ORDER BY community_id, org_id`)
	if err != nil {
		return nil, o.mapErr(err, "list members")
	}
	defer mrows.Close()
	for mrows.Next() {
		var cid, oid string
		if err := mrows.Scan(&cid, &oid); err != nil {
			return nil, o.mapErr(err, "scan member")
		}
		if i, ok := byID[cid]; ok {
			out[i].Members = append(out[i].Members, oid)
		}
	}
	return out, o.mapErr(mrows.Err(), "list members")
}

// CommunitiesOf implements identity.Reader.
func (o *ops) CommunitiesOf(ctx context.Context, orgID string) ([]string, error) {
	return o.strings(ctx, `SELECT community_id FROM community_members WHERE org_id = ? ORDER BY community_id`, orgID)
}

func (o *ops) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := o.query(ctx, q, args...)
	if err != nil {
		return nil, o.mapErr(err, "query")
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, o.mapErr(err, "scan")
		}
		out = append(out, s)
	}
	return out, o.mapErr(rows.Err(), "query")
}

// CreateCommunity implements identity.Writer.
func (o *ops) CreateCommunity(ctx context.Context, c identity.Community) error {
	_, err := o.exec(ctx, `INSERT INTO communities (`+communityCols+`, name_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.Slug, c.Name, c.NameJA, c.Description, c.Sector, micros(c.CreatedAt), micros(c.UpdatedAt), nameKey(c.Name))
	if err != nil {
		return communityConflict(o.mapErr(err, "create community"), c)
	}
	return o.setMembers(ctx, c)
}

func communityConflict(err error, c identity.Community) error {
	if uniqueField(err) == "slug" {
		return conflict(err, "slug", "a community with the handle %q already exists", c.Slug)
	}
	return conflict(err, "name", "a community named %q already exists", c.Name)
}

// UpdateCommunity implements identity.Writer.
func (o *ops) UpdateCommunity(ctx context.Context, c identity.Community) error {
	res, err := o.exec(ctx, `UPDATE communities SET slug = ?, name = ?, name_key = ?, name_ja = ?, description = ?, sector = ?,
		updated_at = ? WHERE id = ?`, c.Slug, c.Name, nameKey(c.Name), c.NameJA, c.Description, c.Sector, micros(c.UpdatedAt), c.ID)
	if err != nil {
		return communityConflict(o.mapErr(err, "update community"), c)
	}
	if err := mustAffect(res, "community"); err != nil {
		return err
	}
	if _, err := o.exec(ctx, `DELETE FROM community_members WHERE community_id = ?`, c.ID); err != nil {
		return o.mapErr(err, "clear members")
	}
	return o.setMembers(ctx, c)
}

func (o *ops) setMembers(ctx context.Context, c identity.Community) error {
	for _, m := range c.Members {
		if _, err := o.exec(ctx, `INSERT INTO community_members (community_id, org_id) VALUES (?, ?)`, c.ID, m); err != nil {
			return o.mapErr(err, "add member")
		}
	}
	return nil
}

// ---- users ----

const userCols = `id, username, display_name, email, org_id, role, locale, disabled, password_hash, created_at, updated_at,
	last_login_at, compartments`

func scanUser(sc interface{ Scan(...any) error }) (identity.User, error) {
	var u identity.User
	var created, updated int64
	var last sql.NullInt64
	var comps string
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.Email, &u.OrgID, &u.Role, &u.Locale, &u.Disabled,
		&u.PasswordHash, &created, &updated, &last, &comps)
	if err != nil {
		return u, err
	}
	u.CreatedAt, u.UpdatedAt, u.LastLoginAt = fromMicros(created), fromMicros(updated), fromNullMicros(last)
	if err := json.Unmarshal([]byte(comps), &u.Compartments); err != nil {
		return u, errs.Wrap(err, "user compartments")
	}
	if u.Compartments == nil {
		u.Compartments = []string{}
	}
	return u, nil
}

func (o *ops) userWhere(ctx context.Context, where string, arg any) (identity.User, error) {
	u, err := scanUser(o.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE `+where, arg))
	if err == sql.ErrNoRows {
		return u, errs.E(errs.NotFound, "no such user")
	}
	return u, o.mapErr(err, "user")
}

// User implements identity.Reader.
func (o *ops) User(ctx context.Context, id string) (identity.User, error) {
	return o.userWhere(ctx, `id = ?`, id)
}

// UserByUsername implements identity.Reader.
func (o *ops) UserByUsername(ctx context.Context, username string) (identity.User, error) {
	return o.userWhere(ctx, `username = ?`, strings.ToLower(username))
}

// ListUsers implements identity.Reader; sorted by username.
func (o *ops) ListUsers(ctx context.Context, f identity.UserFilter) ([]identity.User, error) {
	q := `SELECT ` + userCols + ` FROM users WHERE 1=1`
	var args []any
	if f.OrgID != "" {
		q += ` AND org_id = ?`
		args = append(args, f.OrgID)
	}
	if f.Query != "" {
		like := "%" + escapeLike(strings.ToLower(f.Query)) + "%"
		q += ` AND (username LIKE ? ESCAPE '\' OR LOWER(display_name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\')`
		args = append(args, like, like, like)
	}
	rows, err := o.query(ctx, q+` ORDER BY username`, args...)
	if err != nil {
		return nil, o.mapErr(err, "list users")
	}
	defer rows.Close()
	out := []identity.User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan user")
		}
		out = append(out, u)
	}
	return out, o.mapErr(rows.Err(), "list users")
}

// CountUsers implements identity.Reader.
func (o *ops) CountUsers(ctx context.Context, orgID, role string) (int, error) {
	q := `SELECT COUNT(*) FROM users WHERE disabled = ?`
	args := []any{false}
	if orgID != "" {
		q += ` AND org_id = ?`
		args = append(args, orgID)
	}
	if role != "" {
		q += ` AND role = ?`
		args = append(args, role)
	}
	var n int
	err := o.queryRow(ctx, q, args...).Scan(&n)
	return n, o.mapErr(err, "count users")
}

// CreateUser implements identity.Writer.
func (o *ops) CreateUser(ctx context.Context, u identity.User) error {
	_, err := o.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Username, u.DisplayName, u.Email, u.OrgID, u.Role, u.Locale, u.Disabled, u.PasswordHash,
		micros(u.CreatedAt), micros(u.UpdatedAt), nullMicros(u.LastLoginAt), jsonList(u.Compartments))
	return conflict(o.mapErr(err, "create user"), "username", "the username %q is taken", u.Username)
}

// UpdateUser implements identity.Writer.
func (o *ops) UpdateUser(ctx context.Context, u identity.User) error {
	res, err := o.exec(ctx, `UPDATE users SET display_name = ?, email = ?, role = ?, locale = ?, disabled = ?, compartments = ?,
		updated_at = ? WHERE id = ?`, u.DisplayName, u.Email, u.Role, u.Locale, u.Disabled, jsonList(u.Compartments),
		micros(u.UpdatedAt), u.ID)
	if err != nil {
		return o.mapErr(err, "update user")
	}
	return mustAffect(res, "user")
}

// SetPassword implements identity.Writer.
func (o *ops) SetPassword(ctx context.Context, userID, hash string, at time.Time) error {
	res, err := o.exec(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`, hash, micros(at), userID)
	if err != nil {
		return o.mapErr(err, "set password")
	}
	return mustAffect(res, "user")
}

// TouchLogin implements identity.Writer.
func (o *ops) TouchLogin(ctx context.Context, userID string, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, micros(at), userID)
	return o.mapErr(err, "touch login")
}

// ---- tokens ----

const tokenCols = `id, user_id, name, hint, hash, scope, created_at, expires_at, last_used_at, revoked_at`

func scanToken(sc interface{ Scan(...any) error }) (identity.Token, error) {
	var t identity.Token
	var created int64
	var exp, used, revoked sql.NullInt64
	var scope string
	err := sc.Scan(&t.ID, &t.UserID, &t.Name, &t.Hint, &t.Hash, &scope, &created, &exp, &used, &revoked)
	t.Scope = policy.Scope(scope)
	t.CreatedAt, t.ExpiresAt, t.LastUsedAt, t.RevokedAt = fromMicros(created), fromNullMicros(exp), fromNullMicros(used), fromNullMicros(revoked)
	return t, err
}

func (o *ops) tokenWhere(ctx context.Context, where string, arg any) (identity.Token, error) {
	t, err := scanToken(o.queryRow(ctx, `SELECT `+tokenCols+` FROM tokens WHERE `+where, arg))
	if err == sql.ErrNoRows {
		return t, errs.E(errs.NotFound, "no such token")
	}
	return t, o.mapErr(err, "token")
}

// Token implements identity.Reader.
func (o *ops) Token(ctx context.Context, id string) (identity.Token, error) {
	return o.tokenWhere(ctx, `id = ?`, id)
}

// TokenByHash implements identity.Reader.
func (o *ops) TokenByHash(ctx context.Context, hash string) (identity.Token, error) {
	return o.tokenWhere(ctx, `hash = ?`, hash)
}

// ListTokens implements identity.Reader; newest first.
func (o *ops) ListTokens(ctx context.Context, userID string) ([]identity.Token, error) {
	rows, err := o.query(ctx, `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY created_at DESC, id`, userID)
	if err != nil {
		return nil, o.mapErr(err, "list tokens")
	}
	defer rows.Close()
	out := []identity.Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, o.mapErr(err, "scan token")
		}
		out = append(out, t)
	}
	return out, o.mapErr(rows.Err(), "list tokens")
}

// CreateToken implements identity.Writer.
func (o *ops) CreateToken(ctx context.Context, t identity.Token) error {
	_, err := o.exec(ctx, `INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.Name, t.Hint, t.Hash, string(t.Scope), micros(t.CreatedAt), nullMicros(t.ExpiresAt),
		nullMicros(t.LastUsedAt), nullMicros(t.RevokedAt))
	return o.mapErr(err, "create token")
}

// RevokeToken implements identity.Writer.
func (o *ops) RevokeToken(ctx context.Context, id string, at time.Time) error {
	res, err := o.exec(ctx, `UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`, micros(at), id)
	if err != nil {
		return o.mapErr(err, "revoke token")
	}
	return mustAffect(res, "token")
}

// TouchToken implements identity.Writer.
func (o *ops) TouchToken(ctx context.Context, id string, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE tokens SET last_used_at = ? WHERE id = ?`, micros(at), id)
	return o.mapErr(err, "touch token")
}

// ---- sessions and CSRF ----

// Session implements identity.Reader.
func (o *ops) Session(ctx context.Context, id string) (identity.Session, error) {
	var s identity.Session
	var created, exp, seen int64
	err := o.queryRow(ctx, `SELECT id, user_id, created_at, expires_at, last_seen_at, remote, user_agent FROM sessions WHERE id = ?`, id).
		Scan(&s.ID, &s.UserID, &created, &exp, &seen, &s.Remote, &s.UserAgent)
	if err == sql.ErrNoRows {
		return s, errs.E(errs.NotFound, "no such session")
	}
	s.CreatedAt, s.ExpiresAt, s.LastSeenAt = fromMicros(created), fromMicros(exp), fromMicros(seen)
	return s, o.mapErr(err, "session")
}

// CreateSession implements identity.Writer.
func (o *ops) CreateSession(ctx context.Context, s identity.Session) error {
	_, err := o.exec(ctx, `INSERT INTO sessions (id, user_id, created_at, expires_at, last_seen_at, remote, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, s.ID, s.UserID, micros(s.CreatedAt), micros(s.ExpiresAt), micros(s.LastSeenAt), s.Remote, s.UserAgent)
	return o.mapErr(err, "create session")
}

// TouchSession implements identity.Writer.
func (o *ops) TouchSession(ctx context.Context, id string, at time.Time) error {
	_, err := o.exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, micros(at), id)
	return o.mapErr(err, "touch session")
}

// DeleteSession implements identity.Writer.
func (o *ops) DeleteSession(ctx context.Context, id string) error {
	res, err := o.exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return o.mapErr(err, "delete session")
	}
	return mustAffect(res, "session")
}

// DeleteUserSessions implements identity.Writer.
func (o *ops) DeleteUserSessions(ctx context.Context, userID string) error {
	_, err := o.exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID)
	return o.mapErr(err, "delete sessions")
}

// CreateCSRF implements identity.Writer.
func (o *ops) CreateCSRF(ctx context.Context, hash, binding string, expires time.Time) error {
	_, err := o.exec(ctx, `INSERT INTO csrf_tokens (hash, binding, expires_at) VALUES (?, ?, ?)`, hash, binding, micros(expires))
	return o.mapErr(err, "create csrf")
}

// ConsumeCSRF implements identity.Writer.
func (o *ops) ConsumeCSRF(ctx context.Context, hash, binding string, now time.Time) (bool, error) {
	res, err := o.exec(ctx, `DELETE FROM csrf_tokens WHERE hash = ? AND binding = ? AND expires_at > ?`, hash, binding, micros(now))
	if err != nil {
		return false, o.mapErr(err, "consume csrf")
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, errs.Wrap(err, "consume csrf")
	}
	if n == 0 { // a token presented with the wrong binding is spent too
		if _, err := o.exec(ctx, `DELETE FROM csrf_tokens WHERE hash = ?`, hash); err != nil {
			return false, o.mapErr(err, "consume csrf")
		}
	}
	return n == 1, nil
}

// PurgeExpired implements identity.Writer.
func (o *ops) PurgeExpired(ctx context.Context, now time.Time) error {
	us := micros(now)
	idle := micros(now.Add(-identity.SessionIdle))
	if _, err := o.exec(ctx, `DELETE FROM sessions WHERE expires_at <= ? OR last_seen_at <= ?`, us, idle); err != nil {
		return o.mapErr(err, "purge sessions")
	}
	_, err := o.exec(ctx, `DELETE FROM csrf_tokens WHERE expires_at <= ?`, us)
	return o.mapErr(err, "purge csrf")
}
