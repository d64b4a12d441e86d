package intel_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// TestMemberCompartments checks that Member reads the compartments a person
// holds from their user record on every call, and that an object shared
// into a compartment opens and closes with it.
func TestMemberCompartments(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(1, 2)))
	ctx := t.Context()
	sys := identity.System("test")
	author, reader := w.actors[0], w.actors[1]
	grant := func(comps ...string) {
		t.Helper()
		if _, err := w.ids.UpdateUser(ctx, sys, reader.UserID, identity.UserPatch{Compartments: &comps}); err != nil {
			t.Fatal(err)
		}
	}
	id := "indicator--00000000-0000-4000-8000-00000000c0de"
	sh := intel.Sharing{TLP: policy.Clear, Compartments: []string{"k-defence"}}
	if _, err := w.svc.Put(ctx, author, []byte(indicator(id, 1, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), sh, "api"); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name  string
		comps []string // granted before the step
		sees  bool
	}{
		{"none held", nil, false},
		{"another compartment", []string{"k-energy"}, false},
		{"granted", []string{"k-defence", "k-energy"}, true},
		{"taken away", []string{}, false},
	}
	for _, st := range steps {
		grant(st.comps...)
		m, err := w.svc.Member(ctx, reader)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if want := identity.NormalizeCompartments(st.comps); !slices.Equal(m.Compartments, want) {
			t.Errorf("%s: member holds %v, want %v", st.name, m.Compartments, want)
		}
		_, err = w.svc.Get(ctx, reader, id)
		if st.sees && err != nil {
			t.Errorf("%s: Get: %v", st.name, err)
		}
		if !st.sees && !errs.Is(err, errs.NotFound) {
			t.Errorf("%s: Get = %v, want not found", st.name, err)
		}
	}
	if _, err := w.svc.Get(ctx, author, id); err != nil {
		t.Errorf("the author lost sight of their own object: %v", err)
	}
	for name, a := range map[string]identity.Actor{
		"system":    sys,
		"anonymous": {},
		"gone":      {Viewer: policy.Viewer{UserID: "no-such-user", OrgID: author.OrgID, Role: policy.Analyst}},
	} {
		m, err := w.svc.Member(ctx, a)
		if err != nil || len(m.Compartments) != 0 {
			t.Errorf("%s: member %v, %v; want no compartments", name, m.Compartments, err)
		}
	}
}
