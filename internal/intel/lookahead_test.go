package intel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// gated holds an import's first write until its second batch's lookahead
// has been read, so that lookahead cannot have seen the first batch; before
// a chosen write it runs a hook (another writer, say).
type gated struct {
	intel.Store
	mu      sync.Mutex
	snaps   int
	second  chan struct{}
	writes  int
	before  map[int]func() // by write number, from 1
	timeout time.Duration
}

func newGated(st intel.Store) *gated {
	return &gated{Store: st, second: make(chan struct{}), before: map[int]func(){}, timeout: 5 * time.Second}
}

func (g *gated) Snapshot(ctx context.Context, fn func(int64, intel.Lookup) error) error {
	err := g.Store.(intel.Snapshotter).Snapshot(ctx, fn)
	g.mu.Lock()
	g.snaps++
	if g.snaps == 2 {
		close(g.second)
	}
	g.mu.Unlock()
	return err
}

func (g *gated) Transact(ctx context.Context, fn func(intel.Tx) error) error {
	g.mu.Lock()
	g.writes++
	n, hook := g.writes, g.before[g.writes]
	g.mu.Unlock()
	if n == 1 {
		select {
		case <-g.second:
		case <-time.After(g.timeout):
		}
	}
	if hook != nil {
		hook()
	}
	return g.Store.Transact(ctx, fn)
}

// indicators yields an indicator per (id suffix, address) pair.
func indicators(pairs ...[2]string) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		for i, p := range pairs {
			raw := fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%s-0000-4000-8000-000000000000",`+
				`"created":"2026-03-01T00:00:00.000Z","modified":"2026-03-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '%s']",`+
				`"pattern_type":"stix","valid_from":"2026-03-01T00:00:00Z"}`, p[0], p[1])
			if !yield(intel.Incoming{Line: i + 1, Object: json.RawMessage(raw)}) {
				return
			}
		}
	}
}

// The second batch's lookahead was read before the first batch committed:
// the overlay of the import's own batches must stand in for what it missed.
func TestImportLookaheadOwnBatches(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(7, 7)))
	ctx := t.Context()
	g := newGated(w.db.Intel())
	svc := intel.NewService(g, w.db, intel.Options{ImportBatch: 3})
	st, err := svc.Import(ctx, w.actors[0], indicators(
		[2]string{"00000001", "192.0.2.1"}, [2]string{"00000002", "192.0.2.2"}, [2]string{"00000003", "192.0.2.3"},
		// batch 2: the same id again (skipped: the same content), the same
		// value under another id (a sighting), and a new value.
		[2]string{"00000001", "192.0.2.1"}, [2]string{"00000004", "192.0.2.2"}, [2]string{"00000005", "192.0.2.5"},
	), intel.Sharing{TLP: policy.Clear}, "feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 4 || st.Sighted != 1 || st.Skipped != 1 {
		t.Fatalf("stats %+v", st)
	}
	if intel.LookaheadUsed(svc) != 2 {
		t.Fatalf("lookahead used by %d batches, want 2", intel.LookaheadUsed(svc))
	}
	res, err := w.svc.Search(ctx, w.actors[0], "192.0.2.2")
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("192.0.2.2: %d objects, %v", len(res.Objects), err)
	}
}

// Another writer stores an object between a batch's lookahead and its
// write: the writer must notice and read again.
func TestImportLookaheadForeignWrite(t *testing.T) {
	w := newWorld(t, rand.New(rand.NewPCG(8, 8)))
	ctx := t.Context()
	g := newGated(w.db.Intel())
	g.before[2] = func() {
		// Another organisation shares 192.0.2.9, openly.
		if _, err := w.svc.Import(ctx, w.actors[1], indicators([2]string{"0000000f", "192.0.2.9"}),
			intel.Sharing{TLP: policy.Clear}, "other", nil); err != nil {
			t.Error(err)
		}
	}
	svc := intel.NewService(g, w.db, intel.Options{ImportBatch: 2})
	st, err := svc.Import(ctx, w.actors[0], indicators(
		[2]string{"00000001", "192.0.2.1"}, [2]string{"00000002", "192.0.2.2"},
		[2]string{"00000009", "192.0.2.9"}, [2]string{"00000003", "192.0.2.3"},
	), intel.Sharing{TLP: policy.Clear}, "feed", nil)
	if err != nil {
		t.Fatal(err)
	}
	if st.Created != 3 || st.Sighted != 1 {
		t.Fatalf("stats %+v: the value another writer stored meanwhile must become a sighting", st)
	}
	if intel.LookaheadUsed(svc) != 1 {
		t.Fatalf("lookahead used by %d batches, want 1 (the first)", intel.LookaheadUsed(svc))
	}
	res, err := w.svc.Search(ctx, w.actors[0], "192.0.2.9")
	if err != nil || len(res.Objects) != 1 {
		t.Fatalf("192.0.2.9: %d objects, %v", len(res.Objects), err)
	}
}
