// Package feeds brings intelligence from outside formats into the intel
// store: STIX 2.1 bundles (streamed), MISP events and feeds, CSV and plain
// blocklists, read from files or fetched from URLs. It decides the format,
// runs the converter (package convert) and hands the records to
// intel.Service.Import, which de-duplicates and stores them in batches.
//
// Fetching refuses loopback, link-local, private and other special-purpose
// addresses unless the hub administrator allows them (AllowPrivate), so a
// feed URL cannot be used to reach the hub's own network.
package feeds

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"iter"
	"path"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// Format is an input format.
type Format string

// The formats.
const (
	Auto     Format = "auto"
	STIX     Format = "stix"      // a STIX 2.1 bundle or one object
	MISP     Format = "misp"      // MISP event JSON (one event or a REST collection)
	MISPFeed Format = "misp-feed" // a directory with manifest.json and <uuid>.json events
	CSV      Format = "csv"       // delimited values with a column mapping
	Plain    Format = "plain"     // one value per line
)

// Formats lists the formats a caller may name.
var Formats = []Format{Auto, STIX, MISP, MISPFeed, CSV, Plain}

// Options say how to read an input and how to share what it holds.
type Options struct {
	Format  Format
	Mapping convert.Mapping // for CSV and plain lists
	Sharing intel.Sharing
	Source  string // the source's name: part of list indicators' ids, and shown on every object
}

// Detect guesses the format of an input from its name and first bytes.
func Detect(name string, head []byte) Format {
	ext := strings.ToLower(path.Ext(name))
	trimmed := bytes.TrimSpace(head)
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		s := string(trimmed)
		switch {
		case strings.Contains(s, `"Event"`) || strings.Contains(s, `"response"`):
			return MISP
		case strings.Contains(s, `"type"`):
			return STIX
		}
	}
	switch ext {
	case ".csv", ".tsv":
		return CSV
	case ".json":
		return STIX
	}
	return Plain
}

// Records returns the records of r read as f, as a stream for
// intel.Service.Import. A problem with the whole input (not JSON, not a
// bundle) ends the stream with one record carrying the error on line 0.
func Records(r io.Reader, f Format, opt Options) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		stop := errors.New("stop")
		emit := func(rec convert.Record) error {
			if !yield(intel.Incoming{Line: rec.Line, Object: rec.Object, Err: rec.Err, Compact: rec.Compact, Minted: rec.Minted}) {
				return stop
			}
			return nil
		}
		var err error
		switch f {
		case STIX:
			err = stixRecords(r, emit)
		case MISP:
			_, err = convert.FromMISPEvent(r, convert.MISPOptions{Marking: string(opt.Sharing.TLP)}, emit)
		case CSV:
			_, err = convert.FromCSV(r, opt.Mapping, emit)
		case Plain:
			_, err = convert.FromPlain(r, opt.Mapping, emit)
		default:
			err = errs.F(errs.Invalid, "format", "%q is not a format a single input can have (%s, %s, %s, %s)", f, STIX, MISP, CSV, Plain)
		}
		if err != nil && err != stop {
			yield(intel.Incoming{Line: 0, Err: err})
		}
	}
}

// FeedRecords returns the records of a MISP feed directory.
func FeedRecords(dir fs.FS, opt Options) iter.Seq[intel.Incoming] {
	return func(yield func(intel.Incoming) bool) {
		stop := errors.New("stop")
		_, err := convert.FromMISPFeed(dir, convert.MISPOptions{Marking: string(opt.Sharing.TLP)}, func(rec convert.Record) error {
			if !yield(intel.Incoming{Line: rec.Line, Object: rec.Object, Err: rec.Err, Compact: rec.Compact, Minted: rec.Minted}) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop {
			yield(intel.Incoming{Line: 0, Err: err})
		}
	}
}

// stixRecords streams the objects of a bundle (or one object) without
// holding the bundle in memory: objects are decoded one at a time.
func stixRecords(r io.Reader, emit convert.Emit) error {
	br := bufio.NewReaderSize(r, 1<<16)
	dec := json.NewDecoder(br)
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return errs.E(errs.Malformed, "not a STIX object or bundle: the input is not a JSON object")
	}
	// Read members until "objects"; keep the others to tell a bundle from a
	// single object.
	obj := map[string]json.RawMessage{}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return errs.E(errs.Malformed, "malformed JSON: %v", err)
		}
		key, _ := kt.(string)
		if key == "objects" {
			if err := expectDelim(dec, '['); err != nil {
				return err
			}
			n := 0
			for dec.More() {
				n++
				var raw json.RawMessage
				if err := dec.Decode(&raw); err != nil {
					return errs.E(errs.Malformed, "objects[%d]: malformed JSON: %v", n-1, err)
				}
				if err := emit(convert.Record{Line: n, Object: raw}); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return errs.E(errs.Malformed, "malformed JSON after objects: %v", err)
			}
			continue
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return errs.E(errs.Malformed, "malformed JSON at %q: %v", key, err)
		}
		obj[key] = v
	}
	var typ string
	json.Unmarshal(obj["type"], &typ)
	if typ == "bundle" {
		return nil
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return errs.Wrap(err, "re-encode object")
	}
	return emit(convert.Record{Line: 1, Object: raw})
}

func expectDelim(dec *json.Decoder, d json.Delim) error {
	t, err := dec.Token()
	if err != nil || t != d {
		return errs.E(errs.Malformed, "expected %q in the bundle", string(d))
	}
	return nil
}

// Import reads r as opt says and stores it for a, reporting progress.
func Import(ctx context.Context, svc *intel.Service, a identity.Actor, name string, r io.Reader, opt Options,
	progress func(intel.ImportStats)) (intel.ImportStats, error) {
	f := opt.Format
	if f == "" || f == Auto {
		br := bufio.NewReaderSize(r, 1<<16)
		head, _ := br.Peek(4096)
		f, r = Detect(name, head), br
	}
	if opt.Source == "" {
		opt.Source = path.Base(name)
	}
	opt.Mapping.Source = opt.Source
	if opt.Mapping.Marking == "" && opt.Sharing.TLP != "" {
		opt.Mapping.Marking = string(opt.Sharing.TLP)
	}
	var whole error
	recs := func(yield func(intel.Incoming) bool) {
		for in := range Records(r, f, opt) {
			if in.Line == 0 && in.Err != nil {
				whole = in.Err // the input itself is unusable
				return
			}
			if !yield(in) {
				return
			}
		}
	}
	st, err := svc.Import(ctx, a, recs, opt.Sharing, "import:"+opt.Source, progress)
	if err == nil {
		err = whole
	}
	return st, err
}
