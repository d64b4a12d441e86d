package monitor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/minio/highwayhash"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Publisher carries messages from ingest to a Processor. Publish returns
// once the message is stored durably (then the sender may be told it was
// accepted); over capacity it returns errs.RateLimited or errs.Unavailable
// and stores nothing. A message published twice with one id is delivered
// once where the carrier can tell (NATS de-duplicates by Nats-Msg-Id), and
// processed once in any case (Store.ApplyBatch). m.Data is valid only
// during the call: a Publisher that keeps it copies it.
type Publisher interface {
	// Publish stores m in the stream. It fails with ErrDuplicate when
	// the stream dropped m as a resend of a batch it holds (ingest then
	// counts the batch as accepted: it was, before).
	Publish(ctx context.Context, m Message) error
}

// ErrDuplicate is what Publisher.Publish returns for a batch the stream
// holds already.
var ErrDuplicate = errors.New("the stream holds this batch already")

// Limits on ingest.
const (
	MaxBatchLines = 10000   // lines in one message; larger batches are split
	MaxBatchBytes = 4 << 20 // bytes in one message
)

// Service is the monitoring use cases: sensors, ingest, alerts. Every read
// decides with policy.ReadMonitoring on the organisation whose data it is.
type Service struct {
	st     Store
	dir    Directory
	pub    Publisher
	proc   *Processor
	opt    Options
	audits *audit.Group // what users do and read here, in shared transactions
}

// NewService returns the service. pub may be nil: ingest then processes
// each message at once in the caller (the CLI).
func NewService(st Store, dir Directory, pub Publisher, proc *Processor, opt Options) *Service {
	opt.defaults()
	return &Service{st: st, dir: dir, pub: pub, proc: proc, opt: opt, audits: audit.NewGroup(func(ctx context.Context, rs []*audit.Record) error {
		return st.AppendAudits(ctx, rs)
	})}
}

func (s *Service) now() time.Time { return s.opt.Now().UTC().Truncate(time.Microsecond) }

// resolveOrg reads an organisation by id or slug; the actor's own when ref
// is empty.
func (s *Service) resolveOrg(ctx context.Context, a identity.Actor, ref string) (identity.Org, error) {
	if ref == "" {
		ref = a.OrgID
	}
	if ref == "" {
		return identity.Org{}, errs.F(errs.Invalid, "org", "name the monitored organisation")
	}
	o, err := s.dir.Org(ctx, ref)
	if errs.Is(err, errs.NotFound) {
		o, err = s.dir.OrgBySlug(ctx, ref)
	}
	if errs.Is(err, errs.NotFound) {
		return o, errs.F(errs.Invalid, "org", "no organisation %q", ref)
	}
	return o, err
}

// AddSensor registers a sensor and returns it with its token, which is
// shown this once and stored only hashed.
func (s *Service) AddSensor(ctx context.Context, a identity.Actor, in NewSensor) (Sensor, string, error) {
	o, err := s.resolveOrg(ctx, a, in.Org)
	if err != nil {
		return Sensor{}, "", err
	}
	if err := policy.Decide(a.Viewer, policy.ManageSensors, policy.Target{OrgID: o.ID}); err != nil {
		return Sensor{}, "", err
	}
	if err := in.Check(); err != nil {
		return Sensor{}, "", err
	}
	now := s.now()
	sn := Sensor{ID: newID(), OrgID: o.ID, Name: in.Name, Kind: in.Kind, Location: in.Location, Format: in.Format, Mapping: in.Mapping, Sources: in.Sources, CreatedAt: now}
	tok := newToken()
	rec := a.Record(now, "sensor.create", "sensor", sn.ID, o.ID, audit.Success, map[string]any{"name": sn.Name, "kind": sn.Kind, "format": sn.Format})
	if err := s.st.CreateSensor(ctx, sn, identity.HashSecret(tok), rec); err != nil {
		if errs.Is(err, errs.Conflict) {
			return Sensor{}, "", errs.F(errs.Conflict, "name", "the organisation already has a sensor named %q", sn.Name)
		}
		return Sensor{}, "", err
	}
	return sn, tok, nil
}

// Sensors lists the sensors the actor may see: every organisation's for
// the GSOC, else the actor's organisation's.
func (s *Service) Sensors(ctx context.Context, a identity.Actor) ([]Sensor, error) {
	orgs, err := s.scope(a, "")
	if err != nil {
		return nil, err
	}
	return s.st.Sensors(ctx, orgs, s.now())
}

// Sensor returns one sensor, if the actor may see it; errs.NotFound
// otherwise, the same as for one that does not exist.
func (s *Service) Sensor(ctx context.Context, a identity.Actor, id string) (Sensor, error) {
	sn, err := s.st.Sensor(ctx, id)
	if err != nil {
		return Sensor{}, err
	}
	if policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{OrgID: sn.OrgID}) != nil {
		return Sensor{}, errs.E(errs.NotFound, "no such sensor")
	}
	return sn, nil
}

// scope returns the organisations whose monitoring the actor may read
// (nil: all), narrowed to org when given.
func (s *Service) scope(a identity.Actor, org string) ([]string, error) {
	if a.Anonymous() {
		return nil, errs.E(errs.Unauthenticated, "sign in first")
	}
	if policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{}) == nil {
		if org != "" {
			return []string{org}, nil
		}
		return nil, nil
	}
	if org != "" && org != a.OrgID {
		return []string{"-none-"}, nil
	}
	if err := policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{OrgID: a.OrgID}); err != nil {
		return nil, err
	}
	return []string{a.OrgID}, nil
}

// Authenticate returns the sensor a token belongs to; errs.Unauthenticated
// for an unknown token or a disabled sensor.
func (s *Service) Authenticate(ctx context.Context, token string) (Sensor, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 200 {
		return Sensor{}, errs.E(errs.Unauthenticated, "not a sensor token")
	}
	sn, err := s.st.SensorByToken(ctx, identity.HashSecret(token))
	if errs.Is(err, errs.NotFound) || (err == nil && sn.Disabled) {
		return Sensor{}, errs.E(errs.Unauthenticated, "unknown sensor token")
	}
	return sn, err
}

// Receipt is what ingest answers.
type Receipt struct {
	Batches  []string `json:"batches"` // the message ids, for de-duplicated resends
	Lines    int      `json:"lines"`
	Accepted bool     `json:"accepted"` // stored durably; processing follows
}

// Ingest accepts a body of lines from a sensor: it splits them into
// messages of at most MaxBatchLines lines and MaxBatchBytes bytes and
// publishes each. key is the sender's idempotency key; without one, each
// message's id is the hash of the sensor and its lines, so that a resend
// of the same batch is counted once. With no publisher the messages are
// processed at once.
//
// The caller must not change body afterwards: on a LocalStream the
// processor reads the lines from it until their batches are processed.
func (s *Service) Ingest(ctx context.Context, sn Sensor, body []byte, key string) (Receipt, error) {
	var h zeekHeader
	return s.ingest(ctx, sn, body, key, &h, true)
}

// zeekHeader is the last block of Zeek TSV header lines (#separator …
// #fields …) seen, put in front of every later message of the stream so
// that each message can be read on its own.
type zeekHeader struct {
	lines   []byte
	inBlock bool
}

func (h *zeekHeader) see(line []byte) {
	if len(line) == 0 || line[0] != '#' {
		h.inBlock = false
		return
	}
	if !h.inBlock {
		h.lines, h.inBlock = h.lines[:0], true
	}
	h.lines = append(h.lines, line...)
	if line[len(line)-1] != '\n' {
		h.lines = append(h.lines, '\n')
	}
}

// ingest is Ingest; owned says body is the hub's to keep (the caller will
// not change it), so that its lines can be handed to the processor.
func (s *Service) ingest(ctx context.Context, sn Sensor, body []byte, key string, h *zeekHeader, owned bool) (Receipt, error) {
	var rc Receipt
	now := s.now()
	part := 0
	var tooLong int64
	zeek := sn.Format == parse.FormatZeek
	prefix := bytes.Clone(h.lines)
	maxMsg := 0
	if l, ok := s.pub.(SizeLimited); ok {
		maxMsg = l.MaxMessageBytes()
	}
	local := false
	if l, ok := s.pub.(LocalStream); ok {
		local = l.Local() && s.opt.keepsRaw()
	}
	// send sends n lines, which read under the Zeek header block head
	// (none for other formats, or when lines start with their own).
	var send func(lines []byte, n int, head []byte) error
	send = func(lines []byte, n int, head []byte) error {
		if n == 0 && tooLong == 0 {
			return nil
		}
		pre := 0 // bytes of Zeek headers put in front of lines
		if zeek && len(head) > 0 && (len(lines) == 0 || lines[0] != '#') {
			lines, pre = append(slices.Clip(head), lines...), len(head)
		}
		// Packed into a pooled buffer: the stream (or the processor) has
		// copied what it keeps by the time send returns.
		packed := PackTo(packBufs.get()[:0], s.opt.Codec, lines)
		if maxMsg > 0 && len(packed) > maxMsg {
			// Larger packed than the stream takes (lines that do not
			// compress, a server with a small max_payload): halves, or a
			// line that cannot travel alone counted as too long.
			packBufs.put(packed[:0])
			if n <= 1 {
				tooLong += int64(n)
				return nil
			}
			part := lines[pre:]
			mid := splitLines(part)
			first := bytes.Count(part[:mid], []byte{'\n'})
			// The second half reads under the header block in force where
			// it starts: the first half may hold a new one.
			h2 := zeekHeader{lines: bytes.Clone(head)}
			if zeek {
				for rest := part[:mid]; len(rest) > 0; {
					end := bytes.IndexByte(rest, '\n') + 1
					h2.see(rest[:end])
					rest = rest[end:]
				}
			}
			if err := send(part[:mid], first, head); err != nil {
				return err
			}
			return send(part[mid:], n-first, h2.lines)
		}
		id := batchID(sn.ID, key, part, lines)
		part++
		m := Message{ID: id, SensorID: sn.ID, ReceivedAt: now, Data: packed, Packed: true, TooLong: tooLong}
		var err error
		inMemory := false
		if local {
			// Kept for retention now, and the stream carries where: the
			// bytes are written once. A batch the stream then drops as a
			// resend leaves a record no row names, deleted with its
			// day's folder.
			m.Expires = now.Add(s.opt.retention(ctx, sn.OrgID))
			if m.Raw, err = s.opt.RawFiles.Append(sn.OrgID, m.Expires, id, packed); err != nil {
				packBufs.put(packed[:0])
				return &errs.Error{Code: errs.Unavailable, Message: "the hub could not keep the batch: retry later", Err: err}
			}
			m.Data = nil
			// The lines are handed to this process's processor too,
			// which then need not read the record back.
			if owned && s.proc != nil {
				inMemory = s.proc.hand.put(id, handed{sensorID: sn.ID, ref: m.Raw, lines: lines, sum: sha256.Sum256(packed), size: len(packed)})
			}
		}
		tooLong = 0
		if s.pub != nil {
			err = s.pub.Publish(ctx, m)
		} else {
			_, err = s.proc.Process(ctx, m)
		}
		packBufs.put(packed[:0])
		if err != nil && inMemory {
			s.proc.hand.drop(id) // no message will take it
		}
		if errors.Is(err, ErrDuplicate) {
			err = nil
		}
		if err != nil {
			return err
		}
		rc.Batches = append(rc.Batches, id)
		rc.Lines += n
		return nil
	}
	if n, ok := oneMessage(body); ok && !zeek {
		// The common case, a batch that travels whole: counted without
		// walking it line by line.
		if err := send(body, n, prefix); err != nil {
			return rc, err
		}
		rc.Accepted = true
		return rc, nil
	}
	start, n := 0, 0
	for i := 0; i < len(body); {
		j := bytes.IndexByte(body[i:], '\n')
		end := len(body)
		if j >= 0 {
			end = i + j + 1
		}
		if n > 0 && (n >= MaxBatchLines || end-start > MaxBatchBytes) {
			if err := send(body[start:i], n, prefix); err != nil {
				return rc, err
			}
			start, n = i, 0
			prefix = bytes.Clone(h.lines)
		}
		if end-i > parse.MaxLine+2 {
			// Too long to carry: counted as rejected, not sent.
			if n > 0 {
				if err := send(body[start:i], n, prefix); err != nil {
					return rc, err
				}
			}
			tooLong++
			start, n, i = end, 0, end
			prefix = bytes.Clone(h.lines)
			continue
		}
		if zeek {
			h.see(body[i:end])
		}
		n++
		i = end
	}
	if err := send(body[start:], n, prefix); err != nil {
		return rc, err
	}
	if err := send(nil, 0, nil); err != nil { // lines found too long by the last send, if any
		return rc, err
	}
	rc.Accepted = true
	return rc, nil
}

// LocalStream is a Publisher that can tell whether every processor of
// what it carries runs in this process (an embedded NATS server no other
// node reaches): then ingest keeps each batch in Options.RawFiles itself
// and publishes only where it is (Message.Raw).
type LocalStream interface {
	Local() bool
}

// SizeLimited is a Publisher whose messages have a largest size (a NATS
// server's max_payload): ingest splits batches whose packed form is larger.
type SizeLimited interface {
	MaxMessageBytes() int
}

// splitLines returns where to cut lines in two: after the newline nearest
// the middle, so that both halves hold whole lines.
func splitLines(lines []byte) int {
	mid := len(lines) / 2
	if i := bytes.IndexByte(lines[mid:], '\n'); i >= 0 && mid+i+1 < len(lines) {
		return mid + i + 1
	}
	if i := bytes.LastIndexByte(lines[:mid], '\n'); i >= 0 {
		return i + 1
	}
	return len(lines)
}

// IngestReader reads a (possibly gzip-compressed) stream and ingests it in
// messages, for files and the CLI. With key empty, each message's id is
// the hash of its lines: reading the same file again counts nothing twice,
// and a file that grew is counted again from its first changed batch of
// MaxBatchLines lines (the lines of that batch read before count twice).
func (s *Service) IngestReader(ctx context.Context, sn Sensor, r io.Reader, key string) (Receipt, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	if head, _ := br.Peek(2); len(head) == 2 && head[0] == 0x1f && head[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return Receipt{}, errs.E(errs.Malformed, "not gzip: %v", err)
		}
		defer z.Close()
		br = bufio.NewReaderSize(z, 1<<20)
	}
	var total Receipt
	var hdr zeekHeader
	chunk := 0
	var buf bytes.Buffer
	lines := 0
	flush := func() error {
		k := ""
		if key != "" {
			k = key + "/" + itoa(chunk)
		}
		rc, err := s.ingest(ctx, sn, buf.Bytes(), k, &hdr, false) // buf is reused
		chunk++
		total.Batches = append(total.Batches, rc.Batches...)
		total.Lines += rc.Lines
		buf.Reset()
		lines = 0
		return err
	}
	for {
		line, err := br.ReadSlice('\n')
		buf.Write(line)
		if err == nil || err == io.EOF {
			lines++
		}
		if err != nil && err != bufio.ErrBufferFull && err != io.EOF {
			return total, errs.E(errs.Malformed, "reading: %v", err)
		}
		if (err == nil && (lines >= MaxBatchLines || buf.Len() >= MaxBatchBytes)) || err == io.EOF {
			if ferr := flush(); ferr != nil {
				return total, ferr
			}
		}
		if err == io.EOF {
			break
		}
	}
	total.Accepted = true
	return total, nil
}

// batchIDKey keys HighwayHash for batch ids. It is public: the hash only
// has to tell batches apart (a sensor that crafted a collision could only
// lose its own batch), and it hashes every byte ingested at ~10 GB/s,
// where SHA-256 managed 1.7 GB/s here.
var batchIDKey = []byte("kyojo: monitoring batch ids, v2\x00")

func batchID(sensorID, key string, part int, lines []byte) string {
	h, _ := highwayhash.New128(batchIDKey)
	h.Write([]byte(sensorID))
	h.Write([]byte{0})
	if key != "" {
		h.Write([]byte(key))
		h.Write([]byte{0, byte(part >> 8), byte(part)})
	} else {
		h.Write(lines)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Alerts returns the alerts the actor may see that match f.
func (s *Service) Alerts(ctx context.Context, a identity.Actor, f AlertFilter) ([]Alert, error) {
	org := ""
	if len(f.OrgIDs) == 1 {
		org = f.OrgIDs[0]
	}
	orgs, err := s.scope(a, org)
	if err != nil {
		return nil, err
	}
	f.OrgIDs = orgs
	out, err := s.st.Alerts(ctx, f)
	if err != nil {
		return nil, err
	}
	return out, s.audit(ctx, a, "alert.list", "", "", nil)
}

// Alert returns one alert, if the actor may see it; errs.NotFound
// otherwise.
func (s *Service) Alert(ctx context.Context, a identity.Actor, id string) (Alert, error) {
	al, err := s.st.Alert(ctx, id)
	if err != nil {
		return Alert{}, err
	}
	if policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{OrgID: al.OrgID}) != nil {
		return Alert{}, errs.E(errs.NotFound, "no such alert")
	}
	return al, s.audit(ctx, a, "alert.read", id, al.OrgID, nil)
}

// MaxRawLines caps the raw events one request returns.
const MaxRawLines = 1000

// AlertEvents returns the raw event lines behind an alert: the lines of
// its kept batches that hold the value observed, at most MaxRawLines.
// Batches past their retention are gone.
func (s *Service) AlertEvents(ctx context.Context, a identity.Actor, id string) ([]string, error) {
	lines, _, err := s.alertRaw(ctx, a, id, false)
	return lines, err
}

// KeptBatch is one kept raw batch behind an alert, as evidence: the
// SHA-256 of its kept bytes is the one its monitor.batch audit record (and
// so the ledger) holds.
type KeptBatch struct {
	ID         string    `json:"id"`
	SensorID   string    `json:"sensor_id"`
	ReceivedAt time.Time `json:"received_at"`
	Bytes      int       `json:"bytes"`
	SHA256     string    `json:"sha256"`
}

// AlertEvidence is AlertEvents with the kept batches the lines come from.
func (s *Service) AlertEvidence(ctx context.Context, a identity.Actor, id string) ([]string, []KeptBatch, error) {
	return s.alertRaw(ctx, a, id, true)
}

// alertRaw reads an alert's kept batches once for its lines and, when
// hashed is set, for the batches with their SHA-256.
func (s *Service) alertRaw(ctx context.Context, a identity.Actor, id string, hashed bool) ([]string, []KeptBatch, error) {
	al, err := s.Alert(ctx, a, id)
	if err != nil {
		return nil, nil, err
	}
	raws, err := s.st.AlertRaw(ctx, id, 100)
	if err != nil {
		return nil, nil, err
	}
	if err := fill(s.opt.RawFiles, raws); err != nil {
		return nil, nil, err
	}
	out, kept := []string{}, []KeptBatch{}
	needle := bytes.ToLower([]byte(al.Observed))
	for _, r := range raws {
		if hashed {
			sum := sha256.Sum256(r.Data)
			kept = append(kept, KeptBatch{ID: r.BatchID, SensorID: r.SensorID, ReceivedAt: r.ReceivedAt, Bytes: len(r.Data), SHA256: hex.EncodeToString(sum[:])})
		}
		if len(out) >= MaxRawLines {
			continue
		}
		data, err := Unpack(nil, r.Data)
		if err != nil {
			continue
		}
		for line := range bytes.SplitSeq(data, []byte("\n")) {
			if len(needle) > 0 && bytes.Contains(bytes.ToLower(line), needle) {
				out = append(out, string(line))
				if len(out) >= MaxRawLines {
					break
				}
			}
		}
	}
	return out, kept, s.audit(ctx, a, "alert.raw", id, al.OrgID, map[string]any{"lines": len(out)})
}

// RawBatch returns one kept batch as it is stored (compressed: Unpack
// reads it), for evidence: its SHA-256 is in the batch's audit record
// (action monitor.batch), which the ledger anchors. A batch the actor may
// not see is errs.NotFound, as one not kept. The read is audited.
func (s *Service) RawBatch(ctx context.Context, a identity.Actor, batchID string) (Raw, error) {
	if a.Anonymous() {
		return Raw{}, errs.E(errs.Unauthenticated, "sign in first")
	}
	r, err := s.st.RawBatch(ctx, batchID)
	if err != nil {
		return Raw{}, err
	}
	if policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{OrgID: r.OrgID}) != nil {
		return Raw{}, errs.E(errs.NotFound, "no such batch")
	}
	rs := []Raw{r}
	if err := fill(s.opt.RawFiles, rs); err != nil {
		return Raw{}, err
	}
	r = rs[0]
	return r, s.auditObj(ctx, a, "batch.raw", "event-batch", batchID, r.OrgID, map[string]any{"bytes": len(r.Data)})
}

// TopIndicators returns the indicators most alerted on since, in what the
// actor may see.
func (s *Service) TopIndicators(ctx context.Context, a identity.Actor, org string, since time.Time, limit int) ([]TopIndicator, error) {
	orgs, err := s.scope(a, org)
	if err != nil {
		return nil, err
	}
	return s.st.TopIndicators(ctx, orgs, since, limit)
}

// Escalates reports whether alerts can go to incidents on this hub (an
// Escalator is wired in).
func (s *Service) Escalates() bool { return s.proc != nil && s.proc.esc != nil }

// Escalate sends an alert to an incident by hand. It returns
// errs.Unavailable while no incident part is wired in.
func (s *Service) Escalate(ctx context.Context, a identity.Actor, id string) (Alert, error) {
	al, err := s.st.Alert(ctx, id)
	if err != nil {
		return Alert{}, err
	}
	if policy.Decide(a.Viewer, policy.ReadMonitoring, policy.Target{OrgID: al.OrgID}) != nil {
		return Alert{}, errs.E(errs.NotFound, "no such alert")
	}
	if err := policy.Decide(a.Viewer, policy.EscalateAlert, policy.Target{OrgID: al.OrgID}); err != nil {
		return Alert{}, err
	}
	if s.proc == nil || s.proc.esc == nil {
		return Alert{}, errs.E(errs.Unavailable, "incidents are not available on this hub yet")
	}
	inc, err := s.proc.esc.OpenOrJoin(ctx, al, "escalated by "+a.Username)
	if err != nil {
		return Alert{}, err
	}
	if err := s.st.SetIncident(ctx, id, inc); err != nil {
		return Alert{}, err
	}
	al.Incident = inc
	return al, s.audit(ctx, a, "alert.escalate", id, al.OrgID, map[string]any{"incident": inc})
}

func (s *Service) audit(ctx context.Context, a identity.Actor, action, id, org string, detail any) error {
	return s.auditObj(ctx, a, action, "alert", id, org, detail)
}

func (s *Service) auditObj(ctx context.Context, a identity.Actor, action, objType, id, org string, detail any) error {
	return s.audits.Append(ctx, a.Record(s.now(), action, objType, id, org, audit.Success, detail))
}

// oneMessage reports whether body can travel as one message as it is: at
// most MaxBatchBytes and MaxBatchLines, and no line longer than
// parse.MaxLine. It returns its lines, counted as ingest's line walk counts
// them (a last line without a newline is one). A line of MaxLine-1 bytes
// or more covers some aligned window of MaxLine/2 bytes, so a newline in
// each window rules such lines out (and a false answer sends the body to
// the walk, which judges each line); finding one takes a few hundred
// bytes' scan, not a walk of every line.
func oneMessage(body []byte) (int, bool) {
	if len(body) > MaxBatchBytes {
		return 0, false
	}
	const w = parse.MaxLine / 2
	for p := 0; p+w <= len(body); p += w {
		if bytes.IndexByte(body[p:p+w], '\n') < 0 {
			return 0, false
		}
	}
	n := bytes.Count(body, []byte{'\n'})
	if len(body) > 0 && body[len(body)-1] != '\n' {
		n++
	}
	return n, n <= MaxBatchLines
}
