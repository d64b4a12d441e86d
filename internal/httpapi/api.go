// Package httpapi serves kyojo's REST API under /api/v1: JSON in and out,
// RFC 9457 problem details for errors, and an OpenAPI 3.1 description at
// /api/v1/openapi.json that a test keeps in step with the routes.
//
// It owns the HTTP shape of the identity use cases (organisations,
// communities, people, API tokens, the audit trail) and nothing else: every
// handler takes the actor that httpx.Auth put in the request context and
// calls identity.Service, which decides, validates, writes and audits. The
// package never touches a store.
package httpapi

import (
	"net/http"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// Prefix is the path every route of the API starts with.
const Prefix = "/api/v1"

// MaxBody is the largest request body the API reads; larger ones get 413.
const MaxBody = 1 << 20

// Deps are what the API needs.
type Deps struct {
	Identity *identity.Service
	Evidence *evidence.Service // nil: the hub runs no ledger, and the evidence routes are absent
	Intel    *intel.Service    // the intelligence store
	Version  string

	RPZ       *rpz.Service     // nil: the RPZ routes are absent
	RPZStatus rpz.Status       // the running DNS side; nil when this node serves no zones
	Monitor   *monitor.Service // GSOC monitoring: sensors, ingest, alerts; nil: the routes are absent
	// Incidents serves the incident cases; nil: the routes are absent.
	Incidents *incident.Service
	Partners  *partner.Service // federation partners; nil: the partner routes answer 503
}

// API is the REST API. It holds no mutable state and is safe for
// concurrent use.
type API struct {
	d    Deps
	spec []byte // the OpenAPI document, rendered once

	ingestSlots chan struct{} // ingest requests in flight; full: 429
}

// New returns the API.
func New(d Deps) *API {
	return &API{d: d, spec: specJSON(d.Version), ingestSlots: make(chan struct{}, MaxIngestInFlight)}
}

// MaxIngestInFlight is how many ingest requests are served at once.
const MaxIngestInFlight = 16

// handlerFunc is a handler that returns its error instead of writing it;
// serve renders the error as problem+json.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route is one method and path template the API serves.
type route struct {
	pattern string // ServeMux pattern: "GET /api/v1/organizations/{ref}"
	h       handlerFunc
	public  bool // served to anonymous callers too
}

// routes lists every route of the API. Register serves exactly these, and
// the OpenAPI test checks them against the document.
func (a *API) routes() []route {
	rs := []route{
		{pattern: "GET " + Prefix + "/openapi.json", h: a.openAPI, public: true},
		{pattern: "GET " + Prefix + "/me", h: a.me},
	}
	rs = append(rs, a.orgRoutes()...)
	rs = append(rs, a.communityRoutes()...)
	rs = append(rs, a.userRoutes()...)
	rs = append(rs, a.tokenRoutes()...)
	rs = append(rs, a.auditRoutes()...)
	rs = append(rs, a.evidenceRoutes()...)
	rs = append(rs, a.ledgerRoutes()...)
	rs = append(rs, a.objectRoutes()...)
	rs = append(rs, a.exportRoutes()...)
	rs = append(rs, a.importRoutes()...)
	rs = append(rs, a.rpzRoutes()...)
	rs = append(rs, a.monitorRoutes()...)
	rs = append(rs, a.incidentRoutes()...)
	rs = append(rs, a.partnerRoutes()...)
	return rs
}

// Routes returns the ServeMux patterns Register adds, in registration
// order (besides the /api/ fallback that answers 404 and 405).
func (a *API) Routes() []string {
	var out []string
	for _, rt := range a.routes() {
		out = append(out, rt.pattern)
	}
	return out
}

// Register adds the API's routes to mux, and a fallback for every other
// path under /api/: problem+json 404 for an unknown path, 405 with an Allow
// header for a known path asked with a method it does not take.
func (a *API) Register(mux *http.ServeMux) {
	known := http.NewServeMux()
	for _, rt := range a.routes() {
		mux.Handle(rt.pattern, serve(rt.h, rt.public))
		known.Handle(rt.pattern, http.NotFoundHandler())
	}
	mux.Handle("/api/", fallback(known))
}

// serve adapts h: anonymous callers of non-public routes get 401 before
// any body is read, and errors are written as problem+json.
func serve(h handlerFunc, public bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !public && httpx.Actor(r.Context()).Anonymous() {
			httpx.WriteProblem(w, r, errs.E(errs.Unauthenticated, "sign in first: send Authorization: Bearer <token>"))
			return
		}
		if err := h(w, r); err != nil {
			httpx.WriteProblem(w, r, err)
		}
	})
}

// fallback answers requests no route matched, asking known (a mux holding
// the same patterns) which methods the path does take.
func fallback(known *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		allow := httpx.Allowed(known, r)
		if len(allow) == 0 {
			httpx.WriteProblem(w, r, errs.E(errs.NotFound, "no such endpoint: %s", r.URL.Path))
			return
		}
		w.Header().Set("Allow", strings.Join(allow, ", "))
		httpx.WriteProblem(w, r, errs.E(errs.NotAllowed, "%s does not take %s; use %s", r.URL.Path, r.Method, strings.Join(allow, ", ")))
	})
}

// items is the shape of every list answer.
type items[T any] struct {
	Items []T `json:"items"`
}

// list wraps s, never as null.
func list[T any](s []T) items[T] {
	if s == nil {
		s = []T{}
	}
	return items[T]{Items: s}
}

// decode reads the JSON body into v with the API's size limit.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpx.DecodeJSON(w, r, MaxBody, v)
}

// created answers 201 with v and a Location header.
func created(w http.ResponseWriter, location string, v any) {
	w.Header().Set("Location", location)
	httpx.WriteJSON(w, http.StatusCreated, v)
}

// renameField rewrites field errors on from as errors on to, so that the
// API names its own body fields where the Service's input names differ.
func renameField(err error, from, to string) error {
	fields := errs.Fields(err)
	changed := false
	var l errs.List
	for _, f := range fields {
		c := *f
		if c.Field == from {
			c.Field, changed = to, true
		}
		l = append(l, &c)
	}
	if !changed {
		return err
	}
	return l.Err()
}

// me is the answer of GET /api/v1/me.
type me struct {
	User         identity.User `json:"user"`
	Organization identity.Org  `json:"organization"`
	Role         policy.Role   `json:"role"`
	Scope        policy.Scope  `json:"scope"`
}

// me answers who the caller is: their person, organisation, role and the
// scope of the credential used.
func (a *API) me(w http.ResponseWriter, r *http.Request) error {
	ctx, act := r.Context(), httpx.Actor(r.Context())
	o, err := a.d.Identity.Org(ctx, act, act.OrgID)
	if err != nil {
		return err
	}
	u, err := a.d.Identity.User(ctx, act, act.UserID)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, me{User: u, Organization: o, Role: act.Role, Scope: act.Scope})
	return nil
}
