package web

import (
	"net/http"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// userListData is the people page.
type userListData struct {
	Users []identity.User
	Orgs  map[string]identity.Org // by id
	All   []identity.Org          // for the hub administrator's filter
	Org   string                  // the filter: an organisation's slug
	Query string
}

func (u *UI) userList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("users.title"))
	p.Nav = "users"
	d := userListData{Org: r.URL.Query().Get("org"), Query: strings.TrimSpace(r.URL.Query().Get("q"))}
	users, err := u.d.Identity.ListUsers(r.Context(), p.Actor, identity.UserFilter{OrgID: d.Org, Query: d.Query})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if d.All, err = u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{}); err != nil {
		u.fail(w, r, err)
		return
	}
	d.Users, d.Orgs = users, byID(d.All)
	p.D = d
	u.render(w, http.StatusOK, "users", p)
}

func byID(orgs []identity.Org) map[string]identity.Org {
	m := make(map[string]identity.Org, len(orgs))
	for _, o := range orgs {
		m[o.ID] = o
	}
	return m
}

// userFormData is the form to add or change a person.
type userFormData struct {
	In        identity.NewUser // a new person's fields
	User      identity.User    // the person being changed
	New       bool
	CanManage bool // role and disabled may be changed
	CanGrant  bool // compartments may be changed (hub administrators)
	Orgs      []identity.Org
	Roles     []policy.Role
	Locales   []string
}

// handles reads a comma-separated list of compartment handles as typed in
// the form; blanks between commas are dropped, the rest the service checks.
func handles(s string) []string {
	out := []string{}
	for _, h := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '，' || r == '、' || r == '\n' }) {
		if h = strings.TrimSpace(h); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// grantable lists the roles the viewer may give in orgID.
func grantable(v policy.Viewer, orgID string) []policy.Role {
	var out []policy.Role
	for _, role := range policy.Roles {
		if policy.Decide(v, policy.GrantRole, policy.Target{OrgID: orgID, Role: role}) == nil {
			out = append(out, role)
		}
	}
	return out
}

// newUserPage builds the new-person form for the organisation ref.
func (u *UI) newUserPage(w http.ResponseWriter, r *http.Request, in identity.NewUser) (*page, error) {
	p := u.newPage(w, r, k("userform.new_title"))
	p.Nav = "users"
	all, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		return nil, err
	}
	d := userFormData{In: in, New: true, Locales: identity.Locales}
	for _, o := range all {
		if o.ID == in.Org || o.Slug == in.Org {
			in.Org = o.ID
		}
		if policy.Decide(p.Actor.Viewer, policy.ManageUsers, policy.Target{OrgID: o.ID}) == nil {
			d.Orgs = append(d.Orgs, o)
		}
	}
	d.In = in
	d.Roles = grantable(p.Actor.Viewer, in.Org)
	d.CanGrant = policy.Decide(p.Actor.Viewer, policy.GrantCompartment, policy.Target{OrgID: in.Org}) == nil
	p.D = d
	return p, nil
}

func (u *UI) userNew(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	in := identity.NewUser{Org: r.URL.Query().Get("org"), Role: policy.Analyst, Locale: identity.Locales[0]}
	if in.Org == "" {
		in.Org = a.OrgID
	}
	p, err := u.newUserPage(w, r, in)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(p.D.(userFormData).Orgs) == 0 {
		u.fail(w, r, errs.E(errs.Forbidden, "only the organisation's administrators may manage its people"))
		return
	}
	u.render(w, http.StatusOK, "user_form", p)
}

func (u *UI) userCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	in := identity.NewUser{Username: f("username"), DisplayName: f("display_name"), Email: f("email"),
		Org: f("org"), Role: policy.Role(f("role")), Locale: f("locale"), Password: f("password")}
	if policy.Decide(actorOf(r).Viewer, policy.GrantCompartment, policy.Target{OrgID: in.Org}) == nil {
		in.Compartments = handles(f("compartments"))
	}
	created, err := u.d.Identity.CreateUser(r.Context(), actorOf(r), in)
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		in.Password = ""
		p, perr := u.newUserPage(w, r, in)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		u.renderForm(w, "user_form", p, err)
		return
	}
	http.Redirect(w, r, "/users/"+created.Username+"/edit?done=created", http.StatusSeeOther)
}

// editUserPage builds the form to change person usr.
func (u *UI) editUserPage(w http.ResponseWriter, r *http.Request, usr identity.User) *page {
	p := u.newPage(w, r, k("userform.edit_title"))
	p.Nav = "users"
	v := p.Actor.Viewer
	d := userFormData{User: usr, Locales: identity.Locales,
		CanManage: policy.Decide(v, policy.ManageUsers, policy.Target{OrgID: usr.OrgID, Role: usr.Role}) == nil,
		CanGrant:  policy.Decide(v, policy.GrantCompartment, policy.Target{OrgID: usr.OrgID, UserID: usr.ID}) == nil}
	if d.CanManage {
		d.Roles = grantable(v, usr.OrgID)
	}
	p.Notice = doneNotice(r)
	p.D = d
	return p
}

// doneNotice turns ?done=… after a redirect into a success message.
func doneNotice(r *http.Request) string {
	switch r.URL.Query().Get("done") {
	case "created":
		return k("notice.created")
	case "saved":
		return k("notice.saved")
	case "password":
		return k("notice.password")
	}
	return ""
}

func (u *UI) userEdit(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	usr, err := u.d.Identity.User(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p := u.editUserPage(w, r, usr)
	if !p.D.(userFormData).CanManage && usr.ID != a.UserID {
		u.fail(w, r, errs.E(errs.Forbidden, "only the organisation's administrators may manage its people"))
		return
	}
	u.render(w, http.StatusOK, "user_form", p)
}

func (u *UI) userUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a := actorOf(r)
	usr, err := u.d.Identity.User(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	f := r.PostFormValue
	name, email, locale := f("display_name"), f("email"), f("locale")
	patch := identity.UserPatch{DisplayName: &name, Email: &email, Locale: &locale}
	if policy.Decide(a.Viewer, policy.ManageUsers, policy.Target{OrgID: usr.OrgID, Role: usr.Role}) == nil {
		role, disabled := policy.Role(f("role")), f("disabled") == "1"
		patch.Role, patch.Disabled = &role, &disabled
	}
	if policy.Decide(a.Viewer, policy.GrantCompartment, policy.Target{OrgID: usr.OrgID, UserID: usr.ID}) == nil {
		comps := handles(f("compartments"))
		patch.Compartments = &comps
	}
	if _, err := u.d.Identity.UpdateUser(r.Context(), a, usr.ID, patch); err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		usr.DisplayName, usr.Email, usr.Locale = name, email, locale
		if patch.Role != nil {
			usr.Role, usr.Disabled = *patch.Role, *patch.Disabled
		}
		if patch.Compartments != nil {
			usr.Compartments = *patch.Compartments
		}
		u.renderForm(w, "user_form", u.editUserPage(w, r, usr), err)
		return
	}
	http.Redirect(w, r, "/users/"+usr.Username+"/edit?done=saved", http.StatusSeeOther)
}

// userPassword handles an administrator's password reset.
func (u *UI) userPassword(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	a := actorOf(r)
	usr, err := u.d.Identity.User(r.Context(), a, r.PathValue("ref"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if usr.ID == a.UserID {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	if err := u.d.Identity.SetPassword(r.Context(), a, usr.ID, "", r.PostFormValue("password")); err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			u.fail(w, r, err)
			return
		}
		u.renderForm(w, "user_form", u.editUserPage(w, r, usr), err)
		return
	}
	http.Redirect(w, r, "/users/"+usr.Username+"/edit?done=password", http.StatusSeeOther)
}
