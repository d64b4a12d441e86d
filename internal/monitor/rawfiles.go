package monitor

import (
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
)

// RawFiles keeps kept batches outside the store: rawlog.Log, append-only
// segment files in the data directory. The store then keeps where each
// batch is (a RawRef) in the row it would have kept the bytes in.
type RawFiles interface {
	Append(orgID string, expires time.Time, batchID string, data []byte) (rawlog.Ref, error)
	Read(ref rawlog.Ref, batchID string) ([]byte, error)
	// ReadTo is Read into dst's storage when it is large enough.
	ReadTo(dst []byte, ref rawlog.Ref, batchID string) ([]byte, error)
}

// RawRef is where RawFiles keeps a batch; the zero RawRef means the store
// keeps the bytes itself.
type RawRef = rawlog.Ref

// fill reads the data of kept batches the store holds only a reference to.
func fill(files RawFiles, raws []Raw) error {
	for i := range raws {
		r := &raws[i]
		if r.Ref.Segment == "" {
			continue
		}
		if files == nil {
			return errs.E(errs.Unavailable, "batch %s is kept in raw event files, and this node has none (--event-store)", r.BatchID)
		}
		data, err := files.Read(r.Ref, r.BatchID)
		if err != nil {
			return errs.E(errs.Unavailable, "batch %s: %v", r.BatchID, err)
		}
		r.Data = data
	}
	return nil
}
