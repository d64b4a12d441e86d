// Package policy owns kyojo's access decisions. It is pure: no I/O, no clock
// beyond what callers pass in. Every read and write path asks it, never its
// own rules: the web UI, the REST API and the CLI call the same functions.
//
// Decide answers "may this viewer do this action on this target?". Later parts
// add CanSee for shared objects (TLP 2.0, communities, need-to-know) here too.
package policy

import (
	"fmt"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Role is what a person may do within their organisation.
type Role string

// The roles, from most to least powerful.
const (
	HubAdmin Role = "hub_admin" // runs the hub: every organisation, community and person
	OrgAdmin Role = "org_admin" // manages their own organisation's profile and people
	Analyst  Role = "analyst"   // works with shared data; manages own tokens
	ReadOnly Role = "readonly"  // reads what their organisation may see
)

// Roles lists every role in order of power, for forms and validation.
var Roles = []Role{HubAdmin, OrgAdmin, Analyst, ReadOnly}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// rank orders roles; a higher rank holds every right of a lower one.
func (r Role) rank() int {
	switch r {
	case HubAdmin:
		return 4
	case OrgAdmin:
		return 3
	case Analyst:
		return 2
	case ReadOnly:
		return 1
	}
	return 0
}

// Scope limits what a credential may do, whatever its owner's role.
type Scope string

// The scopes. A session in the browser has ScopeWrite.
const (
	ScopeRead  Scope = "read"  // reads only
	ScopeWrite Scope = "write" // reads and writes within the owner's role
)

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return s == ScopeRead || s == ScopeWrite }

// Viewer is who is asking: a signed-in person or a token's owner. The zero
// Viewer is anonymous.
type Viewer struct {
	UserID  string
	OrgID   string
	OrgKind string // the organisation's kind, e.g. "law_enforcement"; "" for the system
	Role    Role
	Scope   Scope
}

// LawEnforcement is the organisation kind whose people may file requests
// for retained data (identity.KindLawEnforcement).
const LawEnforcement = "law_enforcement"

// ForeignCSIRT is the organisation kind of partner CSIRTs and hubs
// (identity.KindForeignCSIRT).
const ForeignCSIRT = "foreign_csirt"

// Anonymous reports whether nobody is signed in.
func (v Viewer) Anonymous() bool { return v.UserID == "" }

// Action names something a viewer may try.
type Action string

// The actions of the foundation. Each later part adds its own.
const (
	ReadDirectory   Action = "directory.read"   // browse organisations and their points of contact
	CreateOrg       Action = "org.create"       // register an organisation
	UpdateOrg       Action = "org.update"       // change kind, sector, tier, names
	UpdateOrgPOC    Action = "org.update_poc"   // change an organisation's points of contact and description
	ManageCommunity Action = "community.manage" // create communities, change their members
	ReadUsers       Action = "user.read"        // list an organisation's people
	ManageUsers     Action = "user.manage"      // add, change, disable people of an organisation
	GrantRole       Action = "user.grant"       // give a person a role (Target.Role)
	ManageOwnTokens Action = "token.manage"     // create, list, revoke one's own tokens
	ManageAnyTokens Action = "token.admin"      // list and revoke tokens of others
	ReadAudit       Action = "audit.read"       // browse the audit trail (Target.OrgID: whose records)

	FileRequest     Action = "evidence.request" // file a law-enforcement request for retained data
	DecideRequest   Action = "evidence.decide"  // approve or reject a request (Target.UserID: its author)
	ReadRequests    Action = "evidence.read"    // see requests (Target.OrgID: the requester's organisation)
	ProduceBundle   Action = "evidence.produce" // produce the bundle of an approved request (Target.OrgID: requester's)
	ManageRetention Action = "retention.manage" // set retention rules and legal holds
	ReadProofs      Action = "ledger.proof"     // read inclusion and consistency proofs (hashes only)
	Witness         Action = "ledger.witness"   // have this hub co-sign another hub's checkpoint
	ShareIntel      Action = "intel.share"      // publish intelligence (Target.OrgID: the sharer's organisation)

	// GrantCompartment gives a person need-to-know compartments or takes
	// them away (Target.OrgID and Target.UserID: the person). Holding a
	// compartment opens classified intelligence (CanSee), so only a hub
	// administrator may.
	GrantCompartment Action = "user.compartment"

	// ManageRPZ defines RPZ feeds and subscribers, decides false-positive
	// reports and edits the allowlist: hub administrators only.
	ManageRPZ Action = "rpz.manage"
	// Partners: the registry of foreign CSIRTs and partner hubs this hub
	// exchanges intelligence with over TAXII (hub administrators only).
	ManagePartners Action = "partner.manage" // add, change, remove partners and their credentials
	ReadPartners   Action = "partner.read"   // see the registry, exchanges and health
)

var writes = map[Action]bool{
	CreateOrg: true, UpdateOrg: true, UpdateOrgPOC: true, ManageCommunity: true,
	ManageUsers: true, GrantRole: true, GrantCompartment: true, ManageOwnTokens: true, ManageAnyTokens: true,
	FileRequest: true, DecideRequest: true, ProduceBundle: true, ManageRetention: true, Witness: true,
	ShareIntel: true, ManageRPZ: true, ManagePartners: true,
}

// Target is what the action is on. Fields not relevant to an action are ignored.
type Target struct {
	OrgID  string // the organisation the target belongs to ("" = hub-wide)
	UserID string // the person the target is, or owns it
	Role   Role   // for GrantRole: the role to be given; for ManageUsers: the target's current role
}

// Decide returns nil when v may do a on t, and otherwise an errs.Forbidden (or
// errs.Unauthenticated for an anonymous viewer) whose message says why.
func Decide(v Viewer, a Action, t Target) error {
	if v.Anonymous() {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	if !v.Role.Valid() {
		return errs.E(errs.Forbidden, "unknown role %q", v.Role)
	}
	if writes[a] && v.Scope != ScopeWrite {
		return errs.E(errs.Forbidden, "this credential is read-only")
	}
	ok, why := decide(v, a, t)
	if ok {
		return nil
	}
	return errs.E(errs.Forbidden, "%s", why)
}

func decide(v Viewer, a Action, t Target) (bool, string) {
	hub := v.Role == HubAdmin
	ownOrg := t.OrgID != "" && t.OrgID == v.OrgID
	if ok, why, handled := decideMonitor(v, a, t); handled {
		return ok, why
	}
	switch a {
	case ReadDirectory:
		return true, ""
	case CreateOrg, UpdateOrg, ManageCommunity, ManageAnyTokens:
		return hub, "only a hub administrator may do this"
	case GrantCompartment:
		return hub, "only a hub administrator may grant or remove compartments"
	case UpdateOrgPOC:
		return hub || (v.Role == OrgAdmin && ownOrg), "only the organisation's administrators may change its profile"
	case ReadUsers:
		return hub || ownOrg, "you may list only your own organisation's people"
	case ManageUsers:
		if hub {
			return true, ""
		}
		if v.Role != OrgAdmin || !ownOrg {
			return false, "only the organisation's administrators may manage its people"
		}
		return t.Role != HubAdmin, "an organisation administrator may not change a hub administrator"
	case GrantRole:
		if !t.Role.Valid() {
			return false, fmt.Sprintf("unknown role %q", t.Role)
		}
		if hub {
			return true, ""
		}
		if v.Role != OrgAdmin || !ownOrg {
			return false, "only the organisation's administrators may give roles"
		}
		return t.Role.rank() <= v.Role.rank(), "you may not give a role above your own"
	case ManageOwnTokens:
		return t.UserID == v.UserID, "you may manage only your own tokens"
	case ReadAudit:
		if hub {
			return true, ""
		}
		return v.Role == OrgAdmin && ownOrg, "only administrators may read the audit trail, and only of their own organisation"
	case FileRequest:
		return v.OrgKind == LawEnforcement && v.Role.rank() >= Analyst.rank(),
			"only people of a law-enforcement organisation may request retained data"
	case DecideRequest:
		if !hub {
			return false, "only a hub administrator may decide on a request"
		}
		return t.UserID != v.UserID, "a request must be approved by someone other than its author"
	case ReadRequests, ProduceBundle:
		return hub || ownOrg, "you may see only your own organisation's requests"
	case ManageRetention:
		return hub, "only a hub administrator may set retention and legal holds"
	case ReadProofs:
		return true, ""
	case ManageRPZ:
		return hub, "only a hub administrator may manage the RPZ feeds"
	case ShareIntel:
		return v.Role.rank() >= Analyst.rank(), "read-only members may not publish intelligence"
	case ManagePartners, ReadPartners:
		return hub, "only a hub administrator may see or change the partner registry"
	case Witness:
		return hub || (v.OrgKind == ForeignCSIRT && v.Role.rank() >= Analyst.rank()),
			"only a hub administrator or a partner hub (a foreign CSIRT member) may ask for a co-signature"
	}
	return false, fmt.Sprintf("unknown action %q", a)
}
