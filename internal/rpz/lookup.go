package rpz

import "strings"

// Hit is what the resolver's policy says about a name.
type Hit struct {
	Action    Action
	Target    string // CNAME target (the warning host for the walled garden)
	Feed      string // the feed's zone
	Indicator string // the indicator id; "" for the allowlist
	Rule      string // the owner that matched ("evil.example", "*.evil.example")
}

// policyZone is one zone of a policy: the zone's own maps (shared, never
// copied or changed) and its wildcard rules keyed by the name under "*.".
type policyZone struct {
	origin  string
	records map[string]string
	source  map[string]string
	wild    map[string]string
}

// Policy is the resolver's lookup over one or more zones, built once and
// then read concurrently (replace it whole to change it). It holds the
// zones' own maps, so it costs little beyond them and builds in one scan
// for the wildcards. Zones are tried in the order added, as RPZ's zone
// order says: the first zone with a rule for the name wins; within a zone
// an exact name wins over a wildcard, and the closest wildcard wins.
type Policy struct {
	zones []policyZone
}

// NewPolicy returns an empty policy (n is a size hint, unused).
func NewPolicy(n int) *Policy { return &Policy{} }

// Add adds a zone after those already added. The zone's maps must not be
// changed afterwards.
func (p *Policy) Add(z Zone) {
	pz := policyZone{origin: z.Origin, records: z.Records, source: z.Source, wild: map[string]string{}}
	for owner, target := range z.Records {
		if len(owner) > 2 && owner[0] == '*' && owner[1] == '.' {
			pz.wild[owner[2:]] = target
		}
	}
	p.zones = append(p.zones, pz)
}

// Len is the number of rules.
func (p *Policy) Len() int {
	n := 0
	for _, z := range p.zones {
		n += len(z.records)
	}
	return n
}

// Lookup returns the rule for qname (any case, with or without the final
// dot), and false when the name is not listed.
func (p *Policy) Lookup(qname string) (Hit, bool) {
	if p == nil {
		return Hit{}, false
	}
	n := strings.TrimSuffix(qname, ".")
	if hasUpper(n) {
		n = strings.ToLower(n)
	}
	for i := range p.zones {
		z := &p.zones[i]
		if t, ok := z.records[n]; ok && !strings.HasPrefix(n, "*.") {
			return Hit{Action: ActionOf(t), Target: t, Feed: z.origin, Indicator: z.source[n], Rule: n}, true
		}
		if len(z.wild) == 0 {
			continue
		}
		for m, j := n, strings.IndexByte(n, '.'); j >= 0; j = strings.IndexByte(m, '.') {
			m = m[j+1:]
			if t, ok := z.wild[m]; ok {
				rule := "*." + m
				return Hit{Action: ActionOf(t), Target: t, Feed: z.origin, Indicator: z.source[rule], Rule: rule}, true
			}
		}
	}
	return Hit{}, false
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return true
		}
	}
	return false
}

// HitCount is one row of the resolver's KPI counts.
type HitCount struct {
	Feed      string `json:"feed"`
	ISP       string `json:"isp"`
	Indicator string `json:"indicator"`
	Count     uint64 `json:"count"`
}

// ZoneInfo describes one served zone.
type ZoneInfo struct {
	Zone       string `json:"zone"`
	FeedID     string `json:"feed_id"`
	Subscriber string `json:"subscriber"`
	Serial     uint32 `json:"serial"`
	Records    int    `json:"records"`
}

// Status is what the HTTP side reads of the running DNS side.
type Status interface {
	// Explain returns why name is listed: the rule and the indicator.
	Explain(name string) (Hit, Indicator, bool)
	Zones() []ZoneInfo
	// Zone returns the records of one subscriber's copy of a feed.
	Zone(feedID, subscriberID string) (Zone, uint32, bool)
	Hits() []HitCount
}
