package web

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// partnersData is the partner registry page.
type partnersData struct {
	Partners []partner.View
	Orgs     map[string]identity.Org
}

// partnerData is one partner's page: its entry, health and exchanges.
type partnerData struct {
	P           partner.View
	Org         identity.Org
	Communities map[string]identity.Community
	Exchanges   []partner.Exchange
	In, Out     int // totals over the exchanges shown
	Failed      int
}

// HasPartners reports whether the hub runs the partner registry.
func (p *page) HasPartners() bool { return p.u.d.Partners != nil }

func (u *UI) partnerList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("partners.title"))
	p.Nav = "partners"
	ps, err := u.d.Partners.List(r.Context(), p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := partnersData{Orgs: byID(orgs)}
	now := time.Now()
	for _, x := range ps {
		d.Partners = append(d.Partners, partner.ViewOf(x, now))
	}
	p.D = d
	u.render(w, http.StatusOK, "partners", p)
}

func (u *UI) partnerShow(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("partners.title"))
	p.Nav = "partners"
	x, ex, err := u.d.Partners.Exchanges(r.Context(), p.Actor, r.PathValue("ref"), 100)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := partnerData{P: partner.ViewOf(x, time.Now()), Exchanges: ex, Communities: map[string]identity.Community{}}
	if o, err := u.d.Identity.Org(r.Context(), p.Actor, x.OrgID); err == nil {
		d.Org = o
	}
	if cs, err := u.d.Identity.ListCommunities(r.Context(), p.Actor); err == nil {
		for _, c := range cs {
			d.Communities[c.ID] = c
		}
	}
	for _, e := range ex {
		d.In, d.Out, d.Failed = d.In+e.ObjectsIn, d.Out+e.ObjectsOut, d.Failed+e.Failed
	}
	p.D = d
	u.render(w, http.StatusOK, "partner", p)
}

// clientRow is one TAXII pull: who, from which collection, how many
// objects and which span of date_added.
type clientRow struct {
	Time                 time.Time
	Actor, OrgID, Remote string
	Collection, Endpoint string
	Objects              int
	AddedAfter, First    string
	Last                 string
	More                 bool
}

// clientSummary sums one client's pulls over the rows shown.
type clientSummary struct {
	Actor, OrgID string
	Pulls        int
	Objects      int
	Last         time.Time
	Collections  []string
}

type clientsData struct {
	Rows    []clientRow
	Clients []clientSummary
	Orgs    map[string]identity.Org
}

// taxiiClients shows hub administrators which TAXII clients pulled what
// and when, from the audit records the TAXII server writes per page.
func (u *UI) taxiiClients(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("clients.title"))
	p.Nav = "partners"
	if err := policy.Decide(p.Actor.Viewer, policy.ReadPartners, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	recs, err := u.d.Identity.ListAudit(r.Context(), p.Actor, audit.Filter{Action: "taxii.pull", Limit: 1000})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := clientsData{Orgs: byID(orgs)}
	sums := map[string]*clientSummary{}
	for _, rec := range recs {
		var det struct {
			Endpoint   string `json:"endpoint"`
			Objects    int    `json:"objects"`
			More       bool   `json:"more"`
			AddedAfter string `json:"added_after"`
			First      string `json:"first_added"`
			Last       string `json:"last_added"`
		}
		_ = json.Unmarshal(rec.Detail, &det)
		row := clientRow{Time: rec.Time, Actor: rec.ActorName, OrgID: rec.ActorOrgID, Remote: rec.Remote, Collection: rec.ObjectID,
			Endpoint: det.Endpoint, Objects: det.Objects, AddedAfter: det.AddedAfter, First: det.First, Last: det.Last, More: det.More}
		if len(d.Rows) < 200 {
			d.Rows = append(d.Rows, row)
		}
		s := sums[rec.ActorName]
		if s == nil {
			s = &clientSummary{Actor: rec.ActorName, OrgID: rec.ActorOrgID}
			sums[rec.ActorName] = s
		}
		s.Pulls++
		s.Objects += det.Objects
		if rec.Time.After(s.Last) {
			s.Last = rec.Time
		}
		if !contains(s.Collections, rec.ObjectID) {
			s.Collections = append(s.Collections, rec.ObjectID)
		}
	}
	for _, s := range sums {
		sort.Strings(s.Collections)
		d.Clients = append(d.Clients, *s)
	}
	sort.Slice(d.Clients, func(i, j int) bool { return d.Clients[i].Last.After(d.Clients[j].Last) })
	p.D = d
	u.render(w, http.StatusOK, "taxii_clients", p)
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// partnerToggle handles POST /partners/{ref}/disable and /enable.
func (u *UI) partnerToggle(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.checkForm(w, r) {
			return
		}
		p, err := u.d.Partners.SetDisabled(r.Context(), actorOf(r), r.PathValue("ref"), disabled)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/partners/"+p.Slug, http.StatusSeeOther)
	}
}
