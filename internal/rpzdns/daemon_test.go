package rpzdns

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// startDaemon runs a resolver (Unbound, BIND) in the foreground for the
// test, stops it when the test ends and prints its log if the test failed.
func startDaemon(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, args...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s log:\n%s", name, logs.String())
		}
	})
}

// probe asks a real resolver on 127.0.0.1:port for A records.
type probe struct {
	t    *testing.T
	addr string
	wait time.Duration // how long eventually waits
}

func newProbe(t *testing.T, port int, wait time.Duration) probe {
	return probe{t: t, addr: fmt.Sprintf("127.0.0.1:%d", port), wait: wait}
}

func (p probe) ask(name string) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	r, _, err := (&dns.Client{Timeout: time.Second}).Exchange(m, p.addr)
	return r, err
}

// eventually asks for name until ok holds, or fails the test.
func (p probe) eventually(what, name string, ok func(*dns.Msg) bool) {
	p.t.Helper()
	deadline := time.Now().Add(p.wait)
	var r *dns.Msg
	var err error
	for time.Now().Before(deadline) {
		if r, err = p.ask(name); err == nil && ok(r) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.t.Fatalf("%s: %s answered %v (%v)", what, name, r, err)
}

// redirected: the answer is the walled garden's CNAME to the warning host.
func redirected(r *dns.Msg) bool {
	if r == nil || len(r.Answer) == 0 {
		return false
	}
	c, ok := r.Answer[0].(*dns.CNAME)
	return ok && c.Target == "warn.kyojo.test."
}

// resolved: the upstream's one A record (192.0.2.1), unfiltered.
func resolved(r *dns.Msg) bool {
	if r == nil || r.Rcode != dns.RcodeSuccess || len(r.Answer) != 1 {
		return false
	}
	a, ok := r.Answer[0].(*dns.A)
	return ok && a.A.String() == "192.0.2.1"
}
