// Package web serves kyojo's HTML user interface: server-rendered pages in
// Japanese and English, readable without JavaScript, with embedded assets.
package web

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/identity"
)

// Deps are what the UI needs.
type Deps struct {
	Identity     *identity.Service
	Version      string
	SecureCookie bool
}

// UI is the web interface.
type UI struct{ d Deps }

// New returns the UI.
func New(d Deps) *UI { return &UI{d: d} }

// Register adds the UI's routes to mux.
func (u *UI) Register(mux *http.ServeMux) {}
