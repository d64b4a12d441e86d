package rpzdns

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

const testSecret = "a2V5b2ZraW5ncy1yZWFsbHktc2VjcmV0LWhtYWM=" // base64

var idSeq = 0

// indicator returns a STIX indicator for a domain, valid from now.
func indicator(domain string, extra string) (string, string) {
	idSeq++
	id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", idSeq)
	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	return id, `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"` + now + `","modified":"` + now + `",` +
		`"name":"bad ` + domain + `","pattern":"[domain-name:value = '` + domain + `']","pattern_type":"stix","valid_from":"` + now + `",` +
		`"confidence":90` + extra + `}`
}

func put(t *testing.T, h *hubtest.Hub, user, raw string, sh intel.Sharing) {
	t.Helper()
	res, err := h.Intel.Put(t.Context(), h.Actor(user), []byte(raw), sh, "api")
	if err != nil || res.Rejected > 0 || res.Created+res.Updated == 0 {
		t.Fatalf("put: %+v %v", res, err)
	}
}

// fixture is a hub with one feed and two subscribers on loopback: mof
// without a key (127.0.0.1 only) and isp-a with a TSIG key.
type fixture struct {
	h      *hubtest.Hub
	svc    *rpz.Service
	eng    *Engine
	srv    *Server
	addr   string
	feed   rpz.Feed
	keyed  rpz.Subscriber
	plain  rpz.Subscriber
	notify *notifySink
}

func newFixture(t *testing.T, action rpz.Action) *fixture {
	t.Helper()
	h := hubtest.New(t)
	f := &fixture{h: h, svc: rpz.NewService(h.DB, nil)}
	admin := h.Actor("admin")
	var err error
	f.feed, err = f.svc.AddFeed(t.Context(), admin, rpz.Feed{Zone: "rpz.kyojo.test", MinScore: 30, Action: action, WarnHost: "warn.kyojo.test", TTL: 60})
	if err != nil {
		t.Fatal(err)
	}
	f.notify = newNotifySink(t)
	f.keyed, err = f.svc.AddSubscriber(t.Context(), admin, rpz.Subscriber{Name: "isp-a-ns1", OrgID: h.Orgs["isp-a"].ID, Feeds: []string{f.feed.ID},
		KeyName: "isp-a-key", Secret: testSecret, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, Notify: []string{f.notify.addr}})
	if err != nil {
		t.Fatal(err)
	}
	f.plain, err = f.svc.AddSubscriber(t.Context(), admin, rpz.Subscriber{Name: "mof-ns1", OrgID: h.Orgs["mof"].ID, Feeds: []string{f.feed.ID},
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &Server{}
	f.eng = &Engine{Intel: h.DB.Intel(), Defs: h.DB, Dir: h.DB, Journal: h.DB, Decay: intel.DefaultDecay, OnChange: func(z []*ZoneState) { f.srv.Notify(z) }}
	f.srv.Engine = f.eng
	f.refresh(t)
	f.addr, err = f.srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.srv.Shutdown(t.Context()) })
	return f
}

func (f *fixture) refresh(t *testing.T) {
	t.Helper()
	if err := f.eng.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// xfr transfers the zone (AXFR, or IXFR from serial when serial > 0) with
// the key when keyed, and returns the records and the first SOA's serial.
func (f *fixture) xfr(t *testing.T, keyed bool, serial uint32) ([]dns.RR, error) {
	t.Helper()
	m := new(dns.Msg)
	tr := &dns.Transfer{}
	if serial > 0 {
		m.SetIxfr(f.feed.Zone, serial, "localhost.", "hostmaster."+f.feed.Zone)
	} else {
		m.SetAxfr(f.feed.Zone)
	}
	if keyed {
		m.SetTsig(f.keyed.KeyName, dns.HmacSHA256, 300, time.Now().Unix())
		tr.TsigSecret = map[string]string{f.keyed.KeyName: testSecret}
	}
	ch, err := tr.In(m, f.addr)
	if err != nil {
		return nil, err
	}
	var out []dns.RR
	for env := range ch {
		if env.Error != nil {
			return out, env.Error
		}
		out = append(out, env.RR...)
	}
	return out, nil
}

func (f *fixture) query(t *testing.T, name string, qtype uint16, keyed bool) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	c := &dns.Client{Timeout: 2 * time.Second}
	if keyed {
		m.SetTsig(f.keyed.KeyName, dns.HmacSHA256, 300, time.Now().Unix())
		c.TsigSecret = map[string]string{f.keyed.KeyName: testSecret}
	}
	r, _, err := c.Exchange(m, f.addr)
	if err != nil {
		t.Fatalf("query %s: %v", name, err)
	}
	return r
}

func owners(rrs []dns.RR) map[string]string {
	out := map[string]string{}
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CNAME); ok {
			out[c.Hdr.Name] = c.Target
		}
	}
	return out
}

// notifySink is a DNS server that records the NOTIFYs it gets.
type notifySink struct {
	addr string
	mu   sync.Mutex
	got  []string
	ch   chan string
}

func newNotifySink(t *testing.T) *notifySink {
	n := &notifySink{ch: make(chan string, 100)}
	srv := &dns.Server{Addr: "127.0.0.1:0", Net: "udp", TsigSecret: map[string]string{"isp-a-key.": testSecret}}
	started := make(chan struct{})
	srv.NotifyStartedFunc = func() { close(started) }
	srv.Handler = dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if r.Opcode == dns.OpcodeNotify && w.TsigStatus() == nil && r.IsTsig() != nil {
			n.ch <- r.Question[0].Name
			m.SetTsig(r.IsTsig().Hdr.Name, dns.HmacSHA256, 300, time.Now().Unix())
		}
		w.WriteMsg(m)
	})
	go srv.ListenAndServe()
	<-started
	n.addr = srv.PacketConn.LocalAddr().String()
	t.Cleanup(func() { srv.Shutdown() })
	return n
}

var _ = policy.Amber
