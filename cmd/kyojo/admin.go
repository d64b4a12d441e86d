package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func runMigrate(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "migrate", "[flags]", `
Creates or upgrades the database schema (SQLite in the data directory, or
--db postgres://…) and exits. "kyojo serve" does the same at start; run this
first when several nodes share one PostgreSQL database.`)
	_, closeFn, err := openService(ctx, env, fs, args)
	if err != nil {
		return err
	}
	closeFn()
	fmt.Fprintln(env.Stdout, "schema is up to date")
	return nil
}

func runVersion(_ context.Context, env *Env, _ []string) error {
	fmt.Fprintf(env.Stdout, "kyojo %s\n", version)
	return nil
}

func runOrg(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "add" && args[0] != "list") {
		fmt.Fprintln(env.Stderr, "Usage: kyojo org list [flags] | kyojo org add [flags]   (add --help for details)")
		return errUsage
	}
	if args[0] == "list" {
		return orgList(ctx, env, args[1:])
	}
	return orgAdd(ctx, env, args[1:])
}

func orgList(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "org list", "[flags]", "Lists the organisations of the directory.")
	kind := fs.String("kind", "", "only this kind ("+join(identity.Kinds)+")")
	sector := fs.String("sector", "", "only this sector ("+join(identity.Sectors)+")")
	q := fs.String("q", "", "only names or handles containing this text")
	asJSON := fs.Bool("json", false, "print JSON instead of a table")
	svc, closeFn, err := openService(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	orgs, err := svc.ListOrgs(ctx, cliActor(env), identity.OrgFilter{Kind: identity.Kind(*kind), Sector: identity.Sector(*sector), Query: *q})
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(orgs)
	}
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "HANDLE\tKIND\tSECTOR\tTIER\tNAME\tNAME (JA)")
	for _, o := range orgs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\n", o.Slug, o.Kind, dash(string(o.Sector)), o.Tier, o.Name, o.NameJA)
	}
	return tw.Flush()
}

func orgAdd(ctx context.Context, env *Env, args []string) error {
	fs := flags(env, "org add", "--slug HANDLE --name NAME --kind KIND [flags]", `
Registers an organisation. A critical-infrastructure operator (--kind
ci_operator) needs --sector. Points of contact can be added with --email and
--phone (one contact), or later in the UI.`)
	var o identity.Org
	fs.StringVar(&o.Slug, "slug", "", "short unique handle, e.g. mic")
	fs.StringVar(&o.Name, "name", "", "English name")
	fs.StringVar(&o.NameJA, "name-ja", "", "Japanese name")
	kind := fs.String("kind", "", "kind: "+join(identity.Kinds))
	sector := fs.String("sector", "", "sector: "+join(identity.Sectors))
	tier := fs.Int("tier", 3, "criticality tier, 1 (most critical) to 4")
	fs.StringVar(&o.Country, "country", "JP", "ISO 3166-1 alpha-2 country code")
	fs.StringVar(&o.Description, "description", "", "what the organisation does")
	email := fs.String("email", "", "e-mail of the CSIRT point of contact")
	phone := fs.String("phone", "", "phone of the CSIRT point of contact, international form")
	svc, closeFn, err := openService(ctx, env, fs, args)
	if err != nil {
		return err
	}
	defer closeFn()
	o.Kind, o.Sector, o.Tier = identity.Kind(*kind), identity.Sector(*sector), identity.Tier(*tier)
	if *email != "" || *phone != "" {
		o.Contacts = []identity.Contact{{Name: "CSIRT", Email: *email, Phone: *phone, Available: true}}
	}
	o, err = svc.CreateOrg(ctx, cliActor(env), o)
	if err != nil {
		return describeErr(err)
	}
	fmt.Fprintf(env.Stdout, "created organisation %s (%s)\n", o.Slug, o.ID)
	return nil
}

func runUser(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(env.Stderr, "Usage: kyojo user add --username NAME --org HANDLE [flags]   (add --help for details)")
		return errUsage
	}
	fs := flags(env, "user add", "--username NAME --org HANDLE [flags]", `
Adds a person to an organisation. The password is read from standard input
with --password-stdin (one line); otherwise one is generated and printed.`)
	var in identity.NewUser
	fs.StringVar(&in.Username, "username", "", "log-in name (lower-case)")
	fs.StringVar(&in.Org, "org", "", "organisation handle or id")
	role := fs.String("role", "analyst", "role: hub_admin, org_admin, analyst or readonly")
	fs.StringVar(&in.Email, "email", "", "e-mail address")
	fs.StringVar(&in.DisplayName, "display-name", "", "name shown in the UI")
	fs.StringVar(&in.Locale, "locale", "ja", "UI language: ja or en")
	compartments := fs.String("compartments", "", "need-to-know compartments the person holds, comma-separated")
	stdin := fs.Bool("password-stdin", false, "read the password from standard input")
	svc, closeFn, err := openService(ctx, env, fs, args[1:])
	if err != nil {
		return err
	}
	defer closeFn()
	in.Role = policy.Role(*role)
	for _, c := range strings.Split(*compartments, ",") {
		if c = strings.TrimSpace(c); c != "" {
			in.Compartments = append(in.Compartments, c)
		}
	}
	generated := false
	if *stdin {
		line, err := bufio.NewReader(env.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fmt.Errorf("reading the password from standard input: %w", err)
		}
		in.Password = strings.TrimRight(line, "\r\n")
	} else {
		in.Password, generated = identity.Secret(15), true
	}
	u, err := svc.CreateUser(ctx, cliActor(env), in)
	if err != nil {
		return describeErr(err)
	}
	fmt.Fprintf(env.Stdout, "created %s (%s) in %s as %s\n", u.Username, u.ID, in.Org, u.Role)
	if generated {
		fmt.Fprintf(env.Stdout, "password: %s\n", in.Password)
	}
	return nil
}

func runToken(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprintln(env.Stderr, "Usage: kyojo token create --user NAME [flags]   (create --help for details)")
		return errUsage
	}
	fs := flags(env, "token create", "--user NAME [flags]", `
Creates an API token for a person and prints it alone on the last line, so a
script can take it with "| tail -n 1". Machines send it as
"Authorization: Bearer <token>". The token is shown only now; kyojo keeps only
its hash.`)
	user := fs.String("user", "", "the person's username")
	name := fs.String("name", "cli", "what the token is for, e.g. \"SIEM pull\"")
	scope := fs.String("scope", "read", "read or write")
	days := fs.Int("days", 90, "days until it expires (at most 730)")
	svc, closeFn, err := openService(ctx, env, fs, args[1:])
	if err != nil {
		return err
	}
	defer closeFn()
	if *user == "" {
		fmt.Fprintln(env.Stderr, "kyojo token create: --user is required")
		return errUsage
	}
	if *days <= 0 {
		return fmt.Errorf("--days must be at least 1")
	}
	t, secret, err := svc.CreateToken(ctx, cliActor(env), *user, identity.NewToken{Name: *name, Scope: policy.Scope(*scope),
		ExpiresIn: time.Duration(*days) * 24 * time.Hour})
	if err != nil {
		return describeErr(err)
	}
	fmt.Fprintf(env.Stdout, "token %s for %s, scope %s, expires %s\n", t.ID, *user, t.Scope, t.ExpiresAt.Format(time.DateOnly))
	fmt.Fprintln(env.Stdout, secret)
	return nil
}

// describeErr lists every field error of a refused input.
func describeErr(err error) error {
	fields := errs.Fields(err)
	if len(fields) <= 1 {
		if len(fields) == 1 && fields[0].Field != "" {
			return fmt.Errorf("%s: %s", fields[0].Field, fields[0].Message)
		}
		if len(fields) == 1 {
			return fmt.Errorf("%s", fields[0].Message)
		}
		return err
	}
	var b strings.Builder
	b.WriteString("the input has problems:")
	for _, f := range fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return fmt.Errorf("%s", b.String())
}

func join[T ~string](vs []T) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
	}
	return strings.Join(s, ", ")
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
