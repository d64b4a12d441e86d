// Package taxii serves TAXII 2.1 (OASIS, 2021) under /taxii2/: discovery,
// one API root ("kyojo"), collections mapped onto kyojo's sharing, objects
// with their versions and manifest, POSTs of envelopes and their status.
//
// Collections are per requesting organisation: "public" (TLP:CLEAR),
// "community-<slug>" for each community the organisation belongs to (hub
// administrators: every community) and "inbox-<org slug>" for the
// organisation itself. A collection the requester does not have is 404, the
// same as one that does not exist. Every object served comes from
// intel.Service, which applies policy.CanSee to each version: what a client
// may not see appears nowhere, not in objects, manifests, versions, counts
// or status.
//
// Paging uses the store sequence (intel.Stored.Seq) as cursor, sent to
// clients as an opaque "next" token that is HMAC-signed with the hub's key,
// bound to the person, collection and endpoint, and expires after a day.
// Rows are only ever appended with a larger sequence, so a client paging
// with next neither skips nor repeats an object while objects are added.
//
// Errors are TAXII error objects with the HTTP status of the kyojo error
// code (the table in httpx.Status), except the TAXII-specific 406 and 415.
package taxii

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// Prefix is where the TAXII server lives.
const Prefix = "/taxii2/"

// Root is the name of the one API root.
const Root = "kyojo"

// The media types.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// MaxBody is the largest envelope a POST may carry (max_content_length).
const MaxBody = 32 << 20

// NextLifetime is how long a next token stays valid.
const NextLifetime = 24 * time.Hour

// StatusStore keeps the status resources of POSTs. *store.DB implements
// it. Lookups of an unknown id MUST return errs.NotFound.
type StatusStore interface {
	PutTAXIIStatus(ctx context.Context, id, orgID, userID string, at time.Time, body []byte) error
	TAXIIStatus(ctx context.Context, id string) (orgID string, body []byte, err error)
}

// Deps are what the server needs.
type Deps struct {
	Identity *identity.Service
	Intel    *intel.Service
	Status   StatusStore
	// Key signs next tokens. Every node of a hub MUST use the same key, or
	// a token issued by one node is refused by another. When empty, a
	// random key is made: tokens then die with the process.
	Key   []byte
	Title string // the discovery title; "kyojo" when empty
	Now   func() time.Time
	// Outbound, when set, returns the rule every object served to a
	// reader must pass besides visibility, or nil for none: the partner
	// registry's outbound policy for the accounts of federation partners.
	Outbound func(ctx context.Context, a identity.Actor) (func(intel.Object) bool, error)
}

// Server is the TAXII 2.1 server. It holds no mutable state and is safe
// for concurrent use.
type Server struct {
	d Deps
}

// New returns a Server.
func New(d Deps) *Server {
	if len(d.Key) == 0 {
		d.Key = make([]byte, 32)
		_, _ = rand.Read(d.Key)
	}
	if d.Title == "" {
		d.Title = "kyojo"
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Server{d: d}
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string
	h       handlerFunc
	accept  []string // acceptable response media types (first: the default)
}

func (s *Server) routes() []route {
	taxii := []string{MediaTAXII}
	objs := []string{MediaTAXII, MediaSTIX}
	root := Prefix + "{root}/"
	coll := root + "collections/{collection}/"
	return []route{
		{"GET " + Prefix + "{$}", s.discovery, taxii},
		{"GET " + root + "{$}", s.apiRoot, taxii},
		{"GET " + root + "collections/{$}", s.collections, taxii},
		{"GET " + coll + "{$}", s.collection, taxii},
		{"GET " + coll + "objects/{$}", s.getObjects, objs},
		{"POST " + coll + "objects/{$}", s.postObjects, taxii},
		{"GET " + coll + "objects/{object}/{$}", s.getObject, objs},
		{"GET " + coll + "objects/{object}/versions/{$}", s.versions, taxii},
		{"GET " + coll + "manifest/{$}", s.manifest, taxii},
		{"GET " + root + "status/{status}/{$}", s.status, taxii},
	}
}

// Routes returns the ServeMux patterns Register adds, besides the
// fallback under Prefix.
func (s *Server) Routes() []string {
	var out []string
	for _, rt := range s.routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// Register adds the server's routes to mux, and a fallback for every other
// path under Prefix that answers TAXII errors: 404, or 405 with Allow.
func (s *Server) Register(mux *http.ServeMux) {
	known := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.serve(rt))
		known.Handle(rt.pattern, http.NotFoundHandler())
	}
	mux.Handle(Prefix, fallback(known))
}

// serve adapts a handler: 401 for anonymous callers, 406 when the client
// accepts none of the route's media types, TAXII errors for everything.
func (s *Server) serve(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if httpx.Actor(r.Context()).Anonymous() {
			writeError(w, r, errs.E(errs.Unauthenticated, "send Authorization: Basic (user name and API token) or Bearer <token>"))
			return
		}
		mt, ok := negotiate(r.Header.Get("Accept"), rt.accept)
		if !ok {
			writeError(w, r, errNotAcceptable)
			return
		}
		if root := r.PathValue("root"); r.Pattern != "GET "+Prefix+"{$}" && root != Root {
			writeError(w, r, errs.E(errs.NotFound, "no such API root"))
			return
		}
		w.Header().Set("Content-Type", mt)
		if err := rt.h(w, r); err != nil {
			writeError(w, r, err)
		}
	})
}

func fallback(known *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := httpx.Allowed(known, r)
		if len(allow) == 0 {
			writeError(w, r, errs.E(errs.NotFound, "no such TAXII endpoint"))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, r, errs.E(errs.NotAllowed, "this endpoint takes %s", strings.Join(allow, ", ")))
	})
}

// errNotAcceptable and errUnsupported are TAXII's 406 and 415.
var (
	errNotAcceptable = &errs.Error{Code: errs.Unsupported, Field: "accept", Message: "accept " + MediaTAXII}
	errUnsupported   = errs.E(errs.Unsupported, "send the envelope as "+MediaTAXII)
)

// negotiate picks the response media type from an Accept header: the first
// of offers the header allows. A missing header, */* and application/*
// take the first offer. A media type's version parameter, when given, MUST
// be 2.1.
func negotiate(accept string, offers []string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return offers[0], true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if q, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
				continue
			}
		}
		if mt == "*/*" || mt == "application/*" {
			return offers[0], true
		}
		if v, ok := params["version"]; ok && v != "2.1" {
			continue
		}
		for _, o := range offers {
			if base, _, _ := strings.Cut(o, ";"); base == mt {
				return o, true
			}
		}
	}
	return "", false
}

// contentTypeOK reports whether a POST body is a TAXII 2.1 envelope by its
// Content-Type.
func contentTypeOK(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

// Error is a TAXII 2.1 error message.
type Error struct {
	Title       string            `json:"title"`
	Description string            `json:"description,omitempty"`
	ErrorID     string            `json:"error_id,omitempty"`
	ErrorCode   string            `json:"error_code,omitempty"`
	HTTPStatus  string            `json:"http_status,omitempty"`
	Details     map[string]string `json:"details,omitempty"`
}

var titles = map[int]string{
	http.StatusBadRequest:            "Bad request",
	http.StatusUnauthorized:          "Authentication required",
	http.StatusForbidden:             "Forbidden",
	http.StatusNotFound:              "Not found",
	http.StatusMethodNotAllowed:      "Method not allowed",
	http.StatusNotAcceptable:         "Not acceptable",
	http.StatusConflict:              "Conflict",
	http.StatusRequestEntityTooLarge: "Too large",
	http.StatusUnsupportedMediaType:  "Unsupported media type",
	http.StatusUnprocessableEntity:   "Invalid input",
	http.StatusTooManyRequests:       "Too many requests",
	http.StatusInternalServerError:   "Internal error",
	http.StatusServiceUnavailable:    "Service unavailable",
}

// WriteError writes err as a TAXII error message, for the middleware in
// front of the server (authentication) to answer TAXII clients in kind.
func WriteError(w http.ResponseWriter, r *http.Request, err error) { writeError(w, r, err) }

// writeError writes err as a TAXII error message. Internal errors say only
// "internal error"; their cause goes to the log.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.CodeOf(err)
	status := httpx.Status[code]
	if err == errNotAcceptable {
		status = http.StatusNotAcceptable
	}
	if status == 0 {
		status = http.StatusInternalServerError
	}
	e := Error{Title: titles[status], ErrorID: httpx.RequestID(r.Context()), ErrorCode: string(code), HTTPStatus: strconv.Itoa(status)}
	if code == errs.Internal {
		httpx.Logger(r.Context()).ErrorContext(r.Context(), "internal error", "err", err, "path", r.URL.Path)
		e.Description = "internal error"
	} else if fs := errs.Fields(err); len(fs) > 0 {
		e.Description = fs[0].Message
		if fs[0].Field != "" {
			e.Description = fs[0].Field + ": " + fs[0].Message
			e.Details = map[string]string{"field": fs[0].Field}
		}
	}
	switch status {
	case http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Basic realm="kyojo", charset="UTF-8"`)
		w.Header().Add("WWW-Authenticate", `Bearer realm="kyojo"`)
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", strconv.Itoa(httpx.RetryAfterSeconds))
	}
	write(w, MediaTAXII, status, e)
}

// write writes v as JSON with status and media type mt.
func write(w http.ResponseWriter, mt string, status int, v any) {
	w.Header().Set("Content-Type", mt)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ok writes v with the media type serve negotiated.
func ok(w http.ResponseWriter, status int, v any) {
	write(w, w.Header().Get("Content-Type"), status, v)
}

// stamp formats a time as TAXII and STIX timestamps are written.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
