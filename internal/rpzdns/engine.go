// Package rpzdns serves kyojo's Response Policy Zones over DNS and runs
// the filtering resolver. The Engine follows the intelligence store by
// sequence and keeps, for every subscriber and feed, the zone package rpz
// builds, its serial and its journal; the Server answers SOA, NS, AXFR and
// IXFR with TSIG and address ACLs and sends NOTIFY; the Resolver forwards
// to upstreams with a cache and applies the same policy.
package rpzdns

import (
	"context"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// Directory gives the communities of an organisation (the store does).
type Directory interface {
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)
}

// Journaler keeps zone serials and deltas (the store does); optional.
type Journaler interface {
	AppendRPZJournal(ctx context.Context, zoneKey string, d rpz.Delta, at time.Time) error
	RPZLastSerial(ctx context.Context, zoneKey string) (uint32, error)
}

// Defs gives the feed and subscriber definitions and the allowlist.
type Defs interface {
	RPZFeeds(ctx context.Context) ([]rpz.Feed, error)
	RPZSubscribers(ctx context.Context) ([]rpz.Subscriber, error)
	RPZAllowlist(ctx context.Context) ([]rpz.Allow, error)
}

// Static are definitions given in configuration rather than the store
// (the demo's keyless loopback subscriber).
type Static struct {
	Feeds       []rpz.Feed
	Subscribers []rpz.Subscriber
}

// ZoneState is one subscriber's copy of one feed, as served.
type ZoneState struct {
	Key     string // feed id "/" subscriber id
	Feed    rpz.Feed
	Sub     rpz.Subscriber
	Serial  uint32
	Records map[string]string // never changed once published
	Source  map[string]string
	journal *rpz.Journal
}

// Engine keeps the zones current.
type Engine struct {
	Intel   intel.Reader
	Defs    Defs
	Dir     Directory
	Journal Journaler // may be nil
	Static  Static
	Decay   intel.Decay
	Now     func() time.Time
	Log     *slog.Logger
	// OnChange is called after zones changed, with the keys of the zones
	// whose serial moved (the server sends NOTIFY).
	OnChange func(changed []*ZoneState)

	// rmu serialises refreshes and guards what only they touch (cursor,
	// defsSig, feeds, allow, nextSubs, lastFull). mu guards what readers
	// see: inds, subs, zones, byZone and the journals. A refresh reads the
	// store and builds the zones without holding mu, and takes it only to
	// apply a batch or to publish, so DNS answers never wait on the store.
	rmu      sync.Mutex
	mu       sync.RWMutex
	inds     map[string]rpz.Indicator
	byName   map[string][]string // name → ids of the indicators that list it
	cursor   int64
	defsSig  string
	feeds    []rpz.Feed
	subs     []rpz.Subscriber
	nextSubs []rpz.Subscriber
	allow    []rpz.Allow
	zones    map[string]*ZoneState
	byZone   map[string][]*ZoneState // feed zone name → per-subscriber states
	policies atomic.Pointer[map[string]*rpz.Policy]
	lastFull time.Time
	loaded   atomic.Bool
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return e.Log
}

// Loaded reports whether the first refresh has completed.
func (e *Engine) Loaded() bool { return e.loaded.Load() }

// Run refreshes every interval until ctx ends.
func (e *Engine) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := e.Refresh(ctx); err != nil && ctx.Err() == nil {
			e.log().Warn("rpz refresh", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh reads new intelligence and the definitions, and rebuilds the
// zones when anything changed. Every hour it re-reads everything, so that
// scores that decayed below a feed's threshold leave the zones.
func (e *Engine) Refresh(ctx context.Context) error {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	now := e.now()
	inds, byName := e.inds, e.byName
	full := inds == nil || now.Sub(e.lastFull) > time.Hour
	cursor := e.cursor
	if full {
		inds, byName, cursor = map[string]rpz.Indicator{}, map[string][]string{}, 0 // read afresh beside the ones in use
	}
	changed := full
	var names []string // the names of the indicators that changed, before and after
	f := intel.Filter{Types: []string{"indicator"}, Limit: 1000}
	for {
		f.AfterSeq = cursor
		batch, err := e.Intel.List(ctx, f)
		if err != nil {
			return err
		}
		if !full {
			e.mu.Lock()
		}
		for _, st := range batch {
			cursor = st.Seq
			in, ok := rpz.FromObject(st.Object, e.Decay, now)
			old, had := inds[st.ID]
			if had {
				names = append(names, old.Names()...)
				unindex(byName, old)
			}
			switch {
			case ok:
				inds[st.ID] = in
				names = append(names, in.Names()...)
				for _, n := range in.Names() {
					byName[n] = append(byName[n], in.ID)
				}
				changed = true
			case had:
				delete(inds, st.ID)
				changed = true
			}
		}
		if !full {
			e.mu.Unlock()
		}
		if len(batch) < f.Limit {
			break
		}
	}
	e.cursor = cursor
	if full {
		e.mu.Lock()
		e.inds, e.byName = inds, byName
		e.mu.Unlock()
		e.lastFull = now
	}
	feeds, subs, allow, err := e.definitions(ctx)
	if err != nil {
		return err
	}
	defsChanged := false
	if sig := signature(feeds, subs, allow); sig != e.defsSig {
		e.defsSig, e.feeds, e.nextSubs, e.allow = sig, feeds, subs, allow
		changed, defsChanged = true, true
	}
	if !changed && e.zones != nil {
		return nil
	}
	// A few changed indicators: only their names are looked at again in
	// each zone; otherwise (definitions, a full re-read, a large batch)
	// every zone is built afresh.
	if full || defsChanged || e.zones == nil || len(names) > 100_000 {
		names = nil
	}
	moved, err := e.rebuild(ctx, now, names)
	if err != nil {
		return err
	}
	e.loaded.Store(true)
	if len(moved) > 0 && e.OnChange != nil {
		go e.OnChange(moved)
	}
	return nil
}

func (e *Engine) definitions(ctx context.Context) ([]rpz.Feed, []rpz.Subscriber, []rpz.Allow, error) {
	feeds := slices.Clone(e.Static.Feeds)
	subs := slices.Clone(e.Static.Subscribers)
	var allow []rpz.Allow
	if e.Defs != nil {
		fs, err := e.Defs.RPZFeeds(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		ss, err := e.Defs.RPZSubscribers(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		allow, err = e.Defs.RPZAllowlist(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		feeds, subs = append(feeds, fs...), append(subs, ss...)
	}
	return feeds, subs, allow, nil
}

// rebuild recomputes every zone, journals the differences and publishes.
// It runs under rmu: e.inds and e.zones change only under rmu, so it reads
// them without mu, and takes mu to append to the journals and publish.
func (e *Engine) rebuild(ctx context.Context, now time.Time, changed []string) ([]*ZoneState, error) {
	var inds []rpz.Indicator
	if changed == nil {
		inds = make([]rpz.Indicator, 0, len(e.inds))
		for _, in := range e.inds {
			inds = append(inds, in)
		}
		slices.SortFunc(inds, func(a, b rpz.Indicator) int { return cmpStr(a.ID, b.ID) })
	}
	cands := func(name string) []rpz.Indicator {
		var out []rpz.Indicator
		for _, id := range e.byName[name] {
			out = append(out, e.inds[id])
		}
		return out
	}
	type change struct {
		st    *ZoneState
		d     rpz.Delta
		fresh bool // a zone new to this process: its delta says nothing of the content at d.From
	}
	var changes []change
	zones := map[string]*ZoneState{}
	byZone := map[string][]*ZoneState{}
	policies := map[string]*rpz.Policy{}
	var moved []*ZoneState
	for _, sub := range e.nextSubs {
		comms, err := e.Dir.CommunitiesOf(ctx, sub.OrgID)
		if err != nil {
			return nil, err
		}
		m := sub.Member(comms)
		pol := rpz.NewPolicy(0)
		for _, f := range e.feeds {
			if !slices.Contains(sub.Feeds, f.ID) {
				continue
			}
			key := f.ID + "/" + sub.ID
			old := e.zones[key]
			var z rpz.Zone
			var delta *rpz.Delta
			if changed != nil && old != nil {
				var d rpz.Delta
				z, d = rpz.Update(f, m, rpz.Zone{Origin: f.Zone, Records: old.Records, Source: old.Source}, changed, cands, e.allow)
				delta = &d
			} else {
				if inds == nil { // a zone new to an incremental round
					for _, in := range e.inds {
						inds = append(inds, in)
					}
					slices.SortFunc(inds, func(a, b rpz.Indicator) int { return cmpStr(a.ID, b.ID) })
				}
				z = rpz.Build(f, m, inds, e.allow)
			}
			st := &ZoneState{Key: key, Feed: f, Sub: sub, Records: z.Records, Source: z.Source}
			switch {
			case old == nil:
				st.journal = &rpz.Journal{}
				last := uint32(0)
				if e.Journal != nil {
					last, _ = e.Journal.RPZLastSerial(ctx, key)
				}
				st.Serial = rpz.NextSerial(last, now)
				changes = append(changes, change{st: st, d: rpz.Delta{From: last, To: st.Serial}, fresh: true})
			default:
				st.journal, st.Serial = old.journal, old.Serial
				if delta == nil {
					d := rpz.Diff(old.Records, z.Records)
					delta = &d
				}
				if d := *delta; !d.Empty() || signature([]rpz.Feed{old.Feed}, nil, nil) != signature([]rpz.Feed{f}, nil, nil) {
					d.From, d.To = old.Serial, rpz.NextSerial(old.Serial, now)
					st.Serial = d.To
					changes = append(changes, change{st: st, d: d})
					moved = append(moved, st)
				}
			}
			zones[key] = st
			byZone[f.Zone] = append(byZone[f.Zone], st)
			pol.Add(rpz.Zone{Origin: f.Zone, Records: z.Records, Source: z.Source})
		}
		policies[sub.ID] = pol
	}
	e.mu.Lock()
	for _, c := range changes {
		if !c.fresh {
			c.st.journal.Append(c.d) // IXFR from a serial before this process answers with the whole zone
		}
	}
	e.zones, e.byZone, e.subs = zones, byZone, e.nextSubs
	e.policies.Store(&policies)
	e.mu.Unlock()
	for _, c := range changes {
		e.record(ctx, c.st.Key, c.d, now)
	}
	return moved, nil
}

func (e *Engine) record(ctx context.Context, key string, d rpz.Delta, now time.Time) {
	if e.Journal == nil {
		return
	}
	if err := e.Journal.AppendRPZJournal(ctx, key, d, now); err != nil {
		e.log().Warn("rpz journal", "zone", key, "err", err)
	}
}

// Zones returns the states of the zone named origin, one per subscriber.
func (e *Engine) Zones(origin string) []*ZoneState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.byZone[origin]
}

// All returns every zone state.
func (e *Engine) All() []*ZoneState {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*ZoneState, 0, len(e.zones))
	for _, z := range e.zones {
		out = append(out, z)
	}
	slices.SortFunc(out, func(a, b *ZoneState) int { return cmpStr(a.Key, b.Key) })
	return out
}

// Subscribers returns the subscribers in force.
func (e *Engine) Subscribers() []rpz.Subscriber {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return slices.Clone(e.subs)
}

// Since returns the deltas of z from serial, or false when the journal
// cannot serve them.
func (e *Engine) Since(z *ZoneState, serial uint32) ([]rpz.Delta, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	ds, ok := z.journal.Since(serial)
	if ok && len(ds) > 0 && ds[len(ds)-1].To != z.Serial {
		return nil, false // the journal moved on after z was read
	}
	return ds, ok
}

// Policy returns the resolver policy of a subscriber (nil before the
// first load, or for an unknown subscriber).
func (e *Engine) Policy(subID string) *rpz.Policy {
	p := e.policies.Load()
	if p == nil {
		return nil
	}
	return (*p)[subID]
}

// Indicator returns a served indicator by id.
func (e *Engine) Indicator(id string) (rpz.Indicator, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	in, ok := e.inds[id]
	return in, ok
}

func signature(feeds []rpz.Feed, subs []rpz.Subscriber, allow []rpz.Allow) string {
	b := make([]byte, 0, 256)
	for _, f := range feeds {
		b = append(b, []byte(f.ID+f.Zone+f.WarnHost+string(f.Action)+string(f.MaxTLP))...)
		b = append(b, []byte(ftoa(f.MinScore)+utoa(f.TTL))...)
		for _, k := range f.Kinds {
			b = append(b, k...)
		}
		for _, c := range f.Communities {
			b = append(b, c...)
		}
		b = append(b, 0)
	}
	for _, s := range subs {
		b = append(b, []byte(s.ID+s.OrgID+s.KeyName+s.Secret)...)
		for _, f := range s.Feeds {
			b = append(b, f...)
		}
		for _, p := range s.Allow {
			b = append(b, p.String()...)
		}
		for _, n := range s.Notify {
			b = append(b, n...)
		}
		b = append(b, 0)
	}
	for _, a := range allow {
		b = append(b, a.Name...)
		b = append(b, 0)
	}
	return string(b)
}

// unindex takes an indicator's names out of byName.
func unindex(byName map[string][]string, in rpz.Indicator) {
	for _, n := range in.Names() {
		ids := slices.DeleteFunc(byName[n], func(id string) bool { return id == in.ID })
		if len(ids) == 0 {
			delete(byName, n)
		} else {
			byName[n] = ids
		}
	}
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func utoa(u uint32) string { return strconv.FormatUint(uint64(u), 10) }

// Publish serves z as subscriber s's copy of feed f at serial, outside the
// refresh cycle: for benchmarks and tools that load a zone directly.
func (e *Engine) Publish(f rpz.Feed, s rpz.Subscriber, z rpz.Zone, serial uint32) {
	e.rmu.Lock()
	defer e.rmu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	st := &ZoneState{Key: f.ID + "/" + s.ID, Feed: f, Sub: s, Serial: serial, Records: z.Records, Source: z.Source, journal: &rpz.Journal{}}
	if e.zones == nil {
		e.zones, e.byZone = map[string]*ZoneState{}, map[string][]*ZoneState{}
	}
	e.zones[st.Key] = st
	e.byZone[f.Zone] = []*ZoneState{st}
	e.subs = append(e.subs, s)
	e.nextSubs = e.subs
	e.loaded.Store(true)
}
