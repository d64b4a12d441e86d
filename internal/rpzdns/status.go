package rpzdns

import (
	"strings"

	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// Status reads the engine (and the resolver, when one runs) for the HTTP
// side: the zones served, why a name is listed, and the hit counts.
type Status struct {
	Engine   *Engine
	Resolver *Resolver // nil when no resolver runs
}

var _ rpz.Status = Status{}

// Explain returns the first rule any subscriber's policy has for name and
// the indicator behind it.
func (s Status) Explain(name string) (rpz.Hit, rpz.Indicator, bool) {
	p := s.Engine.policies.Load()
	if p == nil {
		return rpz.Hit{}, rpz.Indicator{}, false
	}
	for _, pol := range *p {
		if h, ok := pol.Lookup(strings.ToLower(name)); ok && h.Action != rpz.Passthru {
			in, _ := s.Engine.Indicator(h.Indicator)
			return h, in, true
		}
	}
	return rpz.Hit{}, rpz.Indicator{}, false
}

// Zones lists the served zones.
func (s Status) Zones() []rpz.ZoneInfo {
	out := []rpz.ZoneInfo{}
	for _, z := range s.Engine.All() {
		out = append(out, rpz.ZoneInfo{Zone: z.Feed.Zone, FeedID: z.Feed.ID, Subscriber: z.Sub.Name, Serial: z.Serial, Records: len(z.Records)})
	}
	return out
}

// Zone returns one subscriber's copy of a feed.
func (s Status) Zone(feedID, subID string) (rpz.Zone, uint32, bool) {
	for _, z := range s.Engine.All() {
		if z.Feed.ID == feedID && (z.Sub.ID == subID || z.Sub.Name == subID) {
			return rpz.Zone{Origin: z.Feed.Zone, Records: z.Records, Source: z.Source}, z.Serial, true
		}
	}
	return rpz.Zone{}, 0, false
}

// Hits returns the resolver's counts (none without a resolver).
func (s Status) Hits() []rpz.HitCount {
	if s.Resolver == nil {
		return []rpz.HitCount{}
	}
	return s.Resolver.Counts()
}
