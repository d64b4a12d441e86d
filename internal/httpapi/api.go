// Package httpapi serves kyojo's REST API under /api/v1: JSON in and out,
// RFC 9457 problem details for errors, and an OpenAPI 3.1 description at
// /api/v1/openapi.json that a test keeps in step with the routes.
package httpapi

import (
	"net/http"

	"github.com/kyojo-hub/kyojo/internal/identity"
)

// Deps are what the API needs.
type Deps struct {
	Identity *identity.Service
	Version  string
}

// API is the REST API.
type API struct{ d Deps }

// New returns the API.
func New(d Deps) *API { return &API{d: d} }

// Register adds the API's routes to mux.
func (a *API) Register(mux *http.ServeMux) {}
