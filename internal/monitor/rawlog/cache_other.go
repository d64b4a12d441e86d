//go:build !linux

package rawlog

import "os"

// dropCached leaves the page cache to the system where there is no
// posix_fadvise.
func dropCached(*os.File) {}
