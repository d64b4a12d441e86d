package incident

import (
	"net/url"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// ParseQuery reads a list filter from a query string: status (repeatable
// or comma-separated), severity (the lowest level shown), sector, org (id),
// q, escalated (true/false), overdue (true), before (a cursor: RFC 3339
// time and id, "2026-01-01T00:00:00Z,<id>") and limit. Saved searches keep
// this string.
func ParseQuery(raw string) (Filter, error) {
	var f Filter
	v, err := url.ParseQuery(raw)
	if err != nil {
		return f, errs.F(errs.Malformed, "query", "not a query string: %v", err)
	}
	var l errs.List
	for _, s := range v["status"] {
		for _, one := range strings.Split(s, ",") {
			if one == "" {
				continue
			}
			if st := Status(one); st.Valid() {
				f.Status = append(f.Status, st)
			} else {
				l.Add(errs.Invalid, "status", "unknown status %q", one)
			}
		}
	}
	if s := v.Get("severity"); s != "" {
		if lv, ok := ParseLevel(s); ok {
			f.MinLevel = &lv
		} else {
			l.Add(errs.Invalid, "severity", "unknown severity %q", s)
		}
	}
	if s := v.Get("sector"); s != "" {
		if sec := identity.Sector(s); sec.Valid() {
			f.Sector = sec
		} else {
			l.Add(errs.Invalid, "sector", "unknown sector %q", s)
		}
	}
	f.OrgID = v.Get("org")
	f.Q = strings.TrimSpace(v.Get("q"))
	if len(f.Q) > 200 {
		l.Add(errs.TooLarge, "q", "is longer than 200 bytes")
	}
	switch v.Get("escalated") {
	case "":
	case "true", "1":
		t := true
		f.Escalated = &t
	case "false", "0":
		t := false
		f.Escalated = &t
	default:
		l.Add(errs.Invalid, "escalated", "true or false")
	}
	switch v.Get("overdue") {
	case "", "false", "0":
	case "true", "1":
		f.Overdue = true
	default:
		l.Add(errs.Invalid, "overdue", "true or false")
	}
	if s := v.Get("before"); s != "" {
		ts, id, ok := strings.Cut(s, ",")
		t, err := time.Parse(time.RFC3339Nano, ts)
		if !ok || err != nil || len(id) > 64 {
			l.Add(errs.Invalid, "before", "a cursor is <RFC 3339 time>,<id>")
		} else {
			f.BeforeCreated, f.BeforeID = t.UTC(), id
		}
	}
	if s := v.Get("limit"); s != "" {
		n := 0
		for _, c := range s {
			if c < '0' || c > '9' || n > 100000 {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n <= 0 {
			l.Add(errs.Invalid, "limit", "a positive number")
		}
		f.Limit = n
	}
	return f, l.Err()
}

// Cursor returns the "before" value that continues a list after in.
func Cursor(in Incident) string {
	return in.CreatedAt.Format(time.RFC3339Nano) + "," + in.ID
}
