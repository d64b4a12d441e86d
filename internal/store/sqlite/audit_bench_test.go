package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// BenchmarkReadAudit appends the audit records of reads from 32 goroutines
// at once, each in a transaction of its own and through an audit.Group.
func BenchmarkReadAudit(b *testing.B) {
	for _, mode := range []string{"own-transaction", "group"} {
		b.Run(mode, func(b *testing.B) {
			ctx := b.Context()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "kyojo.db"), nil)
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			g := audit.NewGroup(func(ctx context.Context, rs []*audit.Record) error {
				return db.TransactSQL(ctx, func(tx *store.Tx) error { return audit.AppendAll(ctx, tx, rs) })
			})
			appendOne := func(r *audit.Record) error { return db.Monitor().AppendAudits(ctx, []*audit.Record{r}) }
			if mode == "group" {
				appendOne = func(r *audit.Record) error { return g.Append(ctx, r) }
			}
			b.SetParallelism(16) // 32 goroutines on 2 cores
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					r := &audit.Record{Time: time.Now().UTC().Truncate(time.Microsecond), ActorID: "u", ActorName: "analyst", ActorOrgID: "o",
						Action: "intel.search", ObjectType: "value", ObjectID: "198.51.100.7", Outcome: audit.Success, Via: "api"}
					if err := appendOne(r); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
