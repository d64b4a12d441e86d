package parse

import (
	"bytes"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Format names a sensor's output format.
type Format string

// The formats kyojo reads.
const (
	FormatEVE    Format = "eve"    // Suricata EVE JSON
	FormatZeek   Format = "zeek"   // Zeek TSV (with #fields headers) or Zeek JSON, told apart per line
	FormatSyslog Format = "syslog" // RFC 5424 or RFC 3164, CEF payloads understood
	FormatCEF    Format = "cef"    // bare CEF records, one per line
	FormatJSON   Format = "json"   // any JSON, read with the sensor's Mapping
)

// Formats lists the valid formats.
var Formats = []Format{FormatEVE, FormatZeek, FormatSyslog, FormatCEF, FormatJSON}

// Valid reports whether f is a known format.
func (f Format) Valid() bool {
	for _, g := range Formats {
		if f == g {
			return true
		}
	}
	return false
}

// Reader reads a stream of lines in one format. It keeps the state some
// formats need (Zeek's headers) and is not safe for concurrent use.
type Reader struct {
	Format  Format
	Mapping Mapping          // FormatJSON
	Now     func() time.Time // arrival time, for formats that lack a year or a time
	zeek    ZeekTSV
}

// Line reads one line (without its newline). Blank lines and headers give
// ErrSkip; a line longer than MaxLine, or one that does not parse, gives an
// errs.Malformed error that says why.
func (r *Reader) Line(line []byte) (Event, error) {
	line = bytes.TrimRight(line, "\r")
	if len(bytes.TrimSpace(line)) == 0 {
		return Event{}, ErrSkip
	}
	if len(line) > MaxLine {
		return Event{}, errs.E(errs.Malformed, "line of %d bytes is longer than %d", len(line), MaxLine)
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	switch r.Format {
	case FormatEVE:
		return EVE(line)
	case FormatZeek:
		if line[0] == '{' {
			return ZeekJSON(line, r.zeek.path)
		}
		return r.zeek.Line(line)
	case FormatSyslog:
		return Syslog(line, now())
	case FormatCEF:
		e, err := CEF(string(bytes.TrimSpace(line)))
		if err == nil && e.Time.IsZero() {
			e.Time = now().UTC()
		}
		return e, err
	case FormatJSON:
		return JSON(line, r.Mapping, now())
	}
	return Event{}, errs.E(errs.Invalid, "unknown format %q", r.Format)
}
