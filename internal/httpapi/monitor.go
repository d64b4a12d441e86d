package httpapi

import (
	"compress/gzip"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/monitor"
)

// Ingest limits: the body as sent and once decompressed.
const (
	MaxIngestBody     = 16 << 20
	MaxIngestExpanded = 64 << 20
)

// monitorRoutes are the GSOC monitoring routes; absent when the hub runs
// no monitoring.
func (a *API) monitorRoutes() []route {
	if a.d.Monitor == nil {
		return nil
	}
	return []route{
		{pattern: "POST " + Prefix + "/ingest", h: a.ingest, public: true},
		{pattern: "GET " + Prefix + "/sensors", h: a.listSensors},
		{pattern: "POST " + Prefix + "/sensors", h: a.createSensor},
		{pattern: "GET " + Prefix + "/sensors/{id}", h: a.getSensor},
		{pattern: "GET " + Prefix + "/alerts", h: a.listAlerts},
		{pattern: "GET " + Prefix + "/alerts/{id}", h: a.getAlert},
		{pattern: "GET " + Prefix + "/alerts/{id}/events", h: a.alertEvents},
		{pattern: "GET " + Prefix + "/batches/{id}/raw", h: a.rawBatch},
		{pattern: "POST " + Prefix + "/alerts/{id}/escalate", h: a.escalateAlert},
		{pattern: "GET " + Prefix + "/top-indicators", h: a.topIndicators},
	}
}

// ingestReceipt is the answer of POST /ingest.
type ingestReceipt = monitor.Receipt

// ingest takes a batch of lines from a sensor: Authorization: Bearer with
// the sensor's token, the body NDJSON (or the sensor's line format),
// Content-Encoding: gzip accepted, Idempotency-Key optional. 202 once the
// batch is stored in the stream; 429 when too many batches are arriving at
// once, 503 when the stream is over capacity, both with Retry-After.
func (a *API) ingest(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	scheme, tok, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return errs.E(errs.Unauthenticated, "send the sensor's token: Authorization: Bearer <token>")
	}
	sn, err := a.d.Monitor.Authenticate(ctx, strings.TrimSpace(tok))
	if err != nil {
		return err
	}
	select {
	case a.ingestSlots <- struct{}{}:
		defer func() { <-a.ingestSlots }()
	default:
		return errs.E(errs.RateLimited, "too many batches arriving at once: retry later")
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, MaxIngestBody)
	switch enc := strings.ToLower(strings.TrimSpace(r.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
	case "gzip":
		z, err := gzip.NewReader(body)
		if err != nil {
			return errs.E(errs.Malformed, "the body is not gzip: %v", err)
		}
		defer z.Close()
		body = z
	default:
		return errs.E(errs.Unsupported, "Content-Encoding %q is not supported; send gzip or nothing", enc)
	}
	data, err := io.ReadAll(io.LimitReader(body, MaxIngestExpanded+1))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return errs.E(errs.TooLarge, "the body is larger than %d bytes; send smaller batches", MaxIngestBody)
	case err != nil:
		return errs.E(errs.Malformed, "reading the body: %v", err)
	case len(data) > MaxIngestExpanded:
		return errs.E(errs.TooLarge, "the body expands to more than %d bytes; send smaller batches", MaxIngestExpanded)
	}
	key := r.Header.Get("Idempotency-Key")
	if len(key) > 200 {
		return errs.F(errs.Invalid, "Idempotency-Key", "is longer than 200 characters")
	}
	rc, err := a.d.Monitor.Ingest(ctx, sn, data, key)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusAccepted, rc)
	return nil
}

func (a *API) listSensors(w http.ResponseWriter, r *http.Request) error {
	ss, err := a.d.Monitor.Sensors(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ss))
	return nil
}

// newSensor is the answer of POST /sensors: the sensor and its token,
// shown this once.
type newSensor struct {
	Sensor monitor.Sensor `json:"sensor"`
	Token  string         `json:"token"`
}

func (a *API) createSensor(w http.ResponseWriter, r *http.Request) error {
	var in monitor.NewSensor
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, tok, err := a.d.Monitor.AddSensor(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/sensors/"+s.ID, newSensor{Sensor: s, Token: tok})
	return nil
}

func (a *API) getSensor(w http.ResponseWriter, r *http.Request) error {
	s, err := a.d.Monitor.Sensor(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, s)
	return nil
}

// alertFilter reads the filters of GET /alerts.
func (a *API) alertFilter(r *http.Request, q url.Values) (monitor.AlertFilter, error) {
	f := monitor.AlertFilter{Sector: q.Get("sector"), Kind: q.Get("kind"), IndicatorID: q.Get("indicator"), SensorID: q.Get("sensor")}
	var l errs.List
	if ref := q.Get("org"); ref != "" {
		id, err := a.orgID(r, ref)
		if err != nil {
			return f, errs.F(errs.Invalid, "org", "no organisation %q", ref)
		}
		f.OrgIDs = []string{id}
	}
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			l = append(l, errs.F(errs.Invalid, "since", "is not an RFC 3339 time"))
		}
		f.Since = t
	}
	if s := q.Get("severity"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 4 {
			l = append(l, errs.F(errs.Invalid, "severity", "must be 1 (high) to 4 (low)"))
		}
		f.MaxSeverity = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			l = append(l, errs.F(errs.Invalid, "limit", "must be 1 to 1000"))
		}
		f.Limit = n
	}
	return f, l.Err()
}

func (a *API) listAlerts(w http.ResponseWriter, r *http.Request) error {
	f, err := a.alertFilter(r, r.URL.Query())
	if err != nil {
		return err
	}
	al, err := a.d.Monitor.Alerts(r.Context(), httpx.Actor(r.Context()), f)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(al))
	return nil
}

func (a *API) getAlert(w http.ResponseWriter, r *http.Request) error {
	al, err := a.d.Monitor.Alert(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, al)
	return nil
}

func (a *API) alertEvents(w http.ResponseWriter, r *http.Request) error {
	lines, err := a.d.Monitor.AlertEvents(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(lines))
	return nil
}

// rawBatch serves a kept batch as it is stored (compressed), always as
// an attachment, with its SHA-256: the value its monitor.batch audit
// record holds and the ledger anchors.
func (a *API) rawBatch(w http.ResponseWriter, r *http.Request) error {
	raw, err := a.d.Monitor.RawBatch(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.ServeAttachmentBytes(w, raw.BatchID+".batch", raw.Data)
	return nil
}

func (a *API) escalateAlert(w http.ResponseWriter, r *http.Request) error {
	al, err := a.d.Monitor.Escalate(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, al)
	return nil
}

func (a *API) topIndicators(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	since := time.Now().Add(-24 * time.Hour)
	if s := q.Get("since"); s != "" {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return errs.F(errs.Invalid, "since", "is not an RFC 3339 time")
		}
		since = t
	}
	org := ""
	if ref := q.Get("org"); ref != "" {
		id, err := a.orgID(r, ref)
		if err != nil {
			return errs.F(errs.Invalid, "org", "no organisation %q", ref)
		}
		org = id
	}
	top, err := a.d.Monitor.TopIndicators(r.Context(), httpx.Actor(r.Context()), org, since, 20)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(top))
	return nil
}
