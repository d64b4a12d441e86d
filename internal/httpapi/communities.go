package httpapi

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// communityInput is the body of POST /api/v1/communities.
type communityInput struct {
	Slug        string          `json:"slug"`
	Name        string          `json:"name"`
	NameJA      string          `json:"name_ja"`
	Description string          `json:"description,omitempty"`
	Sector      identity.Sector `json:"sector,omitempty"`
	Members     []string        `json:"members,omitempty"` // organisation ids or slugs
}

func (in communityInput) community() identity.Community {
	return identity.Community{Slug: in.Slug, Name: in.Name, NameJA: in.NameJA, Description: in.Description,
		Sector: in.Sector, Members: in.Members}
}

func (a *API) communityRoutes() []route {
	return []route{
		{pattern: "GET " + Prefix + "/communities", h: a.listCommunities},
		{pattern: "POST " + Prefix + "/communities", h: a.createCommunity},
		{pattern: "GET " + Prefix + "/communities/{ref}", h: a.getCommunity},
		{pattern: "PATCH " + Prefix + "/communities/{ref}", h: a.updateCommunity},
	}
}

// listCommunities answers every community.
func (a *API) listCommunities(w http.ResponseWriter, r *http.Request) error {
	cs, err := a.d.Identity.ListCommunities(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(cs))
	return nil
}

// createCommunity forms a community (hub administrators only).
func (a *API) createCommunity(w http.ResponseWriter, r *http.Request) error {
	var in communityInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	c, err := a.d.Identity.CreateCommunity(r.Context(), httpx.Actor(r.Context()), in.community())
	if err != nil {
		return err
	}
	created(w, Prefix+"/communities/"+c.ID, c)
	return nil
}

// getCommunity answers one community by id or slug.
func (a *API) getCommunity(w http.ResponseWriter, r *http.Request) error {
	c, err := a.d.Identity.Community(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}

// updateCommunity applies an identity.CommunityPatch.
func (a *API) updateCommunity(w http.ResponseWriter, r *http.Request) error {
	var p identity.CommunityPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	c, err := a.d.Identity.UpdateCommunity(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, c)
	return nil
}
