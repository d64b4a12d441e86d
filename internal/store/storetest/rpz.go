package storetest

import (
	"net/netip"
	"reflect"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// testRPZ checks the RPZ store: feeds and subscribers round-trip, zones
// and names are unique, audit records commit with the change, an accepted
// report and its allowlist entry commit together, a decided report cannot
// be decided again, and the journal keeps serials in order.
func testRPZ(t *testing.T, db *store.DB) {
	ctx := t.Context()
	isp := org("ispx", "ISP X")
	tx(t, db, func(tx identity.Tx) error { return tx.CreateOrg(ctx, isp) })
	rec := func(action string) *audit.Record {
		return &audit.Record{Time: t0, ActorID: "u1", ActorName: "admin", Action: action, Outcome: audit.Success, Via: "test"}
	}
	f := rpz.Feed{ID: "f1", Zone: "rpz.kyojo.example.", MinScore: 50, Kinds: []string{rpz.KindDomain}, MaxTLP: policy.Amber, Action: rpz.Walled,
		WarnHost: "warn.kyojo.example.", TTL: 60}
	if err := db.PutRPZFeed(ctx, f, rec("rpz.feed.put")); err != nil {
		t.Fatal(err)
	}
	mustCode(t, db.PutRPZFeed(ctx, rpz.Feed{ID: "f2", Zone: f.Zone}, rec("x")), errs.Conflict)
	f.MinScore = 60
	if err := db.PutRPZFeed(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	feeds, err := db.RPZFeeds(ctx)
	if err != nil || len(feeds) != 1 || !reflect.DeepEqual(feeds[0], f) {
		t.Fatalf("feeds %+v %v", feeds, err)
	}
	s := rpz.Subscriber{ID: "s1", Name: "ispx-ns1", OrgID: isp.ID, Feeds: []string{"f1"}, KeyName: "ispx.", Secret: "c2VjcmV0c2VjcmV0",
		Allow: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}, Notify: []string{"192.0.2.53:53"}}
	if err := db.PutRPZSubscriber(ctx, s, rec("rpz.subscriber.put")); err != nil {
		t.Fatal(err)
	}
	mustCode(t, db.PutRPZSubscriber(ctx, rpz.Subscriber{ID: "s2", Name: "other", OrgID: "no-such-org"}, nil), errs.Invalid)
	subs, err := db.RPZSubscribers(ctx)
	if err != nil || len(subs) != 1 || !reflect.DeepEqual(subs[0], s) {
		t.Fatalf("subscribers %+v %v", subs, err)
	}
	mustCode(t, db.DeleteRPZSubscriber(ctx, "nope", nil), errs.NotFound)
	recs, err := db.AuditAfter(ctx, 0, 100)
	if err != nil || len(recs) != 2 {
		t.Fatalf("audit records %d %v, want 2 (failed writes leave none)", len(recs), err)
	}

	r := rpz.Report{ID: "r1", Name: "shop.example", Reason: "it is our shop", Lang: "ja", Remote: "198.51.100.0/24", Status: rpz.ReportOpen, CreatedAt: t0}
	r2 := r
	r2.ID, r2.Name, r2.CreatedAt = "r2", "other.example", t0.Add(time.Second)
	for _, x := range []rpz.Report{r, r2} {
		if err := db.AddRPZReport(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	open, err := db.RPZReports(ctx, rpz.ReportOpen, 10)
	if err != nil || len(open) != 2 || open[0].ID != "r2" {
		t.Fatalf("open reports %+v %v", open, err)
	}
	dec := t0.Add(time.Minute)
	r.Status, r.DecidedAt, r.DecidedBy = rpz.ReportAccepted, &dec, "admin"
	al := &rpz.Allow{Name: r.Name, Reason: "report r1", ReportID: r.ID, CreatedAt: dec}
	if err := db.DecideRPZReport(ctx, r, al, rec("rpz.report.accepted")); err != nil {
		t.Fatal(err)
	}
	mustCode(t, db.DecideRPZReport(ctx, r, al, rec("again")), errs.Conflict)
	got, err := db.RPZReport(ctx, "r1")
	if err != nil || !reflect.DeepEqual(got, r) {
		t.Fatalf("report %+v %v", got, err)
	}
	_, err = db.RPZReport(ctx, "nope")
	mustCode(t, err, errs.NotFound)
	allow, err := db.RPZAllowlist(ctx)
	if err != nil || len(allow) != 1 || allow[0] != *al {
		t.Fatalf("allowlist %+v %v", allow, err)
	}
	if err := db.DeleteRPZAllow(ctx, "shop.example", nil); err != nil {
		t.Fatal(err)
	}
	mustCode(t, db.DeleteRPZAllow(ctx, "shop.example", nil), errs.NotFound)

	if s, err := db.RPZLastSerial(ctx, "f1/s1"); err != nil || s != 0 {
		t.Fatalf("empty journal serial %d %v", s, err)
	}
	for i := uint32(1); i <= 3; i++ {
		d := rpz.Delta{From: i, To: i + 1, Added: []rpz.Record{{Owner: "a.example", Target: "."}}}
		if err := db.AppendRPZJournal(ctx, "f1/s1", d, t0); err != nil {
			t.Fatal(err)
		}
	}
	mustCode(t, db.AppendRPZJournal(ctx, "f1/s1", rpz.Delta{From: 3, To: 4}, t0), errs.Conflict)
	if s, err := db.RPZLastSerial(ctx, "f1/s1"); err != nil || s != 4 {
		t.Fatalf("last serial %d %v", s, err)
	}
	j, err := db.RPZJournal(ctx, "f1/s1", 2)
	if err != nil || len(j) != 2 || j[0].From != 2 || len(j[0].Added) != 1 {
		t.Fatalf("journal %+v %v", j, err)
	}
}
