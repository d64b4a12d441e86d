package convert

import (
	"bytes"
	"io"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// FromPlain converts a plain blocklist, one value per line, to indicators as
// m says (only Type, Source, CreatedBy, Marking, DefaultLabels, DefaultConfidence,
// RejectPrivate, MaxLine and Now apply). Blank lines and lines starting with
// "#" are skipped; a "#" after a space or tab starts a comment. A line over
// MaxLine is rejected without being buffered whole; so is a line that is not
// valid UTF-8 or whose value does not validate. Memory is constant. The
// error returned is a read error, an invalid Mapping or the error emit
// returned.
func FromPlain(r io.Reader, m Mapping, emit Emit) (Report, error) {
	im, err := newImporter(m, emit)
	if err != nil {
		return Report{}, err
	}
	max := m.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	lr := newLineReader(r, max)
	for {
		b, long, err := lr.next()
		if err == io.EOF {
			return im.rep, nil
		}
		if err != nil {
			return im.rep, errs.Wrap(err, "convert: read list")
		}
		if long {
			im.rep.Read++
			if err := im.reject(lr.line, errs.F(errs.TooLarge, "line", "line longer than %d bytes", max)); err != nil {
				return im.rep, err
			}
			continue
		}
		b = bytes.TrimSpace(b)
		if i := commentAt(b); i >= 0 {
			b = bytes.TrimSpace(b[:i])
		}
		if len(b) == 0 {
			continue
		}
		if !utf8.Valid(b) {
			im.rep.Read++
			if err := im.reject(lr.line, errs.F(errs.Malformed, "line", "invalid UTF-8")); err != nil {
				return im.rep, err
			}
			continue
		}
		if err := im.indicator(lr.line, cells{value: string(b)}); err != nil {
			return im.rep, err
		}
	}
}

// commentAt returns the index of a "#" that starts the line or follows a
// space or tab, or -1.
func commentAt(b []byte) int {
	for i, c := range b {
		if c == '#' && (i == 0 || b[i-1] == ' ' || b[i-1] == '\t') {
			return i
		}
	}
	return -1
}
