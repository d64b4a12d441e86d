// Package gctune sets the Go garbage collector for a long-running hub.
//
// A hub keeps a large heap that lives as long as the process (the
// compiled matcher, caches) and streams through large short-lived buffers
// (0.5 MB compressed batches, 3 MB of lines each). At Go's default GOGC of
// 100 the collector runs every time that much again is allocated and the
// runtime hands freed pages back to the kernel, only to fault them in again
// moments later; on virtual machines that report free pages to their host
// (virtio-balloon free page reporting, as on this project's machines) each
// page touched again costs microseconds. A higher GOGC, bounded by a soft
// memory limit, keeps the pages and collects a quarter as often. The
// README's GSOC figures give the measured difference.
package gctune

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// DefaultPercent is the hub's GOGC unless configured.
const DefaultPercent = 400

// Settings is what Apply set.
type Settings struct {
	Percent int   // -1: off
	Limit   int64 // bytes; math.MaxInt64: none
	FromEnv bool  // GOGC or GOMEMLIMIT came from the environment and were left alone
}

func (s Settings) String() string {
	p := "off"
	if s.Percent >= 0 {
		p = strconv.Itoa(s.Percent)
	}
	l := "none"
	if s.Limit != math.MaxInt64 {
		l = fmt.Sprintf("%d MiB", s.Limit>>20)
	}
	return fmt.Sprintf("GOGC %s, memory limit %s", p, l)
}

// Apply sets GOGC from percent ("" is DefaultPercent, "off" disables
// collection until the limit) and the soft memory limit from limit (""
// is half the memory of the machine or its container), except where the
// GOGC or GOMEMLIMIT environment variables are set: those win.
func Apply(percent, limit string) (Settings, error) {
	p, err := ParsePercent(percent)
	if err != nil {
		return Settings{}, err
	}
	l, err := ParseLimit(limit)
	if err != nil {
		return Settings{}, err
	}
	var s Settings
	if os.Getenv("GOGC") != "" {
		s.FromEnv = true
		s.Percent = debug.SetGCPercent(-1)
		debug.SetGCPercent(s.Percent)
	} else {
		debug.SetGCPercent(p)
		s.Percent = p
	}
	if os.Getenv("GOMEMLIMIT") != "" {
		s.FromEnv = true
		s.Limit = debug.SetMemoryLimit(-1)
	} else {
		debug.SetMemoryLimit(l)
		s.Limit = l
	}
	return s, nil
}

// ParsePercent reads a GOGC value: a whole number of percent, or off (-1).
func ParsePercent(s string) (int, error) {
	switch s {
	case "":
		return DefaultPercent, nil
	case "off":
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100000 {
		return 0, fmt.Errorf("gc-percent: %q is not a percentage from 1 to 100000 or off", s)
	}
	return n, nil
}

// ParseLimit reads a memory limit as GOMEMLIMIT writes it (bytes with an
// optional B, KiB, MiB, GiB or TiB), or "" for half the available memory.
func ParseLimit(s string) (int64, error) {
	if s == "" {
		if m := available(); m > 0 {
			return m / 2, nil
		}
		return math.MaxInt64, nil
	}
	units := []struct {
		suffix string
		shift  uint
	}{{"TiB", 40}, {"GiB", 30}, {"MiB", 20}, {"KiB", 10}, {"B", 0}}
	num, shift := s, uint(0)
	for _, u := range units {
		if strings.HasSuffix(s, u.suffix) {
			num, shift = strings.TrimSuffix(s, u.suffix), u.shift
			break
		}
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 1 || n > math.MaxInt64>>shift {
		return 0, fmt.Errorf("memory-limit: %q is not a size such as 8GiB or 512MiB", s)
	}
	if n<<shift < 64<<20 {
		return 0, fmt.Errorf("memory-limit: %q is less than 64MiB", s)
	}
	return n << shift, nil
}

// available is the memory the process may use: the container's limit
// (cgroup v2, or v1) when there is one below the machine's, else the
// machine's; 0 when neither can be read.
func available() int64 {
	total := meminfo()
	for _, f := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// "max" (v2) or a huge number (v1) means no limit.
		if n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && (total == 0 || n < total) {
			return n
		}
	}
	return total
}

func meminfo() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
