package partner

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Source is the intel source of objects pulled from the partner slug.
func Source(slug string) string { return "taxii:" + slug }

// Outbound decides whether o may leave for partner p, whose organisation
// on this hub is the viewer m. It is the one rule for pushes and for what
// the TAXII server serves to a partner's account, and it fails closed:
//
//   - TLP:RED (by sharing or by any marking in the object itself), objects
//     shared with named people, and need-to-know (compartmented) objects
//     never leave, whatever the policy says;
//   - objects received from the partner, or authored by its organisation
//     here, are not sent back to it;
//   - the object must pass policy.CanSee for the partner as viewer;
//   - its TLP must be one the policy allows (an empty list allows none),
//     its type one the policy names (an empty list allows every type), and,
//     above TLP:CLEAR, it must be shared to one of the policy's communities
//     when the policy names any.
//
// The reason says which rule refused it ("" when it may leave).
func Outbound(p Partner, m policy.Member, o intel.Object) (bool, string) {
	d := o.Dist
	switch {
	case d.TLP == policy.Red || markedRed(o.Raw):
		return false, "TLP:RED never leaves the hub"
	case len(d.Users) > 0:
		return false, "objects shared with named people never leave the hub"
	case len(d.Compartments) > 0:
		return false, "need-to-know objects never leave the hub"
	case o.Source == Source(p.Slug) || (p.OrgID != "" && d.AuthorOrg == p.OrgID):
		return false, "received from this partner"
	case !policy.CanSee(m, d):
		return false, "the partner may not see it"
	case !slices.Contains(p.Policy.Markings, d.TLP):
		return false, "its TLP is not allowed for this partner"
	case len(p.Policy.Types) > 0 && !slices.Contains(p.Policy.Types, o.Type):
		return false, "its type is not allowed for this partner"
	case d.TLP != policy.Clear && len(p.Policy.Communities) > 0 && !intersects(p.Policy.Communities, d.Communities):
		return false, "it is not shared to a community allowed for this partner"
	}
	return true, ""
}

// markedRed reports whether a STIX object carries a TLP:RED marking (TLP
// 2.0 or 1.0), as an object marking or a granular one. Unreadable JSON
// counts as marked: nothing unreadable leaves.
func markedRed(raw json.RawMessage) bool {
	var m struct {
		Refs     []string `json:"object_marking_refs"`
		Granular []struct {
			Ref string `json:"marking_ref"`
		} `json:"granular_markings"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &m) != nil {
		return true
	}
	for _, r := range m.Refs {
		if t, ok := policy.TLPOfMarking(r); ok && t == policy.Red {
			return true
		}
	}
	for _, g := range m.Granular {
		if t, ok := policy.TLPOfMarking(g.Ref); ok && t == policy.Red {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if slices.Contains(b, x) {
			return true
		}
	}
	return false
}

// Health is a partner's health, computed from its state.
type Health string

// The health levels.
const (
	Healthy  Health = "ok"       // the last exchange succeeded
	Degraded Health = "degraded" // recent failures, but a success within the last ten intervals
	Down     Health = "down"     // no success within ten intervals (and at least three failures)
	Never    Health = "never"    // not tried yet
	Off      Health = "disabled" // the partner is disabled
)

// HealthOf computes p's health at now.
func HealthOf(p Partner, now time.Time) Health {
	st := p.State
	switch {
	case p.Disabled:
		return Off
	case st.LastAttempt.IsZero():
		return Never
	case st.Failures == 0:
		return Healthy
	case st.Failures >= 3 && (st.LastSuccess.IsZero() || now.Sub(st.LastSuccess) > 10*p.Interval):
		return Down
	}
	return Degraded
}

// MaxBackoff caps the wait after failures.
const MaxBackoff = time.Hour

// NextAttempt is when p's next exchange is due: one interval after the
// last attempt, doubled for each consecutive failure up to MaxBackoff.
func NextAttempt(p Partner) time.Time {
	st := p.State
	if st.LastAttempt.IsZero() {
		return time.Time{}
	}
	wait := p.Interval
	for i := 0; i < st.Failures && wait < MaxBackoff; i++ {
		wait *= 2
	}
	return st.LastAttempt.Add(min(wait, max(MaxBackoff, p.Interval)))
}

// View is a partner as the CLI, the API and the UI show it: with its
// health and when its next exchange is due.
type View struct {
	Partner
	Health      Health     `json:"health"`
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
}

// ViewOf returns p's view at now.
func ViewOf(p Partner, now time.Time) View {
	v := View{Partner: p, Health: HealthOf(p, now)}
	if t := NextAttempt(p); !t.IsZero() && !p.Disabled {
		v.NextAttempt = &t
	}
	return v
}
