package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// testPartners checks the partner registry: the service's writes with
// their audit records, sealed credentials, state, exchanges and deletion.
func testPartners(t *testing.T, db *store.DB) {
	ctx := t.Context()
	sys := identity.System("test")
	ids := identity.NewService(db, nil)
	cert, err := ids.CreateOrg(ctx, sys, identity.Org{Slug: "cert-x", Name: "CERT X", NameJA: "CERT X", Kind: identity.KindForeignCSIRT, Tier: 3, Country: "FR"})
	if err != nil {
		t.Fatal(err)
	}
	comm, err := ids.CreateCommunity(ctx, sys, identity.Community{Slug: "intl", Name: "International", NameJA: "国際", Members: []string{cert.ID}})
	if err != nil {
		t.Fatal(err)
	}
	seal, err := partner.NewSealer(bytes.Repeat([]byte("k"), 32))
	if err != nil {
		t.Fatal(err)
	}
	svc := partner.NewService(db.Partners(), db, seal, nil)
	in := partner.Input{Slug: "cert-x", Name: "CERT X", Country: "fr", Org: "cert-x",
		Contacts: []identity.Contact{{Name: "Duty", Email: "duty@cert-x.example"}},
		APIRoot:  "https://taxii.cert-x.example/api1", Collection: "91a7b528-80eb-42ed-a74d-c6fbd5a26116",
		Direction: partner.Both, Username: "kyojo", Secret: "s3cret-token-value",
		Markings: []policy.TLP{"TLP:GREEN", "clear"}, Types: []string{"indicator"}, Communities: []string{"intl"}, Inbound: []string{"intl"}, Interval: "1m"}

	// Only hub administrators, and the refusal is audited.
	bob := identity.Actor{Viewer: policy.Viewer{UserID: "u-bob", OrgID: cert.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	_, err = svc.Create(ctx, bob, in)
	mustCode(t, err, errs.Forbidden)
	_, err = svc.List(ctx, bob)
	mustCode(t, err, errs.Forbidden)

	p, err := svc.Create(ctx, sys, in)
	if err != nil {
		t.Fatal(err)
	}
	if p.APIRoot != "https://taxii.cert-x.example/api1/" || p.Country != "FR" || p.OrgID != cert.ID || p.Interval != time.Minute ||
		len(p.Policy.Markings) != 2 || p.Policy.Communities[0] != comm.ID || p.Inbound[0] != comm.ID {
		t.Fatalf("created %+v", p)
	}
	_, err = svc.Create(ctx, sys, in)
	mustCode(t, err, errs.Conflict)

	got, err := svc.Get(ctx, sys, "cert-x")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(got.Sealed, []byte("s3cret")) || !got.HasSecret {
		t.Fatalf("the credential is not sealed: %q", got.Sealed)
	}
	if s, err := svc.Secret(got); err != nil || s != "s3cret-token-value" {
		t.Fatalf("secret %q %v", s, err)
	}
	// A sealed value moved to another partner does not open.
	other := got
	other.ID = "another"
	if _, err := svc.Secret(other); err == nil {
		t.Fatal("a sealed credential opened for another partner")
	}

	// Update keeps the secret when none is given; bookmarks survive.
	st := partner.State{PullAfter: t0, PushSeq: 42, Failures: 2, LastAttempt: t0.Add(time.Minute), LastError: "boom"}
	err = db.Partners().Transact(ctx, func(tx partner.Tx) error {
		if err := tx.SavePartnerState(ctx, p.ID, st); err != nil {
			return err
		}
		for i := range 3 {
			if err := tx.AddExchange(ctx, partner.Exchange{PartnerID: p.ID, At: t0.Add(time.Duration(i) * time.Second), Direction: partner.Push,
				ObjectsOut: i, Duration: 1500 * time.Microsecond}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	in.Secret, in.Name = "", "CERT X (renamed)"
	u, err := svc.Update(ctx, sys, "cert-x", in)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Get(ctx, sys, p.ID)
	if got.Name != "CERT X (renamed)" || got.State.PushSeq != 42 || !got.State.PullAfter.Equal(t0) || got.State.LastError != "boom" || u.ID != p.ID {
		t.Fatalf("after update %+v", got)
	}
	if s, _ := svc.Secret(got); s != "s3cret-token-value" {
		t.Fatal("update without a secret lost it")
	}
	_, ex, err := svc.Exchanges(ctx, sys, "cert-x", 2)
	if err != nil || len(ex) != 2 || ex[0].ObjectsOut != 2 || ex[0].Duration != 1500*time.Microsecond || !ex[1].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("exchanges %+v %v", ex, err)
	}
	err = db.Partners().Transact(ctx, func(tx partner.Tx) error { return tx.PruneExchanges(ctx, p.ID, t0.Add(time.Second)) })
	if _, ex, _ := svc.Exchanges(ctx, sys, "cert-x", 10); err != nil || len(ex) != 2 || !ex[1].At.Equal(t0.Add(time.Second)) {
		t.Fatalf("after pruning: %+v %v", ex, err)
	}
	// Changing the endpoint resets the bookmarks.
	in.APIRoot = "https://taxii2.cert-x.example/api1/"
	if _, err := svc.Update(ctx, sys, "cert-x", in); err != nil {
		t.Fatal(err)
	}
	got, _ = svc.Get(ctx, sys, "cert-x")
	if got.State.PushSeq != 0 || !got.State.PullAfter.IsZero() {
		t.Fatalf("bookmarks kept across an endpoint change: %+v", got.State)
	}

	// Bad input is refused field by field, nothing written.
	bad := in
	bad.Slug, bad.APIRoot, bad.Direction, bad.Markings, bad.Org = "Bad Slug", "ftp://x", "sideways", []policy.TLP{"purple"}, "nobody"
	_, err = svc.Create(ctx, sys, bad)
	fs := errs.Fields(err)
	if len(fs) < 4 {
		t.Fatalf("bad input: %v", err)
	}
	if all, _ := svc.List(ctx, sys); len(all) != 1 {
		t.Fatalf("%d partners after a refused create", len(all))
	}

	// Every change is audited, and no record holds the credential.
	recs, err := db.ListAudit(ctx, audit.Filter{Action: "partner.", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var created, updated, denied int
	for _, r := range recs {
		if strings.Contains(string(r.Detail), "s3cret") {
			t.Fatalf("audit record holds the credential: %s", r.Detail)
		}
		switch {
		case r.Outcome == audit.Denied:
			denied++
		case r.Action == "partner.create":
			created++
		case r.Action == "partner.update":
			updated++
		}
	}
	if created != 1 || updated != 2 || denied != 1 {
		t.Fatalf("audit: %d created, %d updated, %d denied", created, updated, denied)
	}

	if err := svc.Delete(ctx, sys, "cert-x"); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Get(ctx, sys, "cert-x")
	mustCode(t, err, errs.NotFound)
	if n, err := db.Partners().MaxIntelSeq(ctx); err != nil || n != 0 {
		t.Fatalf("max seq of an empty store: %d %v", n, err)
	}
}

// testAddedOrder: date_added never decreases in store order, even when a
// write arrives with an earlier clock (a transaction that waited), and
// added_after selects exactly the rows added after the time.
func testAddedOrder(t *testing.T, db *store.DB) {
	ctx := t.Context()
	obj := func(n int, added time.Time) intel.Object {
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", n)
		return intel.Object{ID: id, Type: "indicator", Modified: t0, AddedAt: added, Source: "test",
			Raw: json.RawMessage(`{"id":"` + id + `"}`), Dist: policy.Distribution{TLP: policy.Clear}, TLP: policy.Clear}
	}
	// 1 and 2 at t0+2s; 3 arrives late with t0+1s; 4 with t0+3s, one by one.
	err := db.Intel().Transact(ctx, func(tx intel.Tx) error {
		if err := tx.PutNew(ctx, []intel.Object{obj(1, t0.Add(2*time.Second)), obj(2, t0.Add(2*time.Second))}); err != nil {
			return err
		}
		if err := tx.PutNew(ctx, []intel.Object{obj(3, t0.Add(time.Second))}); err != nil {
			return err
		}
		return tx.PutVersion(ctx, obj(4, t0.Add(3*time.Second)))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Intel().Transact(ctx, func(tx intel.Tx) error { return tx.PutVersion(ctx, obj(5, t0)) }); err != nil {
		t.Fatal(err)
	}
	all, err := db.Intel().List(ctx, intel.Filter{})
	if err != nil || len(all) != 5 {
		t.Fatalf("list: %d %v", len(all), err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].AddedAt.Before(all[i-1].AddedAt) {
			t.Fatalf("date_added decreases at seq %d: %v after %v", all[i].Seq, all[i].AddedAt, all[i-1].AddedAt)
		}
	}
	for _, c := range []struct {
		after time.Time
		want  int
	}{{t0.Add(-time.Second), 5}, {t0.Add(time.Second), 5}, {t0.Add(2 * time.Second), 2}, {t0.Add(3 * time.Second), 0}} {
		got, err := db.Intel().List(ctx, intel.Filter{AddedAfter: c.after})
		if err != nil || len(got) != c.want {
			t.Errorf("added_after %v: %d rows %v, want %d", c.after, len(got), err, c.want)
		}
		for _, g := range got {
			if !g.AddedAt.After(c.after) {
				t.Errorf("added_after %v served a row added %v", c.after, g.AddedAt)
			}
		}
	}
	// With a cursor as well: after the second row.
	got, _ := db.Intel().List(ctx, intel.Filter{AddedAfter: t0.Add(time.Second), AfterSeq: all[1].Seq})
	if len(got) != 3 {
		t.Fatalf("added_after with a cursor: %d", len(got))
	}
}
