// Package evidence owns what the hub does with its ledger for traceability
// and forensics (strategy S10): the index of what each ledger entry is
// (kind, organisation, time), retention rules and organisation-wide legal
// holds, and law-enforcement requests that, once a second person approves
// them, produce a forensic bundle with a chain-of-custody record.
//
// The ledger itself (hashing, proofs, signed checkpoints, files) is package
// ledger; this package talks to it through the Ledger interface and to the
// database through Store, and does no I/O of its own.
package evidence

import (
	"context"
	"encoding/base64"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Entry is the index row of one ledger entry.
type Entry struct {
	Index  uint64    `json:"index"`
	Kind   string    `json:"kind"`   // "audit", "events", "evidence", "access"
	OrgID  string    `json:"org_id"` // whose data it is; "" for hub-wide
	Time   time.Time `json:"time"`   // when the data was recorded
	Ref    string    `json:"ref"`    // the source's own id, e.g. the audit seq
	Erased bool      `json:"erased"` // payload deleted by retention
}

// EntryFilter selects index rows; zero fields match all.
type EntryFilter struct {
	Kinds  []string
	OrgID  string
	Since  time.Time
	Until  time.Time
	Erased *bool
	Limit  int // 0: 1000; at most 1,000,000
}

// Rule is a retention rule: entries of Kind (of OrgID, or of every
// organisation when empty) keep their payloads for Period after their time.
// A more specific rule (with an organisation) wins over a general one.
type Rule struct {
	ID        string        `json:"id"`
	Kind      string        `json:"kind"`
	OrgID     string        `json:"org_id,omitempty"`
	Period    time.Duration `json:"-"`
	Days      int           `json:"days"`
	CreatedAt time.Time     `json:"created_at"`
	CreatedBy string        `json:"created_by"`
}

// Hold is a legal hold on an organisation's data (all kinds, or one kind):
// no retention rule may delete a payload it covers.
type Hold struct {
	ID        string     `json:"id"`
	OrgID     string     `json:"org_id,omitempty"` // "" = every organisation
	Kind      string     `json:"kind,omitempty"`   // "" = every kind
	Reason    string     `json:"reason"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	Released  *time.Time `json:"released_at,omitempty"`
}

// Covers reports whether h, in force, covers e.
func (h Hold) Covers(e Entry) bool {
	return h.Released == nil && (h.OrgID == "" || h.OrgID == e.OrgID) && (h.Kind == "" || h.Kind == e.Kind)
}

// Kinds of data the hub retains. Retention rules name one of these.
var Kinds = []string{"audit", "events", "evidence", "access"}

// Retention limits.
const (
	MinRetentionDays = 1
	MaxRetentionDays = 36500
)

// Validate checks a rule.
func (r *Rule) Validate() error {
	var l errs.List
	if !validKind(r.Kind) {
		l.Add(errs.Invalid, "kind", "must be one of %s", strings.Join(Kinds, ", "))
	}
	if r.Days < MinRetentionDays || r.Days > MaxRetentionDays {
		l.Add(errs.Invalid, "days", "must be between %d and %d", MinRetentionDays, MaxRetentionDays)
	}
	r.Period = time.Duration(r.Days) * 24 * time.Hour
	return l.Err()
}

func validKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}

// Status is where a law-enforcement request stands.
type Status string

// The statuses: pending → approved → produced, or pending → rejected.
const (
	Pending  Status = "pending"
	Approved Status = "approved"
	Rejected Status = "rejected"
	Produced Status = "produced"
)

// Request is a law-enforcement request for retained data.
type Request struct {
	ID           string    `json:"id"`
	Reference    string    `json:"reference"`   // the authority's reference number
	LegalBasis   string    `json:"legal_basis"` // statute, warrant or agreement
	Scope        Scope     `json:"scope"`
	Status       Status    `json:"status"`
	RequestedBy  string    `json:"requested_by"` // user id
	RequesterOrg string    `json:"requester_org_id"`
	DecidedBy    string    `json:"decided_by,omitempty"`
	DecisionNote string    `json:"decision_note,omitempty"`
	BundleSHA256 string    `json:"bundle_sha256,omitempty"`
	Entries      int       `json:"entries,omitempty"` // how many entries the bundle holds
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Scope selects the entries a request asks for.
type Scope struct {
	Kinds []string  `json:"kinds"`
	OrgID string    `json:"org_id,omitempty"`
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
}

var referenceRE = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N} ._/()#:-]{0,99}$`)

// MaxScope is the longest period one request may cover.
const MaxScope = 366 * 24 * time.Hour

// Validate checks a new request.
func (r *Request) Validate() error {
	var l errs.List
	r.Reference = strings.TrimSpace(r.Reference)
	r.LegalBasis = strings.TrimSpace(r.LegalBasis)
	if !referenceRE.MatchString(r.Reference) {
		l.Add(errs.Invalid, "reference", "must be 1 to 100 letters, digits, spaces or . _ / ( ) # : -")
	}
	if r.LegalBasis == "" || len([]rune(r.LegalBasis)) > 2000 {
		l.Add(errs.Invalid, "legal_basis", "is required (at most 2000 characters)")
	}
	if len(r.Scope.Kinds) == 0 {
		l.Add(errs.Invalid, "scope.kinds", "name at least one kind of data")
	}
	for i, k := range r.Scope.Kinds {
		if !validKind(k) {
			l.Add(errs.Invalid, "scope.kinds["+strconv.Itoa(i)+"]", "must be one of %s", strings.Join(Kinds, ", "))
		}
	}
	switch {
	case r.Scope.Since.IsZero() || r.Scope.Until.IsZero():
		l.Add(errs.Invalid, "scope.since", "give both since and until")
	case !r.Scope.Since.Before(r.Scope.Until):
		l.Add(errs.Invalid, "scope.until", "must be after since")
	case r.Scope.Until.Sub(r.Scope.Since) > MaxScope:
		l.Add(errs.Invalid, "scope.until", "one request may cover at most 366 days")
	}
	return l.Err()
}

// Ledger is what evidence needs of the ledger.
type Ledger interface {
	Prover
	// Append appends entries durably and returns the index of the first.
	Append(ctx context.Context, items []Item) (uint64, error)
	// Entry returns entry i's kind and payload (nil once erased).
	Entry(i uint64) (kind string, payload []byte, err error)
	// Bundle returns a self-verifying forensic bundle of the entries.
	Bundle(ctx context.Context, indexes []uint64, c Custody) ([]byte, error)
	// Erase deletes entry i's payload, keeping its hash, and logs why.
	Erase(ctx context.Context, i uint64, reason string) error
	// Cosign co-signs another log's checkpoint as its witness, after
	// checking it extends the last one co-signed for its origin (proof: the
	// consistency proof from that size).
	Cosign(ctx context.Context, signed []byte, logKey string, proof []Hash) ([]byte, error)
	// Witnessed is the size of the last checkpoint of origin co-signed here.
	Witnessed(origin string) (uint64, error)
	// SaveCosigned keeps the latest co-signed checkpoint of this log.
	SaveCosigned(signed []byte) error
}

// Hash is a SHA-256 hash of the ledger's tree; it reads and writes as
// standard base64, as C2SP checkpoints do.
type Hash [32]byte

// MarshalText implements encoding.TextMarshaler.
func (h Hash) MarshalText() ([]byte, error) {
	return []byte(base64.StdEncoding.EncodeToString(h[:])), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (h *Hash) UnmarshalText(b []byte) error {
	d, err := base64.StdEncoding.DecodeString(string(b))
	if err != nil || len(d) != len(h) {
		return errs.E(errs.Malformed, "a hash is 32 bytes in base64")
	}
	copy(h[:], d)
	return nil
}

// Prover is the ledger's public face: checkpoints and proofs, which carry
// hashes only and so may be served to every member (and the checkpoint to
// anyone).
type Prover interface {
	Origin() string
	VerifierKey() string
	Size() uint64
	// Latest returns the latest signed checkpoint and its tree size.
	Latest() (note []byte, size uint64)
	InclusionProof(i, size uint64) ([]Hash, error)
	ConsistencyProof(old, new uint64) ([]Hash, error)
	LeafHash(i uint64) (Hash, error)
	// Cosigned is the latest checkpoint of this log a witness co-signed.
	Cosigned() []byte
}

// Item is an entry to append.
type Item struct {
	Kind    string
	Payload []byte
}

// Custody is the chain-of-custody record that goes into a bundle.
type Custody struct {
	RequestRef  string
	LegalBasis  string
	RequestedBy string
	ApprovedBy  string
}

// Reader reads the index, rules, holds and requests. Lookups of one thing
// return errs.NotFound when it does not exist.
type Reader interface {
	Entries(ctx context.Context, f EntryFilter) ([]Entry, error)
	// LastIndexed returns the ref of the last entry of kind indexed ("" if none).
	LastIndexed(ctx context.Context, kind string) (string, error)
	// NextIndex returns one more than the highest index indexed (0 if none).
	NextIndex(ctx context.Context) (uint64, error)
	// EntryByRef returns the index row of kind whose source id is ref.
	EntryByRef(ctx context.Context, kind, ref string) (Entry, error)
	Rules(ctx context.Context) ([]Rule, error)
	Holds(ctx context.Context) ([]Hold, error)
	Request(ctx context.Context, id string) (Request, error)
	Requests(ctx context.Context, orgID string) ([]Request, error) // "" = all
}

// Tx changes them in one transaction, with the audit records that say so.
type Tx interface {
	Reader
	audit.Appender
	IndexEntries(ctx context.Context, es []Entry) error
	MarkErased(ctx context.Context, index uint64) error
	// EraseAudit deletes the database copy of audit record seq, whose
	// ledger payload retention erased: the ledger keeps its hash.
	EraseAudit(ctx context.Context, seq int64) error
	PutRule(ctx context.Context, r Rule) error // replaces the rule of the same kind and organisation
	DeleteRule(ctx context.Context, id string) error
	CreateHold(ctx context.Context, h Hold) error
	ReleaseHold(ctx context.Context, id string, at time.Time) error
	CreateRequest(ctx context.Context, r Request) error
	UpdateRequest(ctx context.Context, r Request) error
}

// Store is the evidence store.
type Store interface {
	Reader
	Transact(ctx context.Context, fn func(Tx) error) error
}
