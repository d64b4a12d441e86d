package rawlog

import (
	"os"

	"golang.org/x/sys/unix"
)

// dropCached asks the kernel to drop f's pages, written to disk, from the
// page cache.
func dropCached(f *os.File) {
	if c, err := f.SyscallConn(); err == nil {
		c.Control(func(fd uintptr) { unix.Fadvise(int(fd), 0, 0, unix.FADV_DONTNEED) })
	}
}
