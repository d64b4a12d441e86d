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

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// TestBIND runs Debian's BIND 9 as a secondary of kyojo's zone with the
// subscriber's TSIG key (BIND signs its transfers, unlike Unbound) and a
// response-policy clause, and checks that listed names are redirected,
// unlisted ones resolve, and additions and revocations arrive by NOTIFY
// and IXFR. It is skipped when named is not installed, unless
// KYOJO_REQUIRE_BIND=1.
func TestBIND(t *testing.T) {
	bin, err := exec.LookPath("named")
	if err != nil {
		bin = "/usr/sbin/named"
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("KYOJO_REQUIRE_BIND") == "1" {
				t.Fatal("named is not installed and KYOJO_REQUIRE_BIND=1")
			}
			t.Skip("BIND (named) is not installed (apt-get install -y bind9); the BIND interoperability test does not run")
		}
	}
	f := newFixture(t, rpz.Walled)
	id, raw := indicator("evil.example", "")
	put(t, f.h, "bob", raw, intel.Sharing{TLP: policy.Clear})
	up := newUpstream(t)
	port := freePort(t)
	f.keyed.Notify = []string{fmt.Sprintf("127.0.0.1:%d", port)}
	if _, err := f.svc.AddSubscriber(t.Context(), f.h.Actor("admin"), f.keyed); err != nil {
		t.Fatal(err)
	}
	f.refresh(t)

	dir := t.TempDir()
	kyojoPort := f.addr[strings.LastIndexByte(f.addr, ':')+1:]
	upHost, upPort, _ := net.SplitHostPort(up.addr)
	zone := strings.TrimSuffix(f.feed.Zone, ".")
	conf := fmt.Sprintf(`key "isp-a-key." { algorithm hmac-sha256; secret "%s"; };
options {
  directory "%s";
  pid-file "%s/named.pid";
  session-keyfile "%s/session.key";
  listen-on port %d { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion yes;
  allow-query { 127.0.0.0/8; };
  allow-recursion { 127.0.0.0/8; };
  forwarders { %s port %s; };
  forward only;
  dnssec-validation no;
  notify no;
  response-policy { zone "%s" min-update-interval 0; };
};
controls { };
zone "%s" {
  type secondary;
  primaries { 127.0.0.1 port %s key "isp-a-key."; };
  file "%s/rpz.db";
  allow-notify { 127.0.0.1; };
};
`, testSecret, dir, dir, dir, port, upHost, upPort, zone, zone, kyojoPort, dir)
	cf := filepath.Join(dir, "named.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	startDaemon(t, "named", bin, "-g", "-4", "-c", cf)
	pr := newProbe(t, port, 20*time.Second)
	ask, eventually := pr.ask, pr.eventually
	eventually("listed name redirected after the first transfer", "evil.example.", redirected)
	if r, err := ask("fine.example."); err != nil || !resolved(r) {
		t.Fatalf("unlisted name: %v %v", r, err)
	}
	_, raw2 := indicator("added.example", "")
	put(t, f.h, "bob", raw2, intel.Sharing{TLP: policy.Clear})
	time.Sleep(1100 * time.Millisecond)
	start := time.Now()
	f.refresh(t)
	eventually("added indicator", "added.example.", redirected)
	t.Logf("an added indicator reached BIND's answers in %v", time.Since(start))
	if _, err := f.h.Intel.Revoke(t.Context(), f.h.Actor("bob"), id); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	start = time.Now()
	f.refresh(t)
	eventually("revoked indicator", "evil.example.", resolved)
	t.Logf("a revocation reached BIND's answers in %v", time.Since(start))
	if n := f.srv.IXFRs.Load(); n < 2 {
		t.Fatalf("BIND took %d incremental transfers (%d whole zones), want at least 2", n, f.srv.AXFRs.Load())
	}
	t.Logf("transfers: %d whole zone, %d incremental, %d up to date", f.srv.AXFRs.Load(), f.srv.IXFRs.Load(), f.srv.UpToDate.Load())
}
