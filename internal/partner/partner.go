// Package partner keeps the registry of the hub's federation partners
// (foreign CSIRTs, partner hubs, MISP or OpenCTI instances reached over
// TAXII 2.1), decides what may leave for each of them (Outbound: a pure
// function), and runs the exchanges: pulling with an added_after bookmark,
// pushing what is newly shared by store sequence, with back-off, and a
// record of every exchange from which the partner's health is computed.
//
// A partner stands on this hub as a member organisation (Partner.OrgID,
// usually of kind foreign_csirt): that organisation is the viewer whose
// policy.CanSee every outbound object must pass, and the author of what is
// pulled from the partner, so provenance is kept. Credentials are sealed
// with AES-GCM under the hub's partner key and are never logged, audited
// or returned.
package partner

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Direction says which way intelligence flows with a partner.
type Direction string

// The directions.
const (
	Pull Direction = "pull" // this hub fetches from the partner's collection
	Push Direction = "push" // this hub sends to the partner's collection
	Both Direction = "both"
)

// Pulls and Pushes report what d includes.
func (d Direction) Pulls() bool  { return d == Pull || d == Both }
func (d Direction) Pushes() bool { return d == Push || d == Both }

// Auth is how this hub authenticates to the partner.
type Auth string

// The authentication schemes.
const (
	Basic  Auth = "basic"  // HTTP Basic: Username and the secret
	Bearer Auth = "bearer" // Authorization: Bearer <secret>
)

// Policy says what may leave for a partner. Whatever it says, TLP:RED,
// objects for named people and need-to-know objects never leave (Outbound).
type Policy struct {
	Markings    []policy.TLP `json:"markings"`              // TLP levels that may leave; empty: nothing leaves
	Types       []string     `json:"types,omitempty"`       // STIX types that may leave; empty: every type
	Communities []string     `json:"communities,omitempty"` // community ids: objects above TLP:CLEAR leave only when shared to one; empty: no restriction
}

// Partner is one registered partner.
type Partner struct {
	ID         string             `json:"id"`
	Slug       string             `json:"slug"`
	Name       string             `json:"name"`
	Country    string             `json:"country"` // ISO 3166-1 alpha-2
	OrgID      string             `json:"org_id"`  // the member organisation that stands for the partner here
	Contacts   []identity.Contact `json:"contacts"`
	APIRoot    string             `json:"api_root"`   // the partner's TAXII API root URL, e.g. https://hub.example/taxii2/kyojo/
	Collection string             `json:"collection"` // the collection id on the partner to pull from and push to
	Direction  Direction          `json:"direction"`
	Auth       Auth               `json:"auth"`
	Username   string             `json:"username,omitempty"` // for Basic
	HasSecret  bool               `json:"has_secret"`         // a credential is stored (never shown)
	Policy     Policy             `json:"policy"`
	Inbound    []string           `json:"inbound_communities,omitempty"` // community ids what is pulled is shared with
	Interval   time.Duration      `json:"interval"`                      // between exchanges
	Disabled   bool               `json:"disabled"`
	CreatedAt  time.Time          `json:"created_at"`
	UpdatedAt  time.Time          `json:"updated_at"`
	State      State              `json:"state"`

	Sealed []byte `json:"-"` // the credential, sealed (Sealer); the store keeps only this
}

// State is what the exchanges remember between runs.
type State struct {
	PullAfter   time.Time `json:"pull_after"`   // added_after bookmark: the latest date_added pulled
	PushSeq     int64     `json:"push_seq"`     // store sequence bookmark: everything up to it was considered
	Failures    int       `json:"failures"`     // consecutive failed exchanges
	LastAttempt time.Time `json:"last_attempt"` // zero: never tried
	LastSuccess time.Time `json:"last_success"`
	LastError   string    `json:"last_error,omitempty"`
}

// Exchange is the record of one pull or push.
type Exchange struct {
	ID         int64         `json:"id"`
	PartnerID  string        `json:"partner_id"`
	At         time.Time     `json:"at"`
	Direction  Direction     `json:"direction"` // pull or push
	ObjectsIn  int           `json:"objects_in"`
	ObjectsOut int           `json:"objects_out"`
	Failed     int           `json:"failed"` // objects refused by either side
	Error      string        `json:"error,omitempty"`
	Duration   time.Duration `json:"duration"`
}

// Input is what an administrator gives to add or change a partner.
// Organisation and communities may be handles or ids.
type Input struct {
	Slug        string             `json:"slug"`
	Name        string             `json:"name"`
	Country     string             `json:"country"`
	Org         string             `json:"org"`
	Contacts    []identity.Contact `json:"contacts"`
	APIRoot     string             `json:"api_root"`
	Collection  string             `json:"collection"`
	Direction   Direction          `json:"direction"`
	Auth        Auth               `json:"auth"`
	Username    string             `json:"username"`
	Secret      string             `json:"secret"` // the token or password; empty on update: keep the stored one
	Markings    []policy.TLP       `json:"markings"`
	Types       []string           `json:"types"`
	Communities []string           `json:"communities"` // outbound
	Inbound     []string           `json:"inbound_communities"`
	Interval    string             `json:"interval"` // Go duration, e.g. "5m"; empty: 5m
	Disabled    bool               `json:"disabled"`
}

// DefaultInterval is the time between exchanges when none is set;
// MinInterval the shortest allowed.
const (
	DefaultInterval = 5 * time.Minute
	MinInterval     = time.Second
)

var (
	slugRE       = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$`)
	countryRE    = regexp.MustCompile(`^[A-Z]{2}$`)
	typeRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,249}$`)
	collectionRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$`)
)

// validate checks the fields of in that need no lookup.
func validate(in *Input) (time.Duration, error) {
	var l errs.List
	in.Slug = strings.ToLower(strings.TrimSpace(in.Slug))
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	in.Name = strings.TrimSpace(in.Name)
	if !slugRE.MatchString(in.Slug) {
		l.Add(errs.Invalid, "slug", "1 to 48 lower-case letters, digits and dashes")
	}
	if in.Name == "" || len([]rune(in.Name)) > identity.MaxName {
		l.Add(errs.Invalid, "name", "required, at most %d characters", identity.MaxName)
	}
	if !countryRE.MatchString(in.Country) {
		l.Add(errs.Invalid, "country", "an ISO 3166-1 alpha-2 code such as JP")
	}
	if strings.TrimSpace(in.Org) == "" {
		l.Add(errs.Invalid, "org", "name the member organisation that stands for the partner on this hub")
	}
	if len(in.Contacts) > identity.MaxContacts {
		l.Add(errs.Invalid, "contacts", "at most %d", identity.MaxContacts)
	}
	for i, c := range in.Contacts {
		if strings.TrimSpace(c.Name) == "" {
			l.Add(errs.Invalid, "contacts["+itoa(i)+"].name", "required")
		}
	}
	u, err := url.Parse(in.APIRoot)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		l.Add(errs.Invalid, "api_root", "an http or https URL without credentials or query, e.g. https://hub.example/taxii2/kyojo/")
	} else if !strings.HasSuffix(in.APIRoot, "/") {
		in.APIRoot += "/"
	}
	if !collectionRE.MatchString(in.Collection) {
		l.Add(errs.Invalid, "collection", "the collection id on the partner (letters, digits, . _ ~ -)")
	}
	switch in.Direction {
	case Pull, Push, Both:
	default:
		l.Add(errs.Invalid, "direction", "pull, push or both")
	}
	switch in.Auth {
	case "":
		in.Auth = Basic
		fallthrough
	case Basic:
		if strings.TrimSpace(in.Username) == "" || strings.ContainsAny(in.Username, ":\r\n") {
			l.Add(errs.Invalid, "username", "Basic authentication needs a user name without colons")
		}
	case Bearer:
		in.Username = ""
	default:
		l.Add(errs.Invalid, "auth", "basic or bearer")
	}
	if len(in.Secret) > 4096 || strings.ContainsAny(in.Secret, "\r\n") {
		l.Add(errs.Invalid, "secret", "at most 4096 characters, one line")
	}
	for i, m := range in.Markings {
		if t, ok := policy.ParseTLP(string(m)); ok {
			in.Markings[i] = t
		} else {
			l.Add(errs.Invalid, "markings["+itoa(i)+"]", "clear, green, amber, amber+strict or red")
		}
	}
	in.Markings = dedupe(in.Markings)
	for i, t := range in.Types {
		if !typeRE.MatchString(t) {
			l.Add(errs.Invalid, "types["+itoa(i)+"]", "%q is not a STIX type", t)
		}
	}
	interval := DefaultInterval
	if in.Interval != "" {
		d, err := time.ParseDuration(in.Interval)
		if err != nil || d < MinInterval || d > 7*24*time.Hour {
			l.Add(errs.Invalid, "interval", "a duration from 1s to 168h, e.g. 5m")
		}
		interval = d
	}
	return interval, l.Err()
}

func dedupe[T comparable](xs []T) []T {
	var out []T
	for _, x := range xs {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
