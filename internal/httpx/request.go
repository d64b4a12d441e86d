package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

type ctxKey int

const (
	keyActor ctxKey = iota
	keyUser
	keyRequestID
	keyLogger
	keySession
	keyRoute
)

type routeHolder struct{ pattern string }

// Routed runs the mux and records the pattern it matched, for metrics
// keyed by route rather than by raw path.
func Routed(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if h, ok := r.Context().Value(keyRoute).(*routeHolder); ok {
			h.pattern = r.Pattern
		}
	})
}

// Actor returns the authenticated actor of the request, or an anonymous
// actor carrying only the request's address, channel and id.
func Actor(ctx context.Context) identity.Actor {
	a, _ := ctx.Value(keyActor).(identity.Actor)
	return a
}

// User returns the signed-in person, if any.
func User(ctx context.Context) (identity.User, bool) {
	u, ok := ctx.Value(keyUser).(identity.User)
	return u, ok
}

// SessionID returns the stored id (hash) of the browser session, or "".
func SessionID(ctx context.Context) string {
	s, _ := ctx.Value(keySession).(string)
	return s
}

// RequestID returns the request's id.
func RequestID(ctx context.Context) string {
	s, _ := ctx.Value(keyRequestID).(string)
	return s
}

// Logger returns the request's logger, with its id attached.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// SessionCookie is the name of the browser session cookie.
const SessionCookie = "kyojo_session"

// Auth authenticates every request that carries credentials and puts the
// actor in its context: "Authorization: Bearer <token>" for machines (via
// "api") or "Authorization: Basic" with a user name and that person's API
// token as password (TAXII clients), the session cookie for browsers (via
// "web"). A request with a bad credential gets 401 at once when it used an
// Authorization header; a stale session
// cookie only leaves the request anonymous, so the UI can send the person to
// the sign-in page. Handlers decide whether anonymous is enough.
func Auth(svc *identity.Service, trustProxy bool) func(http.Handler) http.Handler {
	return AuthWith(svc, trustProxy, WriteProblem)
}

// AuthWith is Auth answering refused credentials with writeErr instead of
// problem+json (TAXII answers with its own error objects).
func AuthWith(svc *identity.Service, trustProxy bool, writeErr func(http.ResponseWriter, *http.Request, error)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			from := identity.Actor{Remote: ClientIP(r, trustProxy), RequestID: RequestID(ctx), Via: "web"}
			if strings.HasPrefix(r.URL.Path, "/api/") {
				from.Via = "api"
			}
			actor := from
			if h := r.Header.Get("Authorization"); h != "" && isSensorToken(h) {
				// A sensor's token is checked by the ingest handler; the
				// request goes on as anonymous everywhere else.
				from.Via = "api"
			} else if h != "" {
				from.Via = "api"
				a, u, err := authenticateHeader(ctx, svc, r, h, from)
				if err != nil {
					writeErr(w, r, err)
					return
				}
				actor = a
				ctx = context.WithValue(ctx, keyUser, u)
			} else if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
				a, u, err := svc.AuthenticateSession(ctx, c.Value, from)
				if err == nil {
					actor = a
					ctx = context.WithValue(ctx, keyUser, u)
					ctx = context.WithValue(ctx, keySession, identity.HashSecret(c.Value))
				} else if !errs.Is(err, errs.Unauthenticated) {
					writeErr(w, r, err)
					return
				}
			}
			ctx = context.WithValue(ctx, keyActor, actor)
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

// isSensorToken reports whether an Authorization header carries a
// sensor's token (monitor.TokenPrefix), not a person's.
func isSensorToken(h string) bool {
	scheme, cred, _ := strings.Cut(h, " ")
	return strings.EqualFold(scheme, "Bearer") && strings.HasPrefix(strings.TrimSpace(cred), monitor.TokenPrefix)
}

// authenticateHeader checks an Authorization header: "Bearer <token>", or
// "Basic" with the token's owner's user name and the token as password
// (what TAXII clients send). A Basic user name that does not own the token
// is refused like a wrong token.
func authenticateHeader(ctx context.Context, svc *identity.Service, r *http.Request, h string, from identity.Actor) (identity.Actor, identity.User, error) {
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case strings.EqualFold(scheme, "Bearer") && cred != "":
		return svc.AuthenticateToken(ctx, cred, from)
	case strings.EqualFold(scheme, "Basic") && cred != "":
		user, token, ok := r.BasicAuth()
		if !ok || user == "" || token == "" {
			return identity.Actor{}, identity.User{}, errs.E(errs.Unauthenticated, "Basic credentials must be your user name and an API token")
		}
		a, u, err := svc.AuthenticateToken(ctx, token, from)
		if err != nil {
			return a, u, err
		}
		if !strings.EqualFold(strings.TrimSpace(user), u.Username) {
			return identity.Actor{}, identity.User{}, errs.E(errs.Unauthenticated, "unknown API token")
		}
		return a, u, nil
	}
	return identity.Actor{}, identity.User{}, errs.E(errs.Unauthenticated, "use Authorization: Bearer <token>, or Basic with your user name and an API token")
}

// WithActor returns ctx carrying a; for tests and internal callers.
func WithActor(ctx context.Context, a identity.Actor) context.Context {
	return context.WithValue(ctx, keyActor, a)
}

// ClientIP returns the client's address: the connection's peer, or with
// trustProxy the left-most X-Forwarded-For address.
func ClientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return a.Unmap().String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.Unmap().String()
	}
	return host
}

// Base adds a request id (or keeps a sane incoming X-Request-ID), a logger
// carrying it, recovers from panics with a 500 problem, and logs each
// request in JSON with its status and duration.
func Base(log *slog.Logger, observe func(r *http.Request, route string, status int, d time.Duration)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			id := r.Header.Get("X-Request-ID")
			if !validRequestID(id) {
				id = identity.Secret(12)
			}
			l := log.With("request_id", id)
			ctx := context.WithValue(r.Context(), keyRequestID, id)
			ctx = context.WithValue(ctx, keyLogger, l)
			route := &routeHolder{}
			ctx = context.WithValue(ctx, keyRoute, route)
			w.Header().Set("X-Request-ID", id)
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				if v := recover(); v != nil {
					if v == http.ErrAbortHandler {
						panic(v)
					}
					l.ErrorContext(ctx, "panic", "panic", fmt.Sprint(v), "path", r.URL.Path)
					if sw.status == 0 {
						WriteProblem(sw, r.WithContext(ctx), errs.Wrap(fmt.Errorf("panic: %v", v), "handler"))
					}
				}
				d := time.Since(start)
				if observe != nil {
					observe(r, route.pattern, sw.code(), d)
				}
				l.LogAttrs(ctx, slog.LevelInfo, "http",
					slog.String("method", r.Method), slog.String("path", r.URL.Path),
					slog.Int("status", sw.code()), slog.Int64("bytes", sw.n),
					slog.Duration("duration", d), slog.String("remote", r.RemoteAddr))
			}()
			next.ServeHTTP(sw, r.WithContext(ctx))
		})
	}
}

func validRequestID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

type statusWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// MaxBody is the default limit on request bodies.
const MaxBody = 1 << 20

// DecodeJSON reads one JSON value from r's body into v: at most limit bytes
// (413 past that), Content-Type application/json (415 otherwise), unknown
// fields refused, trailing data refused. Errors say where the problem is.
func DecodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	ct := r.Header.Get("Content-Type")
	if mt, _, _ := strings.Cut(ct, ";"); strings.TrimSpace(strings.ToLower(mt)) != "application/json" {
		return errs.E(errs.Unsupported, "send the body as application/json")
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return jsonError(err, limit)
		}
		return errs.E(errs.Malformed, "the body has data after its JSON value")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var mbe *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes", limit)
	case errors.As(err, &syn):
		return &errs.Error{Code: errs.Malformed, Message: fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, syn.Error()), Err: err}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return &errs.Error{Code: errs.Malformed, Field: field,
			Message: fmt.Sprintf("must be %s, not JSON %s", typ.Type.String(), typ.Value), Err: err}
	case errors.Is(err, io.EOF):
		return errs.E(errs.Malformed, "the body is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Malformed, "the JSON ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.F(errs.Malformed, f, "is not a known field")
	}
	return &errs.Error{Code: errs.Malformed, Message: "malformed JSON: " + err.Error(), Err: err}
}

// Allowed returns the methods known (a mux holding an API's patterns)
// serves for r's path, for a 405 answer's Allow header; none means the
// path is unknown. It asks for GET, HEAD, POST, PUT, PATCH and DELETE.
func Allowed(known *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, pattern := known.Handler(r2); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}
