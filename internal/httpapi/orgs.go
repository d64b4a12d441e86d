package httpapi

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// orgInput is the body of POST /api/v1/organizations: the fields a caller
// may set. The hub assigns id and times.
type orgInput struct {
	Slug        string             `json:"slug"`
	Name        string             `json:"name"`
	NameJA      string             `json:"name_ja"`
	Kind        identity.Kind      `json:"kind"`
	Sector      identity.Sector    `json:"sector,omitempty"`
	Tier        identity.Tier      `json:"tier,omitempty"`
	Country     string             `json:"country,omitempty"`
	Description string             `json:"description,omitempty"`
	Contacts    []identity.Contact `json:"contacts,omitempty"`
}

func (in orgInput) org() identity.Org {
	return identity.Org{Slug: in.Slug, Name: in.Name, NameJA: in.NameJA, Kind: in.Kind, Sector: in.Sector,
		Tier: in.Tier, Country: in.Country, Description: in.Description, Contacts: in.Contacts}
}

func (a *API) orgRoutes() []route {
	return []route{
		{pattern: "GET " + Prefix + "/organizations", h: a.listOrgs},
		{pattern: "POST " + Prefix + "/organizations", h: a.createOrg},
		{pattern: "GET " + Prefix + "/organizations/{ref}", h: a.getOrg},
		{pattern: "PATCH " + Prefix + "/organizations/{ref}", h: a.updateOrg},
	}
}

// listOrgs answers the directory, filtered by kind, sector and q.
func (a *API) listOrgs(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := identity.OrgFilter{Kind: identity.Kind(q.Get("kind")), Sector: identity.Sector(q.Get("sector")), Query: q.Get("q")}
	var l errs.List
	if f.Kind != "" && !f.Kind.Valid() {
		l.Add(errs.Malformed, "kind", "unknown kind %q", f.Kind)
	}
	if f.Sector != "" && !f.Sector.Valid() {
		l.Add(errs.Malformed, "sector", "unknown sector %q", f.Sector)
	}
	if err := l.Err(); err != nil {
		return err
	}
	orgs, err := a.d.Identity.ListOrgs(r.Context(), httpx.Actor(r.Context()), f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(orgs))
	return nil
}

// createOrg registers an organisation (hub administrators only).
func (a *API) createOrg(w http.ResponseWriter, r *http.Request) error {
	var in orgInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	o, err := a.d.Identity.CreateOrg(r.Context(), httpx.Actor(r.Context()), in.org())
	if err != nil {
		return err
	}
	created(w, Prefix+"/organizations/"+o.ID, o)
	return nil
}

// getOrg answers one organisation by id or slug.
func (a *API) getOrg(w http.ResponseWriter, r *http.Request) error {
	o, err := a.d.Identity.Org(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}

// updateOrg applies an identity.OrgPatch.
func (a *API) updateOrg(w http.ResponseWriter, r *http.Request) error {
	var p identity.OrgPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	o, err := a.d.Identity.UpdateOrg(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}
