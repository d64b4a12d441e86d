package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/gctune"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/store/postgres"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

// errUsage reports a usage error that was already explained (exit 2);
// errHelp that help was asked for and shown (exit 0).
var (
	errUsage = errors.New("usage")
	errHelp  = errors.New("help")
)

// flags returns a flag set for a subcommand whose help starts with synopsis
// and describe.
func flags(env *Env, name, synopsis, describe string) *flag.FlagSet {
	fs := flag.NewFlagSet("kyojo "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: kyojo %s %s\n\n%s\n\nFlags:\n", name, synopsis, strings.TrimSpace(describe))
		fs.PrintDefaults()
	}
	return fs
}

// load parses args into a Config plus the subcommand's own flags on fs.
func load(env *Env, fs *flag.FlagSet, args []string) (config.Config, error) {
	cfg, err := config.Load(fs, args, env.Environ)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return cfg, errHelp
	case errors.Is(err, config.ErrFlags):
		return cfg, errUsage
	case err != nil:
		return cfg, err
	}
	// Every command that loads the configuration is a hub process: the
	// collector is tuned as for kyojo serve (validated by Load).
	gctune.Apply(cfg.GCPercent, cfg.MemoryLimit)
	return cfg, nil
}

// logger returns the structured logger the configuration asks for.
func logger(cfg config.Config, w io.Writer) *slog.Logger {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: lvl}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openStore opens (and migrates) the configured database.
func openStore(ctx context.Context, cfg config.Config, log *slog.Logger) (*store.DB, error) {
	if cfg.DB != "" {
		return postgres.Open(ctx, cfg.DB, log)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return sqlite.Open(ctx, filepath.Join(cfg.Data, "kyojo.db"), log)
}

// personActor is the actor of a command run as a person (--user): that
// person's view and rights apply, with scope, as if signed in.
func personActor(ctx context.Context, db *store.DB, username string, scope policy.Scope) (identity.Actor, error) {
	u, err := db.UserByUsername(ctx, username)
	if err != nil {
		return identity.Actor{}, fmt.Errorf("no user %q", username)
	}
	o, err := db.Org(ctx, u.OrgID)
	if err != nil {
		return identity.Actor{}, err
	}
	return identity.ActorForOrg(u, o, scope, identity.Actor{Remote: "cli", Via: "cli"}), nil
}

// cliActor is the actor of administrative commands: a hub administrator
// named after the operating-system user, so the audit trail says who.
func cliActor(env *Env) identity.Actor {
	a := identity.System("cli")
	for _, kv := range env.Environ {
		if u, ok := strings.CutPrefix(kv, "USER="); ok && u != "" {
			a.Username = "cli:" + u
		}
	}
	return a
}

// openService loads the configuration, opens the store and returns the
// identity service, with a close function.
func openService(ctx context.Context, env *Env, fs *flag.FlagSet, args []string) (*identity.Service, func(), error) {
	cfg, err := load(env, fs, args)
	if err != nil {
		return nil, nil, err
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn" // administrative commands print only what matters
	}
	db, err := openStore(ctx, cfg, logger(cfg, env.Stderr))
	if err != nil {
		return nil, nil, err
	}
	return identity.NewService(db, nil), func() { db.Close() }, nil
}

// openIntel is openService for the intelligence commands: it returns the
// intel service and the database.
func openIntel(ctx context.Context, env *Env, fs *flag.FlagSet, args []string) (*intel.Service, func(), *store.DB, error) {
	cfg, err := load(env, fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	db, err := openStore(ctx, cfg, logger(cfg, env.Stderr))
	if err != nil {
		return nil, nil, nil, err
	}
	opt, err := intelOptions(cfg)
	if err != nil {
		db.Close()
		return nil, nil, nil, err
	}
	svc := intel.NewService(db.Intel(), db, opt)
	return svc, func() { db.Close() }, db, nil
}

// intelOptions reads the intelligence settings of cfg.
func intelOptions(cfg config.Config) (intel.Options, error) {
	d, err := intel.ParseDecay(cfg.Decay)
	if err != nil {
		return intel.Options{}, fmt.Errorf("--decay: %w", err)
	}
	return intel.Options{DefaultTLP: policy.TLP(cfg.DefaultTLP), Decay: d}, nil
}

// orgRef finds an organisation by handle or id.
func orgRef(ctx context.Context, db *store.DB, ref string) (identity.Org, error) {
	o, err := db.OrgBySlug(ctx, ref)
	if err == nil {
		return o, nil
	}
	if o, err := db.Org(ctx, ref); err == nil {
		return o, nil
	}
	return identity.Org{}, fmt.Errorf("no organisation %q", ref)
}

func newUUID() string { return uuid.NewString() }
