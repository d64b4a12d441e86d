package monitor_test

import (
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// TestUndecodableBatch: a message whose data does not decompress is not
// retried forever nor dropped silently: the sensor's health counts it as a
// rejected batch with the reason, once however often it is delivered.
func TestUndecodableBatch(t *testing.T) {
	ctx := t.Context()
	db, org := newDB(t)
	sys := identity.System("test")
	svc, proc, sn := newMonitor(t, db, org, nil, monitor.Options{})
	// Good lines in the first chunks, damage in the last: the lines
	// parsed before the damage do not count either.
	var lines []byte
	for len(lines) < 1<<20 {
		lines = append(lines, `{"timestamp":"`+time.Now().UTC().Format(time.RFC3339)+`","event_type":"dns","src_ip":"10.0.0.1","dest_ip":"10.0.0.2","dns":{"rrname":"a.example"}}`+"\n"...)
	}
	late := monitor.Pack(monitor.CodecS2, lines)
	late = late[:len(late)-3]
	for _, data := range [][]byte{[]byte("\xff\x06\x00\x00S2sTwO\x00\xff\xff"), []byte("not compressed at all"), late} {
		m := monitor.Message{ID: string(data[len(data)-4:]), SensorID: sn.ID, ReceivedAt: time.Now(), Data: data, Packed: true}
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
	if s.Health.Rejected != 3 || s.Health.Reasons["undecodable batch"] != 3 || s.Health.LastError == "" || s.Health.Events != 0 {
		t.Fatalf("health %+v", s.Health)
	}
	st := proc.Stats()
	if st.Batches.Load() != 3 || st.Skipped.Load() != 3 || st.Rejected.Load() != 3 || st.Events.Load() != 0 || st.Failed.Load() != 0 || st.Busy() <= 0 {
		t.Fatalf("stats: batches %d, skipped %d, rejected %d", st.Batches.Load(), st.Skipped.Load(), st.Rejected.Load())
	}
}
