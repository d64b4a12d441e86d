package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/ledger"
)

const ledgerHelp = `
Checks the evidence ledger.

  kyojo ledger verify BUNDLE --key KEY   verify a forensic bundle offline, with
                                         only the hub's public verifier key
                                         (--key-file FILE reads it from a file)
  kyojo ledger verify --data DIR         verify a whole ledger against its
                                         signed checkpoints (stop kyojo serve
                                         first: one process opens a ledger)
  kyojo ledger key --data DIR            print the hub's verifier key, to give
                                         to courts, partners and witnesses

A verification failure exits with status 1 and says what is wrong and where.`

func runLedger(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "key") {
		fmt.Fprintln(env.Stderr, strings.TrimSpace(ledgerHelp))
		return errUsage
	}
	verb, args := args[0], args[1:]
	fs := flags(env, "ledger "+verb, "[BUNDLE] [flags]", ledgerHelp)
	key := fs.String("key", "", "the hub's verifier key (as `kyojo ledger key` prints it)")
	keyFile := fs.String("key-file", "", "read the verifier key from this file")
	// A bundle path may come before the flags.
	var bundle string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		bundle, args = args[0], args[1:]
	}
	cfg, err := load(env, fs, args)
	if err != nil {
		return err
	}
	if bundle == "" && fs.NArg() > 0 {
		bundle = fs.Arg(0)
	}
	dir := filepath.Join(cfg.Data, "ledger")
	vkey := strings.TrimSpace(*key)
	if vkey == "" && *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return err
		}
		vkey = strings.TrimSpace(string(b))
	}
	if verb == "key" {
		b, err := os.ReadFile(filepath.Join(dir, "verifier.key"))
		if err != nil {
			return fmt.Errorf("no ledger in %s: %w", cfg.Data, err)
		}
		fmt.Fprint(env.Stdout, string(b))
		return nil
	}
	if bundle != "" {
		if vkey == "" {
			b, err := os.ReadFile(filepath.Join(dir, "verifier.key"))
			if err != nil {
				return fmt.Errorf("give the hub's verifier key with --key or --key-file")
			}
			vkey = strings.TrimSpace(string(b))
		}
		data, err := os.ReadFile(bundle)
		if err != nil {
			return err
		}
		if err := ledger.VerifyBundle(data, vkey); err != nil {
			return fmt.Errorf("%s does NOT verify: %w", bundle, err)
		}
		fmt.Fprintf(env.Stdout, "%s verifies: every entry is in the log signed by %s\n", bundle, keyName(vkey))
		return nil
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("no ledger in %s", cfg.Data)
	}
	lg, err := ledger.Open(dir, ledger.Options{Origin: cfg.LedgerOrigin, CheckpointInterval: -1})
	if errs.Is(err, errs.Conflict) {
		return fmt.Errorf("the ledger in %s is open in another process; stop kyojo serve first: %w", cfg.Data, err)
	}
	if err != nil {
		return fmt.Errorf("the ledger in %s does NOT verify: %w", cfg.Data, err)
	}
	defer lg.Close()
	rep, err := lg.Verify(ctx)
	if err != nil {
		return fmt.Errorf("the ledger in %s does NOT verify: %w", cfg.Data, err)
	}
	fmt.Fprintf(env.Stdout, "ledger %s verifies: %d entries (%d payloads erased by retention), %d signed checkpoints, root %s\n",
		lg.Origin(), rep.Entries, rep.Deleted, rep.Checkpoints, base64.StdEncoding.EncodeToString(rep.Root[:]))
	return nil
}

// keyName returns the name part of a note verifier key.
func keyName(vkey string) string {
	name, _, _ := strings.Cut(vkey, "+")
	return name
}
