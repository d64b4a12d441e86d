// Command gsoc measures the monitoring pipeline end to end on one machine:
// Suricata EVE lines ingested in batches through the embedded NATS
// JetStream, parsed, matched against N indicators and turned into alerts
// in SQLite; and, in the same process, only reading and parsing the same
// lines, so that the ratio of the two is known. Each of -runs runs
// alternates the two a round of batches at a time (on a shared host the
// machine's speed drifts from minute to minute), and the medians of the
// runs are reported. It also times a full compile of the matcher and an
// update of 10,000 indicators.
//
//	go run ./bench/gsoc -indicators 1000000 -events 2000000
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/kyojo-hub/kyojo/internal/bus"
	"github.com/kyojo-hub/kyojo/internal/gctune"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/postgres"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

func main() {
	nInd := flag.Int("indicators", 1_000_000, "indicators in the matcher")
	nEv := flag.Int("events", 1_000_000, "EVE lines to send")
	batch := flag.Int("batch", monitor.MaxBatchLines, "lines per ingest batch")
	hitEvery := flag.Int("hit-every", 100, "one line in this many hits an indicator")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the end-to-end run to this file")
	allocprofile := flag.String("allocprofile", "", "write a profile of what the end-to-end run allocated to this file")
	codec := flag.String("codec", "s2", "how batches are compressed: s2 or zstd")
	gogc := flag.String("gc-percent", "", "GOGC as kyojo serve sets it (default 400, as the hub's; the GOGC environment variable wins)")
	dbURL := flag.String("db", "", "PostgreSQL to run against (postgres://…; an empty database: the run leaves its rows), instead of SQLite in a temporary directory")
	rawIn := flag.String("event-store", "", "where raw batches are kept: files (segment files; the default with SQLite) or db (in the database; the default with -db)")
	workers := flag.Int("workers", 0, "messages processed at once (default GOMAXPROCS)")
	plainIDs := flag.Bool("plain-ids", false, "indicator ids indicator--000…0001 rather than STIX UUIDs (the matcher keeps such ids as strings)")
	memprofile := flag.String("memprofile", "", "write a heap profile, taken once the matcher is loaded, to this file")
	warm := flag.Int("warm-up", 100, "percent of the lines sent through the pipeline once before the timed runs")
	runs := flag.Int("runs", 3, "runs, each alternating end-to-end and parse-only rounds (the machine's speed drifts: the medians are reported)")
	round := flag.Int("round", 25, "batches in a round")
	flag.Parse()
	gc, err := gctune.Apply(*gogc, "")
	if err != nil {
		log.Fatal(err)
	}
	if *memprofile != "" {
		runtime.MemProfileRate = 4096 // fine enough to attribute the matcher's bytes
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kyojo-bench-gsoc")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	fmt.Printf("garbage collector as kyojo serve sets it: %s\n", gc)
	fmt.Printf("machine: %d CPUs (GOMAXPROCS %d), %s\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())

	var db *store.DB
	if *dbURL != "" {
		db, err = postgres.Open(ctx, *dbURL, nil)
	} else {
		db, err = sqlite.Open(ctx, filepath.Join(dir, "kyojo.db"), nil)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	svcID := identity.NewService(db, nil)
	org, err := svcID.CreateOrg(ctx, identity.System("bench"), identity.Org{Slug: "bench", Name: "Bench", NameJA: "ベンチ", Kind: identity.KindGovernment, Tier: 2})
	if err != nil {
		log.Fatal(err)
	}

	// Indicators: generated objects, as the intel store would give them.
	r := rand.New(rand.NewPCG(7, 7))
	rid := rand.New(rand.NewPCG(7, 8)) // ids: their own source, so that the values do not depend on -plain-ids
	now := time.Now().UTC()
	objs := make([]intel.Object, *nInd)
	hitIPs := make([]string, 0, 1000)
	for i := range objs {
		var pat string
		switch i % 4 {
		case 0, 1:
			ip := fmt.Sprintf("%d.%d.%d.%d", 1+r.IntN(222), r.IntN(256), r.IntN(256), 1+r.IntN(254))
			pat = "[ipv4-addr:value = '" + ip + "']"
			if len(hitIPs) < cap(hitIPs) {
				hitIPs = append(hitIPs, ip)
			}
		case 2:
			pat = fmt.Sprintf("[domain-name:value = 'h%d.evil%d.example']", r.IntN(1e6), i)
		default:
			pat = fmt.Sprintf("[file:hashes.'SHA-256' = '%016x%016x%016x%016x']", r.Uint64(), r.Uint64(), r.Uint64(), r.Uint64())
		}
		id := fmt.Sprintf("indicator--%036d", i)
		if !*plainIDs {
			var u uuid.UUID
			binary.BigEndian.PutUint64(u[:8], rid.Uint64())
			binary.BigEndian.PutUint64(u[8:], rid.Uint64())
			u[6], u[8] = u[6]&0x0f|0x40, u[8]&0x3f|0x80 // version 4, as STIX producers make them
			id = "indicator--" + u.String()
		}
		objs[i] = intel.Object{ID: id, Type: "indicator", Latest: true, AddedAt: now, Confidence: 80,
			Dist: policy.Distribution{TLP: policy.Clear}, Raw: []byte(`{"name":"bench","pattern":"` + strings.ReplaceAll(pat, `'`, `'`) + `","pattern_type":"stix"}`)}
	}
	// An update of 10,000 indicators, picked now so that the million
	// generated objects need not stay alive.
	changed := make([]intel.Object, 10_000)
	for i := range changed {
		o := objs[r.IntN(len(objs))]
		o.Raw = []byte(fmt.Sprintf(`{"name":"changed","pattern":"[ipv4-addr:value = '10.%d.%d.%d']","pattern_type":"stix"}`, i>>16&255, i>>8&255, i&255))
		changed[i] = o
	}
	ind := monitor.NewIndicators()
	t0 := time.Now()
	ind.Apply(objs, now)
	tApply := time.Since(t0)
	// Compiles are timed after a collection, as testing.B times: the hub
	// reads indicators from the store a page at a time, so its heap does
	// not hold a million objects when it compiles, and a collection of
	// this program's heap (about 1 GB here) would land in whichever
	// compile it happened to fall in.
	objs = nil
	runtime.GC()
	t0 = time.Now()
	ind.Rebuild(now)
	tBuild := time.Since(t0)
	fmt.Printf("matcher: %d indicators read (patterns parsed) in %v; full compile in %v\n",
		ind.Current().Len(), tApply.Round(time.Millisecond), tBuild.Round(time.Millisecond))
	runtime.GC()
	t0 = time.Now()
	ind.Apply(changed, now)
	ind.Update(now)
	fmt.Printf("update of 10,000 indicators (read, delta compiled, swapped) visible to look-ups after %v\n", time.Since(t0).Round(time.Millisecond))
	runtime.GC()
	t0 = time.Now()
	ind.Rebuild(now)
	fmt.Printf("folding it into a full compile: %v\n", time.Since(t0).Round(time.Millisecond))
	changed = nil
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	fmt.Printf("heap in use with the matcher loaded (indicator table and compiled set): %d MB\n", ms.HeapInuse>>20)
	if *memprofile != "" {
		f, err := os.Create(*memprofile)
		if err != nil {
			log.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			log.Fatal(err)
		}
		f.Close()
		runtime.MemProfileRate = 0
	}

	// Lines.
	lines := make([]string, *nEv)
	for i := range lines {
		dst := fmt.Sprintf("172.16.%d.%d", r.IntN(256), r.IntN(256))
		if i%*hitEvery == 0 {
			dst = hitIPs[r.IntN(len(hitIPs))]
		}
		switch i % 3 {
		case 0:
			lines[i] = fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"flow","src_ip":"10.1.%d.%d","src_port":%d,"dest_ip":"%s","dest_port":443,"proto":"TCP","flow":{"pkts_toserver":12,"pkts_toclient":10,"bytes_toserver":1800,"bytes_toclient":9000,"start":"%s","end":"%s","age":1,"state":"closed","reason":"timeout","alerted":false}}`,
				now.Format("2006-01-02T15:04:05.000000-0700"), r.Uint64()>>12, r.IntN(256), r.IntN(256), 1024+r.IntN(60000), dst, now.Format(time.RFC3339), now.Format(time.RFC3339))
		case 1:
			lines[i] = fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"dns","src_ip":"10.1.%d.%d","src_port":%d,"dest_ip":"%s","dest_port":53,"proto":"UDP","dns":{"type":"query","id":%d,"rrname":"www.site%d.example.jp","rrtype":"A","tx_id":0}}`,
				now.Format("2006-01-02T15:04:05.000000-0700"), r.Uint64()>>12, r.IntN(256), r.IntN(256), 1024+r.IntN(60000), dst, r.IntN(65536), r.IntN(1e6))
		default:
			lines[i] = fmt.Sprintf(`{"timestamp":"%s","flow_id":%d,"event_type":"http","src_ip":"10.1.%d.%d","src_port":%d,"dest_ip":"%s","dest_port":80,"proto":"TCP","http":{"hostname":"www.site%d.example.jp","url":"/index.html","http_user_agent":"Mozilla/5.0","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":1234}}`,
				now.Format("2006-01-02T15:04:05.000000-0700"), r.Uint64()>>12, r.IntN(256), r.IntN(256), 1024+r.IntN(60000), dst, r.IntN(1e6))
		}
	}
	// The batches live outside the Go heap, as a sensor's lines do
	// before they reach the hub: 600 MB of them on the heap would raise
	// the collector's goal fivefold and let every run allocate into
	// fresh pages, which the hub's own heap never does.
	var totalBytes int
	for _, l := range lines {
		totalBytes += len(l) + 1
	}
	arena, err := syscall.Mmap(-1, 0, totalBytes, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		log.Fatal(err)
	}
	var bodies [][]byte
	for i, off := 0, 0; i < len(lines); i += *batch {
		start := off
		for _, l := range lines[i:min(i+*batch, len(lines))] {
			off += copy(arena[off:], l)
			arena[off] = '\n'
			off++
		}
		bodies = append(bodies, arena[start:off:off])
	}
	fmt.Printf("events: %d EVE lines (%d MB), %d batches of %d; one in %d hits\n", len(lines), totalBytes>>20, len(bodies), *batch, *hitEvery)
	lines = nil
	// The generated lines (660 MB on the heap until copied out) set the
	// collector's goal at several GB: the warm-up and the first runs would
	// allocate under that goal and the first collection in a timed run
	// would drop it, the runtime return the pages, and the next run fault
	// them in again (40,000 page faults in the second run). A hub reaches
	// its working heap after startup in the same way, once: collected
	// here, before the warm-up, that happens in the warm-up.
	runtime.GC()
	debug.FreeOSMemory()

	cpu0 := cpuTime()
	parsed, el := parseOnly(bodies, runtime.GOMAXPROCS(0))
	fmt.Printf("read and parse only: %.0f events/s (%.2f CPU-s)\n", float64(parsed)/el.Seconds(), (cpuTime() - cpu0).Seconds())

	// End to end through the embedded JetStream.
	b, err := bus.Open(ctx, bus.Options{DataDir: dir, MaxBacklog: 2 << 30, Workers: *workers})
	if err != nil {
		log.Fatal(err)
	}
	defer b.Close()
	opt := monitor.Options{Codec: *codec}
	if *rawIn == "files" || *rawIn == "" && *dbURL == "" {
		rl, err := rawlog.Open(filepath.Join(dir, "raw"))
		if err != nil {
			log.Fatal(err)
		}
		defer rl.Close()
		opt.RawFiles = rl
	}
	proc := monitor.NewProcessor(db.Monitor(), db, ind, nil, opt)
	svc := monitor.NewService(db.Monitor(), db, b, proc, opt)
	var events, target atomic.Int64
	progress := make(chan struct{}, 1)
	cctx, stop := context.WithCancel(ctx)
	go b.Consume(cctx, func(ctx context.Context, m monitor.Message) error {
		res, err := proc.Process(ctx, m)
		if err != nil {
			return err
		}
		if events.Add(res.Events) >= target.Load() {
			select {
			case progress <- struct{}{}:
			default:
			}
		}
		return nil
	})
	// through sends bodies, which hold lines lines, from sensor sn
	// (backing off, as a sensor would, while the hub is over capacity) and
	// returns once the pipeline has processed their events, how many.
	through := func(sn monitor.Sensor, bodies [][]byte, lines int64) int64 {
		from := events.Load()
		target.Store(from + lines)
		for _, body := range bodies {
			for {
				if _, err := svc.Ingest(ctx, sn, body, ""); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		for events.Load() < target.Load() {
			<-progress
		}
		return events.Load() - from
	}
	// A warm-up pass, not timed, brings the process to the state a hub
	// that has run for a while is in: the heap grown to its working size
	// (otherwise the first run allocates into fresh pages and pays a page
	// fault for each), the stream's blocks and the database's pages
	// allocated. (The heap takes a few collection cycles to settle: one of
	// the three runs still takes about 22,000 page faults, the others
	// 1,500; more warm-up passes only moved that run to the first.)
	if *warm > 0 {
		sn, _, err := svc.AddSensor(ctx, identity.System("bench"), monitor.NewSensor{Org: org.ID, Name: "bench-warm-up", Format: parse.FormatEVE})
		if err != nil {
			log.Fatal(err)
		}
		warmed := bodies[:min(len(bodies), max(1, len(bodies)**warm/100))]
		n := through(sn, warmed, countLines(warmed))
		fmt.Printf("warm-up: %d events through the pipeline, not timed\n", n)
	}
	// The profiles cover the timed runs (and their parse-only rounds).
	if *allocprofile != "" {
		// The profile counts from the start: what came before the runs is
		// written apart, to read the run with go tool pprof -diff_base.
		runtime.GC()
		f, err := os.Create(*allocprofile + ".base")
		if err != nil {
			log.Fatal(err)
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	// Each run sends the lines again from a sensor of its own (batch ids
	// are the sensor's and the lines'), in rounds of -round batches: a
	// round sends its batches through the pipeline and waits until they
	// are processed, then reads and parses the same batches only. The two
	// measures alternate every second or so and are summed over the run,
	// so that the machine's drift (the same parse-only work took from 2.7
	// to 4.6 CPU-s within minutes on one guest) weighs on both alike. A
	// round's pipeline starts empty and drains to empty, which costs it a
	// little against a steady stream.
	var rates, ratios, cpuRatios []float64
	for run := range *runs {
		sn, _, err := svc.AddSensor(ctx, identity.System("bench"), monitor.NewSensor{Org: org.ID, Name: fmt.Sprintf("bench-%d", run), Format: parse.FormatEVE})
		if err != nil {
			log.Fatal(err)
		}
		var e2eTime, e2eCPU, kernel, parseTime, parseCPU time.Duration
		var n, parsed, faults int64
		for lo := 0; lo < len(bodies); lo += *round {
			chunk := bodies[lo:min(lo+*round, len(bodies))]
			lines := countLines(chunk) // before the clock starts
			t0, c0, ru0 := time.Now(), cpuTime(), rusage()
			n += through(sn, chunk, lines)
			ru1 := rusage()
			e2eTime += time.Since(t0)
			e2eCPU += cpuTime() - c0
			kernel += time.Duration(ru1.Stime.Nano() - ru0.Stime.Nano())
			faults += ru1.Minflt - ru0.Minflt
			c1 := cpuTime()
			p, el := parseOnly(chunk, runtime.GOMAXPROCS(0))
			parseTime += el
			parseCPU += cpuTime() - c1
			parsed += p
		}
		e2e, pr := float64(n)/e2eTime.Seconds(), float64(parsed)/parseTime.Seconds()
		fmt.Printf("run %d: end to end (ingest → JetStream → parse, match, alerts in %s): %d events in %v: %.0f events/s\n",
			run+1, db.Dialect(), n, e2eTime.Round(time.Millisecond), e2e)
		fmt.Printf("  CPU %.2f s (kernel %.2f s, %d page faults); parse only, in the same rounds: %.0f events/s (%.2f CPU-s)\n",
			e2eCPU.Seconds(), kernel.Seconds(), faults, pr, parseCPU.Seconds())
		fmt.Printf("  ratio end to end / parse only on every core: %.2f; the pipeline costs %.2fx parsing's CPU (the ratio needs <= 2)\n",
			e2e/pr, e2eCPU.Seconds()/parseCPU.Seconds())
		rates, ratios, cpuRatios = append(rates, e2e), append(ratios, e2e/pr), append(cpuRatios, e2eCPU.Seconds()/parseCPU.Seconds())
	}
	stop()
	pprof.StopCPUProfile()
	if *allocprofile != "" {
		runtime.GC()
		f, err := os.Create(*allocprofile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.Lookup("allocs").WriteTo(f, 0)
		f.Close()
	}
	alerts, _ := db.Monitor().Alerts(ctx, monitor.AlertFilter{Limit: 1000})
	var alertHits int64
	for _, a := range alerts {
		alertHits += a.Count
	}
	fmt.Printf("alerts: %d, hits counted in them %d (first 1000 alerts, all runs)\n", len(alerts), alertHits)
	if st := proc.Stats(); st.InMemory.Load()+st.ReadBack.Load() > 0 {
		fmt.Printf("kept batches: %d handed to the processor in memory, %d read back from the files (warm-up included)\n", st.InMemory.Load(), st.ReadBack.Load())
	}
	parsed, el = parseOnly(bodies, 1)
	parseOne := float64(parsed) / el.Seconds()
	fmt.Printf("read and parse only, one core: %.0f events/s\n", parseOne)
	fmt.Printf("end to end: median %.0f events/s over %d runs (%.0f–%.0f)\n", median(rates), len(rates), slices.Min(rates), slices.Max(rates))
	fmt.Printf("ratio end to end / parse only on every core: median %.2f (%s); CPU median %.2fx parsing's; against parsing on one core: %.2f\n",
		median(ratios), list(ratios), median(cpuRatios), median(rates)/parseOne)
}

func median(xs []float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func list(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, ", ")
}

// cpuTime returns the CPU time (user and system) the process used so far:
// a measure that other work on the machine does not skew as much as rates.
func cpuTime() time.Duration {
	ru := rusage()
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func rusage() syscall.Rusage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru
}

// countLines returns the lines in bodies.
func countLines(bodies [][]byte) int64 {
	var n int64
	for _, b := range bodies {
		n += int64(bytes.Count(b, []byte{'\n'}))
	}
	return n
}

// parseOnly reads and parses the lines of bodies on cores goroutines and
// returns how many parsed and how long it took.
func parseOnly(bodies [][]byte, cores int) (int64, time.Duration) {
	t0 := time.Now()
	var parsed atomic.Int64
	work := make(chan []byte)
	done := make(chan struct{})
	for range cores {
		go func() {
			for b := range work {
				rd := parse.Reader{Format: parse.FormatEVE}
				var n int64 // counted apart: one shared counter would bounce between the cores every line
				for rest := b; len(rest) > 0; {
					i := bytes.IndexByte(rest, '\n')
					if i < 0 {
						i = len(rest)
					}
					if _, err := rd.Line(rest[:i]); err == nil {
						n++
					}
					rest = rest[min(i+1, len(rest)):]
				}
				parsed.Add(n)
			}
			done <- struct{}{}
		}()
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	for range cores {
		<-done
	}
	return parsed.Load(), time.Since(t0)
}
