package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// requestListData is the page of law-enforcement requests.
type requestListData struct {
	Requests []evidence.Request
	Orgs     map[string]identity.Org // by id
}

func (u *UI) requestList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("evidence.title"))
	p.Nav = "evidence"
	rs, err := u.d.Evidence.Requests(r.Context(), p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	p.D = requestListData{Requests: rs, Orgs: byID(orgs)}
	u.render(w, http.StatusOK, "evidence", p)
}

// requestFormData is the form to file a request. The dates are kept as
// typed, so a form with errors comes back as it was sent.
type requestFormData struct {
	Reference  string
	LegalBasis string
	Kinds      []string // chosen
	OrgID      string
	Since      string
	Until      string
	AllKinds   []string
	Orgs       []identity.Org
}

// Chosen reports whether kind is ticked.
func (d requestFormData) Chosen(kind string) bool { return slices.Contains(d.Kinds, kind) }

func (u *UI) requestFormPage(w http.ResponseWriter, r *http.Request, d requestFormData) (*page, error) {
	p := u.newPage(w, r, k("evform.title"))
	p.Nav = "evidence"
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	d.Orgs, d.AllKinds = orgs, evidence.Kinds
	p.D = d
	return p, err
}

func (u *UI) requestNew(w http.ResponseWriter, r *http.Request) {
	if err := policy.Decide(actorOf(r).Viewer, policy.FileRequest, policy.Target{}); err != nil {
		u.fail(w, r, err)
		return
	}
	now := time.Now().In(jst)
	p, err := u.requestFormPage(w, r, requestFormData{
		Since: now.AddDate(0, -1, 0).Format("2006-01-02"), Until: now.Format("2006-01-02")})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "evidence_form", p)
}

func (u *UI) requestCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	d := requestFormData{Reference: f("reference"), LegalBasis: f("legal_basis"), Kinds: r.PostForm["scope.kinds"],
		OrgID: f("scope.org_id"), Since: strings.TrimSpace(f("scope.since")), Until: strings.TrimSpace(f("scope.until"))}
	in := evidence.Request{Reference: d.Reference, LegalBasis: d.LegalBasis,
		Scope: evidence.Scope{Kinds: d.Kinds, OrgID: d.OrgID}}
	// Dates are whole days in Japan time; until includes its day.
	var l errs.List
	if t, ok := parseDate(d.Since, &l, "scope.since"); ok {
		in.Scope.Since = t
	}
	if t, ok := parseDate(d.Until, &l, "scope.until"); ok {
		in.Scope.Until = t.Add(24 * time.Hour)
	}
	err := l.Err()
	var req evidence.Request
	if err == nil {
		req, err = u.d.Evidence.FileRequest(r.Context(), actorOf(r), in)
	}
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		p, perr := u.requestFormPage(w, r, d)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		u.renderForm(w, "evidence_form", p, err)
		return
	}
	http.Redirect(w, r, "/evidence/"+req.ID, http.StatusSeeOther)
}

// requestShowData is one request's page.
type requestShowData struct {
	Req       evidence.Request
	Orgs      map[string]identity.Org // by id
	Requester string                  // the author's username, when the viewer may see it
	Decider   string
	CanDecide bool // approve and reject are offered
	CanBundle bool // the bundle may be downloaded
	Verifier  string
	Note      string
}

func (u *UI) requestPage(w http.ResponseWriter, r *http.Request, id string) (*page, error) {
	p := u.newPage(w, r, k("evrequest.title"))
	p.Nav = "evidence"
	req, err := u.d.Evidence.Request(r.Context(), p.Actor, id)
	if err != nil {
		return nil, err
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		return nil, err
	}
	v := p.Actor.Viewer
	d := requestShowData{Req: req, Orgs: byID(orgs), Verifier: u.d.Evidence.LedgerInfo().VerifierKey,
		CanDecide: req.Status == evidence.Pending &&
			policy.Decide(v, policy.DecideRequest, policy.Target{UserID: req.RequestedBy, OrgID: req.RequesterOrg}) == nil,
		CanBundle: (req.Status == evidence.Approved || req.Status == evidence.Produced) &&
			policy.Decide(v, policy.ProduceBundle, policy.Target{OrgID: req.RequesterOrg}) == nil}
	d.Requester = u.username(r, p.Actor, req.RequestedBy)
	d.Decider = u.username(r, p.Actor, req.DecidedBy)
	p.D = d
	return p, nil
}

// username returns the username of the person id when the viewer is that
// person or a hub administrator, else "". It asks the directory only when
// the policy allows, so a page view never leaves a denial in the audit trail.
func (u *UI) username(r *http.Request, a identity.Actor, id string) string {
	switch {
	case id == "":
		return ""
	case id == a.UserID:
		return a.Username
	case a.Role != policy.HubAdmin:
		return ""
	}
	usr, err := u.d.Identity.User(r.Context(), a, id)
	if err != nil {
		return ""
	}
	return usr.Username
}

func (u *UI) requestShow(w http.ResponseWriter, r *http.Request) {
	p, err := u.requestPage(w, r, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "evidence_request", p)
}

// requestDecide approves or rejects a request. A refusal the person can act
// on (already decided, a note too long) comes back on the request's page.
func (u *UI) requestDecide(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.checkForm(w, r) {
			return
		}
		id, note := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("note"))
		_, err := u.d.Evidence.Decide(r.Context(), actorOf(r), id, approve, note)
		if err != nil {
			if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
				u.fail(w, r, err)
				return
			}
			p, perr := u.requestPage(w, r, id)
			if perr != nil {
				u.fail(w, r, perr)
				return
			}
			d := p.D.(requestShowData)
			d.Note = note
			p.D = d
			u.renderForm(w, "evidence_request", p, err)
			return
		}
		http.Redirect(w, r, "/evidence/"+id, http.StatusSeeOther)
	}
}

// requestBundle produces the forensic bundle of an approved request and
// answers it as a download; every production is audited.
func (u *UI) requestBundle(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	id := r.PathValue("id")
	b, req, err := u.d.Evidence.Produce(r.Context(), actorOf(r), id)
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
			u.fail(w, r, err)
			return
		}
		p, perr := u.requestPage(w, r, id)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		u.renderForm(w, "evidence_request", p, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="kyojo-bundle-`+req.ID+`.json"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Bundle-SHA256", req.BundleSHA256)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}
