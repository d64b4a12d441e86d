package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kyojo-hub/kyojo/internal/bus"
	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/monitor/rawlog"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/syslogd"
)

// startMonitoring runs the GSOC pipeline for kyojo serve: the bus
// (embedded JetStream, or --nats-url), the matcher kept fresh from the
// intelligence store, the processor consuming the bus, raw-event
// retention, and the syslog receiver when --syslog-listen is set. stop
// ends them in order and waits.
func startMonitoring(ctx context.Context, cfg config.Config, db *store.DB, ev *evidence.Service, esc monitor.Escalator,
	log *slog.Logger) (*monitor.Service, func(), []prometheus.Collector, error) {
	b, err := bus.Open(ctx, bus.Options{URL: cfg.NATSURL, DataDir: cfg.Data, Listen: cfg.NATSListen, Log: log})
	if err != nil {
		return nil, nil, nil, err
	}
	iopt, err := intelOptions(cfg)
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	iv := intel.NewService(db.Intel(), db, iopt)
	opt := monitor.Options{MaxAge: cfg.EventMaxAge, Codec: cfg.EventCodec, Log: log, Sightings: &monitor.Sightings{Intel: iv}, RetentionFor: eventRetention(ev)}
	rl, err := rawFiles(cfg, &opt)
	if err != nil {
		b.Close()
		return nil, nil, nil, err
	}
	ind := monitor.NewIndicators()
	ind.Decay = iopt.Decay
	start := time.Now()
	if _, err := ind.Refresh(ctx, db.Intel(), time.Now()); err != nil {
		b.Close()
		if rl != nil {
			rl.Close()
		}
		return nil, nil, nil, fmt.Errorf("matcher: %w", err)
	}
	log.Info("matcher loaded", "indicators", ind.Current().Len(), "took", time.Since(start).String())
	proc := monitor.NewProcessor(db.Monitor(), db, ind, esc, opt)
	svc := monitor.NewService(db.Monitor(), db, b, proc, opt)

	mctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(3)
	go func() { defer wg.Done(); ind.Follow(mctx, db.Intel(), 250*time.Millisecond, time.Now, log) }()
	go func() {
		defer wg.Done()
		b.Consume(mctx, func(ctx context.Context, m monitor.Message) error {
			_, err := proc.Process(ctx, m)
			return err
		})
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if held, all, err := eventHolds(mctx, ev); err != nil {
				log.Warn("raw event retention: reading legal holds", "err", err)
			} else if !all {
				if n, err := db.Monitor().PurgeRaw(mctx, time.Now(), held); err != nil && mctx.Err() == nil {
					log.Warn("raw event retention", "err", err)
				} else if n > 0 {
					log.Info("raw event batches past retention deleted", "batches", n)
				}
				if rl != nil {
					if n, err := rl.Purge(time.Now(), held); err != nil {
						log.Warn("raw event retention: segment files", "err", err)
					} else if n > 0 {
						log.Info("raw event segment files past retention deleted", "files", n)
					}
				}
			}
			select {
			case <-mctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	var sl *syslogd.Server
	if cfg.SyslogListen != "" {
		sl, err = syslogd.Listen(mctx, cfg.SyslogListen, svc, time.Second, log)
		if err != nil {
			cancel()
			wg.Wait()
			b.Close()
			if rl != nil {
				rl.Close()
			}
			return nil, nil, nil, fmt.Errorf("syslog: %w", err)
		}
		log.Info("syslog receiving", "addr", sl.Addr())
	}
	stop := func() {
		cancel()
		if sl != nil {
			sl.Wait()
		}
		wg.Wait()
		b.Close()
		if rl != nil {
			if err := rl.Close(); err != nil {
				log.Warn("raw event files", "err", err)
			}
		}
	}
	return svc, stop, gsocMetrics(proc, ind, b), nil
}

// rawFiles opens the raw event segment files and sets opt.RawFiles when
// the configuration keeps raw events in files, or when it keeps them in the
// database but the data directory holds segments from before (then only
// to read them, and for retention to delete them); nil otherwise.
func rawFiles(cfg config.Config, opt *monitor.Options) (*rawlog.Log, error) {
	if !cfg.RawEventFiles() {
		if _, err := os.Stat(cfg.RawEventDir()); err != nil {
			return nil, nil
		}
		opt.RawFilesReadOnly = true
	}
	rl, err := rawlog.Open(cfg.RawEventDir())
	if err != nil {
		return nil, err
	}
	opt.RawFiles = rl
	return rl, nil
}

// eventHolds returns the organisations whose events are under legal hold,
// or all true when a hold covers every organisation's events.
func eventHolds(ctx context.Context, ev *evidence.Service) (held []string, all bool, err error) {
	if ev == nil {
		return nil, false, nil
	}
	hs, err := ev.Holds(ctx, identity.System("monitor"))
	if err != nil {
		return nil, false, err
	}
	for _, h := range hs {
		if h.Released != nil || (h.Kind != "" && h.Kind != "events") {
			continue
		}
		if h.OrgID == "" {
			return nil, true, nil
		}
		held = append(held, h.OrgID)
	}
	return held, false, nil
}

// eventRetention returns how long an organisation's raw events are kept:
// its "events" retention rule, else the hub-wide one, else 0 (the
// default). Rules are read at most once a minute.
func eventRetention(ev *evidence.Service) func(context.Context, string) time.Duration {
	if ev == nil {
		return nil
	}
	var mu sync.Mutex
	var rules []evidence.Rule
	var read time.Time
	return func(ctx context.Context, orgID string) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(read) > time.Minute {
			if rs, err := ev.Rules(ctx, identity.System("monitor")); err == nil {
				rules, read = rs, time.Now()
			}
		}
		var general time.Duration
		for _, r := range rules {
			if r.Kind != "events" {
				continue
			}
			d := time.Duration(r.Days) * 24 * time.Hour
			if r.OrgID == orgID {
				return d
			}
			if r.OrgID == "" {
				general = d
			}
		}
		return general
	}
}

func runSensor(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprintln(env.Stderr, "Usage: kyojo sensor add [flags] | kyojo sensor list [flags]   (add --help for details)")
		return errUsage
	}
	if args[0] == "list" {
		return sensorList(ctx, env, args[1:])
	}
	return sensorAdd(ctx, env, args[1:])
}

// openMonitor opens the store and a monitoring service that processes in
// this process (no bus), with the hub's decay and, when escalate is set,
// its escalation rules: alerts open or join incidents as in kyojo serve.
// close closes what it opened, the store last.
func openMonitor(ctx context.Context, env *Env, cfg config.Config, escalate bool) (svc *monitor.Service, ind *monitor.Indicators, db *store.DB, close func(), err error) {
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	log := logger(cfg, env.Stderr)
	iopt, err := intelOptions(cfg)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	db, err = openStore(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	close = func() { db.Close() }
	iv := intel.NewService(db.Intel(), db, iopt)
	var esc monitor.Escalator
	if escalate {
		inc, err := incidentService(cfg, db, iv, log)
		if err != nil {
			db.Close()
			return nil, nil, nil, nil, err
		}
		esc = incident.AlertEscalator{S: inc}
		close = func() { inc.Close(); db.Close() }
	}
	opt := monitor.Options{MaxAge: cfg.EventMaxAge, Codec: cfg.EventCodec, Log: log, Sightings: &monitor.Sightings{Intel: iv}}
	rl, err := rawFiles(cfg, &opt)
	if err != nil {
		close()
		return nil, nil, nil, nil, err
	}
	if rl != nil {
		closeDB := close
		close = func() { rl.Close(); closeDB() }
	}
	ind = monitor.NewIndicators()
	ind.Decay = iopt.Decay
	proc := monitor.NewProcessor(db.Monitor(), db, ind, esc, opt)
	return monitor.NewService(db.Monitor(), db, nil, proc, opt), ind, db, close, nil
}

func sensorAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "sensor add", "--org HANDLE --name NAME [flags]", `
Registers a sensor of a monitored organisation and prints its token alone on
the last line: the sensor sends it as Authorization: Bearer <token> to
POST /api/v1/ingest. The token is shown this once; only its hash is kept.`)
	var in monitor.NewSensor
	fs.StringVar(&in.Org, "org", "", "the monitored organisation (handle or id)")
	fs.StringVar(&in.Name, "name", "", "the sensor's name, unique in its organisation")
	fs.StringVar(&in.Kind, "kind", "nids", "kind: "+strings.Join(monitor.Kinds, ", "))
	fs.StringVar(&in.Location, "location", "", "where it is, e.g. \"Tokyo DC, uplink 1\"")
	format := fs.String("format", "eve", "what it sends: eve, zeek, syslog, cef, json")
	mapping := fs.String("mapping", "", `format json: where fields are, e.g. {"src_ip":"source.ip","domain":"dns.question.name"}`)
	sources := fs.String("sources", "", "format syslog or cef: sender addresses or CIDR blocks, comma-separated")
	cfg, err := load(env, fs, args)
	if err != nil {
		return err
	}
	in.Format = parse.Format(*format)
	if *mapping != "" {
		in.Mapping = &parse.Mapping{}
		if err := json.Unmarshal([]byte(*mapping), in.Mapping); err != nil {
			return fmt.Errorf("--mapping: %w", err)
		}
	}
	if *sources != "" {
		in.Sources = strings.Split(*sources, ",")
	}
	if in.Org == "" {
		return fmt.Errorf("--org is required")
	}
	svc, _, _, closeAll, err := openMonitor(ctx, env, cfg, false)
	if err != nil {
		return err
	}
	defer closeAll()
	s, tok, err := svc.AddSensor(ctx, cliActor(env), in)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "sensor %s (%s, %s) registered with id %s\n", s.Name, s.Kind, s.Format, s.ID)
	fmt.Fprintln(env.Stdout, "its token (shown once):")
	fmt.Fprintln(env.Stdout, tok)
	return nil
}

func sensorList(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "sensor list", "[flags]", "Lists sensors with their health.")
	org := fs.String("org", "", "only this organisation (handle or id)")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	cfg, err := load(env, fs, args)
	if err != nil {
		return err
	}
	svc, _, db, closeAll, err := openMonitor(ctx, env, cfg, false)
	if err != nil {
		return err
	}
	defer closeAll()
	ss, err := svc.Sensors(ctx, cliActor(env))
	if err != nil {
		return err
	}
	if *org != "" {
		o, err := orgRef(ctx, db, *org)
		if err != nil {
			return err
		}
		var keep []monitor.Sensor
		for _, s := range ss {
			if s.OrgID == o.ID {
				keep = append(keep, s)
			}
		}
		ss = keep
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(ss)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tKIND\tFORMAT\tEVENTS\tREJECTED\tLAST EVENT\tLAST ERROR")
	for _, s := range ss {
		last := "-"
		if s.Health.LastEventAt != nil {
			last = s.Health.LastEventAt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.ID, s.Name, s.Kind, s.Format, s.Health.Events, s.Health.Rejected, last, dash(s.Health.LastError))
	}
	return tw.Flush()
}

func runIngest(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "ingest", "--sensor ID FILE…", `
Reads sensor logs from files (gzip-compressed or not; "-" is standard input)
in the sensor's format, matches them against every indicator the sensor's
organisation may see, and records alerts, as the hub does with what sensors
send: by the escalation rules an alert opens or joins an incident. Reading
the same file again counts nothing twice.`)
	sensorID := fs.String("sensor", "", "the sensor the logs come from (its id)")
	cfg, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *sensorID == "" || fs.NArg() == 0 {
		return fmt.Errorf("give --sensor ID and at least one file")
	}
	svc, ind, db, closeAll, err := openMonitor(ctx, env, cfg, true)
	if err != nil {
		return err
	}
	defer closeAll()
	if _, err := ind.Refresh(ctx, db.Intel(), time.Now()); err != nil {
		return err
	}
	sys := cliActor(env)
	sn, err := svc.Sensor(ctx, sys, *sensorID)
	if err != nil {
		return err
	}
	before := sn.Health
	for _, name := range fs.Args() {
		var f *os.File
		if name == "-" {
			f = os.Stdin
		} else if f, err = os.Open(name); err != nil {
			return err
		}
		rc, err := svc.IngestReader(ctx, sn, f, "")
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		fmt.Fprintf(env.Stdout, "%s: %d lines in %d batches\n", name, rc.Lines, len(rc.Batches))
	}
	after, err := svc.Sensor(ctx, sys, *sensorID)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "events %d, rejected %d\n", after.Health.Events-before.Events, after.Health.Rejected-before.Rejected)
	alerts, err := svc.Alerts(ctx, sys, monitor.AlertFilter{SensorID: sn.ID, Limit: 20})
	if err != nil {
		return err
	}
	for _, a := range alerts {
		inc := ""
		if a.Incident != "" {
			inc = ", incident " + a.Incident
		}
		fmt.Fprintf(env.Stdout, "alert %s: %s %s seen %d times (%s … %s)%s\n", a.ID, a.Kind, a.Value, a.Count,
			a.FirstSeen.Format(time.RFC3339), a.LastSeen.Format(time.RFC3339), inc)
	}
	return nil
}

// gsocMetrics are the monitoring pipeline's Prometheus metrics: what the
// processor did, the matcher's size and age, and the stream's backlog.
func gsocMetrics(proc *monitor.Processor, ind *monitor.Indicators, b *bus.Bus) []prometheus.Collector {
	st := proc.Stats()
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	of := func(v *atomic.Int64) func() float64 { return func() float64 { return float64(v.Load()) } }
	var mu sync.Mutex
	var backlog float64
	var asked time.Time
	return []prometheus.Collector{
		counter("kyojo_gsoc_batches_total", "Sensor batches processed and applied.", of(&st.Batches)),
		counter("kyojo_gsoc_batches_skipped_total", "Sensor batches skipped as applied before (redelivered, a file read again).", of(&st.Skipped)),
		counter("kyojo_gsoc_batches_failed_total", "Sensor batches whose processing failed; the stream delivers them again.", of(&st.Failed)),
		counter("kyojo_gsoc_batches_in_memory_total", "Batches kept at ingest whose lines ingest handed to the processor in memory.", of(&st.InMemory)),
		counter("kyojo_gsoc_batches_read_back_total", "Batches kept at ingest that the processor read back from the raw event files (after a restart, or the hand-off full).", of(&st.ReadBack)),
		counter("kyojo_gsoc_events_total", "Sensor events accepted.", of(&st.Events)),
		counter("kyojo_gsoc_rejected_total", "Sensor lines (and undecodable batches) rejected; the reasons are on each sensor's health.", of(&st.Rejected)),
		counter("kyojo_gsoc_hits_total", "Indicator hits in sensor events (alerts aggregate them).", of(&st.Hits)),
		counter("kyojo_gsoc_busy_seconds_total", "Time spent processing batches, summed over workers.", func() float64 { return st.Busy().Seconds() }),
		gauge("kyojo_gsoc_indicators", "Indicators in the compiled matcher.", func() float64 { return float64(ind.Current().Len()) }),
		gauge("kyojo_gsoc_matcher_age_seconds", "Seconds since the matcher was last compiled in full.", func() float64 {
			if built := ind.Current().Built; !built.IsZero() {
				return time.Since(built).Seconds()
			}
			return 0
		}),
		gauge("kyojo_gsoc_backlog_batches", "Batches in the stream not yet processed (asked at most every 5 seconds).", func() float64 {
			mu.Lock()
			defer mu.Unlock()
			if time.Since(asked) > 5*time.Second {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				if n, err := b.Backlog(ctx); err == nil {
					backlog, asked = float64(n), time.Now()
				}
			}
			return backlog
		}),
	}
}
