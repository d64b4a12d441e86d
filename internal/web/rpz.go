package web

import (
	"crypto/rand"
	"encoding/base64"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

// registerRPZ adds the warning page (public: where the walled garden
// sends people), its false-positive form, and the hub administrators' RPZ
// page with the review queue.
func (u *UI) registerRPZ(mux *http.ServeMux) {
	if u.d.RPZ == nil {
		return
	}
	mux.HandleFunc("GET /warning", u.warning)
	mux.HandleFunc("POST /warning/report", u.warningReport)
	mux.HandleFunc("GET /rpz", u.signedIn(u.rpzPage))
	mux.HandleFunc("POST /rpz/reports/{id}/accept", u.signedIn(u.rpzDecide(true)))
	mux.HandleFunc("POST /rpz/reports/{id}/reject", u.signedIn(u.rpzDecide(false)))
	mux.HandleFunc("POST /rpz/feeds", u.signedIn(u.rpzFeedCreate))
	mux.HandleFunc("POST /rpz/subscribers", u.signedIn(u.rpzSubscriberCreate))
	mux.HandleFunc("POST /rpz/allowlist", u.signedIn(u.rpzAllowCreate))
}

// warningData is the warning page.
type warningData struct {
	Name    string
	Listed  bool
	Detail  bool     // the indicator is TLP:CLEAR: its name and types may be shown
	Reason  string   // the indicator's name
	Types   []string // its indicator_types
	Form    rpz.Report
	Done    bool // the report was received
	Reports bool // reports are taken
}

// warningName is the blocked name: ?name=, else the Host the browser asked
// for (the walled garden points the blocked name at this server).
func warningName(r *http.Request) string {
	n := r.URL.Query().Get("name")
	if n == "" {
		n = r.Host
		if h, _, err := net.SplitHostPort(n); err == nil {
			n = h
		}
	}
	n = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(n)), ".")
	if !rpz.CheckName(n) {
		return ""
	}
	return n
}

func (u *UI) warningPage(w http.ResponseWriter, r *http.Request, name string) *page {
	p := u.newPage(w, r, k("warning.title"))
	d := warningData{Name: name, Reports: true, Form: rpz.Report{Name: name}}
	if u.d.RPZStatus != nil && name != "" {
		if _, in, ok := u.d.RPZStatus.Explain(name); ok {
			d.Listed = true
			// Only what the marking allows the public: details of TLP:CLEAR
			// objects without compartments, a generic reason otherwise.
			if in.Dist.TLP == policy.Clear && len(in.Dist.Compartments) == 0 {
				d.Detail, d.Reason = true, in.Name
				for _, t := range in.Types {
					if _, ok := u.cat[p.Lang]["itype."+t]; ok {
						d.Types = append(d.Types, t)
					}
				}
			}
		}
	}
	p.D = d
	return p
}

func (u *UI) warning(w http.ResponseWriter, r *http.Request) {
	p := u.warningPage(w, r, warningName(r))
	w.Header().Set("X-Robots-Tag", "noindex")
	u.render(w, http.StatusOK, "warning", p)
}

func (u *UI) warningReport(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if !u.checkFormMax(w, r, 64<<10) {
		return
	}
	form := url.Values{"name": {r.PostFormValue("name")}, "reason": {r.PostFormValue("reason")},
		"contact": {r.PostFormValue("contact")}, "lang": {langOf(r)}}
	rep, err := rpz.ParseReport(form)
	p := u.warningPage(w, r, rep.Name)
	d := p.D.(warningData)
	d.Form = rep
	if err == nil {
		remote, _ := netip.ParseAddr(httpx.Actor(r.Context()).Remote)
		_, err = u.d.RPZ.Report(r.Context(), rep, remote)
	}
	if err != nil {
		p.D = d
		u.renderForm(w, "warning", p, err)
		return
	}
	d.Done = true
	p.D = d
	u.render(w, http.StatusCreated, "warning", p)
}

// rpzData is the hub administrators' RPZ page.
type rpzData struct {
	Feeds       []rpz.Feed
	Subscribers []rpz.Subscriber
	Zones       []rpz.ZoneInfo
	Hits        []rpz.HitCount
	Reports     []rpz.Report
	Allow       []rpz.Allow
	Running     bool
	Orgs        []identity.Org
	Feed        rpz.Feed       // the new-feed form
	Sub         rpz.Subscriber // the new-subscriber form
	SubAllow    string
	SubNotify   string
	NewSecret   string // a generated TSIG secret, shown once
	AllowName   string
	Actions     []rpz.Action
	TLPs        []policy.TLP
}

func (u *UI) rpzPage(w http.ResponseWriter, r *http.Request) {
	p, ok := u.rpzLoad(w, r, rpzData{Feed: rpz.Feed{MinScore: 50, Action: rpz.NXDomain}})
	if !ok {
		return
	}
	if n := r.URL.Query().Get("done"); n == "accepted" || n == "rejected" || n == "saved" {
		p.Notice = "rpz.done_" + n
	}
	u.render(w, http.StatusOK, "rpz", p)
}

// rpzLoad fills the RPZ page around d (the forms' values); false when it
// has answered already (not a hub administrator).
func (u *UI) rpzLoad(w http.ResponseWriter, r *http.Request, d rpzData) (*page, bool) {
	p := u.newPage(w, r, k("rpz.title"))
	p.Nav = "rpz"
	var err error
	ctx, a := r.Context(), p.Actor
	if d.Feeds, err = u.d.RPZ.Feeds(ctx, a); err != nil {
		u.fail(w, r, err)
		return nil, false
	}
	d.Subscribers, _ = u.d.RPZ.Subscribers(ctx, a)
	d.Reports, _ = u.d.RPZ.Reports(ctx, a, rpz.ReportOpen)
	d.Allow, _ = u.d.RPZ.Allowlist(ctx, a)
	d.Orgs, _ = u.d.Identity.ListOrgs(ctx, a, identity.OrgFilter{})
	d.Actions = []rpz.Action{rpz.NXDomain, rpz.NoData, rpz.Walled}
	d.TLPs = policy.TLPs
	if u.d.RPZStatus != nil {
		d.Running, d.Zones, d.Hits = true, u.d.RPZStatus.Zones(), u.d.RPZStatus.Hits()
		d.Hits = d.Hits[:min(len(d.Hits), 20)]
	}
	p.D = d
	return p, true
}

func (u *UI) rpzFeedCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	feed := rpz.Feed{Zone: f("zone"), Description: f("description"), Action: rpz.Action(f("action")), WarnHost: f("warn_host"),
		MaxTLP: policy.TLP(f("max_tlp")), Kinds: r.PostForm["kinds"]}
	var err error
	if feed.MinScore, err = strconv.ParseFloat(strings.TrimSpace(f("min_score")), 64); err != nil {
		err = errs.F(errs.Invalid, "min_score", "must be a number from 0 to 100")
	}
	if err == nil {
		_, err = u.d.RPZ.AddFeed(r.Context(), httpx.Actor(r.Context()), feed)
	}
	if err != nil {
		if p, ok := u.rpzLoad(w, r, rpzData{Feed: feed}); ok {
			u.renderForm(w, "rpz", p, err)
		}
		return
	}
	http.Redirect(w, r, "/rpz?done=saved", http.StatusSeeOther)
}

func (u *UI) rpzSubscriberCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	f := r.PostFormValue
	d := rpzData{Sub: rpz.Subscriber{Name: f("name"), OrgID: f("org"), Feeds: r.PostForm["feeds"], KeyName: f("key_name")},
		SubAllow: f("allow"), SubNotify: f("notify")}
	var err error
	for _, a := range strings.FieldsFunc(d.SubAllow, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		pfx, perr := netip.ParsePrefix(a)
		if perr != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				err = errs.F(errs.Invalid, "allow", "%q is not an address or network", a)
				break
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		d.Sub.Allow = append(d.Sub.Allow, pfx)
	}
	d.Sub.Notify = strings.FieldsFunc(d.SubNotify, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	if d.Sub.KeyName != "" {
		b := make([]byte, 32)
		rand.Read(b)
		d.Sub.Secret = base64.StdEncoding.EncodeToString(b)
	}
	if err == nil {
		_, err = u.d.RPZ.AddSubscriber(r.Context(), httpx.Actor(r.Context()), d.Sub)
	}
	if err != nil {
		if p, ok := u.rpzLoad(w, r, d); ok {
			u.renderForm(w, "rpz", p, err)
		}
		return
	}
	secret := d.Sub.Secret
	p, ok := u.rpzLoad(w, r, rpzData{Feed: rpz.Feed{MinScore: 50, Action: rpz.NXDomain}, Sub: rpz.Subscriber{KeyName: rpz.Fqdn(d.Sub.KeyName)}, NewSecret: secret})
	if !ok {
		return
	}
	p.Notice = "rpz.done_saved"
	u.render(w, http.StatusCreated, "rpz", p)
}

func (u *UI) rpzAllowCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	name := r.PostFormValue("allow_name")
	_, err := u.d.RPZ.AddAllow(r.Context(), httpx.Actor(r.Context()), rpz.Allow{Name: name, Reason: r.PostFormValue("reason")})
	if err != nil {
		if errs.CodeOf(err) == errs.Invalid {
			err = errs.F(errs.Invalid, "allow_name", "%s", err.Error())
		}
		if p, ok := u.rpzLoad(w, r, rpzData{Feed: rpz.Feed{MinScore: 50, Action: rpz.NXDomain}, AllowName: name}); ok {
			u.renderForm(w, "rpz", p, err)
		}
		return
	}
	http.Redirect(w, r, "/rpz?done=saved", http.StatusSeeOther)
}

func (u *UI) rpzDecide(accept bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !u.checkForm(w, r) {
			return
		}
		a := httpx.Actor(r.Context())
		rep, err := u.d.RPZ.Decide(r.Context(), a, r.PathValue("id"), accept, r.PostFormValue("note"))
		if err != nil {
			u.fail(w, r, err)
			return
		}
		http.Redirect(w, r, "/rpz?done="+rep.Status, http.StatusSeeOther)
	}
}

// IsListed is used by the server to send browsers that reach the hub under
// a blocked name to the warning page.
func IsListed(st rpz.Status, host string) bool {
	if st == nil {
		return false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	_, _, ok := st.Explain(strings.ToLower(host))
	return ok
}

// HasRPZ reports whether the hub runs the RPZ service (its page exists).
func (p *page) HasRPZ() bool { return p.u.d.RPZ != nil }
