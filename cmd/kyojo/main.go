// Command kyojo runs and administers a kyojo hub: the software a national
// cybersecurity centre runs so that its members detect attacks early, share
// what they know safely and respond together.
//
// Run `kyojo help` for the commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// command is one subcommand: its name, a one-line summary and its run.
type command struct {
	name, summary string
	run           func(ctx context.Context, env *Env, args []string) error
}

var commands = []command{
	{"serve", "run the hub: web UI, REST API, health and metrics", runServe},
	{"migrate", "create or upgrade the database schema, then exit", runMigrate},
	{"org", "list or add organisations (org list | org add)", runOrg},
	{"user", "add people (user add)", runUser},
	{"token", "create an API token for a person (token create --user NAME)", runToken},
	{"import", "import intelligence: STIX, MISP, CSV or plain lists, from files or URLs", runImport},
	{"export", "export what a person may see: STIX, MISP feed, CSV or plain lists", runExport},
	{"rpz", "RPZ feeds for ISPs: rpz feed add|list, subscriber add|list, allow add, reports", runRPZ},
	{"incident", "incident cases as a person: list, report (free text on stdin), show, export; sweep", runIncident},
	{"ledger", "verify the evidence ledger or a forensic bundle (ledger verify)", runLedger},
	{"sensor", "register or list monitoring sensors (sensor add | sensor list)", runSensor},
	{"ingest", "match sensor logs from files against the intelligence (ingest --sensor ID FILE…)", runIngest},
	{"alert", "GSOC alerts as a person sees them: alert list | show | batch | escalate", runAlert},
	{"partner", "federation partners: partner add | list | show | remove | sync", runPartner},
	{"version", "print the version", runVersion},
}

// Env is what a command reads and writes besides its arguments; tests
// replace it.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Environ        []string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Environ: os.Environ()}
	os.Exit(Run(ctx, env, os.Args[1:]))
}

// Run runs the command line args and returns the exit code: 0 on success,
// 2 for a usage error, 1 for any other failure.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		return 0
	}
	for _, c := range commands {
		if c.name == args[0] {
			err := c.run(ctx, env, args[1:])
			if err == nil || err == errHelp {
				return 0
			}
			if err == errUsage {
				return 2
			}
			fmt.Fprintf(env.Stderr, "kyojo %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "kyojo: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `kyojo (共助) — the hub where a national cybersecurity centre and its members
detect attacks early, share what they know safely and respond together.

Usage:
  kyojo <command> [flags]

Commands:
`)
	for _, c := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Try it:
  kyojo serve --demo          start on http://127.0.0.1:8080 with demonstration data

Every command takes --help. Settings come from flags, then KYOJO_* environment
variables, then an optional TOML file (--config FILE), then defaults;
"kyojo serve --print-config" shows the result.
`)
}
