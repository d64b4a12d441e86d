package rpzdns

import (
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// recorder is a dns.ResponseWriter that keeps what the handler wrote.
type recorder struct {
	tcp  bool
	msgs []*dns.Msg
	raw  [][]byte
}

func (r *recorder) LocalAddr() net.Addr { return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 53} }
func (r *recorder) RemoteAddr() net.Addr {
	if r.tcp {
		return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
	}
	return &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000}
}
func (r *recorder) WriteMsg(m *dns.Msg) error {
	r.msgs = append(r.msgs, m)
	_, err := m.Pack()
	return err
}
func (r *recorder) Write(b []byte) (int, error) { r.raw = append(r.raw, b); return len(b), nil }
func (r *recorder) Close() error                { return nil }
func (r *recorder) TsigStatus() error           { return nil }
func (r *recorder) TsigTimersOnly(bool)         {}
func (r *recorder) Hijack()                     {}

// FuzzServeDNS hands arbitrary DNS messages (as miekg/dns unpacks them) to
// the RPZ server and the resolver: they answer every message exactly once
// (or for transfers, at least once), with a reply that packs, and never
// panic.
func FuzzServeDNS(f *testing.F) {
	for _, build := range []func(*dns.Msg){
		func(m *dns.Msg) { m.SetQuestion("rpz.test.", dns.TypeSOA) },
		func(m *dns.Msg) { m.SetAxfr("rpz.test.") },
		func(m *dns.Msg) { m.SetIxfr("rpz.test.", 1, "a.", "b.") },
		func(m *dns.Msg) { m.SetQuestion("EVIL.example.", dns.TypeA); m.SetEdns0(65535, true) },
		func(m *dns.Msg) { m.SetNotify("rpz.test.") },
		func(m *dns.Msg) { m.SetQuestion("www.evil.example.rpz.test.", dns.TypeAAAA) },
	} {
		m := new(dns.Msg)
		build(m)
		b, _ := m.Pack()
		f.Add(b, false)
		f.Add(b, true)
	}
	eng := &Engine{}
	feed := rpz.Feed{ID: "f", Zone: "rpz.test.", Action: rpz.Walled, WarnHost: "warn.test.", TTL: 60}
	sub := rpz.Subscriber{ID: "s", Name: "s", Feeds: []string{"f"}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	z := rpz.Zone{Origin: feed.Zone, Records: map[string]string{"evil.example": "warn.test.", "*.evil.example": "warn.test."}, Source: map[string]string{}}
	st := &ZoneState{Key: "f/s", Feed: feed, Sub: sub, Serial: 5, Records: z.Records, Source: z.Source, journal: &rpz.Journal{}}
	st.journal.Append(rpz.Delta{From: 1, To: 5, Added: []rpz.Record{{Owner: "evil.example", Target: "warn.test."}}})
	eng.zones = map[string]*ZoneState{"f/s": st}
	eng.byZone = map[string][]*ZoneState{feed.Zone: {st}}
	pol := rpz.NewPolicy(0)
	pol.Add(z)
	eng.policies.Store(&map[string]*rpz.Policy{"s": pol})
	eng.loaded.Store(true)
	srv := &Server{Engine: eng}
	res := &Resolver{Engine: eng, Subscriber: "s"} // no upstream: unlisted names get SERVFAIL
	f.Fuzz(func(t *testing.T, b []byte, tcp bool) {
		m := new(dns.Msg)
		if m.Unpack(b) != nil {
			return
		}
		for _, h := range []dns.Handler{srv, res} {
			w := &recorder{tcp: tcp}
			h.ServeDNS(w, m)
			if len(w.msgs)+len(w.raw) == 0 {
				t.Fatalf("%T wrote nothing for %v", h, m)
			}
		}
	})
}

// FuzzQueryParse checks the fast path's own reading of query packets
// against miekg/dns: whatever it takes, miekg/dns reads the same
// question, and the OPT record's size and DO bit agree.
func FuzzQueryParse(f *testing.F) {
	for _, build := range []func(*dns.Msg){
		func(m *dns.Msg) { m.SetQuestion("Evil.Example.", dns.TypeA) },
		func(m *dns.Msg) { m.SetQuestion("a-b_c.example.", dns.TypeAAAA); m.SetEdns0(4096, true) },
		func(m *dns.Msg) { m.SetQuestion("x.", dns.TypeTXT); m.SetEdns0(100, false) },
		func(m *dns.Msg) { m.SetQuestion("a.b.", dns.TypeAXFR) },
	} {
		m := new(dns.Msg)
		build(m)
		b, _ := m.Pack()
		f.Add(b)
	}
	f.Add([]byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var q query
		if !q.parse(b) {
			return
		}
		m := new(dns.Msg)
		if err := m.Unpack(b); err != nil {
			t.Fatalf("fast path took a packet miekg/dns refuses: %v", err)
		}
		if len(m.Question) != 1 || strings.ToLower(m.Question[0].Name) != string(q.lower[:q.nlen])+"." ||
			m.Question[0].Name != q.name(b) || m.Question[0].Qtype != q.qtype || m.Id != q.id || m.RecursionDesired != q.rd {
			t.Fatalf("fast path read %q/%d, miekg/dns %v", q.lower[:q.nlen], q.qtype, m.Question)
		}
		if o := m.IsEdns0(); (o == nil) != (q.edns == 'n') || o != nil && o.Do() != (q.edns == 'd') {
			t.Fatalf("EDNS: fast %c, miekg/dns %v", q.edns, o)
		}
	})
}
