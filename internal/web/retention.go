package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// retentionData is the retention page: the rules, the legal holds, and the
// two forms with what was last typed into them.
type retentionData struct {
	Rules []evidence.Rule
	Holds []evidence.Hold
	Orgs  []identity.Org
	ByID  map[string]identity.Org
	Kinds []string
	Rule  ruleForm
	Hold  holdForm
}

// ruleForm is the form that sets a retention rule.
type ruleForm struct{ Kind, OrgID, Days string }

// holdForm is the form that places a legal hold. Its fields are named
// hold_org, hold_kind and reason, so that its errors do not show next to
// the rule form's fields.
type holdForm struct{ OrgID, Kind, Reason string }

// retentionPage builds the retention page. Holds are for hub
// administrators only; the service refuses everyone else.
func (u *UI) retentionPage(w http.ResponseWriter, r *http.Request, rf ruleForm, hf holdForm) (*page, error) {
	p := u.newPage(w, r, k("retention.title"))
	p.Nav = "retention"
	holds, err := u.d.Evidence.Holds(r.Context(), p.Actor)
	if err != nil {
		return nil, err
	}
	rules, err := u.d.Evidence.Rules(r.Context(), p.Actor)
	if err != nil {
		return nil, err
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		return nil, err
	}
	p.D = retentionData{Rules: rules, Holds: holds, Orgs: orgs, ByID: byID(orgs), Kinds: evidence.Kinds, Rule: rf, Hold: hf}
	return p, nil
}

func (u *UI) retention(w http.ResponseWriter, r *http.Request) {
	p, err := u.retentionPage(w, r, ruleForm{Kind: evidence.KindAudit, Days: "365"}, holdForm{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "rule":
		p.Notice = k("retention.rule_saved")
	case "hold":
		p.Notice = k("retention.hold_placed")
	}
	u.render(w, http.StatusOK, "retention", p)
}

// retentionError renders the retention page again after err, with both
// forms as they were sent; errors it cannot show there get the error page.
func (u *UI) retentionError(w http.ResponseWriter, r *http.Request, rf ruleForm, hf holdForm, err error) {
	if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict {
		u.fail(w, r, err)
		return
	}
	p, perr := u.retentionPage(w, r, rf, hf)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	u.renderForm(w, "retention", p, err)
}

func (u *UI) ruleSet(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	rf := ruleForm{Kind: f("kind"), OrgID: f("org"), Days: strings.TrimSpace(f("days"))}
	days, perr := strconv.Atoi(rf.Days)
	var err error
	if perr != nil {
		err = errs.F(errs.Invalid, "days", "must be between %d and %d", evidence.MinRetentionDays, evidence.MaxRetentionDays)
	} else {
		_, err = u.d.Evidence.PutRule(r.Context(), actorOf(r), evidence.Rule{Kind: rf.Kind, OrgID: rf.OrgID, Days: days})
	}
	if err != nil {
		u.retentionError(w, r, rf, holdForm{}, err)
		return
	}
	http.Redirect(w, r, "/retention?done=rule", http.StatusSeeOther)
}

func (u *UI) ruleDelete(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if err := u.d.Evidence.DeleteRule(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/retention", http.StatusSeeOther)
}

func (u *UI) holdPlace(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	hf := holdForm{OrgID: f("hold_org"), Kind: f("hold_kind"), Reason: f("reason")}
	_, err := u.d.Evidence.PlaceHold(r.Context(), actorOf(r), evidence.Hold{OrgID: hf.OrgID, Kind: hf.Kind, Reason: hf.Reason})
	if err != nil {
		err = renameFields(err, map[string]string{"kind": "hold_kind", "org_id": "hold_org"})
		u.retentionError(w, r, ruleForm{Kind: evidence.KindAudit, Days: "365"}, hf, err)
		return
	}
	http.Redirect(w, r, "/retention?done=hold", http.StatusSeeOther)
}

func (u *UI) holdRelease(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	if err := u.d.Evidence.ReleaseHold(r.Context(), actorOf(r), r.PathValue("id")); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/retention", http.StatusSeeOther)
}

// renameFields returns err with its field errors renamed as names says
// (form field names that differ from the service's), keeping the code.
func renameFields(err error, names map[string]string) error {
	var l errs.List
	changed := false
	for _, f := range errs.Fields(err) {
		c := *f
		if to, ok := names[c.Field]; ok {
			c.Field, changed = to, true
		}
		l = append(l, &c)
	}
	if !changed {
		return err
	}
	return l.Err()
}
