package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/kyojo-hub/kyojo/internal/gctune"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/demo"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/ledger"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/server"
	"github.com/kyojo-hub/kyojo/internal/taxiiclient"
	"github.com/kyojo-hub/kyojo/internal/witness"
)

const serveHelp = `
Runs the hub: the web UI (Japanese first, English a click away), the REST API
under /api/v1 (OpenAPI at /api/v1/openapi.json), /healthz, /readyz and
/metrics. State lives in SQLite in the data directory unless --db names a
PostgreSQL database. The schema is migrated at start. SIGTERM or Ctrl-C stops
taking connections and finishes the requests in flight.

With --demo, a believable set of organisations, communities and people is
created (once; running again changes nothing) and their log-ins are printed.
The demo password is KYOJO_DEMO_PASSWORD when set, otherwise generated.`

func runServe(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "serve", "[flags]", serveHelp)
	printConfig := fs.Bool("print-config", false, "print the effective configuration (secrets masked) and exit")
	cfg, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if *printConfig {
		cfg.Print(env.Stdout)
		return nil
	}
	log := logger(cfg, env.Stderr)
	if gc, err := gctune.Apply(cfg.GCPercent, cfg.MemoryLimit); err == nil {
		log.Info("garbage collector", "settings", gc.String(), "from_environment", gc.FromEnv)
	}
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := identity.NewService(db, nil)
	defer svc.WaitTouches() // before the store closes
	if cfg.Demo {
		if err := seedDemo(ctx, env, cfg, svc); err != nil {
			return err
		}
		if err := seedRPZDemo(ctx, db, env); err != nil {
			return err
		}
	}
	var ev *evidence.Service
	var loops sync.WaitGroup
	loopCtx, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	if cfg.Ledger {
		lg, err := ledger.Open(filepath.Join(cfg.Data, "ledger"), ledger.Options{Origin: cfg.LedgerOrigin,
			CheckpointInterval: 10 * time.Second, Logger: log})
		if err != nil {
			return fmt.Errorf("ledger: %w", err)
		}
		defer lg.Close()
		ev = evidence.NewService(db.Evidence(), ledger.Evidence{Log: lg}, nil)
		loops.Add(2)
		go func() { defer loops.Done(); anchorLoop(loopCtx, ev, db, log) }()
		go func() { defer loops.Done(); ev.SweepLoop(loopCtx, time.Hour, log.Warn) }()
		if cfg.WitnessURL != "" {
			c := witness.Client{URL: cfg.WitnessURL, Token: cfg.WitnessToken}
			loops.Add(1)
			go func() { defer loops.Done(); witness.Loop(loopCtx, ev, c, time.Minute, log) }()
		}
		defer func() {
			stopLoops()
			loops.Wait()
			// Anchor what the last requests recorded before the ledger closes.
			if _, err := ev.Anchor(context.WithoutCancel(ctx), db); err != nil {
				log.Warn("final anchor", "err", err)
			}
		}()
	}
	iopt, err := intelOptions(cfg)
	if err != nil {
		return err
	}
	iv := intel.NewService(db.Intel(), db, iopt)
	taxiiKey, err := secretKey(cfg.TAXIIKey, filepath.Join(cfg.Data, "taxii.key"))
	if err != nil {
		return err
	}
	rpzRT, err := startRPZ(loopCtx, env, cfg, db, iopt.Decay, nil, log)
	if err != nil {
		return err
	}
	defer rpzRT.stop(context.WithoutCancel(ctx))
	services := server.Services{Identity: svc, Evidence: ev, Intel: iv}
	if rpzRT != nil {
		services.RPZStatus = rpzRT.status
	}
	inc, err := incidentService(cfg, db, iv, log)
	if err != nil {
		return err
	}
	loops.Add(1)
	go func() { defer loops.Done(); incidentSweepLoop(loopCtx, inc, log) }()
	defer inc.Close()
	services.Incidents = inc
	// GSOC alerts open or join incidents (by the rules, or by hand).
	mon, stopMonitoring, gsocCollectors, err := startMonitoring(ctx, cfg, db, ev, incident.AlertEscalator{S: inc}, log)
	if err != nil {
		return err
	}
	defer stopMonitoring()
	services.Monitor = mon
	partners, err := openPartners(cfg, db)
	if err != nil {
		return err
	}
	if cfg.Federation {
		// Exchanges with the registered partners (package partner).
		fed := &partner.Federation{Partners: partners, Intel: iv, Log: log,
			Connect: taxiiclient.Connector(cfg.FederationLocal, time.Minute)}
		loops.Add(1)
		go func() { defer loops.Done(); fed.Run(loopCtx, time.Second) }()
		defer func() { stopLoops(); loops.Wait() }()
	}
	services.Partners = partners
	handler, reg := server.Handler(services, server.Options{Log: log, Version: version,
		TrustProxy: cfg.TrustProxy, SecureCookie: cfg.SecureCookie, TAXIIKey: taxiiKey})
	if rpzRT != nil && rpzRT.resolver != nil {
		reg.MustRegister(rpzRT.resolver.Hits)
	}
	reg.MustRegister(gsocCollectors...)
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Listen, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go purgeLoop(ctx, svc, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	log.Info("kyojo serving", "url", url, "version", version, "db", db.Dialect(), "data", cfg.Data)
	fmt.Fprintf(env.Stdout, "kyojo is listening on %s\n", url)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "timeout", cfg.ShutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// secretKey returns the configured secret, or the one kept in path,
// creating it (32 random bytes, 0600) on first use.
func secretKey(configured, path string) ([]byte, error) {
	if configured != "" {
		return []byte(configured), nil
	}
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return nil, fmt.Errorf("keeping the TAXII key: %w", err)
	}
	return b, nil
}

// anchorLoop appends new audit records to the ledger every two seconds.
func anchorLoop(ctx context.Context, ev *evidence.Service, feed audit.Reader, log *slog.Logger) {
	t := time.NewTicker(2 * time.Second)
	defer t.Stop()
	for {
		if n, err := ev.Anchor(ctx, feed); err != nil && ctx.Err() == nil {
			log.Warn("anchor audit trail", "err", err)
		} else if n > 0 {
			log.Debug("anchored audit records", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// purgeLoop deletes expired sessions and form tokens every ten minutes.
func purgeLoop(ctx context.Context, svc *identity.Service, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		if err := svc.Purge(ctx); err != nil && ctx.Err() == nil {
			log.Warn("purge expired sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func seedDemo(ctx context.Context, env *Env, cfg config.Config, svc *identity.Service) error {
	pw := cfg.DemoPassword
	generated := false
	if pw == "" {
		pw = strings.ReplaceAll(identity.Secret(12), "_", "x")
		generated = true
	}
	if len([]rune(pw)) < identity.MinPassword {
		return fmt.Errorf("KYOJO_DEMO_PASSWORD must be at least %d characters", identity.MinPassword)
	}
	accounts, err := demo.Seed(ctx, svc, pw)
	if err != nil {
		return err
	}
	w := env.Stdout
	fmt.Fprintln(w, "Demo log-ins (username — organisation — role):")
	created := 0
	for _, a := range accounts {
		mark := ""
		if !a.Created {
			mark = "  (existed; password unchanged)"
		} else {
			created++
		}
		fmt.Fprintf(w, "  %-26s %-16s %s%s\n", a.Username, a.Org, a.Role, mark)
	}
	switch {
	case created == 0:
		fmt.Fprintln(w, "All demo accounts existed already; their passwords are the ones printed when they were created.")
	case generated:
		fmt.Fprintf(w, "Password of the accounts created now: %s\n(set KYOJO_DEMO_PASSWORD to choose it)\n", pw)
	default:
		fmt.Fprintln(w, "Password of the accounts created now: the value of KYOJO_DEMO_PASSWORD.")
	}
	return nil
}
