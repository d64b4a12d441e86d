package taxii

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/stix"
)

// DefaultLimit is the page size when the client names none; MaxLimit the
// largest it may name.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

var (
	idRE   = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,248}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	typeRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{1,249}$`)
)

// query is a GET's parsed URL parameters.
type query struct {
	f        intel.Filter
	limit    int
	next     string
	noneSpec bool // match[spec_version] excludes 2.1: nothing matches
}

// parseQuery reads added_after, limit, next and the match[] parameters a
// TAXII endpoint takes (ids and types only on the objects and manifest
// endpoints). Unknown parameters are ignored, as TAXII asks; bad values of
// known ones are errs.Malformed (400).
func parseQuery(q url.Values, matchObjects, matchVersion bool) (query, error) {
	out := query{limit: DefaultLimit, next: q.Get("next")}
	var l errs.List
	if s, ok := one(q, "added_after"); ok {
		t, good := stix.ParseTimestamp(s)
		if !good {
			l.Add(errs.Malformed, "added_after", "must be a timestamp such as 2026-04-01T09:30:00.000Z")
		}
		out.f.AddedAfter = t.UTC()
	}
	if s, ok := one(q, "limit"); ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > MaxLimit {
			l.Add(errs.Malformed, "limit", "must be a whole number from 1 to %d", MaxLimit)
		}
		out.limit = n
	}
	if matchObjects {
		for _, id := range list(q, "match[id]") {
			if !idRE.MatchString(id) {
				l.Add(errs.Malformed, "match[id]", "%q is not a STIX identifier", truncate(id))
				continue
			}
			out.f.IDs = append(out.f.IDs, id)
		}
		for _, t := range list(q, "match[type]") {
			if !typeRE.MatchString(t) {
				l.Add(errs.Malformed, "match[type]", "%q is not a STIX type", truncate(t))
				continue
			}
			out.f.Types = append(out.f.Types, t)
		}
	}
	if matchVersion {
		for _, v := range list(q, "match[version]") {
			switch v {
			case "all":
				out.f.Versions.All = true
			case "first":
				out.f.Versions.First = true
			case "last":
				out.f.Versions.Last = true
			default:
				t, good := stix.ParseTimestamp(v)
				if !good {
					l.Add(errs.Malformed, "match[version]", "must be last, first, all or timestamps")
					continue
				}
				out.f.Versions.At = append(out.f.Versions.At, t.UTC())
			}
		}
	}
	if sv := list(q, "match[spec_version]"); len(sv) > 0 {
		out.noneSpec = true
		for _, v := range sv {
			switch v {
			case "2.1":
				out.noneSpec = false
			case "2.0":
			default:
				l.Add(errs.Malformed, "match[spec_version]", "must be 2.0 or 2.1")
			}
		}
	}
	return out, l.Err()
}

// one returns the value of a parameter that may appear once.
func one(q url.Values, name string) (string, bool) {
	v, ok := q[name]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[len(v)-1], true
}

// list returns the comma-separated values of a parameter, however often it
// appears.
func list(q url.Values, name string) []string {
	var out []string
	for _, v := range q[name] {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// page is one page of stored versions the actor may see.
type page struct {
	rows []intel.Stored
	more bool
	next string
}

// pageOf reads one page of c's objects for the request: c's filter, the
// query's, and the cursor of its next token (checked for endpoint).
func (s *Server) pageOf(r *http.Request, c Collection, endpoint string, q query) (page, error) {
	ctx, a := r.Context(), httpx.Actor(r.Context())
	endpoint = c.ID + "/" + endpoint
	f := q.f
	f.TLP, f.Org, f.Community = c.filter.TLP, c.filter.Org, c.filter.Community
	if q.next != "" {
		seq, err := s.readNext(q.next, a.UserID, endpoint)
		if err != nil {
			return page{}, err
		}
		f.AfterSeq = seq
	}
	if q.noneSpec {
		return page{}, nil
	}
	// Ask for one more than the page to know whether more follow.
	f.Limit = min(q.limit+1, MaxLimit)
	rows, after, err := s.d.Intel.List(ctx, a, f)
	if err != nil {
		return page{}, err
	}
	p := page{rows: rows}
	if len(rows) > q.limit {
		p.rows = rows[:q.limit]
		after = p.rows[q.limit-1].Seq
	}
	if after != 0 {
		p.more = true
		p.next = s.next(cursor{Seq: after, User: a.UserID, Endpoint: endpoint})
	}
	if s.d.Outbound != nil {
		// A partner's account: what may not leave for it is left out of
		// the page (the cursor above still moves past it).
		keep, err := s.d.Outbound(ctx, a)
		if err != nil {
			return page{}, err
		}
		if keep != nil {
			kept := p.rows[:0:0]
			for _, st := range p.rows {
				if keep(st.Object) {
					kept = append(kept, st)
				}
			}
			p.rows = kept
		}
	}
	return p, nil
}

// dateHeaders sets X-TAXII-Date-Added-First and -Last of a page.
func dateHeaders(w http.ResponseWriter, rows []intel.Stored) {
	if len(rows) == 0 {
		return
	}
	w.Header().Set("X-TAXII-Date-Added-First", stamp(rows[0].AddedAt))
	w.Header().Set("X-TAXII-Date-Added-Last", stamp(rows[len(rows)-1].AddedAt))
}

// Envelope is a TAXII envelope.
type Envelope struct {
	More    bool              `json:"more"`
	Next    string            `json:"next,omitempty"`
	Objects []json.RawMessage `json:"objects,omitempty"`
}

// pullPage serves one page of a whole collection (objects or manifest) to
// the requesting client, with every match[] filter, and records the pull.
func (s *Server) pullPage(r *http.Request, endpoint string) (page, error) {
	c, err := s.readable(r)
	if err != nil {
		return page{}, err
	}
	q, err := parseQuery(r.URL.Query(), true, true)
	if err != nil {
		return page{}, err
	}
	p, err := s.pageOf(r, c, endpoint, q)
	if err != nil {
		return page{}, err
	}
	return p, s.logPull(r, c, endpoint, q, p)
}

func (s *Server) getObjects(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pullPage(r, "objects")
	if err != nil {
		return err
	}
	s.writeEnvelope(w, p)
	return nil
}

// logPull records which client pulled what from which collection, for the
// hub administrators' view of TAXII clients: one audit record per page.
func (s *Server) logPull(r *http.Request, c Collection, endpoint string, q query, p page) error {
	ctx, a := r.Context(), httpx.Actor(r.Context())
	d := map[string]any{"endpoint": endpoint, "objects": len(p.rows), "more": p.more, "paged": q.next != ""}
	if !q.f.AddedAfter.IsZero() {
		d["added_after"] = stamp(q.f.AddedAfter)
	}
	if len(p.rows) > 0 {
		d["first_added"], d["last_added"] = stamp(p.rows[0].AddedAt), stamp(p.rows[len(p.rows)-1].AddedAt)
	}
	if len(q.f.Types) > 0 {
		d["types"] = q.f.Types
	}
	rec := a.Record(s.d.Now().UTC(), "taxii.pull", "taxii_collection", c.ID, a.OrgID, audit.Success, d)
	return s.d.Identity.LogRead(ctx, rec)
}

func (s *Server) writeEnvelope(w http.ResponseWriter, p page) {
	env := Envelope{More: p.more, Next: p.next}
	for _, st := range p.rows {
		env.Objects = append(env.Objects, st.Raw)
	}
	dateHeaders(w, p.rows)
	ok(w, http.StatusOK, env)
}

// objectID reads the object id of the path: a STIX identifier, else
// errs.Malformed (400), so that nothing else reaches the store.
func objectID(r *http.Request) (string, error) {
	id := r.PathValue("object")
	if !idRE.MatchString(id) {
		return "", errs.F(errs.Malformed, "object", "%q is not a STIX identifier", truncate(id))
	}
	return id, nil
}

func (s *Server) getObject(w http.ResponseWriter, r *http.Request) error {
	c, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err := objectID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r.URL.Query(), false, true)
	if err != nil {
		return err
	}
	q.f.IDs = []string{id}
	p, err := s.pageOf(r, c, "object/"+id, q)
	if err != nil {
		return err
	}
	if len(p.rows) == 0 && !p.more && q.next == "" {
		return errs.E(errs.NotFound, "no such object in this collection")
	}
	s.writeEnvelope(w, p)
	return nil
}

// Versions is the versions resource.
type Versions struct {
	More     bool     `json:"more"`
	Next     string   `json:"next,omitempty"`
	Versions []string `json:"versions,omitempty"`
}

func (s *Server) versions(w http.ResponseWriter, r *http.Request) error {
	c, err := s.readable(r)
	if err != nil {
		return err
	}
	id, err := objectID(r)
	if err != nil {
		return err
	}
	q, err := parseQuery(r.URL.Query(), false, false)
	if err != nil {
		return err
	}
	q.f.IDs, q.f.Versions = []string{id}, intel.Versions{All: true}
	p, err := s.pageOf(r, c, "versions/"+id, q)
	if err != nil {
		return err
	}
	if len(p.rows) == 0 && !p.more && q.next == "" {
		return errs.E(errs.NotFound, "no such object in this collection")
	}
	out := Versions{More: p.more, Next: p.next}
	for _, st := range p.rows {
		out.Versions = append(out.Versions, version(st.Object))
	}
	dateHeaders(w, p.rows)
	ok(w, http.StatusOK, out)
	return nil
}

// ManifestRecord describes one version in a manifest.
type ManifestRecord struct {
	ID        string `json:"id"`
	DateAdded string `json:"date_added"`
	Version   string `json:"version"`
	MediaType string `json:"media_type"`
}

// Manifest is the manifest resource.
type Manifest struct {
	More    bool             `json:"more"`
	Next    string           `json:"next,omitempty"`
	Objects []ManifestRecord `json:"objects,omitempty"`
}

func (s *Server) manifest(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pullPage(r, "manifest")
	if err != nil {
		return err
	}
	out := Manifest{More: p.more, Next: p.next}
	for _, st := range p.rows {
		out.Objects = append(out.Objects, ManifestRecord{ID: st.ID, DateAdded: stamp(st.AddedAt), Version: version(st.Object), MediaType: MediaSTIX})
	}
	dateHeaders(w, p.rows)
	ok(w, http.StatusOK, out)
	return nil
}

// version is the TAXII version of o: its modified timestamp as written in
// the object, or for objects without one, when the hub first stored it.
func version(o intel.Object) string {
	var m struct {
		Modified string `json:"modified"`
	}
	if json.Unmarshal(o.Raw, &m) == nil && m.Modified != "" {
		if t, ok := stix.ParseTimestamp(m.Modified); ok && t.Equal(o.Modified) {
			return m.Modified
		}
	}
	return o.Modified.UTC().Format(time.RFC3339Nano)
}

// readable returns the collection of the request if the actor may read it.
func (s *Server) readable(r *http.Request) (Collection, error) {
	c, err := s.collectionOf(r)
	if err != nil {
		return c, err
	}
	if !c.CanRead {
		return c, errs.E(errs.Forbidden, "you may not read this collection")
	}
	return c, nil
}
