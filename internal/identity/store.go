package identity

import (
	"context"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
)

// Reader reads identity data. Methods that look up one thing return an
// errs.NotFound error when it does not exist, never a zero value and nil.
type Reader interface {
	Org(ctx context.Context, id string) (Org, error)
	OrgBySlug(ctx context.Context, slug string) (Org, error)
	ListOrgs(ctx context.Context, f OrgFilter) ([]Org, error)

	Community(ctx context.Context, id string) (Community, error)
	CommunityBySlug(ctx context.Context, slug string) (Community, error)
	ListCommunities(ctx context.Context) ([]Community, error)
	// CommunitiesOf returns the ids of the communities orgID belongs to.
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)

	User(ctx context.Context, id string) (User, error)
	UserByUsername(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context, f UserFilter) ([]User, error)
	// CountUsers counts enabled users with role in orgID ("" = every organisation).
	CountUsers(ctx context.Context, orgID string, role string) (int, error)

	Token(ctx context.Context, id string) (Token, error)
	TokenByHash(ctx context.Context, hash string) (Token, error)
	ListTokens(ctx context.Context, userID string) ([]Token, error)

	Session(ctx context.Context, id string) (Session, error)
}

// Writer changes identity data. Create methods fail with errs.Conflict when
// a unique name is taken; update methods with errs.NotFound when the row is
// gone.
type Writer interface {
	CreateOrg(ctx context.Context, o Org) error
	UpdateOrg(ctx context.Context, o Org) error // replaces the row and its contacts

	CreateCommunity(ctx context.Context, c Community) error
	UpdateCommunity(ctx context.Context, c Community) error // replaces the row and its members

	CreateUser(ctx context.Context, u User) error
	UpdateUser(ctx context.Context, u User) error // every field but PasswordHash and LastLoginAt
	SetPassword(ctx context.Context, userID, hash string, at time.Time) error
	TouchLogin(ctx context.Context, userID string, at time.Time) error

	CreateToken(ctx context.Context, t Token) error
	RevokeToken(ctx context.Context, id string, at time.Time) error
	TouchToken(ctx context.Context, id string, at time.Time) error

	CreateSession(ctx context.Context, s Session) error
	TouchSession(ctx context.Context, id string, at time.Time) error
	DeleteSession(ctx context.Context, id string) error
	DeleteUserSessions(ctx context.Context, userID string) error

	// CreateCSRF stores a one-time form token bound to a session or pre-session.
	CreateCSRF(ctx context.Context, hash, binding string, expires time.Time) error
	// ConsumeCSRF deletes the token and reports whether it existed, was bound
	// to binding and had not expired at now. A second call for the same
	// token reports false.
	ConsumeCSRF(ctx context.Context, hash, binding string, now time.Time) (bool, error)
	// PurgeExpired deletes expired sessions and CSRF tokens.
	PurgeExpired(ctx context.Context, now time.Time) error
}

// Tx is one transaction: reads see its own writes, and audit records
// appended in it commit or roll back with the change.
type Tx interface {
	Reader
	Writer
	audit.Appender
}

// Store is the identity store. Transact runs fn in one transaction and
// commits when fn returns nil; any error rolls everything back and is
// returned as it was.
type Store interface {
	Reader
	audit.Reader
	Transact(ctx context.Context, fn func(Tx) error) error
	// Ping checks that the database answers.
	Ping(ctx context.Context) error
}
