package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

const alertHelp = `Usage:
  kyojo alert list  --user NAME [--org H] [--since 24h] [--severity 1-4] [--kind K] [--sensor ID] [--limit N] [--json]
  kyojo alert show  --user NAME ID     the alert and the raw event lines behind it
  kyojo alert batch --user NAME BATCH  a kept batch of raw events, as stored (S2, zstd or gzip), to standard output
  kyojo alert escalate --user NAME ID  send the alert to an incident (opened, or the open one it belongs to)

GSOC alerts as a person sees them: the person's view and rights apply (an
organisation's own alerts; every alert for the GSOC). Reads are audited as
in the UI and the API.`

func runAlert(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || !slices.Contains([]string{"list", "show", "batch", "escalate"}, args[0]) {
		fmt.Fprintln(env.Stderr, alertHelp)
		return errUsage
	}
	sub := args[0]
	fs := flags(env, "alert "+sub, "--user NAME [flags]", alertHelp)
	user := fs.String("user", "", "act as this person")
	org := fs.String("org", "", "list: only this organisation (handle or id)")
	since := fs.Duration("since", 0, "list: only alerts last seen within this long, e.g. 24h")
	severity := fs.Int("severity", 0, "list: only this severe or worse, 1 (high) to 4 (low)")
	kind := fs.String("kind", "", "list: only this kind of value: ip, domain, url, hash, email, ja3, user_agent, pattern")
	sensor := fs.String("sensor", "", "list: only this sensor (its id)")
	limit := fs.Int("limit", 100, "list: at most this many, up to 1000")
	asJSON := fs.Bool("json", false, "print JSON")
	cfg, err := load(env, fs, args[1:])
	if err != nil {
		return err
	}
	if *user == "" {
		fmt.Fprintln(env.Stderr, "kyojo alert: --user is required: a person's view and rights apply")
		return errUsage
	}
	if (sub == "list") != (fs.NArg() == 0) {
		fmt.Fprintln(env.Stderr, alertHelp)
		return errUsage
	}
	if *severity < 0 || *severity > 4 || *limit < 1 || *limit > 1000 || *since < 0 {
		return fmt.Errorf("--severity is 1 to 4, --limit 1 to 1000, --since a positive duration")
	}
	svc, _, db, closeAll, err := openMonitor(ctx, env, cfg, sub == "escalate")
	if err != nil {
		return err
	}
	defer closeAll()
	scope := policy.ScopeRead
	if sub == "escalate" {
		scope = policy.ScopeWrite
	}
	a, err := personActor(ctx, db, *user, scope)
	if err != nil {
		return err
	}
	out := json.NewEncoder(env.Stdout)
	out.SetIndent("", "  ")
	switch sub {
	case "list":
		f := monitor.AlertFilter{Kind: *kind, SensorID: *sensor, MaxSeverity: *severity, Limit: *limit}
		if *since > 0 {
			f.Since = time.Now().Add(-*since)
		}
		if *org != "" {
			ref, err := orgRef(ctx, db, *org)
			if err != nil {
				return err
			}
			f.OrgIDs = []string{ref.ID}
		}
		list, err := svc.Alerts(ctx, a, f)
		if err != nil {
			return err
		}
		if *asJSON {
			return out.Encode(list)
		}
		tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tSEV\tCOUNT\tLAST SEEN\tKIND\tVALUE\tINDICATOR\tINCIDENT")
		for _, al := range list {
			fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", al.ID, al.Severity, al.Count, al.LastSeen.UTC().Format(time.RFC3339),
				al.Kind, al.Value, al.Name, dash(al.Incident))
		}
		return tw.Flush()
	case "show":
		al, err := svc.Alert(ctx, a, fs.Arg(0))
		if err != nil {
			return err
		}
		lines, kept, err := svc.AlertEvidence(ctx, a, al.ID)
		if err != nil {
			return err
		}
		if *asJSON {
			return out.Encode(map[string]any{"alert": al, "events": lines, "batches": kept})
		}
		fmt.Fprintf(env.Stdout, "alert %s: %s %s (indicator %s), severity %d, %d hits %s – %s\n", al.ID, al.Kind, al.Value, al.Name,
			al.Severity, al.Count, al.FirstSeen.UTC().Format(time.RFC3339), al.LastSeen.UTC().Format(time.RFC3339))
		for _, k := range kept {
			fmt.Fprintf(env.Stdout, "kept batch %s from sensor %s, received %s: %d bytes, SHA-256 %s\n", k.ID, k.SensorID,
				k.ReceivedAt.UTC().Format(time.RFC3339), k.Bytes, k.SHA256)
		}
		fmt.Fprintf(env.Stdout, "%d raw event lines with %q:\n%s\n", len(lines), al.Observed, strings.Join(lines, "\n"))
		return nil
	case "escalate":
		al, err := svc.Escalate(ctx, a, fs.Arg(0))
		if err != nil {
			return err
		}
		if *asJSON {
			return out.Encode(al)
		}
		fmt.Fprintf(env.Stdout, "alert %s is in incident %s\n", al.ID, al.Incident)
		return nil
	default: // batch
		r, err := svc.RawBatch(ctx, a, fs.Arg(0))
		if err != nil {
			return err
		}
		_, err = env.Stdout.Write(r.Data)
		return err
	}
}
