package policy

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestDecide(t *testing.T) {
	hub := Viewer{UserID: "h", OrgID: "ncc", Role: HubAdmin, Scope: ScopeWrite}
	oa := Viewer{UserID: "a", OrgID: "mof", Role: OrgAdmin, Scope: ScopeWrite}
	an := Viewer{UserID: "b", OrgID: "mof", Role: Analyst, Scope: ScopeWrite}
	ro := Viewer{UserID: "r", OrgID: "mof", Role: ReadOnly, Scope: ScopeWrite}
	police := Viewer{UserID: "p", OrgID: "npa", OrgKind: LawEnforcement, Role: Analyst, Scope: ScopeWrite}
	hubRead := hub
	hubRead.Scope = ScopeRead
	own := Target{OrgID: "mof"}
	other := Target{OrgID: "isp"}
	tests := []struct {
		name string
		v    Viewer
		a    Action
		t    Target
		want errs.Code // "" = allowed
	}{
		{"anonymous reads nothing", Viewer{}, ReadDirectory, Target{}, errs.Unauthenticated},
		{"unknown role", Viewer{UserID: "x", Role: "root", Scope: ScopeWrite}, ReadDirectory, Target{}, errs.Forbidden},
		{"everyone reads the directory", ro, ReadDirectory, Target{}, ""},
		{"hub creates orgs", hub, CreateOrg, Target{}, ""},
		{"org admin cannot create orgs", oa, CreateOrg, Target{}, errs.Forbidden},
		{"read-only token cannot create orgs", hubRead, CreateOrg, Target{}, errs.Forbidden},
		{"hub updates any org", hub, UpdateOrg, other, ""},
		{"org admin cannot change kind or tier of own org", oa, UpdateOrg, own, errs.Forbidden},
		{"org admin edits own contacts", oa, UpdateOrgPOC, own, ""},
		{"org admin cannot edit another org's contacts", oa, UpdateOrgPOC, other, errs.Forbidden},
		{"analyst cannot edit own contacts", an, UpdateOrgPOC, own, errs.Forbidden},
		{"hub manages communities", hub, ManageCommunity, Target{}, ""},
		{"org admin cannot manage communities", oa, ManageCommunity, Target{}, errs.Forbidden},
		{"analyst lists own people", an, ReadUsers, own, ""},
		{"analyst cannot list other people", an, ReadUsers, other, errs.Forbidden},
		{"hub lists everyone", hub, ReadUsers, other, ""},
		{"org admin manages own people", oa, ManageUsers, Target{OrgID: "mof", Role: Analyst}, ""},
		{"org admin cannot touch a hub admin", oa, ManageUsers, Target{OrgID: "mof", Role: HubAdmin}, errs.Forbidden},
		{"org admin cannot manage other people", oa, ManageUsers, Target{OrgID: "isp", Role: Analyst}, errs.Forbidden},
		{"analyst cannot manage people", an, ManageUsers, Target{OrgID: "mof", Role: ReadOnly}, errs.Forbidden},
		{"org admin grants analyst", oa, GrantRole, Target{OrgID: "mof", Role: Analyst}, ""},
		{"org admin grants org admin", oa, GrantRole, Target{OrgID: "mof", Role: OrgAdmin}, ""},
		{"org admin cannot grant hub admin", oa, GrantRole, Target{OrgID: "mof", Role: HubAdmin}, errs.Forbidden},
		{"unknown role cannot be granted", hub, GrantRole, Target{OrgID: "mof", Role: "god"}, errs.Forbidden},
		{"own tokens", an, ManageOwnTokens, Target{UserID: "b"}, ""},
		{"someone else's tokens", an, ManageOwnTokens, Target{UserID: "a"}, errs.Forbidden},
		{"hub grants a compartment", hub, GrantCompartment, Target{OrgID: "mof", UserID: "b"}, ""},
		{"hub grants itself a compartment", hub, GrantCompartment, Target{OrgID: "ncc", UserID: "h"}, ""},
		{"read-only token cannot grant a compartment", hubRead, GrantCompartment, Target{OrgID: "mof", UserID: "b"}, errs.Forbidden},
		{"org admin cannot grant a compartment in own org", oa, GrantCompartment, Target{OrgID: "mof", UserID: "b"}, errs.Forbidden},
		{"org admin cannot grant itself a compartment", oa, GrantCompartment, Target{OrgID: "mof", UserID: "a"}, errs.Forbidden},
		{"analyst cannot grant a compartment", an, GrantCompartment, Target{OrgID: "mof", UserID: "b"}, errs.Forbidden},
		{"anonymous cannot grant a compartment", Viewer{}, GrantCompartment, Target{OrgID: "mof", UserID: "b"}, errs.Unauthenticated},
		{"hub manages any token", hub, ManageAnyTokens, Target{UserID: "a"}, ""},
		{"org admin cannot manage others' tokens", oa, ManageAnyTokens, Target{UserID: "b"}, errs.Forbidden},
		{"hub reads all audit", hub, ReadAudit, Target{OrgID: "\x00all"}, ""},
		{"org admin reads own audit", oa, ReadAudit, own, ""},
		{"org admin cannot read another org's audit", oa, ReadAudit, other, errs.Forbidden},
		{"analyst cannot read audit", an, ReadAudit, own, errs.Forbidden},
		{"read-only token may read audit", hubRead, ReadAudit, Target{}, ""},
		{"unknown action", hub, Action("nuke"), Target{}, errs.Forbidden},
		{"police analyst files a request", police, FileRequest, Target{}, ""},
		{"police read-only cannot file", Viewer{UserID: "p2", OrgID: "npa", OrgKind: LawEnforcement, Role: ReadOnly, Scope: ScopeWrite}, FileRequest, Target{}, errs.Forbidden},
		{"ministry analyst cannot file", an, FileRequest, Target{}, errs.Forbidden},
		{"hub admin cannot file (not law enforcement)", hub, FileRequest, Target{}, errs.Forbidden},
		{"hub admin approves another's request", hub, DecideRequest, Target{UserID: "p"}, ""},
		{"nobody approves their own request", hub, DecideRequest, Target{UserID: "h"}, errs.Forbidden},
		{"police cannot approve", police, DecideRequest, Target{UserID: "x"}, errs.Forbidden},
		{"police read own requests", police, ReadRequests, Target{OrgID: "npa"}, ""},
		{"ministry cannot read police requests", an, ReadRequests, Target{OrgID: "npa"}, errs.Forbidden},
		{"hub sets retention", hub, ManageRetention, Target{}, ""},
		{"org admin cannot set retention", oa, ManageRetention, Target{}, errs.Forbidden},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Decide(tc.v, tc.a, tc.t)
			if tc.want == "" && err != nil {
				t.Fatalf("denied: %v", err)
			}
			if tc.want != "" && !errs.Is(err, tc.want) {
				t.Fatalf("got %v, want %s", err, tc.want)
			}
		})
	}
}

// TestNoEmptyOrgMatch makes sure an empty target organisation never counts
// as the viewer's own, even for a viewer without an organisation.
func TestNoEmptyOrgMatch(t *testing.T) {
	v := Viewer{UserID: "x", OrgID: "", Role: OrgAdmin, Scope: ScopeWrite}
	for _, a := range []Action{UpdateOrgPOC, ReadUsers, ManageUsers, ReadAudit} {
		if err := Decide(v, a, Target{OrgID: ""}); err == nil {
			t.Errorf("%s allowed on an empty organisation", a)
		}
	}
}

func TestDecideMonitor(t *testing.T) {
	hub := Viewer{UserID: "h", OrgID: "ncc", Role: HubAdmin, Scope: ScopeWrite}
	analyst := Viewer{UserID: "b", OrgID: "mof", Role: Analyst, Scope: ScopeWrite}
	readTok := Viewer{UserID: "b", OrgID: "mof", Role: Analyst, Scope: ScopeRead}
	ro := Viewer{UserID: "r", OrgID: "mof", Role: ReadOnly, Scope: ScopeWrite}
	tests := []struct {
		v    Viewer
		a    Action
		org  string
		want bool
	}{
		{hub, ReadMonitoring, "", true},
		{hub, ReadMonitoring, "mof", true},
		{analyst, ReadMonitoring, "mof", true},
		{analyst, ReadMonitoring, "isp", false},
		{analyst, ReadMonitoring, "", false},
		{ro, ReadMonitoring, "mof", true},
		{analyst, ManageSensors, "mof", true},
		{analyst, ManageSensors, "isp", false},
		{readTok, ManageSensors, "mof", false},
		{ro, ManageSensors, "mof", false},
		{hub, ManageSensors, "isp", true},
		{analyst, EscalateAlert, "mof", true},
		{readTok, EscalateAlert, "mof", false},
		{Viewer{}, ReadMonitoring, "mof", false},
	}
	for _, tc := range tests {
		err := Decide(tc.v, tc.a, Target{OrgID: tc.org})
		if (err == nil) != tc.want {
			t.Errorf("%+v %s on %q: %v, want allowed %v", tc.v, tc.a, tc.org, err, tc.want)
		}
	}
}
