package web

import (
	"cmp"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// MaxImportForm is the largest upload the import form reads, file and
// fields together; larger files go through the API (POST /api/v1/imports)
// or the command line.
const MaxImportForm = 64 << 20

// importFormats are the formats the import form offers; a MISP feed is a
// directory, imported from its URL or with the command line.
var importFormats = []string{string(feeds.Auto), string(feeds.STIX), string(feeds.MISP), string(feeds.CSV), string(feeds.Plain)}

// importKinds are the value types the import form offers for lists.
var importKinds = []string{string(convert.KindAuto), string(convert.KindIPv4), string(convert.KindIPv6), string(convert.KindCIDR),
	string(convert.KindDomain), string(convert.KindURL), string(convert.KindMD5), string(convert.KindSHA1),
	string(convert.KindSHA256), string(convert.KindSHA512), string(convert.KindEmail)}

// importDelimiters are the CSV delimiters the import form offers, by the
// name the form posts.
var importDelimiters = []string{"comma", "semicolon", "tab"}

var delimiterRunes = map[string]rune{"comma": ',', "semicolon": ';', "tab": '\t'}

// maxColumn is the highest column number the form takes.
const maxColumn = 1000

// importData is the import form, as typed.
type importData struct {
	Format          string
	Type            string
	Delimiter       string
	Column          string // the value column, 1-based, as typed
	CommentColumn   string // "" for none
	FirstSeenColumn string // "" for none
	Source          string // "" for the file's name
	sharingData

	Formats    []string
	Kinds      []string
	Delimiters []string
	MaxMiB     int
	Stats      *importStats // what was stored before the file turned out unusable; nil when nothing was read
}

// importStats is an import's outcome for the "importstats" partial, its
// reasons translated.
type importStats struct {
	intel.ImportStats
	Reasons  []reasonRow // most frequent first
	Examples []exampleRow
}

// reasonRow is one reason for rejections and how many it rejected.
type reasonRow struct {
	Field, Reason string
	Count         int
}

// exampleRow is one rejected record: its line (for STIX, its position in
// the bundle), field and reason.
type exampleRow struct {
	Line          int
	Field, Reason string
}

// importResultData is the page after an import.
type importResultData struct {
	File   string
	Source string
	St     importStats
}

func (u *UI) importPage(w http.ResponseWriter, r *http.Request, d importData) (*page, error) {
	p := u.newPage(w, r, k("import.title"))
	p.Nav = "intel"
	if err := u.offerSharing(r, p.Actor, &d.sharingData); err != nil {
		return nil, err
	}
	d.Formats, d.Kinds, d.Delimiters, d.MaxMiB = importFormats, importKinds, importDelimiters, MaxImportForm>>20
	p.D = d
	return p, nil
}

// importNew answers GET /intel/import: the upload form.
func (u *UI) importNew(w http.ResponseWriter, r *http.Request) {
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		u.fail(w, r, err)
		return
	}
	p, err := u.importPage(w, r, importData{Format: string(feeds.Auto), Type: string(convert.KindAuto), Delimiter: "comma",
		Column: "1", sharingData: sharingData{TLP: string(policy.Amber)}})
	if err != nil {
		u.fail(w, r, err)
		return
	}
	u.render(w, http.StatusOK, "intel_import", p)
}

// importCreate answers POST /intel/import: it imports the uploaded file
// with feeds.Import and shows what became of its records. Problems with
// the form come back next to their fields; a file that cannot be used at
// all comes back as 422 with the reason, and with what was stored before
// the problem was met.
func (u *UI) importCreate(w http.ResponseWriter, r *http.Request) {
	if !u.checkFormMax(w, r, MaxImportForm) {
		return
	}
	a := actorOf(r)
	if err := policy.Decide(a.Viewer, policy.ShareIntel, policy.Target{OrgID: a.OrgID}); err != nil {
		u.fail(w, r, err)
		return
	}
	f := func(key string) string { return strings.TrimSpace(r.PostFormValue(key)) }
	d := importData{Format: f("format"), Type: f("type"), Delimiter: f("delimiter"), Column: f("column"),
		CommentColumn: f("comment_column"), FirstSeenColumn: f("first_seen_column"), Source: f("source"),
		sharingData: sharingForm(r)}
	var l errs.List
	if !slices.Contains(importFormats, d.Format) {
		l.Add(errs.Invalid, "format", "must be one of %s", strings.Join(importFormats, ", "))
	}
	if !slices.Contains(importKinds, d.Type) {
		l.Add(errs.Invalid, "type", "must be one of %s", strings.Join(importKinds, ", "))
	}
	if !slices.Contains(importDelimiters, d.Delimiter) {
		l.Add(errs.Invalid, "delimiter", "must be one of comma, semicolon, tab")
	}
	if d.Column == "" {
		d.Column = "1"
	}
	m := convert.Mapping{Value: column(&l, "column", d.Column), Description: column(&l, "comment_column", d.CommentColumn),
		FirstSeen: column(&l, "first_seen_column", d.FirstSeenColumn), Type: convert.Kind(d.Type), Delimiter: delimiterRunes[d.Delimiter]}
	if utf8.RuneCountInString(d.Source) > 200 {
		l.Add(errs.Invalid, "source", "is longer than 200 characters")
	}
	file, hdr, ferr := r.FormFile("file")
	switch {
	case ferr != nil:
		l.Add(errs.Invalid, "file", "is required")
	case hdr.Size == 0:
		l.Add(errs.Invalid, "file", "the file is empty")
	}
	if file != nil {
		defer file.Close()
	}
	sh := sharingOf(d.sharingData, &l)
	if err := l.Err(); err != nil {
		u.importForm(w, r, d, err, nil)
		return
	}
	name := hdr.Filename
	if name == "" {
		name = "upload"
	}
	st, err := feeds.Import(r.Context(), u.d.Intel, a, name, file,
		feeds.Options{Format: feeds.Format(d.Format), Mapping: m, Sharing: sh, Source: d.Source}, nil)
	if err != nil {
		fields := errs.Fields(err)
		switch c := errs.CodeOf(err); {
		case len(fields) > 0 && sharingField(fields[0].Field) && (c == errs.Invalid || c == errs.Forbidden):
			u.importForm(w, r, d, formFields(fields), nil) // checked only once the service reads the sharing
		case c == errs.Malformed, c == errs.Invalid, c == errs.TooLarge:
			u.importForm(w, r, d, err, &st)
		default:
			u.fail(w, r, err)
		}
		return
	}
	p := u.newPage(w, r, k("import.result_title"))
	p.Nav = "intel"
	src := d.Source
	if src == "" {
		src = path.Base(name) // as feeds.Import names it
	}
	p.D = importResultData{File: name, Source: "import:" + src, St: u.statsView(p.Lang, st)}
	u.render(w, http.StatusOK, "intel_import_result", p)
}

// importForm renders the form again after err. With st, err is about the
// whole file: its message goes next to the file field, whatever its code,
// with 422, and what was stored before it (if anything) above the form.
func (u *UI) importForm(w http.ResponseWriter, r *http.Request, d importData, err error, st *intel.ImportStats) {
	if st != nil && st.Read > 0 {
		v := u.statsView(langOf(r), *st)
		d.Stats = &v
	}
	p, perr := u.importPage(w, r, d)
	if perr != nil {
		u.fail(w, r, perr)
		return
	}
	if st == nil {
		u.renderForm(w, "intel_import", p, err)
		return
	}
	var parts []string
	for _, e := range errs.Fields(err) {
		msg := e.Message
		if e.Code != errs.Malformed {
			msg = u.cat.message(p.Lang, e)
		}
		if e.Field != "" && e.Field != "file" {
			msg = e.Field + ": " + msg
		}
		parts = append(parts, msg)
	}
	msg := u.cat.t(p.Lang, k("import.unusable"), strings.Join(parts, "; "))
	p.Errs["file"], p.Summary = []string{msg}, []string{msg}
	u.render(w, http.StatusUnprocessableEntity, "intel_import", p)
}

// column reads an optional 1-based column number; "" is 0, no column.
func column(l *errs.List, field, s string) int {
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxColumn {
		l.Add(errs.Invalid, field, "must be a column number from 1 to %d", maxColumn)
		return 0
	}
	return n
}

// sharingField reports whether a service error's field is one of the
// sharing controls.
func sharingField(f string) bool {
	if i := strings.IndexByte(f, '['); i > 0 {
		f = f[:i]
	}
	switch f {
	case "tlp", "communities", "orgs", "users", "compartments":
		return true
	}
	return false
}

// statsView translates an import's reasons and examples for lang.
func (u *UI) statsView(lang string, st intel.ImportStats) importStats {
	v := importStats{ImportStats: st}
	for key, n := range st.Reasons {
		field, msg, ok := strings.Cut(key, ": ")
		if !ok || strings.ContainsAny(field, " ") {
			field, msg = "", key
		}
		v.Reasons = append(v.Reasons, reasonRow{Field: field, Count: n,
			Reason: u.cat.message(lang, &errs.Error{Code: errs.Invalid, Field: field, Message: msg})})
	}
	slices.SortFunc(v.Reasons, func(a, b reasonRow) int {
		return cmp.Or(b.Count-a.Count, strings.Compare(a.Field, b.Field), strings.Compare(a.Reason, b.Reason))
	})
	for _, it := range st.Examples {
		v.Examples = append(v.Examples, exampleRow{Line: it.Index, Field: it.Field,
			Reason: u.cat.message(lang, &errs.Error{Code: errs.Invalid, Field: it.Field, Message: it.Error})})
	}
	return v
}

// exportFormats are the whole-store formats the export page links to.
var exportFormats = []string{"stix", "misp", "csv"}

// exportKinds are the kinds of plain list the export page links to.
var exportKinds = []string{string(convert.KindIP), string(convert.KindDomain), string(convert.KindURL),
	string(convert.KindSHA256), string(convert.KindMD5), string(convert.KindSHA1), string(convert.KindEmail)}

// exportData is the export page.
type exportData struct {
	Formats []string
	Kinds   []string
}

// intelExport answers GET /intel/export: links to GET /api/v1/export in
// each format, which the browser follows with its session cookie. The
// exports hold what the viewer may see, as the API decides; the page only
// explains them.
func (u *UI) intelExport(w http.ResponseWriter, r *http.Request) {
	p := u.newPage(w, r, k("export.title"))
	p.Nav = "intel"
	p.D = exportData{Formats: exportFormats, Kinds: exportKinds}
	u.render(w, http.StatusOK, "intel_export", p)
}
