package monitor

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io/fs"
	"log/slog"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Message is one batch of lines from one sensor, as it travels from
// ingest to the processor. ID is its idempotency key.
type Message struct {
	ID         string    `json:"id"`
	SensorID   string    `json:"sensor_id"`
	ReceivedAt time.Time `json:"received_at"`
	// Data is the newline-separated lines, compressed by Pack when
	// Packed (ingest always packs; a message from an older hub may not be).
	Data    []byte `json:"-"`
	Packed  bool   `json:"packed,omitempty"`
	TooLong int64  `json:"too_long,omitempty"` // lines ingest dropped for being longer than parse.MaxLine
	// Raw, when set, names the record in this node's raw event files
	// (Options.RawFiles) that holds the packed lines, and Data is empty:
	// on a LocalStream ingest keeps the batch for retention before it
	// publishes, so the bytes are written once and the stream carries
	// only where they are. Expires is the record's expiry (its folder's
	// day), which the store then keeps.
	Raw     RawRef    `json:"-"`
	Expires time.Time `json:"-"`
	// FirstDelivery is set by a stream that knows this is the message's
	// first delivery: the stream drops a second publication of a batch id
	// within its duplicate window, so the batch is almost surely new and
	// is not looked up before it is parsed. Applying it checks anyway.
	FirstDelivery bool `json:"-"`
}

// Directory is what monitoring needs of identity.
type Directory interface {
	Org(ctx context.Context, id string) (identity.Org, error)
	OrgBySlug(ctx context.Context, slug string) (identity.Org, error)
	CommunitiesOf(ctx context.Context, orgID string) ([]string, error)
}

// Options configure processing.
type Options struct {
	Window    time.Duration // hits of one indicator in one organisation this close aggregate; default 1 hour
	MaxAge    time.Duration // events older than this are rejected; default 30 days
	MaxFuture time.Duration // events later than now plus this are rejected; default 1 hour
	Retention time.Duration // raw events kept this long; default 90 days
	// RetentionFor, when set, gives an organisation's retention of raw
	// events (its "events" retention rule); 0 falls back to Retention.
	RetentionFor func(ctx context.Context, orgID string) time.Duration
	Rules        []Rule // escalation rules; DefaultRules when nil
	Codec        string // how batches are compressed (CodecS2, CodecZstd); default s2
	// RawFiles keeps raw batches outside the store (rawlog.Log); nil: the
	// store keeps them. With RawFilesReadOnly the store keeps new ones and
	// RawFiles only reads those kept in files before (a hub that moved its
	// raw events into the database).
	RawFiles         RawFiles
	RawFilesReadOnly bool
	Sightings        *Sightings // record alerts as STIX sightings; nil: not recorded
	Now              func() time.Time
	Log              *slog.Logger
}

// retention is how long the raw events of orgID are kept.
func (o *Options) retention(ctx context.Context, orgID string) time.Duration {
	if o.RetentionFor != nil {
		if d := o.RetentionFor(ctx, orgID); d > 0 {
			return d
		}
	}
	return o.Retention
}

// keepsRaw reports whether RawFiles takes new batches.
func (o *Options) keepsRaw() bool { return o.RawFiles != nil && !o.RawFilesReadOnly }

func (o *Options) defaults() {
	if o.Window <= 0 {
		o.Window = time.Hour
	}
	if o.MaxAge <= 0 {
		o.MaxAge = 30 * 24 * time.Hour
	}
	if o.MaxFuture <= 0 {
		o.MaxFuture = time.Hour
	}
	if o.Retention <= 0 {
		o.Retention = 90 * 24 * time.Hour
	}
	if o.Rules == nil {
		o.Rules = DefaultRules
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
}

// Processor turns messages into applied batches: parse each line with the
// sensor's format, match the observables against what the sensor's
// organisation may see, aggregate the hits, and apply it all in one store
// transaction keyed by the message id. It is safe for concurrent use.
type Processor struct {
	st     Store
	dir    Directory
	ind    *Indicators
	esc    Escalator
	opt    Options
	mu     sync.Mutex // guards cache
	cache  map[string]cached
	bufs   freeList[[]byte] // buffers for unpacked lines
	packed freeList[[]byte] // buffers for batches read back from RawFiles
	hand   *handoff         // batches ingest in this process kept, in memory
	stats  Stats
}

type cached struct {
	sensor Sensor
	org    identity.Org
	member policy.Member
	at     time.Time
}

// NewProcessor returns a Processor. esc may be nil: alerts then stay
// alerts.
func NewProcessor(st Store, dir Directory, ind *Indicators, esc Escalator, opt Options) *Processor {
	opt.defaults()
	return &Processor{st: st, dir: dir, ind: ind, esc: esc, opt: opt, cache: map[string]cached{}, hand: newHandoff(opt.Now),
		bufs:   freeList[[]byte]{make: func() []byte { return make([]byte, 0, MaxUnpacked) }},
		packed: freeList[[]byte]{make: func() []byte { return make([]byte, 0, packBufSize+rawlog.MaxRecordOverhead) }}}
}

// context returns the sensor, its organisation and the member whose
// visibility matching uses, cached for 30 seconds.
func (p *Processor) context(ctx context.Context, sensorID string) (cached, error) {
	now := p.opt.Now()
	p.mu.Lock()
	c, ok := p.cache[sensorID]
	p.mu.Unlock()
	if ok && now.Sub(c.at) < 30*time.Second {
		return c, nil
	}
	s, err := p.st.Sensor(ctx, sensorID)
	if err != nil {
		return c, err
	}
	o, err := p.dir.Org(ctx, s.OrgID)
	if err != nil {
		return c, err
	}
	cs, err := p.dir.CommunitiesOf(ctx, s.OrgID)
	if err != nil {
		return c, err
	}
	c = cached{sensor: s, org: o, at: now, member: OrgMember(o, sensorID, cs)}
	p.mu.Lock()
	p.cache[sensorID] = c
	p.mu.Unlock()
	return c, nil
}

// OrgMember is who matching acts as for an organisation's sensor: a member
// of the organisation and its communities holding no compartments and
// named in no TLP:RED distribution. So a sensor matches what every member
// of its organisation may see, and no more.
func OrgMember(o identity.Org, sensorID string, communities []string) policy.Member {
	return policy.Member{Viewer: policy.Viewer{UserID: "sensor:" + sensorID, OrgID: o.ID, OrgKind: string(o.Kind), Role: policy.ReadOnly, Scope: policy.ScopeRead},
		Communities: communities}
}

// Result sums one processed message.
type Result struct {
	Applied  bool // false: the message id was processed before, nothing changed
	Events   int64
	Rejected int64
	Hits     int64 // indicator hits in the events (the alerts aggregate them)
	Alerts   []Alert
}

// Process processes one message. It returns an error only when the
// message could not be applied (the store failed, the sensor is unknown):
// then the caller redelivers it. Bad lines are counted, not errors.
func (p *Processor) Process(ctx context.Context, m Message) (res Result, err error) {
	defer func(start time.Time) { p.stats.count(start, res, err) }(time.Now())
	return p.process(ctx, m)
}

func (p *Processor) process(ctx context.Context, m Message) (Result, error) {
	// Taken first, whatever becomes of the message: an entry left behind
	// would only hold memory.
	var hd handed
	inMemory := false
	if m.Raw.Segment != "" {
		if hd, inMemory = p.hand.take(m.ID, m.SensorID, m.Raw); inMemory {
			p.stats.InMemory.Add(1)
		}
	}
	c, err := p.context(ctx, m.SensorID)
	if errs.Is(err, errs.NotFound) {
		// A sensor (or organisation) that no longer exists: redelivering
		// would never help.
		p.opt.Log.WarnContext(ctx, "batch of an unknown sensor dropped", "batch", m.ID, "sensor", m.SensorID)
		return Result{}, nil
	}
	if err != nil {
		return Result{}, err
	}
	// A batch processed before (a file read again by kyojo ingest, a
	// redelivery) is not parsed again, nor its raw events kept twice. On a
	// first delivery from the stream the look-up (a read transaction, a
	// tenth of a millisecond) is left to ApplyBatch, which counts nothing
	// twice in any case; a sensor that sends a batch again after the
	// stream's duplicate window has it parsed for nothing, and its raw
	// bytes written again to a segment file that no row names.
	if !m.FirstDelivery {
		if seen, err := p.st.BatchSeen(ctx, m.ID); err != nil {
			return Result{}, err
		} else if seen {
			return Result{}, nil
		}
	}
	now := p.opt.Now().UTC()
	expires := m.Expires
	if m.Raw.Segment == "" || expires.IsZero() {
		expires = now.Add(p.opt.retention(ctx, c.org.ID))
	}
	fresh := func() Batch {
		b := Batch{ID: m.ID, SensorID: m.SensorID, OrgID: c.org.ID, Sector: string(c.org.Sector), ReceivedAt: m.ReceivedAt,
			ProcessedAt: now, Reasons: map[string]int64{}, Expires: expires, Window: p.opt.Window}
		if m.TooLong > 0 {
			b.Rejected += m.TooLong
			b.Reasons["too long"] += m.TooLong
			b.LastError = "a line is longer than " + itoa(parse.MaxLine) + " bytes"
		}
		return b
	}
	b := fresh()
	r := parse.Reader{Format: c.sensor.Format, Now: func() time.Time { return m.ReceivedAt }}
	if c.sensor.Mapping != nil {
		r.Mapping = *c.sensor.Mapping
	}
	ix := p.ind.Current()
	visible := func(ref int32) bool { return policy.CanSee(c.member, *ix.dist(ref)) }
	sc := newScan(&b, r, ix, visible, now.Add(-p.opt.MaxAge), now.Add(p.opt.MaxFuture))
	// A batch ingest kept already is read back from the raw event files,
	// unless ingest handed its lines over in memory.
	if m.Raw.Segment != "" && !inMemory {
		buf := p.packed.get()
		defer p.packed.put(buf)
		if m.Data, err = p.readKept(m.Raw, c.org.ID, m.ID, buf); err != nil {
			if !errs.Is(err, errs.Invalid) {
				return Result{}, err // the disk may answer later: redelivered
			}
			p.opt.Log.WarnContext(ctx, "batch whose kept record cannot be read rejected", "batch", m.ID, "sensor", m.SensorID, "err", err)
			return p.reject(ctx, fresh(), "kept batch unreadable", "the batch kept at ingest could not be read: "+err.Error())
		}
		p.stats.ReadBack.Add(1)
	}
	// The lines are kept for retention as they came, compressed; a message
	// that came uncompressed is compressed here. S2 batches (what ingest
	// writes) are parsed a chunk at a time as they decompress.
	raw := m.Data
	switch {
	case inMemory:
		sc.lines(hd.lines)
	case !m.Packed:
		raw = Pack(p.opt.Codec, m.Data)
		sc.lines(m.Data)
	case bytes.HasPrefix(m.Data, magicS2):
		buf := p.bufs.get()
		buf, err = linesS2(buf, m.Data, sc.lines)
		p.bufs.put(buf)
	default:
		var lines []byte
		buf := p.bufs.get()
		if lines, err = unpackStreamed(buf[:0], m.Data); err == nil {
			sc.lines(lines)
		}
		p.bufs.put(lines[:0])
	}
	if err != nil {
		// Not data this hub's ingest wrote (a foreign publisher on an
		// external stream, or damage): redelivering would not help. It
		// shows on the sensor's health as one rejected batch, and
		// nothing of the lines that did decompress counts.
		p.opt.Log.WarnContext(ctx, "batch that does not decompress rejected", "batch", m.ID, "sensor", m.SensorID, "err", err)
		return p.reject(ctx, fresh(), "undecodable batch", "a batch did not decompress: "+err.Error())
	}
	sc.finish()
	b.Raw = raw
	if inMemory {
		b.Record = batchRecord(b, c.sensor.Name, now, hd.sum, hd.size)
	} else if len(raw) > 0 {
		b.Record = batchRecord(b, c.sensor.Name, now, sha256.Sum256(raw), len(raw))
	}
	// Written before the transaction that refers to it: a batch delivered
	// again, or a transaction that fails, leaves a record no row names,
	// deleted with its day's folder. A batch ingest kept is where it is.
	switch {
	case m.Raw.Segment != "":
		b.RawRef = m.Raw
	case b.Record != nil && p.opt.keepsRaw():
		if b.RawRef, err = p.opt.RawFiles.Append(b.OrgID, b.Expires, b.ID, raw); err != nil {
			return Result{}, err // redelivered: a disk that fills now may not later
		}
	}
	applied, alerts, err := p.st.ApplyBatch(ctx, b)
	if err != nil {
		return Result{}, err
	}
	res := Result{Applied: applied, Events: b.Events, Rejected: b.Rejected, Alerts: alerts}
	for _, h := range b.Hits {
		res.Hits += h.Count
	}
	if applied {
		p.sight(ctx, b, alerts, ix)
		p.escalate(ctx, c.org, alerts)
	}
	return res, nil
}

// reject applies b (fresh, nothing of the batch's lines counted) as one
// rejected batch with reason: what shows on the sensor's health when a
// batch cannot be read at all. Redelivering would not help.
func (p *Processor) reject(ctx context.Context, b Batch, reason, detail string) (Result, error) {
	b.Rejected++
	b.Reasons[reason]++
	b.LastError = clip(detail, 300)
	applied, _, err := p.st.ApplyBatch(ctx, b)
	if err != nil {
		return Result{}, err
	}
	return Result{Applied: applied, Rejected: b.Rejected}, nil
}

// readKept reads the packed batch ingest kept at ref, into buf's storage
// when it is large enough. It fails with errs.Invalid when the record will
// never be read (its segment is gone, it is damaged, or this node keeps no
// raw event files) and with errs.Unavailable when the disk failed
// otherwise.
func (p *Processor) readKept(ref RawRef, orgID, batchID string, buf []byte) ([]byte, error) {
	if p.opt.RawFiles == nil {
		return nil, errs.E(errs.Invalid, "this node keeps no raw event files (--event-store), and the batch is in %s", ref.Segment)
	}
	if path.Clean(ref.Segment) != ref.Segment || !strings.HasPrefix(ref.Segment, orgID+"/") {
		// Ingest keeps a sensor's batches in its organisation's folder:
		// anything else is not this sensor's to read.
		return nil, errs.E(errs.Invalid, "the batch is said to be in %s, outside its organisation's folder", ref.Segment)
	}
	data, err := p.opt.RawFiles.ReadTo(buf, ref, batchID)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, rawlog.ErrDamaged):
		return nil, errs.E(errs.Invalid, "%v", err)
	case err != nil:
		return nil, errs.E(errs.Unavailable, "%v", err)
	}
	return data, nil
}

// sight records the sightings the alerts of a batch call for; a failure
// is logged (the alert itself is the record of the hit).
func (p *Processor) sight(ctx context.Context, b Batch, alerts []Alert, ix *Index) {
	if p.opt.Sightings == nil || len(alerts) != len(b.Hits) {
		return
	}
	for i, a := range alerts {
		h := b.Hits[i]
		if !due(a.Count-h.Count, a.Count) || ix.ind(h.ref).ID != a.IndicatorID {
			continue
		}
		if err := p.opt.Sightings.record(ctx, a, *ix.ind(h.ref), b.ProcessedAt); err != nil {
			p.opt.Log.WarnContext(ctx, "sighting not recorded", "alert", a.ID, "err", err)
		}
	}
}

// escalate applies the rules to the alerts a batch touched; failures are
// logged and the alert stays an alert (an analyst can escalate by hand).
func (p *Processor) escalate(ctx context.Context, o identity.Org, alerts []Alert) {
	if p.esc == nil {
		return
	}
	for _, a := range alerts {
		if a.Incident != "" {
			continue
		}
		d := Decide(p.opt.Rules, a, int(o.Tier))
		if !d.Escalate {
			continue
		}
		id, err := p.esc.OpenOrJoin(ctx, a, d.why(a))
		if err != nil {
			p.opt.Log.WarnContext(ctx, "escalation failed", "alert", a.ID, "err", err)
			continue
		}
		if err := p.st.SetIncident(ctx, a.ID, id); err != nil {
			p.opt.Log.WarnContext(ctx, "escalation not recorded", "alert", a.ID, "err", err)
		}
	}
}

// severity is 1 (high) … 4 (low): from the indicator's score, raised by
// the sensor's own severity when that is higher.
func severity(score float64, sensor int) int {
	s := 4
	switch {
	case score >= 80:
		s = 1
	case score >= 60:
		s = 2
	case score >= 30:
		s = 3
	}
	if sensor >= 1 && sensor < s {
		s = sensor
	}
	return s
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// batchRecord is the audit record of a batch whose raw events are kept:
// its id, counts and the SHA-256 (sum) and length (size) of the kept
// bytes. The evidence ledger anchors every audit record, so a kept batch
// can be shown unaltered later: its bytes hash to the value in a ledger
// entry with an inclusion proof. nil when no line was read.
func batchRecord(b Batch, sensorName string, now time.Time, sum [32]byte, size int) *audit.Record {
	if b.Events+b.Rejected == 0 {
		return nil
	}
	detail, _ := json.Marshal(map[string]any{"sensor_id": b.SensorID, "received_at": b.ReceivedAt.UTC().Format(time.RFC3339Nano),
		"events": b.Events, "rejected": b.Rejected, "raw_bytes": size, "raw_sha256": hex.EncodeToString(sum[:])})
	return &audit.Record{Time: now.Truncate(time.Microsecond), ActorID: "sensor:" + b.SensorID, ActorName: sensorName, ActorOrgID: b.OrgID,
		Action: "monitor.batch", ObjectType: "event-batch", ObjectID: b.ID, ObjectOrg: b.OrgID, Outcome: audit.Success, Via: "system", Detail: detail}
}

// newID returns a time-ordered id.
func newID() string { return uuid.Must(uuid.NewV7()).String() }
