package monitor_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// TestUndecodableBatch: a message whose data does not decompress is not
// retried forever nor dropped silently: the sensor's health counts it as a
// rejected batch with the reason, once however often it is delivered.
func TestUndecodableBatch(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sys := identity.System("test")
	org, err := identity.NewService(db, nil).CreateOrg(ctx, sys, identity.Org{Slug: "mof", Name: "MoF", NameJA: "財務省", Kind: identity.KindGovernment, Tier: 2})
	if err != nil {
		t.Fatal(err)
	}
	proc := monitor.NewProcessor(db.Monitor(), db, monitor.NewIndicators(), nil, monitor.Options{})
	svc := monitor.NewService(db.Monitor(), db, nil, proc, monitor.Options{})
	sn, _, err := svc.AddSensor(ctx, sys, monitor.NewSensor{Org: org.ID, Name: "s", Format: "eve"})
	if err != nil {
		t.Fatal(err)
	}
	for _, data := range [][]byte{[]byte("\xff\x06\x00\x00S2sTwO\x00\xff\xff"), []byte("not compressed at all")} {
		m := monitor.Message{ID: string(data[:4]), SensorID: sn.ID, ReceivedAt: time.Now(), Data: data, Packed: true}
		for range 2 { // redelivered: counted once
			res, err := proc.Process(ctx, m)
			if err != nil || res.Events != 0 {
				t.Fatalf("%+v %v", res, err)
			}
		}
	}
	s, err := svc.Sensor(ctx, sys, sn.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Health.Rejected != 2 || s.Health.Reasons["undecodable batch"] != 2 || s.Health.LastError == "" || s.Health.Events != 0 {
		t.Fatalf("health %+v", s.Health)
	}
}
