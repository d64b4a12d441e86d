package httpapi

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// MaxObjectsBody is the largest STIX object or bundle POST /objects reads.
const MaxObjectsBody = 32 << 20

// objectPage is the answer of GET /api/v1/objects.
type objectPage struct {
	Items []intel.Stored `json:"items"`
	Next  string         `json:"next,omitempty"` // URL of the next page
}

// versionsPage is the answer of GET /api/v1/objects/{id}?versions=all.
type versionsPage struct {
	Items []intel.Object `json:"items"`
}

func (a *API) objectRoutes() []route {
	if a.d.Intel == nil {
		return nil
	}
	p := Prefix + "/objects"
	return []route{
		{pattern: "GET " + p, h: a.listObjects},
		{pattern: "POST " + p, h: a.putObjects},
		{pattern: "GET " + p + "/{id}", h: a.getObject},
		{pattern: "GET " + p + "/{id}/related", h: a.relatedObjects},
		{pattern: "POST " + p + "/{id}/revoke", h: a.revokeObject},
		{pattern: "GET " + Prefix + "/search", h: a.search},
	}
}

// sharingOf reads the sharing of a POST from its query: tlp, community,
// org and user (each repeatable), compartment, anonymous.
func sharingOf(q url.Values) (intel.Sharing, error) {
	sh := intel.Sharing{Communities: q["community"], Orgs: q["org"], Users: q["user"], Compartments: q["compartment"]}
	if s := q.Get("tlp"); s != "" {
		t, ok := policy.ParseTLP(s)
		if !ok {
			return sh, errs.F(errs.Malformed, "tlp", "must be clear, green, amber, amber+strict or red")
		}
		sh.TLP = t
	}
	if s := q.Get("anonymous"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return sh, errs.F(errs.Malformed, "anonymous", "must be true or false")
		}
		sh.Anonymous = b
	}
	return sh, nil
}

// putObjects stores one STIX object or a bundle. The body is STIX exactly;
// how it is shared comes from the query. The answer counts created,
// updated, skipped and rejected objects, with the reason of each rejection.
func (a *API) putObjects(w http.ResponseWriter, r *http.Request) error {
	if mt, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";"); !strings.EqualFold(strings.TrimSpace(mt), "application/json") &&
		!strings.EqualFold(strings.TrimSpace(mt), "application/stix+json") {
		return errs.E(errs.Unsupported, "send the body as application/json or application/stix+json")
	}
	sh, err := sharingOf(r.URL.Query())
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxObjectsBody))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errs.E(errs.TooLarge, "the body is larger than %d bytes; split the bundle", MaxObjectsBody)
	} else if err != nil {
		return errs.E(errs.Malformed, "reading the body: %v", err)
	}
	res, err := a.d.Intel.Put(r.Context(), httpx.Actor(r.Context()), body, sh, "api")
	if err != nil {
		return err
	}
	status := http.StatusOK
	if res.Created+res.Updated > 0 {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, res)
	return nil
}

func (a *API) listObjects(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := intel.Filter{Types: q["type"], Source: q.Get("source"), Community: q.Get("community")}
	var l errs.List
	if s := q.Get("tlp"); s != "" {
		t, ok := policy.ParseTLP(s)
		if !ok {
			l.Add(errs.Malformed, "tlp", "must be clear, green, amber, amber+strict or red")
		}
		f.TLP = t
	}
	if s := q.Get("added_after"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			l.Add(errs.Malformed, "added_after", "must be an RFC 3339 time")
		}
		f.AddedAfter = t
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			l.Add(errs.Malformed, "after", "must be the cursor of a previous page")
		}
		f.AfterSeq = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			l.Add(errs.Malformed, "limit", "must be a whole number from 1 to 1000")
		}
		f.Limit = n
	}
	if err := l.Err(); err != nil {
		return err
	}
	if ref := q.Get("author"); ref != "" {
		id, err := a.orgID(r, ref)
		if err != nil {
			return err
		}
		f.AuthorOrg = id
	}
	items, next, err := a.d.Intel.List(r.Context(), httpx.Actor(r.Context()), f)
	if err != nil {
		return err
	}
	page := objectPage{Items: items}
	if next != 0 {
		nq := url.Values{}
		for k, v := range q {
			nq[k] = v
		}
		nq.Set("after", strconv.FormatInt(next, 10))
		page.Next = Prefix + "/objects?" + nq.Encode()
		w.Header().Set("Link", "<"+page.Next+`>; rel="next"`)
	}
	httpx.WriteJSON(w, http.StatusOK, page)
	return nil
}

// getObject answers the latest version, or every version with
// ?versions=all. What the caller may not see is not found.
func (a *API) getObject(w http.ResponseWriter, r *http.Request) error {
	ctx, act := r.Context(), httpx.Actor(r.Context())
	switch r.URL.Query().Get("versions") {
	case "":
		o, err := a.d.Intel.Get(ctx, act, r.PathValue("id"))
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, o)
	case "all":
		vs, err := a.d.Intel.Versions(ctx, act, r.PathValue("id"))
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, versionsPage{Items: vs})
	default:
		return errs.F(errs.Malformed, "versions", "must be all, or absent for the latest")
	}
	return nil
}

func (a *API) relatedObjects(w http.ResponseWriter, r *http.Request) error {
	objs, err := a.d.Intel.Related(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, versionsPage{Items: objs})
	return nil
}

func (a *API) revokeObject(w http.ResponseWriter, r *http.Request) error {
	o, err := a.d.Intel.Revoke(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, o)
	return nil
}

// search answers everything the caller may see about one value.
func (a *API) search(w http.ResponseWriter, r *http.Request) error {
	res, err := a.d.Intel.Search(r.Context(), httpx.Actor(r.Context()), r.URL.Query().Get("value"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}
