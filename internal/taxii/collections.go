package taxii

import (
	"context"
	"net/http"
	"sort"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Collection is a TAXII collection resource.
type Collection struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Alias       string   `json:"alias,omitempty"`
	CanRead     bool     `json:"can_read"`
	CanWrite    bool     `json:"can_write"`
	MediaTypes  []string `json:"media_types"`

	filter  intel.Filter  // the objects the collection holds (before visibility)
	sharing intel.Sharing // how objects POSTed to it are shared
}

// The collection id forms.
const (
	Public          = "public"
	CommunityPrefix = "community-"
	InboxPrefix     = "inbox-"
)

// collectionsOf returns the collections the actor has, in a stable order:
// public, their inbox, then communities by slug.
func (s *Server) collectionsOf(ctx context.Context, a identity.Actor) ([]Collection, error) {
	canShare := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}) == nil
	hub := a.Role == policy.HubAdmin
	out := []Collection{{
		ID: Public, Title: "Public (TLP:CLEAR)", Description: "Intelligence anyone may see: everything marked TLP:CLEAR.",
		CanRead: true, CanWrite: canShare && hub,
		filter: intel.Filter{TLP: policy.Clear}, sharing: intel.Sharing{TLP: policy.Clear},
	}}
	if a.OrgID != "" {
		o, err := s.d.Identity.Store().Org(ctx, a.OrgID)
		if err != nil {
			return nil, err
		}
		out = append(out, Collection{
			ID: InboxPrefix + o.Slug, Title: "Inbox of " + o.Name,
			Description: "Intelligence shared with " + o.Name + " by name. What you post here is shared with your organisation only.",
			CanRead:     true, CanWrite: canShare,
			filter: intel.Filter{Org: o.ID}, sharing: intel.Sharing{Orgs: []string{o.ID}},
		})
	}
	all, err := s.d.Identity.Store().ListCommunities(ctx)
	if err != nil {
		return nil, err
	}
	var mine []string
	if a.OrgID != "" {
		if mine, err = s.d.Identity.Store().CommunitiesOf(ctx, a.OrgID); err != nil {
			return nil, err
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Slug < all[j].Slug })
	for _, c := range all {
		if !hub && !contains(mine, c.ID) {
			continue
		}
		out = append(out, Collection{
			ID: CommunityPrefix + c.Slug, Title: c.Name, Description: strings.TrimSpace("Intelligence shared with the community " + c.Name + ". " + c.Description),
			CanRead: true, CanWrite: canShare,
			filter: intel.Filter{Community: c.ID}, sharing: intel.Sharing{Communities: []string{c.ID}},
		})
	}
	for i := range out {
		out[i].MediaTypes = []string{MediaSTIX}
	}
	return out, nil
}

// collectionOf returns the collection the request names, or errs.NotFound
// when the actor does not have it, whether or not it exists.
func (s *Server) collectionOf(r *http.Request) (Collection, error) {
	id := r.PathValue("collection")
	cs, err := s.collectionsOf(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return Collection{}, err
	}
	for _, c := range cs {
		if c.ID == id {
			return c, nil
		}
	}
	return Collection{}, errs.E(errs.NotFound, "no such collection")
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// discoveryResource is the answer of GET /taxii2/.
type discoveryResource struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// apiRootResource is the answer of GET /taxii2/{root}/.
type apiRootResource struct {
	Title            string   `json:"title"`
	Description      string   `json:"description,omitempty"`
	Versions         []string `json:"versions"`
	MaxContentLength int      `json:"max_content_length"`
}

func (s *Server) discovery(w http.ResponseWriter, r *http.Request) error {
	ok(w, http.StatusOK, discoveryResource{Title: s.d.Title, Description: "TAXII 2.1 server of the " + s.d.Title + " hub",
		Default: Prefix + Root + "/", APIRoots: []string{Prefix + Root + "/"}})
	return nil
}

func (s *Server) apiRoot(w http.ResponseWriter, r *http.Request) error {
	ok(w, http.StatusOK, apiRootResource{Title: s.d.Title, Description: "Intelligence shared on the hub, by community",
		Versions: []string{MediaTAXII}, MaxContentLength: MaxBody})
	return nil
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.collectionsOf(r.Context(), httpx.Actor(r.Context()))
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, struct {
		Collections []Collection `json:"collections"`
	}{cs})
	return nil
}

func (s *Server) collection(w http.ResponseWriter, r *http.Request) error {
	c, err := s.collectionOf(r)
	if err != nil {
		return err
	}
	ok(w, http.StatusOK, c)
	return nil
}
