package monitor

import (
	"context"
	"log/slog"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
)

// Source is where indicators come from: the intelligence store, read
// without a viewer (the matcher holds every indicator; each hit is
// filtered through policy.CanSee for the organisation whose traffic it is).
type Source interface {
	List(ctx context.Context, f intel.Filter) ([]intel.Stored, error)
}

// Refresh reads the indicator versions stored after x.Seq (all of them
// the first time), applies them and, when any changed, compiles and swaps
// in a new Index. It returns how many changed.
func (x *Indicators) Refresh(ctx context.Context, src Source, now time.Time) (int, error) {
	x.mu.Lock()
	seq := x.Seq
	x.mu.Unlock()
	changed := 0
	for {
		page, err := src.List(ctx, intel.Filter{Types: []string{"indicator"}, AfterSeq: seq, Limit: 1000})
		if err != nil {
			return changed, err
		}
		objs := make([]intel.Object, len(page))
		for i, st := range page {
			objs[i] = st.Object
			seq = st.Seq
		}
		changed += x.Apply(objs, now)
		if len(page) < 1000 {
			break
		}
	}
	x.mu.Lock()
	x.Seq = seq
	x.mu.Unlock()
	if changed > 0 || x.Current().Built.IsZero() {
		x.Update(now)
	}
	return changed, nil
}

// Follow refreshes every interval until ctx ends; it folds the updates
// into a full compile once a minute, and rereads everything every hour so
// that scores decay and indicators expire.
func (x *Indicators) Follow(ctx context.Context, src Source, every time.Duration, now func() time.Time, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	full, compiled := time.Now(), time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if time.Since(full) > time.Hour {
			x.mu.Lock()
			x.Seq = 0
			x.forget()
			x.mu.Unlock()
			full = time.Now()
		}
		start := time.Now()
		n, err := x.Refresh(ctx, src, now())
		if err != nil {
			log.WarnContext(ctx, "matcher refresh failed", "err", err)
			continue
		}
		if n > 0 {
			log.InfoContext(ctx, "matcher updated", "changed", n, "indicators", x.Current().Len(), "took", time.Since(start))
		}
		if time.Since(compiled) > time.Minute && x.Current().delta != nil {
			x.Rebuild(now())
			compiled = time.Now()
		}
	}
}
