package policy

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func TestCanSee(t *testing.T) {
	author := Member{Viewer: Viewer{UserID: "u-author", OrgID: "o-author", Role: Analyst}}
	colleague := Member{Viewer: Viewer{UserID: "u-colleague", OrgID: "o-author", Role: Analyst}}
	inComm := Member{Viewer: Viewer{UserID: "u-c", OrgID: "o-c", Role: Analyst}, Communities: []string{"c-elec"}}
	named := Member{Viewer: Viewer{UserID: "u-n", OrgID: "o-n", Role: ReadOnly}}
	other := Member{Viewer: Viewer{UserID: "u-x", OrgID: "o-x", Role: HubAdmin}, Communities: []string{"c-gas"}}
	anon := Member{}
	d := func(t TLP) Distribution {
		return Distribution{TLP: t, AuthorOrg: "o-author", AuthorUser: "u-author", Communities: []string{"c-elec"},
			Orgs: []string{"o-n"}, Users: []string{"u-n"}}
	}
	type row struct {
		name string
		m    Member
		d    Distribution
		want bool
	}
	tests := []row{
		{"clear: anonymous", anon, d(Clear), true},
		{"green: anonymous", anon, d(Green), false},
		{"green: community member", inComm, d(Green), true},
		{"green: outside the community", other, d(Green), false},
		{"green without community: any member", other, Distribution{TLP: Green, AuthorOrg: "o-author"}, true},
		{"green: author's colleague", colleague, d(Green), true},
		{"amber: named org", named, d(Amber), true},
		{"amber: community member", inComm, d(Amber), true},
		{"amber: hub admin elsewhere", other, d(Amber), false},
		{"amber+strict: named org", named, d(AmberStrict), true},
		{"amber+strict: community member", inComm, d(AmberStrict), false},
		{"amber+strict: author's colleague", colleague, d(AmberStrict), true},
		{"red: named person", named, d(Red), true},
		{"red: author", author, d(Red), true},
		{"red: author's colleague", colleague, d(Red), false},
		{"red: community member", inComm, d(Red), false},
		{"unknown level: nobody but the author", inComm, Distribution{TLP: "purple", Communities: []string{"c-elec"}}, false},
		{"unknown level: author", author, Distribution{TLP: "purple", AuthorUser: "u-author"}, true},
		{"compartment missing", inComm, Distribution{TLP: Green, Compartments: []string{"k-defence"}}, false},
		{"compartment held", Member{Viewer: inComm.Viewer, Compartments: []string{"k-defence"}}, Distribution{TLP: Green, Compartments: []string{"k-defence"}}, true},
		{"clear with compartment: anonymous", anon, Distribution{TLP: Clear, Compartments: []string{"k"}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := CanSee(tc.m, tc.d); got != tc.want {
				t.Fatalf("CanSee = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestTLPMarkings(t *testing.T) {
	for _, l := range TLPs {
		got, ok := TLPOfMarking(l.Marking())
		if !ok || got != l {
			t.Errorf("%s: marking round trip gave %s", l, got)
		}
	}
	for in, want := range map[string]TLP{"TLP:AMBER+STRICT": AmberStrict, "tlp:white": Clear, " Red ": Red, "TLP:CLEAR": Clear} {
		if got, ok := ParseTLP(in); !ok || got != want {
			t.Errorf("ParseTLP(%q) = %s, %v", in, got, ok)
		}
	}
	if _, ok := ParseTLP("tlp:ultraviolet"); ok {
		t.Error("unknown level parsed")
	}
	if l, _ := TLPOfMarking("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"); l != Clear {
		t.Error("OpenCTI's TLP:CLEAR (TLP 1.0 WHITE id) is not clear")
	}
}

// TestCanSeeProperties draws random organisations, communities, people and
// distributions and checks the rules as properties, independently of how
// CanSee is written: nobody outside the level's audience ever sees an object.
func TestCanSeeProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pick := func(_ int, prefix string) []string {
		var out []string
		for i := range 4 {
			if r.IntN(3) == 0 {
				out = append(out, prefix+string(rune('a'+i)))
			}
		}
		return out
	}
	for i := 0; i < 200_000; i++ {
		d := Distribution{TLP: TLPs[r.IntN(len(TLPs))], AuthorOrg: "o" + string(rune('a'+r.IntN(4))), AuthorUser: "u" + string(rune('a'+r.IntN(8))),
			Communities: pick(4, "c"), Orgs: pick(4, "o"), Users: pick(8, "u")}
		if r.IntN(5) == 0 {
			d.Compartments = pick(4, "k")
		}
		m := Member{Communities: pick(4, "c"), Compartments: pick(4, "k")}
		if r.IntN(10) > 0 {
			m.Viewer = Viewer{UserID: "u" + string(rune('a'+r.IntN(8))), OrgID: "o" + string(rune('a'+r.IntN(4))), Role: Roles[r.IntN(len(Roles))]}
		}
		seen := CanSee(m, d)
		if want := spec(m, d); seen != want {
			t.Fatalf("CanSee = %v, the rules say %v: viewer %+v, distribution %+v", seen, want, m, d)
		}
	}
}

// spec states the sharing rules a second time, as plainly as possible.
func spec(m Member, d Distribution) bool {
	if m.UserID != "" && m.UserID == d.AuthorUser {
		return true
	}
	for _, k := range d.Compartments {
		if !slices.Contains(m.Compartments, k) {
			return false
		}
	}
	inComm := false
	for _, c := range m.Communities {
		inComm = inComm || slices.Contains(d.Communities, c)
	}
	signedIn := m.UserID != ""
	authorOrg := signedIn && m.OrgID == d.AuthorOrg
	switch d.TLP {
	case Clear:
		return true
	case Green:
		return signedIn && (authorOrg || inComm || len(d.Communities) == 0)
	case Amber:
		return signedIn && (authorOrg || inComm || slices.Contains(d.Orgs, m.OrgID))
	case AmberStrict:
		return signedIn && (authorOrg || slices.Contains(d.Orgs, m.OrgID))
	case Red:
		return signedIn && slices.Contains(d.Users, m.UserID)
	}
	return false
}
