package identity

import (
	"context"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// ---- sign-in and sessions ----

// Login checks a username and password and opens a session. It returns the
// session's secret for the cookie. Failures are rate-limited per username
// and per client address, and every attempt is audited.
func (s *Service) Login(ctx context.Context, a Actor, username, password, userAgent string) (secret string, u User, err error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if err := s.limiter.Allow("u:"+username, "ip:"+a.Remote); err != nil {
		return "", User{}, s.deny(ctx, withName(a, username), "auth.login", "user", "", "", err)
	}
	u, err = s.store.UserByUsername(ctx, username)
	switch {
	case errs.Is(err, errs.NotFound):
		CheckPassword(dummyHash, password) // same work as a real check
	case err != nil:
		return "", User{}, err
	}
	ok := err == nil && CheckPassword(u.PasswordHash, password)
	if ok && u.Disabled {
		ok = false
	}
	if ok {
		if o, oerr := s.store.Org(ctx, u.OrgID); oerr != nil || o.Disabled {
			ok = false
		}
	}
	if !ok {
		s.limiter.Fail("u:"+username, "ip:"+a.Remote)
		return "", User{}, s.deny(ctx, withName(a, username), "auth.login", "user", u.ID, u.OrgID,
			errs.E(errs.Unauthenticated, "wrong username or password"))
	}
	s.limiter.Reset("u:" + username)
	now := s.clock()
	secret = Secret(32)
	sess := Session{ID: HashSecret(secret), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(SessionLifetime),
		LastSeenAt: now, Remote: a.Remote, UserAgent: truncate(userAgent, 256)}
	actor := ActorFor(u, policy.ScopeWrite, a)
	err = s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.CreateSession(ctx, sess); err != nil {
			return err
		}
		if err := tx.TouchLogin(ctx, u.ID, now); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(actor, "auth.login", "user", u.ID, u.OrgID, audit.Success, nil))
	})
	if err != nil {
		return "", User{}, err
	}
	return secret, u, nil
}

// Logout ends the session whose cookie secret is given.
func (s *Service) Logout(ctx context.Context, a Actor, secret string) error {
	id := HashSecret(secret)
	return s.store.Transact(ctx, func(tx Tx) error {
		if err := tx.DeleteSession(ctx, id); err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "auth.logout", "user", a.UserID, a.OrgID, audit.Success, nil))
	})
}

// AuthenticateSession returns the actor behind a session cookie secret. An
// unknown, expired or idle session, or a disabled person or organisation,
// is errs.Unauthenticated. The session's idle clock is refreshed at most
// once a minute.
func (s *Service) AuthenticateSession(ctx context.Context, secret string, from Actor) (Actor, User, error) {
	if secret == "" {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "not signed in")
	}
	now := s.clock()
	sess, err := s.store.Session(ctx, HashSecret(secret))
	if errs.Is(err, errs.NotFound) || (err == nil && !sess.Live(now)) {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "your session has ended; sign in again")
	} else if err != nil {
		return Actor{}, User{}, err
	}
	u, o, err := s.activeUser(ctx, sess.UserID)
	if err != nil {
		return Actor{}, User{}, err
	}
	if now.Sub(sess.LastSeenAt) > time.Minute {
		_ = s.store.Transact(ctx, func(tx Tx) error { return tx.TouchSession(ctx, sess.ID, now) })
	}
	return ActorForOrg(u, o, policy.ScopeWrite, from), u, nil
}

// AuthenticateToken returns the actor behind an API token. An unknown,
// expired or revoked token, or a disabled person or organisation, is
// errs.Unauthenticated with a message saying which.
func (s *Service) AuthenticateToken(ctx context.Context, secret string, from Actor) (Actor, User, error) {
	if !strings.HasPrefix(secret, TokenPrefix) {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "not a kyojo API token")
	}
	now := s.clock()
	t, err := s.store.TokenByHash(ctx, HashSecret(secret))
	if errs.Is(err, errs.NotFound) {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "unknown API token")
	} else if err != nil {
		return Actor{}, User{}, err
	}
	if t.RevokedAt != nil {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "this API token was revoked")
	}
	if !t.Active(now) {
		return Actor{}, User{}, errs.E(errs.Unauthenticated, "this API token has expired")
	}
	u, o, err := s.activeUser(ctx, t.UserID)
	if err != nil {
		return Actor{}, User{}, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		s.touchToken(ctx, t.ID, now)
	}
	return ActorForOrg(u, o, t.Scope, from), u, nil
}

// touchToken records a token's last use in the background, once at a
// time per token: the request does not wait for the write to commit (a
// burst of first uses after a quiet minute made every request in it wait
// for its own commit), and concurrent requests with the same token write
// it once.
func (s *Service) touchToken(ctx context.Context, id string, now time.Time) {
	if _, busy := s.touching.LoadOrStore(id, struct{}{}); busy {
		return
	}
	s.touches.Add(1)
	go func() {
		defer s.touches.Done()
		defer s.touching.Delete(id)
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		_ = s.store.Transact(ctx, func(tx Tx) error { return tx.TouchToken(ctx, id, now) })
	}()
}

// WaitTouches waits for the background writes of tokens' last use.
func (s *Service) WaitTouches() { s.touches.Wait() }

func (s *Service) activeUser(ctx context.Context, id string) (User, Org, error) {
	u, err := s.store.User(ctx, id)
	if errs.Is(err, errs.NotFound) || (err == nil && u.Disabled) {
		return User{}, Org{}, errs.E(errs.Unauthenticated, "this account is disabled")
	} else if err != nil {
		return User{}, Org{}, err
	}
	o, err := s.store.Org(ctx, u.OrgID)
	if err != nil {
		return User{}, Org{}, err
	}
	if o.Disabled {
		return User{}, Org{}, errs.E(errs.Unauthenticated, "this organisation is disabled")
	}
	return u, o, nil
}

// ActorForOrg is ActorFor with the organisation's kind filled in, which
// some decisions (such as law-enforcement requests) depend on.
func ActorForOrg(u User, o Org, scope policy.Scope, from Actor) Actor {
	a := ActorFor(u, scope, from)
	a.OrgKind = string(o.Kind)
	return a
}

// ActorFor builds the actor for u acting with scope, carrying the request
// details of from.
func ActorFor(u User, scope policy.Scope, from Actor) Actor {
	return Actor{
		Viewer:   policy.Viewer{UserID: u.ID, OrgID: u.OrgID, Role: u.Role, Scope: scope},
		Username: u.Username, Remote: from.Remote, Via: from.Via, RequestID: from.RequestID,
	}
}

func withName(a Actor, name string) Actor { a.Username = name; return a }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// ---- CSRF ----

// IssueCSRF returns a new one-time form token bound to binding (the session
// id, or a pre-session nonce's hash on the sign-in form).
func (s *Service) IssueCSRF(ctx context.Context, binding string) (string, error) {
	tok := Secret(24)
	now := s.clock()
	err := s.store.Transact(ctx, func(tx Tx) error {
		return tx.CreateCSRF(ctx, HashSecret(tok), binding, now.Add(CSRFLifetime))
	})
	return tok, err
}

// CheckCSRF consumes a form token. A missing, foreign, expired or already
// used token is errs.Forbidden.
func (s *Service) CheckCSRF(ctx context.Context, token, binding string) error {
	if token == "" {
		return errs.E(errs.Forbidden, "the form has no security token; reload the page and try again")
	}
	var ok bool
	err := s.store.Transact(ctx, func(tx Tx) error {
		var err error
		ok, err = tx.ConsumeCSRF(ctx, HashSecret(token), binding, s.clock())
		return err
	})
	if err != nil {
		return err
	}
	if !ok {
		return errs.E(errs.Forbidden, "the form has expired or was already sent; reload the page and try again")
	}
	return nil
}

// Purge deletes expired sessions and form tokens.
func (s *Service) Purge(ctx context.Context) error {
	return s.store.Transact(ctx, func(tx Tx) error { return tx.PurgeExpired(ctx, s.clock()) })
}

// ---- API tokens ----

// NewToken is the input for CreateToken.
type NewToken struct {
	Name      string        `json:"name"`
	Scope     policy.Scope  `json:"scope"`
	ExpiresIn time.Duration `json:"-"` // 0: the maximum lifetime
}

// CreateToken makes an API token for the person ref (id or username; ""
// for the actor). It returns the token and its secret, which is shown once
// and never stored. A token's scope cannot exceed the actor's.
func (s *Service) CreateToken(ctx context.Context, a Actor, ref string, in NewToken) (Token, string, error) {
	if err := signedIn(a); err != nil {
		return Token{}, "", err
	}
	if ref == "" {
		ref = a.UserID
	}
	var out Token
	var secret string
	var denied error
	var owner User
	err := s.store.Transact(ctx, func(tx Tx) error {
		u, err := userByRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		owner = u
		act := policy.ManageOwnTokens
		if u.ID != a.UserID {
			act = policy.ManageAnyTokens
		}
		if err := policy.Decide(a.Viewer, act, policy.Target{UserID: u.ID, OrgID: u.OrgID}); err != nil {
			denied = err
			return err
		}
		var l errs.List
		name := strings.TrimSpace(in.Name)
		checkText(&l, "name", name, MaxName, true)
		if in.Scope == "" {
			in.Scope = policy.ScopeRead
		}
		if !in.Scope.Valid() {
			l.Add(errs.Invalid, "scope", "must be read or write")
		}
		if in.ExpiresIn < 0 || in.ExpiresIn > MaxTokenLifetime {
			l.Add(errs.Invalid, "expires_in", "must be between 1 hour and %d days", int(MaxTokenLifetime.Hours()/24))
		} else if in.ExpiresIn > 0 && in.ExpiresIn < time.Hour {
			l.Add(errs.Invalid, "expires_in", "must be at least 1 hour")
		}
		if err := l.Err(); err != nil {
			return err
		}
		existing, err := tx.ListTokens(ctx, u.ID)
		if err != nil {
			return err
		}
		if len(existing) >= MaxTokensPerUser {
			return errs.F(errs.Conflict, "name", "at most %d tokens per person; revoke an old one first", MaxTokensPerUser)
		}
		now := s.clock()
		ttl := in.ExpiresIn
		if ttl == 0 {
			ttl = MaxTokenLifetime
		}
		exp := now.Add(ttl)
		secret = NewTokenSecret()
		out = Token{ID: newID(), UserID: u.ID, Name: name, Hint: secret[:len(TokenPrefix)+4],
			Hash: HashSecret(secret), Scope: in.Scope, CreatedAt: now, ExpiresAt: &exp}
		if err := tx.CreateToken(ctx, out); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "token.create", "token", out.ID, u.OrgID, audit.Success,
			map[string]any{"user_id": u.ID, "name": name, "scope": in.Scope, "expires_at": exp}))
	})
	if denied != nil {
		return Token{}, "", s.deny(ctx, a, "token.create", "token", "", owner.OrgID, denied)
	}
	if err != nil {
		return Token{}, "", err
	}
	return out, secret, nil
}

// ListTokens lists the tokens of person ref ("" for the actor); secrets are
// never returned.
func (s *Service) ListTokens(ctx context.Context, a Actor, ref string) ([]Token, error) {
	if err := signedIn(a); err != nil {
		return nil, err
	}
	if ref == "" {
		ref = a.UserID
	}
	u, err := userByRef(ctx, s.store, ref)
	if err != nil {
		return nil, err
	}
	act := policy.ManageOwnTokens
	if u.ID != a.UserID {
		act = policy.ManageAnyTokens
	}
	// Listing is a read: judge it with a read-only copy of the rights.
	v := a.Viewer
	v.Scope = policy.ScopeWrite
	if err := policy.Decide(v, act, policy.Target{UserID: u.ID, OrgID: u.OrgID}); err != nil {
		return nil, s.deny(ctx, a, "token.list", "token", "", u.OrgID, err)
	}
	ts, err := s.store.ListTokens(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	return ts, s.logRead(ctx, a, "token.list", "token", "", u.OrgID, map[string]string{"user_id": u.ID})
}

// RevokeToken revokes token id. Owners revoke their own; hub administrators
// anyone's. Revoking twice is not an error.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id string) error {
	if err := signedIn(a); err != nil {
		return err
	}
	var denied error
	err := s.store.Transact(ctx, func(tx Tx) error {
		t, err := tx.Token(ctx, id)
		if err != nil {
			return err
		}
		act := policy.ManageOwnTokens
		if t.UserID != a.UserID {
			act = policy.ManageAnyTokens
		}
		if err := policy.Decide(a.Viewer, act, policy.Target{UserID: t.UserID}); err != nil {
			denied = err
			return err
		}
		if t.RevokedAt != nil {
			return nil
		}
		if err := tx.RevokeToken(ctx, id, s.clock()); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "token.revoke", "token", id, "", audit.Success,
			map[string]string{"user_id": t.UserID, "name": t.Name}))
	})
	if denied != nil {
		if errs.Is(denied, errs.Forbidden) {
			denied = errs.E(errs.NotFound, "no such token")
		}
		return s.deny(ctx, a, "token.revoke", "token", id, "", denied)
	}
	return err
}

// ---- audit trail ----

// ListAudit browses the audit trail. A hub administrator sees every record;
// an organisation administrator only records about their organisation. The
// browse itself is audited.
func (s *Service) ListAudit(ctx context.Context, a Actor, f audit.Filter) ([]audit.Record, error) {
	if err := signedIn(a); err != nil {
		return nil, err
	}
	if a.Role != policy.HubAdmin {
		if f.OrgID != "" && f.OrgID != a.OrgID {
			return nil, s.deny(ctx, a, "audit.read", "audit", "", f.OrgID,
				errs.E(errs.Forbidden, "you may read only your own organisation's records"))
		}
		f.OrgID = a.OrgID
	}
	t := policy.Target{OrgID: f.OrgID}
	if f.OrgID == "" {
		t.OrgID = "\x00all"
	}
	if err := policy.Decide(a.Viewer, policy.ReadAudit, t); err != nil {
		return nil, s.deny(ctx, a, "audit.read", "audit", "", f.OrgID, err)
	}
	recs, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return nil, err
	}
	return recs, s.logRead(ctx, a, "audit.read", "audit", "", f.OrgID, f)
}
