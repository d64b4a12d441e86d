package rpzdns

import (
	"net"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/miekg/dns"
)

// upstream is a real DNS server in the test process standing in for the
// internet: every name has A 192.0.2.1, except warn.kyojo.test. (the
// warning page, 192.0.2.80) and names under nx.example. (NXDOMAIN).
type upstream struct {
	addr    string
	queries atomic.Int64
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	var pc net.PacketConn
	var ln net.Listener
	for try := 0; ; try++ { // the UDP port the kernel gives may be taken for TCP
		var err error
		if pc, err = net.ListenPacket("udp", "127.0.0.1:0"); err != nil {
			t.Fatal(err)
		}
		if ln, err = net.Listen("tcp", pc.LocalAddr().String()); err == nil {
			break
		}
		pc.Close()
		if try == 20 {
			t.Fatal(err)
		}
	}
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		u.queries.Add(1)
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		if len(r.Question) != 1 {
			m.Rcode = dns.RcodeFormatError
			w.WriteMsg(m)
			return
		}
		q := r.Question[0]
		name := strings.ToLower(q.Name)
		switch {
		case strings.HasSuffix(name, "nx.example."):
			m.Rcode = dns.RcodeNameError
			m.Ns = []dns.RR{&dns.SOA{Hdr: dns.RR_Header{Name: "example.", Rrtype: dns.TypeSOA, Class: dns.ClassINET, Ttl: 60},
				Ns: "ns.example.", Mbox: "h.example.", Serial: 1, Refresh: 1, Retry: 1, Expire: 1, Minttl: 60}}
		case q.Qtype == dns.TypeA:
			ip := "192.0.2.1"
			if name == "warn.kyojo.test." {
				ip = "192.0.2.80"
			}
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: q.Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: net.ParseIP(ip)}}
		}
		if r.IsEdns0() != nil {
			m.SetEdns0(1232, false)
		}
		w.WriteMsg(m)
	})
	udp := &dns.Server{PacketConn: pc, Handler: h}
	tcp := &dns.Server{Listener: ln, Handler: h}
	go udp.ActivateAndServe()
	go tcp.ActivateAndServe()
	t.Cleanup(func() { udp.Shutdown(); tcp.Shutdown() })
	u.addr = pc.LocalAddr().String()
	return u
}
