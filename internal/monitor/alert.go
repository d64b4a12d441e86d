package monitor

import (
	"github.com/kyojo-hub/kyojo/internal/audit"

	"time"
)

// Alert is what repeated hits of one indicator value in one organisation
// within the aggregation window add up to.
type Alert struct {
	ID          string    `json:"id"`
	OrgID       string    `json:"org_id"`
	Sector      string    `json:"sector,omitempty"` // the organisation's sector when the alert opened
	IndicatorID string    `json:"indicator_id"`
	Name        string    `json:"name,omitempty"` // the indicator's name
	Kind        string    `json:"kind"`           // ip, domain, url, hash, email, ja3, user_agent, pattern
	Value       string    `json:"value"`          // the indicator value that matched (the CIDR block, the parent domain)
	Observed    string    `json:"observed"`       // the value seen in traffic (first hit)
	SensorID    string    `json:"sensor_id"`      // the sensor of the first hit
	Count       int64     `json:"count"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	Severity    int       `json:"severity"` // 1 (high) … 4 (low)
	Score       float64   `json:"score"`    // the indicator's score when last hit
	Incident    string    `json:"incident,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// AlertFilter selects alerts; zero fields match all.
type AlertFilter struct {
	OrgIDs      []string // only these organisations (the caller's visibility is applied on top)
	Sector      string
	Kind        string
	IndicatorID string
	SensorID    string
	Since       time.Time // last seen at or after
	MaxSeverity int       // 1..4: only this severe or worse
	Limit       int       // default 100, at most 1000
}

// PageLimit clamps Limit.
func (f AlertFilter) PageLimit() int {
	switch {
	case f.Limit <= 0:
		return 100
	case f.Limit > 1000:
		return 1000
	}
	return f.Limit
}

// Hit is one aggregated match of one batch: the unit the store adds to an
// alert.
type Hit struct {
	IndicatorID string
	Name        string
	Kind        string
	Value       string
	Observed    string
	Count       int64
	First, Last time.Time
	Severity    int
	Score       float64
	ref         int32 // the indicator in the Index the batch was matched with
}

// Batch is the outcome of processing one message, applied by the store
// in one transaction.
type Batch struct {
	ID          string // idempotency key: a batch applied twice is counted once
	SensorID    string
	OrgID       string
	Sector      string
	ReceivedAt  time.Time
	ProcessedAt time.Time
	Events      int64
	Rejected    int64
	Reasons     map[string]int64
	LastError   string
	Hits        []Hit
	Raw         []byte        // the lines as received, compressed (Pack); may be empty when RawRef is set
	RawRef      RawRef        // where Options.RawFiles wrote Raw; zero: the store keeps Raw
	Expires     time.Time     // when the raw events may be deleted
	Record      *audit.Record // audited (and so anchored in the ledger) with the batch when raw events are kept
	Window      time.Duration
}

// Raw is one kept batch of raw events.
type Raw struct {
	BatchID    string    `json:"batch_id"`
	SensorID   string    `json:"sensor_id"`
	OrgID      string    `json:"org_id"`
	ReceivedAt time.Time `json:"received_at"`
	Data       []byte    `json:"-"` // compressed (Unpack reads it)
	Ref        RawRef    `json:"-"` // where the data is kept when not in the store
}

// TopIndicator is one line of the GSOC view's top-indicators table.
type TopIndicator struct {
	IndicatorID string `json:"indicator_id"`
	Name        string `json:"name,omitempty"`
	Value       string `json:"value"`
	Kind        string `json:"kind"`
	Alerts      int64  `json:"alerts"`
	Orgs        int64  `json:"orgs"`
	Count       int64  `json:"count"`
}
