package bus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// buses returns the buses to test: the embedded server always, and the
// NATS server at KYOJO_TEST_NATS when set.
func buses(t *testing.T) map[string]Options {
	out := map[string]Options{"embedded": {DataDir: t.TempDir()}}
	if u := os.Getenv("KYOJO_TEST_NATS"); u != "" {
		out["external"] = Options{URL: u, Stream: fmt.Sprintf("KYOJO_TEST_%d", time.Now().UnixNano())}
	} else {
		t.Log("KYOJO_TEST_NATS is not set: the external NATS server is not tested (set it to nats://127.0.0.1:4222)")
	}
	return out
}

func TestDeliverOnceEach(t *testing.T) {
	for name, opt := range buses(t) {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			b, err := Open(ctx, opt)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if opt.URL != "" {
				defer b.js.DeleteStream(context.Background(), opt.Stream)
			}
			at := time.Date(2026, 11, 28, 1, 2, 3, 4000, time.UTC)
			for i := range 20 {
				// Odd messages come packed, as ingest sends them; even ones
				// plain, as an older hub's would be.
				m := monitor.Message{ID: fmt.Sprintf("b%d", i), SensorID: "s1", ReceivedAt: at, Data: []byte(fmt.Sprintf("line %d\n", i)), TooLong: int64(i % 2)}
				if i%2 == 1 {
					m.Data, m.Packed = monitor.Pack("", m.Data), true
				}
				if err := b.Publish(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			// A resend of a published id is dropped by the stream, and
			// the publisher told.
			if err := b.Publish(ctx, monitor.Message{ID: "b3", SensorID: "s1", ReceivedAt: at, Data: []byte("line 3\n")}); !errors.Is(err, monitor.ErrDuplicate) {
				t.Fatalf("resend: %v, want monitor.ErrDuplicate", err)
			}
			var mu sync.Mutex
			seen := map[string]int{}
			failed := false
			cctx, stop := context.WithCancel(ctx)
			done := make(chan error, 1)
			go func() {
				done <- b.Consume(cctx, func(ctx context.Context, m monitor.Message) error {
					mu.Lock()
					defer mu.Unlock()
					if m.ID == "b7" && !failed {
						failed = true
						return errs.E(errs.Unavailable, "store down")
					}
					var i int
					fmt.Sscanf(m.ID, "b%d", &i)
					lines := m.Data
					if m.Packed {
						lines, _ = monitor.Unpack(nil, m.Data)
					}
					if !m.ReceivedAt.Equal(at) || m.SensorID != "s1" || m.Packed != (i%2 == 1) || m.TooLong != int64(i%2) || string(lines) != fmt.Sprintf("line %d\n", i) {
						t.Errorf("decoded %+v (lines %q)", m, lines)
					}
					seen[m.ID]++
					if len(seen) == 20 {
						stop()
					}
					return nil
				})
			}()
			select {
			case <-done:
			case <-ctx.Done():
				t.Fatal("timed out")
			}
			stop()
			if len(seen) != 20 {
				t.Fatalf("processed %d distinct batches, want 20", len(seen))
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s processed %d times", id, n)
				}
			}
			if !failed {
				t.Error("the failing delivery did not happen")
			}
			n, err := b.Backlog(ctx)
			if err != nil || n != 0 {
				t.Errorf("backlog %d, %v", n, err)
			}
		})
	}
}

func TestOverCapacity(t *testing.T) {
	b, err := Open(t.Context(), Options{DataDir: t.TempDir(), MaxBacklog: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var refused error
	for i := 0; i < 100 && refused == nil; i++ {
		refused = b.Publish(t.Context(), monitor.Message{ID: fmt.Sprint(i), SensorID: "s", ReceivedAt: time.Now(), Data: make([]byte, 200)})
	}
	if !errs.Is(refused, errs.Unavailable) {
		t.Fatalf("never refused: %v", refused)
	}
}

// TestKeptReferences: a message naming a batch kept in raw event files
// carries the reference and the expiry through the stream; the kept bytes
// count toward the backlog (the stream itself holds almost nothing) until
// the message is processed. Only the embedded server on no port is Local.
func TestKeptReferences(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	b, err := Open(ctx, Options{DataDir: t.TempDir(), MaxBacklog: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if !b.Local() {
		t.Fatal("the embedded server on no port is not Local")
	}
	exp := time.Date(2027, 2, 26, 1, 2, 3, 4000, time.UTC)
	sent := map[string]monitor.Message{}
	var refused error
	for i := 0; i < 10 && refused == nil; i++ {
		m := monitor.Message{ID: fmt.Sprintf("k%d", i), SensorID: "s1", ReceivedAt: time.Now().UTC(), Packed: true,
			Raw: monitor.RawRef{Segment: fmt.Sprintf("org/2027-02-26/x-%d.seg", i), Offset: int64(i) << 20, Size: 3000}, Expires: exp}
		if refused = b.Publish(ctx, m); refused == nil {
			sent[m.ID] = m
		}
	}
	// 3,000 bytes a batch against 10,000: the capacity is checked before
	// each publish, so four are taken (12,000) and the fifth is refused.
	if !errs.Is(refused, errs.Unavailable) || len(sent) != 4 {
		t.Fatalf("%d accepted, then %v", len(sent), refused)
	}
	cctx, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	got := map[string]monitor.Message{}
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(cctx, func(_ context.Context, m monitor.Message) error {
			mu.Lock()
			defer mu.Unlock()
			got[m.ID] = m
			return nil
		})
	}()
	waitKept(ctx, t, b)
	stop()
	<-done
	for id, m := range sent {
		g := got[id]
		if g.Raw != m.Raw || !g.Expires.Equal(exp) || len(g.Data) != 0 || !g.Packed {
			t.Errorf("%s: sent %+v, got %+v", id, m, g)
		}
	}
	b.mu.Lock()
	b.checked = time.Time{} // ask the server again
	b.mu.Unlock()
	if err := b.Publish(ctx, monitor.Message{ID: "after", SensorID: "s1", ReceivedAt: time.Now(), Raw: monitor.RawRef{Segment: "a", Size: 3000}, Expires: exp}); err != nil {
		t.Fatalf("refused once processed: %v", err)
	}
	// A resend the stream drops will not be processed: its bytes are
	// not waiting.
	if err := b.Publish(ctx, monitor.Message{ID: "after", SensorID: "s1", ReceivedAt: time.Now(), Raw: monitor.RawRef{Segment: "b", Size: 3000}, Expires: exp}); !errors.Is(err, monitor.ErrDuplicate) {
		t.Fatalf("resend: %v, want monitor.ErrDuplicate", err)
	}
	if b.mu.Lock(); b.kept != 3000 {
		t.Errorf("%d kept bytes waiting after a resend, want 3000", b.kept)
	}
	b.mu.Unlock()
	// Other nodes may consume from an embedded server that listens, or
	// from an external one: their messages carry the bytes.
	if (&Bus{ns: b.ns, opt: Options{Listen: "127.0.0.1:4223"}}).Local() || (&Bus{opt: Options{URL: "nats://127.0.0.1:4222"}}).Local() {
		t.Fatal("a stream other nodes can reach is Local")
	}
}

// TestKeptAfterRestart: the kept bytes named by messages a process
// published and did not see processed count toward the backlog again
// after a restart, until processed.
func TestKeptAfterRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	dir := t.TempDir()
	b, err := Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		m := monitor.Message{ID: fmt.Sprintf("r%d", i), SensorID: "s1", ReceivedAt: time.Now(), Packed: true,
			Raw: monitor.RawRef{Segment: "o/2027-01-01/a.seg", Offset: int64(i) * 10000, Size: int64(i+1) * 1000}, Expires: time.Now().Add(time.Hour)}
		if err := b.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	b.Close()
	// Reading only the first two, the third counts at their mean.
	keptRead = 2
	b, err = Open(ctx, Options{DataDir: dir})
	keptRead = 2000
	if err != nil {
		t.Fatal(err)
	}
	if b.kept != 1000+2000+1500 {
		t.Fatalf("reading two of three: %d kept bytes waiting, want 4500", b.kept)
	}
	b.Close()
	b, err = Open(ctx, Options{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if b.kept != 6000 {
		t.Fatalf("after the restart %d kept bytes waiting, want 6000", b.kept)
	}
	cctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- b.Consume(cctx, func(context.Context, monitor.Message) error { return nil })
	}()
	waitKept(ctx, t, b)
	stop()
	<-done
}

// waitKept waits until the kept bytes b counts are processed.
func waitKept(ctx context.Context, t *testing.T, b *Bus) {
	t.Helper()
	for {
		b.mu.Lock()
		kept := b.kept
		b.mu.Unlock()
		if kept == 0 {
			return
		}
		if ctx.Err() != nil {
			t.Fatalf("%d kept bytes after processing", kept)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestRefsOnlyFromLocal: a reference to a kept batch is read from a
// message only on a Local stream; on a server others can publish to, the
// header is ignored (and the empty message is an undecodable batch).
func TestRefsOnlyFromLocal(t *testing.T) {
	h := nats.Header{}
	h.Set(jetstream.MsgIDHeader, "b1")
	h.Set(hSensor, "s1")
	h.Set(hPacked, "1")
	h.Set(hRaw, "org-b/2027-01-01/x-1.seg\t4096\t900")
	h.Set(hExpires, "2027-01-01T00:00:00Z")
	if m := decodeMessage(h, nil, true); m.Raw != (monitor.RawRef{Segment: "org-b/2027-01-01/x-1.seg", Offset: 4096, Size: 900}) || m.Expires.IsZero() {
		t.Fatalf("local: %+v", m)
	}
	if m := decodeMessage(h, nil, false); m.Raw != (monitor.RawRef{}) || !m.Expires.IsZero() || m.ID != "b1" || !m.Packed {
		t.Fatalf("not local: %+v", m)
	}
	h.Set(hRaw, "no tabs")
	if m := decodeMessage(h, nil, true); m.Raw != (monitor.RawRef{}) {
		t.Fatalf("bad header: %+v", m)
	}
}
