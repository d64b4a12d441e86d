package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store"
	"github.com/kyojo-hub/kyojo/internal/taxiiclient"
)

// openPartners returns the partner registry of db, sealing credentials
// with --partner-key or the key kept in DATA/partner.key (made on first
// use; every node of a hub needs the same one).
func openPartners(cfg config.Config, db *store.DB) (*partner.Service, error) {
	key, err := secretKey(cfg.PartnerKey, filepath.Join(cfg.Data, "partner.key"))
	if err != nil {
		return nil, fmt.Errorf("partner key: %w", err)
	}
	seal, err := partner.NewSealer(key)
	if err != nil {
		return nil, err
	}
	return partner.NewService(db.Partners(), db, seal, nil), nil
}

const partnerUsage = "Usage: kyojo partner add|list|show|remove|sync [flags]   (add --help for details)"

func runPartner(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, partnerUsage)
		return errUsage
	}
	switch args[0] {
	case "add":
		return partnerAdd(ctx, env, args[1:])
	case "list":
		return partnerList(ctx, env, args[1:])
	case "show":
		return partnerShow(ctx, env, args[1:])
	case "remove":
		return partnerRemove(ctx, env, args[1:])
	case "sync":
		return partnerSync(ctx, env, args[1:])
	}
	fmt.Fprintln(env.Stderr, partnerUsage)
	return errUsage
}

// openRegistry loads the configuration and opens the registry.
func openRegistry(ctx context.Context, env *Env, fs *flag.FlagSet, args []string) (*partner.Service, *store.DB, config.Config, error) {
	cfg, err := load(env, fs, args)
	if err != nil {
		return nil, nil, cfg, err
	}
	if cfg.LogLevel == "info" {
		cfg.LogLevel = "warn"
	}
	db, err := openStore(ctx, cfg, logger(cfg, env.Stderr))
	if err != nil {
		return nil, nil, cfg, err
	}
	svc, err := openPartners(cfg, db)
	if err != nil {
		db.Close()
		return nil, nil, cfg, err
	}
	return svc, db, cfg, nil
}

func split(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func partnerAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "partner add", "--slug H --name N --country CC --org ORG --api-root URL --collection ID --direction D [flags] < secret", `
Registers a federation partner: a foreign CSIRT, a partner hub, a MISP or
OpenCTI instance with a TAXII 2.1 server. --org is the member organisation
that stands for the partner on this hub (its viewer for what may leave, the
author of what is pulled). The credential this hub uses at the partner (an
API token or password) is read from standard input and stored encrypted.
TLP:RED, named-recipient and need-to-know objects never leave, whatever
--markings says.`)
	var in partner.Input
	fs.StringVar(&in.Slug, "slug", "", "handle of the partner, e.g. cert-fr")
	fs.StringVar(&in.Name, "name", "", "name")
	fs.StringVar(&in.Country, "country", "", "ISO 3166-1 alpha-2 country code")
	fs.StringVar(&in.Org, "org", "", "member organisation that stands for the partner here")
	fs.StringVar(&in.APIRoot, "api-root", "", "the partner's TAXII API root URL, e.g. https://hub.example/taxii2/kyojo/")
	fs.StringVar(&in.Collection, "collection", "", "collection id on the partner")
	dir := fs.String("direction", "both", "pull, push or both")
	auth := fs.String("auth", "basic", "basic (--username and the secret) or bearer (the secret as token)")
	fs.StringVar(&in.Username, "username", "", "user name for Basic authentication")
	markings := fs.String("markings", "clear,green", "TLP levels that may leave, comma-separated")
	types := fs.String("types", "", "STIX types that may leave, comma-separated (empty: every type)")
	comms := fs.String("communities", "", "communities whose objects may leave (empty: any the partner may see)")
	inbound := fs.String("inbound", "", "communities what is pulled is shared with (the organisation must be a member)")
	fs.StringVar(&in.Interval, "interval", "5m", "time between exchanges")
	cname := fs.String("contact-name", "", "point of contact: name")
	cmail := fs.String("contact-email", "", "point of contact: e-mail")
	asJSON := fs.Bool("json", false, "print the partner as JSON")
	svc, db, _, err := openRegistry(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer db.Close()
	in.Direction, in.Auth = partner.Direction(*dir), partner.Auth(*auth)
	for _, m := range split(*markings) {
		in.Markings = append(in.Markings, policy.TLP(m))
	}
	in.Types, in.Communities, in.Inbound = split(*types), split(*comms), split(*inbound)
	if *cname != "" {
		in.Contacts = []identity.Contact{{Name: *cname, Email: *cmail}}
	}
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	in.Secret = strings.TrimSpace(line)
	if in.Secret == "" && err != nil {
		return fmt.Errorf("give the partner credential on standard input")
	}
	p, err := svc.Create(ctx, cliActor(env), in)
	if err != nil {
		return describeErr(err)
	}
	if *asJSON {
		return printJSON(env, p)
	}
	fmt.Fprintf(env.Stdout, "partner %s added (%s, %s %s)\n", p.Slug, p.Direction, p.APIRoot, p.Collection)
	return nil
}

func printJSON(env *Env, v any) error {
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func viewOf(p partner.Partner) partner.View { return partner.ViewOf(p, time.Now()) }

func partnerList(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "partner list", "[flags]", "Lists the federation partners with their health.")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	svc, db, _, err := openRegistry(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer db.Close()
	ps, err := svc.List(ctx, cliActor(env))
	if err != nil {
		return err
	}
	views := []partner.View{}
	for _, p := range ps {
		views = append(views, viewOf(p))
	}
	if *asJSON {
		return printJSON(env, views)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HANDLE\tCOUNTRY\tDIRECTION\tHEALTH\tLAST SUCCESS\tAPI ROOT\tCOLLECTION")
	for _, v := range views {
		last := "-"
		if !v.State.LastSuccess.IsZero() {
			last = v.State.LastSuccess.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Slug, v.Country, v.Direction, v.Health, last, v.APIRoot, v.Collection)
	}
	return tw.Flush()
}

func partnerShow(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "partner show", "HANDLE [flags]", "Shows a partner, its health and its latest exchanges.")
	limit := fs.Int("exchanges", 20, "how many exchanges to show")
	asJSON := fs.Bool("json", false, "print JSON")
	ref, rest := firstArg(args)
	svc, db, _, err := openRegistry(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer db.Close()
	if ref == "" {
		ref = fs.Arg(0)
	}
	p, ex, err := svc.Exchanges(ctx, cliActor(env), ref, *limit)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env, struct {
			Partner   partner.View       `json:"partner"`
			Exchanges []partner.Exchange `json:"exchanges"`
		}{viewOf(p), ex})
	}
	v := viewOf(p)
	fmt.Fprintf(env.Stdout, "%s (%s, %s) — %s, health %s\n%s collection %s\n", p.Name, p.Slug, p.Country, p.Direction, v.Health, p.APIRoot, p.Collection)
	if p.State.LastError != "" {
		fmt.Fprintf(env.Stdout, "last error: %s\n", p.State.LastError)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tDIRECTION\tIN\tOUT\tFAILED\tERROR")
	for _, e := range ex {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\n", e.At.Format(time.RFC3339), e.Direction, e.ObjectsIn, e.ObjectsOut, e.Failed, dash(e.Error))
	}
	return tw.Flush()
}

// firstArg splits a leading positional argument from the flags.
func firstArg(args []string) (string, []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func partnerRemove(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "partner remove", "HANDLE", "Removes a partner, its credential and its exchange records.")
	ref, rest := firstArg(args)
	svc, db, _, err := openRegistry(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := svc.Delete(ctx, cliActor(env), ref); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "partner %s removed\n", ref)
	return nil
}

func partnerSync(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "partner sync", "HANDLE [flags]", `
Exchanges with a partner now, as "kyojo serve" does on its schedule, and
prints what moved. Uses --federation-allow-private like serve.`)
	ref, rest := firstArg(args)
	svc, db, cfg, err := openRegistry(ctx, env, fs, rest)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := svc.Get(ctx, cliActor(env), ref)
	if err != nil {
		return err
	}
	iv := intel.NewService(db.Intel(), db, intel.Options{DefaultTLP: policy.TLP(cfg.DefaultTLP)})
	fed := &partner.Federation{Partners: svc, Intel: iv, Connect: taxiiclient.Connector(cfg.FederationLocal, time.Minute)}
	xerr := fed.Exchange(ctx, p)
	_, ex, err := svc.Exchanges(ctx, cliActor(env), ref, 2)
	if err != nil {
		return err
	}
	for i := len(ex) - 1; i >= 0; i-- {
		e := ex[i]
		if e.At.Before(time.Now().Add(-time.Hour)) {
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: %d in, %d out, %d failed %s\n", e.Direction, e.ObjectsIn, e.ObjectsOut, e.Failed, e.Error)
	}
	return xerr
}
