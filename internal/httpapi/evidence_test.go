package httpapi_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/ledger"
)

// TestEvidenceRequestOverAPI walks a law-enforcement request from filing to
// an offline-verified bundle, with every refusal on the way.
func TestEvidenceRequestOverAPI(t *testing.T) {
	h := hubtest.New(t)
	admin, officer, bob, carol := h.Tokens["admin"], h.Tokens["officer"], h.Tokens["bob"], h.Tokens["carol"]

	p := problem(t, call(t, h, req{as: bob, method: "POST", path: "/evidence/requests", body: `{"reference":"R-1","legal_basis":"art. 197(2)","scope":{"kinds":["audit"],"since":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"}}`}), 403, "forbidden")
	if !names(p, "law-enforcement") {
		t.Errorf("refusal does not say why: %+v", p)
	}
	p = problem(t, call(t, h, req{as: officer, method: "POST", path: "/evidence/requests",
		body: `{"reference":"","legal_basis":"","scope":{"kinds":["dns"]}}`}), 422, "invalid")
	for _, f := range []string{"reference", "legal_basis", "scope.kinds[0]", "scope.since"} {
		if !names(p, f) {
			t.Errorf("bad request does not name %s: %+v", f, p.Errors)
		}
	}

	// A request whose scope covers everything the hub has done so far.
	var r evidence.Request
	now := time.Now().UTC()
	ok(t, h, req{as: officer, method: "POST", path: "/evidence/requests", body: map[string]any{"reference": "Tokyo DC 2026-77",
		"legal_basis": "art. 197(2)", "scope": map[string]any{"kinds": []string{"audit"}, "since": now.Add(-time.Hour), "until": now.Add(time.Hour)}}}, 201, &r)
	if r.Status != evidence.Pending {
		t.Fatalf("status %s", r.Status)
	}
	problem(t, call(t, h, req{as: carol, method: "GET", path: "/evidence/requests/" + r.ID}), 404, "not_found")
	problem(t, call(t, h, req{as: officer, method: "POST", path: "/evidence/requests/" + r.ID + "/bundle"}), 409, "conflict")
	problem(t, call(t, h, req{as: officer, method: "POST", path: "/evidence/requests/" + r.ID + "/approve", body: `{}`}), 403, "forbidden")
	ok(t, h, req{as: admin, method: "POST", path: "/evidence/requests/" + r.ID + "/approve", body: `{"note":"scope checked"}`}, 200, &r)
	if r.Status != evidence.Approved {
		t.Fatalf("status %s", r.Status)
	}
	problem(t, call(t, h, req{as: admin, method: "POST", path: "/evidence/requests/" + r.ID + "/reject", body: `{}`}), 409, "conflict")

	h.Anchor(t)
	problem(t, call(t, h, req{as: carol, method: "POST", path: "/evidence/requests/" + r.ID + "/bundle"}), 404, "not_found")
	res := ok(t, h, req{as: officer, method: "POST", path: "/evidence/requests/" + r.ID + "/bundle"}, 200, nil)
	if res.header.Get("X-Bundle-SHA256") == "" || res.header.Get("Content-Disposition") == "" {
		t.Errorf("bundle headers: %v", res.header)
	}
	var info evidence.Info
	ok(t, h, req{method: "GET", path: "/ledger"}, 200, &info) // public
	if err := ledger.VerifyBundle(res.body, info.VerifierKey); err != nil {
		t.Fatalf("bundle from the API does not verify offline: %v", err)
	}
	var list struct{ Items []evidence.Request }
	ok(t, h, req{as: carol, method: "GET", path: "/evidence/requests"}, 200, &list)
	if len(list.Items) != 0 {
		t.Fatalf("carol sees %d requests of the police", len(list.Items))
	}
	ok(t, h, req{as: officer, method: "GET", path: "/evidence/requests"}, 200, &list)
	if len(list.Items) != 1 || list.Items[0].Status != evidence.Produced || list.Items[0].Entries == 0 {
		t.Fatalf("officer's requests: %+v", list.Items)
	}
}

// TestLedgerProofsOverAPI checks that an audit record's proof from the API
// verifies against the signed checkpoint, with only the public key.
func TestLedgerProofsOverAPI(t *testing.T) {
	h := hubtest.New(t)
	carol := h.Tokens["carol"]
	var st evidence.ProofStatus
	ok(t, h, req{as: carol, method: "GET", path: "/audit/1/proof"}, 200, &st)
	if st.Anchored {
		t.Fatal("anchored before the anchor ran")
	}
	h.Anchor(t)
	ok(t, h, req{as: carol, method: "GET", path: "/audit/1/proof"}, 200, &st)
	if !st.Anchored || !st.Covered || st.Checkpoint == "" {
		t.Fatalf("proof status: %+v", st)
	}
	var info evidence.Info
	ok(t, h, req{method: "GET", path: "/ledger"}, 200, &info)
	tree, _, err := ledger.OpenCheckpoint([]byte(st.Checkpoint), info.VerifierKey)
	if err != nil {
		t.Fatal(err)
	}
	proof := make([]ledger.Hash, len(st.Proof))
	for i, p := range st.Proof {
		proof[i] = ledger.Hash(p)
	}
	if err := ledger.VerifyInclusion(proof, tree.Size, tree.Root, st.Index, ledger.Hash(st.LeafHash)); err != nil {
		t.Fatalf("inclusion proof does not verify: %v", err)
	}
	// The same through the generic proof endpoint, and a consistency proof.
	var inc evidence.Inclusion
	ok(t, h, req{as: carol, method: "GET", path: "/ledger/proofs/inclusion?index=" + strconv.FormatUint(st.Index, 10)}, 200, &inc)
	if inc.LeafHash != st.LeafHash || len(inc.Proof) != len(st.Proof) {
		t.Fatalf("inclusion: %+v", inc)
	}
	var cons evidence.Consistency
	ok(t, h, req{as: carol, method: "GET", path: "/ledger/proofs/consistency?old=1"}, 200, &cons)
	if cons.New != tree.Size {
		t.Fatalf("consistency: %+v", cons)
	}
	problem(t, call(t, h, req{as: carol, method: "GET", path: "/ledger/proofs/inclusion?index=999999"}), 422, "invalid")
	problem(t, call(t, h, req{as: carol, method: "GET", path: "/ledger/proofs/inclusion?index=x"}), 400, "malformed")
	problem(t, call(t, h, req{method: "GET", path: "/ledger/proofs/inclusion?index=0"}), 401, "unauthenticated")
	// The public checkpoint endpoint serves the same note.
	res, err := h.Server.Client().Get(h.URL + "/ledger/checkpoint")
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /ledger/checkpoint: %v %v", res, err)
	}
	res.Body.Close()
}

func TestRetentionOverAPI(t *testing.T) {
	h := hubtest.New(t)
	admin, alice := h.Tokens["admin"], h.Tokens["alice"]
	problem(t, call(t, h, req{as: alice, method: "POST", path: "/retention/rules", body: `{"kind":"audit","days":30}`}), 403, "forbidden")
	p := problem(t, call(t, h, req{as: admin, method: "POST", path: "/retention/rules", body: `{"kind":"dns","days":0}`}), 422, "invalid")
	if !names(p, "kind") || !names(p, "days") {
		t.Errorf("bad rule: %+v", p.Errors)
	}
	problem(t, call(t, h, req{as: admin, method: "POST", path: "/retention/rules", body: `{"kind":"audit","days":30,"org":"nowhere"}`}), 422, "invalid")
	var rule evidence.Rule
	ok(t, h, req{as: admin, method: "POST", path: "/retention/rules", body: `{"kind":"audit","days":400,"org":"mof"}`}, 201, &rule)
	if rule.OrgID != h.Orgs["mof"].ID {
		t.Fatalf("rule org %q", rule.OrgID)
	}
	var hold evidence.Hold
	ok(t, h, req{as: admin, method: "POST", path: "/retention/holds", body: `{"org":"mof","reason":"investigation 12"}`}, 201, &hold)
	problem(t, call(t, h, req{as: alice, method: "GET", path: "/retention/holds"}), 403, "forbidden")
	var rules struct{ Items []evidence.Rule }
	ok(t, h, req{as: alice, method: "GET", path: "/retention/rules"}, 200, &rules) // members may see how long data is kept
	if len(rules.Items) != 1 {
		t.Fatalf("rules: %+v", rules.Items)
	}
	ok(t, h, req{as: admin, method: "POST", path: "/retention/holds/" + hold.ID + "/release"}, 204, nil)
	problem(t, call(t, h, req{as: admin, method: "POST", path: "/retention/holds/" + hold.ID + "/release"}), 404, "not_found")
	ok(t, h, req{as: admin, method: "DELETE", path: "/retention/rules/" + rule.ID}, 204, nil)
}
