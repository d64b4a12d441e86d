package convert

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// MISPOptions configures the MISP importers.
type MISPOptions struct {
	MaxBytes int64 // limit on one MISP JSON document; default 256 MiB
	// Marking applies when an event carries no tlp: tag (a TLP name or a
	// marking-definition id); empty leaves such objects unmarked.
	Marking string
}

// FromMISPEvent converts MISP event JSON in any of its three shapes — an
// {"Event":{…}} wrapper, a bare event object, or the REST collection
// {"response":[{"Event":…},…]} — emitting for each event, in order: the
// creator identity, one Record per attribute, object, galaxy cluster and
// sighting group (with derived identities, SCOs and relationships as extra
// Records of the same number), and the report last. Record.Line is the
// 1-based number of the record in the document (events, then their
// attributes, objects, clusters, in document order); Err's Field is the path
// in the document, e.g. "response[0].Event.Attribute[3].value". A whole
// event is rejected when it has no valid uuid. The document is held in
// memory, up to opt.MaxBytes; the error returned is for input that is not a
// MISP JSON document at all (Malformed), too large (TooLarge) or the error
// emit returned. See the package documentation in misp_attr.go for the
// mapping.
func FromMISPEvent(r io.Reader, opt MISPOptions, emit Emit) (Report, error) {
	max := opt.MaxBytes
	if max <= 0 {
		max = 256 << 20
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return Report{}, errs.Wrap(err, "convert: read MISP event")
	}
	if int64(len(data)) > max {
		return Report{}, errs.E(errs.TooLarge, "MISP document over %d bytes", max)
	}
	c := &mispConv{opt: opt, emit: emit}
	return c.rep, c.document(data)
}

type mispConv struct {
	opt  MISPOptions
	emit Emit
	rep  Report
	n    int // record number
}

func (c *mispConv) document(data []byte) error {
	var top struct {
		Event    json.RawMessage `json:"Event"`
		Response json.RawMessage `json:"response"`
		UUID     json.RawMessage `json:"uuid"`
	}
	if err := json.Unmarshal(data, &top); err != nil {
		return errs.E(errs.Malformed, "not a MISP JSON object: %v", err)
	}
	switch {
	case top.Response != nil:
		var items []struct {
			Event json.RawMessage `json:"Event"`
		}
		if err := json.Unmarshal(top.Response, &items); err != nil {
			return errs.F(errs.Malformed, "response", "not a list of events: %v", err)
		}
		for i, it := range items {
			if it.Event == nil {
				c.n++
				c.rep.Read++
				if err := c.result(nil, errs.F(errs.Malformed, fmt.Sprintf("response[%d]", i), "collection item is not an {\"Event\":…}")); err != nil {
					return err
				}
				continue
			}
			if err := c.event(it.Event, fmt.Sprintf("response[%d].Event", i)); err != nil {
				return err
			}
		}
		return nil
	case top.Event != nil:
		return c.event(top.Event, "Event")
	case top.UUID != nil:
		return c.event(data, "")
	}
	return errs.E(errs.Malformed, "neither an event, an {\"Event\":…} wrapper nor a {\"response\":[…]} collection")
}

// result sends one converted or rejected record.
func (c *mispConv) result(objs []any, err error) error {
	if err != nil {
		c.rep.reject(err)
		return c.emit(Record{Line: c.n, Err: err})
	}
	c.rep.Converted++
	for _, o := range objs {
		b, err := marshal(o)
		if err != nil {
			return err
		}
		if err := c.emit(Record{Line: c.n, Object: b, Compact: true}); err != nil {
			return err
		}
	}
	return nil
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	if field == "" {
		return path
	}
	return path + "." + field
}

// epoch converts MISP epoch seconds to a STIX timestamp.
func epoch(s mstr) (string, bool) {
	n, err := strconv.ParseInt(strings.TrimSpace(string(s)), 10, 64)
	if err != nil || n <= 0 || n > 253402300799 {
		return "", false
	}
	return stixTime(time.Unix(n, 0)), true
}

// seen converts a MISP first_seen/last_seen (RFC 3339 with microseconds).
func seen(s mstr) (string, bool) {
	if s == "" {
		return "", false
	}
	t, err := time.Parse(time.RFC3339Nano, string(s))
	if err != nil {
		return epoch(s)
	}
	return stixTime(t), true
}

// eventCtx is what the records of one event share.
type eventCtx struct {
	path     string
	report   string   // id of the event's report
	by       string   // identity id of Orgc
	ts       string   // event modified time
	markings []string // event-level TLP
	refs     []string // object_refs of the report
	inds     []string // ids of indicators, for event-level galaxy relationships
	objOf    map[string]string
	idents   map[string]bool
}

func (c *mispConv) event(raw json.RawMessage, path string) error {
	c.n++
	c.rep.Read++
	var ev mispEvent
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&ev); err != nil {
		return c.result(nil, errs.F(errs.Malformed, join(path, ""), "event is not a MISP event object: %v", err))
	}
	uuid, ok := normUUID(string(ev.UUID))
	if !ok {
		return c.result(nil, errs.F(errs.Invalid, join(path, "uuid"), "event has no valid uuid"))
	}
	x := &eventCtx{path: path, report: "report--" + uuid, objOf: map[string]string{}, idents: map[string]bool{}}
	ts, ok := epoch(ev.Timestamp)
	if !ok {
		if t, err := time.Parse("2006-01-02", string(ev.Date)); err == nil {
			ts, ok = stixTime(t), true
		}
	}
	if !ok {
		return c.result(nil, errs.F(errs.Invalid, join(path, "timestamp"), "event has neither a timestamp nor a date"))
	}
	x.ts = ts
	labels, marks := splitTags(ev.Tags)
	if len(marks) == 0 && c.opt.Marking != "" {
		if id, ok := TLPMarking(c.opt.Marking); ok {
			marks = []string{id}
		} else {
			marks = []string{c.opt.Marking}
		}
	}
	x.markings = marks
	org := ev.Orgc
	if org == nil {
		org = ev.Org
	}
	if org != nil {
		if id, ok := normUUID(string(org.UUID)); ok {
			x.by = "identity--" + id
			ident := identityObj{common: newCommon("identity", id, ts, ts, "", nil), Name: string(org.Name), IdentityClass: "organization"}
			if ident.Name == "" {
				ident.Name = id
			}
			x.idents[x.by] = true
			if err := c.send(&ident); err != nil {
				return err
			}
		}
	}
	var extRefs []extRef
	var notes []string
	for i := range ev.Attrs {
		a := &ev.Attrs[i]
		if a.Deleted.bool() {
			continue
		}
		// links and free text describe the event: they go on the report.
		if !a.ToIDs.bool() {
			switch a.Type {
			case "link":
				extRefs = append(extRefs, extRef{SourceName: "misp-link", URL: string(a.Value), Description: string(a.Comment)})
				continue
			case "comment", "text", "other":
				notes = append(notes, string(a.Value))
				continue
			}
		}
		c.n++
		c.rep.Read++
		objs, err := c.attribute(x, a, fmt.Sprintf("%s[%d]", join(path, "Attribute"), i))
		if err := c.result(objs, err); err != nil {
			return err
		}
	}
	for i := range ev.Objects {
		o := &ev.Objects[i]
		if o.Deleted.bool() {
			continue
		}
		c.n++
		c.rep.Read++
		objs, err := c.object(x, o, fmt.Sprintf("%s[%d]", join(path, "Object"), i))
		if err := c.result(objs, err); err != nil {
			return err
		}
	}
	if err := c.galaxies(x, ev.Galaxies, join(path, "Galaxy"), x.inds); err != nil {
		return err
	}
	if err := c.sightings(x, &ev, path); err != nil {
		return err
	}
	rep := reportObj{
		common:      newCommon("report", uuid, ts, ts, x.by, x.markings),
		Name:        string(ev.Info),
		ReportTypes: []string{"threat-report"},
		ObjectRefs:  x.refs,
	}
	if rep.Name == "" {
		rep.Name = "MISP event " + uuid
	}
	rep.Labels = labels
	rep.ExtRefs = append([]extRef{{SourceName: "misp", ExternalID: uuid}}, extRefs...)
	rep.Description = strings.Join(notes, "\n\n")
	rep.Published = ts
	if p, ok := epoch(ev.PublishTimestamp); ok {
		rep.Published = p
	}
	if len(rep.ObjectRefs) == 0 {
		if x.by == "" {
			return c.result(nil, errs.F(errs.Invalid, join(path, "Attribute"), "event has nothing to convert and no creator"))
		}
		rep.ObjectRefs = []string{x.by}
	}
	return c.result([]any{&rep}, nil)
}

// send emits a derived object (an identity) without counting a record.
func (c *mispConv) send(o any) error {
	b, err := marshal(o)
	if err != nil {
		return err
	}
	return c.emit(Record{Line: c.n, Object: b, Compact: true})
}

// splitTags separates tlp: tags (the markings, TLP 2.0 ids) from the other
// tags (the labels, in input order without duplicates).
func splitTags(tags []mispTag) (labels, markings []string) {
	seen := map[string]bool{}
	for _, t := range tags {
		n := strings.TrimSpace(string(t.Name))
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if strings.HasPrefix(strings.ToLower(n), "tlp:") {
			if id, ok := TLPMarking(n); ok {
				markings = append(markings, id)
				continue
			}
		}
		labels = append(labels, n)
	}
	sort.Strings(markings)
	return labels, markings
}
