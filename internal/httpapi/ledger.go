package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
)

func (a *API) ledgerRoutes() []route {
	if a.d.Evidence == nil {
		return nil
	}
	return []route{
		{pattern: "GET " + Prefix + "/ledger", h: a.ledgerInfo, public: true},
		{pattern: "GET " + Prefix + "/ledger/proofs/inclusion", h: a.inclusionProof},
		{pattern: "GET " + Prefix + "/ledger/proofs/consistency", h: a.consistencyProof},
		{pattern: "GET " + Prefix + "/audit/{seq}/proof", h: a.auditProof},
		{pattern: "GET " + Prefix + "/ledger/witnessed", h: a.witnessed},
		{pattern: "POST " + Prefix + "/ledger/cosign", h: a.cosign},
	}
}

// witnessState is the answer of GET /api/v1/ledger/witnessed.
type witnessState struct {
	Origin string `json:"origin"`
	Size   uint64 `json:"size"` // the last size co-signed here; 0 if never
}

// witnessed answers the size of origin's checkpoint this hub last
// co-signed, so that the other hub can prove consistency from it.
func (a *API) witnessed(w http.ResponseWriter, r *http.Request) error {
	origin := r.URL.Query().Get("origin")
	if origin == "" {
		return errs.F(errs.Malformed, "origin", "is required")
	}
	n, err := a.d.Evidence.Witnessed(r.Context(), httpx.Actor(r.Context()), origin)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, witnessState{Origin: origin, Size: n})
	return nil
}

// cosigned is the answer of POST /api/v1/ledger/cosign.
type cosigned struct {
	Checkpoint string `json:"checkpoint"` // the note with this hub's co-signature added
}

// cosign witnesses another hub's checkpoint.
func (a *API) cosign(w http.ResponseWriter, r *http.Request) error {
	var in evidence.CosignInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.d.Evidence.Cosign(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, cosigned{Checkpoint: string(out)})
	return nil
}

// ledgerInfo answers the ledger's origin, public key, size and latest
// signed checkpoint: what an independent verifier needs to start.
func (a *API) ledgerInfo(w http.ResponseWriter, r *http.Request) error {
	httpx.WriteJSON(w, http.StatusOK, a.d.Evidence.LedgerInfo())
	return nil
}

func (a *API) inclusionProof(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	i, err := uintParam(q.Get("index"), "index", true)
	if err != nil {
		return err
	}
	size, err := uintParam(q.Get("size"), "size", false)
	if err != nil {
		return err
	}
	p, err := a.d.Evidence.InclusionProof(r.Context(), httpx.Actor(r.Context()), i, size)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) consistencyProof(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	old, err := uintParam(q.Get("old"), "old", true)
	if err != nil {
		return err
	}
	nw, err := uintParam(q.Get("new"), "new", false)
	if err != nil {
		return err
	}
	p, err := a.d.Evidence.ConsistencyProof(r.Context(), httpx.Actor(r.Context()), old, nw)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

// auditProof answers whether an audit record is in the ledger, and its
// inclusion proof once a signed checkpoint covers it.
func (a *API) auditProof(w http.ResponseWriter, r *http.Request) error {
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		return errs.F(errs.Malformed, "seq", "must be a positive sequence number")
	}
	st, err := a.d.Evidence.AuditProof(r.Context(), httpx.Actor(r.Context()), seq)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, st)
	return nil
}

// uintParam parses a non-negative whole-number query parameter.
func uintParam(s, name string, required bool) (uint64, error) {
	if s == "" {
		if required {
			return 0, errs.F(errs.Malformed, name, "is required")
		}
		return 0, nil
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, errs.F(errs.Malformed, name, "must be a whole number")
	}
	return n, nil
}
