package ledger

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// benchPayload is about the size of an audit record's Leaf bytes.
var benchPayload = []byte(`{"v":1,"seq":123456,"time":"2026-11-28T04:00:00.000000Z","actor_id":"u-1","action":"org.create","object_id":"o-9"}`)

func batchOf(n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{Kind: "audit", Payload: benchPayload}
	}
	return items
}

// BenchmarkAppendBatch1000: durable appends in batches of 1,000 (one sync
// per batch). Reports leaves/s.
func BenchmarkAppendBatch1000(b *testing.B) {
	l := open(b, b.TempDir())
	items := batchOf(1000)
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if _, err := l.AppendBatch(b.Context(), items); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(items))/time.Since(start).Seconds(), "leaves/s")
}

// BenchmarkAppendConcurrent: single-entry Appends from many goroutines,
// grouped by the committer. Reports leaves/s.
func BenchmarkAppendConcurrent(b *testing.B) {
	l := open(b, b.TempDir())
	b.SetParallelism(256)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := l.Append(b.Context(), "audit", benchPayload); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "leaves/s")
}

const hundredMillion = 100_000_000

// synthHashes derives stored hash x as SHA-256(x): a stand-in for a
// 100,000,000-leaf hashes.dat (6.4 GB) that costs a hash per read.
type synthHashes struct{}

func (synthHashes) ReadHashes(idx []int64) ([]Hash, error) {
	out := make([]Hash, len(idx))
	for i, x := range idx {
		out[i] = sha256.Sum256(binary.BigEndian.AppendUint64(nil, uint64(x)))
	}
	return out, nil
}

// BenchmarkInclusionProof100M: an inclusion proof in a tree of 100,000,000
// leaves, (a) from synthetic hashes, (b) from a sparse hashes.dat of the
// real size read as Log.InclusionProof does: one pread per hash, nodes of
// level 10 and up from the proof cache (warm after the first few thousand
// proofs, as on a running hub).
func BenchmarkInclusionProof100M(b *testing.B) {
	b.Run("synthetic", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < b.N; i++ {
			if _, err := tlog.ProveRecord(hundredMillion, r.Int64N(hundredMillion), synthHashes{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("sparse-file", func(b *testing.B) {
		f, err := os.Create(filepath.Join(b.TempDir(), hashFile))
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		count := tlog.StoredHashCount(hundredMillion)
		if err := f.Truncate(count * 32); err != nil {
			b.Fatal(err)
		}
		fh := fileHashes{f, count, &hashCache{}}
		r := rand.New(rand.NewPCG(1, 2))
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			if _, err := tlog.ProveRecord(hundredMillion, r.Int64N(hundredMillion), fh); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkVerify1M: Verify of a 1,000,000-leaf ledger from scratch (the
// ledger is built first, untimed, in batches of 1,000). Also times an
// inclusion proof on it.
func BenchmarkVerify1M(b *testing.B) {
	const n = 1_000_000
	l := open(b, b.TempDir())
	items := batchOf(1000)
	for i := 0; i < n/len(items); i++ {
		if _, err := l.AppendBatch(b.Context(), items); err != nil {
			b.Fatal(err)
		}
		if i%250 == 0 {
			l.Checkpoint()
		}
	}
	l.Checkpoint()
	b.Run("verify", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			rep, err := l.Verify(b.Context())
			if err != nil || rep.Entries != n {
				b.Fatal(rep, err)
			}
		}
	})
	b.Run("inclusion-proof", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		for i := 0; i < b.N; i++ {
			if _, err := l.InclusionProof(r.Uint64N(n), n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
