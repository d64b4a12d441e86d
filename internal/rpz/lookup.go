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

type rule struct {
	target string // the zone's own strings: no copies are made
	ind    string
	feed   uint16
}

// Policy is the resolver's lookup over one or more zones, built once and
// then read concurrently (replace it whole to change it). The first zone
// added wins where zones overlap, as RPZ's zone order does; within a zone,
// an exact name wins over a wildcard, and the closest wildcard wins.
type Policy struct {
	exact map[string]rule
	wild  map[string]rule // keyed by the name under "*."
	feeds []string
}

// NewPolicy returns an empty policy sized for n rules.
func NewPolicy(n int) *Policy {
	return &Policy{exact: make(map[string]rule, n), wild: map[string]rule{}}
}

// Add adds a zone's rules; rules already present (from earlier zones) stay.
func (p *Policy) Add(z Zone) {
	p.feeds = append(p.feeds, z.Origin)
	f := uint16(len(p.feeds) - 1)
	if len(z.Source) == 0 {
		for owner, target := range z.Records {
			p.AddRule(f, owner, target, "")
		}
		return
	}
	for owner, target := range z.Records {
		p.AddRule(f, owner, target, z.Source[owner])
	}
}

// AddRule adds one rule of the zone with index feed (as returned by
// AddFeed).
func (p *Policy) AddRule(feed uint16, owner, target, indicator string) {
	r := rule{target: target, feed: feed, ind: indicator}
	m, key := p.exact, owner
	if strings.HasPrefix(owner, "*.") {
		m, key = p.wild, owner[2:]
	}
	if _, ok := m[key]; !ok {
		m[key] = r
	}
}

// AddFeed registers a zone for AddRule and returns its index.
func (p *Policy) AddFeed(origin string) uint16 {
	p.feeds = append(p.feeds, origin)
	return uint16(len(p.feeds) - 1)
}

// Len is the number of rules.
func (p *Policy) Len() int { return len(p.exact) + len(p.wild) }

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
	if r, ok := p.exact[n]; ok {
		return p.hit(r, n), true
	}
	if len(p.wild) == 0 {
		return Hit{}, false
	}
	for i := strings.IndexByte(n, '.'); i >= 0; i = strings.IndexByte(n, '.') {
		n = n[i+1:]
		if r, ok := p.wild[n]; ok {
			return p.hit(r, "*."+n), true
		}
	}
	return Hit{}, false
}

func (p *Policy) hit(r rule, owner string) Hit {
	return Hit{Action: ActionOf(r.target), Target: r.target, Feed: p.feeds[r.feed], Indicator: r.ind, Rule: owner}
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
