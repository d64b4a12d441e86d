// Package sharedtest finds the shared real-data corpus (shared/testdata,
// beside the repository) for tests that read files they may not copy.
package sharedtest

import (
	"os"
	"path/filepath"
)

// Dir walks up from the working directory (a test's package directory) to
// the shared/testdata folder beside the repository, and returns "" when
// there is none: callers skip with a message then.
func Dir() string {
	d, _ := filepath.Abs(".")
	for {
		c := filepath.Join(d, "shared", "testdata")
		if st, err := os.Stat(c); err == nil && st.IsDir() {
			return c
		}
		p := filepath.Dir(d)
		if p == d {
			return ""
		}
		d = p
	}
}
