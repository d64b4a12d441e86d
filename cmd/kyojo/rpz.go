package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kyojo-hub/kyojo/internal/config"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
	"github.com/kyojo-hub/kyojo/internal/rpzdns"
	"github.com/kyojo-hub/kyojo/internal/store"
)

// The demo's RPZ feed and its keyless loopback subscriber.
const (
	demoFeedID = "00000000-0000-7000-8000-00000000feed"
	demoSubID  = "00000000-0000-7000-8000-0000000005b5"
	demoZone   = "rpz.kyojo.demo."
	demoWarn   = "warn.kyojo.demo."
)

// seedRPZDemo defines, once, the demo feed rpz.kyojo.demo. (walled garden
// to warn.kyojo.demo.) and the subscriber demo-localhost: the ISP Kumo Net,
// transferring from 127.0.0.1 and ::1 without a key.
func seedRPZDemo(ctx context.Context, db *store.DB, env *Env) error {
	svc := rpz.NewService(db, nil)
	feeds, err := db.RPZFeeds(ctx)
	if err != nil {
		return err
	}
	for _, f := range feeds {
		if f.ID == demoFeedID {
			return nil
		}
	}
	a := cliActor(env)
	if _, err := svc.AddFeed(ctx, a, rpz.Feed{ID: demoFeedID, Zone: demoZone, Description: "demo: every domain indicator scoring 20 or more",
		MinScore: 20, Action: rpz.Walled, WarnHost: demoWarn, TTL: 60}); err != nil {
		return fmt.Errorf("demo RPZ feed: %w", err)
	}
	isp, err := db.OrgBySlug(ctx, "kumo-net")
	if err != nil {
		return fmt.Errorf("demo RPZ subscriber: %w", err)
	}
	_, err = svc.AddSubscriber(ctx, a, rpz.Subscriber{ID: demoSubID, Name: "demo-localhost", OrgID: isp.ID, Feeds: []string{demoFeedID},
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}})
	if err != nil {
		return fmt.Errorf("demo RPZ subscriber: %w", err)
	}
	return nil
}

// rpzRuntime is the DNS side of serve.
type rpzRuntime struct {
	status   rpz.Status
	server   *rpzdns.Server
	resolver *rpzdns.Resolver
	cancel   context.CancelFunc
	done     chan struct{}
}

// startRPZ runs the zone engine, and the RPZ server and the filtering
// resolver where the configuration says. It returns nil when neither runs.
func startRPZ(ctx context.Context, env *Env, cfg config.Config, db *store.DB, decay intel.Decay, _ *prometheus.Registry, log *slog.Logger) (*rpzRuntime, error) {
	if cfg.RPZListen == "" && cfg.DNSListen == "" {
		return nil, nil
	}
	eng := &rpzdns.Engine{Intel: db.Intel(), Defs: db, Dir: db, Journal: db, Decay: decay, Log: log}
	rt := &rpzRuntime{done: make(chan struct{})}
	var lctx context.Context
	lctx, rt.cancel = context.WithCancel(ctx)
	if err := eng.Refresh(lctx); err != nil {
		return nil, fmt.Errorf("rpz: first load: %w", err)
	}
	if cfg.RPZListen != "" {
		rt.server = &rpzdns.Server{Engine: eng, Log: log}
		eng.OnChange = rt.server.Notify
		addr, err := rt.server.Start(cfg.RPZListen)
		if err != nil {
			return nil, err
		}
		log.Info("rpz zones served", "addr", addr, "zones", len(eng.All()))
		fmt.Fprintf(env.Stdout, "kyojo serves RPZ zones on %s (udp and tcp)\n", addr)
	}
	if cfg.DNSListen != "" {
		res, err := newResolver(cfg, db, eng, log)
		if err != nil {
			return nil, err
		}
		addr, err := res.Start(cfg.DNSListen)
		if err != nil {
			return nil, err
		}
		rt.resolver = res
		log.Info("filtering resolver", "addr", addr, "upstreams", res.Upstreams, "isp", res.ISP)
		fmt.Fprintf(env.Stdout, "kyojo's filtering resolver listens on %s (udp and tcp)\n", addr)
	}
	rt.status = rpzdns.Status{Engine: eng, Resolver: rt.resolver}
	go func() { defer close(rt.done); eng.Run(lctx, time.Second) }()
	return rt, nil
}

func newResolver(cfg config.Config, db *store.DB, eng *rpzdns.Engine, log *slog.Logger) (*rpzdns.Resolver, error) {
	name := cfg.DNSSubscriber
	if name == "" && cfg.Demo {
		name = "demo-localhost"
	}
	if name == "" {
		return nil, errs.F(errs.Invalid, "dns-subscriber", "the filtering resolver needs --dns-subscriber: whose policy it applies")
	}
	subs, err := db.RPZSubscribers(context.Background())
	if err != nil {
		return nil, err
	}
	var sub *rpz.Subscriber
	for i := range subs {
		if subs[i].Name == name {
			sub = &subs[i]
		}
	}
	if sub == nil {
		return nil, fmt.Errorf("--dns-subscriber: no RPZ subscriber %q", name)
	}
	isp := sub.OrgID
	if o, err := db.Org(context.Background(), sub.OrgID); err == nil {
		isp = o.Slug
	}
	ups := splitList(cfg.DNSUpstream)
	if len(ups) == 0 {
		return nil, errs.F(errs.Invalid, "dns-upstream", "the filtering resolver needs --dns-upstream host:port[,host:port]")
	}
	for i, u := range ups {
		if _, _, err := net.SplitHostPort(u); err != nil {
			ups[i] = net.JoinHostPort(u, "53")
		}
	}
	var warn []netip.Addr
	for _, s := range splitList(cfg.DNSWarnAddr) {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, errs.F(errs.Invalid, "dns-warn-addr", "%q is not an address", s)
		}
		warn = append(warn, a)
	}
	if len(warn) == 0 {
		if ap, err := netip.ParseAddrPort(cfg.Listen); err == nil && !ap.Addr().IsUnspecified() {
			warn = append(warn, ap.Addr())
		}
	}
	hits := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "kyojo_rpz_hits_total",
		Help: "Filtering resolver answers changed by policy, by feed zone and ISP."}, []string{"feed", "isp"})
	return &rpzdns.Resolver{Engine: eng, Subscriber: sub.ID, ISP: isp, Upstreams: ups, WarnAddrs: warn, Log: log, Hits: hits}, nil
}

func (rt *rpzRuntime) stop(ctx context.Context) {
	if rt == nil {
		return
	}
	rt.cancel()
	<-rt.done
	if rt.server != nil {
		rt.server.Shutdown(ctx)
	}
	if rt.resolver != nil {
		rt.resolver.Shutdown(ctx)
	}
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func runRPZ(ctx context.Context, env *Env, args []string) error {
	use := "Usage: kyojo rpz feed add|list | subscriber add|list | allow add NAME | reports   (--help on each)"
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, use)
		return errUsage
	}
	switch strings.Join(args[:min(2, len(args))], " ") {
	case "feed add":
		return rpzFeedAdd(ctx, env, args[2:])
	case "feed list":
		return rpzList(ctx, env, "feed list", args[2:])
	case "subscriber add":
		return rpzSubscriberAdd(ctx, env, args[2:])
	case "subscriber list":
		return rpzList(ctx, env, "subscriber list", args[2:])
	case "allow add":
		return rpzAllowAdd(ctx, env, args[2:])
	}
	if args[0] == "reports" {
		return rpzList(ctx, env, "reports", args[1:])
	}
	fmt.Fprintln(env.Stderr, use)
	return errUsage
}

func openRPZ(ctx context.Context, env *Env, fs *flag.FlagSet, args []string) (*rpz.Service, *store.DB, func(), error) {
	_, closeFn, db, err := openIntel(ctx, env, fs, args)
	if err != nil {
		return nil, nil, nil, err
	}
	return rpz.NewService(db, nil), db, closeFn, nil
}

func rpzFeedAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "rpz feed add", "--zone ZONE [flags]", `
Defines an RPZ feed: a policy zone of the domains (and the host parts of
URLs) of current indicators scoring at least --min-score, that each
subscriber receives as far as its organisation may see them.`)
	var f rpz.Feed
	fs.StringVar(&f.ID, "id", "", "replace the feed with this id")
	fs.StringVar(&f.Zone, "zone", "", "the zone's name, e.g. rpz.kyojo.example")
	fs.StringVar(&f.Description, "description", "", "what the feed is for")
	fs.Float64Var(&f.MinScore, "min-score", 50, "indicators scoring at least this (0-100)")
	kinds := fs.String("kinds", "domain,url-host", "which values: domain, url-host")
	tlp := fs.String("max-tlp", "", "the most restricted marking taken (clear, green, amber, amber+strict, red); empty: any the subscriber may see")
	comms := fs.String("communities", "", "only objects shared to these community ids, comma-separated")
	action := fs.String("action", "nxdomain", "nxdomain, nodata or walled")
	fs.StringVar(&f.WarnHost, "warn-host", "", "walled garden: the warning page's host")
	ttl := fs.Uint("ttl", 300, "record TTL in seconds")
	svc, _, closeFn, err := openRPZ(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	f.Kinds, f.MaxTLP, f.Communities, f.Action, f.TTL = splitList(*kinds), policy.TLP(*tlp), splitList(*comms), rpz.Action(*action), uint32(*ttl)
	f, err = svc.AddFeed(ctx, cliActor(env), f)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "feed %s serves %s\n%s\n", f.Zone, f.Action, f.ID)
	return nil
}

func rpzSubscriberAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "rpz subscriber add", "--name NAME --org HANDLE --feed ID --allow CIDR [flags]", `
Defines a subscriber: an ISP's name server that transfers feeds from the
addresses in --allow, with a TSIG hmac-sha256 key (--key-name; --secret, or
a new one generated and printed once), and is sent NOTIFY at --notify.`)
	var s rpz.Subscriber
	fs.StringVar(&s.Name, "name", "", "a handle for the subscriber, e.g. kumo-ns1")
	org := fs.String("org", "", "the subscribing organisation (handle or id): its visibility decides the zone")
	feeds := fs.String("feed", "", "feed ids, comma-separated")
	fs.StringVar(&s.KeyName, "key-name", "", "TSIG key name (hmac-sha256); empty: no key, addresses only")
	fs.StringVar(&s.Secret, "secret", "", "TSIG secret, base64 (generated when --key-name is given without it)")
	allow := fs.String("allow", "", "addresses or networks that may transfer, comma-separated")
	notify := fs.String("notify", "", "host:port to send NOTIFY to, comma-separated")
	svc, db, closeFn, err := openRPZ(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	o, err := orgRef(ctx, db, *org)
	if err != nil {
		return err
	}
	s.OrgID, s.Feeds, s.Notify = o.ID, splitList(*feeds), splitList(*notify)
	for _, a := range splitList(*allow) {
		p, err := netip.ParsePrefix(a)
		if err != nil {
			addr, err2 := netip.ParseAddr(a)
			if err2 != nil {
				return errs.F(errs.Invalid, "allow", "%q is not an address or network", a)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		s.Allow = append(s.Allow, p)
	}
	generated := false
	if s.KeyName != "" && s.Secret == "" {
		b := make([]byte, 32)
		rand.Read(b)
		s.Secret, generated = base64.StdEncoding.EncodeToString(b), true
	}
	s, err = svc.AddSubscriber(ctx, cliActor(env), s)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "subscriber %s (%s)\n", s.Name, o.Slug)
	if generated {
		fmt.Fprintf(env.Stdout, "TSIG key (shown once): key \"%s\" { algorithm hmac-sha256; secret \"%s\"; };\n", s.KeyName, s.Secret)
	}
	fmt.Fprintln(env.Stdout, s.ID)
	return nil
}

func rpzAllowAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "rpz allow add", "NAME [--reason TEXT]", "Allows a name and its subdomains: no zone lists them, the resolver never blocks them.")
	reason := fs.String("reason", "", "why")
	svc, _, closeFn, err := openRPZ(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	if fs.NArg() != 1 {
		return errs.E(errs.Invalid, "give one name to allow")
	}
	a, err := svc.AddAllow(ctx, cliActor(env), rpz.Allow{Name: fs.Arg(0), Reason: *reason})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "allowed %s\n", a.Name)
	return nil
}

func rpzList(ctx context.Context, env *Env, what string, args []string) error {
	fs := flags(env, "rpz "+what, "[--json]", "Lists the RPZ "+strings.TrimSuffix(what, " list")+"s.")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	status := fs.String("status", "open", "reports: open, accepted, rejected or all")
	svc, _, closeFn, err := openRPZ(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	a := cliActor(env)
	var v any
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	switch what {
	case "feed list":
		fs, err := svc.Feeds(ctx, a)
		if err != nil {
			return err
		}
		v = fs
		fmt.Fprintln(tw, "ZONE\tACTION\tMIN SCORE\tKINDS\tMAX TLP\tID")
		for _, f := range fs {
			fmt.Fprintf(tw, "%s\t%s\t%g\t%s\t%s\t%s\n", f.Zone, f.Action, f.MinScore, strings.Join(f.Kinds, ","), dash(string(f.MaxTLP)), f.ID)
		}
	case "subscriber list":
		ss, err := svc.Subscribers(ctx, a)
		if err != nil {
			return err
		}
		v = ss
		fmt.Fprintln(tw, "NAME\tORG\tKEY\tALLOW\tNOTIFY\tFEEDS")
		for _, s := range ss {
			var allow []string
			for _, p := range s.Allow {
				allow = append(allow, p.String())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\n", s.Name, s.OrgID, dash(s.KeyName), strings.Join(allow, ","), dash(strings.Join(s.Notify, ",")), len(s.Feeds))
		}
	default:
		st := *status
		if st == "all" {
			st = ""
		}
		rs, err := svc.Reports(ctx, a, st)
		if err != nil {
			return err
		}
		v = rs
		fmt.Fprintln(tw, "CREATED\tNAME\tSTATUS\tREMOTE\tREASON\tID")
		for _, r := range rs {
			reason := r.Reason
			if len([]rune(reason)) > 40 {
				reason = string([]rune(reason)[:40]) + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.CreatedAt.Format(time.RFC3339), r.Name, r.Status, r.Remote, reason, r.ID)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	return tw.Flush()
}
