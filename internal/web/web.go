// Package web owns kyojo's HTML user interface: server-rendered pages in
// Japanese (the default) and English, built with html/template from embedded
// templates, one stylesheet and one small script served under /static/.
//
// Pages read without JavaScript; the script only adds comforts (confirming
// revocations, copying a new token, filtering tables as one types). Every
// read and write goes through identity.Service, which applies the policy and
// audits; the UI asks policy.Decide only to decide what to show. Every POST
// form carries a one-time token from Service.IssueCSRF, checked before the
// handler does anything else.
package web

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/incident"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/partner"
	"github.com/kyojo-hub/kyojo/internal/rpz"
)

//go:embed templates/*.html static/* i18n/*.json
var files embed.FS

// Deps are what the UI needs.
type Deps struct {
	Identity     *identity.Service
	Evidence     *evidence.Service // nil when the hub runs no ledger: its pages and links are absent
	Intel        *intel.Service    // nil when the hub keeps no intelligence: its pages, links and search box are absent
	Version      string
	SecureCookie bool // mark cookies Secure (the hub is behind TLS)

	RPZ       *rpz.Service      // nil: no warning page nor RPZ pages
	RPZStatus rpz.Status        // the running DNS side; nil when this node serves no zones
	Monitor   *monitor.Service  // nil when the hub runs no monitoring: the GSOC pages and link are absent
	Incidents *incident.Service // nil: the incident pages are absent
	// Partners is the federation partner registry; nil: its pages are absent.
	Partners *partner.Service
}

// UI is the web interface. It is safe for concurrent use: after New it
// holds only read-only state.
type UI struct {
	d     Deps
	cat   catalogue
	pages map[string]map[string]*tmpl // language → page file → template set
}

// New returns the UI. It panics when the embedded templates or catalogues
// are broken, which the package's tests rule out.
func New(d Deps) *UI {
	cat, err := loadCatalogue(files)
	if err != nil {
		panic("web: " + err.Error())
	}
	u := &UI{d: d, cat: cat}
	if u.pages, err = parsePages(files, cat); err != nil {
		panic("web: " + err.Error())
	}
	return u
}

// Register adds the UI's routes to mux.
func (u *UI) Register(mux *http.ServeMux) {
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))

	u.registerRPZ(mux)
	mux.HandleFunc("GET /login", u.loginForm)
	mux.HandleFunc("POST /login", u.login)
	mux.HandleFunc("POST /logout", u.signedIn(u.logout))
	mux.HandleFunc("POST /lang", u.switchLang)
	mux.HandleFunc("GET /{$}", u.signedIn(u.home))

	mux.HandleFunc("GET /orgs", u.signedIn(u.orgList))
	mux.HandleFunc("GET /orgs/new", u.signedIn(u.orgNew))
	mux.HandleFunc("POST /orgs/new", u.signedIn(u.orgCreate))
	mux.HandleFunc("GET /orgs/{ref}", u.signedIn(u.orgShow))
	mux.HandleFunc("GET /orgs/{ref}/edit", u.signedIn(u.orgEdit))
	mux.HandleFunc("POST /orgs/{ref}/edit", u.signedIn(u.orgUpdate))

	mux.HandleFunc("GET /communities", u.signedIn(u.communityList))
	mux.HandleFunc("GET /communities/new", u.signedIn(u.communityNew))
	mux.HandleFunc("POST /communities/new", u.signedIn(u.communityCreate))
	mux.HandleFunc("GET /communities/{ref}", u.signedIn(u.communityShow))
	mux.HandleFunc("GET /communities/{ref}/edit", u.signedIn(u.communityEdit))
	mux.HandleFunc("POST /communities/{ref}/edit", u.signedIn(u.communityUpdate))

	mux.HandleFunc("GET /users", u.signedIn(u.userList))
	mux.HandleFunc("GET /users/new", u.signedIn(u.userNew))
	mux.HandleFunc("POST /users/new", u.signedIn(u.userCreate))
	mux.HandleFunc("GET /users/{ref}/edit", u.signedIn(u.userEdit))
	mux.HandleFunc("POST /users/{ref}/edit", u.signedIn(u.userUpdate))
	mux.HandleFunc("POST /users/{ref}/password", u.signedIn(u.userPassword))
	mux.HandleFunc("GET /account", u.signedIn(u.account))
	mux.HandleFunc("POST /account", u.signedIn(u.accountUpdate))
	mux.HandleFunc("POST /account/password", u.signedIn(u.accountPassword))

	mux.HandleFunc("GET /tokens", u.signedIn(u.tokenList))
	mux.HandleFunc("POST /tokens", u.signedIn(u.tokenCreate))
	mux.HandleFunc("POST /tokens/{id}/revoke", u.signedIn(u.tokenRevoke))

	mux.HandleFunc("GET /audit", u.signedIn(u.auditList))

	if u.d.Evidence != nil {
		mux.HandleFunc("GET /evidence", u.signedIn(u.requestList))
		mux.HandleFunc("GET /evidence/new", u.signedIn(u.requestNew))
		mux.HandleFunc("POST /evidence/new", u.signedIn(u.requestCreate))
		mux.HandleFunc("GET /evidence/{id}", u.signedIn(u.requestShow))
		mux.HandleFunc("POST /evidence/{id}/approve", u.signedIn(u.requestDecide(true)))
		mux.HandleFunc("POST /evidence/{id}/reject", u.signedIn(u.requestDecide(false)))
		mux.HandleFunc("POST /evidence/{id}/bundle", u.signedIn(u.requestBundle))

		mux.HandleFunc("GET /retention", u.signedIn(u.retention))
		mux.HandleFunc("POST /retention/rules", u.signedIn(u.ruleSet))
		mux.HandleFunc("POST /retention/rules/{id}/delete", u.signedIn(u.ruleDelete))
		mux.HandleFunc("POST /retention/holds", u.signedIn(u.holdPlace))
		mux.HandleFunc("POST /retention/holds/{id}/release", u.signedIn(u.holdRelease))

		mux.HandleFunc("GET /ledger", u.signedIn(u.ledgerShow))
		mux.HandleFunc("GET /audit/{seq}/proof", u.signedIn(u.auditProof))
	}

	if u.d.Intel != nil {
		mux.HandleFunc("GET /search", u.signedIn(u.search))
		mux.HandleFunc("GET /intel", u.signedIn(u.intelList))
		mux.HandleFunc("GET /intel/new", u.signedIn(u.shareNew))
		mux.HandleFunc("POST /intel/new", u.signedIn(u.shareCreate))
		mux.HandleFunc("GET /intel/import", u.signedIn(u.importNew))
		mux.HandleFunc("POST /intel/import", u.signedIn(u.importCreate))
		mux.HandleFunc("GET /intel/export", u.signedIn(u.intelExport))
		mux.HandleFunc("GET /intel/{id}", u.signedIn(u.intelShow))
		mux.HandleFunc("POST /intel/{id}/revoke", u.signedIn(u.intelRevoke))
	}

	if u.d.Monitor != nil {
		mux.HandleFunc("GET /gsoc", u.signedIn(u.gsoc))
		mux.HandleFunc("POST /gsoc/sensors", u.signedIn(u.sensorCreate))
		mux.HandleFunc("GET /gsoc/alerts/{id}", u.signedIn(u.gsocAlert))
		mux.HandleFunc("POST /gsoc/alerts/{id}/escalate", u.signedIn(u.gsocEscalate))
		mux.HandleFunc("GET /gsoc/batches/{id}/raw", u.signedIn(u.gsocRawBatch))
	}
	u.registerIncidents(mux)
	if u.d.Partners != nil {
		mux.HandleFunc("GET /partners", u.signedIn(u.partnerList))
		mux.HandleFunc("GET /partners/clients", u.signedIn(u.taxiiClients))
		mux.HandleFunc("GET /partners/new", u.signedIn(u.partnerNew))
		mux.HandleFunc("POST /partners/new", u.signedIn(u.partnerCreate))
		mux.HandleFunc("GET /partners/{ref}", u.signedIn(u.partnerShow))
		mux.HandleFunc("GET /partners/{ref}/edit", u.signedIn(u.partnerEdit))
		mux.HandleFunc("POST /partners/{ref}/edit", u.signedIn(u.partnerUpdate))
		mux.HandleFunc("POST /partners/{ref}/delete", u.signedIn(u.partnerDelete))
		mux.HandleFunc("POST /partners/{ref}/disable", u.signedIn(u.partnerToggle(true)))
		mux.HandleFunc("POST /partners/{ref}/enable", u.signedIn(u.partnerToggle(false)))
	}

	mux.HandleFunc("/", u.notFound)
}

// cacheStatic marks assets cacheable for a day; they change only with a
// new release, and the layout links them with the version as a query.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		h.ServeHTTP(w, r)
	})
}
