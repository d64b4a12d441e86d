package web

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
)

// LangCookie remembers the language chosen by a visitor.
const LangCookie = "kyojo_lang"

// catalogue holds the messages of each language: language → key → text.
type catalogue map[string]map[string]string

// loadCatalogue reads i18n/<lang>.json, and the parts' i18n/<part>.<lang>.json,
// for every identity.Locales entry.
func loadCatalogue(fsys fs.FS) (catalogue, error) {
	cat := catalogue{}
	for _, l := range identity.Locales {
		b, err := fs.ReadFile(fsys, "i18n/"+l+".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n/%s.json: %w", l, err)
		}
		// A part's own messages may live in i18n/<part>.<lang>.json.
		parts, _ := fs.Glob(fsys, "i18n/*."+l+".json")
		for _, name := range parts {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			more := map[string]string{}
			if err := json.Unmarshal(b, &more); err != nil {
				return nil, fmt.Errorf("%s: %w", name, err)
			}
			for key, v := range more {
				if _, dup := m[key]; dup {
					return nil, fmt.Errorf("%s: key %q is also in another file", name, key)
				}
				m[key] = v
			}
		}
		cat[l] = m
	}
	return cat, nil
}

// t returns the text of key in lang, formatted with args when given. An
// unknown key shows as itself in brackets, so that it is noticed; the
// catalogue tests keep that from happening.
func (c catalogue) t(lang, key string, args ...any) string {
	s, ok := c[lang][key]
	if !ok {
		return "[" + key + "]"
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// k marks a string literal in Go code as a catalogue key; the tests check
// that every such key exists.
func k(key string) string { return key }

// langOf returns the language of the request: the signed-in person's stored
// locale, else the kyojo_lang cookie, else Japanese.
func langOf(r *http.Request) string {
	if u, ok := httpx.User(r.Context()); ok && identity.ValidLocale(u.Locale) {
		return u.Locale
	}
	if c, err := r.Cookie(LangCookie); err == nil && identity.ValidLocale(c.Value) {
		return c.Value
	}
	return identity.Locales[0]
}

// switchLang handles POST /lang: it remembers the choice in a cookie and,
// for a signed-in person, as their locale.
func (u *UI) switchLang(w http.ResponseWriter, r *http.Request) {
	if !u.checkForm(w, r) {
		return
	}
	lang := r.PostFormValue("lang")
	if !identity.ValidLocale(lang) {
		u.fail(w, r, errs.F(errs.Invalid, "lang", "must be ja or en"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: u.d.SecureCookie})
	if usr, ok := httpx.User(r.Context()); ok {
		if _, err := u.d.Identity.UpdateUser(r.Context(), httpx.Actor(r.Context()), usr.ID,
			identity.UserPatch{Locale: &lang}); err != nil {
			u.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// errorKeys translates the service's most common messages; others are
// shown as the service wrote them.
var errorKeys = []struct{ prefix, key string }{
	{"is required", k("msg.required")},
	{"is not a valid e-mail address", k("msg.email")},
	{"must be in international form", k("msg.phone")},
	{"must be 40 or 64 hexadecimal digits", k("msg.pgp")},
	{"must be a language code", k("msg.language")},
	{"must be 1 to 48 lower-case letters", k("msg.slug")},
	{"must be 1 to 64 lower-case letters", k("msg.username")},
	{"a point of contact needs", k("msg.contact_reach")},
	{"a critical-infrastructure operator needs", k("msg.sector_needed")},
	{"an organisation with the handle", k("msg.dup_slug")},
	{"an organisation named", k("msg.dup_name")},
	{"must be at least 12 characters", k("msg.password_short")},
	{"is not your current password", k("msg.current_password")},
	{"must be an ISO 3166-1", k("msg.country")},
	{"the last hub administrator", k("msg.last_admin")},
	{"is longer than", k("msg.too_long")},
	{"the two new passwords differ", k("msg.password_mismatch")},
	{"must be a date", k("msg.date")},
	{"must be a whole number of days", k("msg.days")},
	{"must be between 1 hour and", k("msg.days")},
	{"must be 1 to 100 letters", k("msg.reference")},
	{"name at least one kind of data", k("msg.kinds")},
	{"must be one of", k("msg.choose")},
	{"must be empty (every kind) or one of", k("msg.choose")},
	{"give both since and until", k("msg.period_both")},
	{"must be after since", k("msg.period_order")},
	{"one request may cover at most", k("msg.period_long")},
	{"must be between 1 and 36500", k("msg.retention_days")},
	{"must be a whole number from 0 to 100", k("msg.score")},
	{"say why the data is held", k("msg.hold_reason")},
	{"entries of ", k("msg.under_hold")},
	{"the request is already", k("msg.already_decided")},
	{"only an approved request", k("msg.not_approved")},
	{"the request is ", k("msg.not_approved")},
	{"no retained entries match", k("msg.no_entries")},
	{"must be <type>--<UUID>", k("msg.stix_id")},
	{"must be an RFC 3339 UTC timestamp", k("msg.stix_time")},
	{"not a STIX object or bundle", k("msg.not_stix")},
	{"not a JSON object", k("msg.not_stix")},
	{"the bundle holds no objects", k("msg.empty_bundle")},
	{"must be clear, green, amber", k("msg.choose")},
	{"TLP:RED is for named people", k("msg.red_people")},
	{`no community "`, k("msg.no_community")},
	{`no organisation "`, k("msg.no_org")},
	{`no person "`, k("msg.no_person")},
	{"does not fit the chosen type", k("msg.value_kind")},
	{"must be a date and time", k("msg.datetime")},
	{"the input holds this id and version twice", k("msg.dup_version")},
	{"only the organisation that shared", k("msg.not_sharer")},
	{"is not a valid URL", k("msg.url")},
	{"type an IP address, CIDR block", k("msg.search_empty")},
	{"the form is larger than", k("msg.form_too_large")},
	{"the file is empty", k("msg.file_empty")},
	{"must be a column number", k("msg.column")},
	{"cell starts with =", k("msg.formula")},
	{"value of unknown type", k("msg.value_unknown")},
	{"empty value", k("msg.required")},
	{"invalid e-mail address", k("msg.email")},
	{"invalid domain name", k("msg.domain")},
	{"invalid URL", k("msg.url")},
	{"invalid md5 digest", k("msg.digest")},
	{"invalid sha1 digest", k("msg.digest")},
	{"invalid sha256 digest", k("msg.digest")},
	{"invalid sha512 digest", k("msg.digest")},
	{"unrecognised time", k("msg.time")},
}

// message returns e's text in lang.
func (c catalogue) message(lang string, e *errs.Error) string {
	switch e.Code {
	case errs.Internal:
		return c.t(lang, k("msg.internal"))
	case errs.Conflict:
		if e.Field == "" {
			return c.t(lang, k("msg.conflict"))
		}
	case errs.Forbidden:
		if strings.HasPrefix(e.Message, "the form has") {
			return c.t(lang, k("msg.csrf"))
		}
		if strings.HasPrefix(e.Message, "your organisation is not a member") {
			return c.t(lang, k("msg.not_member"))
		}
		return c.t(lang, k("msg.forbidden"))
	case errs.NotFound:
		return c.t(lang, k("msg.not_found"))
	case errs.Unauthenticated:
		return c.t(lang, k("msg.login_failed"))
	case errs.RateLimited:
		return c.t(lang, k("msg.rate_limited"))
	case errs.Malformed:
		return c.t(lang, k("msg.malformed"))
	}
	msg := strings.TrimPrefix(e.Message, string(e.Code)+": ") // some messages nest an error's text
	for _, ek := range errorKeys {
		if strings.HasPrefix(msg, ek.prefix) {
			return c.t(lang, ek.key)
		}
	}
	return msg
}
