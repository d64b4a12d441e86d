package policy

import (
	"fmt"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// CaseRole is what an organisation does in an incident case.
type CaseRole string

// The case roles, from most to least powerful. The reporting organisation
// is the owner; the others are invited.
const (
	CaseOwner     CaseRole = "owner"     // the reporting organisation: owns the case
	CaseLead      CaseRole = "lead"      // leads the response (often the national centre or a sector CSIRT)
	CaseResponder CaseRole = "responder" // works the case: entries, tasks, evidence
	CaseObserver  CaseRole = "observer"  // reads what its TLP allows; writes comments only
)

// CaseRoles lists the roles an organisation may be invited with.
var CaseRoles = []CaseRole{CaseLead, CaseResponder, CaseObserver}

// Valid reports whether r is a role one may invite with (not owner).
func (r CaseRole) Valid() bool {
	for _, k := range CaseRoles {
		if r == k {
			return true
		}
	}
	return false
}

func (r CaseRole) rank() int {
	switch r {
	case CaseOwner:
		return 4
	case CaseLead:
		return 3
	case CaseResponder:
		return 2
	case CaseObserver:
		return 1
	}
	return 0
}

// CaseNational is the role the national centre holds in every case without
// being invited: it sees that every case exists and, up to AMBER+STRICT, its
// details (it coordinates the national response). RED stays with the named
// people.
const CaseNational CaseRole = "national"

// Case is what the policy needs to know of an incident case.
type Case struct {
	OwnerOrg     string
	TLP          TLP
	Participants map[string]CaseRole // organisation id -> role; the owner is in it too
	HubOrg       string              // the national centre's organisation id
}

// Item is one entry, task, evidence file or link of a case, with its own
// TLP (stricter than the case's, or the same) and its author.
type Item struct {
	TLP        TLP
	AuthorOrg  string
	AuthorUser string
	Users      []string // named people, for TLP:RED items
}

// The case actions.
const (
	ReadCase        Action = "incident.read"        // see the case's details (Target unused; use CaseDecide)
	WorkCase        Action = "incident.work"        // add entries, tasks, links, evidence; change tasks
	CommentCase     Action = "incident.comment"     // add comments to the timeline
	ManageCase      Action = "incident.manage"      // change status, severity; invite organisations
	ReportIncident  Action = "incident.report"      // report a new incident (for one's own organisation)
	ShareCaseIntel  Action = "incident.share_intel" // publish the case's indicators as intelligence
	ExportCase      Action = "incident.export"      // export the case (JSON, CSV, STIX)
	ManageEscalated Action = "incident.escalate"    // run the escalation playbook by hand
)

func init() {
	for _, a := range []Action{WorkCase, CommentCase, ManageCase, ReportIncident, ShareCaseIntel, ManageEscalated} {
		writes[a] = true
	}
}

// CaseRoleOf returns the role v's organisation holds in c: its participant
// role, CaseNational for the national centre (hub administrators and
// members of the hub organisation) when it was not invited, or "".
func CaseRoleOf(v Viewer, c Case) CaseRole {
	if v.Anonymous() {
		return ""
	}
	if r, ok := c.Participants[v.OrgID]; ok && v.OrgID != "" {
		if v.OrgID == c.OwnerOrg {
			return CaseOwner
		}
		return r
	}
	if v.OrgID == c.OwnerOrg && v.OrgID != "" {
		return CaseOwner
	}
	if v.Role == HubAdmin || (c.HubOrg != "" && v.OrgID == c.HubOrg) {
		return CaseNational
	}
	return ""
}

// CaseExists reports whether v may know that the case exists: its
// participants and the national centre.
func CaseExists(v Viewer, c Case) bool { return CaseRoleOf(v, c) != "" }

// CaseDetails reports whether v may read the case's own fields (title,
// summary, systems, severity inputs): participants always; the national
// centre unless the case is TLP:RED.
func CaseDetails(v Viewer, c Case) bool {
	switch CaseRoleOf(v, c) {
	case "":
		return false
	case CaseNational:
		return c.TLP != Red
	}
	return true
}

// Stricter returns the more restrictive of two levels; an unknown level
// counts as the most restrictive.
func Stricter(a, b TLP) TLP {
	if a.Rank() < 0 || b.Rank() < 0 {
		return Red
	}
	if a.Rank() >= b.Rank() {
		return a
	}
	return b
}

// ItemDistribution is the distribution a case item has for CanSee: its
// level is the stricter of the case's and its own; its named recipient
// organisations are the participants cleared for that level (every
// participant up to AMBER; AMBER+STRICT only the owner, leads, responders
// and the national centre, not observers); RED goes to named people only.
func ItemDistribution(c Case, it Item) Distribution {
	d := Distribution{TLP: Stricter(c.TLP, it.TLP), AuthorOrg: it.AuthorOrg, AuthorUser: it.AuthorUser, Users: it.Users}
	for org, role := range c.Participants {
		if d.TLP == AmberStrict && role.rank() < CaseResponder.rank() {
			continue
		}
		d.Orgs = append(d.Orgs, org)
	}
	d.Orgs = append(d.Orgs, c.OwnerOrg)
	if c.HubOrg != "" {
		d.Orgs = append(d.Orgs, c.HubOrg)
	}
	return d
}

// CanSeeCaseItem is the one decision on whether m may see an item of case
// c: m must know the case exists (a participant or the national centre),
// and CanSee must allow the item's distribution. A GREEN or CLEAR item of a
// case is still seen by the case's participants only.
func CanSeeCaseItem(m Member, c Case, it Item) bool {
	role := CaseRoleOf(m.Viewer, c)
	if role == "" {
		return false
	}
	d := ItemDistribution(c, it)
	if role == CaseNational && m.OrgID != c.HubOrg {
		// a hub administrator of another organisation reads as the centre
		m.OrgID = c.HubOrg
	}
	if d.TLP == Clear || d.TLP == Green {
		d.TLP = Amber // inside a case, the participants are the audience
	}
	return CanSee(m, d)
}

// DecideCase returns nil when v may do a on case c (for ReportIncident, c
// is the case to be), and otherwise an errs.Forbidden (or Unauthenticated)
// error whose message says why.
func DecideCase(v Viewer, a Action, c Case) error {
	if v.Anonymous() {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	if !v.Role.Valid() {
		return errs.E(errs.Forbidden, "unknown role %q", v.Role)
	}
	if writes[a] && v.Scope != ScopeWrite {
		return errs.E(errs.Forbidden, "this credential is read-only")
	}
	if ok, why := caseDecision(v, a, CaseRoleOf(v, c), c.TLP); !ok {
		return errs.E(errs.Forbidden, "%s", why)
	}
	return nil
}

// caseDecision answers the case actions for a viewer holding role.
func caseDecision(v Viewer, a Action, role CaseRole, tlp TLP) (bool, string) {
	switch a {
	case ReportIncident:
		return v.Role.rank() >= Analyst.rank() && v.OrgID != "", "read-only members may not report incidents; the system must name an organisation"
	case ReadCase, ExportCase:
		if role == CaseNational {
			return tlp != Red, "the national centre does not see the details of a TLP:RED case it was not invited to"
		}
		return role != "", "your organisation is not a participant of this case"
	case CommentCase:
		if role == CaseNational {
			return true, ""
		}
		return role != "" && v.Role.rank() >= Analyst.rank(), "only analysts of the case's participants may comment"
	case WorkCase, ShareCaseIntel:
		if v.Role.rank() < Analyst.rank() {
			return false, "read-only members may not work on cases"
		}
		return role.rank() >= CaseResponder.rank() || role == CaseNational, "observers may not work on the case"
	case ManageCase, ManageEscalated:
		if v.Role.rank() < Analyst.rank() {
			return false, "read-only members may not manage cases"
		}
		return role.rank() >= CaseLead.rank() || role == CaseNational, "only the owner, a lead or the national centre may manage the case"
	}
	return false, fmt.Sprintf("unknown case action %q", a)
}
