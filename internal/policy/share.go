package policy

import "strings"

// TLP is a Traffic Light Protocol 2.0 level (FIRST, 2022).
type TLP string

// The TLP 2.0 levels, from least to most restrictive.
const (
	Clear       TLP = "clear"
	Green       TLP = "green"
	Amber       TLP = "amber"
	AmberStrict TLP = "amber+strict"
	Red         TLP = "red"
)

// TLPs lists the levels from least to most restrictive.
var TLPs = []TLP{Clear, Green, Amber, AmberStrict, Red}

// Valid reports whether t is a TLP 2.0 level.
func (t TLP) Valid() bool {
	for _, k := range TLPs {
		if t == k {
			return true
		}
	}
	return false
}

// Rank orders levels: 0 for clear up to 4 for red, -1 when unknown.
func (t TLP) Rank() int {
	for i, k := range TLPs {
		if t == k {
			return i
		}
	}
	return -1
}

// The STIX marking-definition ids of TLP 2.0 (OASIS cti-stix-common-objects).
const (
	MarkingClear       = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
	MarkingGreen       = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	MarkingAmber       = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"
	MarkingAmberStrict = "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"
	MarkingRed         = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"
)

// Marking returns the TLP 2.0 marking-definition id of t.
func (t TLP) Marking() string {
	switch t {
	case Clear:
		return MarkingClear
	case Green:
		return MarkingGreen
	case Amber:
		return MarkingAmber
	case AmberStrict:
		return MarkingAmberStrict
	case Red:
		return MarkingRed
	}
	return ""
}

// tlpByMarking maps every marking id kyojo understands to a TLP 2.0 level:
// the TLP 2.0 ids, and the TLP 1.0 ids predefined by STIX 2.1 (WHITE is
// CLEAR). OpenCTI marks TLP:CLEAR with the TLP 1.0 WHITE id, which this
// also covers.
var tlpByMarking = map[string]TLP{
	MarkingClear: Clear, MarkingGreen: Green, MarkingAmber: Amber, MarkingAmberStrict: AmberStrict, MarkingRed: Red,
	"marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": Clear, // TLP 1.0 WHITE
	"marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": Green, // TLP 1.0 GREEN
	"marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": Amber, // TLP 1.0 AMBER
	"marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": Red,   // TLP 1.0 RED
}

// TLPOfMarking returns the level a marking-definition id stands for.
func TLPOfMarking(id string) (TLP, bool) {
	t, ok := tlpByMarking[id]
	return t, ok
}

// ParseTLP reads a level written as "TLP:AMBER+STRICT", "amber+strict",
// "tlp:white" (TLP 1.0, read as clear) and the like.
func ParseTLP(s string) (TLP, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "tlp:")
	s = strings.TrimPrefix(s, "tlp-")
	if s == "white" {
		return Clear, true
	}
	t := TLP(s)
	return t, t.Valid()
}

// Distribution says who an object is shared with. Every shared object
// (intelligence, case entries, findings, RPZ entries) carries one.
type Distribution struct {
	TLP          TLP
	AuthorOrg    string   // the organisation that shared it; kept even when published anonymously
	AuthorUser   string   // the person who shared it
	Communities  []string // community ids it is shared to
	Orgs         []string // named recipient organisations
	Users        []string // named recipient people (TLP:RED)
	Compartments []string // need-to-know compartments: a viewer must hold every one
}

// Member is a viewer together with the sharing groups they belong to.
type Member struct {
	Viewer
	Communities  []string // ids of the communities the viewer's organisation belongs to
	Compartments []string // need-to-know compartments the viewer holds
}

// CanSee is the one decision on whether m may see an object shared with d.
// Every read path — UI, REST, TAXII, search, export, notification,
// federation, RPZ — calls it. It fails closed: an unknown level is seen by
// nobody but its author.
//
//   - CLEAR: everyone, anonymous readers included.
//   - GREEN: the members of d.Communities; with no community, every member
//     of the hub.
//   - AMBER: the named recipient organisations and the members of
//     d.Communities.
//   - AMBER+STRICT: the named recipient organisations only.
//   - RED: the named recipient people only.
//
// The author's organisation always sees what it shared, except RED, which
// only the author person and the named people see. Compartments apply on
// top of every level to everyone but the author person.
func CanSee(m Member, d Distribution) bool {
	if m.UserID != "" && m.UserID == d.AuthorUser {
		return true
	}
	if !holdsAll(m.Compartments, d.Compartments) {
		return false
	}
	if d.TLP == Clear {
		return true
	}
	if m.Anonymous() {
		return false
	}
	authorOrg := m.OrgID != "" && m.OrgID == d.AuthorOrg
	switch d.TLP {
	case Green:
		return authorOrg || len(d.Communities) == 0 || intersects(m.Communities, d.Communities)
	case Amber:
		return authorOrg || has(d.Orgs, m.OrgID) || intersects(m.Communities, d.Communities)
	case AmberStrict:
		return authorOrg || has(d.Orgs, m.OrgID)
	case Red:
		return has(d.Users, m.UserID)
	}
	return false
}

func has(list []string, v string) bool {
	if v == "" {
		return false
	}
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func intersects(a, b []string) bool {
	for _, x := range a {
		if has(b, x) {
			return true
		}
	}
	return false
}

func holdsAll(held, need []string) bool {
	for _, n := range need {
		if !has(held, n) {
			return false
		}
	}
	return true
}
