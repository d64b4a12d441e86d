package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// fakeUpstream answers A 192.0.2.1 for every name, over UDP, on loopback:
// a real DNS server standing in for the internet.
func fakeUpstream(t *testing.T) string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 1}, A: net.ParseIP("192.0.2.1")}}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	t.Cleanup(func() { srv.Shutdown() })
	return pc.LocalAddr().String()
}

func sendJSON(t *testing.T, method, url, token, body string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestServeRPZ starts `kyojo serve --demo` with the RPZ server and the
// filtering resolver, shares an indicator over the REST API, and watches
// it reach the demo zone (AXFR from 127.0.0.1 without a key) and the
// resolver's answers within seconds, then leave both when revoked.
func TestServeRPZ(t *testing.T) {
	data := t.TempDir()
	up := fakeUpstream(t)
	h := serve(t, data, "--demo", "--rpz-listen", "127.0.0.1:0", "--dns-listen", "127.0.0.1:0", "--dns-upstream", up)
	out := h.stdout.String()
	rpzAddr := regexp.MustCompile(`RPZ zones on (\S+)`).FindStringSubmatch(out)
	dnsAddr := regexp.MustCompile(`resolver listens on (\S+)`).FindStringSubmatch(out)
	if rpzAddr == nil || dnsAddr == nil {
		t.Fatalf("serve did not say where DNS listens:\n%s", out)
	}
	token := strings.TrimSpace(lastLine(kyojo(t, "", "token", "create", "--data", data, "--user", "admin", "--scope", "write")))

	axfr := func() map[string]string {
		m := new(dns.Msg)
		m.SetAxfr("rpz.kyojo.demo.")
		ch, err := (&dns.Transfer{}).In(m, rpzAddr[1])
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for env := range ch {
			if env.Error != nil {
				t.Fatalf("AXFR: %v", env.Error)
			}
			for _, rr := range env.RR {
				if c, ok := rr.(*dns.CNAME); ok {
					got[c.Hdr.Name] = c.Target
				}
			}
		}
		return got
	}
	resolve := func(name string) *dns.Msg {
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeA)
		r, _, err := (&dns.Client{Timeout: 2 * time.Second}).Exchange(m, dnsAddr[1])
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	within := func(what string, ok func() bool) time.Duration {
		t.Helper()
		start := time.Now()
		for time.Since(start) < 10*time.Second {
			if ok() {
				return time.Since(start)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: not within 10 s", what)
		return 0
	}
	if z := axfr(); len(z) != 0 {
		t.Fatalf("demo zone not empty at start: %v", z)
	}
	if r := resolve("evil.example."); len(r.Answer) != 1 {
		t.Fatalf("unlisted: %v", r)
	}

	now := time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	id := "indicator--11111111-2222-4333-8444-555555555555"
	st, body := sendJSON(t, "POST", h.url+"/api/v1/objects?tlp=clear", token, `{"type":"indicator","spec_version":"2.1","id":"`+id+
		`","created":"`+now+`","modified":"`+now+`","name":"Phishing","pattern":"[url:value = 'http://evil.example/login']",`+
		`"pattern_type":"stix","valid_from":"`+now+`","confidence":80}`)
	if st != 201 {
		t.Fatalf("share: %d %s", st, body)
	}
	d := within("the new indicator in the demo zone", func() bool { return axfr()["evil.example.rpz.kyojo.demo."] == "warn.kyojo.demo." })
	t.Logf("a new indicator reached the zone in %v", d)
	within("the resolver's walled garden", func() bool {
		r := resolve("evil.example.")
		return len(r.Answer) == 2 && r.Answer[0].(*dns.CNAME).Target == "warn.kyojo.demo." && r.Answer[1].(*dns.A).A.String() == "127.0.0.1"
	})
	// The CLI and the API see the feed, the zone and the hit.
	if out := kyojo(t, "", "rpz", "feed", "list", "--data", data); !strings.Contains(out, "rpz.kyojo.demo.") || !strings.Contains(out, "walled") {
		t.Fatalf("feed list: %s", out)
	}
	var zones struct {
		Items []struct {
			Zone    string
			Serial  uint32
			Records int
		}
	}
	_, body = get(t, h.url+"/api/v1/rpz/zones", token)
	if json.Unmarshal(body, &zones); len(zones.Items) != 1 || zones.Items[0].Records != 1 {
		t.Fatalf("zones: %s", body)
	}
	_, body = get(t, h.url+"/api/v1/rpz/hits", token)
	if !strings.Contains(string(body), id) || !strings.Contains(string(body), `"kumo-net"`) {
		t.Fatalf("hits: %s", body)
	}

	if st, body := sendJSON(t, "POST", h.url+"/api/v1/objects/"+id+"/revoke", token, ""); st != 200 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	d = within("the revocation in the demo zone", func() bool { return len(axfr()) == 0 })
	t.Logf("a revocation reached the zone in %v", d)
	within("the resolver after the revocation", func() bool { r := resolve("evil.example."); return len(r.Answer) == 1 })
	h.stop(t)
	if logs := h.stderr.String(); !strings.Contains(logs, `"msg":"rpz hit","client":"127.0.0.0/24"`) {
		t.Fatalf("the hit was not logged with the client's /24:\n%s", logs)
	}
}

// TestRPZCLI defines a feed and a keyed subscriber from the command line,
// allowlists a name, and checks the refusals of bad input.
func TestRPZCLI(t *testing.T) {
	data := t.TempDir()
	kyojo(t, "", "org", "add", "--data", data, "--slug", "kumo", "--name", "Kumo Net", "--kind", "isp")
	out := kyojo(t, "", "rpz", "feed", "add", "--data", data, "--zone", "rpz.kumo.example", "--min-score", "40", "--action", "nodata")
	feedID := lastLine(out)
	if !strings.Contains(out, "feed rpz.kumo.example. serves nodata") {
		t.Fatalf("feed add: %s", out)
	}
	out = kyojo(t, "", "rpz", "subscriber", "add", "--data", data, "--name", "kumo-ns1", "--org", "kumo", "--feed", feedID,
		"--key-name", "kumo-key", "--allow", "192.0.2.53,198.51.100.0/24", "--notify", "192.0.2.53:53")
	if !regexp.MustCompile(`key "kumo-key\." \{ algorithm hmac-sha256; secret "[A-Za-z0-9+/=]{44}"; \};`).MatchString(out) {
		t.Fatalf("subscriber add does not print the new key once: %s", out)
	}
	list := kyojo(t, "", "rpz", "subscriber", "list", "--data", data)
	if !strings.Contains(list, "kumo-ns1") || !strings.Contains(list, "192.0.2.53/32,198.51.100.0/24") || strings.Contains(list, "secret") {
		t.Fatalf("subscriber list: %s", list)
	}
	if out := kyojo(t, "", "rpz", "allow", "add", "--data", data, "Shop.Example."); !strings.Contains(out, "allowed shop.example") {
		t.Fatalf("allow add: %s", out)
	}
	if out := kyojo(t, "", "rpz", "reports", "--data", data, "--status", "all"); !strings.Contains(out, "CREATED") {
		t.Fatalf("reports: %s", out)
	}
	for _, args := range [][]string{
		{"rpz", "feed", "add", "--data", data, "--zone", "bad zone"},
		{"rpz", "feed", "add", "--data", data, "--zone", "rpz.kumo.example"}, // the zone is taken
		{"rpz", "subscriber", "add", "--data", data, "--name", "x", "--org", "kumo", "--allow", "not-an-address"},
		{"rpz", "subscriber", "add", "--data", data, "--name", "x", "--org", "nobody", "--allow", "127.0.0.1"},
		{"rpz", "allow", "add", "--data", data, "not a name"},
	} {
		if code, out := run(args...); code != 1 {
			t.Errorf("%v: exit %d: %s", args, code, out)
		}
	}
	if code, _ := run("rpz", "frobnicate"); code != 2 {
		t.Errorf("unknown rpz command: exit %d", code)
	}
}
