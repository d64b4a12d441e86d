package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

func (a *API) exportRoutes() []route {
	if a.d.Intel == nil {
		return nil
	}
	return []route{{pattern: "GET " + Prefix + "/export", h: a.export}}
}

// export streams everything the caller may see, as one STIX 2.1 bundle
// (format=stix) or in the formats firewalls and other tools read. Objects
// go out exactly as they were shared.
func (a *API) export(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := intel.Filter{Types: q["type"], Source: q.Get("source"), Community: q.Get("community")}
	format := q.Get("format")
	if format == "" {
		format = "stix"
	}
	exp, ok := exporters[format]
	if !ok {
		return errs.F(errs.Malformed, "format", "must be one of %s", exporterNames())
	}
	w.Header().Set("Content-Type", exp.contentType)
	w.Header().Set("Content-Disposition", `attachment; filename="kyojo-export.`+exp.ext+`"`)
	w.Header().Set("Cache-Control", "no-store")
	bw := bufio.NewWriterSize(w, 64<<10)
	write, finish := exp.start(bw, q)
	_, err := a.d.Intel.Each(r.Context(), httpx.Actor(r.Context()), f, write)
	if err == nil {
		err = finish()
	}
	if ferr := bw.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		// Headers are gone; end the stream so the client sees it broken.
		httpx.Logger(r.Context()).WarnContext(r.Context(), "export cut short", "err", err)
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exporter writes objects in one format: start returns the per-object
// writer and the closer.
type exporter struct {
	contentType, ext string
	start            func(w *bufio.Writer, q map[string][]string) (func(intel.Object) error, func() error)
}

var exporters = map[string]exporter{
	"stix": {"application/stix+json;version=2.1", "json", stixBundle},
	"csv": {"text/csv; charset=utf-8", "csv", collect(func(w *bufio.Writer, q map[string][]string, objs []json.RawMessage) error {
		return convert.ToCSV(w, objs)
	})},
	"plain": {"text/plain; charset=utf-8", "txt", collect(plainList)},
	"misp":  {"application/json", "json", collect(mispFeed)},
}

// collect gathers the objects and writes them at the end, for formats that
// group objects (MISP events) or need them all.
func collect(write func(w *bufio.Writer, q map[string][]string, objs []json.RawMessage) error) func(*bufio.Writer, map[string][]string) (func(intel.Object) error, func() error) {
	return func(w *bufio.Writer, q map[string][]string) (func(intel.Object) error, func() error) {
		var objs []json.RawMessage
		return func(o intel.Object) error { objs = append(objs, o.Raw); return nil },
			func() error { return write(w, q, objs) }
	}
}

func plainList(w *bufio.Writer, q map[string][]string, objs []json.RawMessage) error {
	kind := "ip"
	if k := q["kind"]; len(k) > 0 && k[0] != "" {
		kind = k[0]
	}
	return convert.ToPlain(w, objs, convert.Kind(kind))
}

// mispFeed answers the feed as one JSON document: {"manifest": …, "events": {uuid: event}}.
func mispFeed(w *bufio.Writer, _ map[string][]string, objs []json.RawMessage) error {
	manifest, events, err := convert.ToMISPFeed(objs, convert.ExportOptions{})
	if err != nil {
		return err
	}
	ev := map[string]json.RawMessage{}
	for k, v := range events {
		ev[k] = v
	}
	return json.NewEncoder(w).Encode(map[string]any{"manifest": json.RawMessage(manifest), "events": ev})
}

func exporterNames() string {
	s := ""
	for _, n := range []string{"stix", "misp", "csv", "plain"} {
		if _, ok := exporters[n]; ok {
			if s != "" {
				s += ", "
			}
			s += n
		}
	}
	return s
}

// stixBundle writes a bundle, streaming its objects.
func stixBundle(w *bufio.Writer, _ map[string][]string) (func(intel.Object) error, func() error) {
	first := true
	w.WriteString(`{"type":"bundle","id":"bundle--` + uuid.NewString() + `","objects":[`)
	write := func(o intel.Object) error {
		if !first {
			w.WriteByte(',')
		}
		first = false
		_, err := w.Write(o.Raw)
		return err
	}
	finish := func() error {
		_, err := w.WriteString("]}\n")
		return err
	}
	return write, finish
}
