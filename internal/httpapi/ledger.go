package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/errs"
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
	}
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
