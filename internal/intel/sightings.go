package intel

import (
	"context"
	"encoding/json"
	"sort"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// SightingOf is the Value kind under which a STIX sighting is indexed: its
// sighting_of_ref, as both value and key (see ValuesOf).
const SightingOf = "sighting_of"

// MaxSightings caps the sightings of one object that Sightings reads.
const MaxSightings = MaxSearch

// SightingSummary is who saw an object, when and how often: the sums over
// the sightings of it that the viewer may see.
type SightingSummary struct {
	Sightings int          `json:"sightings"`            // sighting objects counted
	Count     int          `json:"count"`                // times seen: the sum of their counts
	FirstSeen *time.Time   `json:"first_seen,omitempty"` // the earliest first_seen; nil when none says
	LastSeen  *time.Time   `json:"last_seen,omitempty"`  // the latest last_seen; nil when none says
	Sources   []SourceSeen `json:"sources"`              // by source, most sightings first
	Truncated bool         `json:"truncated,omitempty"`  // more than MaxSightings sightings exist; the sums cover the first
}

// SourceSeen is one source's part of a SightingSummary.
type SourceSeen struct {
	Source    string     `json:"source"` // x_kyojo_source, else created_by_ref, else "" (unknown)
	Count     int        `json:"count"`
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
}

// Sightings sums the current, unrevoked STIX sightings of object id that
// the actor may see: how many times it was seen (a sighting without a
// count counts once), the earliest first_seen, the latest last_seen, and
// the distinct sources that saw it. The source of a sighting is its
// x_kyojo_source (set on the sightings an import records when a value was
// already known), else its created_by_ref (as presented to the actor: the
// hub's identity for an anonymous sighting from outside the actor's
// organisation). Sightings the actor may not see are not counted.
//
// It returns errs.NotFound when id does not exist or the actor may not
// see it. Reading the summary is not audited on its own: the object page
// that shows it reads the object through Get, which is.
func (s *Service) Sightings(ctx context.Context, a identity.Actor, id string) (SightingSummary, error) {
	out := SightingSummary{Sources: []SourceSeen{}}
	m, err := s.Member(ctx, a)
	if err != nil {
		return out, err
	}
	o, err := s.store.Latest(ctx, id)
	if err != nil {
		return out, err
	}
	if !policy.CanSee(m, o.Dist) {
		return out, errs.E(errs.NotFound, "no such object")
	}
	found, err := s.store.ByKeys(ctx, SightingOf, []string{id}, "", "", MaxSightings)
	if err != nil {
		return out, err
	}
	out.Truncated = len(found) >= MaxSightings
	bySource := map[string]*SourceSeen{}
	for _, sg := range s.visible(m, found) {
		if sg.Type != "sighting" || sg.Revoked {
			continue
		}
		var f struct {
			SightingOfRef string `json:"sighting_of_ref"`
			Count         *int   `json:"count"`
			FirstSeen     string `json:"first_seen"`
			LastSeen      string `json:"last_seen"`
			Source        string `json:"x_kyojo_source"`
			CreatedByRef  string `json:"created_by_ref"`
		}
		if json.Unmarshal(sg.Raw, &f) != nil || f.SightingOfRef != id {
			continue
		}
		n := 1
		if f.Count != nil && *f.Count >= 0 {
			n = *f.Count
		}
		src := f.Source
		if src == "" {
			src = f.CreatedByRef
		}
		first, last := parseStamp(f.FirstSeen), parseStamp(f.LastSeen)
		out.Sightings++
		out.Count += n
		out.FirstSeen, out.LastSeen = earlier(out.FirstSeen, first), later(out.LastSeen, last)
		ss := bySource[src]
		if ss == nil {
			ss = &SourceSeen{Source: src}
			bySource[src] = ss
		}
		ss.Count += n
		ss.FirstSeen, ss.LastSeen = earlier(ss.FirstSeen, first), later(ss.LastSeen, last)
	}
	for _, ss := range bySource {
		out.Sources = append(out.Sources, *ss)
	}
	sort.Slice(out.Sources, func(i, j int) bool {
		a, b := out.Sources[i], out.Sources[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		return a.Source < b.Source
	})
	return out, nil
}

// parseStamp reads a STIX timestamp; nil when absent or broken.
func parseStamp(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	t = t.UTC()
	return &t
}

func earlier(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.Before(*a)) {
		return b
	}
	return a
}

func later(a, b *time.Time) *time.Time {
	if a == nil || (b != nil && b.After(*a)) {
		return b
	}
	return a
}
