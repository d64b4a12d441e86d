package taxiiclient_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/server"
	"github.com/kyojo-hub/kyojo/internal/taxiiclient"
)

func obj(typ string, n int, mod string, extra string) string {
	id := fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n)
	switch typ {
	case "indicator":
		return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s","pattern":"[ipv4-addr:value = '198.51.100.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"%s}`, id, mod, n%250, extra)
	default:
		return fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"%s","name":"m%d","is_family":false%s}`, id, mod, n, extra)
	}
}

func id(typ string, n int) string { return fmt.Sprintf("%s--00000000-0000-4000-8000-%012d", typ, n) }

const v1, v2 = "2026-02-01T00:00:00.000Z", "2026-03-01T00:00:00.000Z"

func put(t *testing.T, h *hubtest.Hub, user string, sh intel.Sharing, raw string) {
	t.Helper()
	res, err := h.Intel.Put(t.Context(), h.Actor(user), []byte(raw), sh, "test")
	if err != nil || res.Rejected > 0 {
		t.Fatalf("put: %+v %v", res, err)
	}
}

// member adds an organisation of kind foreign_csirt, a community with
// members, and a bot person of the organisation with a token.
func member(t *testing.T, h *hubtest.Hub, org, community string, members ...string) (user, token string) {
	t.Helper()
	ctx, sys := t.Context(), identity.System("test")
	if _, err := h.Svc.CreateOrg(ctx, sys, identity.Org{Slug: org, Name: org, NameJA: org, Kind: identity.KindForeignCSIRT, Tier: 3, Country: "FR"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Svc.CreateCommunity(ctx, sys, identity.Community{Slug: community, Name: community, NameJA: community, Members: append(members, org)}); err != nil {
		t.Fatal(err)
	}
	u, err := h.Svc.CreateUser(ctx, sys, identity.NewUser{Username: org + "-bot", Org: org, Role: policy.Analyst, Locale: "en", Password: hubtest.Password})
	if err != nil {
		t.Fatal(err)
	}
	_, tok, err := h.Svc.CreateToken(ctx, sys, u.ID, identity.NewToken{Name: "federation", Scope: policy.ScopeWrite})
	if err != nil {
		t.Fatal(err)
	}
	return u.Username, tok
}

// visible returns the ids (id@modified) user sees on h.
func visible(t *testing.T, h *hubtest.Hub, user string) []string {
	t.Helper()
	rows, _, err := h.Intel.List(t.Context(), h.Actor(user), intel.Filter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.ID+"@"+r.Modified.Format("2006-01-02"))
	}
	return out
}

type fed struct {
	a, b    *hubtest.Hub
	svc     *partner.Service
	f       *partner.Federation
	p       partner.Partner
	aBot    string // hub-b's person on A
	aBotTok string
}

// pair starts hubs A and B. On A, the organisation hub-b stands for B and
// shares the community intl-a with mof; on B, hub-a stands for A and
// shares intl with mof. A's partner hub-b pushes to and pulls from B's
// community-intl, indicators only, CLEAR to AMBER.
func pair(t *testing.T, dir partner.Direction) *fed {
	a, b := hubtest.New(t), hubtest.New(t)
	aBot, aTok := member(t, a, "hub-b", "intl-a", "mof")
	bBot, bTok := member(t, b, "hub-a", "intl", "mof")
	seal, _ := partner.NewSealer([]byte("a partner key of enough bytes"))
	svc := partner.NewService(a.DB.Partners(), a.DB, seal, nil)
	p, err := svc.Create(t.Context(), identity.System("test"), partner.Input{Slug: "hub-b", Name: "Hub B", Country: "FR", Org: "hub-b",
		APIRoot: b.URL + "/taxii2/kyojo/", Collection: "community-intl", Direction: dir, Username: bBot, Secret: bTok,
		Markings: []policy.TLP{policy.Clear, policy.Green, policy.Amber}, Types: []string{"indicator"}, Inbound: []string{"intl-a"}, Interval: "1s"})
	if err != nil {
		t.Fatal(err)
	}
	f := &partner.Federation{Partners: svc, Intel: a.Intel, Connect: taxiiclient.Connector(true, 10*time.Second), PageSize: 2}
	return &fed{a: a, b: b, svc: svc, f: f, p: p, aBot: aBot, aBotTok: aTok}
}

func (x *fed) exchange(t *testing.T) []partner.Exchange {
	t.Helper()
	p, err := x.svc.Get(t.Context(), identity.System("test"), "hub-b")
	if err != nil {
		t.Fatal(err)
	}
	if err := x.f.Exchange(t.Context(), p); err != nil {
		t.Fatalf("exchange: %v", err)
	}
	_, ex, _ := x.svc.Exchanges(t.Context(), identity.System("test"), "hub-b", 10)
	return ex
}

func TestPushPolicyAndBookmark(t *testing.T) {
	x := pair(t, partner.Push)
	amber := intel.Sharing{TLP: policy.Amber, Communities: []string{"intl-a"}}
	put(t, x.a, "bob", amber, obj("indicator", 1, v1, ""))
	put(t, x.a, "bob", amber, obj("malware", 2, v1, ""))                                                                                               // type excluded
	put(t, x.a, "bob", intel.Sharing{TLP: policy.Red, Users: []string{"bob"}}, obj("indicator", 3, v1, ""))                                            // RED
	put(t, x.a, "bob", amber, obj("indicator", 4, v1, `,"object_marking_refs":["`+policy.MarkingRed+`"]`))                                             // marked RED
	put(t, x.a, "carol", intel.Sharing{TLP: policy.Amber}, obj("indicator", 5, v1, ""))                                                                // hub-b may not see it
	put(t, x.a, "bob", intel.Sharing{TLP: policy.Amber, Communities: []string{"intl-a"}, Compartments: []string{"op-x"}}, obj("indicator", 6, v1, "")) // need-to-know
	put(t, x.a, "bob", amber, obj("indicator", 7, v1, ""))
	put(t, x.a, "bob", amber, obj("indicator", 8, v1, ""))

	ex := x.exchange(t)
	if len(ex) != 1 || ex[0].Direction != partner.Push || ex[0].ObjectsOut != 3 || ex[0].Error != "" {
		t.Fatalf("first exchange %+v", ex)
	}
	want := []string{id("indicator", 1) + "@2026-02-01", id("indicator", 7) + "@2026-02-01", id("indicator", 8) + "@2026-02-01"}
	if got := visible(t, x.b, "bob"); !slices.Equal(got, want) {
		t.Fatalf("B's bob sees %v, want %v", got, want)
	}
	// Provenance: B stored the object exactly, authored by hub-a.
	o, err := x.b.Intel.Get(t.Context(), x.b.Actor("bob"), id("indicator", 1))
	hubA, _ := x.b.DB.OrgBySlug(t.Context(), "hub-a")
	if err != nil || !bytes.Equal(o.Raw, []byte(obj("indicator", 1, v1, ""))) || o.Dist.AuthorOrg != hubA.ID {
		t.Fatalf("stored on B: %s %+v %v", o.Raw, o.Dist, err)
	}

	// Nothing new: nothing sent again.
	if ex := x.exchange(t); ex[0].ObjectsOut != 0 || ex[0].Failed != 0 {
		t.Fatalf("second exchange re-sent: %+v", ex[0])
	}
	// A new version and a new object go; a new RED one does not.
	put(t, x.a, "bob", amber, obj("indicator", 1, v2, ""))
	put(t, x.a, "bob", intel.Sharing{TLP: policy.Red, Users: []string{"bob"}}, obj("indicator", 9, v1, ""))
	put(t, x.a, "bob", amber, obj("indicator", 10, v1, ""))
	if ex := x.exchange(t); ex[0].ObjectsOut != 2 {
		t.Fatalf("third exchange %+v", ex[0])
	}
	got := visible(t, x.b, "bob")
	if len(got) != 4 || !slices.Contains(got, id("indicator", 1)+"@2026-03-01") || slices.Contains(got, id("indicator", 9)+"@2026-02-01") {
		t.Fatalf("B after the update: %v", got)
	}
	p, _ := x.svc.Get(t.Context(), identity.System("test"), "hub-b")
	if p.State.Failures != 0 || p.State.LastSuccess.IsZero() || p.State.PushSeq == 0 || partner.HealthOf(p, time.Now()) != partner.Healthy {
		t.Fatalf("state %+v", p.State)
	}
}

func TestPullNoEchoAndProvenance(t *testing.T) {
	x := pair(t, partner.Both)
	// On B, B's bob shares to intl; A pulls it.
	created := `,"created_by_ref":"identity--00000000-0000-4000-8000-0000000000b0","object_marking_refs":["` + policy.MarkingGreen + `"]`
	put(t, x.b, "bob", intel.Sharing{Communities: []string{"intl"}}, obj("indicator", 21, v1, created))
	put(t, x.a, "bob", intel.Sharing{TLP: policy.Amber, Communities: []string{"intl-a"}}, obj("indicator", 22, v1, ""))

	ex := x.exchange(t)
	if len(ex) != 2 || ex[1].Direction != partner.Pull || ex[1].ObjectsIn != 1 || ex[0].Direction != partner.Push || ex[0].ObjectsOut != 1 {
		t.Fatalf("exchanges %+v", ex)
	}
	o, err := x.a.Intel.Get(t.Context(), x.a.Actor("bob"), id("indicator", 21))
	if err != nil {
		t.Fatal(err)
	}
	hubB, _ := x.a.DB.OrgBySlug(t.Context(), "hub-b")
	if o.Source != "taxii:hub-b" || o.Dist.AuthorOrg != hubB.ID || o.TLP != policy.Green || !bytes.Contains(o.Raw, []byte("identity--00000000-0000-4000-8000-0000000000b0")) {
		t.Fatalf("pulled object %q %s %+v %s", o.Source, o.TLP, o.Dist, o.Raw)
	}
	// Pulled objects are not pushed back; B's copy of what A pushed comes
	// back on the next pull and is skipped, not stored twice.
	ex = x.exchange(t)
	if ex[0].ObjectsOut != 0 || ex[1].ObjectsIn != 0 {
		t.Fatalf("echo: %+v", ex[:2])
	}
	vs, err := x.a.Intel.Versions(t.Context(), x.a.Actor("bob"), id("indicator", 22))
	if err != nil || len(vs) != 1 || vs[0].Source != "test" {
		t.Fatalf("A's own object after the round trip: %d versions %v", len(vs), err)
	}
	if got := visible(t, x.b, "bob"); len(got) != 2 {
		t.Fatalf("B sees %v", got)
	}
}

func TestFailureBackoffAndHealth(t *testing.T) {
	x := pair(t, partner.Push)
	put(t, x.a, "bob", intel.Sharing{TLP: policy.Amber, Communities: []string{"intl-a"}}, obj("indicator", 31, v1, ""))
	x.b.Server.Close()
	p, _ := x.svc.Get(t.Context(), identity.System("test"), "hub-b")
	if err := x.f.Exchange(t.Context(), p); err == nil {
		t.Fatal("exchange with a stopped partner succeeded")
	}
	p, _ = x.svc.Get(t.Context(), identity.System("test"), "hub-b")
	if p.State.Failures != 1 || p.State.LastError == "" || p.State.PushSeq != 0 || partner.HealthOf(p, time.Now()) != partner.Degraded {
		t.Fatalf("after a failure: %+v", p.State)
	}
	if !partner.NextAttempt(p).Equal(p.State.LastAttempt.Add(2 * time.Second)) {
		t.Fatalf("back-off: next %v after %v", partner.NextAttempt(p), p.State.LastAttempt)
	}
	_, ex, _ := x.svc.Exchanges(t.Context(), identity.System("test"), "hub-b", 10)
	if len(ex) != 1 || ex[0].Error == "" {
		t.Fatalf("failed exchange not recorded: %+v", ex)
	}
	// The error names no credential.
	if bytes.Contains([]byte(ex[0].Error+p.State.LastError), []byte("hub-a-bot")) {
		t.Fatalf("error holds the user name: %s", ex[0].Error)
	}
}

// TestServedToPartner: a partner's account reading A's TAXII server gets
// only what A's outbound policy lets leave for it.
func TestServedToPartner(t *testing.T) {
	x := pair(t, partner.Push)
	amber := intel.Sharing{TLP: policy.Amber, Communities: []string{"intl-a"}}
	put(t, x.a, "bob", amber, obj("indicator", 41, v1, ""))
	put(t, x.a, "bob", amber, obj("malware", 42, v1, ""))
	put(t, x.a, "bob", amber, obj("indicator", 43, v1, `,"object_marking_refs":["`+policy.MarkingRed+`"]`))
	h, _ := server.Handler(server.Services{Identity: x.a.Svc, Intel: x.a.Intel, Partners: x.svc}, server.Options{})
	srv := httptest.NewServer(h)
	defer srv.Close()
	c := &taxiiclient.Client{APIRoot: srv.URL + "/taxii2/kyojo", Username: x.aBot, Token: x.aBotTok, AllowPrivate: true}
	pg, err := c.Objects(t.Context(), "community-intl-a", taxiiclient.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pg.Objects) != 1 || !bytes.Contains(pg.Objects[0], []byte(id("indicator", 41))) {
		t.Fatalf("partner account got %d objects: %s", len(pg.Objects), pg.Objects)
	}
	// The same account on a server without the registry also sees the
	// malware (the object marked RED it may not see at all): the type
	// filter is the registry's, not visibility.
	plain, _ := server.Handler(server.Services{Identity: x.a.Svc, Intel: x.a.Intel}, server.Options{})
	srv2 := httptest.NewServer(plain)
	defer srv2.Close()
	c.APIRoot = srv2.URL + "/taxii2/kyojo/"
	if pg, _ := c.Objects(t.Context(), "community-intl-a", taxiiclient.Query{}); len(pg.Objects) != 2 {
		t.Fatalf("without the registry: %d", len(pg.Objects))
	}
}

func TestClient(t *testing.T) {
	h := hubtest.New(t)
	for i := range 5 {
		put(t, h, "bob", intel.Sharing{TLP: policy.Clear}, obj("indicator", 50+i, v1, ""))
	}
	c := &taxiiclient.Client{APIRoot: h.URL + "/taxii2/kyojo/", Username: "bob", Token: h.Tokens["bob"], AllowPrivate: true}
	ctx := t.Context()
	d, err := c.Discover(ctx, h.URL+"/taxii2/")
	if err != nil || len(d.APIRoots) != 1 {
		t.Fatalf("discovery %+v %v", d, err)
	}
	if r, err := c.Root(ctx); err != nil || r.MaxContentLength == 0 {
		t.Fatalf("root %+v %v", r, err)
	}
	cs, err := c.Collections(ctx)
	if err != nil || len(cs) < 2 || cs[0].ID != "public" {
		t.Fatalf("collections %+v %v", cs, err)
	}
	// Paging with next: every object once.
	var seen []string
	q := taxiiclient.Query{Limit: 2}
	for range 10 {
		pg, err := c.Objects(ctx, "public", q)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range pg.Objects {
			var v struct{ ID string }
			json.Unmarshal(o, &v)
			seen = append(seen, v.ID)
		}
		if pg.AddedLast.IsZero() {
			t.Fatal("no X-TAXII-Date-Added-Last")
		}
		if !pg.More {
			break
		}
		q.Next = pg.Next
	}
	if len(seen) != 5 {
		t.Fatalf("paged %v", seen)
	}
	// added_after past the last object: nothing.
	pg, err := c.Objects(ctx, "public", taxiiclient.Query{AddedAfter: time.Now().Add(time.Hour)})
	if err != nil || len(pg.Objects) != 0 {
		t.Fatalf("added_after: %d %v", len(pg.Objects), err)
	}
	// POST with per-object status, then the status resource.
	st, err := c.Post(ctx, "inbox-mof", []json.RawMessage{json.RawMessage(obj("indicator", 60, v1, "")), json.RawMessage(`{"type":"indicator","id":"x"}`)})
	if err != nil || st.SuccessCount != 1 || st.FailureCount != 1 || len(st.Failures) != 1 {
		t.Fatalf("post %+v %v", st, err)
	}
	if st2, err := c.Status(ctx, st.ID); err != nil || st2.ID != st.ID {
		t.Fatalf("status %+v %v", st2, err)
	}
	// Bearer works too; wrong credentials come back as a TAXII error.
	b := &taxiiclient.Client{APIRoot: c.APIRoot, Token: h.Tokens["bob"], Bearer: true, AllowPrivate: true}
	if _, err := b.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	b.Token = "kyojo_wrong"
	_, err = b.Collections(ctx)
	var te *taxiiclient.Error
	if !asErr(err, &te) || te.Status != http.StatusUnauthorized || te.Title == "" {
		t.Fatalf("wrong token: %v", err)
	}
	// Loopback is refused unless allowed.
	strict := &taxiiclient.Client{APIRoot: c.APIRoot, Username: "bob", Token: h.Tokens["bob"]}
	if _, err := strict.Collections(ctx); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("loopback without permission: %v", err)
	}
	// Answers above the limit are refused.
	small := &taxiiclient.Client{APIRoot: c.APIRoot, Username: "bob", Token: h.Tokens["bob"], AllowPrivate: true, MaxResponse: 100}
	if _, err := small.Objects(ctx, "public", taxiiclient.Query{}); !errs.Is(err, errs.TooLarge) {
		t.Fatalf("oversized answer: %v", err)
	}
}

func TestClientRefusesBadAnswers(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"html": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<html>"))
		},
		"broken json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", taxiiclient.MediaTAXII)
			w.Write([]byte(`{"objects":[`))
		},
		"more without next": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", taxiiclient.MediaTAXII)
			w.Write([]byte(`{"more":true,"objects":[]}`))
		},
		"slow": func(w http.ResponseWriter, r *http.Request) { time.Sleep(2 * time.Second) },
	} {
		srv := httptest.NewServer(h)
		c := &taxiiclient.Client{APIRoot: srv.URL + "/", Token: "t", AllowPrivate: true, Timeout: 500 * time.Millisecond}
		if _, err := c.Objects(t.Context(), "c", taxiiclient.Query{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
		srv.Close()
	}
}

func asErr(err error, target **taxiiclient.Error) bool {
	e, ok := err.(*taxiiclient.Error)
	if ok {
		*target = e
	}
	return ok
}
