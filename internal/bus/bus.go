// Package bus carries monitoring batches from ingest to the processor on
// NATS JetStream: an embedded server in kyojo serve by default (in-process,
// no network port unless asked, its store in the data directory), or an
// external cluster by URL. The pipeline code is the same for both.
//
// Delivery is at least once: Publish returns after JetStream stored the
// message; the consumer acknowledges after the processor applied it, and
// a message not acknowledged is delivered again. Each message carries its
// batch id as Nats-Msg-Id, so JetStream drops a resend within its
// duplicate window, and the processor applies a batch id once in any case.
//
// On the embedded server with no port (Local), a message may carry only
// where ingest kept the batch in this node's raw event files (Kyojo-Raw):
// the bytes are then written once. Those bytes count toward MaxBacklog.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// Options configure the bus.
type Options struct {
	URL     string // external NATS (nats://host:4222); empty: the embedded server
	DataDir string // the embedded server's JetStream store goes in DataDir/jetstream
	Listen  string // the embedded server also listens here (host:port); empty: no port
	Stream  string // stream name; default KYOJO_EVENTS (tests use their own)
	// MaxBacklog is the stored but unprocessed bytes above which Publish
	// refuses with errs.Unavailable; default 256 MiB. It counts the
	// batches kept in raw event files that messages name (Local) as well
	// as the stream's bytes. The stream's hard limit is four times it.
	MaxBacklog int64
	Log        *slog.Logger
	Workers    int // messages processed at once; default GOMAXPROCS
}

// Bus is a connection to JetStream with the events stream. It is safe for
// concurrent use.
type Bus struct {
	opt     Options
	ns      *server.Server // nil for an external server
	nc      *nats.Conn
	js      jetstream.JetStream
	stream  jetstream.Stream
	subject string

	mu       sync.Mutex // guards backlog, kept and checked
	backlog  int64      // bytes in the stream, as the server last said, and published since
	kept     int64      // bytes of kept batches that messages in the stream name (Local)
	checked  time.Time
	stopOnce sync.Once
}

// Open starts the embedded server (or connects to opt.URL) and creates or
// updates the stream.
func Open(ctx context.Context, opt Options) (*Bus, error) {
	if opt.Stream == "" {
		opt.Stream = "KYOJO_EVENTS"
	}
	if opt.MaxBacklog <= 0 {
		opt.MaxBacklog = 256 << 20
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bus{opt: opt, subject: "kyojo.events." + opt.Stream}
	var err error
	if opt.URL == "" {
		if b.ns, err = embedded(opt); err != nil {
			return nil, err
		}
		b.nc, err = nats.Connect("", nats.InProcessServer(b.ns), nats.Name("kyojo"))
	} else {
		b.nc, err = nats.Connect(opt.URL, nats.Name("kyojo"), nats.MaxReconnects(-1), nats.Timeout(5*time.Second))
	}
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: connect: %w", err)
	}
	if b.js, err = jetstream.New(b.nc); err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: jetstream: %w", err)
	}
	b.stream, err = b.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       opt.Stream,
		Subjects:   []string{b.subject + ".>"},
		Retention:  jetstream.WorkQueuePolicy,
		Storage:    jetstream.FileStorage,
		Discard:    jetstream.DiscardNew,
		MaxBytes:   opt.MaxBacklog * 4,
		Duplicates: 10 * time.Minute,
		MaxMsgSize: monitor.MaxBatchBytes + 2<<20,
	})
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("bus: stream %s: %w", opt.Stream, err)
	}
	if b.Local() {
		if b.kept, err = b.keptWaiting(ctx); err != nil {
			b.Close()
			return nil, fmt.Errorf("bus: stream %s: %w", opt.Stream, err)
		}
	}
	return b, nil
}

// keptRead is how many waiting messages Open reads (a variable for tests).
var keptRead int64 = 2000

// keptWaiting sums the kept bytes that the messages in the stream name:
// what the last process published and did not see processed, counted
// toward the backlog again after a restart. The stream holds only messages
// not yet processed (a work queue); past keptRead of them, the rest count
// at the mean size of those read, so that a start after a crash with a
// long queue of small batches does not read every message first.
func (b *Bus) keptWaiting(ctx context.Context) (int64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil || info.State.Msgs == 0 {
		return 0, err
	}
	var n, read int64
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && read < keptRead; seq++ {
		m, err := b.stream.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue // processed: removed from the stream
		}
		if err != nil {
			return 0, err
		}
		n += decodeRef(m.Header).Size
		read++
	}
	if left := int64(info.State.Msgs) - read; left > 0 && read > 0 {
		n += left * (n / read)
	}
	return n, nil
}

func embedded(opt Options) (*server.Server, error) {
	if opt.DataDir == "" {
		return nil, errors.New("bus: the embedded server needs a data directory")
	}
	dir := filepath.Join(opt.DataDir, "jetstream")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bus: %w", err)
	}
	so := &server.Options{ServerName: "kyojo", JetStream: true, StoreDir: dir, NoSigs: true, NoLog: true,
		MaxPayload: int32(monitor.MaxBatchBytes + 4<<20), DontListen: opt.Listen == ""}
	if opt.Listen != "" {
		host, port, err := splitHostPort(opt.Listen)
		if err != nil {
			return nil, err
		}
		so.Host, so.Port = host, port
	}
	ns, err := server.NewServer(so)
	if err != nil {
		return nil, fmt.Errorf("bus: embedded server: %w", err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(30 * time.Second) {
		ns.Shutdown()
		return nil, errors.New("bus: embedded server did not start")
	}
	return ns, nil
}

func splitHostPort(s string) (string, int, error) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == ':' {
			p, err := strconv.Atoi(s[i+1:])
			if err != nil || p < 0 || p > 65535 {
				break
			}
			return s[:i], p, nil
		}
	}
	return "", 0, fmt.Errorf("bus: listen address %q is not host:port", s)
}

// Close drains the connection and stops the embedded server.
func (b *Bus) Close() {
	b.stopOnce.Do(func() {
		if b.nc != nil {
			b.nc.Drain()
			for i := 0; i < 50 && !b.nc.IsClosed(); i++ {
				time.Sleep(20 * time.Millisecond)
			}
			b.nc.Close()
		}
		if b.ns != nil {
			b.ns.Shutdown()
			b.ns.WaitForShutdown()
		}
	})
}

// DeleteStream deletes the stream and everything in it: for tests that
// use a stream of their own on a shared server.
func (b *Bus) DeleteStream(ctx context.Context) error {
	return b.js.DeleteStream(ctx, b.opt.Stream)
}

// Headers of a message.
const (
	hSensor   = "Kyojo-Sensor"
	hReceived = "Kyojo-Received"
	hTooLong  = "Kyojo-Too-Long"
	hPacked   = "Kyojo-Packed" // "1": Data is compressed (monitor.Pack)
	hRaw      = "Kyojo-Raw"    // where ingest kept the batch: segment, offset, size (monitor.Message.Raw)
	hExpires  = "Kyojo-Expires"
)

// Local reports whether only this process consumes the stream: the
// embedded server listening on no port. Ingest then keeps each batch in
// the raw event files before it publishes, and the message carries where
// (monitor.LocalStream).
func (b *Bus) Local() bool { return b.ns != nil && b.opt.Listen == "" }

// Publish stores m in the stream (monitor.Publisher). It refuses with
// errs.Unavailable when the backlog is over capacity or the stream is
// full, so that ingest answers 503 with Retry-After and the sender keeps
// its events.
func (b *Bus) Publish(ctx context.Context, m monitor.Message) error {
	if over, err := b.overCapacity(ctx); err != nil {
		return err
	} else if over {
		return errs.E(errs.Unavailable, "the hub is over capacity: retry later")
	}
	msg := nats.NewMsg(b.subject + "." + m.SensorID)
	msg.Data = m.Data
	msg.Header.Set(jetstream.MsgIDHeader, m.ID)
	msg.Header.Set(hSensor, m.SensorID)
	msg.Header.Set(hReceived, m.ReceivedAt.UTC().Format(time.RFC3339Nano))
	if m.Packed {
		msg.Header.Set(hPacked, "1")
	}
	if m.TooLong > 0 {
		msg.Header.Set(hTooLong, strconv.FormatInt(m.TooLong, 10))
	}
	if m.Raw.Segment != "" {
		msg.Header.Set(hRaw, m.Raw.Segment+"\t"+strconv.FormatInt(m.Raw.Offset, 10)+"\t"+strconv.FormatInt(m.Raw.Size, 10))
		msg.Header.Set(hExpires, m.Expires.UTC().Format(time.RFC3339Nano))
	}
	ack, err := b.js.PublishMsg(ctx, msg)
	if err != nil {
		return &errs.Error{Code: errs.Unavailable, Message: "the event stream did not accept the batch: retry later", Err: err}
	}
	if ack.Duplicate {
		// Not stored again, so not processed again: its bytes are not
		// waiting (the first publication's are counted already).
		return monitor.ErrDuplicate
	}
	b.mu.Lock()
	b.backlog += int64(len(m.Data))
	b.kept += m.Raw.Size
	b.mu.Unlock()
	return nil
}

// processed takes a kept batch's bytes off the backlog once its message is
// acknowledged (Open counted those the stream held from before).
func (b *Bus) processed(m monitor.Message) {
	if m.Raw.Size == 0 {
		return
	}
	b.mu.Lock()
	b.kept = max(0, b.kept-m.Raw.Size)
	b.mu.Unlock()
}

// MaxMessageBytes is the largest batch the server takes: its max_payload
// (1 MB unless an external server's administrator set more) and the
// stream's largest message, less room for headers. It makes the Bus a
// monitor.SizeLimited: ingest splits batches that pack larger.
func (b *Bus) MaxMessageBytes() int {
	return int(min(b.nc.MaxPayload(), int64(monitor.MaxBatchBytes+2<<20))) - 16<<10
}

// overCapacity reports whether the stream holds more than MaxBacklog
// bytes, asking the server at most every 200 ms.
func (b *Bus) overCapacity(ctx context.Context) (bool, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if time.Since(b.checked) > 200*time.Millisecond {
		info, err := b.stream.Info(ctx)
		if err != nil {
			return false, &errs.Error{Code: errs.Unavailable, Message: "the event stream is unavailable: retry later", Err: err}
		}
		b.backlog, b.checked = int64(info.State.Bytes), time.Now()
	}
	return b.backlog+b.kept > b.opt.MaxBacklog, nil
}

// Backlog returns the messages stored and not yet processed.
func (b *Bus) Backlog(ctx context.Context) (uint64, error) {
	info, err := b.stream.Info(ctx)
	if err != nil {
		return 0, err
	}
	return info.State.Msgs, nil
}

// Handler processes one message; an error has it delivered again later.
type Handler func(ctx context.Context, m monitor.Message) error

// Consume runs handler on every message of the stream, with a durable
// consumer shared by all nodes, until ctx ends, on up to Options.Workers
// messages at once (handler must be safe for concurrent use). A message is
// acknowledged after handler returns nil; otherwise it is delivered again
// after a second.
func (b *Bus) Consume(ctx context.Context, handler Handler) error {
	cons, err := b.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       "processor",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       2 * time.Minute,
		MaxAckPending: 64,
	})
	if err != nil {
		return fmt.Errorf("bus: consumer: %w", err)
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, b.opt.workers())
	cc, err := cons.Consume(func(msg jetstream.Msg) {
		slots <- struct{}{} // at most Workers at once; the pull waits meanwhile
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			b.handle(ctx, msg, handler)
		}()
	}, jetstream.PullMaxMessages(2*b.opt.workers()), jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
		if ctx.Err() == nil {
			b.opt.Log.WarnContext(ctx, "bus: consume", "err", err)
		}
	}))
	if err != nil {
		return fmt.Errorf("bus: consume: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	wg.Wait()
	return ctx.Err()
}

// handle processes one message and acknowledges it, or has it delivered
// again after a second.
func (b *Bus) handle(ctx context.Context, msg jetstream.Msg, handler Handler) {
	m := b.decode(msg)
	if err := handler(ctx, m); err != nil {
		b.opt.Log.WarnContext(ctx, "bus: processing failed; will retry", "batch", m.ID, "err", err)
		msg.NakWithDelay(time.Second)
		return
	}
	// Acknowledged even when ctx ended meanwhile: the work is done.
	actx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := msg.DoubleAck(actx); err != nil {
		b.opt.Log.WarnContext(ctx, "bus: ack lost; the batch will be delivered again and skipped", "batch", m.ID, "err", err)
		return
	}
	b.processed(m)
}

func (o Options) workers() int {
	if o.Workers > 0 {
		return o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// decodeRef reads the Kyojo-Raw header. A header that does not parse
// leaves a reference the processor cannot read: the batch is counted
// rejected, not lost unseen.
func decodeRef(h nats.Header) monitor.RawRef {
	var r monitor.RawRef
	if f := strings.Split(h.Get(hRaw), "\t"); len(f) == 3 {
		r.Segment = f[0]
		r.Offset, _ = strconv.ParseInt(f[1], 10, 64)
		r.Size, _ = strconv.ParseInt(f[2], 10, 64)
	}
	return r
}

func (b *Bus) decode(msg jetstream.Msg) monitor.Message {
	m := decodeMessage(msg.Headers(), msg.Data(), b.Local())
	if md, err := msg.Metadata(); err == nil {
		m.FirstDelivery = md.NumDelivered == 1
	}
	return m
}

// decodeMessage reads a message's headers. A reference to a kept batch is
// taken only from a Local stream, which no other process publishes to: on
// a server others reach, a publisher could otherwise point a sensor's
// message at another organisation's kept batch on this node's disk.
func decodeMessage(h nats.Header, data []byte, local bool) monitor.Message {
	m := monitor.Message{ID: h.Get(jetstream.MsgIDHeader), SensorID: h.Get(hSensor), Data: data, Packed: h.Get(hPacked) == "1"}
	m.ReceivedAt, _ = time.Parse(time.RFC3339Nano, h.Get(hReceived))
	m.TooLong, _ = strconv.ParseInt(h.Get(hTooLong), 10, 64)
	if local {
		if m.Raw = decodeRef(h); m.Raw.Segment != "" {
			m.Expires, _ = time.Parse(time.RFC3339Nano, h.Get(hExpires))
		}
	}
	return m
}
