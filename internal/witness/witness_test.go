package witness_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/ledger"
	"github.com/kyojo-hub/kyojo/internal/witness"
)

// TestTwoHubs: hub B witnesses hub A's ledger over HTTP, twice, and refuses a
// checkpoint that does not prove it extends what B co-signed.
func TestTwoHubs(t *testing.T) {
	a, b := hubtest.New(t), hubtest.New(t)
	ctx := t.Context()
	a.Anchor(t)
	c := witness.Client{URL: b.URL, Token: b.Tokens["admin"]}

	// Someone without the right at B is refused.
	if err := witness.Round(ctx, a.Evidence, witness.Client{URL: b.URL, Token: b.Tokens["carol"]}); err == nil {
		t.Fatal("an ISP analyst at B had A's checkpoint co-signed")
	}
	if err := witness.Round(ctx, a.Evidence, c); err != nil {
		t.Fatal(err)
	}
	first := a.Evidence.LedgerInfo()
	if first.Cosigned == "" {
		t.Fatal("no co-signed checkpoint kept")
	}
	bKey := b.Ledger.VerifierKey()
	tree, err := ledger.VerifyCosigned([]byte(first.Cosigned), first.VerifierKey, bKey)
	if err != nil {
		t.Fatal(err)
	}

	// A grows; B co-signs again, given a consistency proof.
	a.Svc.CreateOrg(ctx, identity.System("test"), identity.Org{Slug: "more", Name: "More", Kind: identity.KindSME})
	a.Anchor(t)
	if err := witness.Round(ctx, a.Evidence, c); err != nil {
		t.Fatal(err)
	}
	second := a.Evidence.LedgerInfo()
	tree2, err := ledger.VerifyCosigned([]byte(second.Cosigned), second.VerifierKey, bKey)
	if err != nil || tree2.Size <= tree.Size {
		t.Fatalf("second co-signature: %+v %v", tree2, err)
	}

	// A larger checkpoint without the consistency proof: B refuses (409).
	a.Svc.CreateOrg(ctx, identity.System("test"), identity.Org{Slug: "most", Name: "Most", Kind: identity.KindSME})
	a.Anchor(t)
	note, _, _ := a.Evidence.ConsistencyFrom(0)
	body, _ := json.Marshal(evidence.CosignInput{Checkpoint: string(note), VerifierKey: second.VerifierKey, Proof: []evidence.Hash{{1}}})
	req, _ := http.NewRequestWithContext(ctx, "POST", b.URL+"/api/v1/ledger/cosign", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.Tokens["admin"])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Fatalf("inconsistent checkpoint: status %d, want 409", resp.StatusCode)
	}
}
