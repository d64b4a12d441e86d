package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// tmpl is one page's template set: the layout, the partials and the page.
type tmpl = template.Template

// parsePages parses every page of templates/ once per language, with "t"
// bound to that language's catalogue.
func parsePages(fsys fs.FS, cat catalogue) (map[string]map[string]*tmpl, error) {
	names, err := fs.Glob(fsys, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]*tmpl{}
	for _, lang := range identity.Locales {
		out[lang] = map[string]*tmpl{}
		for _, n := range names {
			base := path.Base(n)
			if base == "layout.html" || strings.HasPrefix(base, "partials") {
				continue
			}
			t, err := template.New("layout.html").Funcs(funcs(cat, lang)).
				ParseFS(fsys, "templates/layout.html", "templates/partials*.html", n)
			if err != nil {
				return nil, err
			}
			out[lang][strings.TrimSuffix(base, ".html")] = t
		}
	}
	return out, nil
}

// funcs are the template functions for lang.
func funcs(cat catalogue, lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return cat.t(lang, key, args...) },
		// label translates an enum value: {{label "kind" .Kind}} looks up "kind.<value>".
		"label": func(enum string, v any) string {
			s := fmt.Sprint(v)
			if s == "" || s == "0" {
				return ""
			}
			return cat.t(lang, enum+"."+s)
		},
		// reason translates a sensor's rejection reason ("reason.<key>"),
		// showing a reason the catalogue does not know as it is.
		"reason": func(r string) string {
			if s, ok := cat[lang]["reason."+r]; ok {
				return s
			}
			return r
		},
		"name": func(v interface{ DisplayName(string) string }) string { return v.DisplayName(lang) },
		"when": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				return fmtTime(t)
			case *time.Time:
				if t != nil {
					return fmtTime(*t)
				}
			}
			return "—"
		},
		"scopeOf":    func(s evidence.Scope, orgs map[string]identity.Org) scopeView { return scopeView{s, orgs} },
		"join":       strings.Join,
		"inc":        func(i int) int { return i + 1 },
		"locales":    func() []string { return identity.Locales },
		"fld":        fld,
		"contactsOf": func(p *page, rows []contactRow) contactsData { return contactsData{P: p, Rows: rows} },
		"objtable": func(id string, rows []objRow, empty string, via bool) objTable {
			return objTable{ID: id, Rows: rows, Empty: empty, Via: via}
		},
		"searchbox": func(id, value string) searchBox { return searchBox{ID: id, Value: value} },
		// tlpClass is the CSS class of a TLP badge: "tlp-amber-strict".
		"tlpClass": func(t policy.TLP) string { return "tlp-" + strings.ReplaceAll(string(t), "+", "-") },
		// vkind names a kind of observable value, or shows it as it is
		// when the catalogue has no name for it.
		"vkind": func(kind string) string {
			if s, ok := cat[lang]["vkind."+kind]; ok {
				return s
			}
			return kind
		},
	}
}

// objTable is a table of objects for the "objrows" partial; Empty is the
// catalogue key shown when there are none, Via adds the shared values.
type objTable struct {
	ID    string
	Rows  []objRow
	Empty string
	Via   bool
}

// searchBox is a search form for the "searchform" partial.
type searchBox struct{ ID, Value string }

// scopeView is a request's scope with the organisations to name it by, for
// the "evscope" partial.
type scopeView struct {
	Scope evidence.Scope
	Orgs  map[string]identity.Org
}

func fmtTime(t time.Time) string {
	return t.In(jst).Format("2006-01-02 15:04")
}

// jst is Japan Standard Time; the hub shows times as its people live them.
var jst = time.FixedZone("JST", 9*3600)

// fieldData is one form field for the "input" and "ferr" partials.
type fieldData struct {
	Name, Label, Value, Type string
	Required                 bool
	Errs                     []string
}

// fld builds a field: {{template "input" (fld . "name" "label.key" .Value "required" "email")}}.
// Options are "required" or an input type ("email", "password", "date",
// "textarea"); the type defaults to text.
func fld(p *page, name, label string, value any, opts ...string) fieldData {
	f := fieldData{Name: name, Label: label, Value: fmt.Sprint(value), Type: "text", Errs: p.Errs[name]}
	for _, o := range opts {
		if o == "required" {
			f.Required = true
		} else {
			f.Type = o
		}
	}
	return f
}

// page is what every template receives.
type page struct {
	u       *UI
	r       *http.Request
	binding string
	Lang    string
	Title   string // catalogue key
	Nav     string // which header link is current
	User    *identity.User
	Actor   identity.Actor
	Path    string // the current URL, for the language switch to return to
	Version string
	Notice  string              // catalogue key of a success message
	Errs    map[string][]string // field → translated messages
	Summary []string            // every error, for the summary at the top of a form
	D       any                 // the page's own data
}

// newPage prepares a page for r. For an anonymous visitor it makes sure the
// pre-session nonce cookie exists, so forms can be bound to it; it must run
// before anything is written to w.
func (u *UI) newPage(w http.ResponseWriter, r *http.Request, title string) *page {
	p := &page{u: u, r: r, Lang: langOf(r), Title: title, Actor: httpx.Actor(r.Context()),
		Path: r.URL.RequestURI(), Version: u.d.Version, Errs: map[string][]string{}}
	if usr, ok := httpx.User(r.Context()); ok {
		p.User = &usr
	}
	p.binding = u.binding(w, r, true)
	return p
}

// CSRF issues a fresh one-time form token; each form calls it once.
func (p *page) CSRF() (string, error) {
	return p.u.d.Identity.IssueCSRF(p.r.Context(), p.binding)
}

// Err returns the messages about field.
func (p *page) Err(field string) []string { return p.Errs[field] }

// Can reports whether the viewer may do action on the organisation orgID;
// the UI uses it only to decide what to show.
func (p *page) Can(action string, orgID string) bool {
	return policy.Decide(p.Actor.Viewer, policy.Action(action), policy.Target{OrgID: orgID, UserID: p.Actor.UserID}) == nil
}

// IsAdmin reports whether the viewer administers something (sees the audit trail).
func (p *page) IsAdmin() bool {
	return p.Actor.Role == policy.HubAdmin || p.Actor.Role == policy.OrgAdmin
}

// IsHub reports whether the viewer is a hub administrator.
func (p *page) IsHub() bool { return p.Actor.Role == policy.HubAdmin }

// HasLedger reports whether the hub runs the evidence ledger; without it
// the evidence, retention and ledger pages do not exist.
func (p *page) HasLedger() bool { return p.u.d.Evidence != nil }

// HasIntel reports whether the hub keeps intelligence; without it the
// search box and the intelligence pages do not exist.
func (p *page) HasIntel() bool { return p.u.d.Intel != nil }

// SearchValue is what the header's search box shows: the value searched
// for on the search page, else nothing.
func (p *page) SearchValue() string {
	if p.r.URL.Path != "/search" {
		return ""
	}
	return p.r.URL.Query().Get("value")
}

// SeesEvidence reports whether the viewer is offered the evidence requests:
// hub administrators, who decide on them, and people of a law-enforcement
// organisation, who file them.
func (p *page) SeesEvidence() bool {
	return p.HasLedger() && (p.IsHub() || p.Actor.OrgKind == policy.LawEnforcement)
}

// setErr fills the page's errors from a service error.
func (p *page) setErr(err error) {
	for _, e := range errs.Fields(err) {
		msg := p.u.cat.message(p.Lang, e)
		if e.Field != "" {
			p.Errs[e.Field] = append(p.Errs[e.Field], msg)
			p.Summary = append(p.Summary, e.Field+": "+msg)
		} else {
			p.Summary = append(p.Summary, msg)
		}
	}
	if len(p.Summary) == 0 {
		p.Summary = append(p.Summary, p.u.cat.t(p.Lang, k("msg.internal")))
	}
}

// render writes the page with status. The template runs into a buffer
// first, so a failure gives a clean 500.
func (u *UI) render(w http.ResponseWriter, status int, name string, p *page) {
	t := u.pages[p.Lang][name]
	var b bytes.Buffer
	if t == nil {
		httpx.WriteProblem(w, p.r, errs.Wrap(errs.E(errs.Internal, "no template %q", name), "render"))
		return
	}
	if err := t.Execute(&b, p); err != nil {
		httpx.Logger(p.r.Context()).ErrorContext(p.r.Context(), "render", "err", err, "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// renderForm renders a form page again after err: the submitted values are
// in p.D, the messages next to their fields, the status from err's code.
func (u *UI) renderForm(w http.ResponseWriter, name string, p *page, err error) {
	if c := errs.CodeOf(err); c == errs.NotFound || c == errs.Internal || c == errs.Unauthenticated {
		u.fail(w, p.r, err)
		return
	}
	p.setErr(err)
	u.render(w, statusOf(err), name, p)
}

func statusOf(err error) int {
	if s := httpx.Status[errs.CodeOf(err)]; s != 0 {
		return s
	}
	return http.StatusInternalServerError
}

// fail renders an error page for err: not found, forbidden, an expired
// form, or an internal error (logged in full, shown as such).
func (u *UI) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := errs.CodeOf(err)
	if code == errs.Internal {
		httpx.Logger(r.Context()).ErrorContext(r.Context(), "internal error", "err", err, "path", r.URL.Path)
	}
	if code == errs.Unauthenticated {
		toLogin(w, r)
		return
	}
	p := u.newPage(w, r, k("error.title"))
	p.setErr(err)
	p.D = errorPage{Code: string(code)}
	u.render(w, statusOf(err), "error", p)
}

// errorPage is the data of the error page.
type errorPage struct{ Code string }

// notFound answers every path no route matches. Under /api/ it answers as
// the API does, in problem+json.
func (u *UI) notFound(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		httpx.WriteProblem(w, r, errs.E(errs.NotFound, "no such endpoint"))
		return
	}
	if httpx.Actor(r.Context()).Anonymous() {
		toLogin(w, r)
		return
	}
	u.fail(w, r, errs.E(errs.NotFound, "no such page"))
}
