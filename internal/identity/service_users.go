package identity

import (
	"context"
	"slices"
	"sort"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// NewUser is the input for CreateUser.
type NewUser struct {
	Username     string      `json:"username"`
	DisplayName  string      `json:"display_name"`
	Email        string      `json:"email"`
	Org          string      `json:"org"` // id or slug
	Role         policy.Role `json:"role"`
	Locale       string      `json:"locale"`
	Password     string      `json:"password"`
	Compartments []string    `json:"compartments"` // need-to-know compartments; only a hub administrator may give them
}

// CreateUser adds a person. A hub administrator may add anyone anywhere; an
// organisation administrator only to their own organisation, with a role no
// higher than their own, and without compartments (policy.GrantCompartment).
func (s *Service) CreateUser(ctx context.Context, a Actor, in NewUser) (User, error) {
	if err := signedIn(a); err != nil {
		return User{}, err
	}
	u := User{Username: in.Username, DisplayName: in.DisplayName, Email: in.Email, Role: in.Role, Locale: in.Locale,
		Compartments: in.Compartments}
	var denied error
	err := s.store.Transact(ctx, func(tx Tx) error {
		org, err := orgByRef(ctx, tx, in.Org)
		if errs.Is(err, errs.NotFound) {
			return errs.F(errs.Invalid, "org", "no organisation %q", in.Org)
		} else if err != nil {
			return err
		}
		u.OrgID = org.ID
		u.Normalize()
		if err := policy.Decide(a.Viewer, policy.ManageUsers, policy.Target{OrgID: org.ID}); err != nil {
			denied = err
			return err
		}
		if err := policy.Decide(a.Viewer, policy.GrantRole, policy.Target{OrgID: org.ID, Role: u.Role}); err != nil {
			denied = err
			return err
		}
		if len(u.Compartments) > 0 {
			if err := policy.Decide(a.Viewer, policy.GrantCompartment, policy.Target{OrgID: org.ID}); err != nil {
				denied = err
				return err
			}
		}
		var l errs.List
		if err := u.Validate(); err != nil {
			l = append(l, errs.Fields(err)...)
		}
		if err := CheckPasswordRules(in.Password); err != nil {
			l = append(l, errs.Fields(err)...)
		}
		if err := l.Err(); err != nil {
			return err
		}
		now := s.clock()
		u.ID, u.CreatedAt, u.UpdatedAt = newID(), now, now
		u.PasswordHash = HashPassword(in.Password)
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "user.create", "user", u.ID, u.OrgID, audit.Success, u))
	})
	if denied != nil {
		return User{}, s.deny(ctx, a, "user.create", "user", "", u.OrgID, denied)
	}
	return u, err
}

// UserPatch is a partial update of a person; nil fields stay.
type UserPatch struct {
	DisplayName *string      `json:"display_name"`
	Email       *string      `json:"email"`
	Role        *policy.Role `json:"role"`
	Locale      *string      `json:"locale"`
	Disabled    *bool        `json:"disabled"`
	// Compartments replaces the need-to-know compartments the person
	// holds; changing them needs policy.GrantCompartment (hub
	// administrators only).
	Compartments *[]string `json:"compartments"`
}

// UpdateUser changes a person. People may change their own display name,
// e-mail and locale; role and disabled need ManageUsers on the person's
// organisation (and GrantRole for the new role); a change of compartments
// needs GrantCompartment too (a patch that repeats the compartments the
// person holds changes nothing and needs nothing more). The last enabled hub
// administrator can be neither demoted nor disabled. Disabling signs the
// person out everywhere.
func (s *Service) UpdateUser(ctx context.Context, a Actor, ref string, p UserPatch) (User, error) {
	if err := signedIn(a); err != nil {
		return User{}, err
	}
	var out User
	var denied error
	var target User
	err := s.store.Transact(ctx, func(tx Tx) error {
		u, err := userByRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		target = u
		self := u.ID == a.UserID
		privileged := p.Role != nil || p.Disabled != nil
		if !self || privileged {
			if err := policy.Decide(a.Viewer, policy.ManageUsers, policy.Target{OrgID: u.OrgID, Role: u.Role}); err != nil {
				denied = err
				return err
			}
		} else if err := policy.Decide(a.Viewer, policy.ManageOwnTokens, policy.Target{UserID: u.ID}); err != nil {
			denied = err // a read-only credential may not edit even its own profile
			return err
		}
		if p.Role != nil && *p.Role != u.Role {
			if err := policy.Decide(a.Viewer, policy.GrantRole, policy.Target{OrgID: u.OrgID, Role: *p.Role}); err != nil {
				denied = err
				return err
			}
		}
		if p.Compartments != nil && !slices.Equal(NormalizeCompartments(*p.Compartments), NormalizeCompartments(u.Compartments)) {
			if err := policy.Decide(a.Viewer, policy.GrantCompartment, policy.Target{OrgID: u.OrgID, UserID: u.ID}); err != nil {
				denied = err
				return err
			}
		}
		before := u
		set(&u.DisplayName, p.DisplayName)
		set(&u.Email, p.Email)
		set(&u.Role, p.Role)
		set(&u.Locale, p.Locale)
		set(&u.Disabled, p.Disabled)
		set(&u.Compartments, p.Compartments)
		u.Normalize()
		if err := u.Validate(); err != nil {
			return err
		}
		if before.Role == policy.HubAdmin && !before.Disabled && (u.Role != policy.HubAdmin || u.Disabled) {
			n, err := tx.CountUsers(ctx, "", string(policy.HubAdmin))
			if err != nil {
				return err
			}
			if n <= 1 {
				return errs.F(errs.Conflict, "role", "the last hub administrator cannot be demoted or disabled")
			}
		}
		u.UpdatedAt = s.clock()
		if err := tx.UpdateUser(ctx, u); err != nil {
			return err
		}
		if u.Disabled && !before.Disabled {
			if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
				return err
			}
		}
		out = u
		return tx.AppendAudit(ctx, s.record(a, "user.update", "user", u.ID, u.OrgID, audit.Success,
			map[string]any{"before": before, "after": u}))
	})
	if denied != nil {
		return User{}, s.deny(ctx, a, "user.update", "user", target.ID, target.OrgID, denied)
	}
	return out, err
}

// SetPassword changes a person's password. People changing their own must
// give the current one; administrators allowed ManageUsers reset others'.
// Every session of the person ends.
func (s *Service) SetPassword(ctx context.Context, a Actor, ref, current, next string) error {
	if err := signedIn(a); err != nil {
		return err
	}
	var denied error
	var target User
	err := s.store.Transact(ctx, func(tx Tx) error {
		u, err := userByRef(ctx, tx, ref)
		if err != nil {
			return err
		}
		target = u
		if u.ID == a.UserID {
			if err := policy.Decide(a.Viewer, policy.ManageOwnTokens, policy.Target{UserID: u.ID}); err != nil {
				denied = err
				return err
			}
			if !CheckPassword(u.PasswordHash, current) {
				return errs.F(errs.Invalid, "current_password", "is not your current password")
			}
		} else if err := policy.Decide(a.Viewer, policy.ManageUsers, policy.Target{OrgID: u.OrgID, Role: u.Role}); err != nil {
			denied = err
			return err
		}
		if err := CheckPasswordRules(next); err != nil {
			return err
		}
		if err := tx.SetPassword(ctx, u.ID, HashPassword(next), s.clock()); err != nil {
			return err
		}
		if err := tx.DeleteUserSessions(ctx, u.ID); err != nil {
			return err
		}
		return tx.AppendAudit(ctx, s.record(a, "user.password", "user", u.ID, u.OrgID, audit.Success, nil))
	})
	if denied != nil {
		return s.deny(ctx, a, "user.password", "user", target.ID, target.OrgID, denied)
	}
	return err
}

// User returns one person by id or username, if the actor may list the
// people of that person's organisation (or is that person).
func (s *Service) User(ctx context.Context, a Actor, ref string) (User, error) {
	if err := signedIn(a); err != nil {
		return User{}, err
	}
	u, err := userByRef(ctx, s.store, ref)
	if err != nil {
		return User{}, err
	}
	if u.ID != a.UserID || a.Anonymous() {
		if err := policy.Decide(a.Viewer, policy.ReadUsers, policy.Target{OrgID: u.OrgID}); err != nil {
			// Do not tell outsiders whether the person exists.
			if errs.Is(err, errs.Forbidden) {
				return User{}, s.deny(ctx, a, "user.read", "user", ref, u.OrgID, errs.E(errs.NotFound, "no such user"))
			}
			return User{}, err
		}
	}
	return u, s.logRead(ctx, a, "user.read", "user", u.ID, u.OrgID, nil)
}

// ListUsers lists people. A hub administrator sees everyone (or one
// organisation with f.OrgID); others see only their own organisation.
func (s *Service) ListUsers(ctx context.Context, a Actor, f UserFilter) ([]User, error) {
	if err := signedIn(a); err != nil {
		return nil, err
	}
	if f.OrgID != "" {
		o, err := orgByRef(ctx, s.store, f.OrgID)
		if err != nil {
			return nil, err
		}
		f.OrgID = o.ID
	}
	if a.Role != policy.HubAdmin && f.OrgID == "" {
		f.OrgID = a.OrgID
	}
	t := policy.Target{OrgID: f.OrgID}
	if f.OrgID == "" {
		t.OrgID = "\x00all" // only a hub admin passes for every organisation
	}
	if err := policy.Decide(a.Viewer, policy.ReadUsers, t); err != nil {
		return nil, s.deny(ctx, a, "user.list", "user", "", f.OrgID, err)
	}
	us, err := s.store.ListUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	return us, s.logRead(ctx, a, "user.list", "user", "", f.OrgID, f)
}

func userByRef(ctx context.Context, r Reader, ref string) (User, error) {
	if u, err := r.User(ctx, ref); err == nil || !errs.Is(err, errs.NotFound) {
		return u, err
	}
	return r.UserByUsername(ctx, ref)
}

func sortStrings(s []string) { sort.Strings(s) }
