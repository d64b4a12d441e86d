package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// RunMonitor runs the monitoring store's contract (store.Monitor).
func RunMonitor(t *testing.T, open Opener) {
	t.Run("Sensors", func(t *testing.T) { testMonitorSensors(t, open(t)) })
	t.Run("Batches", func(t *testing.T) { testMonitorBatches(t, open(t)) })
	t.Run("ConcurrentBatches", func(t *testing.T) { testMonitorConcurrent(t, open(t)) })
	t.Run("LateJoin", func(t *testing.T) { testMonitorLateJoin(t, open(t)) })
	t.Run("SameKeyInBatch", func(t *testing.T) { testMonitorSameKey(t, open(t)) })
	t.Run("ManyHits", func(t *testing.T) { testMonitorManyHits(t, open(t)) })
	t.Run("AlertRaw", func(t *testing.T) { testMonitorAlertRaw(t, open(t)) })
}

// createSensors creates the sensors, each with token hash "h" + its id.
func createSensors(t *testing.T, m *store.Monitor, ss ...monitor.Sensor) {
	t.Helper()
	for _, s := range ss {
		if err := m.CreateSensor(t.Context(), s, "h"+s.ID, rec()); err != nil {
			t.Fatal(err)
		}
	}
}

// testMonitorAlertRaw reads the kept batches behind alerts: newest first,
// only the alert's own (not another alert's in the same span, nor another
// organisation's), a batch received before the alert's first but applied
// after it included, at most limit, none for an unknown alert.
func testMonitorAlertRaw(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, b := monitorOrgs(t, db)
	createSensors(t, m, sensor("sa", a.ID, "a"), sensor("sb", b.ID, "b"))
	hit := func(value string, at time.Time) monitor.Hit {
		return monitor.Hit{IndicatorID: "indicator--1", Kind: "ip", Value: value, Observed: value, Count: 1, First: at, Last: at, Severity: 3, Score: 70}
	}
	apply := func(id, sensorID, orgID string, received time.Time, hits ...monitor.Hit) []monitor.Alert {
		t.Helper()
		ok, alerts, err := m.ApplyBatch(ctx, monitor.Batch{ID: id, SensorID: sensorID, OrgID: orgID, ReceivedAt: received, ProcessedAt: received.Add(time.Hour),
			Events: 1, Hits: hits, Raw: []byte(id), Expires: received.Add(48 * time.Hour), Window: time.Hour})
		if err != nil || !ok {
			t.Fatalf("apply %s: %v %v", id, ok, err)
		}
		return alerts
	}
	ids := func(raw []monitor.Raw) string {
		var s []string
		for _, r := range raw {
			s = append(s, r.BatchID)
		}
		return fmt.Sprint(s)
	}
	x := apply("r1", "sa", a.ID, t0, hit("192.0.2.1", t0))[0]
	y := apply("r2", "sa", a.ID, t0.Add(time.Minute), hit("192.0.2.1", t0.Add(time.Minute)), hit("192.0.2.2", t0.Add(time.Minute)))[1]
	apply("r3", "sa", a.ID, t0.Add(2*time.Minute), hit("192.0.2.2", t0.Add(2*time.Minute))) // y only
	apply("r4", "sb", b.ID, t0.Add(time.Minute), hit("192.0.2.1", t0.Add(time.Minute)))     // b's own alert
	// Received before r1, applied last (a backlog drained out of order).
	apply("r0", "sa", a.ID, t0.Add(-10*time.Minute), hit("192.0.2.1", t0.Add(-10*time.Minute)))
	tests := []struct {
		alert string
		limit int
		want  string
	}{
		{x.ID, 10, "[r2 r1 r0]"},
		{y.ID, 10, "[r3 r2]"},
		{x.ID, 2, "[r2 r1]"},
		{"nope", 10, "[]"},
	}
	for _, tc := range tests {
		raw, err := m.AlertRaw(ctx, tc.alert, tc.limit)
		if err != nil || ids(raw) != tc.want {
			t.Errorf("AlertRaw(%s, %d) = %s, %v; want %s", tc.alert, tc.limit, ids(raw), err, tc.want)
		}
	}
	// Purged batches take their links with them; the rest stay.
	if n, err := m.PurgeRaw(ctx, t0.Add(48*time.Hour), nil); err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if raw, err := m.AlertRaw(ctx, x.ID, 10); err != nil || ids(raw) != "[r2]" {
		t.Errorf("after the purge: %s %v", ids(raw), err)
	}
}

// testMonitorSameKey applies a batch with several hits of one key (two
// versions of one indicator match the same value): each hit joins what
// the hits before it opened or widened, as if applied one by one, and the
// alert is linked to the batch once.
func testMonitorSameKey(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, _ := monitorOrgs(t, db)
	if err := m.CreateSensor(ctx, sensor("sa", a.ID, "a"), "hsa", rec()); err != nil {
		t.Fatal(err)
	}
	hit := func(value string, n int64, first, last time.Time, sev int, score float64) monitor.Hit {
		return monitor.Hit{IndicatorID: "indicator--1", Kind: "ip", Value: value, Observed: value, Count: n, First: first, Last: last, Severity: sev, Score: score}
	}
	b := monitor.Batch{ID: "k1", SensorID: "sa", OrgID: a.ID, ReceivedAt: t0, ProcessedAt: t0, Events: 5, Window: time.Hour,
		Raw: []byte("gz"), Expires: t0.Add(time.Hour), Hits: []monitor.Hit{
			hit("192.0.2.1", 2, t0, t0.Add(time.Second), 3, 50),
			hit("192.0.2.2", 1, t0, t0, 3, 50),
			hit("192.0.2.1", 3, t0.Add(-10*time.Minute), t0.Add(5*time.Minute), 2, 60),
			// Three hours after the first hit of .3: a new alert, which
			// the next hit joins (the latest alert of the key in its
			// window; the first one is not).
			hit("192.0.2.3", 1, t0, t0, 3, 50),
			hit("192.0.2.3", 1, t0.Add(3*time.Hour), t0.Add(3*time.Hour), 3, 50),
			hit("192.0.2.3", 1, t0.Add(150*time.Minute), t0.Add(150*time.Minute), 3, 50),
		}}
	ok, al, err := m.ApplyBatch(ctx, b)
	if !ok || err != nil || len(al) != 6 {
		t.Fatalf("apply: %v %v %+v", ok, err, al)
	}
	if al[0].ID != al[2].ID || al[0].Count != 2 || al[1].ID == al[0].ID || al[1].Count != 1 {
		t.Fatalf("same key: %+v", al[:3])
	}
	if j := al[2]; j.Count != 5 || !j.FirstSeen.Equal(t0.Add(-10*time.Minute)) || !j.LastSeen.Equal(t0.Add(5*time.Minute)) || j.Severity != 2 || j.Score != 60 {
		t.Fatalf("joined within the batch: %+v", j)
	}
	if al[3].ID == al[4].ID || al[5].ID != al[4].ID || al[5].Count != 2 || !al[5].FirstSeen.Equal(t0.Add(150*time.Minute)) || al[3].Count != 1 {
		t.Fatalf("past the window within the batch: %+v", al[3:])
	}
	if got, err := m.Alert(ctx, al[0].ID); err != nil || got.Count != 5 || got.Severity != 2 || !got.FirstSeen.Equal(t0.Add(-10*time.Minute)) {
		t.Fatalf("stored %+v %v", got, err)
	}
	if raw, err := m.AlertRaw(ctx, al[0].ID, 10); err != nil || len(raw) != 1 {
		t.Fatalf("raw of the alert: %d %v", len(raw), err)
	}
	all, _ := m.Alerts(ctx, monitor.AlertFilter{OrgIDs: []string{a.ID}})
	if len(all) != 4 {
		t.Fatalf("%d alerts; want 4", len(all))
	}
	// The next batch joins the latest of each key.
	b2 := b
	b2.ID, b2.Hits = "k2", []monitor.Hit{hit("192.0.2.3", 1, t0.Add(3*time.Hour), t0.Add(3*time.Hour), 3, 50), hit("192.0.2.1", 1, t0, t0, 3, 50)}
	if ok, al2, err := m.ApplyBatch(ctx, b2); !ok || err != nil || len(al2) != 2 || al2[0].ID != al[4].ID || al2[0].Count != 3 || al2[1].ID != al[0].ID || al2[1].Count != 6 {
		t.Fatalf("next batch: %v %v %+v", ok, err, al2)
	}
}

// testMonitorManyHits applies batches of more hits than a statement
// carries at once: every hit gets its alert, in order, and the second
// batch joins them all.
func testMonitorManyHits(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, _ := monitorOrgs(t, db)
	if err := m.CreateSensor(ctx, sensor("sa", a.ID, "a"), "hsa", rec()); err != nil {
		t.Fatal(err)
	}
	const n = 2500
	batch := func(id string, at time.Time, from int) monitor.Batch {
		b := monitor.Batch{ID: id, SensorID: "sa", OrgID: a.ID, ReceivedAt: at, ProcessedAt: at, Events: n, Window: time.Hour}
		for i := range n {
			v := fmt.Sprintf("10.%d.%d.%d", (from+i)>>16, (from+i)>>8&255, (from+i)&255)
			b.Hits = append(b.Hits, monitor.Hit{IndicatorID: "indicator--m", Kind: "ip", Value: v, Observed: v, Count: 1, First: at, Last: at, Severity: 3, Score: 40})
		}
		return b
	}
	ok, al, err := m.ApplyBatch(ctx, batch("m1", t0, 0))
	if !ok || err != nil || len(al) != n {
		t.Fatalf("first: %v %v %d alerts", ok, err, len(al))
	}
	// Half the values again, half new.
	ok, al2, err := m.ApplyBatch(ctx, batch("m2", t0.Add(time.Minute), n/2))
	if !ok || err != nil || len(al2) != n {
		t.Fatalf("second: %v %v %d alerts", ok, err, len(al2))
	}
	b1 := batch("m1", t0, 0)
	ids := map[string]bool{}
	for i, x := range al {
		if x.Value != b1.Hits[i].Value || x.Count != 1 || ids[x.ID] {
			t.Fatalf("first, hit %d: %+v", i, x)
		}
		ids[x.ID] = true
	}
	for i, x := range al2 {
		if i < n/2 && (x.ID != al[n/2+i].ID || x.Count != 2 || !x.LastSeen.Equal(t0.Add(time.Minute))) {
			t.Fatalf("second, hit %d joined %+v; want %s", i, x, al[n/2+i].ID)
		}
		if i >= n/2 && (ids[x.ID] || x.Count != 1) {
			t.Fatalf("second, hit %d: %+v", i, x)
		}
		ids[x.ID] = true
	}
	top, err := m.TopIndicators(ctx, []string{a.ID}, t0, 2*n)
	if err != nil || len(top) != n+n/2 {
		t.Fatalf("%d values alerted, %v; want %d", len(top), err, n+n/2)
	}
	for _, x := range top {
		if x.Alerts != 1 {
			t.Fatalf("value with %d alerts: %+v", x.Alerts, x)
		}
	}
}

// testMonitorLateJoin applies a batch whose hit came before the alert's
// first sighting and is more severe: the alert widens back and takes the
// higher severity, and its last sighting stays the latest.
func testMonitorLateJoin(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, _ := monitorOrgs(t, db)
	if err := m.CreateSensor(ctx, sensor("sa", a.ID, "a"), "hsa", rec()); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 4, 1, 9, 30, 0, 0, time.UTC)
	apply := func(id string, at time.Time, sev int) monitor.Alert {
		t.Helper()
		b := monitor.Batch{ID: id, SensorID: "sa", OrgID: a.ID, ReceivedAt: at, ProcessedAt: at, Events: 1, Window: time.Hour,
			Hits: []monitor.Hit{{IndicatorID: "indicator--1", Kind: "ip", Value: "192.0.2.9", Observed: "192.0.2.9", Count: 2, First: at, Last: at, Severity: sev, Score: 50}}}
		ok, al, err := m.ApplyBatch(ctx, b)
		if !ok || err != nil || len(al) != 1 {
			t.Fatalf("apply %s: %v %v %+v", id, ok, err, al)
		}
		return al[0]
	}
	first := apply("l1", t0, 3)
	late := apply("l2", t0.Add(-20*time.Minute), 1)
	if late.ID != first.ID || late.Count != 4 || !late.FirstSeen.Equal(t0.Add(-20*time.Minute)) || !late.LastSeen.Equal(t0) || late.Severity != 1 {
		t.Fatalf("late join: %+v", late)
	}
	milder := apply("l3", t0.Add(10*time.Minute), 4)
	if milder.ID != first.ID || milder.Count != 6 || !milder.FirstSeen.Equal(t0.Add(-20*time.Minute)) || !milder.LastSeen.Equal(t0.Add(10*time.Minute)) || milder.Severity != 1 {
		t.Fatalf("milder join: %+v", milder)
	}
	if got, _ := m.Alert(ctx, first.ID); got.Count != 6 || got.Severity != 1 {
		t.Fatalf("stored %+v", got)
	}
}

// testMonitorConcurrent applies batches of two sensors of one organisation
// at once, each hitting the same indicator value, some twice: one alert
// counts every batch once.
func testMonitorConcurrent(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, _ := monitorOrgs(t, db)
	createSensors(t, m, sensor("c1", a.ID, "one"), sensor("c2", a.ID, "two"))
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sid := []string{"c1", "c2"}[i%2]
			b := monitor.Batch{ID: fmt.Sprintf("cb%d", i%12), SensorID: sid, OrgID: a.ID, ReceivedAt: t0, ProcessedAt: t0, Events: 1,
				Window: time.Hour, Expires: t0.Add(time.Hour),
				Hits: []monitor.Hit{{IndicatorID: "indicator--x", Kind: "ip", Value: "192.0.2.1", Observed: "192.0.2.1", Count: 1, First: t0, Last: t0, Severity: 3}}}
			if _, _, err := m.ApplyBatch(ctx, b); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	al, err := m.Alerts(ctx, monitor.AlertFilter{OrgIDs: []string{a.ID}})
	if err != nil || len(al) != 1 || al[0].Count != 12 {
		t.Fatalf("alerts %+v %v; want one counting 12", al, err)
	}
}

func monitorOrgs(t *testing.T, db *store.DB) (identity.Org, identity.Org) {
	a, b := org("mona", "Mon A"), org("monb", "Mon B")
	tx(t, db, func(tx identity.Tx) error {
		if err := tx.CreateOrg(t.Context(), a); err != nil {
			return err
		}
		return tx.CreateOrg(t.Context(), b)
	})
	return a, b
}

func sensor(id, org, name string) monitor.Sensor {
	return monitor.Sensor{ID: id, OrgID: org, Name: name, Kind: "nids", Format: parse.FormatJSON,
		Mapping: &parse.Mapping{SrcIP: "src"}, CreatedAt: t0}
}

func rec() *audit.Record {
	return &audit.Record{Time: t0, ActorID: "u", Action: "sensor.create", ObjectType: "sensor", Outcome: audit.Success}
}

func testMonitorSensors(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, b := monitorOrgs(t, db)
	if err := m.CreateSensor(ctx, sensor("s1", a.ID, "edge"), "hash1", rec()); err != nil {
		t.Fatal(err)
	}
	mustCode(t, m.CreateSensor(ctx, sensor("s2", a.ID, "edge"), "hash2", rec()), errs.Conflict)
	mustCode(t, m.CreateSensor(ctx, sensor("s3", b.ID, "x"), "hash1", rec()), errs.Conflict)
	mustCode(t, m.CreateSensor(ctx, sensor("s4", "no-such-org", "x"), "hash4", rec()), errs.Invalid)
	if err := m.CreateSensor(ctx, sensor("s5", b.ID, "edge"), "hash5", rec()); err != nil {
		t.Fatal(err)
	}
	s, err := m.SensorByToken(ctx, "hash1")
	if err != nil || s.ID != "s1" || s.Mapping == nil || s.Mapping.SrcIP != "src" || !s.CreatedAt.Equal(t0) {
		t.Fatalf("by token: %+v %v", s, err)
	}
	_, err = m.SensorByToken(ctx, "nope")
	mustCode(t, err, errs.NotFound)
	_, err = m.Sensor(ctx, "nope")
	mustCode(t, err, errs.NotFound)
	all, _ := m.Sensors(ctx, nil, t0)
	onlyB, _ := m.Sensors(ctx, []string{b.ID}, t0)
	none, _ := m.Sensors(ctx, []string{}, t0)
	if len(all) != 2 || len(onlyB) != 1 || onlyB[0].ID != "s5" || len(none) != 0 {
		t.Fatalf("sensors: all %d, b %v, none %d", len(all), onlyB, len(none))
	}
}

func testMonitorBatches(t *testing.T, db *store.DB) {
	ctx := t.Context()
	m := db.Monitor()
	a, b := monitorOrgs(t, db)
	createSensors(t, m, sensor("sa", a.ID, "a"), sensor("sb", b.ID, "b"))
	hit := func(value string, n int64, at time.Time) monitor.Hit {
		return monitor.Hit{IndicatorID: "indicator--1", Name: "bad", Kind: "ip", Value: value, Observed: value, Count: n, First: at, Last: at.Add(time.Second), Severity: 3, Score: 70}
	}
	batch := func(id, sensorID, orgID string, at time.Time, hits ...monitor.Hit) monitor.Batch {
		return monitor.Batch{ID: id, SensorID: sensorID, OrgID: orgID, ReceivedAt: at, ProcessedAt: at, Events: 10, Rejected: 2,
			Reasons: map[string]int64{"malformed": 2}, LastError: "bad line", Hits: hits, Raw: []byte("gz"), Expires: at.Add(time.Hour), Window: time.Hour}
	}
	apply := func(b monitor.Batch, wantApplied bool) []monitor.Alert {
		t.Helper()
		ok, alerts, err := m.ApplyBatch(ctx, b)
		if err != nil || ok != wantApplied {
			t.Fatalf("apply %s: applied %v, %v; want applied %v", b.ID, ok, err, wantApplied)
		}
		return alerts
	}
	al := apply(batch("b1", "sa", a.ID, t0, hit("198.51.100.7", 3, t0)), true)
	apply(batch("b1", "sa", a.ID, t0, hit("198.51.100.7", 3, t0)), false) // redelivered: nothing counted
	if seen, err := m.BatchSeen(ctx, "b1"); err != nil || !seen {
		t.Fatalf("b1 seen: %v %v", seen, err)
	}
	if seen, err := m.BatchSeen(ctx, "b9"); err != nil || seen {
		t.Fatalf("b9 seen: %v %v", seen, err)
	}
	al2 := apply(batch("b2", "sa", a.ID, t0.Add(30*time.Minute), hit("198.51.100.7", 2, t0.Add(30*time.Minute))), true)
	if len(al) != 1 || len(al2) != 1 || al2[0].ID != al[0].ID || al2[0].Count != 5 || !al2[0].FirstSeen.Equal(t0) {
		t.Fatalf("aggregation: %+v then %+v", al, al2)
	}
	// Past the window: a new alert.
	al3 := apply(batch("b3", "sa", a.ID, t0.Add(3*time.Hour), hit("198.51.100.7", 1, t0.Add(3*time.Hour))), true)
	if al3[0].ID == al[0].ID || al3[0].Count != 1 {
		t.Fatalf("outside the window joined: %+v", al3)
	}
	// Another organisation: its own alert.
	alB := apply(batch("b4", "sb", b.ID, t0, hit("198.51.100.7", 1, t0)), true)
	if alB[0].ID == al[0].ID {
		t.Fatal("organisations share an alert")
	}
	s, err := m.Sensor(ctx, "sa")
	if err != nil || s.Health.Events != 30 || s.Health.Rejected != 6 || s.Health.Reasons["malformed"] != 6 || s.Health.LastError != "bad line" || s.Health.LastEventAt == nil {
		t.Fatalf("sensor health: %+v %v", s.Health, err)
	}
	onlyA, _ := m.Alerts(ctx, monitor.AlertFilter{OrgIDs: []string{a.ID}})
	all, _ := m.Alerts(ctx, monitor.AlertFilter{})
	none, _ := m.Alerts(ctx, monitor.AlertFilter{OrgIDs: []string{}})
	if len(onlyA) != 2 || len(all) != 3 || len(none) != 0 || onlyA[0].ID != al3[0].ID {
		t.Fatalf("alerts: a %d, all %d, none %d", len(onlyA), len(all), len(none))
	}
	if got, _ := m.Alerts(ctx, monitor.AlertFilter{Since: t0.Add(2 * time.Hour)}); len(got) != 1 {
		t.Errorf("since: %d", len(got))
	}
	raw, err := m.AlertRaw(ctx, al[0].ID, 10)
	if err != nil || len(raw) != 2 || string(raw[0].Data) != "gz" {
		t.Fatalf("raw: %v %v", raw, err)
	}
	// A batch kept in a segment file: the row holds where, not the bytes.
	inFile := batch("b5", "sb", b.ID, t0.Add(time.Minute))
	inFile.RawRef = monitor.RawRef{Segment: b.ID + "/2027-01-01/x-1.seg", Offset: 1 << 33, Size: 524301}
	apply(inFile, true)
	if r, err := m.RawBatch(ctx, "b5"); err != nil || len(r.Data) != 0 || r.Ref != inFile.RawRef || r.OrgID != b.ID {
		t.Fatalf("batch kept in a file: %+v %v", r, err)
	}
	if r, err := m.RawBatch(ctx, "b1"); err != nil || string(r.Data) != "gz" || r.Ref != (monitor.RawRef{}) {
		t.Fatalf("batch kept in the store: %+v %v", r, err)
	}
	if _, err := m.RawBatch(ctx, "nope"); !errs.Is(err, errs.NotFound) {
		t.Fatalf("no such batch: %v", err)
	}
	top, err := m.TopIndicators(ctx, nil, t0, 10)
	if err != nil || len(top) != 1 || top[0].Count != 7 || top[0].Orgs != 2 || top[0].Alerts != 3 {
		t.Fatalf("top: %+v %v", top, err)
	}
	if err := m.SetIncident(ctx, al[0].ID, "inc-1"); err != nil {
		t.Fatal(err)
	}
	got, _ := m.Alert(ctx, al[0].ID)
	if got.Incident != "inc-1" {
		t.Errorf("incident %q", got.Incident)
	}
	mustCode(t, m.SetIncident(ctx, "nope", "x"), errs.NotFound)
	// A legal hold on the organisation keeps its raw events.
	if n, err := m.PurgeRaw(ctx, t0.Add(90*time.Minute), []string{a.ID}); err != nil || n != 2 {
		t.Fatalf("purge under hold: %d %v", n, err)
	}
	if raw, _ := m.AlertRaw(ctx, al[0].ID, 10); len(raw) != 2 {
		t.Errorf("raw under hold: %d", len(raw))
	}
	if n, err := m.PurgeRaw(ctx, t0.Add(90*time.Minute), nil); err != nil || n != 2 {
		t.Fatalf("purge: %d %v", n, err)
	}
	if raw, _ := m.AlertRaw(ctx, al[0].ID, 10); len(raw) != 0 {
		t.Errorf("raw after purge: %d", len(raw))
	}
	// Within the horizon a batch id is still known; past it, forgotten.
	if ok, _, _ := m.ApplyBatch(ctx, batch("b1", "sa", a.ID, t0)); ok {
		t.Error("b1 applied again within the horizon")
	}
	if _, err := m.PurgeRaw(ctx, t0.Add(store.BatchHorizon+4*time.Hour), nil); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := m.ApplyBatch(ctx, batch("b1", "sa", a.ID, t0)); !ok || err != nil {
		t.Errorf("b1 past the horizon: applied %v, %v", ok, err)
	}
}
