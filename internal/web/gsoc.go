package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// gsocData is the GSOC view: live alerts with filters, top indicators,
// sensor health, and the form that registers a sensor.
type gsocData struct {
	Alerts  []monitor.Alert
	ByOrg   []orgAlerts // the alerts shown, summed by organisation
	Top     []monitor.TopIndicator
	Sensors []monitor.Sensor
	Orgs    map[string]identity.Org
	OrgList []identity.Org
	Sectors []identity.Sector
	Kinds   []string
	Formats []parse.Format
	SKinds  []string
	// Filters.
	Org, Sector, Kind, Severity, Hours string
	// The registration form, and the token just made (shown once).
	Name, SKind, Location, Format, Sources string
	NewSensor                              *monitor.Sensor
	Token                                  string
}

func (u *UI) gsocPage(w http.ResponseWriter, r *http.Request, d gsocData) (*page, error) {
	p := u.newPage(w, r, k("gsoc.title"))
	p.Nav = "gsoc"
	ctx, a := r.Context(), p.Actor
	q := r.URL.Query()
	if d.Hours == "" {
		d.Org, d.Sector, d.Kind, d.Severity, d.Hours = q.Get("org"), q.Get("sector"), q.Get("kind"), q.Get("severity"), q.Get("hours")
	}
	if d.Hours == "" {
		d.Hours = "24"
	}
	hours, err := strconv.Atoi(d.Hours)
	if err != nil || hours < 1 || hours > 24*90 {
		hours = 24
	}
	since := time.Now().Add(-time.Duration(hours) * time.Hour)
	f := monitor.AlertFilter{Sector: d.Sector, Kind: d.Kind, Since: since, Limit: 200}
	if d.Org != "" {
		f.OrgIDs = []string{d.Org}
	}
	if n, err := strconv.Atoi(d.Severity); err == nil {
		f.MaxSeverity = n
	}
	if d.Alerts, err = u.d.Monitor.Alerts(ctx, a, f); err != nil {
		return p, err
	}
	if d.Top, err = u.d.Monitor.TopIndicators(ctx, a, d.Org, since, 10); err != nil {
		return p, err
	}
	if d.Sensors, err = u.d.Monitor.Sensors(ctx, a); err != nil {
		return p, err
	}
	orgs, err := u.d.Identity.ListOrgs(ctx, a, identity.OrgFilter{})
	if err != nil {
		return p, err
	}
	d.Orgs = map[string]identity.Org{}
	for _, o := range orgs {
		d.Orgs[o.ID] = o
		if p.IsHub() || o.ID == a.OrgID {
			d.OrgList = append(d.OrgList, o)
		}
	}
	d.ByOrg = sumByOrg(d.Alerts)
	d.Sectors, d.Formats, d.SKinds = identity.Sectors, parse.Formats, monitor.Kinds
	d.Kinds = []string{"ip", "domain", "url", "hash", "email", "ja3", "user_agent", "pattern"}
	p.D = d
	return p, nil
}

// orgAlerts is one organisation's line of the summary.
type orgAlerts struct {
	OrgID, Sector string
	Alerts        int
	Hits          int64
	Worst         int // the highest severity (lowest number)
}

func sumByOrg(alerts []monitor.Alert) []orgAlerts {
	idx := map[string]int{}
	var out []orgAlerts
	for _, a := range alerts {
		i, ok := idx[a.OrgID]
		if !ok {
			i = len(out)
			idx[a.OrgID] = i
			out = append(out, orgAlerts{OrgID: a.OrgID, Sector: a.Sector, Worst: a.Severity})
		}
		out[i].Alerts++
		out[i].Hits += a.Count
		out[i].Worst = min(out[i].Worst, a.Severity)
	}
	slices.SortStableFunc(out, func(a, b orgAlerts) int {
		if a.Worst != b.Worst {
			return a.Worst - b.Worst
		}
		return int(b.Hits - a.Hits)
	})
	return out
}

func (u *UI) gsoc(w http.ResponseWriter, r *http.Request) {
	p, err := u.gsocPage(w, r, gsocData{Format: "eve", SKind: "nids"})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "gsoc", p)
}

// sensorCreate registers a sensor of the viewer's organisation (or, for
// the GSOC, the one chosen) and shows its token once.
func (u *UI) sensorCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	d := gsocData{Org: f("org"), Name: f("name"), SKind: f("kind"), Location: f("location"), Format: f("format"), Sources: f("sources")}
	in := monitor.NewSensor{Org: d.Org, Name: d.Name, Kind: d.SKind, Location: d.Location, Format: parse.Format(d.Format)}
	for _, s := range strings.FieldsFunc(d.Sources, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		in.Sources = append(in.Sources, s)
	}
	s, tok, err := u.d.Monitor.AddSensor(r.Context(), actorOf(r), in)
	if err == nil {
		d.NewSensor, d.Token = &s, tok
		d.Name, d.Location, d.Sources = "", "", ""
	}
	d.Org = ""
	p, perr := u.gsocPage(w, r, d)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	if err != nil {
		if c := errs.CodeOf(err); c != errs.Invalid && c != errs.Conflict && c != errs.Forbidden {
			u.fail(w, r, err)
			return
		}
		u.renderForm(w, "gsoc", p, err)
		return
	}
	u.render(w, http.StatusCreated, "gsoc", p)
}

// alertData is one alert with the raw events behind it.
type alertData struct {
	Alert       monitor.Alert
	Org         identity.Org
	Events      []string
	Batches     []monitor.KeptBatch // the kept batches, as evidence
	CanEscalate bool                // an incident part is wired in, and the viewer may escalate
}

func (u *UI) gsocAlert(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("gsoc.alert_title"))
	p.Nav = "gsoc"
	ctx, a := r.Context(), p.Actor
	al, err := u.d.Monitor.Alert(ctx, a, r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	lines, kept, err := u.d.Monitor.AlertEvidence(ctx, a, al.ID)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	o, _ := u.d.Identity.Org(ctx, a, al.OrgID)
	can := u.d.Monitor.Escalates() && al.Incident == "" && p.Can(string(policy.EscalateAlert), al.OrgID)
	p.D = alertData{Alert: al, Org: o, Events: lines, Batches: kept, CanEscalate: can}
	u.render(w, http.StatusOK, "gsoc_alert", p)
}

// gsocRawBatch downloads a kept batch as stored (compressed), always as an
// attachment, with its SHA-256.
func (u *UI) gsocRawBatch(w http.ResponseWriter, r *http.Request) {
	raw, err := u.d.Monitor.RawBatch(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	httpx.ServeAttachmentBytes(w, raw.BatchID+".batch", raw.Data)
}

// gsocEscalate sends an alert to an incident by hand.
func (u *UI) gsocEscalate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	al, err := u.d.Monitor.Escalate(r.Context(), actorOf(r), r.PathValue("id"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/gsoc/alerts/"+al.ID, http.StatusSeeOther)
}

// HasMonitor reports whether the hub runs GSOC monitoring.
func (p *page) HasMonitor() bool { return p.u.d.Monitor != nil }
