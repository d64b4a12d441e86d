package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/kyojo-hub/kyojo/internal/blobstore"
	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/notify"
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
