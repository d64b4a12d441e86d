// Package syslogd receives sensor syslog over UDP and TCP (RFC 5424 and
// RFC 3164 messages, CEF payloads; TCP framed by newlines or by octet
// counts, RFC 6587) and hands each sender's messages, in batches, to the
// monitoring service as the sensor whose sources include the sender's
// address. Messages from an unknown sender are counted and dropped.
package syslogd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
)

// MaxMessage is the longest message read; longer TCP frames end the
// connection, longer datagrams cannot arrive.
const MaxMessage = 64 << 10

// Server is a running syslog receiver.
type Server struct {
	svc   *monitor.Service
	log   *slog.Logger
	every time.Duration

	udp *net.UDPConn
	tcp net.Listener

	mu      sync.Mutex // guards sensors, loaded, pending
	sensors []monitor.Sensor
	loaded  time.Time
	pending map[string]*bytes.Buffer // by sensor id

	unknown atomic.Int64
	wg      sync.WaitGroup
}

// Listen starts receiving on addr (UDP and TCP on the same port) until ctx
// ends; batches are flushed every interval (1 s when zero).
func Listen(ctx context.Context, addr string, svc *monitor.Service, every time.Duration, log *slog.Logger) (*Server, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if every <= 0 {
		every = time.Second
	}
	s := &Server{svc: svc, log: log, every: every, pending: map[string]*bytes.Buffer{}}
	tcp, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	uaddr, err := net.ResolveUDPAddr("udp", tcp.Addr().String())
	if err != nil {
		tcp.Close()
		return nil, err
	}
	udp, err := net.ListenUDP("udp", uaddr)
	if err != nil {
		tcp.Close()
		return nil, err
	}
	udp.SetReadBuffer(8 << 20)
	s.udp, s.tcp = udp, tcp
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.readUDP(ctx) }()
	go func() { defer s.wg.Done(); s.acceptTCP(ctx) }()
	go func() { defer s.wg.Done(); s.flushLoop(ctx) }()
	go func() { <-ctx.Done(); udp.Close(); tcp.Close() }()
	return s, nil
}

// Addr returns the address listened on (TCP and UDP share the port).
func (s *Server) Addr() string { return s.tcp.Addr().String() }

// Unknown returns how many messages came from senders no sensor lists.
func (s *Server) Unknown() int64 { return s.unknown.Load() }

// Wait waits for the server to stop after its context ended; pending
// messages are flushed first.
func (s *Server) Wait() { s.wg.Wait() }

func (s *Server) readUDP(ctx context.Context) {
	buf := make([]byte, MaxMessage)
	for {
		n, from, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		s.add(ctx, from.Addr(), buf[:n])
	}
}

func (s *Server) acceptTCP(ctx context.Context) {
	for {
		c, err := s.tcp.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		s.wg.Add(1)
		go func() { defer s.wg.Done(); s.readTCP(ctx, c) }()
	}
}

func (s *Server) readTCP(ctx context.Context, c net.Conn) {
	defer c.Close()
	go func() { <-ctx.Done(); c.Close() }()
	from, _ := netip.ParseAddrPort(c.RemoteAddr().String())
	if _, ok := s.sensorFor(ctx, from.Addr()); !ok {
		s.unknown.Add(1)
		return
	}
	br := bufio.NewReaderSize(c, MaxMessage)
	for {
		c.SetReadDeadline(time.Now().Add(5 * time.Minute))
		head, err := br.Peek(1)
		if err != nil {
			return
		}
		var msg []byte
		if head[0] >= '1' && head[0] <= '9' { // octet counting: "LEN SP MSG"
			ls, err := br.ReadString(' ')
			if err != nil || len(ls) > 7 {
				return
			}
			n, err := strconv.Atoi(ls[:len(ls)-1])
			if err != nil || n <= 0 || n > MaxMessage {
				return
			}
			msg = make([]byte, n)
			if _, err := io.ReadFull(br, msg); err != nil {
				return
			}
		} else {
			line, err := br.ReadSlice('\n')
			if err != nil && len(line) == 0 {
				return
			}
			if errors.Is(err, bufio.ErrBufferFull) {
				return // a frame longer than MaxMessage
			}
			msg = line
		}
		s.add(ctx, from.Addr(), msg)
	}
}

// sensorFor returns the syslog sensor whose sources hold addr, reading the
// sensors afresh every 30 seconds.
func (s *Server) sensorFor(ctx context.Context, addr netip.Addr) (monitor.Sensor, bool) {
	s.mu.Lock()
	stale := time.Since(s.loaded) > 30*time.Second
	s.mu.Unlock()
	if stale {
		ss, err := s.svc.Sensors(ctx, identity.System("syslog"))
		if err != nil {
			s.log.WarnContext(ctx, "syslog: reading sensors", "err", err)
		} else {
			s.mu.Lock()
			s.sensors, s.loaded = ss, time.Now()
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sn := range s.sensors {
		if !sn.Disabled && (sn.Format == parse.FormatSyslog || sn.Format == parse.FormatCEF) && sn.FromSource(addr) {
			return sn, true
		}
	}
	return monitor.Sensor{}, false
}

func (s *Server) add(ctx context.Context, from netip.Addr, msg []byte) {
	sn, ok := s.sensorFor(ctx, from)
	if !ok {
		if s.unknown.Add(1)%1000 == 1 {
			s.log.WarnContext(ctx, "syslog from a sender no sensor lists; dropped", "from", from.String(), "dropped", s.unknown.Load())
		}
		return
	}
	msg = bytes.TrimRight(msg, "\r\n\x00")
	s.mu.Lock()
	b := s.pending[sn.ID]
	if b == nil {
		b = &bytes.Buffer{}
		s.pending[sn.ID] = b
	}
	b.Write(msg)
	b.WriteByte('\n')
	full := b.Len() > monitor.MaxBatchBytes/2
	s.mu.Unlock()
	if full {
		s.flush(ctx)
	}
}

func (s *Server) flushLoop(ctx context.Context) {
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			s.flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			s.flush(ctx)
		}
	}
}

// flush ingests what each sensor sent since the last flush. A batch the
// pipeline refuses (over capacity) is kept for the next flush, up to a
// limit; past it, the oldest is dropped and logged.
func (s *Server) flush(ctx context.Context) {
	s.mu.Lock()
	batches := s.pending
	s.pending = map[string]*bytes.Buffer{}
	sensors := map[string]monitor.Sensor{}
	for _, sn := range s.sensors {
		sensors[sn.ID] = sn
	}
	s.mu.Unlock()
	for id, b := range batches {
		key := "syslog/" + strconv.FormatInt(time.Now().UnixNano(), 10)
		if _, err := s.svc.Ingest(ctx, sensors[id], b.Bytes(), key); err != nil {
			s.log.WarnContext(ctx, "syslog: batch not accepted; kept for the next flush", "sensor", id, "err", err)
			s.mu.Lock()
			if p := s.pending[id]; p == nil && b.Len() < 4*monitor.MaxBatchBytes {
				s.pending[id] = b
			}
			s.mu.Unlock()
		}
	}
}
