// Package hubtest starts a real kyojo HTTP handler on a temporary SQLite
// database for tests, with a small known set of organisations and people.
// It is imported only by tests.
package hubtest

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/ledger"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/server"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// Password is every seeded person's password.
const Password = "correct horse battery staple"

// Hub is a running test hub.
type Hub struct {
	URL    string
	Server *httptest.Server
	DB     *store.DB
	Svc    *identity.Service
	Orgs   map[string]identity.Org  // by slug: "ncc", "mof", "isp-a"
	Users  map[string]identity.User // by username: "admin", "alice", "bob", "carol"
	Tokens map[string]string        // write-scope API token secrets by username

	Ledger   *ledger.Log
	Evidence *evidence.Service
	Intel    *intel.Service

	// GSOC monitoring, processing each ingested batch at once (no bus).
	Monitor    *monitor.Service
	Indicators *monitor.Indicators

	// Incidents serves incident cases: the national centre is ncc, the
	// escalation playbook invites npa, evidence files go to a temporary
	// folder.
	Incidents *incident.Service

	Partners *partner.Service // the federation partner registry (key: PartnerKey)
}

// RefreshIndicators loads new and changed indicators into the matcher, as
// the server's background loop does.
func (h *Hub) RefreshIndicators(t testing.TB) {
	t.Helper()
	if _, err := h.Indicators.Refresh(context.Background(), h.DB.Intel(), time.Now()); err != nil {
		t.Fatal(err)
	}
}

// PartnerKey is the test hub's partner credential key.
const PartnerKey = "test partner key, 32 bytes long!"

// Anchor appends the audit trail to the ledger and signs a checkpoint, as
// the server's background loop does.
func (h *Hub) Anchor(t testing.TB) {
	t.Helper()
	if _, err := h.Evidence.Anchor(context.Background(), h.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Ledger.Checkpoint(); err != nil {
		t.Fatal(err)
	}
}

// New starts a hub. People seeded:
//   - admin: hub_admin of "ncc" (the national centre)
//   - alice: org_admin of "mof" (a ministry); bob: analyst of "mof"
//   - carol: analyst of "isp-a" (an ISP)
//   - officer: analyst of "npa" (law enforcement)
func New(t testing.TB) *Hub {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "kyojo.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	svc := identity.NewService(db, nil)
	h := &Hub{DB: db, Svc: svc, Orgs: map[string]identity.Org{}, Users: map[string]identity.User{}, Tokens: map[string]string{}}
	sys := identity.System("test")
	for _, o := range []identity.Org{
		{Slug: "ncc", Name: "National Cybersecurity Centre", NameJA: "内閣サイバーセキュリティセンター", Kind: identity.KindGovernment, Tier: 1},
		{Slug: "mof", Name: "Ministry of Finance", NameJA: "財務省", Kind: identity.KindGovernment, Tier: 1},
		{Slug: "isp-a", Name: "ISP A", NameJA: "ISP A", Kind: identity.KindISP, Tier: 2},
		{Slug: "npa", Name: "Police Cybercrime Unit", NameJA: "警察庁サイバー犯罪対策課", Kind: identity.KindLawEnforcement, Tier: 1},
	} {
		o, err := svc.CreateOrg(ctx, sys, o)
		if err != nil {
			t.Fatal(err)
		}
		h.Orgs[o.Slug] = o
	}
	for _, u := range []identity.NewUser{
		{Username: "admin", Org: "ncc", Role: policy.HubAdmin, Locale: "en"},
		{Username: "alice", Org: "mof", Role: policy.OrgAdmin, Locale: "ja", Email: "alice@mof.example.jp"},
		{Username: "bob", Org: "mof", Role: policy.Analyst, Locale: "ja"},
		{Username: "carol", Org: "isp-a", Role: policy.Analyst, Locale: "en"},
		{Username: "officer", Org: "npa", Role: policy.Analyst, Locale: "ja"},
	} {
		u.Password = Password
		usr, err := svc.CreateUser(ctx, sys, u)
		if err != nil {
			t.Fatal(err)
		}
		h.Users[usr.Username] = usr
		_, secret, err := svc.CreateToken(ctx, sys, usr.ID, identity.NewToken{Name: "test", Scope: policy.ScopeWrite})
		if err != nil {
			t.Fatal(err)
		}
		h.Tokens[usr.Username] = secret
	}
	lg, err := ledger.Open(filepath.Join(t.TempDir(), "ledger"), ledger.Options{Origin: "test/ledger", CheckpointInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lg.Close() })
	h.Ledger = lg
	h.Evidence = evidence.NewService(db.Evidence(), ledger.Evidence{Log: lg}, nil)
	h.Intel = intel.NewService(db.Intel(), db, intel.Options{})
	blobs, err := blobstore.Open(filepath.Join(t.TempDir(), "evidence"))
	if err != nil {
		t.Fatal(err)
	}
	h.Incidents, err = incident.NewService(db.Incidents(), db, blobs, h.Intel, nil, incident.Options{HubOrg: "ncc", EscalateOrgs: []string{"npa"}, MaxEvidence: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	h.Indicators = monitor.NewIndicators()
	raw, err := rawlog.Open(filepath.Join(t.TempDir(), "raw"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	mopt := monitor.Options{MaxAge: 20 * 365 * 24 * time.Hour, // the real test files are years old
		Sightings: &monitor.Sightings{Intel: h.Intel}, RawFiles: raw}
	h.Monitor = monitor.NewService(db.Monitor(), db, nil, monitor.NewProcessor(db.Monitor(), db, h.Indicators, incident.AlertEscalator{S: h.Incidents}, mopt), mopt)
	seal, err := partner.NewSealer([]byte(PartnerKey))
	if err != nil {
		t.Fatal(err)
	}
	h.Partners = partner.NewService(db.Partners(), db, seal, nil)
	handler, _ := server.Handler(server.Services{Identity: svc, Evidence: h.Evidence, Intel: h.Intel, Monitor: h.Monitor, Incidents: h.Incidents,
		Partners: h.Partners}, server.Options{Version: "test"})
	h.Server = httptest.NewServer(handler)
	h.URL = h.Server.URL
	t.Cleanup(h.Server.Close)
	return h
}

// Actor returns the actor of a seeded person, as if signed in over the API.
func (h *Hub) Actor(username string) identity.Actor {
	return identity.ActorFor(h.Users[username], policy.ScopeWrite, identity.Actor{Remote: "127.0.0.1", Via: "api"})
}

// Client returns an HTTP client with a cookie jar that does not follow
// redirects, for UI tests.
func (h *Hub) Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}
