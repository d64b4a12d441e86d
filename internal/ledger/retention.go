package ledger

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// The ledger's own entry kinds.
const (
	kindDelete  = "ledger.delete"  // payload: deletion
	kindHold    = "ledger.hold"    // payload: Hold placed
	kindRelease = "ledger.release" // payload: Hold released
	kindCustody = "ledger.custody" // payload: CustodyRecord of a bundle
)

const holdsFile = "holds.json"

// deletion is the payload of a ledger.delete entry.
type deletion struct {
	Index    uint64 `json:"index"`
	Kind     string `json:"kind"`
	LeafHash Hash   `json:"leaf_hash"`
	Reason   string `json:"reason"`
}

// Hold is a legal hold: entries it names, by index or by kind, MUST NOT
// have their payloads deleted while it is in force.
type Hold struct {
	Indexes []uint64 `json:"indexes,omitempty"`
	Kinds   []string `json:"kinds,omitempty"`
	Reason  string   `json:"reason,omitempty"`
}

type holdSet struct {
	Indexes map[uint64]bool `json:"indexes"`
	Kinds   map[string]bool `json:"kinds"`
}

func loadHolds(dir string) (holdSet, error) {
	hs := holdSet{Indexes: map[uint64]bool{}, Kinds: map[string]bool{}}
	b, err := os.ReadFile(filepath.Join(dir, holdsFile))
	if errors.Is(err, fs.ErrNotExist) {
		return hs, nil
	}
	if err != nil {
		return hs, ioErr(err, "read holds.json")
	}
	if err := json.Unmarshal(b, &hs); err != nil {
		return hs, ioErr(err, "parse holds.json")
	}
	if hs.Indexes == nil {
		hs.Indexes = map[uint64]bool{}
	}
	if hs.Kinds == nil {
		hs.Kinds = map[string]bool{}
	}
	return hs, nil
}

// Holds returns the legal holds in force, merged into one Hold (no Reason).
func (l *Log) Holds() Hold {
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	var h Hold
	for i := range l.holds.Indexes {
		h.Indexes = append(h.Indexes, i)
	}
	for k := range l.holds.Kinds {
		h.Kinds = append(h.Kinds, k)
	}
	slices.Sort(h.Indexes)
	slices.Sort(h.Kinds)
	return h
}

// PlaceHold puts entries under legal hold. The hold is saved before it is
// logged as a ledger.hold entry, so a crash never leaves a logged hold
// unenforced. Reason is required (errs.Invalid).
func (l *Log) PlaceHold(ctx context.Context, h Hold) error { return l.changeHold(ctx, h, true) }

// ReleaseHold lifts the named indexes and kinds from legal hold and logs a
// ledger.release entry. Reason is required (errs.Invalid).
func (l *Log) ReleaseHold(ctx context.Context, h Hold) error { return l.changeHold(ctx, h, false) }

func (l *Log) changeHold(ctx context.Context, h Hold, place bool) error {
	if err := l.checkOpen(); err != nil {
		return err
	}
	if h.Reason == "" {
		return errs.F(errs.Invalid, "reason", "a legal hold needs a reason")
	}
	for _, k := range h.Kinds {
		if err := checkKind(k, true); err != nil {
			return err
		}
	}
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	for _, i := range h.Indexes {
		l.holds.Indexes[i] = place
	}
	for _, k := range h.Kinds {
		l.holds.Kinds[k] = place
	}
	for i, on := range l.holds.Indexes {
		if !on {
			delete(l.holds.Indexes, i)
		}
	}
	for k, on := range l.holds.Kinds {
		if !on {
			delete(l.holds.Kinds, k)
		}
	}
	b, _ := json.Marshal(l.holds)
	if err := writeFileSync(filepath.Join(l.dir, holdsFile), b, 0o600); err != nil {
		return err
	}
	kind := kindRelease
	if place {
		kind = kindHold
	}
	p, _ := json.Marshal(h)
	_, err := l.appendItems(ctx, []Item{{Kind: kind, Payload: p}})
	return err
}

// DeletePayload erases the payload of entry i for retention and returns the
// index of the ledger.delete entry that records it (index, kind, leaf hash,
// reason). The leaf hash stays, so every proof and checkpoint stays valid.
// The deletion entry is durable before the bytes are overwritten with zeros
// and synced. Refusals: an index under legal hold, or whose kind is, is
// errs.Conflict "under legal hold"; an already deleted payload errs.Conflict;
// the ledger's own entries and an empty reason errs.Invalid; an index at or
// beyond Size errs.NotFound.
func (l *Log) DeletePayload(ctx context.Context, i uint64, reason string) (uint64, error) {
	if err := l.checkOpen(); err != nil {
		return 0, err
	}
	if reason == "" {
		return 0, errs.F(errs.Invalid, "reason", "a deletion needs a reason")
	}
	if i >= l.Size() {
		return 0, errs.E(errs.NotFound, "ledger has no entry %d", i)
	}
	// ckMu keeps a checkpoint from falling between the deletion entry and
	// the erasure, so Open finds an unfinished erasure in the tail it replays.
	l.ckMu.Lock()
	defer l.ckMu.Unlock()
	e, _, _, err := l.readEntry(i)
	if err != nil {
		return 0, err
	}
	switch {
	case l.holds.Indexes[i] || l.holds.Kinds[e.Kind]:
		return 0, errs.E(errs.Conflict, "entry %d is under legal hold", i)
	case e.Deleted:
		return 0, errs.E(errs.Conflict, "the payload of entry %d is already deleted", i)
	case checkKind(e.Kind, false) != nil:
		return 0, errs.E(errs.Invalid, "entry %d is the ledger's own (%s) and cannot be deleted", i, e.Kind)
	}
	p, _ := json.Marshal(deletion{Index: i, Kind: e.Kind, LeafHash: e.LeafHash, Reason: reason})
	j, err := l.appendItems(ctx, []Item{{Kind: kindDelete, Payload: p}})
	if err != nil {
		return 0, err
	}
	return j, l.erase(i)
}

// erase overwrites the payload of entry i with zeros, sets the erased flag,
// rewrites the checksum and syncs. Erasing an erased entry does nothing.
func (l *Log) erase(i uint64) error {
	if i >= l.Size() {
		return nil
	}
	e, off, d, err := l.readEntry(i)
	if err != nil || e.Deleted {
		return err
	}
	_, _, payOff, _ := parseLeafData(d)
	clear(d[payOff:])
	frame := appendFrame(make([]byte, 0, frameHeader+len(d)), d, flagErased)
	l.eraseMu.Lock()
	defer l.eraseMu.Unlock()
	if _, err := l.data.WriteAt(frame, off); err != nil {
		return ioErr(err, "erase payload")
	}
	return ioErr(l.data.Sync(), "sync erased payload")
}
