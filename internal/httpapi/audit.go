package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
)

// auditPage is the answer of GET /api/v1/audit: records newest first and,
// when more may follow, the link to the next (older) page and its cursor.
type auditPage struct {
	Items      []audit.Record `json:"items"`
	Next       string         `json:"next,omitempty"`        // URL of the next page
	NextBefore int64          `json:"next_before,omitempty"` // the before= cursor of the next page
}

func (a *API) auditRoutes() []route {
	return []route{{pattern: "GET " + Prefix + "/audit", h: a.listAudit}}
}

// listAudit browses the audit trail. Filters: actor (id or username), org
// (id or slug), action (exact, or a prefix ending in "."), object (id),
// outcome, since and until (RFC 3339), before (seq) and limit (1–1000).
func (a *API) listAudit(w http.ResponseWriter, r *http.Request) error {
	ctx, act := r.Context(), httpx.Actor(r.Context())
	q := r.URL.Query()
	f, err := auditFilter(q)
	if err != nil {
		return err
	}
	if ref := q.Get("actor"); ref != "" {
		if f.ActorID, err = a.userID(r, ref); err != nil {
			return renameField(err, "", "actor")
		}
	}
	if ref := q.Get("org"); ref != "" {
		if f.OrgID, err = a.orgID(r, ref); err != nil {
			return err
		}
	}
	recs, err := a.d.Identity.ListAudit(ctx, act, f)
	if err != nil {
		return err
	}
	page := auditPage{Items: recs}
	if page.Items == nil {
		page.Items = []audit.Record{}
	}
	if n := len(recs); n > 0 && n == f.PageLimit() {
		page.NextBefore = recs[n-1].Seq
		next := url.Values{}
		for k, v := range q {
			next[k] = v
		}
		next.Set("before", strconv.FormatInt(page.NextBefore, 10))
		page.Next = Prefix + "/audit?" + next.Encode()
		w.Header().Set("Link", "<"+page.Next+`>; rel="next"`)
	}
	httpx.WriteJSON(w, http.StatusOK, page)
	return nil
}

// auditFilter parses the query's plain filters; each bad one is an error
// naming its parameter.
func auditFilter(q url.Values) (audit.Filter, error) {
	f := audit.Filter{Action: q.Get("action"), ObjectID: q.Get("object"), Outcome: audit.Outcome(q.Get("outcome"))}
	var l errs.List
	switch f.Outcome {
	case "", audit.Success, audit.Denied, audit.Failure:
	default:
		l.Add(errs.Malformed, "outcome", "must be success, denied or failure")
	}
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				l.Add(errs.Malformed, p.name, "must be an RFC 3339 time such as 2026-04-01T09:00:00Z")
			}
			*p.dst = t
		}
	}
	if s := q.Get("before"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			l.Add(errs.Malformed, "before", "must be a positive sequence number")
		}
		f.BeforeSeq = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			l.Add(errs.Malformed, "limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	return f, l.Err()
}

// userID resolves a person's id or username through the Service, so the
// caller's right to know the person is checked.
func (a *API) userID(r *http.Request, ref string) (string, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return ref, nil
	}
	u, err := a.d.Identity.User(r.Context(), httpx.Actor(r.Context()), ref)
	return u.ID, err
}

// orgID resolves an organisation's id or slug through the Service.
func (a *API) orgID(r *http.Request, ref string) (string, error) {
	if _, err := uuid.Parse(ref); err == nil {
		return ref, nil
	}
	o, err := a.d.Identity.Org(r.Context(), httpx.Actor(r.Context()), ref)
	return o.ID, err
}
