package web

import (
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
)

func (u *UI) ledgerShow(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("ledger.title"))
	p.Nav = "ledger"
	p.D = u.d.Evidence.LedgerInfo()
	u.render(w, http.StatusOK, "ledger", p)
}

// proofData is the ledger status of one audit record.
type proofData struct {
	Record   audit.Record
	St       evidence.ProofStatus
	LeafHash string   // base64, as in checkpoints
	Proof    []string // the inclusion proof's hashes, base64
	Verifier string
}

// auditProof shows where one audit record stands in the ledger. The record
// is read through the audit trail first, so the page is open to exactly
// those who may read the record.
func (u *UI) auditProof(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("proof.title"))
	p.Nav = "audit"
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || seq < 1 {
		u.fail(w, r, errs.E(errs.NotFound, "no such record"))
		return
	}
	recs, err := u.d.Identity.ListAudit(r.Context(), p.Actor, audit.Filter{BeforeSeq: seq + 1, Limit: 1})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if len(recs) == 0 || recs[0].Seq != seq {
		u.fail(w, r, errs.E(errs.NotFound, "no such record"))
		return
	}
	st, err := u.d.Evidence.AuditProof(r.Context(), p.Actor, seq)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d := proofData{Record: recs[0], St: st, Verifier: u.d.Evidence.LedgerInfo().VerifierKey}
	if st.Anchored {
		d.LeafHash = b64(st.LeafHash)
	}
	for _, h := range st.Proof {
		d.Proof = append(d.Proof, b64(h))
	}
	p.D = d
	u.render(w, http.StatusOK, "audit_proof", p)
}

func b64(h evidence.Hash) string {
	b, _ := h.MarshalText() // never fails
	return string(b)
}
