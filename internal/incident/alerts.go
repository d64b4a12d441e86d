package incident

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// AlertEscalator turns GSOC alerts into incident work; it implements
// monitor.Escalator. An alert joins the open incident of the same
// organisation that is already about its indicator; otherwise it opens a
// new incident, owned by the national centre (the GSOC works there) with
// the alerted organisation invited as responder, at TLP:AMBER. Either way
// the alert, the indicator and the observed value are linked, and each step
// is audited as the system acting for the GSOC.
type AlertEscalator struct {
	S *Service
}

var _ monitor.Escalator = AlertEscalator{}

// OpenOrJoin implements monitor.Escalator; it is idempotent for an alert
// already linked to an open incident.
func (e AlertEscalator) OpenOrJoin(ctx context.Context, al monitor.Alert, why string) (string, error) {
	s := e.S
	hub := s.hub(ctx)
	if hub == "" {
		return "", errs.E(errs.Unavailable, "the national centre (incident-hub-org %q) does not exist: alerts cannot open incidents", s.opt.HubOrg)
	}
	a := identity.System("gsoc")
	a.OrgID = hub
	open, err := s.store.ListIncidents(ctx, Filter{OrgID: al.OrgID, Status: []Status{Reported, Triage, Response, Recovery}, Limit: 200})
	if err != nil {
		return "", err
	}
	for _, in := range open {
		links, err := s.store.CaseLinks(ctx, in.ID)
		if err != nil {
			return "", err
		}
		about, has := false, false
		for _, l := range links {
			about = about || (l.Kind == LinkIndicator && l.Ref == al.IndicatorID)
			has = has || (l.Kind == LinkAlert && l.Ref == al.ID)
		}
		if has {
			return in.ID, nil
		}
		if about {
			_, err := s.AddLink(ctx, a, in.ID, LinkInput{Kind: LinkAlert, Ref: al.ID})
			if err != nil {
				return "", err
			}
			_, err = s.AddEntry(ctx, a, in.ID, EntryInput{Kind: KindNote, Body: "GSOC alert " + al.ID + " joined: " + why})
			return in.ID, err
		}
	}
	ri := ReportInput{
		Title:       truncate(fmt.Sprintf("GSOC alert: %s %s", al.Kind, al.Value), MaxTitle),
		Summary:     alertSummary(al, why),
		AffectedOrg: al.OrgID,
		TLP:         policy.Amber,
		Impact:      alertImpact(al.Severity),
		DetectedAt:  &al.FirstSeen,
	}
	if o, ok := alertObservable(al); ok {
		ri.Observables = []Observable{o}
	}
	in, err := s.Report(ctx, a, ri)
	if err != nil {
		return "", err
	}
	for _, li := range []LinkInput{{Kind: LinkAlert, Ref: al.ID}, {Kind: LinkIndicator, Ref: al.IndicatorID}} {
		if li.Ref == "" {
			continue
		}
		if _, err := s.AddLink(ctx, a, in.ID, li); err != nil {
			return in.ID, err
		}
	}
	if al.OrgID != hub {
		if _, err := s.Invite(ctx, a, in.ID, al.OrgID, policy.CaseResponder, "the alerted organisation"); err != nil {
			return in.ID, err
		}
	}
	return in.ID, nil
}

func alertSummary(al monitor.Alert, why string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Opened from GSOC alert %s (%s).\n", al.ID, why)
	if al.Name != "" {
		fmt.Fprintf(&b, "Indicator: %s (%s), score %.0f.\n", al.Name, al.IndicatorID, al.Score)
	} else {
		fmt.Fprintf(&b, "Indicator: %s, score %.0f.\n", al.IndicatorID, al.Score)
	}
	fmt.Fprintf(&b, "Seen in traffic: %s, %d times between %s and %s (sensor %s).",
		al.Observed, al.Count, al.FirstSeen.UTC().Format("2006-01-02 15:04Z"), al.LastSeen.UTC().Format("2006-01-02 15:04Z"), al.SensorID)
	return truncate(b.String(), MaxText)
}

// alertImpact is the starting impact of an alert's incident: a hit says
// something reached a bad address, not yet what it cost, so the functional
// impact follows the alert's severity and the rest waits for triage.
func alertImpact(severity int) Impact {
	switch severity {
	case 1:
		return Impact{Functional: 2, Information: 1}
	case 2:
		return Impact{Functional: 1, Information: 1}
	default:
		return Impact{Functional: 1}
	}
}

// alertObservable is the observed value as an incident observable, when it
// is one of the kinds incidents keep.
func alertObservable(al monitor.Alert) (Observable, bool) {
	v := strings.TrimSpace(al.Observed)
	var o Observable
	switch al.Kind {
	case "ip":
		a, err := netip.ParseAddr(v)
		if err != nil {
			return o, false
		}
		o = Observable{Type: "ipv4-addr", Value: a.String()}
		if !a.Is4() {
			o.Type = "ipv6-addr"
		}
	case "domain":
		o = Observable{Type: "domain-name", Value: v}
	case "url":
		o = Observable{Type: "url", Value: v}
	case "email":
		o = Observable{Type: "email-addr", Value: v}
	case "hash":
		switch len(v) {
		case 64:
			o = Observable{Type: "file-sha256", Value: strings.ToLower(v)}
		case 32:
			o = Observable{Type: "file-md5", Value: strings.ToLower(v)}
		default:
			return o, false
		}
	default:
		return o, false
	}
	return o, o.validate() == nil
}
