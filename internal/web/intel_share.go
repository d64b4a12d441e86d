package web

import (
	"encoding/json"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// MaxShareForm is the largest share form the UI reads; larger bundles go
// through the API.
const MaxShareForm = 8 << 20

// wizardKinds are the kinds of value the indicator wizard offers; "auto"
// recognises the value as the search box does.
var wizardKinds = []string{"auto", "ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "md5", "sha1", "sha256", "sha512"}

// patternPaths are the STIX pattern object paths of the wizard's kinds.
var patternPaths = map[string]string{
	"ipv4-addr": "ipv4-addr:value", "ipv6-addr": "ipv6-addr:value", "domain-name": "domain-name:value",
	"url": "url:value", "email-addr": "email-addr:value", "md5": "file:hashes.MD5",
	"sha1": "file:hashes.'SHA-1'", "sha256": "file:hashes.'SHA-256'", "sha512": "file:hashes.'SHA-512'",
}

// shareData is the form to share STIX, as typed.
type shareData struct {
	Mode        string // "wizard" or "stix"
	STIX        string
	Kind        string
	Value       string
	Name        string
	Description string
	ValidFrom   string // datetime-local, Japan time
	sharingData

	Kinds []string
}

// sharingData is the sharing controls of a form (the "sharing" partial):
// what was chosen, and what is on offer.
type sharingData struct {
	TLP         string
	Communities []string // ids ticked
	Orgs        []string // ids chosen
	Users       string   // usernames, comma separated
	Anonymous   bool

	AllCommunities []identity.Community // those the viewer may share to
	AllOrgs        []identity.Org       // recipient organisations on offer
	TLPs           []policy.TLP
}

// HasCommunity reports whether the community id is ticked.
func (d sharingData) HasCommunity(id string) bool { return slices.Contains(d.Communities, id) }

// HasOrg reports whether the organisation id is chosen.
func (d sharingData) HasOrg(id string) bool { return slices.Contains(d.Orgs, id) }

// sharingForm reads the sharing controls of a parsed POST form.
func sharingForm(r *http.Request) sharingData {
	f := r.PostFormValue
	return sharingData{TLP: f("tlp"), Communities: r.PostForm["communities"], Orgs: r.PostForm["orgs"],
		Users: f("users"), Anonymous: f("anonymous") == "1"}
}

// offerSharing fills in what the sharing controls offer a: the communities
// its organisation belongs to (every one to a hub administrator), the other
// organisations that are not disabled, and the TLP levels.
func (u *UI) offerSharing(r *http.Request, a identity.Actor, d *sharingData) error {
	cs, err := u.d.Identity.ListCommunities(r.Context(), a)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if a.Role == policy.HubAdmin || slices.Contains(c.Members, a.OrgID) {
			d.AllCommunities = append(d.AllCommunities, c)
		}
	}
	orgs, err := u.d.Identity.ListOrgs(r.Context(), a, identity.OrgFilter{})
	if err != nil {
		return err
	}
	for _, o := range orgs {
		if o.ID != a.OrgID && !o.Disabled {
			d.AllOrgs = append(d.AllOrgs, o)
		}
	}
	d.TLPs = policy.TLPs
	return nil
}

// shareResultData is the outcome of a share.
type shareResultData struct {
	Res   intel.Result
	Items []resultItem
}

// resultItem is one object's outcome, its reason translated.
type resultItem struct {
	intel.Item
	Reason string
	Href   string // the object's page, when it was stored
}

func (u *UI) sharePage(w http.ResponseWriter, r *http.Request, d shareData) (*page, error) {
	p := u.newPage(w, r, k("share.title"))
	p.Nav = "intel"
	if err := u.offerSharing(r, p.Actor, &d.sharingData); err != nil {
		return nil, err
	}
	d.Kinds = wizardKinds
	p.D = d
	return p, nil
}

func (u *UI) shareNew(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.sharePage(w, r, shareData{Mode: "wizard", Kind: "auto", sharingData: sharingData{TLP: string(policy.Amber)},
		ValidFrom: time.Now().In(jst).Format("2006-01-02T15:04")})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "intel_form", p)
}

func (u *UI) shareCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkFormMax(w, r, MaxShareForm) {
		return
	}
	f := r.PostFormValue
	d := shareData{Mode: f("mode"), STIX: f("stix"), Kind: f("kind"), Value: strings.TrimSpace(f("value")),
		Name: strings.TrimSpace(f("name")), Description: strings.TrimSpace(f("description")),
		ValidFrom: strings.TrimSpace(f("valid_from")), sharingData: sharingForm(r)}
	if d.Mode != "stix" {
		d.Mode = "wizard"
	}
	var l errs.List
	var raw []byte
	if d.Mode == "stix" {
		if strings.TrimSpace(d.STIX) == "" {
			l.Add(errs.Invalid, "stix", "is required")
		}
		raw = []byte(d.STIX)
	} else {
		raw = buildIndicator(d, time.Now(), &l)
	}
	sh := sharingOf(d.sharingData, &l)
	err := l.Err()
	var res intel.Result
	if err == nil {
		res, err = u.d.Intel.Put(r.Context(), actorOf(r), raw, sh, "web")
	}
	if err != nil {
		if errs.Is(err, errs.Malformed) {
			err = errs.F(errs.Invalid, "stix", "not a STIX object or bundle")
		}
		fields := errs.Fields(err)
		switch c := errs.CodeOf(err); {
		case c == errs.Invalid, c == errs.Conflict, c == errs.TooLarge:
		case c == errs.Forbidden && len(fields) > 0 && fields[0].Field != "": // a community the sharer is not in
		default:
			u.fail(w, r, err)
			return
		}
		p, perr := u.sharePage(w, r, d)
		if perr != nil {
			u.fail(w, r, perr)
			return
		}
		u.renderForm(w, "intel_form", p, formFields(fields))
		return
	}
	p := u.newPage(w, r, k("share.result_title"))
	p.Nav = "intel"
	rd := shareResultData{Res: res}
	for _, it := range res.Items {
		ri := resultItem{Item: it}
		if it.Status == intel.Rejected {
			ri.Reason = u.cat.message(p.Lang, &errs.Error{Code: errs.Invalid, Field: it.Field, Message: it.Error})
		} else if it.ID != "" {
			ri.Href = "/intel/" + it.ID
		}
		rd.Items = append(rd.Items, ri)
	}
	p.D = rd
	status := http.StatusOK
	switch {
	case res.Created+res.Updated > 0:
		status = http.StatusCreated
	case res.Rejected > 0 && res.Rejected == len(res.Items):
		status = http.StatusUnprocessableEntity
	}
	u.render(w, status, "intel_result", p)
}

// formFields names the service's fields as the form does: the sharing
// lists without their index, a bundle's objects as the STIX text.
func formFields(fields []*errs.Error) error {
	var l errs.List
	for _, e := range fields {
		c := *e
		if i := strings.IndexByte(c.Field, '['); i > 0 {
			c.Field = c.Field[:i]
		}
		if c.Field == "objects" {
			c.Field = "stix"
		}
		l = append(l, &c)
	}
	return l.Err()
}

// sharingOf reads the sharing controls; problems are added to l.
func sharingOf(d sharingData, l *errs.List) intel.Sharing {
	sh := intel.Sharing{Communities: d.Communities, Orgs: d.Orgs, Anonymous: d.Anonymous}
	if d.TLP != "" {
		t, ok := policy.ParseTLP(d.TLP)
		if !ok {
			l.Add(errs.Invalid, "tlp", "must be one of clear, green, amber, amber+strict, red")
		}
		sh.TLP = t
	}
	sh.Users = strings.FieldsFunc(d.Users, func(r rune) bool { return r == ',' || r == '、' || r == ' ' || r == '\n' })
	return sh
}

// indicatorJSON is the STIX indicator the wizard builds, in the order its
// properties are written.
type indicatorJSON struct {
	Type        string   `json:"type"`
	SpecVersion string   `json:"spec_version"`
	ID          string   `json:"id"`
	Created     string   `json:"created"`
	Modified    string   `json:"modified"`
	Name        string   `json:"name,omitempty"`
	Description string   `json:"description,omitempty"`
	Pattern     string   `json:"pattern"`
	PatternType string   `json:"pattern_type"`
	ValidFrom   string   `json:"valid_from"`
	Markings    []string `json:"object_marking_refs,omitempty"`
}

// buildIndicator makes a STIX 2.1 indicator whose simple pattern looks for
// the wizard's value; problems are added to l.
func buildIndicator(d shareData, now time.Time, l *errs.List) []byte {
	const stamp = "2006-01-02T15:04:05.000Z"
	in := indicatorJSON{Type: "indicator", SpecVersion: "2.1", ID: "indicator--" + uuid.NewString(),
		Created: now.UTC().Format(stamp), Modified: now.UTC().Format(stamp), Name: d.Name,
		Description: d.Description, PatternType: "stix"}
	if t, ok := policy.ParseTLP(d.TLP); ok {
		in.Markings = []string{t.Marking()}
	}
	if utf8.RuneCountInString(d.Name) > 256 {
		l.Add(errs.Invalid, "name", "is longer than 256 characters")
	}
	if utf8.RuneCountInString(d.Description) > 10000 {
		l.Add(errs.Invalid, "description", "is longer than 10000 characters")
	}
	in.ValidFrom = in.Created
	if d.ValidFrom != "" {
		t, err := parseLocal(d.ValidFrom)
		if err != nil {
			l.Add(errs.Invalid, "valid_from", "must be a date and time such as 2026-04-01T09:00")
		} else {
			in.ValidFrom = t.UTC().Format(stamp)
		}
	}
	path, canon, ok := wizardValue(d.Kind, d.Value)
	switch {
	case d.Value == "":
		l.Add(errs.Invalid, "value", "is required")
	case !ok:
		l.Add(errs.Invalid, "value", "does not fit the chosen type")
	}
	in.Pattern = "[" + path + " = '" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(canon) + "']"
	b, _ := json.Marshal(in)
	return b
}

// wizardValue returns the pattern path and canonical form of value read
// as kind ("auto": whatever it looks like).
func wizardValue(kind, value string) (path, canon string, ok bool) {
	v, err := intel.Classify(value)
	if err != nil {
		return "", "", false
	}
	got := v.Kind
	switch v.Kind {
	case "ip":
		got = "ipv6-addr"
		if a, err := netip.ParsePrefix(v.Value); err == nil && a.Addr().Is4() {
			got = "ipv4-addr"
		} else if a, err := netip.ParseAddr(v.Value); err == nil && a.Is4() {
			got = "ipv4-addr"
		}
	case "domain":
		got = "domain-name"
	case "email":
		got = "email-addr"
	}
	if kind != "auto" && kind != got {
		return "", "", false
	}
	path, ok = patternPaths[got]
	return path, v.Value, ok
}

// parseLocal reads a datetime-local value (or a date) in Japan time.
func parseLocal(s string) (time.Time, error) {
	var err error
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		var t time.Time
		if t, err = time.ParseInLocation(layout, s, jst); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
