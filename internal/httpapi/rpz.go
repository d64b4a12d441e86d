package httpapi

import (
	"net/http"
	"net/netip"
	"net/url"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// The RPZ routes: feeds, subscribers, the allowlist, false-positive
// reports (anyone may file one; hub administrators review them), the zones
// served and the resolver's hit counts.
func (a *API) rpzRoutes() []route {
	p := Prefix + "/rpz"
	rs := []route{
		{pattern: "GET " + p + "/feeds", h: a.listRPZFeeds},
		{pattern: "POST " + p + "/feeds", h: a.putRPZFeed},
		{pattern: "DELETE " + p + "/feeds/{id}", h: a.deleteRPZFeed},
		{pattern: "GET " + p + "/subscribers", h: a.listRPZSubscribers},
		{pattern: "POST " + p + "/subscribers", h: a.putRPZSubscriber},
		{pattern: "DELETE " + p + "/subscribers/{id}", h: a.deleteRPZSubscriber},
		{pattern: "GET " + p + "/allowlist", h: a.listRPZAllow},
		{pattern: "POST " + p + "/allowlist", h: a.addRPZAllow},
		{pattern: "DELETE " + p + "/allowlist/{name}", h: a.deleteRPZAllow},
		{pattern: "GET " + p + "/reports", h: a.listRPZReports},
		{pattern: "POST " + p + "/reports", h: a.fileRPZReport, public: true},
		{pattern: "POST " + p + "/reports/{id}/accept", h: a.decideRPZReport(true)},
		{pattern: "POST " + p + "/reports/{id}/reject", h: a.decideRPZReport(false)},
		{pattern: "GET " + p + "/zones", h: a.listRPZZones},
		{pattern: "GET " + p + "/hits", h: a.listRPZHits},
	}
	for i, rt := range rs {
		h := rt.h
		rs[i].h = func(w http.ResponseWriter, r *http.Request) error {
			if a.d.RPZ == nil {
				return errs.E(errs.Unavailable, "this hub runs no RPZ service")
			}
			return h(w, r)
		}
	}
	return rs
}

func init() {
	rw := []int{400, 403, 409, 413, 415, 422}
	operations = append(operations,
		operation{method: "GET", path: "/rpz/feeds", id: "listRPZFeeds", tag: "rpz", summary: "RPZ feeds (hub administrators)",
			status: 200, resp: typeOf[items[rpz.Feed]](), fails: []int{403}},
		operation{method: "POST", path: "/rpz/feeds", id: "putRPZFeed", tag: "rpz", summary: "Define an RPZ feed, or replace the one with this id (hub administrators)",
			body: typeOf[rpz.Feed](), status: 201, resp: typeOf[rpz.Feed](), fails: rw},
		operation{method: "DELETE", path: "/rpz/feeds/{id}", id: "deleteRPZFeed", tag: "rpz", summary: "Delete an RPZ feed (hub administrators)",
			status: 204, fails: []int{403, 404}},
		operation{method: "GET", path: "/rpz/subscribers", id: "listRPZSubscribers", tag: "rpz", summary: "Subscribers of the RPZ feeds, TSIG secrets left out (hub administrators)",
			status: 200, resp: typeOf[items[rpz.Subscriber]](), fails: []int{403}},
		operation{method: "POST", path: "/rpz/subscribers", id: "putRPZSubscriber", tag: "rpz", summary: "Define a subscriber: its organisation, feeds, TSIG key, allowed addresses, NOTIFY targets (hub administrators)",
			body: typeOf[rpz.Subscriber](), status: 201, resp: typeOf[rpz.Subscriber](), fails: rw},
		operation{method: "DELETE", path: "/rpz/subscribers/{id}", id: "deleteRPZSubscriber", tag: "rpz", summary: "Delete a subscriber (hub administrators)",
			status: 204, fails: []int{403, 404}},
		operation{method: "GET", path: "/rpz/allowlist", id: "listRPZAllowlist", tag: "rpz", summary: "Names no zone lists and the resolver never blocks (hub administrators)",
			status: 200, resp: typeOf[items[rpz.Allow]](), fails: []int{403}},
		operation{method: "POST", path: "/rpz/allowlist", id: "addRPZAllow", tag: "rpz", summary: "Allow a name and its subdomains everywhere (hub administrators)",
			body: typeOf[rpz.Allow](), status: 201, resp: typeOf[rpz.Allow](), fails: rw},
		operation{method: "DELETE", path: "/rpz/allowlist/{name}", id: "deleteRPZAllow", tag: "rpz", summary: "Take a name off the allowlist (hub administrators)",
			status: 204, fails: []int{403, 404}},
		operation{method: "GET", path: "/rpz/reports", id: "listRPZReports", tag: "rpz", summary: "False-positive reports, newest first (hub administrators)",
			query: []param{{"status", "open, accepted or rejected", ""}}, status: 200, resp: typeOf[items[rpz.Report]](), fails: []int{403}},
		operation{method: "POST", path: "/rpz/reports", id: "fileRPZReport", tag: "rpz", summary: "Report a blocked site as safe (anyone; the warning page's form)",
			body: typeOf[reportInput](), status: 201, resp: typeOf[reportFiled](), fails: []int{400, 413, 415, 422}, public: true},
		operation{method: "POST", path: "/rpz/reports/{id}/accept", id: "acceptRPZReport", tag: "rpz", summary: "Accept a report: its name goes on the allowlist (hub administrators)",
			body: typeOf[noteInput](), status: 200, resp: typeOf[rpz.Report](), fails: []int{400, 403, 404, 409, 413, 415}},
		operation{method: "POST", path: "/rpz/reports/{id}/reject", id: "rejectRPZReport", tag: "rpz", summary: "Reject a report (hub administrators)",
			body: typeOf[noteInput](), status: 200, resp: typeOf[rpz.Report](), fails: []int{400, 403, 404, 409, 413, 415}},
		operation{method: "GET", path: "/rpz/zones", id: "listRPZZones", tag: "rpz", summary: "The zones served, one per subscriber and feed, with serials (hub administrators)",
			status: 200, resp: typeOf[items[rpz.ZoneInfo]](), fails: []int{403}},
		operation{method: "GET", path: "/rpz/hits", id: "listRPZHits", tag: "rpz", summary: "The filtering resolver's hits by feed, ISP and indicator (hub administrators)",
			status: 200, resp: typeOf[items[rpz.HitCount]](), fails: []int{403}},
	)
	tags = append(tags, obj{"name": "rpz", "description": "DNS Response Policy Zones for ISPs, the filtering resolver and false-positive reports"})
	pathParams["name"] = "a domain name"
}

// reportInput is a false-positive report.
type reportInput struct {
	Name    string `json:"name"`
	Reason  string `json:"reason"`
	Contact string `json:"contact,omitempty"`
	Lang    string `json:"lang,omitempty"`
}

// reportFiled is what the reporter learns: the report's id and status.
type reportFiled struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

// noteInput is a reviewer's note on a decision.
type noteInput struct {
	Note string `json:"note,omitempty"`
}

func (a *API) listRPZFeeds(w http.ResponseWriter, r *http.Request) error {
	fs, err := a.d.RPZ.Feeds(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(fs))
	return nil
}

func (a *API) putRPZFeed(w http.ResponseWriter, r *http.Request) error {
	var in rpz.Feed
	if err := decode(w, r, &in); err != nil {
		return err
	}
	f, err := a.d.RPZ.AddFeed(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/rpz/feeds/"+f.ID, f)
	return nil
}

func (a *API) deleteRPZFeed(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.RPZ.DeleteFeed(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listRPZSubscribers(w http.ResponseWriter, r *http.Request) error {
	ss, err := a.d.RPZ.Subscribers(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ss))
	return nil
}

func (a *API) putRPZSubscriber(w http.ResponseWriter, r *http.Request) error {
	var in rpz.Subscriber
	if err := decode(w, r, &in); err != nil {
		return err
	}
	actor := httpx.Actor(r.Context())
	if in.OrgID != "" {
		if o, err := a.d.Identity.Org(r.Context(), actor, in.OrgID); err == nil {
			in.OrgID = o.ID // a slug is taken too
		}
	}
	s, err := a.d.RPZ.AddSubscriber(r.Context(), actor, in)
	if err != nil {
		return err
	}
	s.Secret = ""
	created(w, Prefix+"/rpz/subscribers/"+s.ID, s)
	return nil
}

func (a *API) deleteRPZSubscriber(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.RPZ.DeleteSubscriber(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listRPZAllow(w http.ResponseWriter, r *http.Request) error {
	al, err := a.d.RPZ.Allowlist(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(al))
	return nil
}

func (a *API) addRPZAllow(w http.ResponseWriter, r *http.Request) error {
	var in rpz.Allow
	if err := decode(w, r, &in); err != nil {
		return err
	}
	al, err := a.d.RPZ.AddAllow(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/rpz/allowlist/"+al.Name, al)
	return nil
}

func (a *API) deleteRPZAllow(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.RPZ.DeleteAllow(r.Context(), httpx.Actor(r.Context()), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listRPZReports(w http.ResponseWriter, r *http.Request) error {
	st := r.URL.Query().Get("status")
	if st != "" && st != rpz.ReportOpen && st != rpz.ReportAccepted && st != rpz.ReportRejected {
		return errs.F(errs.Malformed, "status", "must be open, accepted or rejected")
	}
	rs, err := a.d.RPZ.Reports(r.Context(), httpx.Actor(r.Context()), st)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(rs))
	return nil
}

func (a *API) fileRPZReport(w http.ResponseWriter, r *http.Request) error {
	var in reportInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	rep, err := rpz.ParseReport(url.Values{"name": {in.Name}, "reason": {in.Reason}, "contact": {in.Contact}, "lang": {in.Lang}})
	if err != nil {
		return err
	}
	remote, _ := netip.ParseAddr(httpx.Actor(r.Context()).Remote)
	rep, err = a.d.RPZ.Report(r.Context(), rep, remote)
	if err != nil {
		return err
	}
	created(w, Prefix+"/rpz/reports/"+rep.ID, reportFiled{ID: rep.ID, Status: rep.Status})
	return nil
}

func (a *API) decideRPZReport(accept bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var in noteInput
		if r.ContentLength != 0 {
			if err := decode(w, r, &in); err != nil {
				return err
			}
		}
		rep, err := a.d.RPZ.Decide(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), accept, in.Note)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, rep)
		return nil
	}
}

// rpzStatus checks the caller may manage RPZ; the status is nil when this
// node serves no zones (then there is nothing to list).
func (a *API) rpzStatus(r *http.Request) (rpz.Status, error) {
	if _, err := a.d.RPZ.Feeds(r.Context(), httpx.Actor(r.Context())); err != nil {
		return nil, err
	}
	return a.d.RPZStatus, nil
}

func (a *API) listRPZZones(w http.ResponseWriter, r *http.Request) error {
	st, err := a.rpzStatus(r)
	if err != nil {
		return err
	}
	var zs []rpz.ZoneInfo
	if st != nil {
		zs = st.Zones()
	}
	httpx.WriteJSON(w, http.StatusOK, list(zs))
	return nil
}

func (a *API) listRPZHits(w http.ResponseWriter, r *http.Request) error {
	st, err := a.rpzStatus(r)
	if err != nil {
		return err
	}
	var hs []rpz.HitCount
	if st != nil {
		hs = st.Hits()
	}
	httpx.WriteJSON(w, http.StatusOK, list(hs))
	return nil
}
