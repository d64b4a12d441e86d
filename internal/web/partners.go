package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
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

// partnerFormData is the form to register or change a partner.
type partnerFormData struct {
	In          partner.Input
	New         bool
	Ref         string // the slug of the partner changed
	HasSecret   bool
	Orgs        []identity.Org
	Communities []identity.Community
	Rows        []contactRow
	TLPs        []policy.TLP
	Directions  []partner.Direction
	Auths       []partner.Auth
}

// Marked, Out and In report whether a TLP, an outbound community or an
// inbound community (by id) is ticked.
func (d partnerFormData) Marked(t policy.TLP) bool { return slices.Contains(d.In.Markings, t) }
func (d partnerFormData) Out(id string) bool       { return slices.Contains(d.In.Communities, id) }
func (d partnerFormData) Inbound(id string) bool   { return slices.Contains(d.In.Inbound, id) }

// Types is the object types as typed in the form.
func (d partnerFormData) Types() string { return strings.Join(d.In.Types, ", ") }

func (u *UI) partnerFormPage(w http.ResponseWriter, r *http.Request, in partner.Input, ref string, hasSecret bool) (*page, error) {
	p := u.newPage(w, r, k("partnerform.edit_title"))
	if ref == "" {
		p.Title = k("partnerform.new_title")
	}
	p.Nav = "partners"
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		return p, err
	}
	cs, err := u.d.Identity.ListCommunities(r.Context(), p.Actor)
	if err != nil {
		return p, err
	}
	p.D = partnerFormData{In: in, New: ref == "", Ref: ref, HasSecret: hasSecret, Orgs: orgs, Communities: cs,
		Rows: contactRows(in.Contacts), TLPs: []policy.TLP{policy.Clear, policy.Green, policy.Amber, policy.AmberStrict},
		Directions: []partner.Direction{partner.Pull, partner.Push, partner.Both}, Auths: []partner.Auth{partner.Bearer, partner.Basic}}
	return p, nil
}

// inputOf is the form's starting point for an existing partner.
func inputOf(x partner.Partner) partner.Input {
	return partner.Input{Slug: x.Slug, Name: x.Name, Country: x.Country, Org: x.OrgID, Contacts: x.Contacts, APIRoot: x.APIRoot,
		Collection: x.Collection, Direction: x.Direction, Auth: x.Auth, Username: x.Username, Markings: x.Policy.Markings,
		Types: x.Policy.Types, Communities: x.Policy.Communities, Inbound: x.Inbound, Interval: x.Interval.String(), Disabled: x.Disabled}
}

func partnerFromForm(r *http.Request) partner.Input {
	f := r.PostFormValue
	in := partner.Input{Slug: f("slug"), Name: f("name"), Country: strings.ToUpper(strings.TrimSpace(f("country"))), Org: f("org"),
		Contacts: contactsFromForm(r), APIRoot: strings.TrimSpace(f("api_root")), Collection: strings.TrimSpace(f("collection")),
		Direction: partner.Direction(f("direction")), Auth: partner.Auth(f("auth")), Username: f("username"), Secret: f("secret"),
		Communities: r.PostForm["communities"], Inbound: r.PostForm["inbound_communities"], Interval: strings.TrimSpace(f("interval")),
		Disabled: f("disabled") == "1"}
	for _, t := range r.PostForm["markings"] {
		in.Markings = append(in.Markings, policy.TLP(t))
	}
	for _, t := range strings.FieldsFunc(f("types"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' }) {
		in.Types = append(in.Types, t)
	}
	return in
}

func (u *UI) partnerNew(w http.ResponseWriter, r *http.Request) {
	if err := policy.Decide(actorOf(r).Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	// Nothing leaves until someone ticks what may.
	p, err := u.partnerFormPage(w, r, partner.Input{Direction: partner.Pull, Auth: partner.Bearer, Interval: partner.DefaultInterval.String()}, "", false)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "partner_form", p)
}

func (u *UI) partnerEdit(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.ManagePartners, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	x, err := u.d.Partners.Get(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.partnerFormPage(w, r, inputOf(x), x.Slug, x.HasSecret)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "partner_form", p)
}

func (u *UI) partnerCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	in := partnerFromForm(r)
	x, err := u.d.Partners.Create(r.Context(), actorOf(r), in)
	if err != nil {
		u.partnerFormFail(w, r, in, "", false, err)
		return
	}
	http.Redirect(w, r, "/partners/"+x.Slug, http.StatusSeeOther)
}

func (u *UI) partnerUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a, ref := actorOf(r), r.PathValue("ref")
	cur, err := u.d.Partners.Get(r.Context(), a, ref)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	in := partnerFromForm(r)
	in.Slug = cur.Slug
	x, err := u.d.Partners.Update(r.Context(), a, cur.Slug, in)
	if err != nil {
		u.partnerFormFail(w, r, in, cur.Slug, cur.HasSecret, err)
		return
	}
	http.Redirect(w, r, "/partners/"+x.Slug, http.StatusSeeOther)
}

// partnerDelete handles POST /partners/{ref}/delete.
func (u *UI) partnerDelete(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if err := u.d.Partners.Delete(r.Context(), actorOf(r), r.PathValue("ref")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/partners", http.StatusSeeOther)
}

// partnerFormFail shows the form again with what was typed (never the
// secret) and the errors, or the error page for anything but bad input.
func (u *UI) partnerFormFail(w http.ResponseWriter, r *http.Request, in partner.Input, ref string, hasSecret bool, err error) {
	if code := errs.CodeOf(err); code != errs.Invalid && code != errs.Conflict {
		u.fail(w, r, err)
		return
	}
	in.Secret = ""
	p, perr := u.partnerFormPage(w, r, in, ref, hasSecret)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	u.renderForm(w, "partner_form", p, err)
}
