package incident_test

import (
	"context"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// A GSOC alert opens an incident owned by the national centre with the
// alerted organisation as responder; another alert about the same
// indicator joins it; the same alert again changes nothing; once the case
// is closed, a new alert opens a new one. Other organisations see none of it.
func TestAlertEscalator(t *testing.T) {
	r := newRig(t)
	ctx := context.Background()
	esc := incident.AlertEscalator{S: r.svc}
	mof := r.h.Orgs["mof"].ID
	seen := time.Now().UTC().Add(-time.Hour)
	al := monitor.Alert{ID: "0190a000-0000-7000-8000-000000000001", OrgID: mof, IndicatorID: "indicator--00000000-0000-4000-8000-0000000000c2",
		Name: "C2 server", Kind: "ip", Value: "198.51.100.0/24", Observed: "198.51.100.7", SensorID: "s1", Count: 12,
		FirstSeen: seen, LastSeen: seen.Add(30 * time.Minute), Severity: 1, Score: 80}
	id, err := esc.OpenOrJoin(ctx, al, `rule "high severity"`)
	if err != nil {
		t.Fatal(err)
	}
	v, err := r.svc.Get(ctx, r.h.Actor("bob"), id)
	if err != nil || v.Role != policy.CaseResponder || v.OwnerOrg != r.h.Orgs["ncc"].ID || v.AffectedOrg != mof {
		t.Fatalf("the alerted organisation's view: role %q owner %s affected %s: %v", v.Role, v.OwnerOrg, v.AffectedOrg, err)
	}
	links := map[incident.LinkKind]string{}
	for _, l := range v.Links {
		links[l.Kind] = l.Ref
	}
	if links[incident.LinkAlert] != al.ID || links[incident.LinkIndicator] != al.IndicatorID || links[incident.LinkObservable] != "198.51.100.7" {
		t.Fatalf("links: %v", links)
	}
	if _, err := r.svc.Get(ctx, r.h.Actor("carol"), id); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another organisation reads the alert's incident: %v", err)
	}

	again, err := esc.OpenOrJoin(ctx, al, "again")
	if err != nil || again != id {
		t.Fatalf("the same alert again: %s %v", again, err)
	}
	second := al
	second.ID, second.Observed = "0190a000-0000-7000-8000-000000000002", "198.51.100.9"
	joined, err := esc.OpenOrJoin(ctx, second, `rule "high severity"`)
	if err != nil || joined != id {
		t.Fatalf("a second alert about the same indicator opened %s, want %s: %v", joined, id, err)
	}
	v, _ = r.svc.Get(ctx, r.h.Actor("admin"), id)
	alerts := 0
	for _, l := range v.Links {
		if l.Kind == incident.LinkAlert {
			alerts++
		}
	}
	if alerts != 2 {
		t.Fatalf("%d alert links, want 2", alerts)
	}

	admin := r.h.Actor("admin")
	for _, st := range []incident.Status{incident.Triage, incident.Response, incident.Recovery, incident.Closed} {
		if _, err := r.svc.Transition(ctx, admin, id, st, "done"); err != nil {
			t.Fatal(err)
		}
	}
	third := al
	third.ID = "0190a000-0000-7000-8000-000000000003"
	fresh, err := esc.OpenOrJoin(ctx, third, "after closing")
	if err != nil || fresh == id || fresh == "" {
		t.Fatalf("an alert after the case closed: %s %v", fresh, err)
	}
}
