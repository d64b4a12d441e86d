package rpzdns

import (
	"bytes"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

func TestResolver(t *testing.T) {
	f := newFixture(t, rpz.Walled)
	id, raw := indicator("evil.example", `,"labels":["rpz:wildcard"]`)
	put(t, f.h, "bob", raw, intel.Sharing{TLP: policy.Clear})
	_, amber := indicator("amber.example", "")
	put(t, f.h, "officer", amber, intel.Sharing{TLP: policy.Amber, Orgs: []string{"isp-a"}})
	f.refresh(t)
	up := newUpstream(t)
	var logs syncBuffer
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hits"}, []string{"feed", "isp"})
	res := &Resolver{Engine: f.eng, Subscriber: f.plain.ID, ISP: "mof", Upstreams: []string{up.addr},
		WarnAddrs: []netip.Addr{netip.MustParseAddr("192.0.2.80")}, Log: slog.New(slog.NewTextHandler(&logs, nil)), Hits: hits}
	addr, err := res.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Shutdown(t.Context()) })
	ask := func(name string, qtype uint16, edns bool) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		if edns {
			m.SetEdns0(4096, true)
		}
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, addr)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return r
	}
	cases := []struct {
		name  string
		q     string
		qtype uint16
		rcode int
		want  string // first answer's type and value
	}{
		{"listed: walled garden", "evil.example.", dns.TypeA, dns.RcodeSuccess, "CNAME warn.kyojo.test."},
		{"wildcard, uppercase", "WWW.Evil.Example.", dns.TypeA, dns.RcodeSuccess, "CNAME warn.kyojo.test."},
		{"unlisted", "fine.example.", dns.TypeA, dns.RcodeSuccess, "A 192.0.2.1"},
		{"unlisted nxdomain", "a.nx.example.", dns.TypeA, dns.RcodeNameError, ""},
		{"amber for isp-a only: mof's resolver passes it", "amber.example.", dns.TypeA, dns.RcodeSuccess, "A 192.0.2.1"},
		{"idn punycode", "xn--r8jz45g.example.", dns.TypeA, dns.RcodeSuccess, "A 192.0.2.1"},
		{"255-octet name", strings.Repeat("a.", 126) + "x.", dns.TypeA, dns.RcodeSuccess, "A 192.0.2.1"},
		{"zone transfer refused", "evil.example.", dns.TypeAXFR, dns.RcodeRefused, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := ask(c.q, c.qtype, false)
			if r.Rcode != c.rcode {
				t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
			}
			got := ""
			if len(r.Answer) > 0 {
				switch a := r.Answer[0].(type) {
				case *dns.CNAME:
					got = "CNAME " + a.Target
				case *dns.A:
					got = "A " + a.A.String()
				}
			}
			if got != c.want {
				t.Fatalf("answer %q, want %q", got, c.want)
			}
		})
	}
	if r := ask("evil.example.", dns.TypeA, true); len(r.Answer) != 2 || r.Answer[1].(*dns.A).A.String() != "192.0.2.80" || r.IsEdns0() == nil {
		t.Fatalf("walled garden with EDNS: %v", r)
	}
	// The cache: a second query does not reach the upstream, and keeps the client's spelling.
	before := up.queries.Load()
	if r := ask("FINE.example.", dns.TypeA, false); r.Question[0].Name != "FINE.example." || len(r.Answer) != 1 {
		t.Fatalf("cached answer %v", r)
	}
	if up.queries.Load() != before {
		t.Fatal("a cached name went upstream again")
	}
	// Hits: counted per feed, ISP and indicator, logged with the client's /24.
	counts := res.Counts()
	if len(counts) != 1 || counts[0].Indicator != id || counts[0].Count != 3 || counts[0].ISP != "mof" {
		t.Fatalf("counts %+v", counts)
	}
	if v := testutil.ToFloat64(hits.WithLabelValues(f.feed.Zone, "mof")); v != 3 {
		t.Fatalf("prometheus hits %v", v)
	}
	if !strings.Contains(logs.String(), "client=127.0.0.0/24") || strings.Contains(logs.String(), "127.0.0.1") {
		t.Fatalf("hit log does not truncate the client: %s", logs.String())
	}

	// Revocation, and the allowlist, lift the block.
	if _, err := f.h.Intel.Revoke(t.Context(), f.h.Actor("bob"), id); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	if r := ask("evil.example.", dns.TypeA, false); len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeA {
		t.Fatalf("revoked name still blocked: %v", r)
	}
	_, raw3 := indicator("shop.example", "")
	put(t, f.h, "bob", raw3, intel.Sharing{TLP: policy.Clear})
	f.refresh(t)
	if r := ask("shop.example.", dns.TypeA, false); len(r.Answer) == 0 || r.Answer[0].Header().Rrtype != dns.TypeCNAME {
		t.Fatalf("shop.example not blocked: %v", r)
	}
	if _, err := f.svc.AddAllow(t.Context(), f.h.Actor("admin"), rpz.Allow{Name: "shop.example"}); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	if r := ask("shop.example.", dns.TypeA, false); len(r.Answer) != 1 || r.Answer[0].Header().Rrtype != dns.TypeA {
		t.Fatalf("allowlisted name blocked: %v", r)
	}
}

func TestResolverNeverUnfiltered(t *testing.T) {
	up := newUpstream(t)
	res := &Resolver{Engine: &Engine{}, Upstreams: []string{up.addr}}
	addr, err := res.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Shutdown(t.Context()) })
	m := new(dns.Msg)
	m.SetQuestion("fine.example.", dns.TypeA)
	r, _, err := (&dns.Client{}).Exchange(m, addr)
	if err != nil || r.Rcode != dns.RcodeServerFailure || up.queries.Load() != 0 {
		t.Fatalf("before the policy loaded: %v %v", r, err)
	}
}

// TestResolverBadPackets sends the resolver packets it must not choke on:
// a compression loop, a truncated header, an answer instead of a query,
// an oversized EDNS size; each gets FORMERR or nothing, and the resolver
// keeps answering.
func TestResolverBadPackets(t *testing.T) {
	f := newFixture(t, rpz.NXDomain)
	up := newUpstream(t)
	res := &Resolver{Engine: f.eng, Subscriber: f.plain.ID, Upstreams: []string{up.addr}}
	addr, err := res.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Shutdown(t.Context()) })
	conn, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	loop := []byte{0xab, 0xcd, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1}
	conn.Write(loop)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	b := make([]byte, 512)
	n, err := conn.Read(b)
	if err != nil || n != 12 || b[0] != 0xab || b[3]&0xf != dns.RcodeFormatError {
		t.Fatalf("compression loop: % x %v", b[:n], err)
	}
	for _, p := range [][]byte{{1, 2, 3}, {0, 1, 0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1}} {
		conn.Write(p)
	}
	m := new(dns.Msg)
	m.SetQuestion("fine.example.", dns.TypeA)
	m.SetEdns0(65535, true)
	r, _, err := (&dns.Client{}).Exchange(m, addr)
	if err != nil || len(r.Answer) != 1 || r.IsEdns0() == nil {
		t.Fatalf("after bad packets: %v %v", r, err)
	}
	if r.IsEdns0().UDPSize() > 4096 {
		t.Fatalf("EDNS size echoed: %d", r.IsEdns0().UDPSize())
	}
}

// syncBuffer is a bytes.Buffer the resolver's goroutines and the test may
// share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }
