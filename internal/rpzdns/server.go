package rpzdns

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// Server is the authoritative side: it serves the engine's zones to their
// subscribers.
type Server struct {
	Engine *Engine
	Log    *slog.Logger
	// NS is the zones' name server host ("localhost." when empty, as RPZ
	// zones conventionally say).
	NS string

	mu      sync.Mutex
	servers []*dns.Server

	// Transfers counts what was sent: whole zones (AXFR, or IXFR the
	// journal could not answer), incremental IXFRs, and IXFRs answered
	// with the current SOA alone (up to date, or over UDP).
	AXFRs, IXFRs, UpToDate atomic.Int64
}

func (s *Server) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// Start listens on addr over UDP and TCP (the same port) and serves until
// Shutdown. It returns the bound address.
func (s *Server) Start(addr string) (string, error) {
	return startDNS(addr, s, tsigProvider{s.Engine}, &s.mu, &s.servers)
}

// Shutdown stops both listeners.
func (s *Server) Shutdown(ctx context.Context) error {
	return shutdownDNS(ctx, &s.mu, &s.servers)
}

// listenPair listens on addr over UDP (one socket per CPU, SO_REUSEPORT)
// and TCP on the same port. With port 0 it tries again when the port the
// kernel gave for UDP is taken for TCP.
func listenPair(addr string) ([]net.PacketConn, net.Listener, error) {
	lc := net.ListenConfig{Control: reusePort}
	_, port, _ := net.SplitHostPort(addr)
	for try := 0; ; try++ {
		pc, err := lc.ListenPacket(context.Background(), "udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listen on udp %s: %w", addr, err)
		}
		bound := pc.LocalAddr().String()
		ln, err := net.Listen("tcp", bound)
		if err != nil {
			pc.Close()
			if port == "0" && try < 20 {
				continue
			}
			return nil, nil, fmt.Errorf("listen on tcp %s: %w", bound, err)
		}
		pcs := []net.PacketConn{pc}
		for i := 1; i < runtime.NumCPU(); i++ {
			if more, err := lc.ListenPacket(context.Background(), "udp", bound); err == nil {
				pcs = append(pcs, more)
			}
		}
		return pcs, ln, nil
	}
}

func startDNS(addr string, h dns.Handler, tp dns.TsigProvider, mu *sync.Mutex, list *[]*dns.Server) (string, error) {
	pcs, ln, err := listenPair(addr)
	if err != nil {
		return "", err
	}
	bound := ln.Addr().String()
	var srvs []*dns.Server
	for _, c := range pcs {
		srvs = append(srvs, &dns.Server{PacketConn: c, Handler: h, TsigProvider: tp, UDPSize: 65535})
	}
	srvs = append(srvs, &dns.Server{Listener: ln, Handler: h, TsigProvider: tp, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: func() time.Duration { return 10 * time.Second }})
	started := make(chan struct{}, len(srvs))
	for _, srv := range srvs {
		if tp == nil {
			srv.TsigProvider = nil
		}
		srv.NotifyStartedFunc = func() { started <- struct{}{} }
		go srv.ActivateAndServe()
	}
	for range srvs {
		<-started
	}
	mu.Lock()
	*list = append(*list, srvs...)
	mu.Unlock()
	return bound, nil
}

func shutdownDNS(ctx context.Context, mu *sync.Mutex, list *[]*dns.Server) error {
	mu.Lock()
	defer mu.Unlock()
	var err error
	for _, srv := range *list {
		err = errors.Join(err, srv.ShutdownContext(ctx))
	}
	*list = nil
	return err
}

// tsigProvider verifies and signs with the subscribers' hmac-sha256 keys.
type tsigProvider struct{ e *Engine }

func (p tsigProvider) secret(name string) ([]byte, error) {
	for _, s := range p.e.Subscribers() {
		if s.Secret != "" && strings.EqualFold(s.KeyName, name) {
			return base64.StdEncoding.DecodeString(s.Secret)
		}
	}
	return nil, dns.ErrSecret
}

func (p tsigProvider) Generate(msg []byte, t *dns.TSIG) ([]byte, error) {
	if dns.CanonicalName(t.Algorithm) != dns.HmacSHA256 {
		return nil, dns.ErrKeyAlg
	}
	key, err := p.secret(t.Hdr.Name)
	if err != nil {
		return nil, err
	}
	h := hmac.New(sha256.New, key)
	h.Write(msg)
	return h.Sum(nil), nil
}

func (p tsigProvider) Verify(msg []byte, t *dns.TSIG) error {
	b, err := p.Generate(msg, t)
	if err != nil {
		return err
	}
	mac, err := hex.DecodeString(t.MAC)
	if err != nil {
		return err
	}
	if !hmac.Equal(b, mac) {
		return dns.ErrSig
	}
	return nil
}

func addrOf(a net.Addr) netip.Addr {
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}

func isTCP(w dns.ResponseWriter) bool { _, ok := w.RemoteAddr().(*net.TCPAddr); return ok }

// ServeDNS answers one query.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	fail := func(rcode int) {
		m.Rcode = rcode
		m.Answer, m.Ns, m.Extra = nil, nil, nil
		w.WriteMsg(m)
	}
	if len(r.Question) != 1 {
		fail(dns.RcodeFormatError)
		return
	}
	switch r.Opcode {
	case dns.OpcodeQuery:
	case dns.OpcodeNotify:
		fail(dns.RcodeRefused) // kyojo is the primary: it sends NOTIFY, never takes one
		return
	default:
		fail(dns.RcodeNotImplemented)
		return
	}
	q := r.Question[0]
	qname := strings.ToLower(dns.Fqdn(q.Name))
	origin, states := s.zoneOf(qname)
	if states == nil {
		fail(dns.RcodeRefused)
		return
	}
	addr := addrOf(w.RemoteAddr())
	tsig := r.IsTsig()
	if tsig != nil && w.TsigStatus() != nil {
		s.log().Warn("rpz: bad TSIG", "remote", addr.String(), "key", tsig.Hdr.Name, "err", w.TsigStatus())
		fail(dns.RcodeNotAuth)
		return
	}
	var z *ZoneState
	for _, st := range states {
		keyed := st.Sub.Secret != ""
		if !st.Sub.Allowed(addr) {
			continue
		}
		if tsig == nil && !keyed || tsig != nil && keyed && strings.EqualFold(st.Sub.KeyName, tsig.Hdr.Name) {
			z = st
			break
		}
	}
	if z == nil {
		s.log().Info("rpz: refused", "remote", addr.String(), "zone", origin, "type", dns.TypeToString[q.Qtype])
		fail(dns.RcodeRefused)
		return
	}
	m.Authoritative = true
	sign := func() {
		if tsig != nil {
			m.SetTsig(tsig.Hdr.Name, dns.HmacSHA256, 300, time.Now().Unix())
		}
	}
	if o := r.IsEdns0(); o != nil {
		m.SetEdns0(1232, false)
	}
	switch q.Qtype {
	case dns.TypeAXFR:
		if !isTCP(w) {
			fail(dns.RcodeRefused)
			return
		}
		s.AXFRs.Add(1)
		s.transfer(w, r, tsig, z, s.axfr(z))
		return
	case dns.TypeIXFR:
		var client uint32
		if len(r.Ns) == 1 {
			if soa, ok := r.Ns[0].(*dns.SOA); ok {
				client = soa.Serial
			}
		}
		cur := s.soa(z, z.Serial)
		if client == z.Serial || !isTCP(w) {
			s.UpToDate.Add(1)
			m.Answer = []dns.RR{cur}
			sign()
			w.WriteMsg(m)
			return
		}
		if ds, ok := s.Engine.Since(z, client); ok && client != 0 {
			rrs := []dns.RR{cur}
			for _, d := range ds {
				rrs = append(rrs, s.soa(z, d.From))
				rrs = append(rrs, s.records(z, d.Deleted)...)
				rrs = append(rrs, s.soa(z, d.To))
				rrs = append(rrs, s.records(z, d.Added)...)
			}
			rrs = append(rrs, cur)
			s.IXFRs.Add(1)
			s.transfer(w, r, tsig, z, rrs)
			return
		}
		s.AXFRs.Add(1)
		s.transfer(w, r, tsig, z, s.axfr(z)) // the journal cannot answer: the whole zone
		return
	}
	rel := strings.TrimSuffix(strings.TrimSuffix(qname, origin), ".")
	switch {
	case rel == "" && q.Qtype == dns.TypeSOA:
		m.Answer = []dns.RR{s.soa(z, z.Serial)}
	case rel == "" && q.Qtype == dns.TypeNS:
		m.Answer = []dns.RR{s.ns(z)}
	case rel == "":
		m.Ns = []dns.RR{s.soa(z, z.Serial)}
	default:
		if t, ok := z.Records[rel]; ok {
			m.Answer = s.records(z, []rpz.Record{{Owner: rel, Target: t}})
		} else {
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{s.soa(z, z.Serial)}
		}
	}
	sign()
	w.WriteMsg(m)
}

// zoneOf finds the served zone qname is in.
func (s *Server) zoneOf(qname string) (string, []*ZoneState) {
	for n := qname; ; {
		if st := s.Engine.Zones(n); st != nil {
			return n, st
		}
		i := strings.IndexByte(n, '.')
		if i < 0 || i == len(n)-1 {
			return "", nil
		}
		n = n[i+1:]
	}
}

func (s *Server) nsHost() string {
	if s.NS == "" {
		return "localhost."
	}
	return dns.Fqdn(s.NS)
}

func (s *Server) soa(z *ZoneState, serial uint32) dns.RR {
	return &dns.SOA{Hdr: dns.RR_Header{Name: z.Feed.Zone, Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: z.Feed.TTL},
		Ns: s.nsHost(), Mbox: "hostmaster." + z.Feed.Zone, Serial: serial, Refresh: 60, Retry: 30, Expire: 604800, Minttl: z.Feed.TTL}
}

func (s *Server) ns(z *ZoneState) dns.RR {
	return &dns.NS{Hdr: dns.RR_Header{Name: z.Feed.Zone, Rrtype: dns.TypeNS, Class: dns.ClassINET, Ttl: z.Feed.TTL}, Ns: s.nsHost()}
}

func (s *Server) records(z *ZoneState, recs []rpz.Record) []dns.RR {
	out := make([]dns.RR, 0, len(recs))
	for _, r := range recs {
		out = append(out, &dns.CNAME{Hdr: dns.RR_Header{Name: r.Owner + "." + z.Feed.Zone, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: z.Feed.TTL},
			Target: r.Target})
	}
	return out
}

func (s *Server) axfr(z *ZoneState) []dns.RR {
	soa := s.soa(z, z.Serial)
	recs := make([]rpz.Record, 0, len(z.Records))
	for o, t := range z.Records {
		recs = append(recs, rpz.Record{Owner: o, Target: t})
	}
	rrs := make([]dns.RR, 0, len(recs)+3)
	rrs = append(rrs, soa, s.ns(z))
	rrs = append(rrs, s.records(z, recs)...)
	return append(rrs, soa)
}

// transfer sends rrs in as many messages as needed, each within 64 KiB,
// signed when the request was.
func (s *Server) transfer(w dns.ResponseWriter, r *dns.Msg, tsig *dns.TSIG, z *ZoneState, rrs []dns.RR) {
	start := time.Now()
	send := func(chunk []dns.RR) error {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative, m.Compress = true, true
		m.Answer = chunk
		if tsig != nil {
			m.SetTsig(tsig.Hdr.Name, dns.HmacSHA256, 300, time.Now().Unix())
		}
		err := w.WriteMsg(m)
		w.TsigTimersOnly(true)
		return err
	}
	size, from := 0, 0
	for i, rr := range rrs {
		n := rrSize(rr)
		if size+n > 60000 && i > from {
			if err := send(rrs[from:i]); err != nil {
				s.log().Warn("rpz transfer", "zone", z.Key, "err", err)
				return
			}
			from, size = i, 0
		}
		size += n
	}
	if err := send(rrs[from:]); err != nil {
		s.log().Warn("rpz transfer", "zone", z.Key, "err", err)
		return
	}
	s.log().Info("rpz transfer", "zone", z.Feed.Zone, "subscriber", z.Sub.Name, "type", dns.TypeToString[r.Question[0].Qtype],
		"records", len(rrs), "serial", z.Serial, "took", time.Since(start).String())
}

// rrSize bounds the uncompressed wire size of rr.
func rrSize(rr dns.RR) int {
	n := len(rr.Header().Name) + 2 + 10
	switch x := rr.(type) {
	case *dns.CNAME:
		n += len(x.Target) + 2
	case *dns.SOA:
		n += len(x.Ns) + len(x.Mbox) + 4 + 20
	case *dns.NS:
		n += len(x.Ns) + 2
	default:
		n += 512
	}
	return n
}

// Notify sends NOTIFY for the changed zones to their subscribers'
// servers, each up to three times until answered.
func (s *Server) Notify(changed []*ZoneState) {
	var wg sync.WaitGroup
	for _, z := range changed {
		for _, target := range z.Sub.Notify {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := s.notifyOne(z, target); err != nil {
					s.log().Warn("rpz notify", "zone", z.Feed.Zone, "target", target, "err", err)
				}
			}()
		}
	}
	wg.Wait()
}

func (s *Server) notifyOne(z *ZoneState, target string) error {
	m := new(dns.Msg)
	m.SetNotify(z.Feed.Zone)
	m.Authoritative = true
	m.Answer = []dns.RR{s.soa(z, z.Serial)}
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	if z.Sub.Secret != "" {
		m.SetTsig(z.Sub.KeyName, dns.HmacSHA256, 300, time.Now().Unix())
		c.TsigProvider = tsigProvider{s.Engine}
	}
	var err error
	for range 3 {
		var resp *dns.Msg
		resp, _, err = c.Exchange(m, target)
		if err == nil && resp.Opcode == dns.OpcodeNotify {
			return nil
		}
		if err == nil {
			err = fmt.Errorf("answer %s", dns.RcodeToString[resp.Rcode])
		}
	}
	return err
}
