//go:build !unix

package ledger

import (
	"os"
	"path/filepath"
)

// lockDir only creates dir/LOCK where flock is not available: Open MUST NOT
// then be called from two processes at once.
func lockDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, "LOCK"), os.O_RDWR|os.O_CREATE, 0o600)
}
