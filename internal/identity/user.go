package identity

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// User is a person who signs in to the hub. Every user belongs to exactly
// one organisation. Compartments are the need-to-know compartments the
// person holds (policy.Member.Compartments): sorted, unique handles, never
// nil; only a hub administrator changes them (policy.GrantCompartment).
type User struct {
	ID           string      `json:"id"`
	Username     string      `json:"username"` // unique, lower-case
	DisplayName  string      `json:"display_name"`
	Email        string      `json:"email"`
	OrgID        string      `json:"org_id"`
	Role         policy.Role `json:"role"`
	Locale       string      `json:"locale"` // "ja" or "en"
	Disabled     bool        `json:"disabled"`
	Compartments []string    `json:"compartments"`
	PasswordHash string      `json:"-"` // argon2id PHC string; never leaves the store layer in output
	CreatedAt    time.Time   `json:"created_at"`
	UpdatedAt    time.Time   `json:"updated_at"`
	LastLoginAt  *time.Time  `json:"last_login_at,omitempty"`
}

// Locales the UI speaks. The first is the default.
var Locales = []string{"ja", "en"}

// ValidLocale reports whether l is a supported locale.
func ValidLocale(l string) bool { return contains(Locales, l) }

var usernameRE = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$`)

// compartmentRE is the form of a compartment handle.
var compartmentRE = regexp.MustCompile(`^[a-z0-9-]{1,48}$`)

// MaxCompartments is how many compartments one person may hold.
const MaxCompartments = 64

// NormalizeCompartments returns handles trimmed, lower-cased, sorted and
// without duplicates; never nil. It does not drop bad handles: Validate
// names them.
func NormalizeCompartments(handles []string) []string {
	out := make([]string, 0, len(handles))
	for _, h := range handles {
		out = append(out, strings.ToLower(strings.TrimSpace(h)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// ValidateCompartments checks handles, adding to l an Invalid error on the
// field "compartments" for each bad one, naming it (the list is sorted by
// then, so an index would not point into what the caller sent), and one for
// too many.
func ValidateCompartments(l *errs.List, handles []string) {
	if len(handles) > MaxCompartments {
		l.Add(errs.Invalid, "compartments", "at most %d compartments", MaxCompartments)
	}
	for _, h := range handles {
		if !compartmentRE.MatchString(h) {
			l.Add(errs.Invalid, "compartments", "must be 1 to 48 lower-case letters, digits or hyphens, not %q", h)
		}
	}
}

// Normalize trims and canonicalises u's fields in place.
func (u *User) Normalize() {
	u.Username = strings.ToLower(strings.TrimSpace(u.Username))
	u.DisplayName = strings.TrimSpace(u.DisplayName)
	u.Email = strings.TrimSpace(u.Email)
	if u.Locale == "" {
		u.Locale = Locales[0]
	}
	if u.Role == "" {
		u.Role = policy.Analyst
	}
	u.Compartments = NormalizeCompartments(u.Compartments)
}

// Validate checks u, naming each bad field.
func (u *User) Validate() error {
	var l errs.List
	if !usernameRE.MatchString(u.Username) {
		l.Add(errs.Invalid, "username", "must be 1 to 64 lower-case letters, digits, dots, hyphens or underscores")
	}
	checkText(&l, "display_name", u.DisplayName, MaxName, false)
	if u.Email != "" {
		if err := ValidateEmail(u.Email); err != nil {
			l.Add(errs.Invalid, "email", "%s", err.(*errs.Error).Message)
		}
	}
	if u.OrgID == "" {
		l.Add(errs.Invalid, "org_id", "is required")
	}
	if !u.Role.Valid() {
		l.Add(errs.Invalid, "role", "unknown role %q", u.Role)
	}
	if !ValidLocale(u.Locale) {
		l.Add(errs.Invalid, "locale", "must be ja or en")
	}
	ValidateCompartments(&l, u.Compartments)
	return l.Err()
}

// UserFilter selects users; zero fields match all.
type UserFilter struct {
	OrgID string
	Query string // substring of username, display name or e-mail
}

// Community is a sharing group: a sector, the government, international
// partners, or any group the hub admin forms. Later parts publish to it.
type Community struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`
	Name        string    `json:"name"`
	NameJA      string    `json:"name_ja"`
	Description string    `json:"description,omitempty"`
	Sector      Sector    `json:"sector,omitempty"` // set for a sector community
	Members     []string  `json:"members"`          // organisation ids, sorted
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Normalize trims c's fields.
func (c *Community) Normalize() {
	c.Slug = strings.ToLower(strings.TrimSpace(c.Slug))
	c.Name = strings.TrimSpace(c.Name)
	c.NameJA = strings.TrimSpace(c.NameJA)
	c.Description = strings.TrimSpace(c.Description)
	if c.Members == nil {
		c.Members = []string{}
	}
}

// Validate checks c, naming each bad field.
func (c *Community) Validate() error {
	var l errs.List
	if !slugRE.MatchString(c.Slug) {
		l.Add(errs.Invalid, "slug", "must be 1 to 48 lower-case letters, digits or hyphens, not starting or ending with a hyphen")
	}
	checkText(&l, "name", c.Name, MaxName, true)
	checkText(&l, "name_ja", c.NameJA, MaxName, false)
	checkText(&l, "description", c.Description, MaxDescription, false)
	if c.Sector != "" && !c.Sector.Valid() {
		l.Add(errs.Invalid, "sector", "unknown sector %q", c.Sector)
	}
	return l.Err()
}

// DisplayName returns the community's name in lang, falling back to English.
func (c Community) DisplayName(lang string) string {
	if lang == "ja" && c.NameJA != "" {
		return c.NameJA
	}
	return c.Name
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }
