package monitor

import (
	"context"
	"encoding/json"
	"math/bits"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// sightingNS names the STIX sighting ids derived from alert ids.
var sightingNS = uuid.MustParse("6b796f6a-6f00-4000-8000-00000000005e")

// Sightings records alerts as STIX sightings in the intelligence store,
// so that an indicator's page counts where it was seen. Each alert is one
// sighting (its id derived from the alert's); a new version is published
// when the alert opens and each time its count passes a power of two, so
// a busy alert makes a handful of versions, not one per batch.
//
// The sighting is published by the monitored organisation (as its sensor),
// TLP:AMBER+STRICT to the indicator's author, anonymously: the author
// learns that its indicator was seen and how often, the hub keeps by whom.
type Sightings struct {
	Intel *intel.Service
}

// due reports whether an alert whose count went from prev to now needs a
// new sighting version.
func due(prev, now int64) bool {
	return prev <= 0 || bits.Len64(uint64(prev)) != bits.Len64(uint64(now))
}

// record publishes the sighting of alert a of indicator ind.
func (s *Sightings) record(ctx context.Context, a Alert, ind Indicator, at time.Time) error {
	actor := identity.Actor{Viewer: policy.Viewer{UserID: "sensor:" + a.SensorID, OrgID: a.OrgID, Role: policy.Analyst, Scope: policy.ScopeWrite},
		Username: "sensor:" + a.SensorID, Remote: "gsoc", Via: "system"}
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
	modified := at
	if !modified.After(a.CreatedAt) {
		modified = a.CreatedAt.Add(time.Millisecond)
	}
	obj := map[string]any{
		"type": "sighting", "spec_version": "2.1",
		"id":      "sighting--" + uuid.NewSHA1(sightingNS, []byte(a.ID)).String(),
		"created": stamp(a.CreatedAt), "modified": stamp(modified),
		"sighting_of_ref": a.IndicatorID, "count": a.Count,
		"first_seen": stamp(a.FirstSeen), "last_seen": stamp(a.LastSeen.Add(time.Millisecond)),
		"x_kyojo_source": "gsoc",
	}
	raw, _ := json.Marshal(obj)
	sh := intel.Sharing{TLP: policy.AmberStrict, Anonymous: true}
	if ind.Dist.AuthorOrg != "" && ind.Dist.AuthorOrg != a.OrgID {
		sh.Orgs = []string{ind.Dist.AuthorOrg}
	}
	_, err := s.Intel.Put(ctx, actor, raw, sh, "gsoc")
	return err
}
