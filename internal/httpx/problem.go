// Package httpx is the HTTP plumbing the JSON API and the HTML UI share:
// RFC 9457 problem details from kyojo errors, authentication of requests
// into an identity.Actor, request ids, client addresses, body limits and
// access logs. It holds no handlers of its own.
package httpx

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Status maps each error code to its HTTP status: the one table.
var Status = map[errs.Code]int{
	errs.Malformed:       http.StatusBadRequest,
	errs.Invalid:         http.StatusUnprocessableEntity,
	errs.NotFound:        http.StatusNotFound,
	errs.Conflict:        http.StatusConflict,
	errs.Unauthenticated: http.StatusUnauthorized,
	errs.Forbidden:       http.StatusForbidden,
	errs.TooLarge:        http.StatusRequestEntityTooLarge,
	errs.RateLimited:     http.StatusTooManyRequests,
	errs.Unavailable:     http.StatusServiceUnavailable,
	errs.Unsupported:     http.StatusUnsupportedMediaType,
	errs.NotAllowed:      http.StatusMethodNotAllowed,
	errs.Internal:        http.StatusInternalServerError,
}

var titles = map[errs.Code]string{
	errs.Malformed:       "Malformed request",
	errs.Invalid:         "Invalid input",
	errs.NotFound:        "Not found",
	errs.Conflict:        "Conflict",
	errs.Unauthenticated: "Authentication required",
	errs.Forbidden:       "Forbidden",
	errs.TooLarge:        "Too large",
	errs.RateLimited:     "Too many requests",
	errs.Unavailable:     "Service unavailable",
	errs.Unsupported:     "Unsupported media type",
	errs.NotAllowed:      "Method not allowed",
	errs.Internal:        "Internal error",
}

// ProblemBase is the prefix of every problem type URI; the code follows.
const ProblemBase = "https://kyojo.example/problems/"

// Problem is an RFC 9457 problem details object with kyojo's extensions.
type Problem struct {
	Type      string         `json:"type"`
	Title     string         `json:"title"`
	Status    int            `json:"status"`
	Detail    string         `json:"detail,omitempty"`
	Instance  string         `json:"instance,omitempty"`
	Code      errs.Code      `json:"code"`
	RequestID string         `json:"request_id,omitempty"`
	Errors    []ProblemField `json:"errors,omitempty"` // every field error, when there are several or one names a field
}

// ProblemField is one field error inside a Problem.
type ProblemField struct {
	Field   string `json:"field,omitempty"` // JSON path-ish: "contacts[0].email"
	Code    string `json:"code"`
	Message string `json:"message"`
}

// ProblemFor builds the problem for err. Internal errors say only
// "internal error"; their cause goes to the log.
func ProblemFor(r *http.Request, err error) Problem {
	code := errs.CodeOf(err)
	p := Problem{Type: ProblemBase + string(code), Title: titles[code], Status: Status[code], Code: code,
		Instance: r.URL.Path, RequestID: RequestID(r.Context())}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if code == errs.Internal {
		p.Detail = "internal error"
		return p
	}
	fields := errs.Fields(err)
	if len(fields) > 0 {
		p.Detail = fields[0].Message
		if fields[0].Field != "" {
			p.Detail = fields[0].Field + ": " + fields[0].Message
		}
		if len(fields) > 1 || fields[0].Field != "" {
			for _, f := range fields {
				p.Errors = append(p.Errors, ProblemField{Field: f.Field, Code: string(f.Code), Message: f.Message})
			}
		}
	}
	return p
}

// WriteProblem writes err as application/problem+json and logs internal
// errors in full.
func WriteProblem(w http.ResponseWriter, r *http.Request, err error) {
	p := ProblemFor(r, err)
	if p.Code == errs.Internal {
		Logger(r.Context()).ErrorContext(r.Context(), "internal error", "err", err, "path", r.URL.Path)
	}
	switch p.Code {
	case errs.RateLimited, errs.Unavailable:
		w.Header().Set("Retry-After", strconv.Itoa(RetryAfterSeconds))
	case errs.Unauthenticated:
		w.Header().Set("WWW-Authenticate", `Bearer realm="kyojo"`)
		w.Header().Add("WWW-Authenticate", `Basic realm="kyojo", charset="UTF-8"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(p)
}

// RetryAfterSeconds is sent with 429 and 503 answers.
const RetryAfterSeconds = 30

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		slog.Debug("write json", "err", err)
	}
}
