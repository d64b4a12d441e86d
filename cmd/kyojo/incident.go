package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/notify"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// incidentService builds the incident service from the configuration:
// evidence files in <data>/incident-evidence, notices by e-mail and
// webhook when configured.
func incidentService(cfg config.Config, db *store.DB, iv *intel.Service, log *slog.Logger) (*incident.Service, error) {
	blobs, err := blobstore.Open(filepath.Join(cfg.Data, "incident-evidence"))
	if err != nil {
		return nil, err
	}
	slas, err := incident.ParseSLAs(cfg.IncidentSLA)
	if err != nil {
		return nil, err
	}
	maxEv, err := cfg.IncidentMaxEvidenceBytes()
	if err != nil {
		return nil, err
	}
	at, _ := incident.ParseLevel(cfg.IncidentEscalateAt)
	var sender incident.Sender
	if cfg.SMTPAddr != "" || cfg.WebhookURL != "" {
		sender = notify.New(notify.Options{SMTPAddr: cfg.SMTPAddr, From: cfg.SMTPFrom, WebhookURL: cfg.WebhookURL,
			WebhookSecret: []byte(cfg.WebhookSecret), Log: log})
	}
	return incident.NewService(db.Incidents(), db, blobs, iv, sender, incident.Options{HubOrg: cfg.IncidentHubOrg, SLAs: slas,
		EscalateAt: &at, EscalateOrgs: cfg.IncidentEscalateOrgs(), MaxEvidence: maxEv})
}

// incidentSweepLoop notifies overdue cases and tasks every minute.
func incidentSweepLoop(ctx context.Context, inc *incident.Service, log *slog.Logger) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		if n, err := inc.Sweep(ctx); err != nil && ctx.Err() == nil {
			log.Warn("incident SLA sweep", "err", err)
		} else if n > 0 {
			log.Info("incident SLA sweep", "overdue", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

const incidentHelp = `Work incident cases as a person (what they may see and do, audited as via "cli"):

  kyojo incident list   --user NAME [--query 'status=triage&severity=high'] [--format text|csv|json]
  kyojo incident report --user NAME [--title T] < report.txt   (free text: fields and observables are read)
  kyojo incident show   --user NAME ID
  kyojo incident export --user NAME --format json|csv|stix ID
  kyojo incident sweep                                          (notify overdue SLAs once, as the system)`

// runIncident is the incident command.
func runIncident(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, incidentHelp)
		return errUsage
	}
	sub := args[0]
	fs := flags(env, "incident "+sub, "--user NAME [flags]", incidentHelp)
	user := fs.String("user", "", "act as this person")
	query := fs.String("query", "", "list filter, as the API's query string")
	format := fs.String("format", "", "list: text, csv or json; export: json, csv or stix")
	title := fs.String("title", "", "report: the title (else read from the text)")
	cfg, err := load(env, fs, args[1:])
	if err != nil {
		return err
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	log := logger(cfg, env.Stderr)
	db, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer db.Close()
	iv := intel.NewService(db.Intel(), db, intel.Options{DefaultTLP: policy.TLP(cfg.DefaultTLP)})
	inc, err := incidentService(cfg, db, iv, log)
	if err != nil {
		return err
	}
	defer inc.Close()
	if sub == "sweep" {
		n, err := inc.Sweep(ctx)
		fmt.Fprintf(env.Stdout, "%d overdue notified\n", n)
		return err
	}
	if *user == "" {
		fmt.Fprintln(env.Stderr, "kyojo incident: --user is required: a person's view and rights apply")
		return errUsage
	}
	a, err := personActor(ctx, db, *user, policy.ScopeWrite)
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.Stdout)
	out.SetIndent("", "  ")
	switch sub {
	case "list":
		f, err := incident.ParseQuery(*query)
		if err != nil {
			return err
		}
		list, err := inc.List(ctx, a, f)
		if err != nil {
			return err
		}
		switch *format {
		case "json":
			return out.Encode(list)
		case "csv":
			_, err = env.Stdout.Write(incident.ListCSV(list))
			return err
		}
		for _, in := range list {
			fmt.Fprintf(env.Stdout, "%s\t%-9s\t%-9s\t%s\t%s\n", in.Ref, in.Status, in.Severity, in.ID, in.Title)
		}
		return nil
	case "report":
		b, err := io.ReadAll(io.LimitReader(env.Stdin, incident.MaxReport+1))
		if err != nil {
			return err
		}
		p, err := incident.ParseReport(string(b))
		if err != nil {
			return err
		}
		if *title != "" {
			p.Title = *title
		}
		in, err := inc.Report(ctx, a, p.ReportInput)
		if err != nil {
			return err
		}
		return out.Encode(in)
	case "show", "export":
		if fs.NArg() != 1 {
			fmt.Fprintln(env.Stderr, "kyojo incident "+sub+": give the case's id")
			return errUsage
		}
		if sub == "show" {
			v, err := inc.Get(ctx, a, fs.Arg(0))
			if err != nil {
				return err
			}
			return out.Encode(v)
		}
		b, _, err := inc.Export(ctx, a, fs.Arg(0), *format)
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(b)
		return err
	}
	fmt.Fprintln(env.Stderr, incidentHelp)
	return errUsage
}
