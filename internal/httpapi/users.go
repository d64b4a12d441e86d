package httpapi

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// passwordInput is the body of PUT /api/v1/users/{ref}/password.
// CurrentPassword is required when people change their own.
type passwordInput struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (a *API) userRoutes() []route {
	return []route{
		{pattern: "GET " + Prefix + "/users", h: a.listUsers},
		{pattern: "POST " + Prefix + "/users", h: a.createUser},
		{pattern: "GET " + Prefix + "/users/{ref}", h: a.getUser},
		{pattern: "PATCH " + Prefix + "/users/{ref}", h: a.updateUser},
		{pattern: "PUT " + Prefix + "/users/{ref}/password", h: a.setPassword},
	}
}

// listUsers answers people, filtered by org (id or slug) and q.
func (a *API) listUsers(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := identity.UserFilter{OrgID: q.Get("org"), Query: q.Get("q")}
	us, err := a.d.Identity.ListUsers(r.Context(), httpx.Actor(r.Context()), f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(us))
	return nil
}

// createUser adds a person.
func (a *API) createUser(w http.ResponseWriter, r *http.Request) error {
	var in identity.NewUser
	if err := decode(w, r, &in); err != nil {
		return err
	}
	u, err := a.d.Identity.CreateUser(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/users/"+u.ID, u)
	return nil
}

// getUser answers one person by id or username.
func (a *API) getUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.d.Identity.User(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}

// updateUser applies an identity.UserPatch.
func (a *API) updateUser(w http.ResponseWriter, r *http.Request) error {
	var p identity.UserPatch
	if err := decode(w, r, &p); err != nil {
		return err
	}
	u, err := a.d.Identity.UpdateUser(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, u)
	return nil
}

// setPassword changes a password and answers 204.
func (a *API) setPassword(w http.ResponseWriter, r *http.Request) error {
	var in passwordInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	err := a.d.Identity.SetPassword(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), in.CurrentPassword, in.NewPassword)
	if err != nil {
		return renameField(err, "password", "new_password")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
