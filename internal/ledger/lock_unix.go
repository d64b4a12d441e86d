//go:build unix

package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

const lockFile = "LOCK"

// lockDir takes an exclusive advisory lock on dir/LOCK, so that a second
// process (a server and a CLI, say) cannot open the same ledger. The lock
// goes with the returned file.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, ioErr(err, "open LOCK")
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, errs.E(errs.Conflict, "ledger %s is open in another process", dir)
		}
		return nil, ioErr(err, "lock LOCK")
	}
	return f, nil
}
