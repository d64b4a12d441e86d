package rpzdns

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// Resolver is the filtering resolver: it forwards to upstream resolvers
// with a cache and applies a subscriber's policy first. It never answers
// unfiltered: until the engine has loaded, it answers SERVFAIL, and a
// policy change replaces the whole policy at once.
type Resolver struct {
	Engine     *Engine
	Subscriber string   // whose policy applies (subscriber id)
	ISP        string   // for the counters: the subscriber's organisation handle
	Upstreams  []string // host:port
	// WarnAddrs are the addresses of the warning page's host, given as
	// A/AAAA answers after the walled garden's CNAME.
	WarnAddrs []netip.Addr
	// Log receives one line per policy hit, with the client address
	// truncated to V4Bits/V6Bits (24 and 48 when zero).
	Log            *slog.Logger
	V4Bits, V6Bits int
	// Hits counts policy hits by feed and ISP (may be nil).
	Hits *prometheus.CounterVec
	// CacheSize bounds the cache (entries); 100,000 when zero.
	CacheSize int
	// Policy, when set, is used instead of the engine's (benchmarks).
	Policy func() *rpz.Policy

	cache   cache
	counts  sync.Map // "feed\x00isp\x00indicator" → *atomic.Uint64
	client  *dns.Client
	tclient *dns.Client
	next    atomic.Uint32
	mu      sync.Mutex
	servers []*dns.Server
	udp     []*net.UDPConn
	once    sync.Once
}

func (r *Resolver) init() {
	r.once.Do(func() {
		r.client = &dns.Client{Net: "udp", Timeout: 2 * time.Second, UDPSize: 1232}
		r.tclient = &dns.Client{Net: "tcp", Timeout: 4 * time.Second}
		n := r.CacheSize
		if n <= 0 {
			n = 100_000
		}
		r.cache.init(n)
		if r.V4Bits == 0 {
			r.V4Bits = 24
		}
		if r.V6Bits == 0 {
			r.V6Bits = 48
		}
	})
}

// Start listens on addr over UDP (one socket per CPU, each read by one
// goroutine that answers cache hits and policy hits itself; see fast.go)
// and TCP.
func (r *Resolver) Start(addr string) (string, error) {
	r.init()
	pcs, ln, err := listenPair(addr)
	if err != nil {
		return "", err
	}
	bound := ln.Addr().String()
	var conns []*net.UDPConn
	for _, c := range pcs {
		conns = append(conns, c.(*net.UDPConn))
	}
	tcp := &dns.Server{Listener: ln, Handler: r, ReadTimeout: 10 * time.Second, WriteTimeout: 30 * time.Second,
		IdleTimeout: func() time.Duration { return 10 * time.Second }}
	started := make(chan struct{})
	tcp.NotifyStartedFunc = func() { close(started) }
	go tcp.ActivateAndServe()
	<-started
	r.mu.Lock()
	r.servers = append(r.servers, tcp)
	r.udp = append(r.udp, conns...)
	r.mu.Unlock()
	for _, c := range conns {
		go r.serveUDP(c)
	}
	return bound, nil
}

// Shutdown stops the listeners.
func (r *Resolver) Shutdown(ctx context.Context) error {
	r.mu.Lock()
	for _, c := range r.udp {
		c.Close()
	}
	r.udp = nil
	r.mu.Unlock()
	return shutdownDNS(ctx, &r.mu, &r.servers)
}

func (r *Resolver) policy() (*rpz.Policy, bool) {
	if r.Policy != nil {
		return r.Policy(), true
	}
	if r.Engine == nil || !r.Engine.Loaded() {
		return nil, false
	}
	return r.Engine.Policy(r.Subscriber), true
}

// Counts returns the hits counted since start, by feed, ISP and indicator.
func (r *Resolver) Counts() []rpz.HitCount {
	out := []rpz.HitCount{}
	r.counts.Range(func(k, v any) bool {
		p := strings.SplitN(k.(string), "\x00", 3)
		out = append(out, rpz.HitCount{Feed: p[0], ISP: p[1], Indicator: p[2], Count: v.(*atomic.Uint64).Load()})
		return true
	})
	slices.SortFunc(out, func(a, b rpz.HitCount) int { return int(b.Count) - int(a.Count) })
	return out
}

// ServeDNS answers one client query.
func (r *Resolver) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	r.init()
	if len(req.Question) != 1 || req.Opcode != dns.OpcodeQuery || req.Response {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeFormatError)
		if req.Opcode != dns.OpcodeQuery {
			m.Rcode = dns.RcodeNotImplemented
		}
		m.Answer, m.Ns, m.Extra = nil, nil, nil
		w.WriteMsg(m)
		return
	}
	q := req.Question[0]
	if q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR || q.Qclass != dns.ClassINET {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeRefused)
		w.WriteMsg(m)
		return
	}
	pol, ok := r.policy()
	if !ok {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure) // never unfiltered
		w.WriteMsg(m)
		return
	}
	size := 512
	opt := req.IsEdns0()
	if opt != nil {
		size = min(max(int(opt.UDPSize()), 512), 1232)
	}
	if isTCP(w) {
		size = 65535
	}
	if hit, ok := pol.Lookup(q.Name); ok && hit.Action != rpz.Passthru {
		r.count(addrOf(w.RemoteAddr()), q, hit)
		w.WriteMsg(r.policyAnswer(req, q, hit, opt != nil))
		return
	}
	key := cacheKey(q, opt)
	if wire, ok := r.cache.get(key); ok {
		out := make([]byte, len(wire))
		copy(out, wire)
		out[0], out[1] = byte(req.Id>>8), byte(req.Id)
		if len(out) <= size {
			patchName(out, q.Name)
			w.Write(out)
			return
		}
	}
	resp, err := r.forward(req, opt)
	if err != nil {
		m := new(dns.Msg)
		m.SetRcode(req, dns.RcodeServerFailure)
		w.WriteMsg(m)
		return
	}
	resp.Id = req.Id
	resp.Question = req.Question
	if resp.Rcode == dns.RcodeSuccess || resp.Rcode == dns.RcodeNameError {
		if wire, err := resp.Pack(); err == nil {
			r.cache.put(key, wire, ttlOf(resp))
		}
	}
	if !isTCP(w) {
		resp.Truncate(size)
	}
	w.WriteMsg(resp)
}

func (r *Resolver) forward(req *dns.Msg, opt *dns.OPT) (*dns.Msg, error) {
	if len(r.Upstreams) == 0 {
		return nil, errors.New("no upstream resolvers")
	}
	m := new(dns.Msg)
	m.SetQuestion(req.Question[0].Name, req.Question[0].Qtype)
	m.RecursionDesired = req.RecursionDesired
	m.CheckingDisabled = req.CheckingDisabled
	if opt != nil {
		m.SetEdns0(1232, opt.Do())
	}
	var err error
	start := int(r.next.Add(1))
	for i := range r.Upstreams {
		up := r.Upstreams[(start+i)%len(r.Upstreams)]
		var resp *dns.Msg
		resp, _, err = r.client.Exchange(m, up)
		if err == nil && resp.Truncated {
			resp, _, err = r.tclient.Exchange(m, up)
		}
		if err == nil && resp.Rcode != dns.RcodeServerFailure && resp.Rcode != dns.RcodeRefused {
			if opt == nil {
				resp.Extra = slices.DeleteFunc(resp.Extra, func(rr dns.RR) bool { return rr.Header().Rrtype == dns.TypeOPT })
			}
			return resp, nil
		}
		if err == nil {
			err = errors.New(dns.RcodeToString[resp.Rcode])
		}
	}
	return nil, err
}

func (r *Resolver) policyAnswer(req *dns.Msg, q dns.Question, hit rpz.Hit, edns bool) *dns.Msg {
	m := new(dns.Msg)
	m.SetReply(req)
	m.RecursionAvailable = true
	if edns {
		m.SetEdns0(1232, false)
	}
	switch hit.Action {
	case rpz.NXDomain:
		m.Rcode = dns.RcodeNameError
	case rpz.NoData:
	case rpz.Walled:
		m.Answer = append(m.Answer, &dns.CNAME{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeCNAME, Class: dns.ClassINET, Ttl: 60}, Target: hit.Target})
		for _, a := range r.WarnAddrs {
			switch {
			case a.Is4() && q.Qtype == dns.TypeA:
				m.Answer = append(m.Answer, &dns.A{Hdr: dns.RR_Header{Name: hit.Target, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 60}, A: a.AsSlice()})
			case a.Is6() && q.Qtype == dns.TypeAAAA:
				m.Answer = append(m.Answer, &dns.AAAA{Hdr: dns.RR_Header{Name: hit.Target, Rrtype: dns.TypeAAAA, Class: dns.ClassINET, Ttl: 60}, AAAA: a.AsSlice()})
			}
		}
	}
	return m
}

func (r *Resolver) count(from netip.Addr, q dns.Question, hit rpz.Hit) {
	key := hit.Feed + "\x00" + r.ISP + "\x00" + hit.Indicator
	c, ok := r.counts.Load(key)
	if !ok {
		c, _ = r.counts.LoadOrStore(key, new(atomic.Uint64))
	}
	c.(*atomic.Uint64).Add(1)
	if r.Hits != nil {
		r.Hits.WithLabelValues(hit.Feed, r.ISP).Inc()
	}
	if r.Log != nil && r.Log.Enabled(context.Background(), slog.LevelInfo) {
		client := rpz.Truncate(from, r.V4Bits, r.V6Bits)
		r.Log.Info("rpz hit", "client", client.String(), "name", strings.ToLower(q.Name), "type", dns.TypeToString[q.Qtype],
			"action", string(hit.Action), "feed", hit.Feed, "rule", hit.Rule, "indicator", hit.Indicator, "isp", r.ISP)
	}
}

func cacheKey(q dns.Question, opt *dns.OPT) string {
	var b strings.Builder
	b.Grow(len(q.Name) + 8)
	b.WriteString(strings.ToLower(q.Name))
	b.WriteByte(byte(q.Qtype >> 8))
	b.WriteByte(byte(q.Qtype))
	switch {
	case opt == nil:
		b.WriteByte('n')
	case opt.Do():
		b.WriteByte('d')
	default:
		b.WriteByte('e')
	}
	return b.String()
}

// patchName writes the client's spelling of the question name over the
// cached answer's (same length, case may differ).
func patchName(wire []byte, name string) {
	buf := make([]byte, 256)
	n, err := dns.PackDomainName(dns.Fqdn(name), buf, 0, nil, false)
	if err != nil || 12+n > len(wire) {
		return
	}
	copy(wire[12:12+n], buf[:n])
}

func ttlOf(m *dns.Msg) time.Duration {
	ttl := uint32(3600)
	for _, sec := range [][]dns.RR{m.Answer, m.Ns} {
		for _, rr := range sec {
			if t := rr.Header().Ttl; t < ttl {
				ttl = t
			}
			if soa, ok := rr.(*dns.SOA); ok && len(m.Answer) == 0 && soa.Minttl < ttl {
				ttl = soa.Minttl
			}
		}
	}
	return time.Duration(ttl) * time.Second
}

// cache is a sharded map of packed answers with expiry.
type cache struct {
	shards [64]struct {
		mu sync.RWMutex
		m  map[string]entry
	}
	max int
}

type entry struct {
	wire    []byte
	expires int64
}

func (c *cache) init(max int) {
	c.max = max/len(c.shards) + 1
	for i := range c.shards {
		c.shards[i].m = map[string]entry{}
	}
}

func (c *cache) shard(k string) int {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h = (h ^ uint32(k[i])) * 16777619
	}
	return int(h % uint32(len(c.shards)))
}

// getBytes is get for a key in bytes, without making a string of it.
func (c *cache) getBytes(k []byte) ([]byte, bool) {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h = (h ^ uint32(k[i])) * 16777619
	}
	s := &c.shards[int(h%uint32(len(c.shards)))]
	s.mu.RLock()
	e, ok := s.m[string(k)]
	s.mu.RUnlock()
	if !ok || time.Now().UnixNano() > e.expires {
		return nil, false
	}
	return e.wire, true
}

func (c *cache) get(k string) ([]byte, bool) {
	s := &c.shards[c.shard(k)]
	s.mu.RLock()
	e, ok := s.m[k]
	s.mu.RUnlock()
	if !ok || time.Now().UnixNano() > e.expires {
		return nil, false
	}
	return e.wire, true
}

func (c *cache) put(k string, wire []byte, ttl time.Duration) {
	if ttl <= 0 {
		return
	}
	s := &c.shards[c.shard(k)]
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= c.max {
		now := time.Now().UnixNano()
		for k2, e := range s.m { // drop expired entries, or any one when none expired
			if e.expires < now || len(s.m) >= c.max {
				delete(s.m, k2)
			}
			if len(s.m) < c.max*3/4 {
				break
			}
		}
	}
	s.m[k] = entry{wire: wire, expires: time.Now().Add(ttl).UnixNano()}
}
