package intel_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

type world struct {
	db     *store.DB
	ids    *identity.Service
	svc    *intel.Service
	orgs   []identity.Org
	comms  []identity.Community
	actors []identity.Actor // one analyst per organisation, plus a second in org 0
}

func newWorld(t *testing.T, r *rand.Rand) *world {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kyojo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w := &world{db: db, ids: identity.NewService(db, nil)}
	w.svc = intel.NewService(db.Intel(), db, intel.Options{})
	sys := identity.System("test")
	for i := range 5 {
		o, err := w.ids.CreateOrg(ctx, sys, identity.Org{Slug: fmt.Sprintf("o%d", i), Name: fmt.Sprintf("Org %d", i), Kind: identity.KindSME})
		if err != nil {
			t.Fatal(err)
		}
		w.orgs = append(w.orgs, o)
	}
	for i := range 3 {
		var members []string
		for _, o := range w.orgs {
			if r.IntN(2) == 0 {
				members = append(members, o.Slug)
			}
		}
		c, err := w.ids.CreateCommunity(ctx, sys, identity.Community{Slug: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("Community %d", i), Members: members})
		if err != nil {
			t.Fatal(err)
		}
		w.comms = append(w.comms, c)
	}
	for i, o := range append(append([]identity.Org{}, w.orgs...), w.orgs[0]) {
		u := identity.User{ID: fmt.Sprintf("00000000-0000-7000-8000-%012d", i), Username: fmt.Sprintf("u%d", i), OrgID: o.ID, Role: policy.Analyst}
		if err := db.Transact(ctx, func(tx identity.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		w.actors = append(w.actors, identity.ActorForOrg(u, o, policy.ScopeWrite, identity.Actor{Via: "test"}))
	}
	return w
}

func indicator(id string, n int, mod time.Time) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s",
		"pattern":"[ipv4-addr:value = '198.51.100.%d'] OR [domain-name:value = 'h%d.evil.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`,
		id, mod.Format("2006-01-02T15:04:05.000Z"), n%256, n)
}

// TestNoViewerSeesWhatTheRulesForbid shares random objects with random
// distributions among random organisations and communities, then reads them
// back as every member through every read path the store has (Get,
// Versions, List, Search by IP, by CIDR and by parent domain, Related), and
// checks each answer against the sharing rules stated independently.
func TestNoViewerSeesWhatTheRulesForbid(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	w := newWorld(t, r)
	ctx := t.Context()
	type shared struct {
		id     string
		author identity.Actor
		sh     intel.Sharing
		comms  []string // community ids
		orgs   []string // org ids
		users  []string // user ids
	}
	var all []shared
	for i := range 60 {
		author := w.actors[r.IntN(len(w.actors))]
		sh := intel.Sharing{TLP: policy.TLPs[r.IntN(len(policy.TLPs))], Anonymous: r.IntN(4) == 0}
		var comms, orgs, users []string
		for _, c := range w.comms {
			mine, _ := w.db.CommunitiesOf(ctx, author.OrgID)
			if slices.Contains(mine, c.ID) && r.IntN(2) == 0 {
				sh.Communities = append(sh.Communities, c.Slug)
				comms = append(comms, c.ID)
			}
		}
		for _, o := range w.orgs {
			if r.IntN(4) == 0 {
				sh.Orgs = append(sh.Orgs, o.Slug)
				orgs = append(orgs, o.ID)
			}
		}
		for _, a := range w.actors {
			if r.IntN(4) == 0 || (sh.TLP == policy.Red && len(users) == 0) {
				sh.Users = append(sh.Users, a.UserID)
				users = append(users, a.UserID)
			}
		}
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)
		res, err := w.svc.Put(ctx, author, []byte(indicator(id, i, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))), sh, "api")
		if err != nil || res.Created != 1 {
			t.Fatalf("put %d: %+v %v", i, res, err)
		}
		all = append(all, shared{id, author, sh, comms, orgs, users})
	}
	allowed := func(v identity.Actor, s shared) bool {
		if v.UserID == s.author.UserID {
			return true
		}
		mine, _ := w.db.CommunitiesOf(ctx, v.OrgID)
		inComm := false
		for _, c := range s.comms {
			inComm = inComm || slices.Contains(mine, c)
		}
		authorOrg := v.OrgID == s.author.OrgID
		switch s.sh.TLP {
		case policy.Clear:
			return true
		case policy.Green:
			return authorOrg || inComm || len(s.comms) == 0
		case policy.Amber:
			return authorOrg || inComm || slices.Contains(s.orgs, v.OrgID)
		case policy.AmberStrict:
			return authorOrg || slices.Contains(s.orgs, v.OrgID)
		case policy.Red:
			return slices.Contains(s.users, v.UserID)
		}
		return false
	}
	byID := map[string]shared{}
	for _, s := range all {
		byID[s.id] = s
	}
	check := func(path string, v identity.Actor, objs []intel.Object) {
		t.Helper()
		for _, o := range objs {
			s, ok := byID[o.ID]
			if !ok {
				t.Fatalf("%s returned unknown %s", path, o.ID)
			}
			if !allowed(v, s) {
				t.Fatalf("%s: %s (org %s) received %s shared %s by %s", path, v.Username, v.OrgID, o.ID, s.sh.TLP, s.author.Username)
			}
			if s.sh.Anonymous && v.OrgID != s.author.OrgID && strings.Contains(string(o.Raw), s.author.OrgID) {
				t.Fatalf("%s: anonymous author leaked", path)
			}
		}
	}
	for _, v := range w.actors {
		for _, s := range all {
			o, err := w.svc.Get(ctx, v, s.id)
			switch {
			case allowed(v, s) && err != nil:
				t.Fatalf("Get: %s may see %s but got %v", v.Username, s.id, err)
			case !allowed(v, s) && !errs.Is(err, errs.NotFound):
				t.Fatalf("Get: %s may not see %s but got %v %v", v.Username, s.id, o.ID, err)
			}
			vs, _ := w.svc.Versions(ctx, v, s.id)
			check("Versions", v, vs)
			rel, _ := w.svc.Related(ctx, v, s.id)
			check("Related", v, rel)
		}
		var listed []intel.Object
		var cursor int64
		for {
			page, next, err := w.svc.List(ctx, v, intel.Filter{AfterSeq: cursor, Limit: 7})
			if err != nil {
				t.Fatal(err)
			}
			for _, st := range page {
				listed = append(listed, st.Object)
			}
			if next == 0 {
				break
			}
			cursor = next
		}
		check("List", v, listed)
		want := 0
		for _, s := range all {
			if allowed(v, s) {
				want++
			}
		}
		if len(listed) != want {
			t.Fatalf("List for %s: %d objects, the rules allow %d", v.Username, len(listed), want)
		}
		var exported []intel.Object
		if _, err := w.svc.Each(ctx, v, intel.Filter{}, func(o intel.Object) error { exported = append(exported, o); return nil }); err != nil {
			t.Fatal(err)
		}
		check("Export", v, exported)
		if len(exported) != want {
			t.Fatalf("Export for %s: %d objects, the rules allow %d", v.Username, len(exported), want)
		}
		for _, q := range []string{"198.51.100.3", "198.51.100.0/24", "evil.example", "h5.evil.example"} {
			res, err := w.svc.Search(ctx, v, q)
			if err != nil {
				t.Fatal(err)
			}
			check("Search "+q, v, res.Objects)
		}
	}
}

func TestPutVersionsAndRejections(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(1, 1)))
	ctx := t.Context()
	a, other := w.actors[0], w.actors[1]
	id := "indicator--00000000-0000-4000-8000-000000000001"
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	bundle := fmt.Sprintf(`{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000009","objects":[%s,%s,{"type":"indicator","id":"bad"},%s]}`,
		indicator(id, 1, t0), indicator(id, 1, t0.Add(time.Hour)), indicator(id, 2, t0))
	res, err := w.svc.Put(ctx, a, []byte(bundle), intel.Sharing{TLP: policy.Green}, "api")
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || res.Updated != 1 || res.Rejected != 2 {
		t.Fatalf("result %+v", res)
	}
	if !strings.Contains(res.Items[2].Error, "id: ") || res.Items[3].Status != intel.Rejected {
		t.Fatalf("items %+v", res.Items)
	}
	// Same again: everything skipped.
	again, _ := w.svc.Put(ctx, a, []byte(indicator(id, 1, t0.Add(time.Hour))), intel.Sharing{TLP: policy.Green}, "api")
	if again.Skipped != 1 {
		t.Fatalf("re-put: %+v", again)
	}
	vs, err := w.svc.Versions(ctx, a, id)
	if err != nil || len(vs) != 2 || !vs[1].Latest || vs[0].Latest {
		t.Fatalf("versions: %d %v", len(vs), err)
	}
	// Another organisation may not publish versions of it.
	res, _ = w.svc.Put(ctx, other, []byte(indicator(id, 1, t0.Add(2*time.Hour))), intel.Sharing{TLP: policy.Green}, "api")
	if res.Rejected != 1 {
		t.Fatalf("foreign version accepted: %+v", res)
	}
	// Revoke: a new version, still searchable.
	o, err := w.svc.Revoke(ctx, a, id)
	if err != nil || !o.Revoked {
		t.Fatalf("revoke: %+v %v", o, err)
	}
	if _, err := w.svc.Revoke(ctx, other, id); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.NotFound) {
		t.Fatalf("revoke by another org: %v", err)
	}
	sr, err := w.svc.Search(ctx, a, "198.51.100.1")
	if err != nil || len(sr.Objects) != 1 || !sr.Objects[0].Revoked {
		t.Fatalf("search after revoke: %+v %v", sr, err)
	}
	var raw map[string]any
	json.Unmarshal(sr.Objects[0].Raw, &raw)
	if raw["revoked"] != true {
		t.Fatalf("revoked version's JSON: %s", sr.Objects[0].Raw)
	}
	// TLP:RED needs named people; a read-only member may not publish.
	if _, err := w.svc.Put(ctx, a, []byte(indicator("indicator--00000000-0000-4000-8000-000000000002", 3, t0)), intel.Sharing{TLP: policy.Red}, "api"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("red without recipients: %v", err)
	}
	ro := a
	ro.Role = policy.ReadOnly
	if _, err := w.svc.Put(ctx, ro, []byte(indicator("indicator--00000000-0000-4000-8000-000000000003", 3, t0)), intel.Sharing{}, "api"); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("read-only published: %v", err)
	}
	// The object's own TLP marking is kept when stricter than the sharing.
	marked := strings.Replace(indicator("indicator--00000000-0000-4000-8000-000000000004", 4, t0), `"pattern_type"`,
		`"object_marking_refs":["`+policy.MarkingAmberStrict+`"],"pattern_type"`, 1)
	w.svc.Put(ctx, a, []byte(marked), intel.Sharing{TLP: policy.Clear}, "api")
	got, err := w.svc.Get(ctx, a, "indicator--00000000-0000-4000-8000-000000000004")
	if err != nil || got.TLP != policy.AmberStrict {
		t.Fatalf("marking: %s %v", got.TLP, err)
	}
}

// TestAnonymousAuthorNotRevealedByFilter: listing by author never shows
// another organisation's anonymous objects.
func TestAnonymousAuthorNotRevealedByFilter(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(5, 5)))
	ctx := t.Context()
	a, b := w.actors[0], w.actors[1]
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	if _, err := w.svc.Put(ctx, a, []byte(indicator("indicator--00000000-0000-4000-8000-0000000000a1", 1, t0)), intel.Sharing{TLP: policy.Clear, Anonymous: true}, "api"); err != nil {
		t.Fatal(err)
	}
	page, _, err := w.svc.List(ctx, b, intel.Filter{AuthorOrg: a.OrgID})
	if err != nil || len(page) != 0 {
		t.Fatalf("author filter revealed an anonymous object: %d %v", len(page), err)
	}
	page, _, _ = w.svc.List(ctx, b, intel.Filter{})
	if len(page) != 1 {
		t.Fatalf("unfiltered list: %d", len(page))
	}
	if page, _, _ = w.svc.List(ctx, a, intel.Filter{AuthorOrg: a.OrgID}); len(page) != 1 {
		t.Fatal("the author's own organisation lost its object")
	}
}

// TestReferenceToHiddenObjectRefused: a relationship to an object the
// sharer may not see is refused; one to an id the hub does not have is kept.
func TestReferenceToHiddenObjectRefused(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(9, 9)))
	ctx := t.Context()
	a, b := w.actors[0], w.actors[1]
	if a.OrgID == b.OrgID {
		t.Fatal("setup: same organisation")
	}
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	secret := "indicator--00000000-0000-4000-8000-0000000000b1"
	if _, err := w.svc.Put(ctx, a, []byte(indicator(secret, 1, t0)), intel.Sharing{TLP: policy.AmberStrict}, "api"); err != nil {
		t.Fatal(err)
	}
	rel := func(n int, target string) string {
		return fmt.Sprintf(`{"type":"relationship","spec_version":"2.1","id":"relationship--00000000-0000-4000-8000-%012d","created":"2026-02-01T00:00:00.000Z",`+
			`"modified":"2026-02-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"%s","target_ref":"malware--00000000-0000-4000-8000-000000000001"}`, n, target)
	}
	bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-0000000000c1","objects":[` + rel(1, secret) + "," +
		rel(2, "indicator--00000000-0000-4000-8000-0000000000ff") + `]}`
	res, err := w.svc.Put(ctx, b, []byte(bundle), intel.Sharing{TLP: policy.Green}, "api")
	if err != nil {
		t.Fatal(err)
	}
	if res.Rejected != 1 || res.Created != 1 || res.Items[0].Field != "source_ref" {
		t.Fatalf("result: %+v", res)
	}
	// The author's organisation may relate to it.
	res, _ = w.svc.Put(ctx, a, []byte(rel(3, secret)), intel.Sharing{TLP: policy.AmberStrict}, "api")
	if res.Created != 1 {
		t.Fatalf("author's relationship: %+v", res)
	}
}

// TestUnknownMarkingRefused: an object marked with a marking-definition the
// hub does not know is refused; defined in the same bundle, or stored
// before, it is accepted.
func TestUnknownMarkingRefused(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(4, 4)))
	ctx := t.Context()
	a := w.actors[0]
	t0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	const md = "marking-definition--34098fce-860f-48ae-8e50-000000000001"
	marked := func(n int) string {
		return strings.Replace(indicator(fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n), n, t0), `"pattern_type"`,
			`"object_marking_refs":["`+md+`"],"pattern_type"`, 1)
	}
	res, err := w.svc.Put(ctx, a, []byte(marked(1)), intel.Sharing{TLP: policy.Green}, "api")
	if err != nil || res.Rejected != 1 || res.Items[0].Field != "object_marking_refs" {
		t.Fatalf("unknown marking: %+v %v", res, err)
	}
	def := `{"type":"marking-definition","spec_version":"2.1","id":"` + md + `","created":"2026-01-01T00:00:00.000Z",` +
		`"definition_type":"statement","definition":{"statement":"Copyright 2026 Example"}}`
	bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-0000000000d1","objects":[` + def + "," + marked(2) + `]}`
	res, err = w.svc.Put(ctx, a, []byte(bundle), intel.Sharing{TLP: policy.Green}, "api")
	if err != nil || res.Created != 2 {
		t.Fatalf("marking defined in the bundle: %+v %v", res, err)
	}
	res, err = w.svc.Put(ctx, a, []byte(marked(3)), intel.Sharing{TLP: policy.Green}, "api")
	if err != nil || res.Created != 1 {
		t.Fatalf("marking stored before: %+v %v", res, err)
	}
}

// TestConcurrentSearchesAudited: searches made at once share audit
// transactions (audit.Group), and every one of them is on the trail when
// it has answered.
func TestConcurrentSearchesAudited(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(7, 7)))
	ctx := t.Context()
	const n = 40
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if _, err := w.svc.Search(ctx, w.actors[i%len(w.actors)], fmt.Sprintf("192.0.2.%d", i)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	recs, err := w.db.ListAudit(ctx, audit.Filter{Action: "intel.search", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range recs {
		seen[r.ObjectID]++
	}
	for i := range n {
		if v := fmt.Sprintf("192.0.2.%d", i); seen[v] != 1 {
			t.Errorf("search for %s audited %d times", v, seen[v])
		}
	}
}
