// Command rpz measures kyojo's filtering resolver and RPZ server with a
// 1,000,000-name policy side by side with Unbound given the same names as
// an RPZ zone, using dnsperf (apt-get install -y dnsperf unbound):
//
//   - load: building the resolver's policy (kyojo) and loading the zone file
//     until a listed name is blocked (Unbound), and the memory each holds;
//
//   - queries a second for a mix of 10% listed names, unlisted names coming
//     from a local authoritative upstream on loopback, then the cache;
//
//   - a policy change of the whole 1,000,000 names while dnsperf runs:
//     how long it takes to apply, and whether any query failed;
//
//   - an AXFR of the 1,000,000-name zone from kyojo's RPZ server.
//
//     go run ./bench/rpz -n 1000000 -seconds 15
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/rpz"
	"github.com/kyojo-hub/kyojo/internal/rpzdns"
)

func main() {
	n := flag.Int("n", 1_000_000, "listed names")
	seconds := flag.Int("seconds", 15, "dnsperf run length")
	clients := flag.Int("clients", 8, "dnsperf clients (sockets)")
	skipUnbound := flag.Bool("no-unbound", false, "measure kyojo only")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of kyojo's timed run here")
	flag.Parse()
	dir, err := os.MkdirTemp("", "kyojo-bench-rpz")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	names := make([]string, *n)
	for i := range names {
		names[i] = fmt.Sprintf("b%07d.phish%d.example", i, i%97)
	}
	queries := filepath.Join(dir, "queries.txt")
	writeQueries(queries, names, 500_000)
	up := upstream()
	fmt.Printf("machine: %d CPUs (%s), %d listed names, dnsperf %ds x %d clients; upstream %s (loopback, authoritative)\n",
		runtime.NumCPU(), cpuModel(), *n, *seconds, *clients, up)

	// kyojo: policy load and memory.
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	zone := rpz.Zone{Origin: "rpz.bench.", Records: make(map[string]string, len(names)), Source: map[string]string{}}
	for _, nm := range names {
		zone.Records[nm] = "."
	}
	zoneTook := time.Since(start)
	pol := rpz.NewPolicy(len(names))
	pol.Add(zone)
	load := time.Since(start)
	zone.Records = nil
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	fmt.Printf("kyojo policy: zone map %v, then the resolver's policy %v (%v in all), heap %.0f MB for %d rules\n",
		zoneTook.Round(time.Millisecond), (load - zoneTook).Round(time.Millisecond), load.Round(time.Millisecond),
		float64(after.HeapAlloc-before.HeapAlloc)/1e6, pol.Len())

	var cur atomic.Pointer[rpz.Policy]
	cur.Store(pol)
	res := &rpzdns.Resolver{Upstreams: []string{up}, Policy: cur.Load, CacheSize: 1_000_000}
	addr, err := res.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	warm(addr, queries)
	if *cpuprofile != "" {
		pf, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(pf)
	}
	kq, kfail := dnsperf(addr, queries, *seconds, *clients, 0)
	pprof.StopCPUProfile()
	fmt.Printf("kyojo resolver: %.0f queries/s; %s\n", kq, kfail)
	// A policy change of every name while dnsperf sends 20,000 queries a
	// second: the new policy (the same names with NODATA) is built beside
	// the old one and swapped in at once.
	swapped := make(chan time.Duration, 1)
	go func() {
		time.Sleep(time.Duration(*seconds) * time.Second / 2)
		t0 := time.Now()
		z2 := rpz.Zone{Origin: "rpz.bench.", Records: make(map[string]string, len(names)), Source: map[string]string{}}
		for _, nm := range names {
			z2.Records[nm] = "*."
		}
		t1 := time.Now()
		p2 := rpz.NewPolicy(len(names))
		p2.Add(z2)
		cur.Store(p2)
		fmt.Printf("  (change: zone map %v, policy %v)\n", t1.Sub(t0).Round(time.Millisecond), time.Since(t1).Round(time.Millisecond))
		swapped <- time.Since(t0)
	}()
	_, sfail := dnsperf(addr, queries, *seconds, *clients, 20_000)
	fmt.Printf("kyojo policy change of %d names: applied in %v while serving 20,000 queries/s; %s\n",
		len(names), (<-swapped).Round(time.Millisecond), sfail)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("kyojo process: RSS %s (two policies held during the change, the cache, the bench's own name list)\n", rss(os.Getpid()))
	res.Shutdown(context.Background())

	// kyojo's RPZ server: AXFR of the whole zone.
	axfrBench(names)

	if *skipUnbound {
		return
	}
	cur.Store(nil)
	pol = nil
	debug.FreeOSMemory()
	unbound(dir, names, up, queries, *seconds, *clients)
}

func writeQueries(path string, names []string, lines int) {
	f, err := os.Create(path)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(1, 2))
	for range lines {
		if r.IntN(10) == 0 {
			fmt.Fprintf(w, "%s A\n", names[r.IntN(len(names))])
		} else {
			fmt.Fprintf(w, "ok%d.example A\n", r.IntN(20_000))
		}
	}
	w.Flush()
	f.Close()
}

// upstream is a local authoritative server: A 192.0.2.1 for every name,
// TTL one hour.
func upstream() string {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &dns.Server{PacketConn: pc, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Authoritative = true
		if len(r.Question) == 1 && r.Question[0].Qtype == dns.TypeA {
			m.Answer = []dns.RR{&dns.A{Hdr: dns.RR_Header{Name: r.Question[0].Name, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 3600},
				A: net.IPv4(192, 0, 2, 1)}}
		}
		w.WriteMsg(m)
	})}
	go srv.ActivateAndServe()
	return pc.LocalAddr().String()
}

// warm asks every distinct unlisted name once, so both resolvers start
// the timed run with the same cache.
func warm(addr, queries string) {
	b, _ := os.ReadFile(queries)
	seen := map[string]bool{}
	c := &dns.Client{Timeout: 2 * time.Second}
	for _, line := range strings.Split(string(b), "\n") {
		name, _, _ := strings.Cut(line, " ")
		if !strings.HasPrefix(name, "ok") || seen[name] {
			continue
		}
		seen[name] = true
		m := new(dns.Msg)
		m.SetQuestion(name+".", dns.TypeA)
		c.Exchange(m, addr)
	}
}

var qpsRE = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
var lostRE = regexp.MustCompile(`Queries lost:\s+(\d+ \([0-9.]+%\))`)
var rcodeRE = regexp.MustCompile(`Response codes:\s+(.*)`)

func dnsperf(addr, queries string, seconds, clients, rate int) (float64, string) {
	host, port, _ := net.SplitHostPort(addr)
	args := []string{"-s", host, "-p", port, "-d", queries, "-l", strconv.Itoa(seconds),
		"-c", strconv.Itoa(clients), "-T", "2", "-q", "1000", "-t", "2"}
	if rate > 0 {
		args = append(args, "-Q", strconv.Itoa(rate))
	}
	out, err := exec.Command("dnsperf", args...).CombinedOutput()
	if err != nil {
		log.Fatalf("dnsperf: %v\n%s", err, out)
	}
	m := qpsRE.FindStringSubmatch(string(out))
	if m == nil {
		log.Fatalf("dnsperf said:\n%s", out)
	}
	q, _ := strconv.ParseFloat(m[1], 64)
	lost, codes := "?", ""
	if l := lostRE.FindStringSubmatch(string(out)); l != nil {
		lost = l[1]
	}
	if c := rcodeRE.FindStringSubmatch(string(out)); c != nil {
		codes = c[1]
	}
	return q, lost + " lost; " + codes
}

func axfrBench(names []string) {
	eng := &rpzdns.Engine{}
	z := rpz.Zone{Origin: "rpz.bench.", Records: make(map[string]string, len(names)), Source: map[string]string{}}
	for _, nm := range names {
		z.Records[nm] = "."
	}
	feed := rpz.Feed{ID: "f", Zone: "rpz.bench.", Action: rpz.NXDomain, TTL: 300}
	eng.Publish(feed, rpz.Subscriber{ID: "s", Name: "bench", Feeds: []string{"f"}, Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}, z, 1)
	srv := &rpzdns.Server{Engine: eng}
	addr, err := srv.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	m := new(dns.Msg)
	m.SetAxfr("rpz.bench.")
	start := time.Now()
	ch, err := (&dns.Transfer{}).In(m, addr)
	if err != nil {
		log.Fatal(err)
	}
	rrs, msgs := 0, 0
	for env := range ch {
		if env.Error != nil {
			log.Fatal(env.Error)
		}
		rrs += len(env.RR)
		msgs++
	}
	fmt.Printf("kyojo RPZ server: AXFR of %d records in %d messages took %v (client: miekg/dns in the same process)\n",
		rrs, msgs, time.Since(start).Round(time.Millisecond))
}

func unbound(dir string, names []string, up, queries string, seconds, clients int) {
	bin, err := exec.LookPath("unbound")
	if err != nil {
		bin = "/usr/sbin/unbound"
	}
	zf := filepath.Join(dir, "rpz.zone")
	f, _ := os.Create(zf)
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "$TTL 300\n@ SOA localhost. hostmaster.rpz.bench. 1 3600 600 604800 300\n@ NS localhost.\n")
	for _, nm := range names {
		fmt.Fprintf(w, "%s CNAME .\n", nm)
	}
	w.Flush()
	f.Close()
	port := freePort()
	upHost, upPort, _ := net.SplitHostPort(up)
	conf := fmt.Sprintf(`server:
  interface: 127.0.0.1
  port: %d
  num-threads: 2
  so-reuseport: yes
  so-rcvbuf: 4m
  do-daemonize: no
  use-syslog: no
  logfile: ""
  chroot: ""
  username: ""
  directory: "%s"
  pidfile: "%s/unbound.pid"
  do-ip6: no
  access-control: 127.0.0.0/8 allow
  do-not-query-localhost: no
  module-config: "respip iterator"
  msg-cache-size: 64m
  rrset-cache-size: 128m
  verbosity: 0
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: %s@%s
rpz:
  name: rpz.bench.
  zonefile: "%s"
`, port, dir, dir, upHost, upPort, zf)
	cf := filepath.Join(dir, "unbound.conf")
	os.WriteFile(cf, []byte(conf), 0o600)
	cmd := exec.Command(bin, "-d", "-c", cf)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := &dns.Client{Timeout: 500 * time.Millisecond}
	for {
		m := new(dns.Msg)
		m.SetQuestion(names[len(names)-1]+".", dns.TypeA)
		if r, _, err := c.Exchange(m, addr); err == nil && r.Rcode == dns.RcodeNameError {
			break
		}
		if time.Since(start) > 2*time.Minute {
			log.Fatal("unbound did not load the zone in 2 minutes")
		}
		time.Sleep(50 * time.Millisecond)
	}
	fmt.Printf("Unbound %s: loaded the %d-name RPZ in %v, RSS %s\n", unboundVersion(bin), len(names),
		time.Since(start).Round(time.Millisecond), rss(cmd.Process.Pid))
	warm(addr, queries)
	q, fail := dnsperf(addr, queries, seconds, clients, 0)
	fmt.Printf("Unbound: %.0f queries/s, %s; RSS after the run %s\n", q, fail, rss(cmd.Process.Pid))
}

func freePort() int {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

func rss(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return "?"
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return fmt.Sprintf("%.0f MB", float64(kb)/1024)
		}
	}
	return "?"
}

func cpuModel() string {
	b, _ := os.ReadFile("/proc/cpuinfo")
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
		}
	}
	return "?"
}

func unboundVersion(bin string) string {
	out, _ := exec.Command(bin, "-V").Output()
	if f := strings.Fields(string(out)); len(f) > 1 {
		return f[1]
	}
	return "?"
}
