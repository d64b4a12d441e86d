package convert

import (
	"bufio"
	"crypto/rand"
	"crypto/sha1"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Record is the outcome of one input record.
type Record struct {
	Line   int             // 1-based line or record number in the input, for messages
	Object json.RawMessage // a STIX object, or nil when rejected
	Err    error           // *errs.Error naming the field and why, when rejected
	// Compact says Object is compact JSON already (as encoding/json writes
	// it), so the store need not compact it again.
	Compact bool
	// Minted says Object is an indicator for one value from a list, whose
	// id this package made up: its identity is its value and source, not
	// its id, and an importer that already holds an indicator of the same
	// source for the value should treat the record as that indicator's
	// next version (see intel.Incoming).
	Minted bool
}

// Report counts an import. Read counts input records (CSV and plain lines
// holding a value; MISP events, attributes, objects, galaxy clusters and
// sighting groups); each is either Converted or Rejected. Reasons counts the
// rejections by their errs.Error message. Objects derived from a record
// (identities, SCOs, relationships) are not counted separately.
type Report struct {
	Read, Converted, Rejected int
	Reasons                   map[string]int
}

func (r *Report) reject(err error) {
	r.Rejected++
	if r.Reasons == nil {
		r.Reasons = map[string]int{}
	}
	msg := err.Error()
	var ke *errs.Error
	if errors.As(err, &ke) {
		msg = ke.Message
	}
	r.Reasons[msg]++
}

// add merges o into r.
func (r *Report) add(o Report) {
	r.Read += o.Read
	r.Converted += o.Converted
	r.Rejected += o.Rejected
	for k, v := range o.Reasons {
		if r.Reasons == nil {
			r.Reasons = map[string]int{}
		}
		r.Reasons[k] += v
	}
}

// Emit receives each Record in input order. Returning an error stops the
// import, and the importer returns that error.
type Emit func(Record) error

// The TLP 2.0 marking-definition ids (OASIS cti-stix-common-objects).
const (
	TLPClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	TLPGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	TLPAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	TLPAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	TLPRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// TLPMarking returns the TLP 2.0 marking-definition id for a TLP name:
// "clear", "white" (TLP 1.0, read as CLEAR), "green", "amber",
// "amber+strict", "red", case-insensitive, with or without a "tlp:" prefix.
// A value that already is one of those ids is returned as is.
func TLPMarking(name string) (string, bool) {
	n := strings.ToLower(strings.TrimSpace(name))
	n = strings.TrimPrefix(n, "tlp:")
	switch n {
	case "clear", "white":
		return TLPClear, true
	case "green":
		return TLPGreen, true
	case "amber":
		return TLPAmber, true
	case "amber+strict", "amber-strict":
		return TLPAmberStrict, true
	case "red":
		return TLPRed, true
	case TLPClear, TLPGreen, TLPAmber, TLPAmberStrict, TLPRed:
		return n, true
	}
	return "", false
}

// tlpName is the inverse of TLPMarking, giving the lower-case TLP 2.0 name.
func tlpName(id string) string {
	switch id {
	case TLPClear:
		return "clear"
	case TLPGreen:
		return "green"
	case TLPAmber:
		return "amber"
	case TLPAmberStrict:
		return "amber+strict"
	case TLPRed:
		return "red"
	}
	return ""
}

// namespace is the UUIDv5 namespace of kyojo's derived ids.
var namespace = [16]byte{0x6b, 0x79, 0x6f, 0x6a, 0x6f, 0x2d, 0x4b, 0x09, 0x9e, 0x1c, 0x63, 0x6f, 0x6e, 0x76, 0x72, 0x74}

// uuid5 returns the RFC 9562 version 5 UUID of name in kyojo's namespace;
// parts are joined with NUL bytes so that ("a","bc") and ("ab","c") differ.
func uuid5(parts ...string) string {
	h := sha1.New()
	h.Write(namespace[:])
	for i, p := range parts {
		if i > 0 {
			h.Write([]byte{0})
		}
		h.Write([]byte(p))
	}
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string { return uuid.UUID(u).String() }

// idMinter mints the ids of indicators for values from a list: UUIDv7s,
// ordered by time (and, within this process, by minting order), so that a
// store appends new list indicators to its id index instead of writing
// them at random places in it. Such an id says nothing about the value:
// an importer recognises the same value from the same source by the value
// (Record.Minted), as it once did by a UUIDv5 of kind, value and source.
// The random part comes from crypto/rand, read 4 KiB at a time.
type idMinter struct{ r *bufio.Reader }

// newID returns a new UUIDv7.
func (m *idMinter) newID() string {
	if m.r == nil {
		m.r = bufio.NewReaderSize(rand.Reader, 4096)
	}
	u, err := uuid.NewV7FromReader(m.r)
	if err != nil { // crypto/rand does not fail (Go 1.24+)
		panic(err)
	}
	return u.String()
}

// normUUID returns s lower-cased when it is a well-formed UUID.
func normUUID(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) != 36 {
		return "", false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return "", false
			}
		default:
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				return "", false
			}
		}
	}
	return s, true
}

// stixTime formats t as RFC 3339 UTC with milliseconds, as STIX requires.
func stixTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// common holds the properties shared by STIX domain and relationship objects.
type common struct {
	Type         string   `json:"type"`
	SpecVersion  string   `json:"spec_version"`
	ID           string   `json:"id"`
	Created      string   `json:"created,omitempty"`
	Modified     string   `json:"modified,omitempty"`
	CreatedByRef string   `json:"created_by_ref,omitempty"`
	Labels       []string `json:"labels,omitempty"`
	Confidence   *int     `json:"confidence,omitempty"`
	ExtRefs      []extRef `json:"external_references,omitempty"`
	Markings     []string `json:"object_marking_refs,omitempty"`
}

type extRef struct {
	SourceName  string `json:"source_name"`
	URL         string `json:"url,omitempty"`
	ExternalID  string `json:"external_id,omitempty"`
	Description string `json:"description,omitempty"`
}

func newCommon(typ, id, created, modified, by string, markings []string) common {
	return common{Type: typ, SpecVersion: "2.1", ID: typ + "--" + id, Created: created, Modified: modified, CreatedByRef: by, Markings: markings}
}

type indicatorObj struct {
	common
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	Pattern     string `json:"pattern"`
	PatternType string `json:"pattern_type"`
	PatternVer  string `json:"pattern_version,omitempty"`
	ValidFrom   string `json:"valid_from"`
	ValidUntil  string `json:"valid_until,omitempty"`
	LastSeen    string `json:"x_kyojo_last_seen,omitempty"`
}

type observedObj struct {
	common
	FirstObserved  string   `json:"first_observed"`
	LastObserved   string   `json:"last_observed"`
	NumberObserved int      `json:"number_observed"`
	ObjectRefs     []string `json:"object_refs"`
}

type reportObj struct {
	common
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	ReportTypes []string `json:"report_types,omitempty"`
	Published   string   `json:"published"`
	ObjectRefs  []string `json:"object_refs"`
}

type identityObj struct {
	common
	Name          string `json:"name"`
	IdentityClass string `json:"identity_class,omitempty"`
}

type noteObj struct {
	common
	Abstract   string   `json:"abstract,omitempty"`
	Content    string   `json:"content"`
	ObjectRefs []string `json:"object_refs"`
}

type namedObj struct { // threat-actor, intrusion-set, malware, tool, attack-pattern, course-of-action, vulnerability
	common
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	Aliases     []string `json:"aliases,omitempty"`
	IsFamily    *bool    `json:"is_family,omitempty"`
}

type relationshipObj struct {
	common
	RelType string `json:"relationship_type"`
	Source  string `json:"source_ref"`
	Target  string `json:"target_ref"`
}

type sightingObj struct {
	common
	SightingOf   string   `json:"sighting_of_ref"`
	Count        int      `json:"count"`
	FirstSeen    string   `json:"first_seen,omitempty"`
	LastSeen     string   `json:"last_seen,omitempty"`
	WhereSighted []string `json:"where_sighted_refs,omitempty"`
}

// marshal encodes a STIX object built by this package; the types above
// cannot fail to encode, so a failure is a bug reported as Internal.
func marshal(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, errs.Wrap(err, fmt.Sprintf("convert: encode %T", v))
	}
	return b, nil
}
