package identity

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Kind is what sort of organisation a member is.
type Kind string

// The kinds of organisation.
const (
	KindGovernment     Kind = "government"      // government agency (ministry, national centre)
	KindIndependent    Kind = "independent"     // independent administrative agency
	KindCIOperator     Kind = "ci_operator"     // critical-infrastructure operator; has a Sector
	KindISP            Kind = "isp"             // internet service provider
	KindAVVendor       Kind = "av_vendor"       // antivirus vendor
	KindSecurityVendor Kind = "security_vendor" // security vendor
	KindCloudIT        Kind = "cloud_it"        // cloud or IT provider
	KindResearch       Kind = "research"        // research or education
	KindSME            Kind = "sme"             // small or medium enterprise
	KindLawEnforcement Kind = "law_enforcement" // police
	KindDefence        Kind = "defence"         // defence organisation
	KindForeignCSIRT   Kind = "foreign_csirt"   // a foreign national or sector CSIRT
)

// Kinds lists every kind in display order.
var Kinds = []Kind{KindGovernment, KindIndependent, KindCIOperator, KindISP, KindAVVendor,
	KindSecurityVendor, KindCloudIT, KindResearch, KindSME, KindLawEnforcement, KindDefence, KindForeignCSIRT}

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { return contains(Kinds, k) }

// Sector is one of the ten critical-infrastructure sectors of Japan's
// Cybersecurity Strategy (2013).
type Sector string

// The sectors.
const (
	SectorInfoComm   Sector = "info_comm"   // information and communications
	SectorFinance    Sector = "finance"     // finance
	SectorAviation   Sector = "aviation"    // aviation
	SectorRailways   Sector = "railways"    // railways
	SectorElectric   Sector = "electricity" // electricity
	SectorGas        Sector = "gas"         // gas
	SectorGovernment Sector = "government"  // government and administrative services, incl. local governments
	SectorMedical    Sector = "medical"     // medical
	SectorWater      Sector = "water"       // water
	SectorLogistics  Sector = "logistics"   // logistics
)

// Sectors lists the ten sectors in the strategy's order.
var Sectors = []Sector{SectorInfoComm, SectorFinance, SectorAviation, SectorRailways, SectorElectric,
	SectorGas, SectorGovernment, SectorMedical, SectorWater, SectorLogistics}

// Valid reports whether s is a known sector.
func (s Sector) Valid() bool { return contains(Sectors, s) }

// Tier is an organisation's criticality: 1 is the most critical. Alerts and
// incidents are ranked by it (strategy S4).
type Tier int

// The tiers.
const (
	Tier1 Tier = 1 // national-level: failure harms the nation (core ministries, major CI)
	Tier2 Tier = 2 // high: failure harms a region or a sector
	Tier3 Tier = 3 // moderate: the default
	Tier4 Tier = 4 // low
)

// Valid reports whether t is 1..4.
func (t Tier) Valid() bool { return t >= Tier1 && t <= Tier4 }

// Contact is one point of contact in the CSIRT directory.
type Contact struct {
	Name      string   `json:"name"`
	Role      string   `json:"role,omitempty"` // e.g. "CSIRT lead", "duty officer"
	Email     string   `json:"email,omitempty"`
	Phone     string   `json:"phone,omitempty"` // E.164, e.g. +81312345678
	Available bool     `json:"available_24x7"`  // answers around the clock
	PGP       string   `json:"pgp_fingerprint,omitempty"`
	Languages []string `json:"languages,omitempty"` // BCP 47 primary tags: "ja", "en"
}

// Org is a member organisation of the hub.
type Org struct {
	ID          string    `json:"id"`
	Slug        string    `json:"slug"`    // short unique handle for URLs and the CLI, e.g. "mic"
	Name        string    `json:"name"`    // English name
	NameJA      string    `json:"name_ja"` // Japanese name
	Kind        Kind      `json:"kind"`
	Sector      Sector    `json:"sector,omitempty"` // required for ci_operator
	Tier        Tier      `json:"tier"`
	Country     string    `json:"country"` // ISO 3166-1 alpha-2
	Description string    `json:"description,omitempty"`
	Contacts    []Contact `json:"contacts"`
	Disabled    bool      `json:"disabled"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// Limits on text fields, in characters.
const (
	MaxName        = 200
	MaxDescription = 4000
	MaxContacts    = 20
	MaxLanguages   = 10
)

var (
	slugRE    = regexp.MustCompile(`^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$`)
	phoneRE   = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	pgpRE     = regexp.MustCompile(`^(?:[0-9A-F]{40}|[0-9A-F]{64})$`)
	langRE    = regexp.MustCompile(`^[a-z]{2,3}$`)
	countryRE = regexp.MustCompile(`^[A-Z]{2}$`)
)

// NormalizePhone strips spaces, dots, dashes and brackets from a phone number.
func NormalizePhone(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '.', '(', ')':
			return -1
		}
		return r
	}, strings.TrimSpace(s))
}

// NormalizePGP upper-cases a fingerprint and drops spaces.
func NormalizePGP(s string) string {
	return strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
}

// Normalize trims and canonicalises o's fields in place, before Validate.
func (o *Org) Normalize() {
	o.Slug = strings.ToLower(strings.TrimSpace(o.Slug))
	o.Name = strings.TrimSpace(o.Name)
	o.NameJA = strings.TrimSpace(o.NameJA)
	o.Country = strings.ToUpper(strings.TrimSpace(o.Country))
	if o.Country == "" {
		o.Country = "JP"
	}
	if o.Tier == 0 {
		o.Tier = Tier3
	}
	o.Description = strings.TrimSpace(o.Description)
	for i := range o.Contacts {
		c := &o.Contacts[i]
		c.Name = strings.TrimSpace(c.Name)
		c.Role = strings.TrimSpace(c.Role)
		c.Email = strings.TrimSpace(c.Email)
		c.Phone = NormalizePhone(c.Phone)
		c.PGP = NormalizePGP(c.PGP)
		for j, l := range c.Languages {
			c.Languages[j] = strings.ToLower(strings.TrimSpace(l))
		}
	}
	if o.Contacts == nil {
		o.Contacts = []Contact{}
	}
}

// Validate checks o and returns every problem found, each naming its field.
func (o *Org) Validate() error {
	var l errs.List
	if !slugRE.MatchString(o.Slug) {
		l.Add(errs.Invalid, "slug", "must be 1 to 48 lower-case letters, digits or hyphens, not starting or ending with a hyphen")
	}
	checkText(&l, "name", o.Name, MaxName, true)
	checkText(&l, "name_ja", o.NameJA, MaxName, false)
	checkText(&l, "description", o.Description, MaxDescription, false)
	if !o.Kind.Valid() {
		l.Add(errs.Invalid, "kind", "unknown kind %q", o.Kind)
	}
	switch {
	case o.Kind == KindCIOperator && o.Sector == "":
		l.Add(errs.Invalid, "sector", "a critical-infrastructure operator needs its sector")
	case o.Sector != "" && !o.Sector.Valid():
		l.Add(errs.Invalid, "sector", "unknown sector %q", o.Sector)
	}
	if !o.Tier.Valid() {
		l.Add(errs.Invalid, "tier", "must be 1 (most critical) to 4")
	}
	if !countryRE.MatchString(o.Country) {
		l.Add(errs.Invalid, "country", "must be an ISO 3166-1 alpha-2 code such as JP")
	}
	if len(o.Contacts) > MaxContacts {
		l.Add(errs.Invalid, "contacts", "at most %d points of contact", MaxContacts)
	}
	for i, c := range o.Contacts {
		c.validate(&l, "contacts["+itoa(i)+"]")
	}
	return l.Err()
}

func (c Contact) validate(l *errs.List, at string) {
	checkText(l, at+".name", c.Name, MaxName, true)
	checkText(l, at+".role", c.Role, MaxName, false)
	if c.Email == "" && c.Phone == "" {
		l.Add(errs.Invalid, at, "a point of contact needs an e-mail address or a phone number")
	}
	if c.Email != "" {
		if err := ValidateEmail(c.Email); err != nil {
			l.Add(errs.Invalid, at+".email", "%s", err.Error())
		}
	}
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		l.Add(errs.Invalid, at+".phone", "must be in international form, such as +81 3 1234 5678")
	}
	if c.PGP != "" && !pgpRE.MatchString(c.PGP) {
		l.Add(errs.Invalid, at+".pgp_fingerprint", "must be 40 or 64 hexadecimal digits")
	}
	if len(c.Languages) > MaxLanguages {
		l.Add(errs.Invalid, at+".languages", "at most %d languages", MaxLanguages)
	}
	for j, lang := range c.Languages {
		if !langRE.MatchString(lang) {
			l.Add(errs.Invalid, at+".languages["+itoa(j)+"]", "must be a language code such as ja or en")
		}
	}
}

// ValidateEmail checks that s is one plain address (no display name), with a
// dot in its domain, of at most 254 characters.
func ValidateEmail(s string) error {
	if len(s) > 254 {
		return errs.E(errs.Invalid, "is longer than 254 characters")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s {
		return errs.E(errs.Invalid, "is not a valid e-mail address")
	}
	at := strings.LastIndexByte(s, '@')
	if at < 1 || !strings.Contains(s[at+1:], ".") || strings.HasSuffix(s, ".") {
		return errs.E(errs.Invalid, "is not a valid e-mail address")
	}
	return nil
}

func checkText(l *errs.List, field, s string, max int, required bool) {
	switch {
	case required && s == "":
		l.Add(errs.Invalid, field, "is required")
	case !utf8.ValidString(s):
		l.Add(errs.Invalid, field, "is not valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		l.Add(errs.Invalid, field, "is longer than %d characters", max)
	case strings.ContainsFunc(s, isControl):
		l.Add(errs.Invalid, field, "contains control characters")
	}
}

func isControl(r rune) bool { return (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f }

// OrgFilter selects organisations; zero fields match all.
type OrgFilter struct {
	Kind   Kind
	Sector Sector
	Query  string // substring of slug, name or Japanese name, case-insensitive
}

// DisplayName returns the organisation's name in lang ("ja" or "en"),
// falling back to the other.
func (o Org) DisplayName(lang string) string {
	if lang == "ja" && o.NameJA != "" {
		return o.NameJA
	}
	return o.Name
}
