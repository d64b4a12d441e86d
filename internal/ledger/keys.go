package ledger

import (
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

const (
	signerFile   = "signer.key"
	verifierFile = "verifier.key"
)

// loadKeys reads the note key pair in dir, generating it (signer 0600,
// verifier 0644) when neither file exists. The key name MUST equal origin.
func loadKeys(dir, origin string) (note.Signer, note.Verifier, string, error) {
	sp, vp := filepath.Join(dir, signerFile), filepath.Join(dir, verifierFile)
	skey, err := os.ReadFile(sp)
	if errors.Is(err, fs.ErrNotExist) {
		if err := generateKeys(sp, vp, origin); err != nil {
			return nil, nil, "", err
		}
		skey, err = os.ReadFile(sp)
	}
	if err != nil {
		return nil, nil, "", ioErr(err, "read signer key")
	}
	vkey, err := os.ReadFile(vp)
	if err != nil {
		return nil, nil, "", ioErr(err, "read verifier key")
	}
	s, err := note.NewSigner(strings.TrimSpace(string(skey)))
	if err != nil {
		return nil, nil, "", errs.E(errs.Invalid, "ledger: %s: %v", sp, err)
	}
	vs := strings.TrimSpace(string(vkey))
	v, err := note.NewVerifier(vs)
	if err != nil {
		return nil, nil, "", errs.E(errs.Invalid, "ledger: %s: %v", vp, err)
	}
	if s.Name() != origin || v.Name() != origin || s.KeyHash() != v.KeyHash() {
		return nil, nil, "", errs.E(errs.Invalid, "ledger: keys in %s are for %q, not origin %q (or do not match each other)", dir, s.Name(), origin)
	}
	return s, v, vs, nil
}

func generateKeys(sp, vp, origin string) error {
	skey, vkey, err := note.GenerateKey(rand.Reader, origin)
	if err != nil {
		return errs.E(errs.Invalid, "ledger: origin %q is not a valid key name: %v", origin, err)
	}
	// The verifier first: a crash leaves no signer without its verifier.
	if err := writeFileSync(vp, []byte(vkey+"\n"), 0o644); err != nil {
		return err
	}
	return writeFileSync(sp, []byte(skey+"\n"), 0o600)
}

// writeFileSync writes a whole file atomically: temp file, fsync, rename,
// fsync of the directory.
func writeFileSync(path string, data []byte, perm fs.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, perm)
	if err != nil {
		return ioErr(err, "create "+filepath.Base(path))
	}
	if _, err = f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	return ioErr(err, "write "+filepath.Base(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
