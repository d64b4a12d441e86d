package monitor

import (
	"encoding/json"
	"maps"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/match"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// Indicator is one detectable indicator as the matcher holds it.
type Indicator struct {
	ID      string
	Name    string
	Dist    *policy.Distribution // shared by every indicator with the same sharing
	Score   float64
	Entries []match.Entry    // simple values (Ref unset until compiled)
	Pattern *pattern.Pattern // set when the pattern is not simple: evaluated per event
}

// Index is one compiled generation: the match.Set and the indicators its
// refs point to, and, after small updates, a delta on top of the last full
// compile: the indicators added or changed since (refs after the base's)
// and which base indicators no longer count. It is immutable.
type Index struct {
	set      *match.Set
	recs     []rec    // by ref: canonical ids first, then the others
	byID     []int32  // the canonical ones by id (see find)
	names    []string // of recs
	dists    []*policy.Distribution
	odd      []string         // the ids of the last len(odd) recs, not canonical
	oddRef   map[string]int32 // their refs
	complex  []int32          // refs of the indicators evaluated per event, in order
	patterns []*pattern.Pattern
	Built    time.Time
	delta    *Index // nil: none
	masked   bitset // base indicators changed or removed since
	n        int
}

// Len returns the number of indicators detected on.
func (ix *Index) Len() int { return ix.n }

// ind returns the indicator of a ref, base or delta (without its entries
// and pattern, which the Index keeps compiled). It is small enough to be
// inlined, so that the Indicator stays on the caller's stack.
func (ix *Index) ind(ref int32) *Indicator {
	ind := ix.indicator(ref)
	return &ind
}

// dist returns the sharing of the indicator of a ref, without building
// the rest of it (the visibility check on every candidate hit needs only
// this).
func (ix *Index) dist(ref int32) *policy.Distribution {
	if int(ref) >= len(ix.recs) {
		ix, ref = ix.delta, ref-int32(len(ix.recs))
	}
	return ix.dists[ix.recs[ref].dist]
}

func (ix *Index) indicator(ref int32) Indicator {
	if int(ref) >= len(ix.recs) {
		ix, ref = ix.delta, ref-int32(len(ix.recs))
	}
	r := &ix.recs[ref]
	return Indicator{ID: ix.id(ref), Name: ix.names[r.name], Dist: ix.dists[r.dist], Score: r.score}
}

// MaxDelta is how many changed indicators an update carries on top of the
// last full compile; past it, the update recompiles everything.
const MaxDelta = 50_000

// Indicators keeps every detectable indicator and the compiled Index in
// use. The table is the last full compile (base) less the indicators
// masked since, plus the pending ones. Apply, Update and Rebuild are
// serialised by mu; readers call Current, which takes no lock, so look-ups
// never wait for a compile.
type Indicators struct {
	mu      sync.Mutex                      // guards pending, masked, base, live, names, dists and Seq
	pending map[string]change               // changed since the last full compile
	masked  bitset                          // base refs changed or removed since the last full compile
	base    *Index                          // the last full compile
	live    int                             // indicators in the table
	names   map[string]string               // shared: feeds repeat names
	dists   map[string]*policy.Distribution // interned: indicators share few distinct sharings
	Seq     int64                           // the store sequence read up to (for refreshers)
	cur     atomic.Pointer[Index]
	// MinScore: indicators scoring below it are not detected on.
	MinScore float64
	// Decay scores indicators (the hub's --decay); intel.DefaultDecay when unset.
	Decay intel.Decay
}

// NewIndicators returns an empty set.
func NewIndicators() *Indicators {
	x := &Indicators{pending: map[string]change{}, names: map[string]string{}, dists: map[string]*policy.Distribution{}}
	x.base = &Index{set: match.Build(nil)}
	x.cur.Store(x.base)
	return x
}

// Current returns the Index in use.
func (x *Indicators) Current() *Index { return x.cur.Load() }

// has reports whether id (u and canonical as parseID reads it) is in the
// table. Callers hold mu.
func (x *Indicators) has(id string, u uid, canonical bool) bool {
	if c, ok := x.pending[id]; ok {
		return c.ind != nil
	}
	ref, ok := x.base.find(id, u, canonical)
	return ok && !x.masked.has(ref)
}

// set replaces or removes (ind nil) the indicator id. Callers hold mu.
func (x *Indicators) set(id string, ind *Indicator) {
	u, canonical := parseID(id)
	had := x.has(id, u, canonical)
	if !had && ind == nil {
		return
	}
	if ref, ok := x.base.find(id, u, canonical); ok {
		x.masked.set(ref, len(x.base.recs))
	}
	x.pending[id] = change{ind, u, canonical}
	switch {
	case had && ind == nil:
		x.live--
	case !had && ind != nil:
		x.live++
	}
}

// forget empties the table; the next compile holds only what is applied
// after. Callers hold mu.
func (x *Indicators) forget() {
	x.pending, x.masked, x.live = map[string]change{}, nil, 0
	for ref := range x.base.recs {
		x.masked.set(int32(ref), len(x.base.recs))
	}
}

// Apply takes changed objects (new versions, revocations) into the table:
// a detectable indicator is added or replaced, anything else with its id
// is removed. It returns how many entries changed; Update or Rebuild makes
// them visible to look-ups.
func (x *Indicators) Apply(objs []intel.Object, now time.Time) int {
	x.mu.Lock()
	defer x.mu.Unlock()
	n := 0
	for _, o := range objs {
		ind, ok := indicatorOfWith(o, now, x.MinScore, x.decay())
		if !ok {
			if u, canonical := parseID(o.ID); x.has(o.ID, u, canonical) {
				x.set(o.ID, nil)
				n++
			}
			continue
		}
		ind.Dist = x.intern(ind.Dist)
		ind.Name = x.name(ind.Name)
		x.set(o.ID, &ind)
		n++
	}
	return n
}

// intern returns the shared copy of d. Callers hold mu.
func (x *Indicators) intern(d *policy.Distribution) *policy.Distribution {
	var b strings.Builder
	b.WriteString(string(d.TLP))
	for _, part := range [][]string{{d.AuthorOrg, d.AuthorUser}, d.Communities, d.Orgs, d.Users, d.Compartments} {
		b.WriteByte(0)
		b.WriteString(strings.Join(part, "\x01"))
	}
	k := b.String()
	if c, ok := x.dists[k]; ok {
		return c
	}
	x.dists[k] = d
	return d
}

// Rebuild compiles the whole table into a new Index and puts it in use.
func (x *Indicators) Rebuild(now time.Time) *Index {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.rebuild(now)
}

func (x *Indicators) rebuild(now time.Time) *Index {
	ix := compile(x.base, x.masked, maps.Values(x.pending), len(x.pending), now)
	x.base, x.masked, x.pending = ix, nil, map[string]change{}
	x.cur.Store(ix)
	return ix
}

// Update makes the changes applied since the last full compile visible:
// as a small delta on top of it (milliseconds), or by recompiling
// everything when more than MaxDelta indicators changed.
func (x *Indicators) Update(now time.Time) *Index {
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.pending) > MaxDelta || x.base.Built.IsZero() {
		return x.rebuild(now)
	}
	ix := *x.base
	ix.n, ix.delta, ix.masked = x.live, compile(nil, nil, maps.Values(x.pending), len(x.pending), now), slices.Clone(x.masked)
	x.cur.Store(&ix)
	return &ix
}

// Compile builds an Index from indicators; it keeps their names and
// sharings, and compiles their entries and patterns.
func Compile(inds []*Indicator, now time.Time) *Index {
	changes := func(yield func(change) bool) {
		for _, ind := range inds {
			if !yield(changeOf(ind)) {
				return
			}
		}
	}
	return compile(nil, nil, changes, len(inds), now)
}

var (
	ja3RE = regexp.MustCompile(`(?i)\bja[34]s?[a-z_'.\-]*\s*=\s*'([0-9a-z_]{20,80})'`)
	uaRE  = regexp.MustCompile(`(?i)user-agent'?\s*=\s*'([^']{1,512})'`)
)

// indicatorOf reads a stored object as a detectable indicator: a current,
// unrevoked STIX indicator with a pattern kyojo can match, scoring at
// least min.
func indicatorOf(o intel.Object, now time.Time, min float64) (Indicator, bool) {
	return indicatorOfWith(o, now, min, intel.DefaultDecay)
}

func (x *Indicators) decay() intel.Decay {
	if x.Decay.HalfLife == nil {
		return intel.DefaultDecay
	}
	return x.Decay
}

// indicatorOfWith is indicatorOf with the hub's decay.
func indicatorOfWith(o intel.Object, now time.Time, min float64, dec intel.Decay) (Indicator, bool) {
	if o.Type != "indicator" || o.Revoked || (o.ValidUntil != nil && !now.Before(*o.ValidUntil)) || !dec.Detectable(o, now, min) {
		return Indicator{}, false
	}
	var raw struct {
		Name        string `json:"name"`
		Pattern     string `json:"pattern"`
		PatternType string `json:"pattern_type"`
	}
	if json.Unmarshal(o.Raw, &raw) != nil || raw.PatternType != "stix" {
		return Indicator{}, false
	}
	d := o.Dist
	ind := Indicator{ID: o.ID, Name: raw.Name, Dist: &d, Score: dec.Score(o, now)}
	ind.Name = clip(ind.Name, 200)
	p, err := pattern.Parse(raw.Pattern)
	if err != nil {
		return Indicator{}, false
	}
	if obs, ok := p.Simple(); ok {
		for _, ob := range obs {
			if e, ok := entryOf(ob); ok {
				ind.Entries = append(ind.Entries, e)
			}
		}
		return ind, len(ind.Entries) > 0
	}
	// Fingerprints and user agents have no standard SCO property; a
	// comparison on a property named like one is indexed as one.
	for _, m := range ja3RE.FindAllStringSubmatch(raw.Pattern, 8) {
		ind.Entries = append(ind.Entries, match.Entry{Kind: match.JA3, Value: m[1]})
	}
	for _, m := range uaRE.FindAllStringSubmatch(raw.Pattern, 8) {
		ind.Entries = append(ind.Entries, match.Entry{Kind: match.UserAgent, Value: m[1]})
	}
	if len(ind.Entries) == 0 {
		ind.Pattern = p
	}
	return ind, true
}

func entryOf(ob pattern.Observable) (match.Entry, bool) {
	switch ob.Type {
	case "ipv4-addr", "ipv6-addr":
		return match.Entry{Kind: match.IP, Value: ob.Value}, true
	case "domain-name":
		return match.Entry{Kind: match.Domain, Value: ob.Value}, true
	case "url":
		u, err := url.Parse(ob.Value)
		if err != nil || u.Host == "" {
			return match.Entry{}, false
		}
		return match.Entry{Kind: match.URL, Value: intel.NormalizeURL(u)}, true
	case "email-addr":
		return match.Entry{Kind: match.Email, Value: ob.Value}, true
	}
	if strings.Contains(ob.Type, ":hashes.") {
		return match.Entry{Kind: match.Hash, Value: ob.Value}, true
	}
	return match.Entry{}, false
}

// found is one visible hit of one event.
type found struct {
	ref      int32
	kind     string
	value    string // the indicator value
	observed string
}

var kindOf = map[string]match.Kind{"ip": match.IP, "domain": match.Domain, "url": match.URL, "hash": match.Hash,
	"email": match.Email, "ja3": match.JA3, "user_agent": match.UserAgent}

// scratch is what matching keeps between events of one goroutine.
type scratch struct {
	hits []match.Hit
	sc   match.Screen // the probes of a group of events in the base table
	one  match.Screen // the probes of one event in a delta
}

// group is how many events Processor screens together: enough probes for
// the processor to have as many filter reads in flight as it can
// (BenchmarkMatchGroup: 4.0 M events/s against 3.1 one at a time here).
const group = match.MaxGroups

// match returns the hits of one event that visible allows (refs as
// Index.ind takes them): for an address only the longest visible prefix;
// each indicator once per event. s may be nil. The processor matches in
// groups (matchGroup); this is the one-event form, for tests and callers
// with a single event.
func (ix *Index) match(s *scratch, ev *parse.Event, visible func(int32) bool) []found {
	var out []found
	ix.matchGroup(s, []parse.Event{*ev}, visible, func(_ int, fs []found) { out = fs })
	return out
}

// matchGroup calls each with the hits of every event of evs (at most
// match.MaxGroups of them) in turn, as match gives them. The filter
// reads of the whole group are made together: most events' values are no
// indicator's, and the filter rules them out for about one read's wait
// per group instead of one per value.
func (ix *Index) matchGroup(s *scratch, evs []parse.Event, visible func(int32) bool, each func(i int, fs []found)) {
	if s == nil {
		s = new(scratch)
	}
	s.sc.Reset()
	for i := range evs {
		ix.probes(&s.sc, &evs[i])
		s.sc.Next()
	}
	pass := ix.set.Passes(&s.sc)
	base := visible
	if ix.masked != nil {
		base = func(ref int32) bool { return !ix.masked.has(ref) && visible(ref) }
	}
	off := int32(len(ix.recs))
	inDelta := func(ref int32) bool { return visible(ref + off) }
	for i := range evs {
		ev := &evs[i]
		out := ix.match1(nil, s, ev, 0, base, pass>>i&1 != 0)
		if d := ix.delta; d != nil {
			s.one.Reset()
			d.probes(&s.one, ev)
			s.one.Next()
			out = d.match1(out, s, ev, off, inDelta, d.set.Passes(&s.one) != 0)
		}
		each(i, out)
	}
}

// probes adds the filter probes of ev's simple look-ups in the table to
// the current group of sc.
func (ix *Index) probes(sc *match.Screen, ev *parse.Event) {
	set := ix.set
	for _, a := range [2]netip.Addr{ev.SrcIP, ev.DstIP} {
		if a.IsValid() {
			set.AddAddr(sc, a)
		}
	}
	for _, a := range ev.Addrs {
		set.AddAddr(sc, a)
	}
	for _, d := range ev.Domains {
		set.Add(sc, match.Domain, d)
	}
	for _, u := range ev.URLs {
		set.Add(sc, match.URL, u)
	}
	for _, h := range ev.Hashes {
		set.Add(sc, match.Hash, h)
	}
	for _, m := range ev.Emails {
		set.Add(sc, match.Email, m)
	}
	for _, j := range ev.JA3 {
		set.Add(sc, match.JA3, j)
	}
	if ev.UserAgent != "" {
		set.Add(sc, match.UserAgent, ev.UserAgent)
	}
}

// match1 is match on one compiled table whose refs start at off; its
// simple look-ups are made only if the screen passed.
func (ix *Index) match1(out []found, s *scratch, ev *parse.Event, off int32, visible func(int32) bool, passed bool) []found {
	if passed {
		out = ix.lookups(out, s, ev, off, visible)
	}
	if len(ix.complex) > 0 {
		var obs []pattern.Observation
		for k, ref := range ix.complex {
			if !visible(ref) || holds(out, ref+off) {
				continue
			}
			if obs == nil {
				obs = []pattern.Observation{observation(ev)}
			}
			p := ix.patterns[k]
			if ok, err := p.Match(obs); err == nil && ok {
				out = append(out, found{ref: ref + off, kind: "pattern", value: clip(p.String(), 200), observed: firstObservable(ev)})
			}
		}
	}
	return out
}

// lookups adds the visible hits of ev's observables in the table.
func (ix *Index) lookups(out []found, s *scratch, ev *parse.Event, off int32, visible func(int32) bool) []found {
	lookup := func(k match.Kind, v string) {
		s.hits = ix.set.Lookup(s.hits[:0], k, v)
		bits := -1
		for _, h := range s.hits {
			if k == match.IP && bits >= 0 && h.Bits < bits {
				break // a shorter prefix than the longest visible one
			}
			if !visible(h.Ref) || holds(out, h.Ref+off) {
				continue
			}
			bits = h.Bits
			out = append(out, found{ref: h.Ref + off, kind: k.String(), value: h.Prefix(), observed: v})
		}
	}
	for _, a := range [2]netip.Addr{ev.SrcIP, ev.DstIP} {
		if a.IsValid() {
			if s.hits = ix.set.LookupAddr(s.hits[:0], a); len(s.hits) > 0 {
				lookup(match.IP, a.Unmap().String())
			}
		}
	}
	for _, a := range ev.Addrs {
		lookup(match.IP, a.Unmap().String())
	}
	for _, d := range ev.Domains {
		lookup(match.Domain, d)
	}
	for _, u := range ev.URLs {
		lookup(match.URL, u)
	}
	for _, h := range ev.Hashes {
		lookup(match.Hash, h)
	}
	for _, m := range ev.Emails {
		lookup(match.Email, m)
	}
	for _, j := range ev.JA3 {
		lookup(match.JA3, j)
	}
	if ev.UserAgent != "" {
		lookup(match.UserAgent, ev.UserAgent)
	}
	return out
}

// holds reports whether out has a hit of ref.
func holds(out []found, ref int32) bool {
	for _, f := range out {
		if f.ref == ref {
			return true
		}
	}
	return false
}

func firstObservable(ev *parse.Event) string {
	if o := ev.Observables(); len(o) > 0 {
		return o[0].Value
	}
	return ""
}

// observation turns an event into the STIX observation the pattern
// evaluator reads: addresses, a network-traffic object referring to them,
// domains, URLs, files by hash, e-mail addresses.
func observation(ev *parse.Event) pattern.Observation {
	objs := map[string]map[string]any{}
	n := 0
	add := func(o map[string]any) string {
		k := itoa(n)
		n++
		objs[k] = o
		return k
	}
	addr := func(a netip.Addr) string {
		t := "ipv4-addr"
		if a.Unmap().Is6() {
			t = "ipv6-addr"
		}
		return add(map[string]any{"type": t, "value": a.Unmap().String()})
	}
	nt := map[string]any{"type": "network-traffic"}
	if ev.SrcIP.IsValid() {
		nt["src_ref"] = addr(ev.SrcIP)
	}
	if ev.DstIP.IsValid() {
		nt["dst_ref"] = addr(ev.DstIP)
	}
	if ev.SrcPort != 0 {
		nt["src_port"] = float64(ev.SrcPort)
	}
	if ev.DstPort != 0 {
		nt["dst_port"] = float64(ev.DstPort)
	}
	if ev.Proto != "" {
		nt["protocols"] = []any{lower(ev.Proto)}
	}
	add(nt)
	for _, a := range ev.Addrs {
		addr(a)
	}
	for _, d := range ev.Domains {
		add(map[string]any{"type": "domain-name", "value": d})
	}
	for _, u := range ev.URLs {
		add(map[string]any{"type": "url", "value": u})
	}
	for _, h := range ev.Hashes {
		alg := map[int]string{32: "MD5", 40: "SHA-1", 64: "SHA-256", 128: "SHA-512"}[len(h)]
		if alg != "" {
			add(map[string]any{"type": "file", "hashes": map[string]any{alg: h}})
		}
	}
	for _, m := range ev.Emails {
		add(map[string]any{"type": "email-addr", "value": m})
	}
	t := ev.Time
	return pattern.Observation{FirstObserved: t, LastObserved: t, NumberObserved: 1, Objects: objs}
}
