package rpzdns

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

func TestTransfers(t *testing.T) {
	f := newFixture(t, rpz.NXDomain)
	_, clear := indicator("evil.example", `,"labels":["rpz:wildcard"]`)
	put(t, f.h, "bob", clear, intel.Sharing{TLP: policy.Clear})
	_, amber := indicator("amber.example", "")
	put(t, f.h, "officer", amber, intel.Sharing{TLP: policy.Amber, Orgs: []string{"isp-a"}})
	_, idn := indicator("xn--r8jz45g.example", "") // 例え.example
	put(t, f.h, "bob", idn, intel.Sharing{TLP: policy.Clear})
	f.refresh(t)

	// Two subscribers, two zones: isp-a sees the AMBER indicator the
	// police shared with it; mof (keyless) does not.
	keyed, err := f.xfr(t, true, 0)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := f.xfr(t, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	zone := f.feed.Zone
	want := map[string]string{"evil.example." + zone: ".", "*.evil.example." + zone: ".", "amber.example." + zone: ".", "xn--r8jz45g.example." + zone: "."}
	if got := owners(keyed); !mapEq(got, want) {
		t.Fatalf("isp-a AXFR %v", got)
	}
	if _, ok := keyed[0].(*dns.SOA); !ok {
		t.Fatal("AXFR does not start with the SOA")
	}
	delete(want, "amber.example."+zone)
	if got := owners(plain); !mapEq(got, want) {
		t.Fatalf("mof AXFR %v", got)
	}
	serial := keyed[0].(*dns.SOA).Serial

	// IXFR: a new indicator, then a revocation, each reach the zone.
	id2, raw2 := indicator("new.example", "")
	put(t, f.h, "bob", raw2, intel.Sharing{TLP: policy.Clear})
	time.Sleep(1100 * time.Millisecond) // serials are Unix seconds when ahead
	f.refresh(t)
	ix, err := f.xfr(t, true, serial)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix) != 5 || ix[1].(*dns.SOA).Serial != serial || owners(ix)["new.example."+zone] != "." {
		t.Fatalf("IXFR after an addition: %v", ix)
	}
	serial2 := ix[0].(*dns.SOA).Serial
	if _, err := f.h.Intel.Revoke(t.Context(), f.h.Actor("bob"), id2); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)
	ix, err = f.xfr(t, true, serial2)
	if err != nil {
		t.Fatal(err)
	}
	if len(ix) != 5 || ix[2].Header().Name != "new.example."+zone {
		t.Fatalf("IXFR after a revocation: %v", ix)
	}
	// From the first serial, both deltas; from an unknown one, the whole zone.
	ix, _ = f.xfr(t, true, serial)
	if len(ix) != 8 {
		t.Fatalf("IXFR over two deltas: %d records %v", len(ix), ix)
	}
	ix, _ = f.xfr(t, true, 12345)
	if _, isSOA := ix[1].(*dns.SOA); isSOA || len(owners(ix)) != 4 {
		t.Fatalf("IXFR from an unknown serial is not the whole zone: %v", ix)
	}
	// Current serial: one SOA.
	cur := f.query(t, zone, dns.TypeSOA, true).Answer[0].(*dns.SOA).Serial
	ix, _ = f.xfr(t, true, cur)
	if len(ix) != 1 {
		t.Fatalf("IXFR at the current serial: %v", ix)
	}
	// NOTIFY reached isp-a's server for each change.
	select {
	case name := <-f.notify.ch:
		if name != zone {
			t.Fatalf("notify for %s", name)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no NOTIFY")
	}
	// The zones kept up incrementally equal the zones built afresh: a full
	// re-read changes no serial.
	before := f.query(t, zone, dns.TypeSOA, true).Answer[0].(*dns.SOA).Serial
	f.eng.rmu.Lock()
	f.eng.lastFull = time.Time{}
	f.eng.rmu.Unlock()
	f.refresh(t)
	if after := f.query(t, zone, dns.TypeSOA, true).Answer[0].(*dns.SOA).Serial; after != before {
		t.Fatalf("a full rebuild moved the serial from %d to %d: the incremental zone differed", before, after)
	}
	// The journal is in the store.
	if last, err := f.h.DB.RPZLastSerial(t.Context(), f.feed.ID+"/"+f.keyed.ID); err != nil || last != cur {
		t.Fatalf("journal last serial %d %v, want %d", last, err, cur)
	}
}

func TestQueriesAndRefusals(t *testing.T) {
	f := newFixture(t, rpz.Walled)
	_, raw := indicator("evil.example", "")
	put(t, f.h, "bob", raw, intel.Sharing{TLP: policy.Clear})
	f.refresh(t)
	zone := f.feed.Zone
	cases := []struct {
		name   string
		q      string
		qtype  uint16
		keyed  bool
		rcode  int
		answer string
	}{
		{"soa", zone, dns.TypeSOA, false, dns.RcodeSuccess, "SOA"},
		{"ns", zone, dns.TypeNS, true, dns.RcodeSuccess, "NS"},
		{"listed, any case", "EVIL.Example." + strings.ToUpper(zone), dns.TypeA, true, dns.RcodeSuccess, "CNAME"},
		{"unlisted", "fine.example." + zone, dns.TypeA, false, dns.RcodeNameError, ""},
		{"other zone", "example.org.", dns.TypeSOA, false, dns.RcodeRefused, ""},
		{"axfr over udp", zone, dns.TypeAXFR, false, dns.RcodeRefused, ""},
		{"255-octet name", strings.Repeat("a.", 110) + "x." + zone, dns.TypeA, false, dns.RcodeNameError, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.query(t, dns.Fqdn(c.q), c.qtype, c.keyed)
			if r.Rcode != c.rcode {
				t.Fatalf("rcode %s", dns.RcodeToString[r.Rcode])
			}
			if c.answer != "" && (len(r.Answer) != 1 || dns.TypeToString[r.Answer[0].Header().Rrtype] != c.answer) {
				t.Fatalf("answer %v", r.Answer)
			}
			if c.answer == "CNAME" && r.Answer[0].(*dns.CNAME).Target != "warn.kyojo.test." {
				t.Fatalf("walled garden target %v", r.Answer[0])
			}
		})
	}

	t.Run("wrong TSIG", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetAxfr(zone)
		m.SetTsig(f.keyed.KeyName, dns.HmacSHA256, 300, time.Now().Unix())
		tr := &dns.Transfer{TsigSecret: map[string]string{f.keyed.KeyName: "d3Jvbmd3cm9uZ3dyb25nd3Jvbmc="}}
		ch, err := tr.In(m, f.addr)
		if err == nil {
			env := <-ch
			err = env.Error
		}
		if err == nil {
			t.Fatal("transfer with a wrong key succeeded")
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(zone, dns.TypeSOA)
		m.SetTsig("nobody.", dns.HmacSHA256, 300, time.Now().Unix())
		c := &dns.Client{TsigSecret: map[string]string{"nobody.": testSecret}}
		r, _, err := c.Exchange(m, f.addr)
		if err == nil && r.Rcode != dns.RcodeNotAuth {
			t.Fatalf("unknown key answered %s", dns.RcodeToString[r.Rcode])
		}
	})
	t.Run("address outside the ACL", func(t *testing.T) {
		// 127.0.0.2 is in isp-a's ACL (keyed) but not mof's (keyless).
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}}
		conn, err := d.Dial("tcp", f.addr)
		if err != nil {
			t.Skip("cannot bind 127.0.0.2:", err)
		}
		defer conn.Close()
		co := &dns.Conn{Conn: conn}
		m := new(dns.Msg)
		m.SetAxfr(zone)
		co.WriteMsg(m)
		r, err := co.ReadMsg()
		if err != nil || r.Rcode != dns.RcodeRefused {
			t.Fatalf("keyless AXFR from 127.0.0.2: %v %v", r, err)
		}
	})
	t.Run("notify flood is refused", func(t *testing.T) {
		c := &dns.Client{Timeout: time.Second}
		for i := 0; i < 200; i++ {
			m := new(dns.Msg)
			m.SetNotify(zone)
			r, _, err := c.Exchange(m, f.addr)
			if err != nil || r.Rcode != dns.RcodeRefused {
				t.Fatalf("notify %d: %v %v", i, r, err)
			}
		}
	})
	t.Run("compression loop and garbage", func(t *testing.T) {
		conn, err := net.Dial("udp", f.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		loop := []byte{0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1} // name points at itself
		for _, b := range [][]byte{loop, {1, 2, 3}, make([]byte, 600)} {
			conn.Write(b)
		}
		// The server is still there.
		if r := f.query(t, zone, dns.TypeSOA, false); r.Rcode != dns.RcodeSuccess {
			t.Fatal("server gone after garbage")
		}
	})
	t.Run("oversized EDNS", func(t *testing.T) {
		m := new(dns.Msg)
		m.SetQuestion(zone, dns.TypeSOA)
		m.SetEdns0(65535, true)
		r, _, err := (&dns.Client{}).Exchange(m, f.addr)
		if err != nil || r.Rcode != dns.RcodeSuccess || r.IsEdns0() == nil || r.IsEdns0().UDPSize() != 1232 {
			t.Fatalf("%v %v", r, err)
		}
	})
}

func mapEq(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
