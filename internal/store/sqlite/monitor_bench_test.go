package sqlite_test

import (
	"crypto/rand"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// BenchmarkApplyBatch applies what the GSOC bench's batches carry: 100
// hits on 1,000 indicator values and a 550 kB compressed raw batch.
func BenchmarkApplyBatch(b *testing.B) {
	for _, raw := range []int{0, 550 << 10} {
		b.Run(fmt.Sprintf("raw=%dkB", raw>>10), func(b *testing.B) {
			ctx := b.Context()
			db, orgID := monitorDB(b, filepath.Join(b.TempDir(), "kyojo.db"))
			m := db.Monitor()
			data := make([]byte, raw)
			rand.Read(data)
			now := time.Now().UTC()
			i := 0
			for b.Loop() {
				bt := monitor.Batch{ID: fmt.Sprint(i), SensorID: "s", OrgID: orgID, ReceivedAt: now, ProcessedAt: now, Events: 10000,
					Window: time.Hour, Expires: now.Add(time.Hour), Raw: data, Reasons: map[string]int64{}}
				for h := range 100 {
					v := fmt.Sprintf("192.0.2.%d", (i*100+h)%1000)
					bt.Hits = append(bt.Hits, monitor.Hit{IndicatorID: "indicator--" + v, Kind: "ip", Value: v, Observed: v, Count: 1, First: now, Last: now, Severity: 3, Score: 50})
				}
				if _, _, err := m.ApplyBatch(ctx, bt); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}
