package policy

import (
	"math/rand/v2"
	"testing"
)

func caseFixture(tlp TLP) Case {
	return Case{OwnerOrg: "owner", TLP: tlp, HubOrg: "ncc", Participants: map[string]CaseRole{
		"owner": CaseOwner, "lead": CaseLead, "resp": CaseResponder, "obs": CaseObserver}}
}

func viewer(org string, role Role) Viewer {
	return Viewer{UserID: "u-" + org, OrgID: org, Role: role, Scope: ScopeWrite}
}

func TestCaseRoleOf(t *testing.T) {
	c := caseFixture(Amber)
	for _, tc := range []struct {
		v    Viewer
		want CaseRole
	}{
		{viewer("owner", ReadOnly), CaseOwner},
		{viewer("lead", Analyst), CaseLead},
		{viewer("obs", Analyst), CaseObserver},
		{viewer("ncc", Analyst), CaseNational},
		{viewer("other", HubAdmin), CaseNational},
		{viewer("other", OrgAdmin), ""},
		{Viewer{}, ""},
		{viewer("", Analyst), ""},
	} {
		if got := CaseRoleOf(tc.v, c); got != tc.want {
			t.Errorf("%s/%s: role %q, want %q", tc.v.OrgID, tc.v.Role, got, tc.want)
		}
	}
}

func TestDecideCase(t *testing.T) {
	for _, tc := range []struct {
		org  string
		role Role
		tlp  TLP
		act  Action
		ok   bool
	}{
		{"owner", Analyst, Amber, ManageCase, true},
		{"lead", Analyst, Amber, ManageCase, true},
		{"resp", Analyst, Amber, ManageCase, false},
		{"resp", Analyst, Amber, WorkCase, true},
		{"obs", Analyst, Amber, WorkCase, false},
		{"obs", Analyst, Amber, CommentCase, true},
		{"obs", ReadOnly, Amber, CommentCase, false},
		{"obs", ReadOnly, Amber, ReadCase, true},
		{"owner", ReadOnly, Amber, WorkCase, false},
		{"other", OrgAdmin, Amber, ReadCase, false},
		{"other", OrgAdmin, Clear, ReadCase, false},
		{"ncc", Analyst, Amber, ReadCase, true},
		{"ncc", Analyst, Red, ReadCase, false},
		{"ncc", Analyst, Red, ManageCase, true},
		{"other", Analyst, Amber, ReportIncident, true},
		{"other", ReadOnly, Amber, ReportIncident, false},
		{"owner", Analyst, Amber, ShareCaseIntel, true},
		{"obs", Analyst, Amber, ShareCaseIntel, false},
		{"owner", Analyst, Amber, ExportCase, true},
		{"other", Analyst, Amber, ExportCase, false},
	} {
		err := DecideCase(viewer(tc.org, tc.role), tc.act, caseFixture(tc.tlp))
		if (err == nil) != tc.ok {
			t.Errorf("%s %s %s on %s: err %v, want ok=%v", tc.org, tc.role, tc.act, tc.tlp, err, tc.ok)
		}
	}
	ro := viewer("owner", Analyst)
	ro.Scope = ScopeRead
	if DecideCase(ro, WorkCase, caseFixture(Amber)) == nil {
		t.Error("a read-only credential worked a case")
	}
	if DecideCase(Viewer{}, ReadCase, caseFixture(Clear)) == nil {
		t.Error("anonymous read a case")
	}
}

func TestCanSeeCaseItem(t *testing.T) {
	m := func(org string) Member { return Member{Viewer: viewer(org, Analyst)} }
	for _, tc := range []struct {
		caseTLP, itemTLP TLP
		org              string
		ok               bool
	}{
		{Amber, Amber, "obs", true},
		{Amber, AmberStrict, "obs", false},
		{Amber, AmberStrict, "resp", true},
		{Amber, AmberStrict, "ncc", true},
		{AmberStrict, Clear, "obs", false}, // the case's level applies
		{Green, Green, "other", false},     // GREEN inside a case stays in the case
		{Clear, Clear, "other", false},
		{Clear, Clear, "obs", true},
		{Amber, Red, "owner", false}, // RED: named people only
		{Amber, Red, "ncc", false},
		{Red, Amber, "lead", false},
	} {
		it := Item{TLP: tc.itemTLP, AuthorOrg: "resp", AuthorUser: "author"}
		if got := CanSeeCaseItem(m(tc.org), caseFixture(tc.caseTLP), it); got != tc.ok {
			t.Errorf("case %s item %s, %s: %v, want %v", tc.caseTLP, tc.itemTLP, tc.org, got, tc.ok)
		}
	}
	red := Item{TLP: Red, AuthorOrg: "resp", AuthorUser: "author", Users: []string{"u-obs"}}
	if !CanSeeCaseItem(m("obs"), caseFixture(Amber), red) {
		t.Error("a named person cannot read a RED item")
	}
	if !CanSeeCaseItem(Member{Viewer: Viewer{UserID: "author", OrgID: "resp", Role: Analyst}}, caseFixture(Red), Item{TLP: Red, AuthorUser: "author"}) {
		t.Error("the author cannot read their own RED item")
	}
}

// TestCaseVisibilityProperty draws random cases, items and viewers and
// checks the rules no decision may break: no one outside the case sees an
// item; an observer never sees AMBER+STRICT; RED goes only to the author
// and named people; and seeing an item implies knowing the case exists.
func TestCaseVisibilityProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	orgs := []string{"o1", "o2", "o3", "o4", "ncc"}
	roles := []CaseRole{CaseLead, CaseResponder, CaseObserver}
	for i := 0; i < 20000; i++ {
		c := Case{OwnerOrg: "o1", TLP: TLPs[r.IntN(len(TLPs))], HubOrg: "ncc", Participants: map[string]CaseRole{"o1": CaseOwner}}
		for _, o := range orgs[1:4] {
			if r.IntN(2) == 0 {
				c.Participants[o] = roles[r.IntN(len(roles))]
			}
		}
		it := Item{TLP: TLPs[r.IntN(len(TLPs))], AuthorOrg: orgs[r.IntN(4)], AuthorUser: "u" + orgs[r.IntN(4)]}
		if r.IntN(2) == 0 {
			it.Users = []string{"u" + orgs[r.IntN(len(orgs))]}
		}
		org := orgs[r.IntN(len(orgs))]
		role := Roles[1+r.IntN(3)]
		v := Viewer{UserID: "v" + org, OrgID: org, Role: role, Scope: ScopeWrite}
		if r.IntN(4) == 0 {
			v.UserID = "u" + org
		}
		m := Member{Viewer: v}
		seen := CanSeeCaseItem(m, c, it)
		if !seen {
			continue
		}
		_, in := c.Participants[org]
		eff := Stricter(c.TLP, it.TLP)
		switch {
		case !in && org != "ncc":
			t.Fatalf("outsider %s sees %+v in %+v", org, it, c)
		case !CaseExists(v, c):
			t.Fatalf("%s sees an item of a case it may not know: %+v", org, c)
		case eff == AmberStrict && c.Participants[org] == CaseObserver && v.UserID != it.AuthorUser && org != it.AuthorOrg:
			t.Fatalf("observer %s sees AMBER+STRICT", org)
		case eff == Red && v.UserID != it.AuthorUser && !has(it.Users, v.UserID):
			t.Fatalf("%s sees RED without being named", v.UserID)
		}
	}
}
