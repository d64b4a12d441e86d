package syslogd_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/syslogd"
)

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

func TestSyslogUDPAndTCP(t *testing.T) {
	h := hubtest.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	sys := identity.System("test")

	// A flood from a sender no sensor lists is counted and dropped.
	srv, err := syslogd.Listen(ctx, "127.0.0.1:0", h.Monitor, 50*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	u, err := net.Dial("udp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 200 {
		fmt.Fprintf(u, "<13>Nov 27 22:14:15 fw app: flood %d", i)
	}
	waitFor(t, "the flood to be counted", func() bool { return srv.Unknown() >= 150 }) // UDP may drop a few

	ok, _, err := h.Monitor.AddSensor(ctx, sys, monitor.NewSensor{Org: "mof", Name: "fw", Kind: "firewall", Format: "syslog", Sources: []string{"127.0.0.0/8"}})
	if err != nil {
		t.Fatal(err)
	}
	h.RefreshIndicators(t)
	srv2, err := syslogd.Listen(ctx, "127.0.0.1:0", h.Monitor, 50*time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	u2, _ := net.Dial("udp", srv2.Addr())
	fmt.Fprintf(u2, "<34>1 %s fw sshd - - - Failed password from 192.0.2.7 port 22", now.Format(time.RFC3339))
	c, err := net.Dial("tcp", srv2.Addr())
	if err != nil {
		t.Fatal(err)
	}
	msg := fmt.Sprintf("<134>%s proxy CEF:0|V|P|1|1|Blocked|8|src=10.1.1.1 dst=198.51.100.9", now.Format(time.Stamp))
	fmt.Fprintf(c, "%s\n%d %s", msg, len(msg), msg) // newline framing, then octet counting
	fmt.Fprintf(c, "\nnot syslog at all\n")
	c.Close()
	waitFor(t, "the events", func() bool {
		s, err := h.Monitor.Sensor(ctx, sys, ok.ID)
		return err == nil && s.Health.Events == 3 && s.Health.Rejected == 1
	})
	cancel()
	srv.Wait()
	srv2.Wait()
}
