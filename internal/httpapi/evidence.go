package httpapi

import (
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
)

// requestInput is the body of POST /api/v1/evidence/requests.
type requestInput struct {
	Reference  string         `json:"reference"`
	LegalBasis string         `json:"legal_basis"`
	Scope      evidence.Scope `json:"scope"`
}

// decisionInput is the body of the approve and reject calls.
type decisionInput struct {
	Note string `json:"note,omitempty"`
}

// ruleInput is the body of POST /api/v1/retention/rules.
type ruleInput struct {
	Kind  string `json:"kind"`
	OrgID string `json:"org,omitempty"` // id or slug; empty for every organisation
	Days  int    `json:"days"`
}

// holdInput is the body of POST /api/v1/retention/holds.
type holdInput struct {
	OrgID  string `json:"org,omitempty"`  // id or slug; empty for every organisation
	Kind   string `json:"kind,omitempty"` // empty for every kind
	Reason string `json:"reason"`
}

func (a *API) evidenceRoutes() []route {
	if a.d.Evidence == nil {
		return nil
	}
	p := Prefix + "/evidence/requests"
	r := Prefix + "/retention"
	return []route{
		{pattern: "GET " + p, h: a.listRequests},
		{pattern: "POST " + p, h: a.fileRequest},
		{pattern: "GET " + p + "/{id}", h: a.getRequest},
		{pattern: "POST " + p + "/{id}/approve", h: a.decide(true)},
		{pattern: "POST " + p + "/{id}/reject", h: a.decide(false)},
		{pattern: "POST " + p + "/{id}/bundle", h: a.produceBundle},
		{pattern: "GET " + r + "/rules", h: a.listRules},
		{pattern: "POST " + r + "/rules", h: a.putRule},
		{pattern: "DELETE " + r + "/rules/{id}", h: a.deleteRule},
		{pattern: "GET " + r + "/holds", h: a.listHolds},
		{pattern: "POST " + r + "/holds", h: a.placeHold},
		{pattern: "POST " + r + "/holds/{id}/release", h: a.releaseHold},
	}
}

func (a *API) listRequests(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.d.Evidence.Requests(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(rs))
	return nil
}

// fileRequest files a law-enforcement request for retained data.
func (a *API) fileRequest(w http.ResponseWriter, r *http.Request) error {
	var in requestInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if in.Scope.OrgID != "" {
		id, err := a.orgID(r, in.Scope.OrgID)
		if err != nil {
			return renameField(err, "", "scope.org_id")
		}
		in.Scope.OrgID = id
	}
	req, err := a.d.Evidence.FileRequest(r.Context(), httpx.Actor(r.Context()),
		evidence.Request{Reference: in.Reference, LegalBasis: in.LegalBasis, Scope: in.Scope})
	if err != nil {
		return err
	}
	created(w, Prefix+"/evidence/requests/"+req.ID, req)
	return nil
}

func (a *API) getRequest(w http.ResponseWriter, r *http.Request) error {
	req, err := a.d.Evidence.Request(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, req)
	return nil
}

// decide approves or rejects a request; a hub administrator other than its
// author must do it.
func (a *API) decide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in decisionInput
		if err := decode(w, r, &in); err != nil {
			return err
		}
		req, err := a.d.Evidence.Decide(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), approve, in.Note)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, req)
		return nil
	}
}

// produceBundle produces the forensic bundle of an approved request and
// answers it as a download. Each production is audited.
func (a *API) produceBundle(w http.ResponseWriter, r *http.Request) error {
	b, req, err := a.d.Evidence.Produce(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="kyojo-bundle-`+req.ID+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Bundle-SHA256", req.BundleSHA256)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, err = w.Write(b)
	return err
}

func (a *API) listRules(w http.ResponseWriter, r *http.Request) error {
	rs, err := a.d.Evidence.Rules(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(rs))
	return nil
}

func (a *API) putRule(w http.ResponseWriter, r *http.Request) error {
	var in ruleInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	org, err := a.optionalOrg(r, in.OrgID, "org")
	if err != nil {
		return err
	}
	rule, err := a.d.Evidence.PutRule(r.Context(), httpx.Actor(r.Context()), evidence.Rule{Kind: in.Kind, OrgID: org, Days: in.Days})
	if err != nil {
		return err
	}
	created(w, Prefix+"/retention/rules/"+rule.ID, rule)
	return nil
}

func (a *API) deleteRule(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Evidence.DeleteRule(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listHolds(w http.ResponseWriter, r *http.Request) error {
	hs, err := a.d.Evidence.Holds(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(hs))
	return nil
}

func (a *API) placeHold(w http.ResponseWriter, r *http.Request) error {
	var in holdInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	org, err := a.optionalOrg(r, in.OrgID, "org")
	if err != nil {
		return err
	}
	h, err := a.d.Evidence.PlaceHold(r.Context(), httpx.Actor(r.Context()), evidence.Hold{OrgID: org, Kind: in.Kind, Reason: in.Reason})
	if err != nil {
		return err
	}
	created(w, Prefix+"/retention/holds/"+h.ID, h)
	return nil
}

func (a *API) releaseHold(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Evidence.ReleaseHold(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// optionalOrg resolves an organisation reference that may be empty; an
// unknown one is an Invalid error on field.
func (a *API) optionalOrg(r *http.Request, ref, field string) (string, error) {
	if ref == "" {
		return "", nil
	}
	id, err := a.orgID(r, ref)
	if errs.Is(err, errs.NotFound) {
		return "", errs.F(errs.Invalid, field, "no organisation %q", ref)
	}
	return id, err
}
