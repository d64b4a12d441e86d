package httpapi

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// MaxImportBody is the largest file POST /imports reads.
const MaxImportBody = 256 << 20

func (a *API) importRoutes() []route {
	if a.d.Intel == nil {
		return nil
	}
	return []route{{pattern: "POST " + Prefix + "/imports", h: a.importFeed}}
}

// importFeed imports the body (a file in any format feeds knows), or with
// url= fetches it, shared as the query says. The answer counts what was
// created, sighted, skipped and rejected, with reasons.
func (a *API) importFeed(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	sh, err := sharingOf(q)
	if err != nil {
		return err
	}
	opt := feeds.Options{Format: feeds.Format(q.Get("format")), Source: q.Get("source"), Sharing: sh}
	if opt.Format == "" {
		opt.Format = feeds.Auto
	}
	ok := false
	for _, f := range feeds.Formats {
		ok = ok || f == opt.Format
	}
	if !ok || opt.Format == feeds.MISPFeed {
		return errs.F(errs.Malformed, "format", "must be auto, stix, misp, csv or plain (a MISP feed is imported with the CLI or from its URL)")
	}
	var l errs.List
	col := func(name string) int {
		s := q.Get(name)
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 1000 {
			l.Add(errs.Malformed, name, "must be a column number from 1")
		}
		return n
	}
	opt.Mapping = convert.Mapping{Value: col("column"), Description: col("comment_column"), FirstSeen: col("first_seen_column"),
		Type: convert.Kind(q.Get("type")), Delimiter: delimiterOf(q.Get("delimiter"))}
	if err := l.Err(); err != nil {
		return err
	}
	act := httpx.Actor(r.Context())
	name := q.Get("name")
	body := http.MaxBytesReader(w, r.Body, MaxImportBody)
	if u := q.Get("url"); u != "" {
		allow := q.Get("allow_private") == "true"
		if allow && act.Role != policy.HubAdmin {
			return errs.F(errs.Forbidden, "allow_private", "only a hub administrator may let a fetch reach private addresses")
		}
		rc, err := feeds.Fetcher{AllowPrivate: allow}.Get(r.Context(), u)
		if err != nil {
			return err
		}
		defer rc.Close()
		if name == "" {
			name = u
		}
		st, err := feeds.Import(r.Context(), a.d.Intel, act, name, rc, opt, nil)
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, st)
		return nil
	}
	if name == "" {
		name = "upload"
	}
	st, err := feeds.Import(r.Context(), a.d.Intel, act, name, body, opt, nil)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errs.E(errs.TooLarge, "the file is larger than %d bytes", MaxImportBody)
		}
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, st)
	return nil
}

func delimiterOf(s string) rune {
	switch s {
	case "tab", "\t":
		return '\t'
	case ";":
		return ';'
	}
	return ','
}
