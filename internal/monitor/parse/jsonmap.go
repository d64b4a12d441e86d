package parse

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Mapping says where a sensor's own JSON keeps each field: a dotted path
// into the object ("source.ip", "event.created"). Empty fields are not read.
type Mapping struct {
	Time      string `json:"time,omitempty"`
	Type      string `json:"type,omitempty"`
	SrcIP     string `json:"src_ip,omitempty"`
	DstIP     string `json:"dst_ip,omitempty"`
	Domain    string `json:"domain,omitempty"`
	URL       string `json:"url,omitempty"`
	Hash      string `json:"hash,omitempty"`
	Email     string `json:"email,omitempty"`
	JA3       string `json:"ja3,omitempty"`
	UserAgent string `json:"user_agent,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// Check returns errs.Invalid when the mapping reads nothing or a path is
// malformed.
func (m Mapping) Check() error {
	var l errs.List
	n := 0
	for name, p := range m.paths() {
		if p == "" {
			continue
		}
		n++
		if len(p) > 200 || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..") {
			l = append(l, errs.F(errs.Invalid, "mapping."+name, "%q is not a dotted path", p))
		}
	}
	if n == 0 {
		l = append(l, errs.F(errs.Invalid, "mapping", "map at least one field"))
	}
	return l.Err()
}

func (m Mapping) paths() map[string]string {
	return map[string]string{"time": m.Time, "type": m.Type, "src_ip": m.SrcIP, "dst_ip": m.DstIP, "domain": m.Domain,
		"url": m.URL, "hash": m.Hash, "email": m.Email, "ja3": m.JA3, "user_agent": m.UserAgent, "signature": m.Signature}
}

// JSON reads one JSON object with the mapping. A time field holds RFC 3339
// or epoch seconds; without one, the event takes now.
func JSON(line []byte, m Mapping, now time.Time) (Event, error) {
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return Event{}, bad("not a JSON object: %v", err)
	}
	str := func(path string) []string {
		if path == "" {
			return nil
		}
		return flatten(lookup(obj, path), nil)
	}
	first := func(path string) string {
		if v := str(path); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	e := Event{Type: "json", Time: now.UTC()}
	if t := first(m.Time); t != "" {
		tt, err := zeekTime(t)
		if err != nil {
			return Event{}, bad("%s: %q is not a time", m.Time, clip(t, 40))
		}
		e.Time = tt
	}
	if t := first(m.Type); t != "" {
		e.Type = clip(t, 40)
	}
	e.SrcIP, e.DstIP = parseAddr(first(m.SrcIP)), parseAddr(first(m.DstIP))
	for _, v := range str(m.Domain) {
		e.addDomain(v)
	}
	for _, v := range str(m.URL) {
		if strings.Contains(v, "://") {
			e.URLs = addOnce(e.URLs, normURL(v))
		}
	}
	for _, v := range str(m.Hash) {
		e.addHash(v)
	}
	for _, v := range str(m.Email) {
		e.addEmail(v)
	}
	for _, v := range str(m.JA3) {
		e.addJA3(v)
	}
	e.UserAgent = clip(first(m.UserAgent), 512)
	e.Signature = clip(first(m.Signature), 256)
	return e, nil
}

// lookup follows a dotted path; a key that itself holds dots is found too.
func lookup(v any, path string) any {
	if path == "" {
		return v
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil
	}
	if x, ok := obj[path]; ok {
		return x
	}
	for i := len(path) - 1; i > 0; i-- {
		if path[i] == '.' {
			if x, ok := obj[path[:i]]; ok {
				return lookup(x, path[i+1:])
			}
		}
	}
	return nil
}

// flatten turns a value into strings: a list gives each element.
func flatten(v any, out []string) []string {
	switch x := v.(type) {
	case string:
		return append(out, x)
	case json.Number:
		return append(out, x.String())
	case []any:
		for _, e := range x {
			if len(out) >= MaxValues {
				break
			}
			out = flatten(e, out)
		}
	}
	return out
}
