package ledger

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/kyojo-hub/kyojo/internal/evidence"
)

// Evidence adapts a Log to the evidence part's Ledger interface.
type Evidence struct{ Log *Log }

var _ evidence.Ledger = Evidence{}

// Append implements evidence.Ledger.
func (e Evidence) Append(ctx context.Context, items []evidence.Item) (uint64, error) {
	batch := make([]Item, len(items))
	for i, it := range items {
		batch[i] = Item{Kind: it.Kind, Payload: it.Payload}
	}
	return e.Log.AppendBatch(ctx, batch)
}

// Size implements evidence.Ledger.
func (e Evidence) Size() uint64 { return e.Log.Size() }

// Entry implements evidence.Ledger.
func (e Evidence) Entry(i uint64) (string, []byte, error) {
	en, err := e.Log.Entry(i)
	return en.Kind, en.Payload, err
}

// Bundle implements evidence.Ledger.
func (e Evidence) Bundle(ctx context.Context, indexes []uint64, c evidence.Custody) ([]byte, error) {
	return e.Log.Bundle(ctx, indexes, CustodyRecord{RequestRef: c.RequestRef, LegalBasis: c.LegalBasis,
		RequestedBy: c.RequestedBy, ApprovedBy: c.ApprovedBy})
}

// Erase implements evidence.Ledger.
func (e Evidence) Erase(ctx context.Context, i uint64, reason string) error {
	_, err := e.Log.DeletePayload(ctx, i, reason)
	return err
}

var _ evidence.Prover = Evidence{}

// Origin implements evidence.Prover.
func (e Evidence) Origin() string { return e.Log.Origin() }

// VerifierKey implements evidence.Prover.
func (e Evidence) VerifierKey() string { return e.Log.VerifierKey() }

// Latest implements evidence.Prover: the latest stored checkpoint and its
// tree size, without signing a new one (nil and 0 before the first).
func (e Evidence) Latest() ([]byte, uint64) {
	l := e.Log
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	if l.latest.note == nil {
		return nil, 0
	}
	return append([]byte(nil), l.latest.note...), l.latest.tree.Size
}

// InclusionProof implements evidence.Prover.
func (e Evidence) InclusionProof(i, size uint64) ([]evidence.Hash, error) {
	p, err := e.Log.InclusionProof(i, size)
	return hashes(p), err
}

// ConsistencyProof implements evidence.Prover.
func (e Evidence) ConsistencyProof(old, new uint64) ([]evidence.Hash, error) {
	p, err := e.Log.ConsistencyProof(old, new)
	return hashes(p), err
}

// LeafHash implements evidence.Prover.
func (e Evidence) LeafHash(i uint64) (evidence.Hash, error) {
	en, err := e.Log.Entry(i)
	return evidence.Hash(en.LeafHash), err
}

func hashes(p []Hash) []evidence.Hash {
	out := make([]evidence.Hash, len(p))
	for i, h := range p {
		out[i] = evidence.Hash(h)
	}
	return out
}

// Cosign implements evidence.Ledger: co-sign another log's checkpoint as
// its witness (see Log.Cosign).
func (e Evidence) Cosign(ctx context.Context, signed []byte, logKey string, proof []evidence.Hash) ([]byte, error) {
	p := make([]Hash, len(proof))
	for i, h := range proof {
		p[i] = Hash(h)
	}
	return e.Log.Cosign(ctx, signed, logKey, p)
}

// Witnessed implements evidence.Ledger: the size of the last checkpoint of
// origin this instance co-signed (0 if none).
func (e Evidence) Witnessed(origin string) (uint64, error) {
	sum := sha256.Sum256([]byte(origin))
	b, err := os.ReadFile(filepath.Join(e.Log.dir, witnessDir, hex.EncodeToString(sum[:16])+".json"))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, ioErr(err, "read witness state")
	}
	var w witnessed
	if err := json.Unmarshal(b, &w); err != nil || w.Origin != origin {
		return 0, ioErr(errors.New("witness state damaged"), origin)
	}
	return w.Size, nil
}

const cosignedFile = "cosigned.note"

// SaveCosigned implements evidence.Ledger: keep the latest checkpoint of
// this log that a witness co-signed, after checking it is this log's.
func (e Evidence) SaveCosigned(signed []byte) error {
	if _, _, err := OpenCheckpoint(signed, e.Log.VerifierKey()); err != nil {
		return err
	}
	return writeFileSync(filepath.Join(e.Log.dir, cosignedFile), signed, 0o644)
}

// Cosigned implements evidence.Prover: the latest co-signed checkpoint, or nil.
func (e Evidence) Cosigned() []byte {
	b, err := os.ReadFile(filepath.Join(e.Log.dir, cosignedFile))
	if err != nil {
		return nil
	}
	return b
}
