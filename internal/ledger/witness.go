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

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

const witnessDir = "witness"

// witnessed is what a witness remembers per origin: the last tree it
// co-signed.
type witnessed struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"`
	Root   Hash   `json:"root"`
}

// Cosign acts as a witness for another log: it verifies the signed
// checkpoint with that log's verifier key logKey, checks that it extends the
// last checkpoint this instance co-signed for the same origin (proof is the
// consistency proof from that size to the new one, from the other log's
// ConsistencyProof; ignored the first time, trust on first use), saves the
// new size and root, and returns the note with this instance's Ed25519
// co-signature added after the existing signatures.
//
// A checkpoint smaller than, or at the same size but with another root than,
// the last co-signed one, or a failing proof, is errs.Conflict wrapping
// ErrInconsistent; a bad signature wraps ErrTampered. The witness state MUST
// only move forward: it is saved (and synced) before the co-signature is
// returned.
func (l *Log) Cosign(ctx context.Context, signed []byte, logKey string, proof []Hash) ([]byte, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	t, n, err := OpenCheckpoint(signed, logKey)
	if err != nil {
		return nil, err
	}
	l.witnessMu.Lock()
	defer l.witnessMu.Unlock()
	sum := sha256.Sum256([]byte(t.Origin))
	path := filepath.Join(l.dir, witnessDir, hex.EncodeToString(sum[:16])+".json")
	var last witnessed
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, ioErr(err, "read witness state")
	default:
		if err := json.Unmarshal(b, &last); err != nil || last.Origin != t.Origin {
			return nil, ioErr(errors.New("witness state damaged"), path)
		}
		switch {
		case t.Size < last.Size:
			return nil, inconsistent("checkpoint of %s has size %d, older than the co-signed %d", t.Origin, t.Size, last.Size)
		case t.Size == last.Size && t.Root != last.Root:
			return nil, inconsistent("checkpoint of %s at size %d has another root than the co-signed one: the log forked", t.Origin, t.Size)
		case t.Size > last.Size && VerifyConsistency(proof, t.Size, t.Root, last.Size, last.Root) != nil:
			return nil, inconsistent("checkpoint of %s (size %d) is not consistent with the co-signed size %d", t.Origin, t.Size, last.Size)
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, ioErr(err, "create witness directory")
	}
	st, _ := json.Marshal(witnessed{Origin: t.Origin, Size: t.Size, Root: t.Root})
	if err := writeFileSync(path, st, 0o600); err != nil {
		return nil, err
	}
	// Keep the signatures Open could not verify (other witnesses).
	n.Sigs = append(n.Sigs, n.UnverifiedSigs...)
	n.UnverifiedSigs = nil
	out, err := note.Sign(n, l.signer)
	return out, ioErr(err, "co-sign checkpoint")
}

func inconsistent(format string, args ...any) error {
	e := errs.E(errs.Conflict, format, args...)
	e.Err = ErrInconsistent
	return e
}

// VerifyCosigned checks a checkpoint signed by the log (logKey) and
// co-signed by a witness (witnessKey) and returns its tree. Both signatures
// MUST be present and valid; a missing or bad one wraps ErrTampered.
func VerifyCosigned(signed []byte, logKey, witnessKey string) (Tree, error) {
	t, _, err := OpenCheckpoint(signed, logKey)
	if err != nil {
		return Tree{}, err
	}
	wv, err := note.NewVerifier(witnessKey)
	if err != nil {
		return Tree{}, errs.F(errs.Invalid, "witness_key", "not a note verifier key: %v", err)
	}
	if _, err := note.Open(signed, note.VerifierList(wv)); err != nil {
		return Tree{}, tampered("checkpoint: no valid co-signature by witness %s", wv.Name())
	}
	return t, nil
}
