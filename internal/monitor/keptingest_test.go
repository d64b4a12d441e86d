package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
}

func (l *localStream) Local() bool { return l.local }

func (l *localStream) Publish(_ context.Context, m monitor.Message) error {
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
	if _, err := svc.Ingest(ctx, sn, dnsLines(12, "b.example"), ""); err != nil {
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
