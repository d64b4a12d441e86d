package convert

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Header says whether a CSV input starts with a header row.
type Header int

// The header modes. HeaderAuto treats the first record as a header when its
// value cell is not a valid value of the mapped kind.
const (
	HeaderAuto Header = iota
	HeaderYes
	HeaderNo
)

// Mapping configures FromCSV and FromPlain. Columns are 1-based; 0 means
// the input has no such column (Value 0 means column 1).
type Mapping struct {
	Value       int  // column of the value
	Type        Kind // kind of every value, or KindAuto (the default) to detect per value
	FirstSeen   int  // column: valid_from (RFC 3339, "2006-01-02 15:04:05", "2006-01-02" or epoch seconds)
	LastSeen    int  // column: kept as x_kyojo_last_seen
	Description int  // column: description
	Confidence  int  // column: confidence, 0 to 100
	Labels      int  // column: labels separated by LabelSep

	Header    Header
	Delimiter rune   // ',' (default), '\t' or ';'
	LabelSep  string // separator inside the labels cell; default "|"

	Source            string    // name of the source: part of the indicator id and of its name
	CreatedBy         string    // identity id for created_by_ref; may be empty
	Marking           string    // TLP name ("green", "amber+strict", …) or a marking-definition id; may be empty
	DefaultLabels     []string  // labels added to every indicator
	DefaultConfidence int       // confidence when there is no column or the cell is empty; 0 leaves it out
	RejectPrivate     bool      // reject private and reserved IP addresses
	MaxLine           int       // limit on a line or record in bytes; default DefaultMaxLine
	Now               time.Time // import time: created, modified and default valid_from; zero means time.Now()
	// NewID mints indicator ids (the UUID, without "indicator--"); nil
	// means time-ordered UUIDv7s. For tests.
	NewID func() string
}

// importer holds what a list import shares across records.
type importer struct {
	m        Mapping
	now      string
	markings []string
	rep      Report
	emit     Emit
	ids      idMinter
}

func newImporter(m Mapping, emit Emit) (*importer, error) {
	im := &importer{m: m, emit: emit}
	now := m.Now
	if now.IsZero() {
		now = time.Now()
	}
	im.now = stixTime(now)
	if m.Marking != "" {
		id, ok := TLPMarking(m.Marking)
		if !ok {
			if !strings.HasPrefix(m.Marking, "marking-definition--") {
				return nil, errs.F(errs.Invalid, "Marking", "not a TLP name or marking-definition id")
			}
			id = m.Marking
		}
		im.markings = []string{id}
	}
	if im.m.Type == "" {
		im.m.Type = KindAuto
	}
	if im.m.LabelSep == "" {
		im.m.LabelSep = "|"
	}
	return im, nil
}

func (im *importer) reject(line int, err error) error {
	im.rep.reject(err)
	return im.emit(Record{Line: line, Err: err})
}

// cells are the values of one record used for an indicator.
type cells struct {
	value, firstSeen, lastSeen, desc, conf, labels string
}

// indicator builds and emits the indicator for one record.
func (im *importer) indicator(line int, c cells) error {
	im.rep.Read++
	k, v, err := Normalize(im.m.Type, c.value, im.m.RejectPrivate)
	if err != nil {
		return im.reject(line, fieldErr(err, "value"))
	}
	ind := indicatorObj{
		common:      newCommon("indicator", "", im.now, im.now, im.m.CreatedBy, im.markings),
		Pattern:     simplePattern(k, v),
		PatternType: "stix",
		PatternVer:  "2.1",
		ValidFrom:   im.now,
		Description: c.desc,
	}
	if im.m.NewID != nil {
		ind.ID = "indicator--" + im.m.NewID()
	} else {
		ind.ID = "indicator--" + im.ids.newID()
	}
	ind.Name = v
	if im.m.Source != "" {
		ind.Name = im.m.Source + ": " + v
	}
	if c.firstSeen != "" {
		t, err := parseTime(c.firstSeen)
		if err != nil {
			return im.reject(line, errs.F(errs.Invalid, "first_seen", "unrecognised time"))
		}
		ind.ValidFrom = stixTime(t)
	}
	if c.lastSeen != "" {
		t, err := parseTime(c.lastSeen)
		if err != nil {
			return im.reject(line, errs.F(errs.Invalid, "last_seen", "unrecognised time"))
		}
		ind.LastSeen = stixTime(t)
	}
	conf := im.m.DefaultConfidence
	if c.conf != "" {
		n, err := strconv.Atoi(c.conf)
		if err != nil || n < 0 || n > 100 {
			return im.reject(line, errs.F(errs.Invalid, "confidence", "confidence is not an integer from 0 to 100"))
		}
		conf = n
	}
	if conf > 0 || c.conf != "" {
		ind.Confidence = &conf
	}
	ind.Labels = append(ind.Labels, im.m.DefaultLabels...)
	if c.labels != "" {
		for l := range strings.SplitSeq(c.labels, im.m.LabelSep) {
			if l = strings.TrimSpace(l); l != "" {
				ind.Labels = append(ind.Labels, l)
			}
		}
	}
	obj, err := marshal(&ind)
	if err != nil {
		return err
	}
	im.rep.Converted++
	return im.emit(Record{Line: line, Object: obj, Compact: true, Minted: true})
}

// fieldErr sets the field of an *errs.Error from Normalize.
func fieldErr(err error, field string) error {
	var ke *errs.Error
	if errors.As(err, &ke) {
		c := *ke
		c.Field = field
		return &c
	}
	return err
}

// parseTime reads the time layouts lists use.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04:05Z07:00", "2006-01-02"} {
		if t, err := time.Parse(l, s); err == nil {
			return t, nil
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 && n < 1<<35 {
		return time.Unix(n, 0), nil
	}
	return time.Time{}, errs.E(errs.Invalid, "unrecognised time")
}

// formula reports whether a cell would be read as a formula by a
// spreadsheet: it starts, after spaces, with =, +, -, @, a tab or a CR.
func formula(s string) bool {
	s = strings.TrimLeft(s, " ")
	return s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0]))
}

// FromCSV converts a CSV file to indicators as m says, one Record per data
// record, streaming: memory is bounded by m.MaxLine whatever the input size.
// A record is rejected (its Record has Err, and the import goes on) when it
// is over MaxLine, is not valid UTF-8, has a quoting error, lacks the value
// column, has a cell that a spreadsheet would run as a formula (starting
// with =, +, -, @) in a mapped column, or has a value, time or confidence
// that does not validate. Line is the record's first line. The error
// returned is a read error, an invalid Mapping or the error emit returned.
func FromCSV(r io.Reader, m Mapping, emit Emit) (Report, error) {
	im, err := newImporter(m, emit)
	if err != nil {
		return Report{}, err
	}
	if im.m.Value <= 0 {
		im.m.Value = 1
	}
	d := m.Delimiter
	if d == 0 {
		d = ','
	}
	if d >= utf8.RuneSelf || d == '"' || d == '\n' || d == '\r' {
		return Report{}, errs.F(errs.Invalid, "Delimiter", "delimiter must be one ASCII character other than a quote or line break")
	}
	max := m.MaxLine
	if max <= 0 {
		max = DefaultMaxLine
	}
	sp := &csvSplitter{lr: newLineReader(r, max), delim: byte(d), max: max}
	first := true
	for {
		fields, line, err := sp.next()
		switch {
		case err == io.EOF:
			return im.rep, nil
		case errors.Is(err, errLongRecord):
			im.rep.Read++
			if err := im.reject(line, errs.F(errs.TooLarge, "record", "record longer than %d bytes", max)); err != nil {
				return im.rep, err
			}
			first = false
			continue
		case errors.Is(err, errUnterminated), errors.Is(err, errBadQuote):
			im.rep.Read++
			if err := im.reject(line, errs.F(errs.Malformed, "record", "%v", err)); err != nil {
				return im.rep, err
			}
			first = false
			continue
		case err != nil:
			return im.rep, errs.Wrap(err, "convert: read CSV")
		}
		if len(fields) == 1 && strings.TrimSpace(fields[0]) == "" {
			continue // blank line
		}
		if first {
			first = false
			if im.isHeader(fields) {
				continue
			}
		}
		if err := im.csvRecord(line, fields); err != nil {
			return im.rep, err
		}
	}
}

func (im *importer) isHeader(fields []string) bool {
	switch im.m.Header {
	case HeaderYes:
		return true
	case HeaderNo:
		return false
	}
	if len(fields) < im.m.Value {
		return false
	}
	v := fields[im.m.Value-1]
	if _, _, err := Normalize(im.m.Type, v, false); err == nil || formula(v) {
		return false
	}
	return strings.IndexFunc(v, func(r rune) bool { return r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' }) >= 0
}

func (im *importer) csvRecord(line int, fields []string) error {
	for i, f := range fields {
		if !utf8.ValidString(f) {
			im.rep.Read++
			return im.reject(line, errs.F(errs.Malformed, fmt.Sprintf("column %d", i+1), "invalid UTF-8"))
		}
	}
	get := func(col int, name string) (string, error) {
		if col <= 0 || col > len(fields) {
			if col == im.m.Value {
				return "", errs.F(errs.Invalid, name, "record has no column %d", col)
			}
			return "", nil
		}
		s := strings.TrimSpace(fields[col-1])
		if formula(fields[col-1]) {
			return "", errs.F(errs.Invalid, name, "cell starts with =, +, -, @, tab or CR (formula injection)")
		}
		return s, nil
	}
	var c cells
	for _, x := range []struct {
		col  int
		name string
		dst  *string
	}{
		{im.m.Value, "value", &c.value}, {im.m.FirstSeen, "first_seen", &c.firstSeen}, {im.m.LastSeen, "last_seen", &c.lastSeen},
		{im.m.Description, "description", &c.desc}, {im.m.Confidence, "confidence", &c.conf}, {im.m.Labels, "labels", &c.labels},
	} {
		s, err := get(x.col, x.name)
		if err != nil {
			im.rep.Read++
			return im.reject(line, err)
		}
		*x.dst = s
	}
	return im.indicator(line, c)
}
