package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/partner"
)

// partnerRoutes serve the federation partner registry (hub
// administrators). The credential given on create or update is sealed and
// never answered.
func (a *API) partnerRoutes() []route {
	p := Prefix + "/partners"
	return []route{
		{pattern: "GET " + p, h: a.listPartners},
		{pattern: "POST " + p, h: a.createPartner},
		{pattern: "GET " + p + "/{ref}", h: a.getPartner},
		{pattern: "PUT " + p + "/{ref}", h: a.updatePartner},
		{pattern: "DELETE " + p + "/{ref}", h: a.deletePartner},
		{pattern: "GET " + p + "/{ref}/exchanges", h: a.partnerExchanges},
	}
}

func (a *API) partners() (*partner.Service, error) {
	if a.d.Partners == nil {
		return nil, errs.E(errs.Unavailable, "federation is not configured on this hub")
	}
	return a.d.Partners, nil
}

func (a *API) listPartners(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	ps, err := svc.List(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]partner.View, 0, len(ps))
	for _, p := range ps {
		out = append(out, partner.ViewOf(p, now))
	}
	httpx.WriteJSON(w, http.StatusOK, list(out))
	return nil
}

func (a *API) createPartner(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	var in partner.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := svc.Create(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/partners/"+p.Slug, partner.ViewOf(p, time.Now()))
	return nil
}

func (a *API) getPartner(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	p, err := svc.Get(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, partner.ViewOf(p, time.Now()))
	return nil
}

func (a *API) updatePartner(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	var in partner.Input
	if err := decode(w, r, &in); err != nil {
		return err
	}
	p, err := svc.Update(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, partner.ViewOf(p, time.Now()))
	return nil
}

func (a *API) deletePartner(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	if err := svc.Delete(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) partnerExchanges(w http.ResponseWriter, r *http.Request) error {
	svc, err := a.partners()
	if err != nil {
		return err
	}
	limit := 100
	if s := r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			return errs.F(errs.Malformed, "limit", "must be a whole number from 1 to 1000")
		}
		limit = n
	}
	_, ex, err := svc.Exchanges(r.Context(), httpx.Actor(r.Context()), r.PathValue("ref"), limit)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ex))
	return nil
}
