// Package server assembles kyojo's HTTP surface: the HTML UI at /, the REST
// API at /api/v1, TAXII 2.1 at /taxii2/ (when intel is served), health at /healthz and /readyz, and Prometheus metrics at
// /metrics, behind the shared middleware (request ids, access logs, panics,
// authentication). It owns no business rules.
package server

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpapi"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/rpz"
	"github.com/kyojo-hub/kyojo/internal/taxii"
	"github.com/kyojo-hub/kyojo/internal/web"
)

// Options configure the handler.
type Options struct {
	Log          *slog.Logger
	Version      string
	TrustProxy   bool // take the client address from X-Forwarded-For
	SecureCookie bool // mark cookies Secure (behind TLS)
	// TAXIIKey signs TAXII next tokens; every node of a hub needs the same
	// one. Empty: a random key per process (tokens die with it).
	TAXIIKey []byte
}

// Services are the parts the HTTP surface serves.
type Services struct {
	Identity *identity.Service
	Evidence *evidence.Service // nil when this node runs no ledger
	Intel    *intel.Service
	// TAXIIStatus keeps the status of TAXII POSTs; when nil, the identity
	// store is used if it implements taxii.StatusStore (*store.DB does).
	TAXIIStatus taxii.StatusStore

	// RPZ manages the RPZ feeds; when nil, one is made on the identity
	// store if it implements rpz.Store (*store.DB does). RPZStatus is the
	// running DNS side, nil when this node serves no zones.
	RPZ       *rpz.Service
	RPZStatus rpz.Status
	Monitor   *monitor.Service // GSOC monitoring; nil: not served
	// Incidents serves incident cases (API and UI); nil: not served.
	Incidents *incident.Service
	// Partners is the federation partner registry: its outbound policy
	// applies to what partners' accounts read over TAXII; the REST API and
	// the UI manage it. nil: no federation.
	Partners *partner.Service
}

// Handler returns kyojo's whole HTTP handler and the metrics registry it
// reports to (so other parts can register their own collectors).
func Handler(sv Services, opt Options) (http.Handler, *prometheus.Registry) {
	svc := sv.Identity
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "kyojo_http_requests_total", Help: "HTTP requests by route pattern, method and status.",
	}, []string{"route", "method", "status"})
	dur := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "kyojo_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"route"})
	reg.MustRegister(reqs, dur)

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ok", "version": opt.Version})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := svc.Store().Ping(ctx); err != nil {
			httpx.Logger(ctx).WarnContext(ctx, "not ready", "err", err)
			httpx.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "store": "down"})
			return
		}
		httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "ready", "store": "ok"})
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))

	if sv.Evidence != nil {
		// The latest signed checkpoint, and the latest a witness co-signed:
		// public, for verifiers and witnesses.
		note := func(pick func(evidence.Info) string) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				n := pick(sv.Evidence.LedgerInfo())
				if n == "" {
					httpx.WriteProblem(w, r, errs.E(errs.NotFound, "no such checkpoint has been signed yet"))
					return
				}
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.Header().Set("Cache-Control", "no-cache")
				io.WriteString(w, n)
			}
		}
		mux.HandleFunc("GET /ledger/checkpoint", note(func(i evidence.Info) string { return i.Checkpoint }))
		mux.HandleFunc("GET /ledger/checkpoint/cosigned", note(func(i evidence.Info) string { return i.Cosigned }))
	}
	if sv.RPZ == nil {
		if st, ok := svc.Store().(rpz.Store); ok {
			sv.RPZ = rpz.NewService(st, nil)
		}
	}
	httpapi.New(httpapi.Deps{Identity: svc, Evidence: sv.Evidence, Intel: sv.Intel, Version: opt.Version,
		RPZ: sv.RPZ, RPZStatus: sv.RPZStatus, Monitor: sv.Monitor, Incidents: sv.Incidents, Partners: sv.Partners}).Register(mux)
	if sv.Intel != nil {
		st := sv.TAXIIStatus
		if st == nil {
			st, _ = svc.Store().(taxii.StatusStore)
		}
		if st != nil {
			deps := taxii.Deps{Identity: svc, Intel: sv.Intel, Status: st, Key: opt.TAXIIKey}
			if sv.Partners != nil {
				deps.Outbound = func(ctx context.Context, a identity.Actor) (func(intel.Object) bool, error) {
					m, err := sv.Intel.Member(ctx, a)
					if err != nil {
						return nil, err
					}
					return sv.Partners.OutboundFilter(ctx, a.OrgID, m)
				}
			}
			taxii.New(deps).Register(mux)
		}
	}
	web.New(web.Deps{Identity: svc, Evidence: sv.Evidence, Intel: sv.Intel, Version: opt.Version, SecureCookie: opt.SecureCookie,
		RPZ: sv.RPZ, RPZStatus: sv.RPZStatus, Monitor: sv.Monitor, Incidents: sv.Incidents, Partners: sv.Partners}).Register(mux)

	observe := func(r *http.Request, route string, status int, d time.Duration) {
		if route == "" {
			route = "unmatched"
		}
		reqs.WithLabelValues(route, r.Method, strconv.Itoa(status)).Inc()
		dur.WithLabelValues(route).Observe(d.Seconds())
	}
	h := httpx.Routed(mux)
	if sv.RPZStatus != nil {
		h = warnBlocked(sv.RPZStatus, h)
	}
	h = httpx.AuthWith(svc, opt.TrustProxy, func(w http.ResponseWriter, r *http.Request, err error) {
		if strings.HasPrefix(r.URL.Path, taxii.Prefix) {
			taxii.WriteError(w, r, err) // TAXII clients get TAXII error objects
			return
		}
		httpx.WriteProblem(w, r, err)
	})(h)
	h = securityHeaders(h)
	h = httpx.Base(opt.Log, observe)(h)
	return h, reg
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
		next.ServeHTTP(w, r)
	})
}

// warnBlocked shows the warning page to browsers the walled garden sent
// here: a request whose Host is a name the RPZ policy lists.
func warnBlocked(st rpz.Status, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && r.URL.Path != "/warning" && !strings.HasPrefix(r.URL.Path, "/static/") && web.IsListed(st, r.Host) {
			r2 := r.Clone(r.Context())
			r2.URL.Path, r2.URL.RawQuery = "/warning", ""
			next.ServeHTTP(w, r2)
			return
		}
		next.ServeHTTP(w, r)
	})
}
