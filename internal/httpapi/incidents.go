package httpapi

import (
	"io"
	"net/http"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// The incident routes: cases, their work, evidence, exports, saved
// searches and notices. Every handler calls incident.Service, which
// decides through policy, validates, writes and audits.

type statusInput struct {
	Status incident.Status `json:"status"`
	Reason string          `json:"reason"`
}

type impactInput struct {
	incident.Impact
	Reason string `json:"reason,omitempty"`
}

type severityInput struct {
	Severity *incident.Level `json:"severity"` // null: back to the computed level
	Reason   string          `json:"reason"`
}

type inviteInput struct {
	Org    string          `json:"org"`
	Role   policy.CaseRole `json:"role"`
	Reason string          `json:"reason,omitempty"`
}

type taskPatch struct {
	Status incident.TaskStatus `json:"status"`
}

type parseInput struct {
	Text string `json:"text"`
}

type searchInput struct {
	Name  string `json:"name"`
	Query string `json:"query"`
}

type incidentPage struct {
	Items []incident.Incident `json:"items"`
	Next  string              `json:"next,omitempty"` // the "before" cursor of the next page
}

func init() {
	components[typeOf[incident.Incident]()] = component{name: "Incident", description: "An incident case. Severity is computed from the impact and the affected organisation (score shows the inputs and formula) unless overridden with a reason."}
	components[typeOf[incident.View]()] = component{name: "IncidentView", description: "A case with the entries, tasks, links and evidence the caller may see; details false means the caller sees only that it exists."}
	components[typeOf[incident.Participant]()] = component{name: "IncidentParticipant", description: "An organisation taking part in a case, with its role."}
	components[typeOf[incident.Entry]()] = component{name: "IncidentEntry", description: "A timeline entry."}
	components[typeOf[incident.Task]()] = component{name: "IncidentTask", description: "Work assigned to a person or an organisation of the case; dispatch holds a CYMAT dispatch request."}
	components[typeOf[incident.Link]()] = component{name: "IncidentLink", description: "A link to an alert, an indicator or an observable."}
	components[typeOf[incident.Evidence]()] = component{name: "IncidentEvidence", description: "An evidence file, stored once by SHA-256."}
	components[typeOf[incident.Score]()] = component{name: "IncidentScore", description: "The computed severity with every input and the formula."}
	components[typeOf[incident.Notice]()] = component{name: "IncidentNotice", description: "A notification."}
	components[typeOf[incident.SavedSearch]()] = component{name: "IncidentSearch", description: "A saved list filter (a query string of GET /incidents)."}
	components[typeOf[incident.ReportInput]()] = component{name: "IncidentReport", description: "A new incident; the caller's organisation owns it.", required: []string{"title"}}
	components[typeOf[incident.Parsed]()] = component{name: "IncidentParsed", description: "Fields and observables read from a pasted report, to check before filing."}
	enums[typeOf[incident.Level]()] = anys(incident.Levels)
	enums[typeOf[incident.Status]()] = anys(incident.Statuses)
	enums[typeOf[policy.CaseRole]()] = []any{policy.CaseOwner, policy.CaseLead, policy.CaseResponder, policy.CaseObserver, policy.CaseNational}
	enums[typeOf[incident.TaskStatus]()] = []any{incident.TaskOpen, incident.TaskAccepted, incident.TaskDone, incident.TaskDeclined}
	enums[typeOf[incident.LinkKind]()] = []any{incident.LinkAlert, incident.LinkIndicator, incident.LinkObservable}

	tags = append(tags, obj{"name": "incidents", "description": "Incident cases worked across organisations"})
	pathParams["task"] = "the task's id"
	w := write
	inc := "/incidents/{id}"
	operations = append(operations,
		operation{method: "GET", path: "/incidents", id: "listIncidents", tag: "incidents", summary: "List the cases the caller may know of, newest first",
			query: []param{{"status", "statuses, comma-separated", ""}, {"severity", "lowest severity shown", ""}, {"sector", "sector", ""},
				{"org", "owner or affected organisation id", ""}, {"q", "substring of title or reference", ""}, {"escalated", "true or false", ""},
				{"overdue", "true: acknowledgement or first response overdue", ""}, {"before", "paging cursor (next of the previous page)", ""}, {"limit", "page size, at most 500", "int32"}},
			status: 200, resp: typeOf[incidentPage](), fails: []int{400, 422}},
		operation{method: "POST", path: "/incidents", id: "reportIncident", tag: "incidents", summary: "Report an incident",
			body: typeOf[incident.ReportInput](), status: 201, resp: typeOf[incident.Incident](), fails: w},
		operation{method: "POST", path: "/incidents/parse", id: "parseIncidentReport", tag: "incidents", summary: "Read fields and observables from pasted free text (nothing is stored)",
			body: typeOf[parseInput](), status: 200, resp: typeOf[incident.Parsed](), fails: w},
		operation{method: "GET", path: "/incidents/export", id: "exportIncidentList", tag: "incidents", summary: "Export the filtered list as JSON or CSV (format=csv)",
			query: []param{{"format", "json or csv", ""}}, status: 200, resp: typeOf[incidentPage](), fails: []int{400, 422}},
		operation{method: "GET", path: inc, id: "getIncident", tag: "incidents", summary: "Read a case as the caller may see it", status: 200, resp: typeOf[incident.View](), fails: []int{404}},
		operation{method: "GET", path: inc + "/export", id: "exportIncident", tag: "incidents", summary: "Export a case: json (default), csv (timeline) or stix (a STIX 2.1 bundle)",
			query: []param{{"format", "json, csv or stix", ""}}, status: 200, resp: typeOf[incident.View](), fails: []int{404, 422}},
		operation{method: "POST", path: inc + "/status", id: "moveIncident", tag: "incidents", summary: "Move a case along its lifecycle, with a reason",
			body: typeOf[statusInput](), status: 200, resp: typeOf[incident.Incident](), fails: w},
		operation{method: "POST", path: inc + "/impact", id: "setIncidentImpact", tag: "incidents", summary: "Set the triage inputs; the score is recomputed",
			body: typeOf[impactInput](), status: 200, resp: typeOf[incident.Incident](), fails: w},
		operation{method: "POST", path: inc + "/severity", id: "overrideIncidentSeverity", tag: "incidents", summary: "Override the severity with a reason (null returns to the computed level)",
			body: typeOf[severityInput](), status: 200, resp: typeOf[incident.Incident](), fails: w},
		operation{method: "POST", path: inc + "/participants", id: "inviteToIncident", tag: "incidents", summary: "Invite an organisation into the case with a role",
			body: typeOf[inviteInput](), status: 200, resp: typeOf[incident.Incident](), fails: w},
		operation{method: "POST", path: inc + "/entries", id: "addIncidentEntry", tag: "incidents", summary: "Add a note or comment to the timeline",
			body: typeOf[incident.EntryInput](), status: 201, resp: typeOf[incident.Entry](), fails: w},
		operation{method: "POST", path: inc + "/tasks", id: "addIncidentTask", tag: "incidents", summary: "Assign a task (with dispatch: a CYMAT dispatch request)",
			body: typeOf[incident.TaskInput](), status: 201, resp: typeOf[incident.Task](), fails: w},
		operation{method: "POST", path: inc + "/links", id: "addIncidentLink", tag: "incidents", summary: "Link an alert, an indicator or an observable",
			body: typeOf[incident.LinkInput](), status: 201, resp: typeOf[incident.Link](), fails: w},
		operation{method: "POST", path: inc + "/evidence", id: "addIncidentEvidence", tag: "incidents", summary: "Upload an evidence file as the raw body (streamed; SHA-256 on arrival)",
			query:  []param{{"name", "the file name (no path)", ""}, {"malware", "true: a malware sample, kept zipped", ""}, {"tlp", "the file's TLP", ""}},
			status: 201, resp: typeOf[incident.Evidence](), fails: w},
		operation{method: "POST", path: inc + "/share", id: "shareIncidentIndicators", tag: "incidents", summary: "Publish chosen observables as indicators to communities, named or anonymous",
			body: typeOf[incident.ShareInput](), status: 200, resp: typeOf[intel.Result](), fails: w},
		operation{method: "PATCH", path: "/incident-tasks/{id}", id: "updateIncidentTask", tag: "incidents", summary: "Change a task's status",
			body: typeOf[taskPatch](), status: 200, resp: typeOf[incident.Task](), fails: w},
		operation{method: "GET", path: "/incident-evidence/{id}", id: "downloadIncidentEvidence", tag: "incidents", summary: "Download an evidence file (always an attachment; malware as a zip)",
			status: 200, fails: []int{404}},
		operation{method: "GET", path: "/incident-searches", id: "listIncidentSearches", tag: "incidents", summary: "The caller's saved searches", status: 200, resp: typeOf[items[incident.SavedSearch]]()},
		operation{method: "POST", path: "/incident-searches", id: "saveIncidentSearch", tag: "incidents", summary: "Save a list filter",
			body: typeOf[searchInput](), status: 201, resp: typeOf[incident.SavedSearch](), fails: w},
		operation{method: "DELETE", path: "/incident-searches/{id}", id: "deleteIncidentSearch", tag: "incidents", summary: "Delete a saved search", status: 204, fails: []int{404}},
		operation{method: "GET", path: "/incident-notices", id: "listIncidentNotices", tag: "incidents", summary: "Notifications for the caller and their organisation", status: 200, resp: typeOf[items[incident.Notice]]()},
	)
}

func (a *API) incidentRoutes() []route {
	if a.d.Incidents == nil {
		return nil
	}
	p := Prefix + "/incidents"
	i := p + "/{id}"
	return []route{
		{pattern: "GET " + p, h: a.listIncidents},
		{pattern: "POST " + p, h: a.reportIncident},
		{pattern: "POST " + p + "/parse", h: a.parseIncident},
		{pattern: "GET " + p + "/export", h: a.exportIncidentList},
		{pattern: "GET " + i, h: a.getIncident},
		{pattern: "GET " + i + "/export", h: a.exportIncident},
		{pattern: "POST " + i + "/status", h: a.moveIncident},
		{pattern: "POST " + i + "/impact", h: a.setImpact},
		{pattern: "POST " + i + "/severity", h: a.overrideSeverity},
		{pattern: "POST " + i + "/participants", h: a.invite},
		{pattern: "POST " + i + "/entries", h: a.addEntry},
		{pattern: "POST " + i + "/tasks", h: a.addTask},
		{pattern: "POST " + i + "/links", h: a.addLink},
		{pattern: "POST " + i + "/evidence", h: a.addEvidence},
		{pattern: "POST " + i + "/share", h: a.shareIndicators},
		{pattern: "PATCH " + Prefix + "/incident-tasks/{id}", h: a.updateTask},
		{pattern: "GET " + Prefix + "/incident-evidence/{id}", h: a.downloadEvidence},
		{pattern: "GET " + Prefix + "/incident-searches", h: a.listSearches},
		{pattern: "POST " + Prefix + "/incident-searches", h: a.saveSearch},
		{pattern: "DELETE " + Prefix + "/incident-searches/{id}", h: a.deleteSearch},
		{pattern: "GET " + Prefix + "/incident-notices", h: a.listNotices},
	}
}

func (a *API) listPage(r *http.Request) (incidentPage, error) {
	q := r.URL.Query()
	q.Del("format")
	f, err := incident.ParseQuery(q.Encode())
	if err != nil {
		return incidentPage{}, err
	}
	list, err := a.d.Incidents.List(r.Context(), httpx.Actor(r.Context()), f)
	if err != nil {
		return incidentPage{}, err
	}
	pg := incidentPage{Items: list}
	if len(list) == f.PageLimit() && len(list) > 0 {
		pg.Next = incident.Cursor(list[len(list)-1])
	}
	return pg, nil
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) error {
	pg, err := a.listPage(r)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, pg)
	return nil
}

func (a *API) exportIncidentList(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" {
		return errs.F(errs.Invalid, "format", "json or csv")
	}
	pg, err := a.listPage(r)
	if err != nil {
		return err
	}
	if format == "csv" {
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="incidents.csv"`)
		_, err := w.Write(incident.ListCSV(pg.Items))
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, pg)
	return nil
}

func (a *API) reportIncident(w http.ResponseWriter, r *http.Request) error {
	var in incident.ReportInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.d.Incidents.Report(r.Context(), httpx.Actor(r.Context()), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incidents/"+out.ID, out)
	return nil
}

func (a *API) parseIncident(w http.ResponseWriter, r *http.Request) error {
	if httpx.Actor(r.Context()).Anonymous() {
		return errs.E(errs.Unauthenticated, "sign in first")
	}
	var in parseInput
	if err := httpx.DecodeJSON(w, r, incident.MaxReport*2, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Text) == "" {
		return errs.F(errs.Invalid, "text", "paste the report's text")
	}
	p, err := incident.ParseReport(in.Text)
	if err != nil {
		return err
	}
	if p.Observables == nil {
		p.Observables = []incident.Observable{}
	}
	if p.Systems == nil {
		p.Systems = []string{}
	}
	httpx.WriteJSON(w, http.StatusOK, p)
	return nil
}

func (a *API) getIncident(w http.ResponseWriter, r *http.Request) error {
	v, err := a.d.Incidents.Get(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

func (a *API) exportIncident(w http.ResponseWriter, r *http.Request) error {
	format := r.URL.Query().Get("format")
	b, ctype, err := a.d.Incidents.Export(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), format)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ctype)
	if format == "csv" || format == "stix" {
		ext := map[string]string{"csv": "csv", "stix": "json"}[format]
		w.Header().Set("Content-Disposition", `attachment; filename="incident-`+r.PathValue("id")+"."+ext+`"`)
	}
	_, err = w.Write(b)
	return err
}

func (a *API) moveIncident(w http.ResponseWriter, r *http.Request) error {
	var in statusInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.d.Incidents.Transition(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in.Status, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) setImpact(w http.ResponseWriter, r *http.Request) error {
	var in impactInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.d.Incidents.SetImpact(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in.Impact, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) overrideSeverity(w http.ResponseWriter, r *http.Request) error {
	var in severityInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	out, err := a.d.Incidents.Override(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in.Severity, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) invite(w http.ResponseWriter, r *http.Request) error {
	var in inviteInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if strings.TrimSpace(in.Org) == "" {
		return errs.F(errs.Invalid, "org", "name the organisation to invite")
	}
	out, err := a.d.Incidents.Invite(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in.Org, in.Role, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (a *API) addEntry(w http.ResponseWriter, r *http.Request) error {
	var in incident.EntryInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	e, err := a.d.Incidents.AddEntry(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incidents/"+e.IncidentID, e)
	return nil
}

func (a *API) addTask(w http.ResponseWriter, r *http.Request) error {
	var in incident.TaskInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := a.d.Incidents.AddTask(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incident-tasks/"+t.ID, t)
	return nil
}

func (a *API) updateTask(w http.ResponseWriter, r *http.Request) error {
	var in taskPatch
	if err := decode(w, r, &in); err != nil {
		return err
	}
	t, err := a.d.Incidents.UpdateTask(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in.Status)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, t)
	return nil
}

func (a *API) addLink(w http.ResponseWriter, r *http.Request) error {
	var in incident.LinkInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	l, err := a.d.Incidents.AddLink(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incidents/"+l.IncidentID, l)
	return nil
}

func (a *API) addEvidence(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	tlp := policy.TLP(q.Get("tlp"))
	if t, ok := policy.ParseTLP(q.Get("tlp")); ok {
		tlp = t
	}
	malware := q.Get("malware") == "true" || q.Get("malware") == "1"
	ev, err := a.d.Incidents.AddEvidence(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"),
		incident.EvidenceInput{Name: q.Get("name"), Malware: malware, TLP: tlp}, r.Body)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incident-evidence/"+ev.ID, ev)
	return nil
}

// downloadEvidence serves a file as an attachment of type
// application/octet-stream, never inline, whatever it holds.
func (a *API) downloadEvidence(w http.ResponseWriter, r *http.Request) error {
	ev, rc, err := a.d.Incidents.OpenEvidence(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"))
	if err != nil {
		return err
	}
	defer rc.Close()
	ServeEvidence(w, ev, rc)
	return nil
}

// ServeEvidence writes an evidence download: malware as its zip.
func ServeEvidence(w http.ResponseWriter, ev incident.Evidence, rc io.Reader) {
	if ev.Malware {
		httpx.ServeAttachment(w, ev.Name+".zip", -1, ev.SHA256, rc)
		return
	}
	httpx.ServeAttachment(w, ev.Name, ev.Size, ev.SHA256, rc)
}

func (a *API) shareIndicators(w http.ResponseWriter, r *http.Request) error {
	var in incident.ShareInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	res, err := a.d.Incidents.Share(r.Context(), httpx.Actor(r.Context()), r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (a *API) listSearches(w http.ResponseWriter, r *http.Request) error {
	ss, err := a.d.Incidents.Searches(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ss))
	return nil
}

func (a *API) saveSearch(w http.ResponseWriter, r *http.Request) error {
	var in searchInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	s, err := a.d.Incidents.SaveSearch(r.Context(), httpx.Actor(r.Context()), in.Name, in.Query)
	if err != nil {
		return err
	}
	created(w, Prefix+"/incident-searches/"+s.ID, s)
	return nil
}

func (a *API) deleteSearch(w http.ResponseWriter, r *http.Request) error {
	if err := a.d.Incidents.DeleteSearch(r.Context(), httpx.Actor(r.Context()), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (a *API) listNotices(w http.ResponseWriter, r *http.Request) error {
	ns, err := a.d.Incidents.Notices(r.Context(), httpx.Actor(r.Context()), 50)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, list(ns))
	return nil
}
