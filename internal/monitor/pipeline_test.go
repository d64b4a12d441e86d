package monitor_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/bus"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// TestPipeline runs ingest → JetStream → processing on the embedded
// server and, when KYOJO_TEST_NATS is set, on that NATS server: every
// batch is counted once, resends included, and hits become one alert.
func TestPipeline(t *testing.T) {
	buses := map[string]bus.Options{"embedded": {DataDir: t.TempDir()}}
	if u := os.Getenv("KYOJO_TEST_NATS"); u != "" {
		buses["external"] = bus.Options{URL: u, Stream: fmt.Sprintf("KYOJO_PIPELINE_%d", time.Now().UnixNano())}
	} else {
		t.Log("KYOJO_TEST_NATS is not set: the external NATS server is not tested (set it to nats://127.0.0.1:4222)")
	}
	for name, bo := range buses {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			db, org := newDB(t)
			sys := identity.System("test")
			b, err := bus.Open(ctx, bo)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if bo.URL != "" {
				defer b.DeleteStream(context.Background())
			}
			now := time.Now().UTC()
			ind := monitor.NewIndicators()
			ind.Apply([]intel.Object{{ID: "indicator--p", Type: "indicator", Latest: true, AddedAt: now, Confidence: 60,
				Dist: policy.Distribution{TLP: policy.Clear}, Raw: []byte(`{"pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix"}`)}}, now)
			ind.Update(now)
			// The embedded hub keeps raw batches in segment files, the
			// external one in the database: both ways are read back below.
			var opt monitor.Options
			if bo.URL == "" {
				opt.RawFiles = newRawLog(t)
			}
			proc := monitor.NewProcessor(db.Monitor(), db, ind, nil, opt)
			svc := monitor.NewService(db.Monitor(), db, b, proc, opt)
			sn, _, err := svc.AddSensor(ctx, sys, monitor.NewSensor{Org: org.ID, Name: "dns", Kind: "dns", Format: "eve"})
			if err != nil {
				t.Fatal(err)
			}
			cctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			var refs, carried atomic.Int64 // messages naming a kept batch, messages carrying the bytes
			go func() {
				done <- b.Consume(cctx, func(ctx context.Context, m monitor.Message) error {
					if m.Raw.Segment != "" && len(m.Data) == 0 {
						refs.Add(1)
					} else if len(m.Data) > 0 {
						carried.Add(1)
					}
					_, err := proc.Process(ctx, m)
					return err
				})
			}()
			body := func(i int) []byte {
				var s strings.Builder
				for j := range 50 {
					fmt.Fprintf(&s, `{"timestamp":"%s","event_type":"dns","src_ip":"10.0.%d.%d","dest_ip":"10.0.0.53","dns":{"rrname":"x%d.evil.example"}}`+"\n",
						now.Format(time.RFC3339Nano), i, j, j)
				}
				return []byte(s.String())
			}
			for i := range 20 {
				if _, err := svc.Ingest(ctx, sn, body(i), ""); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 20 { // resent: nothing counted twice
				if _, err := svc.Ingest(ctx, sn, body(i), ""); err != nil {
					t.Fatal(err)
				}
			}
			for {
				s, err := svc.Sensor(ctx, sys, sn.ID)
				if err != nil {
					t.Fatal(err)
				}
				if s.Health.Events == 1000 {
					break
				}
				if s.Health.Events > 1000 || ctx.Err() != nil {
					t.Fatalf("events %d, want 1000", s.Health.Events)
				}
				time.Sleep(50 * time.Millisecond)
			}
			time.Sleep(300 * time.Millisecond) // let any duplicate through, if there were one
			stop()
			<-done
			// The embedded hub keeps each batch at ingest and the stream
			// carries where; through an external server the bytes travel.
			if bo.URL == "" && (refs.Load() != 20 || carried.Load() != 0) || bo.URL != "" && (refs.Load() != 0 || carried.Load() != 20) {
				t.Fatalf("%d messages named a kept batch, %d carried the bytes", refs.Load(), carried.Load())
			}
			// On the embedded stream the lines went from ingest to the
			// processor in memory too (read back only if the hand-off was
			// full), and none is held once processed, the resends the
			// stream dropped included.
			st := proc.Stats()
			if in, back := st.InMemory.Load(), st.ReadBack.Load(); bo.URL == "" && (in == 0 || in+back != 20) || bo.URL != "" && in+back != 0 {
				t.Fatalf("%d kept batches came in memory, %d were read back", in, back)
			}
			if n, size := monitor.HandedOver(proc); n != 0 || size != 0 {
				t.Fatalf("%d batches (%d bytes) still held in memory", n, size)
			}
			s, _ := svc.Sensor(ctx, sys, sn.ID)
			al, _ := svc.Alerts(ctx, sys, monitor.AlertFilter{})
			if s.Health.Events != 1000 || len(al) != 1 || al[0].Count != 1000 || al[0].Value != "evil.example" {
				t.Fatalf("events %d, alerts %+v", s.Health.Events, al)
			}
			// Each kept batch is audited once (resends are not), with the
			// SHA-256 of the bytes kept: what the ledger anchors.
			recs, err := db.ListAudit(ctx, audit.Filter{Action: "monitor.batch", Limit: 1000})
			if err != nil || len(recs) != 20 {
				t.Fatalf("%d batch records, %v", len(recs), err)
			}
			lines, raws, err := svc.AlertEvidence(ctx, sys, al[0].ID)
			if err != nil || len(raws) != 20 || len(lines) != 20 { // the lines with the value first observed, one a batch
				t.Fatalf("%d raw batches, %d lines, %v", len(raws), len(lines), err)
			}
			kept := map[string]string{}
			for _, r := range raws {
				kept[r.ID] = r.SHA256
				one, err := svc.RawBatch(ctx, sys, r.ID)
				sum := sha256.Sum256(one.Data)
				if err != nil || hex.EncodeToString(sum[:]) != r.SHA256 {
					t.Fatalf("batch %s: %v", r.ID, err)
				}
			}
			if rows, _ := db.Monitor().AlertRaw(ctx, al[0].ID, 100); opt.RawFiles != nil && (len(rows) != 20 || len(rows[0].Data) != 0 || rows[0].Ref.Segment == "") {
				t.Fatalf("kept in files, yet the database holds %d bytes of %d rows (segment %q)", len(rows[0].Data), len(rows), rows[0].Ref.Segment)
			}
			for _, r := range recs {
				var d struct {
					Events    int64  `json:"events"`
					RawSHA256 string `json:"raw_sha256"`
				}
				json.Unmarshal(r.Detail, &d)
				if d.Events != 50 || d.RawSHA256 == "" || kept[r.ObjectID] != d.RawSHA256 || r.ObjectOrg != org.ID {
					t.Errorf("batch record %s: %s; kept bytes hash to %q", r.ObjectID, r.Detail, kept[r.ObjectID])
				}
			}
		})
	}
}

// TestBatchLargerThanTheServerTakes: a NATS server takes 1 MB messages
// unless configured otherwise; lines that do not compress and pack larger
// go in several messages, and every line is processed once.
func TestBatchLargerThanTheServerTakes(t *testing.T) {
	u := os.Getenv("KYOJO_TEST_NATS")
	if u == "" {
		t.Skip("KYOJO_TEST_NATS is not set: needs a NATS server with its default max_payload (nats://127.0.0.1:4222)")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	db, org := newDB(t)
	b, err := bus.Open(ctx, bus.Options{URL: u, Stream: fmt.Sprintf("KYOJO_LARGE_%d", time.Now().UnixNano())})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	defer b.DeleteStream(context.Background())
	if b.MaxMessageBytes() >= monitor.MaxBatchBytes {
		t.Skipf("this server takes %d-byte messages: nothing to split", b.MaxMessageBytes())
	}
	svc, proc, sn := newMonitor(t, db, org, b, monitor.Options{})
	sys := identity.System("test")
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(cctx, func(ctx context.Context, m monitor.Message) error { _, err := proc.Process(ctx, m); return err })
	}()
	defer func() { stop(); <-done }()
	// 6 MB of lines whose payload is random hex: S2 halves it at best.
	var body strings.Builder
	rnd := make([]byte, 100)
	now := time.Now().UTC().Format(time.RFC3339Nano)
	for i := range 20000 {
		for j := range rnd {
			rnd[j] = byte(i*31 + j*7 + (i*j)%251)
		}
		sum := sha256.Sum256(rnd)
		sum2 := sha256.Sum256(sum[:])
		sum3 := sha256.Sum256(sum2[:])
		fmt.Fprintf(&body, `{"timestamp":"%s","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","x":"%x%x%x"}`+"\n", now, sum, sum2, sum3)
	}
	rc, err := svc.Ingest(ctx, sn, []byte(body.String()), "")
	if err != nil || rc.Lines != 20000 || len(rc.Batches) < 4 {
		t.Fatalf("%+v %v", rc, err)
	}
	for {
		s, err := svc.Sensor(ctx, sys, sn.ID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Health.Events == 20000 && s.Health.Rejected == 0 {
			return
		}
		if s.Health.Events > 20000 || ctx.Err() != nil {
			t.Fatalf("health %+v", s.Health)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRawFilesReadOnly: a hub that moves its raw events from files to the
// database keeps new batches in the database and still serves the ones
// kept in files before.
func TestRawFilesReadOnly(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	rl := newRawLog(t)
	sys := identity.System("test")
	at := time.Now().UTC().Format(time.RFC3339)
	line := func(n int) []byte {
		return fmt.Appendf(nil, `{"timestamp":"%s","event_type":"dns","src_ip":"10.0.0.%d","dns":{"rrname":"a.example"}}`+"\n", at, n)
	}
	svc, _, sn := newMonitor(t, db, org, nil, monitor.Options{RawFiles: rl})
	old, err := svc.Ingest(ctx, sn, line(1), "")
	if err != nil {
		t.Fatal(err)
	}
	after := monitor.Options{RawFiles: rl, RawFilesReadOnly: true}
	svc = monitor.NewService(db.Monitor(), db, nil, monitor.NewProcessor(db.Monitor(), db, monitor.NewIndicators(), nil, after), after)
	now, err := svc.Ingest(ctx, sn, line(2), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id     string
		inFile bool
		want   []byte
	}{{old.Batches[0], true, line(1)}, {now.Batches[0], false, line(2)}} {
		row, err := db.Monitor().RawBatch(ctx, c.id)
		if err != nil || (row.Ref.Segment != "") != c.inFile {
			t.Fatalf("batch %s: segment %q, %v", c.id, row.Ref.Segment, err)
		}
		r, err := svc.RawBatch(ctx, sys, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := monitor.Unpack(nil, r.Data); err != nil || string(got) != string(c.want) {
			t.Fatalf("batch %s reads back %q, %v", c.id, got, err)
		}
	}
}

// TestIngestAgainKeepsNothingTwice: a body ingested again (kyojo ingest
// reading a file again) is not parsed again nor its raw events kept twice.
func TestIngestAgainKeepsNothingTwice(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	dir := filepath.Join(t.TempDir(), "raw")
	rl, err := rawlog.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer rl.Close()
	svc, _, sn := newMonitor(t, db, org, nil, monitor.Options{RawFiles: rl})
	sys := identity.System("test")
	body := fmt.Appendf(nil, `{"timestamp":"%s","event_type":"dns","src_ip":"10.0.0.1","dns":{"rrname":"a.example"}}`+"\n", time.Now().UTC().Format(time.RFC3339))
	kept := func() int64 {
		var n int64
		filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
			if err == nil && !fi.IsDir() {
				n += fi.Size()
			}
			return nil
		})
		return n
	}
	if _, err := svc.Ingest(ctx, sn, body, ""); err != nil {
		t.Fatal(err)
	}
	once := kept()
	if _, err := svc.Ingest(ctx, sn, body, ""); err != nil {
		t.Fatal(err)
	}
	s, _ := svc.Sensor(ctx, sys, sn.ID)
	if once == 0 || kept() != once || s.Health.Events != 1 {
		t.Fatalf("kept %d bytes, then %d; %d events", once, kept(), s.Health.Events)
	}
}

// TestFirstDeliveryAgain: a batch the stream delivers as new although it
// was processed before (a sensor sending it again after the duplicate
// window) is applied once: its events count once.
func TestFirstDeliveryAgain(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	svc, proc, sn := newMonitor(t, db, org, nil, monitor.Options{})
	body := fmt.Appendf(nil, `{"timestamp":"%s","event_type":"dns","src_ip":"10.0.0.1","dns":{"rrname":"a.example"}}`+"\n", time.Now().UTC().Format(time.RFC3339))
	m := monitor.Message{ID: "batch-1", SensorID: sn.ID, ReceivedAt: time.Now().UTC(), Data: monitor.Pack("s2", body), Packed: true, FirstDelivery: true}
	for i, want := range []bool{true, false} {
		res, err := proc.Process(ctx, m)
		if err != nil || res.Applied != want {
			t.Fatalf("delivery %d: applied %v, %v; want %v", i+1, res.Applied, err, want)
		}
	}
	if s, _ := svc.Sensor(ctx, identity.System("test"), sn.ID); s.Health.Events != 1 {
		t.Fatalf("%d events counted, want 1", s.Health.Events)
	}
}
