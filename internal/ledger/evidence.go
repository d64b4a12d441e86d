package ledger

import (
	"context"

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
