package web

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// intelPageSize is how many objects one page of /intel shows.
const intelPageSize = 50

// stixTypes are the types the browse filter offers.
var stixTypes = []string{"indicator", "malware", "threat-actor", "intrusion-set", "campaign", "attack-pattern",
	"tool", "vulnerability", "infrastructure", "report", "note", "opinion", "course-of-action", "identity",
	"location", "relationship", "sighting", "observed-data", "ipv4-addr", "ipv6-addr", "domain-name", "url",
	"email-addr", "file"}

// objRow is one object as the lists, the search results and the object
// page show it.
type objRow struct {
	O      intel.Object
	Label  string       // the name, else the pattern, else the observable's value, else the id
	Code   bool         // the label is a pattern or a value, shown as code
	Author identity.Org // the sharer's organisation; zero when unknown or hidden
	Anon   bool         // shared anonymously and the viewer is outside the author's organisation
	Via    []string     // for related objects: the values shared with the object shown
}

// Href is the object's page.
func (o objRow) Href() string { return "/intel/" + url.PathEscape(o.O.ID) }

// row prepares o for the viewer. The author of an anonymous object is
// named only to its own organisation: the service hides it in the JSON,
// and the UI must not name it beside.
func row(a identity.Actor, o intel.Object, orgs map[string]identity.Org) objRow {
	r := objRow{O: o}
	r.Label, r.Code = labelOf(o)
	if o.Anonymous && (a.OrgID == "" || a.OrgID != o.Dist.AuthorOrg) {
		r.Anon = true
		return r
	}
	r.Author = orgs[o.Dist.AuthorOrg]
	return r
}

func rows(a identity.Actor, objs []intel.Object, orgs map[string]identity.Org) []objRow {
	out := make([]objRow, 0, len(objs))
	for _, o := range objs {
		out = append(out, row(a, o, orgs))
	}
	return out
}

// fieldsOf decodes an object's JSON; a broken one gives an empty map.
func fieldsOf(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

// labelOf names an object in one line, and says whether the name is a
// pattern or value (shown as code) rather than prose.
func labelOf(o intel.Object) (string, bool) {
	m := fieldsOf(o.Raw)
	for _, key := range []string{"name", "pattern", "value", "relationship_type"} {
		if s, ok := m[key].(string); ok && strings.TrimSpace(s) != "" {
			return s, key == "pattern" || key == "value"
		}
	}
	if len(o.Values) > 0 {
		return o.Values[0].Value, true
	}
	return o.ID, true
}

// intelOrgs returns the directory by id, for naming authors.
func (u *UI) intelOrgs(r *http.Request, a identity.Actor) (map[string]identity.Org, error) {
	orgs, err := u.d.Identity.ListOrgs(r.Context(), a, identity.OrgFilter{})
	return byID(orgs), err
}

// searchData is the search page.
type searchData struct {
	Value string // as typed
	Done  bool   // a search ran
	Query intel.Value
	Rows  []objRow
}

// search answers GET /search?value=…: everything the viewer may see about
// one observable value. An empty box shows the form; a value that is no
// observable comes back with the service's message (422).
func (u *UI) search(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("search.title"))
	p.Nav = "intel"
	d := searchData{Value: r.URL.Query().Get("value")}
	p.D = d
	if strings.TrimSpace(d.Value) == "" {
		u.render(w, http.StatusOK, "search", p)
		return
	}
	res, err := u.d.Intel.Search(r.Context(), p.Actor, d.Value)
	if err != nil {
		if errs.CodeOf(err) != errs.Invalid {
			u.fail(w, r, err)
			return
		}
		if fs := errs.Fields(err); len(fs) == 1 && strings.Contains(fs[0].Message, "is not an IP address, CIDR block") {
			msg := u.cat.t(p.Lang, k("search.unrecognised"), strings.TrimSpace(d.Value))
			p.Errs["value"], p.Summary = []string{msg}, []string{msg}
			u.render(w, http.StatusUnprocessableEntity, "search", p)
			return
		}
		u.renderForm(w, "search", p, err)
		return
	}
	orgs, err := u.intelOrgs(r, p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Done, d.Query, d.Rows = true, res.Query, rows(p.Actor, res.Objects, orgs)
	p.D = d
	u.render(w, http.StatusOK, "search", p)
}

// intelAges are the ages the browse filter offers, in days: objects added
// in the last day, week, month or quarter.
var intelAges = []string{"1", "7", "30", "90"}

// intelListData is the browse page.
type intelListData struct {
	Rows        []objRow
	Type        string
	TLP         string
	Community   string // id
	Author      string // organisation id
	Source      string
	Age         string // days: "" or one of Ages
	Score       string // the minimum score as typed, "" for none
	Types       []string
	Ages        []string
	TLPs        []policy.TLP
	Communities []identity.Community
	Orgs        []identity.Org
	Next        template.URL // the next page, or ""
	CanShare    bool
}

func (u *UI) intelList(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("intel.title"))
	p.Nav = "intel"
	q := r.URL.Query()
	d := intelListData{Type: q.Get("type"), TLP: q.Get("tlp"), Community: q.Get("community"), Author: q.Get("author"),
		Source: strings.TrimSpace(q.Get("source")), Age: q.Get("age"), Score: strings.TrimSpace(q.Get("score")),
		Types: stixTypes, Ages: intelAges, TLPs: policy.TLPs, CanShare: p.Can(string(policy.ShareIntel), p.Actor.OrgID)}
	f := intel.Filter{Community: d.Community, AuthorOrg: d.Author, Source: d.Source, Limit: intelPageSize}
	if d.Type != "" {
		f.Types = []string{d.Type}
	}
	var l errs.List
	if d.TLP != "" {
		t, ok := policy.ParseTLP(d.TLP)
		if !ok {
			l.Add(errs.Invalid, "tlp", "must be one of clear, green, amber, amber+strict, red")
		}
		f.TLP = t
	}
	if d.Age != "" {
		if !slices.Contains(intelAges, d.Age) {
			l.Add(errs.Invalid, "age", "must be one of 1, 7, 30, 90 days")
		} else {
			days, _ := strconv.Atoi(d.Age)
			f.AddedAfter = time.Now().Add(-time.Duration(days) * 24 * time.Hour)
		}
	}
	minScore := -1.0
	if d.Score != "" {
		n, err := strconv.Atoi(d.Score)
		if err != nil || n < 0 || n > 100 {
			l.Add(errs.Invalid, "score", "must be a whole number from 0 to 100")
		}
		minScore = float64(n)
	}
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			l.Add(errs.Invalid, "after", "must be one of the pages offered")
		}
		f.AfterSeq = n
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), p.Actor, identity.OrgFilter{})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	cs, err := u.d.Identity.ListCommunities(r.Context(), p.Actor)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	d.Orgs, d.Communities = orgs, cs
	if err := l.Err(); err != nil {
		p.D = d
		u.renderForm(w, "intel", p, err)
		return
	}
	items, next, err := u.d.Intel.List(r.Context(), p.Actor, f)
	if err != nil {
		u.fail(w, r, err)
		return
	}
	byOrg := byID(orgs)
	for _, st := range items {
		// The score is the confidence decayed to now (intel.Decay), so it
		// changes with every passing hour and is not stored: it cannot be
		// a SQL filter of the store. The minimum is applied here, to the
		// page the store returned; a page may therefore show fewer rows
		// than its size, and paging goes on by the store's cursor.
		if st.Score < minScore {
			continue
		}
		rw := row(p.Actor, st.Object, byOrg)
		if rw.Anon && d.Author != "" {
			continue // filtering by author must not reveal who shared anonymously
		}
		d.Rows = append(d.Rows, rw)
	}
	if next != 0 {
		nq := url.Values{}
		for _, key := range []string{"type", "tlp", "community", "author", "source", "age", "score"} {
			if v := q.Get(key); v != "" {
				nq.Set(key, v)
			}
		}
		nq.Set("after", strconv.FormatInt(next, 10))
		d.Next = template.URL("/intel?" + nq.Encode())
	}
	p.D = d
	u.render(w, http.StatusOK, "intel", p)
}

// objectData is an object's page.
type objectData struct {
	Row         objRow
	Latest      bool // the version shown is the newest
	Fields      map[string]any
	Description string
	Pattern     string
	PatternType string
	ValidFrom   *time.Time
	ValidUntil  *time.Time
	Confidence  string
	Values      []intel.Value         // observable values; a sighting's SightingOf index is no observable and left out
	Sightings   intel.SightingSummary // of the latest version, whichever version is shown
	SeenBy      []seenRow
	Related     []objRow
	Refs        []refRow
	Graph       graph
	Versions    []versionRow
	Pretty      string
	CanRevoke   bool
}

// refRow is an object this one references, which the viewer may see.
type refRow struct {
	Prop string
	Row  objRow
}

// seenRow is one source in the sightings table; Href links a source that
// is a STIX identity to its page.
type seenRow struct {
	intel.SourceSeen
	Href string
}

// versionRow is one version in the versions list.
type versionRow struct {
	Modified time.Time
	Stamp    string // the exact STIX timestamp
	Href     string
	Revoked  bool
	Shown    bool
}

func (u *UI) intelShow(w http.ResponseWriter, r *http.Request) {
	p, err := u.objectPage(w, r, r.PathValue("id"), r.URL.Query().Get("version"))
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "intel_object", p)
}

// objectPage gathers an object's page: the version asked for (the latest
// when version is empty), its versions, related and referenced objects.
func (u *UI) objectPage(w http.ResponseWriter, r *http.Request, id, version string) (*page, error) {
	p := u.newPage(w, r, k("object.title"))
	p.Nav = "intel"
	ctx, a := r.Context(), p.Actor
	latest, err := u.d.Intel.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	vs, err := u.d.Intel.Versions(ctx, a, id)
	if err != nil {
		return nil, err
	}
	shown := latest
	if version != "" {
		found := false
		for _, v := range vs {
			if v.Modified.Format(time.RFC3339Nano) == version {
				shown, found = v, true
			}
		}
		if !found {
			return nil, errs.E(errs.NotFound, "no such version")
		}
	}
	orgs, err := u.intelOrgs(r, a)
	if err != nil {
		return nil, err
	}
	d := objectData{Row: row(a, shown, orgs), Latest: shown.Modified.Equal(latest.Modified), Values: observables(shown.Values)}
	d.Fields = fieldsOf(shown.Raw)
	str := func(key string) string { s, _ := d.Fields[key].(string); return s }
	d.Description, d.Pattern, d.PatternType = str("description"), str("pattern"), str("pattern_type")
	d.ValidFrom, d.ValidUntil = stixTime(str("valid_from")), stixTime(str("valid_until"))
	if c, ok := d.Fields["confidence"].(float64); ok {
		d.Confidence = strconv.FormatFloat(c, 'f', -1, 64)
	}
	var b bytes.Buffer
	if json.Indent(&b, shown.Raw, "", "  ") == nil {
		d.Pretty = b.String()
	} else {
		d.Pretty = string(shown.Raw)
	}
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		d.Versions = append(d.Versions, versionRow{Modified: v.Modified, Revoked: v.Revoked,
			Stamp: v.Modified.Format(time.RFC3339Nano),
			Shown: v.Modified.Equal(shown.Modified),
			Href:  "/intel/" + url.PathEscape(id) + "?version=" + url.QueryEscape(v.Modified.Format(time.RFC3339Nano))})
	}
	related, err := u.d.Intel.Related(ctx, a, id)
	if err != nil {
		return nil, err
	}
	// Related objects share an observable value. Sightings of the same
	// object share only its SightingOf index: they are not shown as
	// related, the object's own sightings are summed below.
	for _, rw := range rows(a, related, orgs) {
		if rw.Via = sharedValues(d.Values, rw.O.Values); len(rw.Via) > 0 {
			d.Related = append(d.Related, rw)
		}
	}
	if d.Sightings, err = u.d.Intel.Sightings(ctx, a, id); err != nil {
		return nil, err
	}
	for _, src := range d.Sightings.Sources {
		sr := seenRow{SourceSeen: src}
		if strings.HasPrefix(src.Source, "identity--") {
			sr.Href = "/intel/" + url.PathEscape(src.Source)
		}
		d.SeenBy = append(d.SeenBy, sr)
	}
	if d.Refs, err = u.refsOf(r, a, d.Fields, orgs); err != nil {
		return nil, err
	}
	d.Graph = layoutGraph(d.Row, d.Refs, d.Related)
	d.CanRevoke = !latest.Revoked && !latest.Created.IsZero() &&
		policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}) == nil &&
		((a.OrgID != "" && a.OrgID == latest.Dist.AuthorOrg) || a.Role == policy.HubAdmin)
	if r.URL.Query().Get("done") == "revoked" {
		p.Notice = k("notice.revoked")
	}
	p.D = d
	return p, nil
}

// maxRefs caps how many referenced objects the page looks up.
const maxRefs = 24

// refsOf returns the objects the JSON references through its *_ref and
// *_refs properties (markings aside) that the viewer may see.
func (u *UI) refsOf(r *http.Request, a identity.Actor, m map[string]any, orgs map[string]identity.Org) ([]refRow, error) {
	props := make([]string, 0, len(m))
	for key := range m {
		if (strings.HasSuffix(key, "_ref") || strings.HasSuffix(key, "_refs")) && key != "object_marking_refs" {
			props = append(props, key)
		}
	}
	slices.Sort(props)
	var out []refRow
	seen := map[string]bool{}
	for _, prop := range props {
		var ids []string
		switch v := m[prop].(type) {
		case string:
			ids = []string{v}
		case []any:
			for _, x := range v {
				if s, ok := x.(string); ok {
					ids = append(ids, s)
				}
			}
		}
		for _, id := range ids {
			if len(out) >= maxRefs {
				return out, nil
			}
			if seen[id] || strings.HasPrefix(id, "marking-definition--") {
				continue
			}
			seen[id] = true
			o, err := u.d.Intel.Get(r.Context(), a, id)
			if errs.Is(err, errs.NotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out = append(out, refRow{Prop: prop, Row: row(a, o, orgs)})
		}
	}
	return out, nil
}

// observables returns the values that are observables, leaving out the
// index of a sighting under the object it sights.
func observables(vs []intel.Value) []intel.Value {
	out := make([]intel.Value, 0, len(vs))
	for _, v := range vs {
		if v.Kind != intel.SightingOf {
			out = append(out, v)
		}
	}
	return out
}

// sharedValues returns the values of b that a also has.
func sharedValues(a, b []intel.Value) []string {
	var out []string
	for _, x := range b {
		for _, y := range a {
			if x.Kind == y.Kind && x.Value == y.Value {
				out = append(out, x.Value)
				break
			}
		}
	}
	return out
}

// stixTime reads a STIX timestamp; nil when absent or broken.
func stixTime(s string) *time.Time {
	if s == "" {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return &t
}

// intelRevoke publishes a revoked version of an object; only its sharer's
// organisation (or a hub administrator) may.
func (u *UI) intelRevoke(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	id := r.PathValue("id")
	if _, err := u.d.Intel.Revoke(r.Context(), actorOf(r), id); err != nil {
		u.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/intel/"+url.PathEscape(id)+"?done=revoked", http.StatusSeeOther)
}
