// Package audit owns the audit trail: one Record for every change, every
// sign-in and every read of non-public data, with who, which organisation,
// what, when and from where.
//
// Records are appended in the same transaction as the change they describe,
// so a change without its record (or the reverse) cannot be stored. Each
// record has a canonical byte form (Leaf) that the evidence ledger hashes into
// its Merkle tree; the form is versioned and MUST NOT change for a version.
package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"time"
)

// Outcome says how an attempt ended.
type Outcome string

// The outcomes.
const (
	Success Outcome = "success"
	Denied  Outcome = "denied"  // the policy refused it
	Failure Outcome = "failure" // bad input or a wrong credential
)

// Record is one entry of the trail.
type Record struct {
	Seq        int64           `json:"seq"`          // assigned by the store, strictly increasing
	Time       time.Time       `json:"time"`         // UTC, microsecond precision
	ActorID    string          `json:"actor_id"`     // user id; "" for the system or an anonymous caller
	ActorName  string          `json:"actor_name"`   // username at the time, or "system" / the name tried at sign-in
	ActorOrgID string          `json:"actor_org_id"` // the actor's organisation
	Action     string          `json:"action"`       // e.g. "org.create", "auth.login", "user.read"
	ObjectType string          `json:"object_type"`  // e.g. "organization", "user", "token"
	ObjectID   string          `json:"object_id"`
	ObjectOrg  string          `json:"object_org_id"` // organisation the object belongs to, for filtering
	Outcome    Outcome         `json:"outcome"`
	Remote     string          `json:"remote"`           // client address, or "cli"
	Via        string          `json:"via"`              // "web", "api", "cli", "system"
	RequestID  string          `json:"request_id"`       // correlates with the structured logs
	Detail     json.RawMessage `json:"detail,omitempty"` // a JSON object: what changed, never secrets
}

// LeafVersion is the version of the canonical form Leaf produces.
const LeafVersion = 1

// Leaf returns the record's canonical bytes for the ledger: a JSON object
// with members in a fixed order, the time as RFC 3339 with microseconds in
// UTC, and Detail compacted. Equal records give equal bytes.
func (r Record) Leaf() []byte {
	var b bytes.Buffer
	b.WriteString(`{"v":`)
	b.WriteString(strconv.Itoa(LeafVersion))
	field := func(name, val string) {
		b.WriteString(`,"` + name + `":`)
		q, _ := json.Marshal(val)
		b.Write(q)
	}
	b.WriteString(`,"seq":` + strconv.FormatInt(r.Seq, 10))
	field("time", r.Time.UTC().Format("2006-01-02T15:04:05.000000Z"))
	field("actor_id", r.ActorID)
	field("actor_name", r.ActorName)
	field("actor_org_id", r.ActorOrgID)
	field("action", r.Action)
	field("object_type", r.ObjectType)
	field("object_id", r.ObjectID)
	field("object_org_id", r.ObjectOrg)
	field("outcome", string(r.Outcome))
	field("remote", r.Remote)
	field("via", r.Via)
	field("request_id", r.RequestID)
	b.WriteString(`,"detail":`)
	if len(r.Detail) == 0 {
		b.WriteString("null")
	} else {
		var c bytes.Buffer
		if json.Compact(&c, r.Detail) == nil {
			b.Write(c.Bytes())
		} else {
			q, _ := json.Marshal(string(r.Detail))
			b.Write(q)
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// Filter selects records; zero fields match everything. Results come newest
// first.
type Filter struct {
	ActorID   string
	OrgID     string // records whose actor or object belongs to this organisation
	Action    string // exact action, or a prefix ending in "." such as "org."
	ObjectID  string
	Outcome   Outcome
	Since     time.Time
	Until     time.Time
	BeforeSeq int64 // for paging: only records with Seq < BeforeSeq
	Limit     int   // at most this many; 0 means 100, capped at 1000
}

// PageLimit returns f.Limit clamped to [1, 1000] with 100 for zero.
func (f Filter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}

// Appender appends records. Implementations MUST assign Seq and persist the
// record in the caller's transaction.
type Appender interface {
	AppendAudit(ctx context.Context, r *Record) error
}

// Reader lists records.
type Reader interface {
	ListAudit(ctx context.Context, f Filter) ([]Record, error)
	// AuditAfter returns up to limit records with Seq > seq, oldest first:
	// the feed the evidence ledger anchors.
	AuditAfter(ctx context.Context, seq int64, limit int) ([]Record, error)
}
