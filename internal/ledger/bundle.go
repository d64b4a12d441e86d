package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

// BundleFormat names the bundle JSON format.
const BundleFormat = "kyojo-ledger-bundle/v1"

// MaxBundle is the largest bundle VerifyBundle reads.
const MaxBundle = 256 << 20

// CustodyRecord is the chain-of-custody record of a forensic bundle. Bundle
// logs it as a ledger.custody entry, so the hand-over is itself in the tree.
type CustodyRecord struct {
	RequestRef  string    `json:"request_ref"`  // the requesting authority's reference
	LegalBasis  string    `json:"legal_basis"`  // statute, warrant or agreement
	RequestedBy string    `json:"requested_by"` // person and organisation
	ApprovedBy  string    `json:"approved_by"`  // who at the hub approved the release
	ProducedAt  time.Time `json:"produced_at"`  // set by Bundle when zero; UTC
	Note        string    `json:"note,omitempty"`
	Indexes     []uint64  `json:"indexes"` // the entries released; set by Bundle
}

func (c CustodyRecord) check() error {
	var l errs.List
	for _, f := range []struct{ name, v string }{
		{"request_ref", c.RequestRef}, {"legal_basis", c.LegalBasis},
		{"requested_by", c.RequestedBy}, {"approved_by", c.ApprovedBy},
	} {
		if strings.TrimSpace(f.v) == "" {
			l.Add(errs.Invalid, "custody."+f.name, "required")
		}
	}
	return l.Err()
}

// bundle is the JSON form of a forensic bundle.
type bundle struct {
	Format      string        `json:"format"`
	Origin      string        `json:"origin"`
	TreeSize    uint64        `json:"tree_size"`
	RootHash    Hash          `json:"root_hash"`
	Checkpoint  string        `json:"checkpoint"`   // signed note of (tree_size, root_hash)
	VerifierKey string        `json:"verifier_key"` // the hub's public note key
	Earliest    *earliest     `json:"earliest,omitempty"`
	Entries     []bundleEntry `json:"entries"`
	Custody     CustodyRecord `json:"custody"`
	CustodyLeaf bundleEntry   `json:"custody_entry"` // the ledger.custody entry of Custody
}

// earliest is the first stored checkpoint that held all selected entries,
// and the proof that the bundle's tree extends it.
type earliest struct {
	Checkpoint       string `json:"checkpoint"`
	TreeSize         uint64 `json:"tree_size"`
	RootHash         Hash   `json:"root_hash"`
	ConsistencyProof []Hash `json:"consistency_proof"`
}

type bundleEntry struct {
	Index          uint64 `json:"index"`
	Kind           string `json:"kind"`
	Payload        []byte `json:"payload,omitempty"` // standard base64
	PayloadDeleted bool   `json:"payload_deleted,omitempty"`
	LeafHash       Hash   `json:"leaf_hash"`
	InclusionProof []Hash `json:"inclusion_proof"`
}

// Bundle produces a forensic bundle of the given entries for a third party:
// the entries with payloads (an erased payload is marked payload_deleted and
// only its leaf hash is given), an inclusion proof of each in the bundle's
// tree, the signed checkpoint of that tree, the earliest stored checkpoint
// that already held every selected entry with a consistency proof to the
// bundle's tree, the hub's verifier key, and the custody record. The custody
// record (with Indexes and ProducedAt filled in) is first appended as a
// ledger.custody entry, which the bundle also carries and proves. Custody
// fields request_ref, legal_basis, requested_by and approved_by are required
// (errs.Invalid); an unknown index is errs.NotFound.
func (l *Log) Bundle(ctx context.Context, indexes []uint64, custody CustodyRecord) ([]byte, error) {
	if err := l.checkOpen(); err != nil {
		return nil, err
	}
	if err := custody.check(); err != nil {
		return nil, err
	}
	if len(indexes) == 0 {
		return nil, errs.F(errs.Invalid, "indexes", "no entries selected")
	}
	size := l.Size()
	idx := slices.Clone(indexes)
	slices.Sort(idx)
	idx = slices.Compact(idx)
	if idx[len(idx)-1] >= size {
		return nil, errs.E(errs.NotFound, "ledger has no entry %d", idx[len(idx)-1])
	}
	if custody.ProducedAt.IsZero() {
		custody.ProducedAt = time.Now()
	}
	custody.ProducedAt = custody.ProducedAt.UTC().Truncate(time.Microsecond)
	custody.Indexes = idx
	cj, _ := json.Marshal(custody)
	ci, err := l.appendItems(ctx, []Item{{Kind: kindCustody, Payload: cj}})
	if err != nil {
		return nil, err
	}
	signed, err := l.Checkpoint()
	if err != nil {
		return nil, err
	}
	t, _, err := openCheckpoint(signed, l.verifier)
	if err != nil {
		return nil, err
	}
	b := bundle{Format: BundleFormat, Origin: t.Origin, TreeSize: t.Size, RootHash: t.Root,
		Checkpoint: string(signed), VerifierKey: l.vkey, Custody: custody}
	for _, i := range append(idx, ci) {
		e, err := l.Entry(i)
		if err != nil {
			return nil, err
		}
		p, err := l.InclusionProof(i, t.Size)
		if err != nil {
			return nil, err
		}
		be := bundleEntry{Index: i, Kind: e.Kind, Payload: e.Payload, PayloadDeleted: e.Deleted, LeafHash: e.LeafHash, InclusionProof: p}
		if i == ci {
			b.CustodyLeaf = be
		} else {
			b.Entries = append(b.Entries, be)
		}
	}
	if b.Earliest, err = l.earliestCovering(idx[len(idx)-1], t); err != nil {
		return nil, err
	}
	return json.MarshalIndent(b, "", "  ")
}

// earliestCovering finds the first stored checkpoint whose tree holds entry
// last and proves the tree t extends it. It scans checkpoints.log, parsing
// each note's text and verifying only the signature of the one it picks.
func (l *Log) earliestCovering(last uint64, t Tree) (*earliest, error) {
	l.ckMu.Lock()
	end := l.cpEnd
	l.ckMu.Unlock()
	cps, _ := readCheckpoints(io.NewSectionReader(l.cps, 0, end))
	for _, c := range cps {
		text, _, ok := bytes.Cut(c.note, []byte("\n\n"))
		if !ok {
			continue
		}
		ct, err := ParseCheckpoint(append(text, '\n'))
		if err != nil || ct.Size <= last || ct.Size > t.Size {
			continue
		}
		if ct, _, err = openCheckpoint(c.note, l.verifier); err != nil {
			return nil, tampered("checkpoints.log: checkpoint at offset %d: %v", c.off, err)
		}
		p, err := l.ConsistencyProof(ct.Size, t.Size)
		if err != nil {
			return nil, err
		}
		return &earliest{Checkpoint: string(c.note), TreeSize: ct.Size, RootHash: ct.Root, ConsistencyProof: p}, nil
	}
	return nil, nil
}

// VerifyBundle checks a forensic bundle offline with only the hub's public
// note verifier key: the checkpoint's signature and origin, the bundle's
// size and root against it, the earliest checkpoint's signature and the
// consistency proof from it, every entry's leaf hash recomputed from kind
// and payload (for an erased payload only the given hash, as the bundle
// says), every inclusion proof, and that the custody record is the logged
// ledger.custody entry. A malformed bundle is errs.Malformed; any failed
// check wraps ErrTampered and says which entry or part failed.
func VerifyBundle(data []byte, verifierKey string) error {
	if len(data) > MaxBundle {
		return errs.E(errs.TooLarge, "bundle over %d bytes", MaxBundle)
	}
	var b bundle
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return errs.E(errs.Malformed, "bundle: %v", err)
	}
	if dec.More() {
		return errs.E(errs.Malformed, "bundle: data after the JSON object")
	}
	if b.Format != BundleFormat {
		return errs.E(errs.Malformed, "bundle: format %q, want %q", b.Format, BundleFormat)
	}
	verifierKey = strings.TrimSpace(verifierKey)
	v, err := note.NewVerifier(verifierKey)
	if err != nil {
		return errs.F(errs.Invalid, "verifier_key", "not a note verifier key: %v", err)
	}
	if strings.TrimSpace(b.VerifierKey) != verifierKey {
		return tampered("bundle: names verifier key %q, not the one given", b.VerifierKey)
	}
	t, _, err := openCheckpoint([]byte(b.Checkpoint), v)
	if err != nil {
		return errs.Wrap(err, "bundle checkpoint")
	}
	if t.Origin != b.Origin || t.Size != b.TreeSize || t.Root != b.RootHash {
		return tampered("bundle: origin, tree_size or root_hash differ from the signed checkpoint")
	}
	if e := b.Earliest; e != nil {
		et, _, err := openCheckpoint([]byte(e.Checkpoint), v)
		if err != nil {
			return errs.Wrap(err, "bundle earliest checkpoint")
		}
		if et.Size != e.TreeSize || et.Root != e.RootHash {
			return tampered("bundle: earliest tree_size or root_hash differ from its signed checkpoint")
		}
		if err := VerifyConsistency(e.ConsistencyProof, t.Size, t.Root, et.Size, et.Root); err != nil {
			return tampered("bundle: earliest checkpoint (size %d) is not a prefix of the bundle's tree (size %d): consistency proof fails", et.Size, t.Size)
		}
	}
	if len(b.Entries) == 0 {
		return tampered("bundle: no entries")
	}
	for k, e := range b.Entries {
		if b.Earliest != nil && e.Index >= b.Earliest.TreeSize {
			return tampered("bundle: entry %d (ledger index %d) is not in the earliest checkpoint (size %d)", k, e.Index, b.Earliest.TreeSize)
		}
		if err := e.verify(t); err != nil {
			return tampered("bundle: entry %d (ledger index %d): %s", k, e.Index, err.(*errs.Error).Message)
		}
	}
	c := b.CustodyLeaf
	if c.Kind != kindCustody || c.PayloadDeleted {
		return tampered("bundle: custody_entry is not a %s entry", kindCustody)
	}
	if err := c.verify(t); err != nil {
		return tampered("bundle: custody_entry (ledger index %d): %s", c.Index, err.(*errs.Error).Message)
	}
	if want, _ := json.Marshal(b.Custody); !bytes.Equal(want, c.Payload) {
		return tampered("bundle: custody record differs from the logged custody entry %d", c.Index)
	}
	return nil
}

func (e bundleEntry) verify(t Tree) error {
	if err := checkKind(e.Kind, true); err != nil {
		return errs.E(errs.Invalid, "invalid kind")
	}
	if e.PayloadDeleted {
		if len(e.Payload) != 0 {
			return errs.E(errs.Invalid, "payload present but marked deleted")
		}
	} else if LeafHash(e.Kind, e.Payload) != e.LeafHash {
		return errs.E(errs.Invalid, "payload does not match its leaf hash")
	}
	if e.Index >= t.Size {
		return errs.E(errs.Invalid, "index beyond the tree size %d", t.Size)
	}
	if VerifyInclusion(e.InclusionProof, t.Size, t.Root, e.Index, e.LeafHash) != nil {
		return errs.E(errs.Invalid, "inclusion proof does not lead to the checkpoint root")
	}
	return nil
}
