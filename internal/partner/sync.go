package partner

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Remote is a partner's TAXII collection as the exchanges use it. Package
// taxiiclient implements it.
type Remote interface {
	// Pull reads one page of objects added after after (or the page next
	// names), and the date_added of its last object.
	Pull(ctx context.Context, after time.Time, next string) (objs []json.RawMessage, more bool, nextToken string, addedLast time.Time, err error)
	// Push sends objects; failures are the partner's reasons for each
	// object it refused.
	Push(ctx context.Context, objs []json.RawMessage) (stored int, failures []string, err error)
}

// Connector makes the Remote of a partner from its registry entry and its
// opened credential.
type Connector func(p Partner, secret string) Remote

// Federation runs the exchanges with every enabled partner.
type Federation struct {
	Partners *Service
	Intel    *intel.Service
	Connect  Connector
	Log      *slog.Logger
	Now      func() time.Time
	// PageSize is the page size of pulls and pushes (1000 when zero).
	PageSize int
	// Overlap is how far before its bookmark a pull starts again, so that
	// an object the partner stored late with an earlier date_added is not
	// missed; objects seen twice are skipped by the store (same id and
	// version). 2 s when zero.
	Overlap time.Duration
}

func (f *Federation) now() time.Time {
	if f.Now != nil {
		return f.Now().UTC()
	}
	return time.Now().UTC()
}

func (f *Federation) log() *slog.Logger {
	if f.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return f.Log
}

// Run exchanges with every partner whose turn has come, checking every
// tick, until ctx ends.
func (f *Federation) Run(ctx context.Context, tick time.Duration) {
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		f.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue exchanges once with each enabled partner that is due.
func (f *Federation) RunDue(ctx context.Context) {
	ps, err := f.Partners.store.Partners(ctx)
	if err != nil {
		if ctx.Err() == nil {
			f.log().Warn("federation: list partners", "err", err)
		}
		return
	}
	for _, p := range ps {
		if ctx.Err() != nil {
			return
		}
		if p.Disabled || f.now().Before(NextAttempt(p)) {
			continue
		}
		if err := f.Exchange(ctx, p); err != nil && ctx.Err() == nil {
			f.log().Warn("federation: exchange failed", "partner", p.Slug, "failures", p.State.Failures+1, "err", err)
		}
	}
}

// Exchange pulls from and pushes to p as its direction says, records each
// exchange and saves the bookmarks and health.
func (f *Federation) Exchange(ctx context.Context, p Partner) error {
	secret, err := f.Partners.Secret(p)
	if err != nil {
		return f.finish(ctx, p, p.State, Exchange{Direction: p.Direction, At: f.now()}, err)
	}
	r := f.Connect(p, secret)
	st := p.State
	var first error
	if p.Direction.Pulls() {
		ex := Exchange{Direction: Pull, At: f.now()}
		err := f.pull(ctx, p, r, &st, &ex)
		if err := f.record(ctx, p, st, ex, err); err != nil {
			return err
		}
		first = err
	}
	if p.Direction.Pushes() {
		ex := Exchange{Direction: Push, At: f.now()}
		err := f.push(ctx, p, r, &st, &ex)
		if err := f.record(ctx, p, st, ex, err); err != nil {
			return err
		}
		if first == nil {
			first = err
		}
	}
	if ctx.Err() != nil {
		return ctx.Err() // shutdown: not the partner's failure
	}
	return f.finish(ctx, p, st, Exchange{}, first)
}

// record saves an exchange and the bookmarks it advanced, in one
// transaction.
func (f *Federation) record(ctx context.Context, p Partner, st State, ex Exchange, err error) error {
	ex.PartnerID, ex.Duration = p.ID, f.now().Sub(ex.At)
	if err != nil {
		ex.Error = describe(err)
	}
	// An exchange cut short by shutdown keeps its bookmarks; it is
	// recorded only if it moved something.
	interrupted := ctx.Err() != nil
	ctx = context.WithoutCancel(ctx)
	return f.Partners.store.Transact(ctx, func(tx Tx) error {
		if !interrupted || ex.ObjectsIn+ex.ObjectsOut > 0 {
			if err := tx.AddExchange(ctx, ex); err != nil {
				return err
			}
		}
		return tx.SavePartnerState(ctx, p.ID, withoutHealth(p.State, st))
	})
}

// withoutHealth is st's bookmarks with old's health fields.
func withoutHealth(old, st State) State {
	old.PullAfter, old.PushSeq = st.PullAfter, st.PushSeq
	return old
}

// finish saves the health after an exchange: a failure counts towards the
// back-off, a success resets it. ex, when it has a direction, is recorded
// too (an exchange that failed before it started).
func (f *Federation) finish(ctx context.Context, p Partner, st State, ex Exchange, err error) error {
	st.LastAttempt = f.now()
	if err != nil {
		st.Failures++
		st.LastError = describe(err)
	} else {
		st.Failures, st.LastError, st.LastSuccess = 0, "", st.LastAttempt
	}
	ctx = context.WithoutCancel(ctx)
	werr := f.Partners.store.Transact(ctx, func(tx Tx) error {
		if ex.Direction != "" {
			ex.PartnerID, ex.Error = p.ID, describe(err)
			if err := tx.AddExchange(ctx, ex); err != nil {
				return err
			}
		}
		if err := tx.PruneExchanges(ctx, p.ID, st.LastAttempt.Add(-KeepExchanges)); err != nil {
			return err
		}
		return tx.SavePartnerState(ctx, p.ID, st)
	})
	if werr != nil {
		return werr
	}
	return err
}

func describe(err error) string {
	if err == nil {
		return ""
	}
	s := err.Error()
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func (f *Federation) pageSize() int {
	if f.PageSize <= 0 || f.PageSize > 1000 {
		return 1000
	}
	return f.PageSize
}

// KeepExchanges is how long exchange records are kept.
const KeepExchanges = 90 * 24 * time.Hour

// maxPages bounds one exchange; the next one goes on from the bookmark.
const maxPages = 200

// pull reads the partner's collection after the bookmark and stores what
// it finds as the partner's organisation, shared with the partner's
// inbound communities; objects keep their JSON, so their author
// (created_by_ref) and markings are the partner's. The bookmark advances
// page by page, saved as it goes.
func (f *Federation) pull(ctx context.Context, p Partner, r Remote, st *State, ex *Exchange) error {
	after := st.PullAfter
	if !after.IsZero() {
		ov := f.Overlap
		if ov == 0 {
			ov = 2 * time.Second
		}
		after = after.Add(-ov)
	}
	a := Actor(p)
	next := ""
	for range maxPages {
		objs, more, tok, last, err := r.Pull(ctx, after, next)
		if err != nil {
			return err
		}
		for _, g := range byMarking(objs) {
			if g.tlp == policy.Red {
				ex.Failed += len(g.objs)
				if ex.Error == "" {
					ex.Error = fmt.Sprintf("%d objects marked TLP:RED refused: RED is for named people and is not taken from partners", len(g.objs))
				}
				continue
			}
			// Each object is shared at its own TLP marking (the hub's
			// default when it has none) with the inbound communities.
			res, err := f.Intel.PutParsed(ctx, a, g.objs, intel.Sharing{TLP: g.tlp, Communities: p.Inbound}, Source(p.Slug))
			if err != nil {
				return fmt.Errorf("storing what %s sent: %w", p.Slug, err)
			}
			ex.ObjectsIn += res.Created + res.Updated
			ex.Failed += res.Rejected
			if res.Rejected > 0 && ex.Error == "" {
				for _, it := range res.Items {
					if it.Status == intel.Rejected {
						ex.Error = fmt.Sprintf("%d refused, e.g. %s: %s", res.Rejected, it.ID, it.Error)
						break
					}
				}
			}
		}
		if last.After(st.PullAfter) {
			st.PullAfter = last
			if err := f.Partners.store.Transact(ctx, func(tx Tx) error { return tx.SavePartnerState(ctx, p.ID, withoutHealth(p.State, *st)) }); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
		next = tok
	}
	return nil
}

// push sends what was shared since the sequence bookmark and may leave for
// the partner (Outbound), read as the partner's organisation through the
// intelligence service (so every object passed policy.CanSee and anonymous
// authors stay hidden). The bookmark advances only after the partner took
// the page.
func (f *Federation) push(ctx context.Context, p Partner, r Remote, st *State, ex *Exchange) error {
	top, err := f.Partners.store.MaxIntelSeq(ctx)
	if err != nil {
		return err
	}
	a := Actor(p)
	m, err := f.Intel.Member(ctx, a)
	if err != nil {
		return err
	}
	cursor := st.PushSeq
	for range maxPages {
		if cursor >= top {
			break
		}
		rows, more, err := f.Intel.List(ctx, a, intel.Filter{AfterSeq: cursor, Limit: f.pageSize()})
		if err != nil {
			return err
		}
		var out []json.RawMessage
		for _, row := range rows {
			if ok, _ := Outbound(p, m, row.Object); ok {
				out = append(out, row.Raw)
			}
		}
		if len(out) > 0 {
			stored, failures, err := r.Push(ctx, out)
			if err != nil {
				return err
			}
			ex.ObjectsOut += stored
			ex.Failed += len(failures)
			if len(failures) > 0 && ex.Error == "" {
				ex.Error = fmt.Sprintf("%d refused by the partner, e.g. %s", len(failures), strings.Join(failures[:1], ""))
			}
		}
		next := cursor
		if len(rows) > 0 {
			next = rows[len(rows)-1].Seq
		}
		if more != 0 {
			next = max(next, more)
		} else {
			// The end of the store as it was when this push began: every
			// row up to top was read.
			next = max(next, top)
		}
		cursor = next
		st.PushSeq = cursor
		if err := f.Partners.store.Transact(ctx, func(tx Tx) error { return tx.SavePartnerState(ctx, p.ID, withoutHealth(p.State, *st)) }); err != nil {
			return err
		}
		if more == 0 {
			break
		}
	}
	return nil
}

type group struct {
	tlp  policy.TLP
	objs []json.RawMessage
}

// byMarking groups objects by the most restrictive TLP marking each
// carries ("" for none), in order of first appearance.
func byMarking(objs []json.RawMessage) []group {
	var out []group
	for _, o := range objs {
		var m struct {
			Refs []string `json:"object_marking_refs"`
		}
		_ = json.Unmarshal(o, &m)
		var t policy.TLP
		for _, r := range m.Refs {
			if l, ok := policy.TLPOfMarking(r); ok && l.Rank() > t.Rank() {
				t = l
			}
		}
		if markedRed(o) {
			t = policy.Red
		}
		i := slices.IndexFunc(out, func(g group) bool { return g.tlp == t })
		if i < 0 {
			out = append(out, group{tlp: t})
			i = len(out) - 1
		}
		out[i].objs = append(out[i].objs, o)
	}
	return out
}
