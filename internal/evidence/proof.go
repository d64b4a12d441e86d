package evidence

import (
	"context"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// ProofStatus says where an audit record stands in the ledger.
type ProofStatus struct {
	Seq        int64  `json:"seq"`
	Anchored   bool   `json:"anchored"`              // appended to the ledger
	Index      uint64 `json:"index"`                 // its ledger index, when anchored
	LeafHash   Hash   `json:"leaf_hash"`             // RFC 6962 leaf hash
	Erased     bool   `json:"payload_erased"`        // retention erased the payload; the hash stays
	TreeSize   uint64 `json:"tree_size"`             // size of the checkpoint the proof is against
	Checkpoint string `json:"checkpoint,omitempty"`  // that signed checkpoint (C2SP note)
	Proof      []Hash `json:"inclusion_proof"`       // empty until a checkpoint covers the entry
	Covered    bool   `json:"covered_by_checkpoint"` // a signed checkpoint includes the entry
}

// AuditProof returns the proof status of audit record seq: whether it is in
// the ledger and, once a checkpoint covers it, its inclusion proof against
// that checkpoint. Proofs carry hashes only; every member may ask.
func (s *Service) AuditProof(ctx context.Context, a identity.Actor, seq int64) (ProofStatus, error) {
	if err := policy.Decide(a.Viewer, policy.ReadProofs, policy.Target{}); err != nil {
		return ProofStatus{}, err
	}
	st := ProofStatus{Seq: seq, Proof: []Hash{}}
	e, err := s.store.EntryByRef(ctx, KindAudit, strconv.FormatInt(seq, 10))
	if errs.Is(err, errs.NotFound) {
		return st, nil
	} else if err != nil {
		return st, err
	}
	st.Anchored, st.Index, st.Erased = true, e.Index, e.Erased
	if st.LeafHash, err = s.ledger.LeafHash(e.Index); err != nil {
		return st, err
	}
	note, size := s.ledger.Latest()
	if size <= e.Index {
		return st, nil
	}
	proof, err := s.ledger.InclusionProof(e.Index, size)
	if err != nil {
		return st, err
	}
	st.TreeSize, st.Checkpoint, st.Proof, st.Covered = size, string(note), proof, true
	return st, nil
}

// Info describes the ledger for verifiers.
type Info struct {
	Origin         string `json:"origin"`
	VerifierKey    string `json:"verifier_key"` // the note verifier key of the hub
	Size           uint64 `json:"size"`         // entries appended
	CheckpointSize uint64 `json:"checkpoint_size"`
	Checkpoint     string `json:"checkpoint"`                    // the latest signed checkpoint
	Cosigned       string `json:"cosigned_checkpoint,omitempty"` // the latest one a witness co-signed
}

// LedgerInfo returns the ledger's origin, key, size and latest checkpoint.
// The checkpoint and key are public; anonymous callers may ask.
func (s *Service) LedgerInfo() Info {
	note, size := s.ledger.Latest()
	return Info{Origin: s.ledger.Origin(), VerifierKey: s.ledger.VerifierKey(), Size: s.ledger.Size(),
		CheckpointSize: size, Checkpoint: string(note), Cosigned: string(s.ledger.Cosigned())}
}

// Inclusion is an inclusion proof of one entry in a tree size.
type Inclusion struct {
	Index    uint64 `json:"index"`
	TreeSize uint64 `json:"tree_size"`
	LeafHash Hash   `json:"leaf_hash"`
	Proof    []Hash `json:"proof"`
}

// InclusionProof proves entry i in the tree of size (0: the latest
// checkpoint's). Members only; hashes only.
func (s *Service) InclusionProof(ctx context.Context, a identity.Actor, i, size uint64) (Inclusion, error) {
	if err := policy.Decide(a.Viewer, policy.ReadProofs, policy.Target{}); err != nil {
		return Inclusion{}, err
	}
	if size == 0 {
		_, size = s.ledger.Latest()
	}
	if i >= size {
		return Inclusion{}, errs.F(errs.Invalid, "index", "entry %d is not in a tree of size %d", i, size)
	}
	leaf, err := s.ledger.LeafHash(i)
	if err != nil {
		return Inclusion{}, err
	}
	p, err := s.ledger.InclusionProof(i, size)
	return Inclusion{Index: i, TreeSize: size, LeafHash: leaf, Proof: nonNil(p)}, err
}

// Consistency is a consistency proof between two tree sizes.
type Consistency struct {
	Old   uint64 `json:"old"`
	New   uint64 `json:"new"`
	Proof []Hash `json:"proof"`
}

// ConsistencyProof proves that the tree of size old is a prefix of the tree
// of size new (0: the latest checkpoint's).
func (s *Service) ConsistencyProof(ctx context.Context, a identity.Actor, old, new uint64) (Consistency, error) {
	if err := policy.Decide(a.Viewer, policy.ReadProofs, policy.Target{}); err != nil {
		return Consistency{}, err
	}
	if new == 0 {
		_, new = s.ledger.Latest()
	}
	if old == 0 || old > new {
		return Consistency{}, errs.F(errs.Invalid, "old", "must be between 1 and %d", new)
	}
	p, err := s.ledger.ConsistencyProof(old, new)
	return Consistency{Old: old, New: new, Proof: nonNil(p)}, err
}

func nonNil(p []Hash) []Hash {
	if p == nil {
		return []Hash{}
	}
	return p
}

// CosignInput is a checkpoint another hub asks this one to witness.
type CosignInput struct {
	Checkpoint  string `json:"checkpoint"`   // the signed note
	VerifierKey string `json:"verifier_key"` // the other log's note verifier key
	Proof       []Hash `json:"proof"`        // consistency proof from the size this hub last co-signed
}

// Cosign witnesses another hub's checkpoint: it verifies the signature,
// checks the checkpoint extends the last one co-signed for that origin, and
// returns the note with this hub's co-signature. Audited.
func (s *Service) Cosign(ctx context.Context, a identity.Actor, in CosignInput) ([]byte, error) {
	if err := policy.Decide(a.Viewer, policy.Witness, policy.Target{}); err != nil {
		return nil, s.deny(ctx, a, "ledger.witness", "", "", err)
	}
	if in.Checkpoint == "" || in.VerifierKey == "" {
		return nil, errs.F(errs.Invalid, "checkpoint", "send the signed checkpoint and the log's verifier key")
	}
	out, err := s.ledger.Cosign(ctx, []byte(in.Checkpoint), in.VerifierKey, in.Proof)
	if err != nil {
		return nil, err
	}
	rec := a.Record(s.clock(), "ledger.witness", "checkpoint", keyName(in.VerifierKey), a.OrgID, audit.Success, nil)
	return out, s.store.Transact(ctx, func(tx Tx) error { return tx.AppendAudit(ctx, rec) })
}

// Witnessed answers the size of the last checkpoint of origin this hub
// co-signed, so that the other hub can send a consistency proof from it.
func (s *Service) Witnessed(ctx context.Context, a identity.Actor, origin string) (uint64, error) {
	if err := policy.Decide(a.Viewer, policy.ReadProofs, policy.Target{}); err != nil {
		return 0, err
	}
	return s.ledger.Witnessed(origin)
}

// SaveCosigned keeps a co-signature a witness returned for this hub's log.
func (s *Service) SaveCosigned(signed []byte) error { return s.ledger.SaveCosigned(signed) }

// ConsistencyFrom returns this log's latest checkpoint and the consistency
// proof to it from size old (empty when old is 0 or the same size), for a
// witness; it needs no actor because it runs inside the hub.
func (s *Service) ConsistencyFrom(old uint64) (note []byte, proof []Hash, err error) {
	note, size := s.ledger.Latest()
	if note == nil {
		return nil, nil, errs.E(errs.Unavailable, "no checkpoint yet")
	}
	if old == 0 || old >= size {
		return note, []Hash{}, nil
	}
	proof, err = s.ledger.ConsistencyProof(old, size)
	return note, proof, err
}

func keyName(vkey string) string {
	for i := 0; i < len(vkey); i++ {
		if vkey[i] == '+' {
			return vkey[:i]
		}
	}
	return vkey
}
