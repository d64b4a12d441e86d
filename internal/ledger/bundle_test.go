package ledger

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

var testCustody = CustodyRecord{
	RequestRef:  "NPA-2026-0042",
	LegalBasis:  "Code of Criminal Procedure art. 197(3)",
	RequestedBy: "Inspector Sato, National Police Agency",
	ApprovedBy:  "Duty officer Tanaka, NISC",
	ProducedAt:  time.Date(2026, 11, 28, 4, 0, 0, 0, time.UTC),
}

// bundleFixture returns a ledger with a checkpoint at 20, an erased entry 5
// and 30 entries, and a bundle of entries 2, 5 and 7.
func bundleFixture(t *testing.T) (*Log, []byte) {
	t.Helper()
	l := open(t, t.TempDir())
	appendN(t, l, 20)
	if _, err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	appendN(t, l, 10)
	if _, err := l.DeletePayload(t.Context(), 5, "retention"); err != nil {
		t.Fatal(err)
	}
	b, err := l.Bundle(t.Context(), []uint64{7, 2, 5, 2}, testCustody)
	if err != nil {
		t.Fatal(err)
	}
	return l, b
}

func TestBundle(t *testing.T) {
	l, raw := bundleFixture(t)
	if err := VerifyBundle(raw, l.VerifierKey()); err != nil {
		t.Fatalf("VerifyBundle: %v", err)
	}
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.Entries) != 3 || !b.Entries[1].PayloadDeleted || b.Entries[1].Payload != nil || string(b.Entries[0].Payload) != string(payload(2)) {
		t.Fatalf("entries = %+v", b.Entries)
	}
	if b.Earliest == nil || b.Earliest.TreeSize != 20 || b.TreeSize != 32 {
		t.Fatalf("earliest = %+v, tree size %d", b.Earliest, b.TreeSize)
	}
	if c, _ := l.Entry(b.CustodyLeaf.Index); c.Kind != kindCustody {
		t.Fatalf("custody entry not logged: %+v", c)
	}
	if _, err := l.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}
	bad := testCustody
	bad.ApprovedBy = " "
	if _, err := l.Bundle(t.Context(), []uint64{1}, bad); errs.Fields(err)[0].Field != "custody.approved_by" {
		t.Fatalf("Bundle without approver = %v", err)
	}
	if _, err := l.Bundle(t.Context(), []uint64{1000}, testCustody); !errs.Is(err, errs.NotFound) {
		t.Fatalf("Bundle of an unknown index = %v", err)
	}
}

func TestVerifyBundleFindsTampering(t *testing.T) {
	l, raw := bundleFixture(t)
	otherKeyS, otherKeyV, _ := note.GenerateKey(rand.Reader, l.Origin())
	_ = otherKeyS
	forged := func(b *bundle, text string) string {
		s, _ := note.NewSigner(otherKeyS)
		out, _ := note.Sign(&note.Note{Text: text}, s)
		return string(out)
	}
	for _, tc := range []struct {
		name string
		edit func(b *bundle)
		key  string
		want string
	}{
		{"swapped proofs", func(b *bundle) {
			b.Entries[0].InclusionProof, b.Entries[2].InclusionProof = b.Entries[2].InclusionProof, b.Entries[0].InclusionProof
		}, "", "entry 0 (ledger index 2): inclusion proof"},
		{"payload byte", func(b *bundle) { b.Entries[2].Payload[3] ^= 1 }, "", "entry 2 (ledger index 7): payload does not match"},
		{"leaf hash and payload", func(b *bundle) {
			b.Entries[0].Payload = []byte("forged")
			b.Entries[0].LeafHash = LeafHash(b.Entries[0].Kind, b.Entries[0].Payload)
		}, "", "entry 0 (ledger index 2): inclusion proof"},
		{"index", func(b *bundle) { b.Entries[0].Index = 3 }, "", "ledger index 3): inclusion proof"},
		{"deleted with payload", func(b *bundle) { b.Entries[1].Payload = []byte("x") }, "", "payload present but marked deleted"},
		{"wrong key", func(b *bundle) {}, otherKeyV, "names verifier key"},
		{"forged checkpoint, other key", func(b *bundle) {
			b.Checkpoint = forged(b, string(Tree{b.Origin, b.TreeSize, b.RootHash}.MarshalCheckpoint()))
		}, "", "no valid signature"},
		{"forged root", func(b *bundle) {
			b.Checkpoint = strings.Replace(b.Checkpoint, b.RootHash.String(), Hash{1}.String(), 1)
		}, "", "invalid signature"},
		{"tree size", func(b *bundle) { b.TreeSize-- }, "", "differ from the signed checkpoint"},
		{"consistency proof", func(b *bundle) { b.Earliest.ConsistencyProof[0][0] ^= 1 }, "", "consistency proof fails"},
		{"custody", func(b *bundle) { b.Custody.ApprovedBy = "nobody" }, "", "custody record differs"},
		{"entry after earliest", func(b *bundle) { b.Earliest.TreeSize = 5 }, "", "earliest tree_size or root_hash differ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bundle
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatal(err)
			}
			tc.edit(&b)
			key := l.VerifierKey()
			if tc.key != "" {
				key = tc.key
			}
			out, _ := json.Marshal(b)
			err := VerifyBundle(out, key)
			if !errors.Is(err, ErrTampered) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("VerifyBundle = %v, want ErrTampered saying %q", err, tc.want)
			}
		})
	}
	if err := VerifyBundle([]byte(`{"format":"kyojo-ledger-bundle/v1","extra":1}`), l.VerifierKey()); !errs.Is(err, errs.Malformed) {
		t.Fatalf("unknown field = %v", err)
	}
}
