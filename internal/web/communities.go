package web

import (
	"net/http"
	"slices"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func (u *UI) communityList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("communities.title"))
	p.Nav = "communities"
	cs, err := u.d.Identity.ListCommunities(r.Context(), p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p.D = cs
	u.render(w, http.StatusOK, "communities", p)
}

// communityShowData is a community with its member organisations.
type communityShowData struct {
	Community identity.Community
	Members   []identity.Org
}

func (u *UI) communityShow(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("community.title"))
	p.Nav = "communities"
	c, err := u.d.Identity.Community(r.Context(), p.Actor, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := communityShowData{Community: c}
	for _, o := range orgs {
		if slices.Contains(c.Members, o.ID) {
			d.Members = append(d.Members, o)
		}
	}
	p.D = d
	u.render(w, http.StatusOK, "community", p)
}

// communityFormData is the form to create or edit a community.
type communityFormData struct {
	Community identity.Community
	New       bool
	Orgs      []identity.Org
	Sectors   []identity.Sector
}

// Member reports whether the organisation id is ticked.
func (d communityFormData) Member(id string) bool { return slices.Contains(d.Community.Members, id) }

func (u *UI) communityFormPage(w http.ResponseWriter, r *http.Request, c identity.Community, isNew bool) (*page, error) {
	p := u.newPage(w, r, k("communityform.edit_title"))
	if isNew {
		p.Title = k("communityform.new_title")
	}
	p.Nav = "communities"
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	p.D = communityFormData{Community: c, New: isNew, Orgs: orgs, Sectors: identity.Sectors}
	return p, err
}

func (u *UI) communityNew(w http.ResponseWriter, r *http.Request) {
	if err := policy.Decide(actorOf(r).Viewer, policy.ManageCommunity, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.communityFormPage(w, r, identity.Community{}, true)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "community_form", p)
}

func (u *UI) communityEdit(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.ManageCommunity, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	c, err := u.d.Identity.Community(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.communityFormPage(w, r, c, false)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "community_form", p)
}

func communityFromForm(r *http.Request) identity.Community {
	f := r.PostFormValue
	return identity.Community{Slug: f("slug"), Name: f("name"), NameJA: f("name_ja"), Description: f("description"),
		Sector: identity.Sector(f("sector")), Members: r.PostForm["members"]}
}

func (u *UI) communityCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	c := communityFromForm(r)
	created, err := u.d.Identity.CreateCommunity(r.Context(), actorOf(r), c)
	if err != nil {
		u.communityFormFail(w, r, c, true, err)
		return
	}
	http.Redirect(w, r, "/communities/"+created.Slug, http.StatusSeeOther)
}

func (u *UI) communityUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	c := communityFromForm(r)
	members := c.Members
	if members == nil {
		members = []string{}
	}
	c.Slug = r.PathValue("ref")
	updated, err := u.d.Identity.UpdateCommunity(r.Context(), actorOf(r), c.Slug, identity.CommunityPatch{
		Name: &c.Name, NameJA: &c.NameJA, Description: &c.Description, Sector: &c.Sector, Members: &members})
	if err != nil {
		u.communityFormFail(w, r, c, false, err)
		return
	}
	http.Redirect(w, r, "/communities/"+updated.Slug, http.StatusSeeOther)
}

func (u *UI) communityFormFail(w http.ResponseWriter, r *http.Request, c identity.Community, isNew bool, err error) {
	if code := errs.CodeOf(err); code != errs.Invalid && code != errs.Conflict {
		u.fail(w, r, err)
		return
	}
	p, perr := u.communityFormPage(w, r, c, isNew)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	u.renderForm(w, "community_form", p, err)
}
