package ledger_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/kyojo-hub/kyojo/internal/ledger"
)

// Append an entry, take a signed checkpoint, and check the entry's
// inclusion proof against it with only the public key.
func Example() {
	dir, _ := os.MkdirTemp("", "ledger")
	defer os.RemoveAll(dir)
	ctx := context.Background()

	l, err := ledger.Open(dir, ledger.Options{Origin: "ledger.kyojo.example", CheckpointInterval: -1})
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	i, err := l.Append(ctx, "audit", []byte(`{"v":1,"seq":1,"action":"org.create"}`))
	if err != nil {
		log.Fatal(err)
	}
	signed, _ := l.Checkpoint()

	// A verifier holding only l.VerifierKey():
	tree, _, err := ledger.OpenCheckpoint(signed, l.VerifierKey())
	if err != nil {
		log.Fatal(err)
	}
	proof, _ := l.InclusionProof(i, tree.Size)
	leaf := ledger.LeafHash("audit", []byte(`{"v":1,"seq":1,"action":"org.create"}`))
	fmt.Println(tree.Size, ledger.VerifyInclusion(proof, tree.Size, tree.Root, i, leaf))
	// Output: 1 <nil>
}
