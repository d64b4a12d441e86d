package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// auditPageSize is how many records one audit page shows.
const auditPageSize = 50

// auditData is the audit trail page.
type auditData struct {
	Records  []auditRow
	Orgs     map[string]identity.Org
	Actor    string
	Action   string
	Outcome  string
	Since    string
	Until    string
	Outcomes []audit.Outcome
	Next     template.URL // the next (older) page, or ""
}

// auditRow is one record with its detail pretty-printed.
type auditRow struct {
	audit.Record
	Pretty string
}

func (u *UI) auditList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("audit.title"))
	p.Nav = "audit"
	q := r.URL.Query()
	d := auditData{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")),
		Outcome: q.Get("outcome"), Since: q.Get("since"), Until: q.Get("until"),
		Outcomes: []audit.Outcome{audit.Success, audit.Denied, audit.Failure}}
	f := audit.Filter{Action: d.Action, Outcome: audit.Outcome(d.Outcome), Limit: auditPageSize}
	var l errs.List
	if d.Actor != "" {
		f.ActorID = d.Actor
		if usr, err := u.d.Identity.User(r.Context(), p.Actor, d.Actor); err == nil {
			f.ActorID = usr.ID
		}
	}
	if t, ok := parseDate(d.Since, &l, "since"); ok {
		f.Since = t
	}
	if t, ok := parseDate(d.Until, &l, "until"); ok {
		f.Until = t.Add(24 * time.Hour)
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			l.Add(errs.Invalid, "before", "must be a record number")
		}
		f.BeforeSeq = n
	}
	if err := l.Err(); err != nil {
		p.D = d
		u.renderForm(w, "audit", p, err)
		return
	}
	recs, err := u.d.Identity.ListAudit(r.Context(), p.Actor, f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Orgs = byID(orgs)
	for _, rec := range recs {
		row := auditRow{Record: rec}
		var b bytes.Buffer
		if len(rec.Detail) > 0 && json.Indent(&b, rec.Detail, "", "  ") == nil {
			row.Pretty = b.String()
		}
		d.Records = append(d.Records, row)
	}
	if len(recs) == auditPageSize {
		next := url.Values{}
		for _, key := range []string{"actor", "action", "outcome", "since", "until"} {
			if v := q.Get(key); v != "" {
				next.Set(key, v)
			}
		}
		next.Set("before", strconv.FormatInt(recs[len(recs)-1].Seq, 10))
		d.Next = template.URL("/audit?" + next.Encode())
	}
	p.D = d
	u.render(w, http.StatusOK, "audit", p)
}

// parseDate reads a YYYY-MM-DD date in Japan time; a bad one is added to l.
func parseDate(s string, l *errs.List, field string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation("2006-01-02", s, jst)
	if err != nil {
		l.Add(errs.Invalid, field, "must be a date such as 2025-04-01")
		return time.Time{}, false
	}
	return t, true
}
