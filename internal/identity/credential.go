package identity

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Argon2id parameters (RFC 9106's second recommended option, with 64 MiB).
const (
	argonTime    = 3
	argonMemory  = 64 * 1024 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16
)

// Password rules.
const (
	MinPassword = 12
	MaxPassword = 256
)

// CheckPasswordRules returns an Invalid error on field "password" when pw is
// too short or too long.
func CheckPasswordRules(pw string) error {
	n := len([]rune(pw))
	if n < MinPassword {
		return errs.F(errs.Invalid, "password", "must be at least %d characters", MinPassword)
	}
	if n > MaxPassword {
		return errs.F(errs.Invalid, "password", "must be at most %d characters", MaxPassword)
	}
	return nil
}

// HashPassword returns pw hashed with argon2id in PHC string form.
func HashPassword(pw string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, argonMemory, argonTime, argonThreads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether pw matches the PHC hash. A malformed hash
// never matches.
func CheckPassword(hash, pw string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var v int
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[2], "v=%d", &v); err != nil || v != argon2.Version {
		return false
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 256*1024 || t == 0 || t > 10 || p == 0 || p > 16 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 64 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a username does not exist, so that a
// sign-in takes as long for a missing user as for a wrong password.
var dummyHash = HashPassword("kyojo-dummy-password-for-timing")

// Secret returns n random bytes, base64url without padding.
func Secret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret returns the hex SHA-256 of a high-entropy secret (token, session
// or CSRF value). Such secrets need no slow hash; only the hash is stored.
func HashSecret(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// TokenPrefix starts every API token, so that secret scanners can find
// leaked ones.
const TokenPrefix = "kyojo_"

// Token is an API token. The secret is shown once at creation; the store
// keeps only its hash.
type Token struct {
	ID         string       `json:"id"`
	UserID     string       `json:"user_id"`
	Name       string       `json:"name"`
	Hint       string       `json:"hint"` // the first characters of the secret, to recognise it
	Hash       string       `json:"-"`
	Scope      policy.Scope `json:"scope"`
	CreatedAt  time.Time    `json:"created_at"`
	ExpiresAt  *time.Time   `json:"expires_at,omitempty"` // nil: never
	LastUsedAt *time.Time   `json:"last_used_at,omitempty"`
	RevokedAt  *time.Time   `json:"revoked_at,omitempty"`
}

// Active reports whether t may be used at now.
func (t Token) Active(now time.Time) bool {
	return t.RevokedAt == nil && (t.ExpiresAt == nil || now.Before(*t.ExpiresAt))
}

// Token limits.
const (
	MaxTokenLifetime = 2 * 365 * 24 * time.Hour
	MaxTokensPerUser = 50
)

// NewTokenSecret returns a fresh token secret.
func NewTokenSecret() string { return TokenPrefix + Secret(32) }

// Session is a signed-in browser. The cookie holds the secret; the store
// keeps its hash as ID.
type Session struct {
	ID         string    // hash of the cookie secret
	UserID     string    //
	CreatedAt  time.Time //
	ExpiresAt  time.Time // absolute end
	LastSeenAt time.Time // idle timeout counts from here
	Remote     string
	UserAgent  string
}

// Session lifetimes.
const (
	SessionLifetime = 12 * time.Hour
	SessionIdle     = 2 * time.Hour
	CSRFLifetime    = 2 * time.Hour
)

// Live reports whether s is still valid at now.
func (s Session) Live(now time.Time) bool {
	return now.Before(s.ExpiresAt) && now.Before(s.LastSeenAt.Add(SessionIdle))
}
