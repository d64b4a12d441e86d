package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// orgListData is the directory page.
type orgListData struct {
	Orgs    []identity.Org
	Kind    string
	Sector  string
	Query   string
	Kinds   []identity.Kind
	Sectors []identity.Sector
}

func (u *UI) orgList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("orgs.title"))
	p.Nav = "orgs"
	q := r.URL.Query()
	d := orgListData{Kind: q.Get("kind"), Sector: q.Get("sector"), Query: strings.TrimSpace(q.Get("q")),
		Kinds: identity.Kinds, Sectors: identity.Sectors}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{
		Kind: identity.Kind(d.Kind), Sector: identity.Sector(d.Sector), Query: d.Query})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Orgs = orgs
	p.D = d
	u.render(w, http.StatusOK, "orgs", p)
}

// orgShowData is an organisation's profile.
type orgShowData struct {
	Org         identity.Org
	Communities []identity.Community
}

func (u *UI) orgShow(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("org.title"))
	p.Nav = "orgs"
	o, err := u.d.Identity.Org(r.Context(), p.Actor, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cs, err := u.d.Identity.ListCommunities(r.Context(), p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := orgShowData{Org: o}
	for _, c := range cs {
		if slices.Contains(c.Members, o.ID) {
			d.Communities = append(d.Communities, c)
		}
	}
	p.D = d
	u.render(w, http.StatusOK, "org", p)
}

// orgFormData is the form to create or edit an organisation.
type orgFormData struct {
	Org     identity.Org
	New     bool
	Full    bool // every field, not only description and points of contact
	Rows    []contactRow
	Kinds   []identity.Kind
	Sectors []identity.Sector
	Tiers   []identity.Tier
}

// contactRow is one point of contact in the repeated form group.
type contactRow struct {
	Index int
	identity.Contact
}

// Langs returns the contact's languages as typed in the form.
func (c contactRow) Langs() string { return strings.Join(c.Languages, ", ") }

// extraRows is how many empty point-of-contact rows the form offers.
const extraRows = 2

// contactsData is what the "contacts" form partial shows.
type contactsData struct {
	P    *page
	Rows []contactRow
}

// contactRows returns the form rows for cs, with room for more.
func contactRows(cs []identity.Contact) []contactRow {
	var rows []contactRow
	for i := range min(len(cs)+extraRows, identity.MaxContacts) {
		row := contactRow{Index: i}
		if i < len(cs) {
			row.Contact = cs[i]
		}
		rows = append(rows, row)
	}
	return rows
}

// contactsFromForm reads the rows the "contacts" partial posts, skipping
// empty ones.
func contactsFromForm(r *http.Request) []identity.Contact {
	f := r.PostFormValue
	cs := []identity.Contact{}
	for i := range identity.MaxContacts + extraRows {
		at := "contacts[" + strconv.Itoa(i) + "]."
		c := identity.Contact{Name: f(at + "name"), Role: f(at + "role"), Email: f(at + "email"),
			Phone: f(at + "phone"), PGP: f(at + "pgp_fingerprint"), Available: f(at+"available_24x7") == "1"}
		for _, l := range strings.FieldsFunc(f(at+"languages"), func(r rune) bool { return r == ',' || r == ' ' || r == '、' }) {
			c.Languages = append(c.Languages, l)
		}
		if strings.TrimSpace(c.Name+c.Role+c.Email+c.Phone+c.PGP) == "" && len(c.Languages) == 0 {
			continue
		}
		cs = append(cs, c)
	}
	return cs
}

func (u *UI) orgFormPage(w http.ResponseWriter, r *http.Request, o identity.Org, isNew, full bool) *page {
	p := u.newPage(w, r, k("orgform.edit_title"))
	if isNew {
		p.Title = k("orgform.new_title")
	}
	p.Nav = "orgs"
	d := orgFormData{Org: o, New: isNew, Full: full, Kinds: identity.Kinds, Sectors: identity.Sectors,
		Tiers: []identity.Tier{identity.Tier1, identity.Tier2, identity.Tier3, identity.Tier4}}
	d.Rows = contactRows(o.Contacts)
	p.D = d
	return p
}

func (u *UI) orgNew(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.CreateOrg, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	p := u.orgFormPage(w, r, identity.Org{Country: "JP", Tier: identity.Tier3}, true, true)
	u.render(w, http.StatusOK, "org_form", p)
}

func (u *UI) orgCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	o := orgFromForm(r, identity.Org{}, true)
	o.Slug = r.PostFormValue("slug")
	created, err := u.d.Identity.CreateOrg(r.Context(), actorOf(r), o)
	if err != nil {
		u.renderForm(w, "org_form", u.orgFormPage(w, r, o, true, true), err)
		return
	}
	http.Redirect(w, r, "/orgs/"+created.Slug, http.StatusSeeOther)
}

func (u *UI) orgEdit(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	o, err := u.d.Identity.Org(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if err := policy.Decide(a.Viewer, policy.UpdateOrgPOC, policy.Target{OrgID: o.ID}); err != nil {
		u.fail(w, r, err)
		return
	}
	full := policy.Decide(a.Viewer, policy.UpdateOrg, policy.Target{OrgID: o.ID}) == nil
	u.render(w, http.StatusOK, "org_form", u.orgFormPage(w, r, o, false, full))
}

func (u *UI) orgUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a := actorOf(r)
	ref := r.PathValue("ref")
	full := policy.Decide(a.Viewer, policy.UpdateOrg, policy.Target{}) == nil
	o := orgFromForm(r, identity.Org{}, full)
	patch := identity.OrgPatch{Description: &o.Description, Contacts: &o.Contacts}
	if full {
		patch.Name, patch.NameJA, patch.Kind, patch.Sector = &o.Name, &o.NameJA, &o.Kind, &o.Sector
		patch.Tier, patch.Country, patch.Disabled = &o.Tier, &o.Country, &o.Disabled
	}
	updated, err := u.d.Identity.UpdateOrg(r.Context(), a, ref, patch)
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		o.Slug = ref
		if !full {
			cur, cerr := u.d.Identity.Org(r.Context(), a, ref)
			if cerr != nil {
				u.fail(w, r, cerr)
				return
			}
			cur.Description, cur.Contacts = o.Description, o.Contacts
			o = cur
		}
		u.renderForm(w, "org_form", u.orgFormPage(w, r, o, false, full), err)
		return
	}
	http.Redirect(w, r, "/orgs/"+updated.Slug, http.StatusSeeOther)
}

// orgFromForm reads the organisation fields of a posted form; only the
// description and points of contact unless full.
func orgFromForm(r *http.Request, o identity.Org, full bool) identity.Org {
	f := r.PostFormValue
	o.Description = f("description")
	if full {
		o.Name, o.NameJA, o.Country = f("name"), f("name_ja"), f("country")
		o.Kind, o.Sector = identity.Kind(f("kind")), identity.Sector(f("sector"))
		tier, _ := strconv.Atoi(f("tier"))
		o.Tier = identity.Tier(tier)
		o.Disabled = f("disabled") == "1"
	}
	o.Contacts = contactsFromForm(r)
	return o
}
