package rpzdns

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// freePort returns a loopback port free for both UDP and TCP just now.
func freePort(t *testing.T) int {
	for range 20 {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := pc.LocalAddr().(*net.UDPAddr).Port
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		pc.Close()
		if err == nil {
			ln.Close()
			return port
		}
	}
	t.Fatal("no free port")
	return 0
}

// TestUnbound runs Debian's Unbound with an rpz: clause whose primary is
// kyojo, and checks with real queries that listed names are redirected to
// the warning page, unlisted ones resolve, and that adding and revoking an
// indicator changes Unbound's answers through NOTIFY and IXFR.
func TestUnbound(t *testing.T) {
	bin, err := exec.LookPath("unbound")
	if err != nil {
		bin = "/usr/sbin/unbound"
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("KYOJO_REQUIRE_UNBOUND") == "1" {
				t.Fatal("unbound is not installed and KYOJO_REQUIRE_UNBOUND=1")
			}
			t.Skip("unbound is not installed (apt-get install -y unbound); the RPZ interoperability test does not run")
		}
	}
	f := newFixture(t, rpz.Walled)
	id, raw := indicator("evil.example", `,"labels":["rpz:wildcard"]`)
	put(t, f.h, "bob", raw, intel.Sharing{TLP: policy.Clear})
	f.refresh(t)
	up := newUpstream(t)
	port := freePort(t)
	// kyojo NOTIFYs Unbound when the zone changes.
	f.plain.Notify = []string{fmt.Sprintf("127.0.0.1:%d", port)}
	if _, err := f.svc.AddSubscriber(t.Context(), f.h.Actor("admin"), f.plain); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)

	dir := t.TempDir()
	kyojoPort := f.addr[strings.LastIndexByte(f.addr, ':')+1:]
	upHost, upPort, _ := net.SplitHostPort(up.addr)
	conf := fmt.Sprintf(`server:
  interface: 127.0.0.1
  port: %d
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
  verbosity: 1
  val-log-level: 0
remote-control:
  control-enable: no
forward-zone:
  name: "."
  forward-addr: %s@%s
rpz:
  name: %s
  primary: 127.0.0.1@%s
  allow-notify: 127.0.0.1
  zonefile: "%s/rpz.zone"
  rpz-log: yes
`, port, dir, dir, upHost, upPort, f.feed.Zone, kyojoPort, dir)
	cf := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, "unbound", bin, "-d", "-c", cf)
	pr := newProbe(t, port, 15*time.Second)
	ask, eventually := pr.ask, pr.eventually
	start := time.Now()
	eventually("listed name redirected after the first transfer", "evil.example.", redirected)
	t.Logf("Unbound loaded the zone in %v", time.Since(start))
	eventually("subdomain of a wildcard entry redirected", "www.evil.example.", redirected)
	if r, err := ask("fine.example."); err != nil || !resolved(r) {
		t.Fatalf("unlisted name: %v %v", r, err)
	}
	if r, _ := ask("evil.example."); len(r.Answer) < 2 || r.Answer[1].(*dns.A).A.String() != "192.0.2.80" {
		t.Fatalf("walled garden answer does not reach the warning page: %v", r)
	}

	// A new indicator reaches Unbound through NOTIFY and IXFR.
	_, raw2 := indicator("added.example", "")
	if r, _ := ask("added.example."); !resolved(r) {
		t.Fatalf("added.example before listing: %v", r)
	}
	put(t, f.h, "bob", raw2, intel.Sharing{TLP: policy.Clear})
	time.Sleep(1100 * time.Millisecond)
	start = time.Now()
	f.refresh(t)
	eventually("added indicator", "added.example.", redirected)
	t.Logf("an added indicator reached Unbound's answers in %v", time.Since(start))

	// Revoking the first indicator lifts the block.
	if _, err := f.h.Intel.Revoke(t.Context(), f.h.Actor("bob"), id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	start = time.Now()
	f.refresh(t)
	eventually("revoked indicator", "evil.example.", resolved)
	eventually("revoked wildcard", "www.evil.example.", resolved)
	t.Logf("a revocation reached Unbound's answers in %v", time.Since(start))
	if n := f.srv.IXFRs.Load(); n < 2 {
		t.Fatalf("Unbound took %d incremental transfers (and %d whole zones), want at least 2", n, f.srv.AXFRs.Load())
	}
	t.Logf("transfers: %d whole zone, %d incremental, %d up to date", f.srv.AXFRs.Load(), f.srv.IXFRs.Load(), f.srv.UpToDate.Load())
}
