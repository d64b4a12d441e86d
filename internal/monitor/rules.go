package monitor

import (
	"context"
	"fmt"
)

// Escalator opens an incident for an alert or joins it to an open one.
// The incidents part implements it; until it exists, kyojo runs without
// one and alerts stay alerts. OpenOrJoin returns the incident's id; it
// MUST be idempotent for an alert already joined.
type Escalator interface {
	OpenOrJoin(ctx context.Context, a Alert, why string) (incidentID string, err error)
}

// Rule says when an alert goes to an incident: every condition set must
// hold (a zero condition always holds).
type Rule struct {
	Name        string  `json:"name"`
	MaxSeverity int     `json:"max_severity,omitempty"` // alert severity 1..4 at or above (numerically at or below) this
	MaxTier     int     `json:"max_tier,omitempty"`     // organisation tier 1..4 at or above this criticality
	MinScore    float64 `json:"min_score,omitempty"`    // indicator score at least this
	MinCount    int64   `json:"min_count,omitempty"`    // the alert counts at least this many hits
}

// DefaultRules escalate a high-severity alert anywhere, any alert on a
// national-level organisation from a trusted indicator, and a persistent
// alert (100 hits) from a fairly trusted one on a high-tier organisation.
var DefaultRules = []Rule{
	{Name: "high severity", MaxSeverity: 1, MinScore: 50},
	{Name: "national-level organisation", MaxTier: 1, MinScore: 70},
	{Name: "persistent on a high-tier organisation", MaxTier: 2, MinScore: 50, MinCount: 100},
}

// Decision is what the rules say of one alert.
type Decision struct {
	Escalate bool
	Rule     string // the first rule that held
}

// Decide applies rules in order to an alert on an organisation of tier.
func Decide(rules []Rule, a Alert, tier int) Decision {
	for _, r := range rules {
		if r.MaxSeverity != 0 && (a.Severity == 0 || a.Severity > r.MaxSeverity) {
			continue
		}
		if r.MaxTier != 0 && (tier == 0 || tier > r.MaxTier) {
			continue
		}
		if a.Score < r.MinScore || a.Count < r.MinCount {
			continue
		}
		return Decision{Escalate: true, Rule: r.Name}
	}
	return Decision{}
}

// why explains a decision for the incident's timeline.
func (d Decision) why(a Alert) string {
	return fmt.Sprintf("rule %q: %s %s seen %d times", d.Rule, a.Kind, a.Value, a.Count)
}
