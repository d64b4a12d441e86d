package taxii

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/intel"
)

// Status is the status resource of a POST. kyojo stores an envelope
// synchronously, so every status is "complete" when it is first served.
type Status struct {
	ID               string         `json:"id"`
	Status           string         `json:"status"`
	RequestTimestamp string         `json:"request_timestamp"`
	TotalCount       int            `json:"total_count"`
	SuccessCount     int            `json:"success_count"`
	Successes        []StatusDetail `json:"successes,omitempty"`
	FailureCount     int            `json:"failure_count"`
	Failures         []StatusDetail `json:"failures,omitempty"`
	PendingCount     int            `json:"pending_count"`
	Pendings         []StatusDetail `json:"pendings,omitempty"`
}

// StatusDetail is the outcome of one object of a POST.
type StatusDetail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// postObjects stores an envelope's objects in the collection, shared as
// the collection says, and answers 202 with the status. Objects that fail
// validation are reported in the status; the rest are stored.
func (s *Server) postObjects(w http.ResponseWriter, r *http.Request) error {
	if !contentTypeOK(r.Header.Get("Content-Type")) {
		return errUnsupported
	}
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	if !c.CanWrite {
		return errs.E(errs.Forbidden, "you may not add objects to this collection")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the envelope is larger than %d bytes; split it", MaxBody)
	} else if err != nil {
		return errs.E(errs.Malformed, "reading the body: %v", err)
	}
	var env struct {
		Objects []json.RawMessage `json:"objects"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return errs.E(errs.Malformed, "the body is not a TAXII envelope: %v", err)
	}
	if len(env.Objects) == 0 {
		return errs.F(errs.Invalid, "objects", "the envelope holds no objects")
	}
	ctx, a := r.Context(), httpx.Actor(r.Context())
	at := s.d.Now()
	res, err := s.d.Intel.PutParsed(ctx, a, env.Objects, c.sharing, "taxii")
	if err != nil {
		return err
	}
	st := Status{ID: uuid.Must(uuid.NewV7()).String(), Status: "complete", RequestTimestamp: stamp(at), TotalCount: len(env.Objects)}
	for _, it := range res.Items {
		d := StatusDetail{ID: it.ID, Version: versionOf(env.Objects, it.Index)}
		if d.ID == "" {
			d.ID = idOf(env.Objects, it.Index)
		}
		if it.Status == intel.Rejected {
			d.Message = failure(it)
			st.Failures = append(st.Failures, d)
			continue
		}
		d.Message = string(it.Status)
		st.Successes = append(st.Successes, d)
	}
	st.SuccessCount, st.FailureCount = len(st.Successes), len(st.Failures)
	b, err := json.Marshal(st)
	if err != nil {
		return errs.Wrap(err, "status")
	}
	if err := s.d.Status.PutTAXIIStatus(ctx, st.ID, a.OrgID, a.UserID, at, b); err != nil {
		return err
	}
	ok(w, http.StatusAccepted, json.RawMessage(b))
	return nil
}

// failure says why an object was refused. Reasons that would name or
// confirm an object the poster may not see (a relationship to it, a
// version of it) are replaced by one that does not.
func failure(it intel.Item) string {
	msg := it.Error
	for _, leak := range []string{"not shared with you", "only the organisation that shared", "already stored with other content"} {
		if strings.Contains(msg, leak) {
			return "refused: it refers to or reuses an object your organisation may not write"
		}
	}
	if it.Field != "" && !strings.Contains(msg, it.Field+":") {
		msg = it.Field + ": " + msg
	}
	return msg
}

func fieldOf(objs []json.RawMessage, i int, name string) string {
	if i < 0 || i >= len(objs) {
		return ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(objs[i], &m) != nil {
		return ""
	}
	var v string
	if json.Unmarshal(m[name], &v) != nil {
		return ""
	}
	return v
}

func idOf(objs []json.RawMessage, i int) string { return fieldOf(objs, i, "id") }

func versionOf(objs []json.RawMessage, i int) string {
	if v := fieldOf(objs, i, "modified"); v != "" {
		return v
	}
	return fieldOf(objs, i, "created")
}

// status serves a stored status to the organisation that posted; to
// everyone else it does not exist.
func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("status")
	if _, err := uuid.Parse(id); err != nil {
		return errs.E(errs.NotFound, "no such status")
	}
	org, body, err := s.d.Status.TAXIIStatus(r.Context(), id)
	if err != nil {
		return err
	}
	if a := httpx.Actor(r.Context()); org == "" || org != a.OrgID {
		return errs.E(errs.NotFound, "no such status")
	}
	ok(w, http.StatusOK, json.RawMessage(body))
	return nil
}
