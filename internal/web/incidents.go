package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// The incident pages: the list with filters and saved searches, the board
// by status, the report form (with pasted free text), the case page with
// its timeline and forms, and the printable report. Every read and write
// goes through incident.Service.

func (u *UI) registerIncidents(mux *http.ServeMux) {
	if u.d.Incidents == nil {
		return
	}
	mux.HandleFunc("GET /incidents", u.signedIn(u.incidentList(false)))
	mux.HandleFunc("GET /incidents/board", u.signedIn(u.incidentList(true)))
	mux.HandleFunc("POST /incidents/searches", u.signedIn(u.incidentSearchSave))
	mux.HandleFunc("POST /incidents/searches/{id}/delete", u.signedIn(u.incidentSearchDelete))
	mux.HandleFunc("GET /incidents/new", u.signedIn(u.incidentNew))
	mux.HandleFunc("POST /incidents/new", u.signedIn(u.incidentCreate))
	mux.HandleFunc("GET /incidents/{id}", u.signedIn(u.incidentShow))
	mux.HandleFunc("GET /incidents/{id}/report", u.signedIn(u.incidentReport))
	mux.HandleFunc("GET /incidents/{id}/export", u.signedIn(u.incidentExport))
	mux.HandleFunc("POST /incidents/{id}/{action}", u.signedIn(u.incidentAction))
	mux.HandleFunc("POST /incident-tasks/{id}", u.signedIn(u.incidentTaskUpdate))
	mux.HandleFunc("GET /incident-evidence/{id}", u.signedIn(u.incidentEvidence))
}

// incidentListData is the list or the board.
type incidentListData struct {
	Items    []incident.Incident
	Columns  []boardColumn
	Query    url.Values
	RawQuery string
	Next     string
	Searches []incident.SavedSearch
	Notices  []incident.Notice
	Orgs     map[string]identity.Org
	Statuses []incident.Status
	Levels   []incident.Level
	Sectors  []identity.Sector
	Now      time.Time
}

type boardColumn struct {
	Status incident.Status
	Items  []incident.Incident
}

// Has reports whether the filter asks for status s.
func (d incidentListData) Has(s incident.Status) bool {
	for _, v := range d.Query["status"] {
		for _, one := range strings.Split(v, ",") {
			if one == string(s) {
				return true
			}
		}
	}
	return false
}

// Overdue reports whether a case's SLA clock has run out.
func (d incidentListData) Overdue(in incident.Incident) bool {
	a, r := in.Overdue(d.Now)
	return a || r
}

func (u *UI) incidentList(board bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := u.newPage(w, r, k("incidents.title"))
		p.Nav = "incidents"
		q := r.URL.Query()
		for key, vs := range q { // empty form fields mean "any"
			if len(vs) == 1 && vs[0] == "" {
				q.Del(key)
			}
		}
		f, err := incident.ParseQuery(q.Encode())
		if err != nil {
			u.fail(w, r, err)
			return
		}
		if board {
			f.Limit = 500
		}
		ctx := r.Context()
		list, err := u.d.Incidents.List(ctx, p.Actor, f)
		if err != nil {
			u.fail(w, r, err)
			return
		}
		d := incidentListData{Items: list, Query: q, RawQuery: q.Encode(), Statuses: incident.Statuses, Levels: incident.Levels,
			Sectors: identity.Sectors, Now: time.Now()}
		if len(list) == f.PageLimit() && !board {
			nq := url.Values{}
			for key, vs := range q {
				nq[key] = vs
			}
			nq.Set("before", incident.Cursor(list[len(list)-1]))
			d.Next = "/incidents?" + nq.Encode()
		}
		if board {
			for _, s := range incident.Statuses {
				col := boardColumn{Status: s}
				for _, in := range list {
					if in.Status == s {
						col.Items = append(col.Items, in)
					}
				}
				d.Columns = append(d.Columns, col)
			}
		}
		if d.Searches, err = u.d.Incidents.Searches(ctx, p.Actor); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Notices, err = u.d.Incidents.Notices(ctx, p.Actor, 10); err != nil {
			u.fail(w, r, err)
			return
		}
		if d.Orgs, err = u.orgMap(r, p); err != nil {
			u.fail(w, r, err)
			return
		}
		p.D = d
		name := "incidents"
		if board {
			name = "incident_board"
		}
		u.render(w, http.StatusOK, name, p)
	}
}

func (u *UI) orgMap(r *http.Request, p *page) (map[string]identity.Org, error) {
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	return byID(orgs), err
}

func (u *UI) incidentSearchSave(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if _, err := u.d.Incidents.SaveSearch(r.Context(), actorOf(r), r.PostFormValue("name"), r.PostFormValue("query")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents?"+r.PostFormValue("query"), http.StatusSeeOther)
}

func (u *UI) incidentSearchDelete(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if err := u.d.Incidents.DeleteSearch(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents", http.StatusSeeOther)
}

// incidentFormData is the report form, kept as typed.
type incidentFormData struct {
	Text, Title, Summary, AffectedOrg, Sector, Systems, Occurred, TLP string
	Functional, Information, Recoverability                           int
	Observables                                                       []incident.Observable
	Unknown                                                           []string
	Sectors                                                           []identity.Sector
	TLPs                                                              []policy.TLP
	Parsed                                                            bool
}

func (u *UI) incidentFormPage(w http.ResponseWriter, r *http.Request, d incidentFormData) *page {
	p := u.newPage(w, r, k("incform.title"))
	p.Nav = "incidents"
	d.Sectors, d.TLPs = identity.Sectors, policy.TLPs
	if d.TLP == "" {
		d.TLP = string(policy.Amber)
	}
	p.D = d
	return p
}

func (u *UI) incidentNew(w http.ResponseWriter, r *http.Request) {
	u.render(w, http.StatusOK, "incident_form", u.incidentFormPage(w, r, incidentFormData{}))
}

const formTime = "2006-01-02T15:04"

func (u *UI) incidentCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkFormMax(w, r, incident.MaxReport*2) {
		return
	}
	f := r.PostFormValue
	d := incidentFormData{Text: f("text"), Title: f("title"), Summary: f("summary"), AffectedOrg: f("affected_org"), Sector: f("sector"),
		Systems: f("systems"), Occurred: f("occurred_at"), TLP: f("tlp")}
	d.Functional, _ = strconv.Atoi(f("functional"))
	d.Information, _ = strconv.Atoi(f("information"))
	d.Recoverability, _ = strconv.Atoi(f("recoverability"))
	for i, t := range r.PostForm["obs.type"] {
		if i < len(r.PostForm["obs.value"]) {
			d.Observables = append(d.Observables, incident.Observable{Type: t, Value: r.PostForm["obs.value"][i]})
		}
	}
	if f("action") == "parse" {
		pr, err := incident.ParseReport(d.Text)
		if err != nil {
			u.renderForm(w, "incident_form", u.incidentFormPage(w, r, d), err)
			return
		}
		d.Title, d.Summary, d.AffectedOrg, d.Sector = pr.Title, pr.Summary, pr.AffectedOrg, string(pr.Sector)
		d.Systems, d.Observables, d.Unknown, d.Parsed = strings.Join(pr.Systems, ", "), pr.Observables, pr.Unknown, true
		if pr.TLP != "" {
			d.TLP = string(pr.TLP)
		}
		if pr.OccurredAt != nil {
			d.Occurred = pr.OccurredAt.In(jst).Format(formTime)
		}
		u.render(w, http.StatusOK, "incident_form", u.incidentFormPage(w, r, d))
		return
	}
	in := incident.ReportInput{Title: d.Title, Summary: d.Summary, AffectedOrg: d.AffectedOrg, Sector: identity.Sector(d.Sector),
		TLP: policy.TLP(d.TLP), Observables: d.Observables,
		Impact: incident.Impact{Functional: incident.Functional(d.Functional), Information: incident.Information(d.Information),
			Recoverability: incident.Recoverability(d.Recoverability)}}
	for _, s := range strings.Split(d.Systems, ",") {
		if s = strings.TrimSpace(s); s != "" {
			in.Systems = append(in.Systems, s)
		}
	}
	var err error
	if d.Occurred != "" {
		t, perr := time.ParseInLocation(formTime, d.Occurred, jst)
		if perr != nil {
			err = errs.F(errs.Invalid, "occurred_at", "a date and time such as 2026-11-20T09:30")
		}
		in.OccurredAt = &t
	}
	var out incident.Incident
	if err == nil {
		out, err = u.d.Incidents.Report(r.Context(), actorOf(r), in)
	}
	if err != nil {
		u.renderForm(w, "incident_form", u.incidentFormPage(w, r, d), err)
		return
	}
	http.Redirect(w, r, "/incidents/"+out.ID, http.StatusSeeOther)
}

// incidentData is the case page and the printable report.
type incidentData struct {
	incident.View
	Orgs     map[string]identity.Org
	Now      time.Time
	Roles    []policy.CaseRole
	Levels   []incident.Level
	TLPs     []policy.TLP
	CanWork  bool
	CanShare bool
	Comment  bool
	Notice   string
}

// Org names an organisation id.
func (d incidentData) Org(id string) string {
	if o, ok := d.Orgs[id]; ok {
		return o.Slug
	}
	return id
}

// TaskOverdue reports whether an open task is past its due date.
func (d incidentData) TaskOverdue(t incident.Task) bool {
	return t.Due != nil && d.Now.After(*t.Due) && (t.Status == incident.TaskOpen || t.Status == incident.TaskAccepted)
}

func (u *UI) incidentPage(w http.ResponseWriter, r *http.Request, title string) (*page, error) {
	p := u.newPage(w, r, title)
	p.Nav = "incidents"
	v, err := u.d.Incidents.Get(r.Context(), p.Actor, r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	orgs, err := u.orgMap(r, p)
	if err != nil {
		return nil, err
	}
	c := policy.Case{OwnerOrg: v.OwnerOrg, TLP: v.TLP}
	d := incidentData{View: v, Orgs: orgs, Now: time.Now(), Roles: policy.CaseRoles, Levels: incident.Levels, TLPs: policy.TLPs}
	d.CanWork = v.Role != policy.CaseObserver && p.Actor.Role != policy.ReadOnly && v.Details
	d.CanShare = d.CanWork && (p.Actor.OrgID == v.OwnerOrg)
	d.Comment = p.Actor.Role != policy.ReadOnly && v.Details
	_ = c
	p.D = d
	return p, nil
}

func (u *UI) incidentShow(w http.ResponseWriter, r *http.Request) {
	p, err := u.incidentPage(w, r, k("incident.title"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	if n := r.URL.Query().Get("done"); n != "" {
		p.Notice = k("incident.saved")
	}
	u.render(w, http.StatusOK, "incident", p)
}

func (u *UI) incidentReport(w http.ResponseWriter, r *http.Request) {
	p, err := u.incidentPage(w, r, k("increport.title"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "incident_report", p)
}

func (u *UI) incidentExport(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	b, ctype, err := u.d.Incidents.Export(r.Context(), actorOf(r), r.PathValue("id"), format)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	ext := map[string]string{"csv": "csv", "stix": "stix.json"}[format]
	if ext == "" {
		ext = "json"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="incident-`+r.PathValue("id")+"."+ext+`"`)
	w.Write(b)
}

// incidentAction handles the case page's forms.
func (u *UI) incidentAction(w http.ResponseWriter, r *http.Request) {
	action := r.PathValue("action")
	limit := int64(httpapiMaxBody)
	if action == "evidence" {
		limit = u.maxEvidence() + 1<<20
	}
	if !u.checkFormMax(w, r, limit) {
		return
	}
	ctx, a, id, f := r.Context(), actorOf(r), r.PathValue("id"), r.PostFormValue
	var err error
	switch action {
	case "status":
		_, err = u.d.Incidents.Transition(ctx, a, id, incident.Status(f("status")), f("reason"))
	case "impact":
		im := incident.Impact{Functional: incident.Functional(atoi(f("functional"))), Information: incident.Information(atoi(f("information"))),
			Recoverability: incident.Recoverability(atoi(f("recoverability")))}
		_, err = u.d.Incidents.SetImpact(ctx, a, id, im, f("reason"))
	case "severity":
		var lv *incident.Level
		if s := f("severity"); s != "" {
			v, ok := incident.ParseLevel(s)
			if !ok {
				err = errs.F(errs.Invalid, "severity", "unknown severity")
			}
			lv = &v
		}
		if err == nil {
			_, err = u.d.Incidents.Override(ctx, a, id, lv, f("reason"))
		}
	case "participants":
		_, err = u.d.Incidents.Invite(ctx, a, id, f("org"), policy.CaseRole(f("role")), f("reason"))
	case "entries":
		var users []string
		for _, s := range strings.Split(f("users"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				users = append(users, s)
			}
		}
		_, err = u.d.Incidents.AddEntry(ctx, a, id, incident.EntryInput{Kind: incident.EntryKind(f("kind")), Body: f("body"),
			TLP: policy.TLP(f("tlp")), Users: users})
	case "tasks":
		ti := incident.TaskInput{Title: f("title"), Detail: f("detail"), AssigneeOrg: f("assignee_org"), AssigneeUser: f("assignee_user"),
			TLP: policy.TLP(f("tlp"))}
		if s := f("due"); s != "" {
			t, perr := time.ParseInLocation(formTime, s, jst)
			if perr != nil {
				err = errs.F(errs.Invalid, "due", "a date and time such as 2026-11-20T09:30")
			}
			ti.Due = &t
		}
		if f("dispatch") == "on" {
			ti.Dispatch = &incident.Dispatch{Where: f("where"), Meet: f("meet"), Needed: f("needed"), Duration: f("duration")}
		}
		if err == nil {
			_, err = u.d.Incidents.AddTask(ctx, a, id, ti)
		}
	case "links":
		_, err = u.d.Incidents.AddLink(ctx, a, id, incident.LinkInput{Kind: incident.LinkKind(f("kind")), Type: f("type"), Ref: f("ref"), TLP: policy.TLP(f("tlp"))})
	case "evidence":
		file, hdr, ferr := r.FormFile("file")
		if ferr != nil {
			err = errs.F(errs.Invalid, "file", "choose a file")
			break
		}
		defer file.Close()
		_, err = u.d.Incidents.AddEvidence(ctx, a, id, incident.EvidenceInput{Name: hdr.Filename, Malware: f("malware") == "on", TLP: policy.TLP(f("tlp"))}, file)
	case "share":
		var comms []string
		for _, s := range strings.Split(f("communities"), ",") {
			if s = strings.TrimSpace(s); s != "" {
				comms = append(comms, s)
			}
		}
		_, err = u.d.Incidents.Share(ctx, a, id, incident.ShareInput{Links: r.PostForm["links"], TLP: policy.TLP(f("tlp")),
			Communities: comms, Anonymous: f("anonymous") == "on"})
	default:
		err = errs.E(errs.NotFound, "no such action")
	}
	if err != nil {
		if c := errs.CodeOf(err); c == errs.Invalid || c == errs.Conflict || c == errs.TooLarge || c == errs.Forbidden {
			p, perr := u.incidentPage(w, r, k("incident.title"))
			if perr != nil {
				u.fail(w, r, perr)
				return
			}
			u.renderForm(w, "incident", p, err)
			return
		}
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+id+"?done="+action+"#"+action, http.StatusSeeOther)
}

const httpapiMaxBody = httpx.MaxBody

func (u *UI) maxEvidence() int64 { return u.d.Incidents.MaxEvidence() }

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

func (u *UI) incidentTaskUpdate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	t, err := u.d.Incidents.UpdateTask(r.Context(), actorOf(r), r.PathValue("id"), incident.TaskStatus(r.PostFormValue("status")))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/incidents/"+t.IncidentID+"#tasks", http.StatusSeeOther)
}

// incidentEvidence serves a file as an attachment, never inline.
func (u *UI) incidentEvidence(w http.ResponseWriter, r *http.Request) {
	ev, rc, err := u.d.Incidents.OpenEvidence(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	defer rc.Close()
	name, size := ev.Name, ev.Size
	if ev.Malware {
		name, size = name+".zip", -1
	}
	httpx.ServeAttachment(w, name, size, ev.SHA256, rc)
}

// impactSel is one impact input of the "impactsel" partial.
type impactSel struct {
	Name, Value string
	Options     []string
}

func sel(name string, v any) impactSel {
	return impactSel{Name: name, Value: fmt.Sprint(v), Options: []string{"0", "1", "2", "3"}}
}

// Sel is the impact input name with its value.
func (d incidentFormData) Sel(name string, v any) impactSel { return sel(name, v) }

// Sel is the impact input name with its value.
func (d incidentData) Sel(name string, v any) impactSel { return sel(name, v) }

// tlpSel is a TLP chooser of the "tlpsel" partial.
type tlpSel struct {
	ID   string
	TLPs []policy.TLP
}

// TLPSel is the TLP chooser of one form of the case page.
func (d incidentData) TLPSel(id string) tlpSel { return tlpSel{ID: id, TLPs: policy.TLPs} }

// TaskStatuses lists the task statuses.
func (d incidentData) TaskStatuses() []incident.TaskStatus {
	return []incident.TaskStatus{incident.TaskOpen, incident.TaskAccepted, incident.TaskDone, incident.TaskDeclined}
}

// ObsTypes lists the observable types.
func (d incidentData) ObsTypes() []string { return incident.ObservableTypes }

// HasIncidents reports whether the hub serves incident cases.
func (p *page) HasIncidents() bool { return p.u.d.Incidents != nil }
