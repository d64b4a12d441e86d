package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// FromMISPFeed converts a MISP feed directory: manifest.json, an object
// mapping each event uuid to its summary (info, date, timestamp, Orgc,
// Tag, …), and one <uuid>.json per event. It processes every event the
// manifest lists, in uuid order, with FromMISPEvent. An event file that is
// missing, unreadable, not MISP JSON, or holds an event with another uuid
// is one rejected Record (Line is the event's position in that order, Field
// "<uuid>.json") and the feed goes on. Records from an event file carry
// that file's record numbers, and their Field is prefixed "<uuid>.json:". The error returned is for a missing
// or broken manifest and for the error emit returned.
func FromMISPFeed(dir fs.FS, opt MISPOptions, emit Emit) (Report, error) {
	var total Report
	b, err := fs.ReadFile(dir, "manifest.json")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return total, errs.F(errs.NotFound, "manifest.json", "feed has no manifest.json")
		}
		return total, errs.Wrap(err, "convert: read manifest")
	}
	var manifest map[string]json.RawMessage
	if err := json.Unmarshal(b, &manifest); err != nil {
		return total, errs.F(errs.Malformed, "manifest.json", "manifest is not a JSON object of events: %v", err)
	}
	uuids := make([]string, 0, len(manifest))
	for u := range manifest {
		uuids = append(uuids, u)
	}
	sort.Strings(uuids)
	for i, raw := range uuids {
		name := raw + ".json"
		fail := func(e *errs.Error) error {
			total.Read++
			total.reject(e)
			return emit(Record{Line: i + 1, Err: e})
		}
		u, ok := normUUID(raw)
		if !ok || u != raw {
			if err := fail(errs.F(errs.Invalid, name, "manifest key is not a lower-case uuid")); err != nil {
				return total, err
			}
			continue
		}
		data, err := fs.ReadFile(dir, name)
		if err != nil {
			msg := "event file missing"
			if !errors.Is(err, fs.ErrNotExist) {
				msg = "event file unreadable"
			}
			if err := fail(errs.F(errs.NotFound, name, "%s", msg)); err != nil {
				return total, err
			}
			continue
		}
		var check struct {
			Event struct {
				UUID mstr `json:"uuid"`
			} `json:"Event"`
			UUID mstr `json:"uuid"`
		}
		if err := json.Unmarshal(data, &check); err != nil {
			if err := fail(errs.F(errs.Malformed, name, "event file is not JSON")); err != nil {
				return total, err
			}
			continue
		}
		got := check.Event.UUID
		if got == "" {
			got = check.UUID
		}
		if g, _ := normUUID(string(got)); g != u {
			if err := fail(errs.F(errs.Invalid, name, "event file holds event %q, not the one the manifest names", string(got))); err != nil {
				return total, err
			}
			continue
		}
		var emitErr error
		c := &mispConv{opt: opt, emit: func(r Record) error {
			if e, ok := r.Err.(*errs.Error); ok {
				c2 := *e
				c2.Field = name + ":" + e.Field
				r.Err = &c2
			}
			emitErr = emit(r)
			return emitErr
		}}
		err = c.document(data)
		total.add(c.rep)
		if emitErr != nil {
			return total, emitErr
		}
		if err != nil {
			var ke *errs.Error
			if errors.As(err, &ke) && ke.Code != errs.Internal {
				if err := fail(errs.F(ke.Code, name, "%s", ke.Message)); err != nil {
					return total, err
				}
				continue
			}
			return total, fmt.Errorf("convert: feed event %s: %w", name, err)
		}
	}
	return total, nil
}
