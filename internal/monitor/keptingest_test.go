package monitor_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
)

// localStream is a Publisher whose only processor is in this process (as
// the embedded NATS server is): it keeps what it is given, as a stream
// would, and hands it on later.
type localStream struct {
	local bool
	msgs  []monitor.Message
	err   error // what Publish answers, when set (and then keeps nothing)
}

func (l *localStream) Local() bool { return l.local }

func (l *localStream) Publish(_ context.Context, m monitor.Message) error {
	if l.err != nil {
		return l.err
	}
	m.Data = append([]byte(nil), m.Data...) // m.Data is valid only during the call
	l.msgs = append(l.msgs, m)
	return nil
}

func dnsLines(n int, rrname string) []byte {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"timestamp":"%s","event_type":"dns","src_ip":"10.0.0.%d","dest_ip":"10.0.0.53","dns":{"rrname":"%s"}}`+"\n",
			time.Now().UTC().Format(time.RFC3339Nano), i%250, rrname)
	}
	return []byte(b.String())
}

// TestKeptAtIngest: on a stream only this process consumes, ingest keeps
// each batch in the raw event files and the message carries where, not the
// bytes; the processor reads it back, and the store names that record (no
// second copy). Elsewhere (an external stream, or no raw files) the bytes
// travel in the message as before.
func TestKeptAtIngest(t *testing.T) {
	ctx := t.Context()
	for _, c := range []struct {
		name      string
		local     bool
		files     bool
		wantRef   bool
		retention time.Duration
	}{
		{"local stream, raw files", true, true, true, 7 * 24 * time.Hour},
		{"external stream", false, true, false, 0},
		{"local stream, raw in the database", true, false, false, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			db, org := newDB(t)
			opt := monitor.Options{}
			var rl *rawlog.Log
			if c.files {
				rl = newRawLog(t)
				opt.RawFiles = rl
			}
			if c.retention > 0 {
				opt.RetentionFor = func(_ context.Context, orgID string) time.Duration {
					if orgID != org.ID {
						t.Errorf("retention asked for %q", orgID)
					}
					return c.retention
				}
			}
			pub := &localStream{local: c.local}
			svc, proc, sn := newMonitor(t, db, org, pub, opt)
			before := time.Now()
			if _, err := svc.Ingest(ctx, sn, dnsLines(40, "a.example"), ""); err != nil {
				t.Fatal(err)
			}
			if len(pub.msgs) != 1 {
				t.Fatalf("%d messages", len(pub.msgs))
			}
			m := pub.msgs[0]
			if got := m.Raw.Segment != ""; got != c.wantRef || got == (len(m.Data) > 0) {
				t.Fatalf("reference %+v with %d bytes of data; want a reference: %v", m.Raw, len(m.Data), c.wantRef)
			}
			if c.wantRef {
				if want := before.Add(c.retention); m.Expires.Before(want) || m.Expires.After(time.Now().Add(c.retention)) {
					t.Fatalf("expires %v, want about %v", m.Expires, want)
				}
				if !strings.HasPrefix(m.Raw.Segment, org.ID+"/"+m.Expires.UTC().Format(time.DateOnly)+"/") {
					t.Fatalf("kept in %s", m.Raw.Segment)
				}
			}
			res, err := proc.Process(ctx, m)
			if err != nil || !res.Applied || res.Events != 40 {
				t.Fatalf("%+v %v", res, err)
			}
			row, err := db.Monitor().RawBatch(ctx, m.ID)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.wantRef && (row.Ref != m.Raw || len(row.Data) != 0):
				t.Fatalf("the store names %+v (and holds %d bytes), ingest kept %+v", row.Ref, len(row.Data), m.Raw)
			case !c.wantRef && c.files && row.Ref.Segment == "":
				t.Fatal("the processor did not keep the batch in the files")
			}
			// What an analyst reads back is the lines ingest was given.
			got, err := svc.RawBatch(ctx, identity.System("test"), m.ID)
			if err != nil {
				t.Fatal(err)
			}
			if lines, err := monitor.Unpack(nil, got.Data); err != nil || !strings.Contains(string(lines), "a.example") {
				t.Fatalf("raw batch: %v", err)
			}
			if c.wantRef {
				// The store's row expires when the record's folder does.
				if n, err := db.Monitor().PurgeRaw(ctx, m.Expires.Add(-time.Second), nil); n != 0 || err != nil {
					t.Fatalf("purged %d before the expiry, %v", n, err)
				}
				if n, err := db.Monitor().PurgeRaw(ctx, m.Expires.Add(time.Second), nil); n != 1 || err != nil {
					t.Fatalf("purged %d after the expiry, %v", n, err)
				}
			}
			if c.files {
				segs, _ := filepath.Glob(filepath.Join(rl.Dir(), "*", "*", "*.seg"))
				var size int64
				for _, s := range segs {
					fi, _ := os.Stat(s)
					size += fi.Size()
				}
				if size != row.Ref.Size { // one record: written once
					t.Fatalf("segments hold %d bytes, the record is %d", size, row.Ref.Size)
				}
			}
		})
	}
}

// TestKeptRecordUnreadable: a message naming a record that cannot be
// read (its segment gone, the record another batch's, no raw files on this
// node, or a place outside its organisation's folder) is counted as a rejected batch with the reason, once; a disk
// that fails otherwise has the message delivered again.
func TestKeptRecordUnreadable(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	rl := newRawLog(t)
	pub := &localStream{local: true}
	svc, proc, sn := newMonitor(t, db, org, pub, monitor.Options{RawFiles: rl})
	for i := range 2 {
		if _, err := svc.Ingest(ctx, sn, dnsLines(10+i, "b.example"), ""); err != nil {
			t.Fatal(err)
		}
	}
	gone, other := pub.msgs[0], pub.msgs[1]
	gone.Raw.Segment = strings.Replace(gone.Raw.Segment, ".seg", "-deleted.seg", 1)
	other.Raw = pub.msgs[0].Raw // another batch's record
	noFiles := monitor.NewProcessor(db.Monitor(), db, monitor.NewIndicators(), nil, monitor.Options{})
	noFilesMsg := pub.msgs[0]
	noFilesMsg.ID = "no-files"
	// A reference into another organisation's folder is not read, even
	// when the record there holds this very batch.
	if _, err := svc.Ingest(ctx, sn, dnsLines(13, "b.example"), ""); err != nil {
		t.Fatal(err)
	}
	elsewhere := pub.msgs[2]
	data, err := rl.Read(elsewhere.Raw, elsewhere.ID)
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere.Raw, err = rl.Append("other-org", elsewhere.Expires, elsewhere.ID, data); err != nil {
		t.Fatal(err)
	}
	elsewhere.Raw.Segment = org.ID + "/../" + elsewhere.Raw.Segment
	for _, c := range []struct {
		proc *monitor.Processor
		m    monitor.Message
	}{{proc, gone}, {proc, other}, {noFiles, noFilesMsg}, {proc, elsewhere}} {
		for range 2 { // redelivered: counted once
			res, err := c.proc.Process(ctx, c.m)
			if err != nil || res.Events != 0 {
				t.Fatalf("%s: %+v %v", c.m.ID, res, err)
			}
		}
	}
	s, err := svc.Sensor(ctx, identity.System("test"), sn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Health.Rejected != 4 || s.Health.Reasons["kept batch unreadable"] != 4 || s.Health.Events != 0 || !strings.Contains(s.Health.LastError, "could not be read") {
		t.Fatalf("health %+v", s.Health)
	}
	// A read that fails for another reason is not a verdict on the batch.
	failing := monitor.NewProcessor(db.Monitor(), db, monitor.NewIndicators(), nil, monitor.Options{RawFiles: failingFiles{rl}})
	// (Read from a reader, the lines are not handed to proc in memory:
	// it reads the record too.)
	if _, err := svc.IngestReader(ctx, sn, bytes.NewReader(dnsLines(12, "b.example")), ""); err != nil {
		t.Fatal(err)
	}
	m := pub.msgs[3]
	if _, err := failing.Process(ctx, m); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a failing disk gave %v", err)
	}
	if res, err := proc.Process(ctx, m); err != nil || res.Events != 12 {
		t.Fatalf("once the disk answers: %+v %v", res, err)
	}
}

type failingFiles struct{ *rawlog.Log }

func (failingFiles) ReadTo([]byte, monitor.RawRef, string) ([]byte, error) {
	return nil, errors.New("input/output error")
}

// TestHandedOver: on a local stream ingest hands the lines it kept to the
// processor in memory, which then neither reads nor decompresses the
// record (it processes the batch with the record gone) and audits the
// SHA-256 of the bytes on disk all the same. Nothing is left held: not
// for a body read through a reused buffer (not handed over), a resend the
// stream drops, a publish that fails, or a message processed before.
func TestHandedOver(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	rl := newRawLog(t)
	pub := &localStream{local: true}
	svc, proc, sn := newMonitor(t, db, org, pub, monitor.Options{RawFiles: rl})
	held := func(want int) {
		t.Helper()
		if n, _ := monitor.HandedOver(proc); n != want {
			t.Fatalf("%d batches held in memory, want %d", n, want)
		}
	}
	counted := func(inMemory, readBack int64) {
		t.Helper()
		if st := proc.Stats(); st.InMemory.Load() != inMemory || st.ReadBack.Load() != readBack {
			t.Fatalf("%d batches counted in memory, %d read back; want %d, %d", st.InMemory.Load(), st.ReadBack.Load(), inMemory, readBack)
		}
	}
	// A body read through a buffer that is then reused is not handed over.
	if _, err := svc.IngestReader(ctx, sn, bytes.NewReader(dnsLines(5, "b.example")), ""); err != nil {
		t.Fatal(err)
	}
	held(0)
	if res, err := proc.Process(ctx, pub.msgs[0]); err != nil || res.Events != 5 {
		t.Fatalf("read back: %+v %v", res, err)
	}
	counted(0, 1)
	// The stream drops a resend: accepted, nothing held.
	pub.err = monitor.ErrDuplicate
	if rc, err := svc.Ingest(ctx, sn, dnsLines(6, "c.example"), ""); err != nil || !rc.Accepted {
		t.Fatalf("a resend: %+v %v", rc, err)
	}
	held(0)
	pub.err = errs.E(errs.Unavailable, "stream down")
	if _, err := svc.Ingest(ctx, sn, dnsLines(7, "c.example"), ""); !errs.Is(err, errs.Unavailable) {
		t.Fatalf("a failed publish: %v", err)
	}
	held(0)
	pub.err = nil
	body := dnsLines(40, "a.example")
	if _, err := svc.Ingest(ctx, sn, body, ""); err != nil {
		t.Fatal(err)
	}
	m := pub.msgs[len(pub.msgs)-1]
	if n, size := monitor.HandedOver(proc); n != 1 || size != len(body) {
		t.Fatalf("%d batches (%d bytes) held, want 1 (%d)", n, size, len(body))
	}
	kept, err := rl.Read(m.Raw, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	// (Later records go to the same segment, removed now: this is the
	// test's last read from the files.)
	if err := os.RemoveAll(filepath.Join(rl.Dir(), org.ID)); err != nil {
		t.Fatal(err)
	}
	if res, err := proc.Process(ctx, m); err != nil || !res.Applied || res.Events != 40 {
		t.Fatalf("with the record gone: %+v %v", res, err)
	}
	held(0)
	counted(1, 1)
	sum := sha256.Sum256(kept)
	recs, err := db.ListAudit(ctx, audit.Filter{Action: "monitor.batch", ObjectID: m.ID})
	if err != nil || len(recs) != 1 || !strings.Contains(string(recs[0].Detail), `"raw_sha256":"`+hex.EncodeToString(sum[:])+`"`) ||
		!strings.Contains(string(recs[0].Detail), fmt.Sprintf(`"raw_bytes":%d`, len(kept))) {
		t.Fatalf("batch records %+v, want the SHA-256 of the %d bytes kept (%v)", recs, len(kept), err)
	}
	// A message processed before still takes its entry.
	if _, err := svc.Ingest(ctx, sn, body, ""); err != nil {
		t.Fatal(err)
	}
	again := pub.msgs[len(pub.msgs)-1]
	if again.ID != m.ID {
		t.Fatalf("the same lines made batch %s, then %s", m.ID, again.ID)
	}
	held(1)
	if res, err := proc.Process(ctx, again); err != nil || res.Applied || res.Events != 0 {
		t.Fatalf("processed again: %+v %v", res, err)
	}
	held(0)
}
