// Package taxiiclient is a TAXII 2.1 client: discovery, API roots,
// collections, objects with added_after, limit and next paging, POSTs of
// envelopes and their status. It sends and checks the TAXII media types,
// authenticates with HTTP Basic or a Bearer token, limits response sizes
// and times out, and refuses loopback, private and reserved addresses
// (checked on every connection, on the address dialled) unless
// AllowPrivate is set.
package taxiiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/stix"
)

// The media types.
const (
	MediaTAXII = "application/taxii+json;version=2.1"
	MediaSTIX  = "application/stix+json;version=2.1"
)

// MaxResponse is the most a response body may hold.
const MaxResponse = 64 << 20

// Client talks to one TAXII server. The zero value is not usable: set
// APIRoot (or call Discover with a discovery URL).
type Client struct {
	APIRoot  string // e.g. https://hub.example/taxii2/kyojo/ (with the trailing slash)
	Username string // Basic: user name; empty with a Token: Bearer
	Token    string // the Basic password or the Bearer token
	Bearer   bool   // send the token as Bearer instead of Basic
	// AllowPrivate lets the client reach loopback, private and reserved
	// addresses: for tests and federation inside one network only.
	AllowPrivate bool
	Timeout      time.Duration // per request; default 60 s
	MaxResponse  int64         // default MaxResponse
	UserAgent    string

	hc *http.Client
}

// Error is a TAXII error message returned by the server, with its status.
type Error struct {
	Status      int    `json:"-"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	ErrorCode   string `json:"error_code,omitempty"`
}

func (e *Error) Error() string {
	s := fmt.Sprintf("TAXII server answered %d", e.Status)
	if e.Title != "" {
		s += " " + e.Title
	}
	if e.Description != "" {
		s += ": " + e.Description
	}
	return s
}

func (c *Client) client() *http.Client {
	if c.hc != nil {
		return c.hc
	}
	dialer := feeds.Dialer(c.AllowPrivate, func(a netip.Addr) error {
		return errs.F(errs.Forbidden, "api_root", "%s is a loopback, private or reserved address; allow private addresses for federation inside your network", a)
	})
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 60 * time.Second
	}
	c.hc = &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil,
		TLSHandshakeTimeout: 10 * time.Second, ResponseHeaderTimeout: timeout, MaxIdleConnsPerHost: 2},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			// Credentials never follow a redirect to another host.
			if req.URL.Host != via[0].URL.Host {
				req.Header.Del("Authorization")
			}
			return nil
		}}
	return c.hc
}

// do sends a request and decodes a TAXII or STIX JSON answer into out.
func (c *Client) do(ctx context.Context, method, u string, body []byte, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, cause(errs.F(errs.Invalid, "api_root", "not a usable URL"), err)
	}
	req.Header.Set("Accept", MediaTAXII)
	if body != nil {
		req.Header.Set("Content-Type", MediaTAXII)
	}
	ua := c.UserAgent
	if ua == "" {
		ua = "kyojo-taxii-client"
	}
	req.Header.Set("User-Agent", ua)
	switch {
	case c.Token != "" && (c.Bearer || c.Username == ""):
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.Username != "":
		req.SetBasicAuth(c.Username, c.Token)
	}
	resp, err := c.client().Do(req)
	if err != nil {
		var ke *errs.Error
		if errors.As(err, &ke) {
			return nil, ke
		}
		return nil, cause(errs.E(errs.Unavailable, "%s %s", method, redact(u)), err)
	}
	defer resp.Body.Close()
	max := c.MaxResponse
	if max == 0 {
		max = MaxResponse
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, max+1))
	if err != nil {
		return nil, cause(errs.E(errs.Unavailable, "%s %s: reading the answer", method, redact(u)), err)
	}
	if int64(len(b)) > max {
		return nil, errs.E(errs.TooLarge, "%s %s: the answer is larger than %d bytes", method, redact(u), max)
	}
	if resp.StatusCode >= 300 {
		e := &Error{Status: resp.StatusCode}
		_ = json.Unmarshal(b, e)
		if e.Title == "" {
			e.Title = http.StatusText(resp.StatusCode)
		}
		return resp.Header, e
	}
	if !mediaOK(resp.Header.Get("Content-Type")) {
		return nil, errs.E(errs.Unsupported, "%s %s: the answer is %q, not TAXII 2.1 JSON", method, redact(u), resp.Header.Get("Content-Type"))
	}
	if err := json.Unmarshal(b, out); err != nil {
		return nil, cause(errs.E(errs.Malformed, "%s %s: the answer is not valid JSON", method, redact(u)), err)
	}
	return resp.Header, nil
}

// cause sets e's cause, which it unwraps to.
func cause(e *errs.Error, err error) *errs.Error {
	e.Err = err
	return e
}

// mediaOK accepts application/taxii+json and application/stix+json of
// version 2.1 (or without a version).
func mediaOK(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/taxii+json" && mt != "application/stix+json") {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "the server"
}

// Discovery is a discovery resource.
type Discovery struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Default     string   `json:"default,omitempty"`
	APIRoots    []string `json:"api_roots"`
}

// Discover reads the discovery resource at u (e.g. https://hub/taxii2/).
func (c *Client) Discover(ctx context.Context, u string) (Discovery, error) {
	var d Discovery
	_, err := c.do(ctx, http.MethodGet, u, nil, &d)
	return d, err
}

// APIRootInfo is an API root resource.
type APIRootInfo struct {
	Title            string   `json:"title"`
	Versions         []string `json:"versions"`
	MaxContentLength int64    `json:"max_content_length"`
}

// Root reads the API root resource.
func (c *Client) Root(ctx context.Context) (APIRootInfo, error) {
	var r APIRootInfo
	_, err := c.do(ctx, http.MethodGet, c.root(), nil, &r)
	return r, err
}

// Collection is a collection resource.
type Collection struct {
	ID       string `json:"id"`
	Title    string `json:"title"`
	CanRead  bool   `json:"can_read"`
	CanWrite bool   `json:"can_write"`
}

// Collections lists the collections the client has.
func (c *Client) Collections(ctx context.Context) ([]Collection, error) {
	var r struct {
		Collections []Collection `json:"collections"`
	}
	_, err := c.do(ctx, http.MethodGet, c.root()+"collections/", nil, &r)
	return r.Collections, err
}

func (c *Client) root() string {
	if strings.HasSuffix(c.APIRoot, "/") {
		return c.APIRoot
	}
	return c.APIRoot + "/"
}

// Page is one page of objects.
type Page struct {
	Objects    []json.RawMessage `json:"objects"`
	More       bool              `json:"more"`
	Next       string            `json:"next,omitempty"`
	AddedFirst time.Time         `json:"-"` // X-TAXII-Date-Added-First; zero when absent
	AddedLast  time.Time         `json:"-"` // X-TAXII-Date-Added-Last
}

// Query selects objects.
type Query struct {
	AddedAfter time.Time
	Limit      int
	Next       string
	Types      []string
}

// Objects reads one page of a collection's objects.
func (c *Client) Objects(ctx context.Context, collection string, q Query) (Page, error) {
	v := url.Values{}
	if !q.AddedAfter.IsZero() {
		v.Set("added_after", q.AddedAfter.UTC().Format("2006-01-02T15:04:05.000000Z"))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Next != "" {
		v.Set("next", q.Next)
	}
	if len(q.Types) > 0 {
		v.Set("match[type]", strings.Join(q.Types, ","))
	}
	u := c.root() + "collections/" + url.PathEscape(collection) + "/objects/"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	var p Page
	h, err := c.do(ctx, http.MethodGet, u, nil, &p)
	if err != nil {
		return p, err
	}
	if t, ok := stix.ParseTimestamp(h.Get("X-TAXII-Date-Added-First")); ok {
		p.AddedFirst = t.UTC()
	}
	if t, ok := stix.ParseTimestamp(h.Get("X-TAXII-Date-Added-Last")); ok {
		p.AddedLast = t.UTC()
	}
	if p.More && p.Next == "" {
		return p, errs.E(errs.Malformed, "the server said more objects follow but gave no next token")
	}
	return p, nil
}

// Status is a status resource.
type Status struct {
	ID           string   `json:"id"`
	Status       string   `json:"status"`
	TotalCount   int      `json:"total_count"`
	SuccessCount int      `json:"success_count"`
	FailureCount int      `json:"failure_count"`
	PendingCount int      `json:"pending_count"`
	Failures     []Detail `json:"failures,omitempty"`
}

// Detail is one object's outcome in a status.
type Detail struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Post sends objects as one envelope to a collection.
func (c *Client) Post(ctx context.Context, collection string, objects []json.RawMessage) (Status, error) {
	body, err := json.Marshal(struct {
		Objects []json.RawMessage `json:"objects"`
	}{objects})
	if err != nil {
		return Status{}, errs.Wrap(err, "envelope")
	}
	var st Status
	_, err = c.do(ctx, http.MethodPost, c.root()+"collections/"+url.PathEscape(collection)+"/objects/", body, &st)
	return st, err
}

// Status reads a status resource, to follow a POST that was pending.
func (c *Client) Status(ctx context.Context, id string) (Status, error) {
	var st Status
	_, err := c.do(ctx, http.MethodGet, c.root()+"status/"+url.PathEscape(id)+"/", nil, &st)
	return st, err
}
