package monitor_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// incidents is an in-memory Escalator, as the incidents part will be.
type incidents struct {
	mu    sync.Mutex
	calls []string
}

func (e *incidents) OpenOrJoin(_ context.Context, a monitor.Alert, why string) (string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.calls = append(e.calls, a.Value+": "+why)
	return fmt.Sprintf("incident-%d", len(e.calls)), nil
}

// TestEscalation runs the rules on real alerts: a trusted indicator seen
// at a national-level organisation goes to an incident at once and only
// once; a weak one at a moderate organisation stays an alert until an
// analyst escalates it by hand.
func TestEscalation(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := identity.NewService(db, nil)
	sys := identity.System("test")
	mof, err := ids.CreateOrg(ctx, sys, identity.Org{Slug: "mof", Name: "MoF", NameJA: "財務省", Kind: identity.KindGovernment, Tier: 1})
	if err != nil {
		t.Fatal(err)
	}
	sme, err := ids.CreateOrg(ctx, sys, identity.Org{Slug: "sme", Name: "SME", NameJA: "中小", Kind: identity.KindSME, Tier: 3})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	ind := monitor.NewIndicators()
	mk := func(id, ip string, conf int) intel.Object {
		return intel.Object{ID: id, Type: "indicator", Latest: true, AddedAt: now, Confidence: conf, Dist: policy.Distribution{TLP: policy.Clear},
			Raw: []byte(`{"pattern":"[ipv4-addr:value = '` + ip + `']","pattern_type":"stix"}`)}
	}
	ind.Apply([]intel.Object{mk("indicator--strong", "198.51.100.1", 90), mk("indicator--weak", "198.51.100.2", 40)}, now)
	ind.Update(now)
	esc := &incidents{}
	opt := monitor.Options{}
	proc := monitor.NewProcessor(db.Monitor(), db, ind, esc, opt)
	svc := monitor.NewService(db.Monitor(), db, nil, proc, opt)
	if !svc.Escalates() {
		t.Fatal("an escalator is wired in")
	}
	sensor := func(org identity.Org) monitor.Sensor {
		s, _, err := svc.AddSensor(ctx, sys, monitor.NewSensor{Org: org.ID, Name: "s", Format: "eve"})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	line := func(ip string, n int) []byte {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"timestamp":"%s","event_type":"flow","src_ip":"10.0.0.%d","dest_ip":"%s"}`+"\n", now.Format(time.RFC3339Nano), i%250, ip)
		}
		return []byte(b.String())
	}
	sm, ss := sensor(mof), sensor(sme)
	for range 2 {
		if _, err := svc.Ingest(ctx, sm, line("198.51.100.1", 3), fmt.Sprint(time.Now().UnixNano())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Ingest(ctx, ss, line("198.51.100.2", 5), ""); err != nil {
		t.Fatal(err)
	}
	if len(esc.calls) != 1 || !strings.Contains(esc.calls[0], "198.51.100.1: rule \"high severity\"") {
		t.Fatalf("escalations: %q", esc.calls)
	}
	all, _ := svc.Alerts(ctx, sys, monitor.AlertFilter{})
	var strong, weak monitor.Alert
	for _, a := range all {
		if a.IndicatorID == "indicator--strong" {
			strong = a
		} else {
			weak = a
		}
	}
	if strong.Incident != "incident-1" || strong.Count != 6 || weak.Incident != "" {
		t.Fatalf("strong %+v weak %+v", strong, weak)
	}
	// By hand: an analyst of another organisation may not; the GSOC may.
	other := identity.Actor{Viewer: policy.Viewer{UserID: "u", OrgID: mof.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	if _, err := svc.Escalate(ctx, other, weak.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("another organisation escalates: %v", err)
	}
	got, err := svc.Escalate(ctx, sys, weak.ID)
	if err != nil || got.Incident != "incident-2" {
		t.Fatalf("by hand: %+v %v", got, err)
	}
}
