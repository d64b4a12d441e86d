package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(v string) error { *m = append(*m, v); return nil }

const importHelp = `
Imports intelligence into the hub, shared as the given organisation:
STIX 2.1 bundles, MISP event JSON, MISP feeds (a directory holding
manifest.json), CSV and plain blocklists (one value per line), from files
or http(s) URLs. The format is detected unless --format says it. A MISP
feed on the web needs --format misp-feed and the feed's URL (its
manifest.json, then each event it lists, is fetched; at most 10,000
events and 2 GiB in all).

Values already known under another id become sightings of the known
indicator with this source, not copies; importing the same file again
changes nothing. Each rejected record is counted with its reason, and the
import goes on. A progress line shows on standard error.

Examples:
  kyojo import --org kumo-net --tlp green --community isps blocklist.txt
  kyojo import --org kumo-net --tlp green --format misp-feed https://www.circl.lu/doc/misp/feed-osint/`

func runImport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "import", "--org HANDLE [flags] FILE|URL...", importHelp)
	org := fs.String("org", "", "the sharing organisation (handle or id); required")
	tlp := fs.String("tlp", "", "TLP: clear, green, amber, amber+strict, red (default: the objects' own, else the hub's)")
	var communities, orgs multi
	fs.Var(&communities, "community", "share to this community (repeatable)")
	fs.Var(&orgs, "to-org", "share to this organisation (repeatable)")
	anonymous := fs.Bool("anonymous", false, "recipients see the hub as the author")
	format := fs.String("format", "auto", "auto, stix, misp, misp-feed, csv or plain")
	source := fs.String("source", "", "name of the source (default: the file's name)")
	column := fs.Int("column", 1, "CSV: column of the value (1-based)")
	kind := fs.String("type", "auto", "CSV/plain: kind of every value: auto, ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, sha512, email")
	delim := fs.String("delimiter", ",", "CSV: delimiter: , or tab or ;")
	comment := fs.Int("comment-column", 0, "CSV: column of a description")
	firstSeen := fs.Int("first-seen-column", 0, "CSV: column of first seen (valid_from)")
	allowPrivate := fs.Bool("allow-private", false, "let URLs reach loopback and private addresses (hub administrators)")
	svc, closeFn, db, err := openIntel(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	if *org == "" || fs.NArg() == 0 {
		fmt.Fprintln(env.Stderr, "kyojo import: give --org and at least one file or URL")
		return errUsage
	}
	o, err := orgRef(ctx, db, *org)
	if err != nil {
		return err
	}
	a := cliActor(env)
	a.OrgID, a.OrgKind = o.ID, string(o.Kind)
	opt := feeds.Options{Format: feeds.Format(*format), Source: *source,
		Sharing: intel.Sharing{TLP: policy.TLP(*tlp), Communities: communities, Orgs: orgs, Anonymous: *anonymous},
		Mapping: convert.Mapping{Value: *column, Type: convert.Kind(*kind), Description: *comment, FirstSeen: *firstSeen, Delimiter: delimiter(*delim)}}
	failed := false
	for _, in := range fs.Args() {
		st, err := importOne(ctx, env, svc, a, in, opt, *allowPrivate)
		if err != nil {
			fmt.Fprintf(env.Stderr, "%s: %v\n", in, describeErr(err))
			failed = true
			continue
		}
		fmt.Fprintf(env.Stdout, "%s: read %d, created %d, updated %d, sighted %d, skipped %d, rejected %d\n",
			in, st.Read, st.Created, st.Updated, st.Sighted, st.Skipped, st.Rejected)
		for reason, n := range st.Reasons {
			fmt.Fprintf(env.Stdout, "  rejected %d× %s\n", n, reason)
		}
	}
	if failed {
		return fmt.Errorf("some inputs could not be imported")
	}
	return nil
}

func delimiter(s string) rune {
	switch s {
	case "tab", "\\t", "\t":
		return '\t'
	case ";":
		return ';'
	}
	return ','
}

func importOne(ctx context.Context, env *Env, svc *intel.Service, a identity.Actor, in string, opt feeds.Options, allowPrivate bool) (intel.ImportStats, error) {
	start := time.Now()
	bar := progressBar(env, in, start)
	defer bar(intel.ImportStats{}, true)
	if (strings.HasPrefix(in, "http://") || strings.HasPrefix(in, "https://")) && opt.Format == feeds.MISPFeed {
		return feeds.ImportMISPFeed(ctx, svc, a, feeds.Fetcher{AllowPrivate: allowPrivate}, in, feeds.FeedLimits{}, opt,
			func(st intel.ImportStats) { bar(st, false) })
	}
	if strings.HasPrefix(in, "http://") || strings.HasPrefix(in, "https://") {
		body, err := feeds.Fetcher{AllowPrivate: allowPrivate}.Get(ctx, in)
		if err != nil {
			return intel.ImportStats{}, err
		}
		defer body.Close()
		return feeds.Import(ctx, svc, a, in, body, opt, func(st intel.ImportStats) { bar(st, false) })
	}
	fi, err := os.Stat(in)
	if err != nil {
		return intel.ImportStats{}, err
	}
	if fi.IsDir() || opt.Format == feeds.MISPFeed {
		if opt.Source == "" {
			opt.Source = filepath.Base(in)
		}
		return svc.Import(ctx, a, feeds.FeedRecords(os.DirFS(in), opt), opt.Sharing, "import:"+opt.Source,
			func(st intel.ImportStats) { bar(st, false) })
	}
	f, err := os.Open(in)
	if err != nil {
		return intel.ImportStats{}, err
	}
	defer f.Close()
	return feeds.Import(ctx, svc, a, filepath.Base(in), f, opt, func(st intel.ImportStats) { bar(st, false) })
}

// progressBar returns a function that redraws one progress line on
// standard error when it is a terminal (and stays quiet otherwise).
func progressBar(env *Env, name string, start time.Time) func(intel.ImportStats, bool) {
	f, ok := env.Stderr.(*os.File)
	tty := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	drawn := false
	return func(st intel.ImportStats, done bool) {
		if !tty {
			return
		}
		if done {
			if drawn {
				fmt.Fprint(env.Stderr, "\r\033[K")
			}
			return
		}
		rate := float64(st.Read) / time.Since(start).Seconds()
		fmt.Fprintf(env.Stderr, "\r\033[K%s: %d records (%.0f/s): %d new, %d sighted, %d rejected", name, st.Read, rate, st.Created, st.Sighted, st.Rejected)
		drawn = true
	}
}

const exportHelp = `
Exports what a person may see — nothing more — for firewalls, proxies,
SIEMs and other CTI tools: a STIX 2.1 bundle, a MISP feed (a directory), CSV,
or a plain list of one kind of value per line.

Example:
  kyojo export --user kumo-net-analyst --format plain --kind domain --out domains.txt`

func runExport(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "export", "--user NAME [flags]", exportHelp)
	user := fs.String("user", "", "export what this person may see; required")
	format := fs.String("format", "stix", "stix, misp, csv or plain")
	kind := fs.String("kind", "ip", "plain: ip, ipv4, ipv6, cidr, domain, url, md5, sha1, sha256, sha512, email")
	out := fs.String("out", "", "write here (a directory for misp); default standard output")
	var types multi
	fs.Var(&types, "type", "only this STIX type (repeatable)")
	svc, closeFn, db, err := openIntel(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	if *user == "" {
		fmt.Fprintln(env.Stderr, "kyojo export: --user is required: an export shows what one person may see")
		return errUsage
	}
	a, err := personActor(ctx, db, *user, policy.ScopeRead)
	if err != nil {
		return err
	}
	var objs []json.RawMessage
	w := env.Stdout
	if *out != "" && *format != "misp" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	defer bw.Flush()
	first := true
	if *format == "stix" {
		fmt.Fprint(bw, `{"type":"bundle","id":"bundle--`+newUUID()+`","objects":[`)
	}
	n, err := svc.Each(ctx, a, intel.Filter{Types: types}, func(obj intel.Object) error {
		if *format == "stix" {
			if !first {
				bw.WriteByte(',')
			}
			first = false
			_, err := bw.Write(obj.Raw)
			return err
		}
		objs = append(objs, obj.Raw)
		return nil
	})
	if err != nil {
		return err
	}
	switch *format {
	case "stix":
		fmt.Fprintln(bw, "]}")
	case "csv":
		err = convert.ToCSV(bw, objs)
	case "plain":
		err = convert.ToPlain(bw, objs, convert.Kind(*kind))
	case "misp":
		if *out == "" {
			return fmt.Errorf("--format misp writes a feed directory: give --out DIR")
		}
		err = writeMISPFeed(*out, objs)
	default:
		return fmt.Errorf("--format must be stix, misp, csv or plain")
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %d objects\n", n)
	return nil
}

func writeMISPFeed(dir string, objs []json.RawMessage) error {
	manifest, events, err := convert.ToMISPFeed(objs, convert.ExportOptions{})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "manifest.json"), manifest, 0o644); err != nil {
		return err
	}
	for uuid, b := range events {
		if err := os.WriteFile(filepath.Join(dir, uuid+".json"), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
