package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/ledger"
	"github.com/kyojo-hub/kyojo/internal/server"
)

// jstDay is the date of t in Japan time, as a date input sends it.
func jstDay(t time.Time) string { return t.In(time.FixedZone("JST", 9*3600)).Format("2006-01-02") }

func requestForm(tok string) url.Values {
	now := time.Now()
	return url.Values{"csrf": {tok}, "reference": {"2026-捜-0123"}, "legal_basis": {"刑事訴訟法第197条第2項（捜査関係事項照会）"},
		"scope.kinds": {"audit"}, "scope.org_id": {""},
		"scope.since": {jstDay(now.Add(-24 * time.Hour))}, "scope.until": {jstDay(now)}}
}

func TestEvidenceRequestFlow(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	h.Anchor(t) // the seeding's audit records are the retained data the request asks for

	officer := signIn(t, h, "officer")
	_, body, _ := officer.get("/")
	wantContains(t, "officer's navigation", body, `href="/evidence"`, `href="/ledger"`)
	if strings.Contains(body, `href="/retention"`) {
		t.Error("the officer is offered the retention page")
	}

	// A form with errors comes back with them next to the fields, values kept.
	f := requestForm(officer.token("/evidence/new", "/evidence/new"))
	f.Del("scope.kinds")
	f.Set("scope.until", "2000-01-01")
	status, body, _ := officer.post("/evidence/new", f)
	wantStatus(t, "bad request form", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad request form", body, `id="e-scope.kinds"`, `id="e-scope.until"`, `value="2026-捜-0123"`)

	status, body, resp := officer.post("/evidence/new", requestForm(officer.token("/evidence/new", "/evidence/new")))
	wantStatus(t, "file request", status, http.StatusSeeOther, body)
	loc := resp.Header.Get("Location")
	if !strings.HasPrefix(loc, "/evidence/") {
		t.Fatalf("redirect to %q", loc)
	}
	_, body, _ = officer.get("/evidence")
	wantContains(t, "officer's list", body, "2026-捜-0123", loc, "審査待ち", "監査ログ")
	_, body, _ = officer.get(loc)
	wantContains(t, "officer's request", body, "kyojo ledger verify BUNDLE --key KEY", key(h))
	if strings.Contains(body, "/approve") || strings.Contains(body, "/bundle") {
		t.Error("the officer is offered to approve, or a bundle, before approval")
	}

	// bob is no law-enforcement officer: refused, nothing stored.
	bob := signIn(t, h, "bob")
	status, body, _ = bob.get("/evidence/new")
	wantStatus(t, "bob opens the form", status, http.StatusForbidden, body)
	status, body, _ = bob.post("/evidence/new", requestForm(bob.tok()))
	wantStatus(t, "bob files", status, http.StatusForbidden, body)
	if strings.Contains(body, `href="/evidence"`) {
		t.Error("bob is shown the evidence requests")
	}
	all, err := h.Evidence.Requests(t.Context(), h.Actor("admin"))
	if err != nil || len(all) != 1 {
		t.Fatalf("requests stored: %d, %v", len(all), err)
	}

	// Another organisation does not learn the request exists.
	carol := signIn(t, h, "carol")
	status, _, _ = carol.get(loc)
	wantStatus(t, "carol reads the request", status, http.StatusNotFound, "")
	status, _, _ = carol.post(loc+"/bundle", url.Values{"csrf": {carol.tok()}})
	wantStatus(t, "carol downloads", status, http.StatusNotFound, "")

	// The officer may not download before approval.
	status, body, _ = officer.post(loc+"/bundle", url.Values{"csrf": {officer.tok()}})
	wantStatus(t, "bundle before approval", status, http.StatusConflict, body)
	wantContains(t, "bundle before approval", body, "承認済みの請求のみ")

	admin := signIn(t, h, "admin")
	_, body, _ = admin.get("/")
	wantContains(t, "admin's navigation", body, `href="/evidence"`, `href="/retention"`, `href="/ledger"`)
	status, body, _ = admin.post(loc+"/approve", url.Values{"csrf": {admin.token(loc, loc+"/approve")}, "note": {"Warrant checked."}})
	wantStatus(t, "approve", status, http.StatusSeeOther, body)
	_, body, _ = admin.get(loc)
	wantContains(t, "approved", body, "Approved", "Warrant checked.", "officer")
	if strings.Contains(body, loc+"/approve") {
		t.Error("a decided request still offers approval")
	}
	status, body, _ = admin.post(loc+"/reject", url.Values{"csrf": {admin.tok()}})
	wantStatus(t, "decide twice", status, http.StatusConflict, body)
	wantContains(t, "decide twice", body, "already been decided")

	status, bundle, resp := officer.post(loc+"/bundle", url.Values{"csrf": {officer.token(loc, loc+"/bundle")}})
	wantStatus(t, "download", status, http.StatusOK, bundle)
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/json" ||
		!strings.HasPrefix(cd, "attachment;") {
		t.Errorf("download headers: %q, %q", ct, cd)
	}
	if err := ledger.VerifyBundle([]byte(bundle), h.Ledger.VerifierKey()); err != nil {
		t.Fatalf("the downloaded bundle does not verify: %v", err)
	}
	_, body, _ = officer.get(loc)
	wantContains(t, "produced", body, "提供済み", resp.Header.Get("X-Bundle-SHA256"))
}

func TestAuthorMayNotApprove(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	// The officer, author of the request and no hub administrator, may not
	// decide on it even by posting the form directly.
	officer := signIn(t, h, "officer")
	status, body, resp := officer.post("/evidence/new", requestForm(officer.token("/evidence/new", "/evidence/new")))
	wantStatus(t, "file request", status, http.StatusSeeOther, body)
	id := strings.TrimPrefix(resp.Header.Get("Location"), "/evidence/")
	status, body, _ = officer.post("/evidence/"+id+"/approve", url.Values{"csrf": {officer.tok()}})
	wantStatus(t, "officer approves", status, http.StatusForbidden, body)
	if got, _ := h.Evidence.Request(t.Context(), h.Actor("admin"), id); got.Status != evidence.Pending {
		t.Fatalf("status %s after a refused approval", got.Status)
	}
}

func TestRetentionForms(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	mof := h.Orgs["mof"].ID
	// An old record of mof's, so that a short period would erase it at once.
	old := audit.Record{Time: time.Now().Add(-30 * 24 * time.Hour).UTC().Truncate(time.Microsecond), ActorName: "system",
		Action: "org.update", ObjectType: "organization", ObjectID: mof, ObjectOrg: mof, Outcome: audit.Success, Via: "system"}
	if err := h.DB.Transact(t.Context(), func(tx identity.Tx) error { return tx.AppendAudit(t.Context(), &old) }); err != nil {
		t.Fatal(err)
	}
	h.Anchor(t)

	admin := signIn(t, h, "admin")
	status, body, resp := admin.post("/retention/rules", url.Values{"csrf": {admin.token("/retention", "/retention/rules")},
		"kind": {"events"}, "org": {""}, "days": {"400"}})
	wantStatus(t, "set rule", status, http.StatusSeeOther, body)
	_, body, _ = admin.get(resp.Header.Get("Location"))
	wantContains(t, "rule listed", body, "The retention rule was saved.", "Shared events", "400")

	status, body, _ = admin.post("/retention/rules", url.Values{"csrf": {admin.tok()}, "kind": {"dns"}, "days": {"0"}})
	wantStatus(t, "bad rule", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "bad rule", body, `id="e-kind"`, `id="e-days"`, "1 to 36500")

	status, body, _ = admin.post("/retention/holds", url.Values{"csrf": {admin.token("/retention", "/retention/holds")},
		"hold_org": {mof}, "hold_kind": {""}, "reason": {"Investigation 2026-7"}})
	wantStatus(t, "place hold", status, http.StatusSeeOther, body)
	status, body, _ = admin.post("/retention/holds", url.Values{"csrf": {admin.tok()}, "reason": {" "}})
	wantStatus(t, "hold without reason", status, http.StatusUnprocessableEntity, body)
	wantContains(t, "hold without reason", body, `id="e-reason"`)

	// A rule that would at once erase held data is refused, on the page.
	status, body, _ = admin.post("/retention/rules", url.Values{"csrf": {admin.tok()}, "kind": {"audit"}, "org": {mof}, "days": {"7"}})
	wantStatus(t, "rule under hold", status, http.StatusConflict, body)
	wantContains(t, "rule under hold", body, "under a legal hold", "Investigation 2026-7", `id="e-days"`, `value="7"`)

	holds, err := h.Evidence.Holds(t.Context(), h.Actor("admin"))
	if err != nil || len(holds) != 1 || holds[0].OrgID != mof {
		t.Fatalf("holds: %+v, %v", holds, err)
	}
	status, body, _ = admin.post("/retention/holds/"+holds[0].ID+"/release", url.Values{"csrf": {admin.tok()}})
	wantStatus(t, "release", status, http.StatusSeeOther, body)
	status, body, _ = admin.post("/retention/rules", url.Values{"csrf": {admin.tok()}, "kind": {"audit"}, "org": {mof}, "days": {"7"}})
	wantStatus(t, "rule after release", status, http.StatusSeeOther, body)
	rules, _ := h.Evidence.Rules(t.Context(), h.Actor("admin"))
	if len(rules) != 2 {
		t.Fatalf("rules: %+v", rules)
	}
	status, body, _ = admin.post("/retention/rules/"+rules[0].ID+"/delete", url.Values{"csrf": {admin.tok()}})
	wantStatus(t, "delete rule", status, http.StatusSeeOther, body)

	alice := signIn(t, h, "alice")
	status, body, _ = alice.get("/retention")
	wantStatus(t, "alice opens retention", status, http.StatusForbidden, body)
	status, body, _ = alice.post("/retention/rules", url.Values{"csrf": {alice.tok()}, "kind": {"audit"}, "days": {"1"}})
	wantStatus(t, "alice sets a rule", status, http.StatusForbidden, body)
	if rules, _ := h.Evidence.Rules(t.Context(), h.Actor("admin")); len(rules) != 1 {
		t.Fatalf("rules after alice: %+v", rules)
	}
}

func TestLedgerAndAuditProof(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	admin := signIn(t, h, "admin")
	recs, err := h.Svc.ListAudit(t.Context(), h.Actor("admin"), audit.Filter{Limit: 1})
	if err != nil || len(recs) == 0 {
		t.Fatalf("audit: %v", err)
	}
	proof := "/audit/" + strconv.FormatInt(recs[0].Seq, 10) + "/proof"
	_, body, _ := admin.get("/audit")
	wantContains(t, "audit list links proofs", body, `href="`+proof+`"`)

	status, body, _ := admin.get(proof)
	wantStatus(t, "proof before anchoring", status, http.StatusOK, body)
	wantContains(t, "proof before anchoring", body, "Not anchored yet")
	_, body, _ = admin.get("/ledger")
	wantContains(t, "ledger before", body, "test/ledger", key(h))

	h.Anchor(t)
	status, body, _ = admin.get(proof)
	wantStatus(t, "proof after anchoring", status, http.StatusOK, body)
	wantContains(t, "proof after anchoring", body, "Included", "included in the signed checkpoint of size", "Inclusion proof (")
	_, body, _ = admin.get("/ledger")
	info := h.Evidence.LedgerInfo()
	wantContains(t, "ledger after", body, `<pre id="checkpoint" class="checkpoint">test/ledger`, `href="/ledger/checkpoint"`, strconv.FormatUint(info.CheckpointSize, 10))

	// Everyone signed in sees the ledger; only who may read a record sees its proof.
	carol := signIn(t, h, "carol")
	status, body, _ = carol.get("/ledger")
	wantStatus(t, "carol reads the ledger", status, http.StatusOK, body)
	wantContains(t, "carol reads the ledger", body, key(h))
	status, _, _ = carol.get(proof)
	wantStatus(t, "carol reads a proof", status, http.StatusForbidden, "")
	status, _, _ = admin.get("/audit/999999/proof")
	wantStatus(t, "unknown record", status, http.StatusNotFound, "")
	status, _, _ = admin.get("/audit/x/proof")
	wantStatus(t, "bad record number", status, http.StatusNotFound, "")
}

// key is the hub's verifier key as html/template writes it.
func key(h *hubtest.Hub) string { return strings.ReplaceAll(h.Ledger.VerifierKey(), "+", "&#43;") }

// TestNoLedger runs the UI of a hub without a ledger: the evidence,
// retention and ledger pages do not exist, and nothing links to them.
func TestNoLedger(t *testing.T) {
	t.Parallel()
	h := hubtest.New(t)
	handler, _ := server.Handler(server.Services{Identity: h.Svc}, server.Options{Version: "test"})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	bare := *h
	bare.URL = srv.URL
	admin := signIn(t, &bare, "admin")
	_, body, _ := admin.get("/")
	for _, link := range []string{`href="/evidence"`, `href="/retention"`, `href="/ledger"`} {
		if strings.Contains(body, link) {
			t.Errorf("home page links %s", link)
		}
	}
	_, body, _ = admin.get("/audit")
	if strings.Contains(body, "/proof") {
		t.Error("the audit trail links ledger proofs")
	}
	for _, p := range []string{"/evidence", "/evidence/new", "/retention", "/ledger", "/audit/1/proof"} {
		status, _, _ := admin.get(p)
		wantStatus(t, "GET "+p, status, http.StatusNotFound, "")
	}
}
