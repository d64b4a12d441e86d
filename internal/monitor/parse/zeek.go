package parse

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// ZeekTSV reads Zeek's tab-separated logs: the #separator, #set_separator,
// #unset_field, #empty_field, #path and #fields headers set how the data
// lines after them are read, and a new header block (a log rotated into
// the same stream) replaces them. It is not safe for concurrent use.
type ZeekTSV struct {
	sep, setSep  string
	unset, empty string
	path         string
	fields       []string
}

// ErrSkip is what a parser returns for a line that carries no event (a
// Zeek header, a blank line): not an error to count. Test with errors.Is.
var ErrSkip = errors.New("no event on this line")

// Line reads one line: a header updates the reader and returns ErrSkip; a
// data line before any #fields header, or with another number of columns,
// is an error.
func (z *ZeekTSV) Line(line []byte) (Event, error) {
	if len(line) > 0 && line[0] == '#' {
		return Event{}, z.header(string(line))
	}
	if z.fields == nil {
		return Event{}, bad("zeek: data line before a #fields header")
	}
	sep := z.sep
	if sep == "" {
		sep = "\t"
	}
	cols := strings.Split(string(line), sep)
	if len(cols) != len(z.fields) {
		return Event{}, bad("zeek %s: %d columns, the #fields header names %d", z.path, len(cols), len(z.fields))
	}
	get := func(name string) string {
		for i, f := range z.fields {
			if f == name {
				v := cols[i]
				if v == z.unsetField() || v == z.emptyField() {
					return ""
				}
				return v
			}
		}
		return ""
	}
	set := func(name string) []string {
		v := get(name)
		if v == "" {
			return nil
		}
		ss := z.setSep
		if ss == "" {
			ss = ","
		}
		return strings.Split(v, ss)
	}
	return zeekEvent(z.path, get, set)
}

func (z *ZeekTSV) unsetField() string {
	if z.unset == "" {
		return "-"
	}
	return z.unset
}

func (z *ZeekTSV) emptyField() string {
	if z.empty == "" {
		return "(empty)"
	}
	return z.empty
}

func (z *ZeekTSV) header(l string) error {
	if strings.HasPrefix(l, "#separator ") {
		s := strings.TrimPrefix(l, "#separator ")
		if u, err := strconv.Unquote(`"` + s + `"`); err == nil && u != "" {
			z.sep = u
		} else {
			return bad("zeek: bad #separator %q", clip(s, 20))
		}
		z.fields = nil
		return ErrSkip
	}
	sep := z.sep
	if sep == "" {
		sep = "\t"
	}
	parts := strings.Split(l, sep)
	switch parts[0] {
	case "#set_separator":
		z.setSep = at(parts, 1)
	case "#unset_field":
		z.unset = at(parts, 1)
	case "#empty_field":
		z.empty = at(parts, 1)
	case "#path":
		z.path = at(parts, 1)
	case "#fields":
		if len(parts) < 2 || len(parts) > 500 {
			return bad("zeek: #fields names %d columns", len(parts)-1)
		}
		z.fields = parts[1:]
	}
	return ErrSkip
}

func at(p []string, i int) string {
	if i < len(p) {
		return p[i]
	}
	return ""
}

// ZeekJSON reads one line of Zeek's JSON logs (one object per line; the
// log's name in _path when the streaming writer added it, else path).
func ZeekJSON(line []byte, path string) (Event, error) {
	var m map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(line))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return Event{}, bad("not Zeek JSON: %v", err)
	}
	if _, ok := m["ts"]; !ok {
		return Event{}, bad("not Zeek JSON: no ts")
	}
	get := func(name string) string {
		raw, ok := m[name]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		var n json.Number
		if json.Unmarshal(raw, &n) == nil {
			return n.String()
		}
		if string(raw) == "true" {
			return "T"
		}
		return ""
	}
	set := func(name string) []string {
		var out []string
		if raw, ok := m[name]; ok {
			if json.Unmarshal(raw, &out) != nil {
				if s := get(name); s != "" {
					out = []string{s}
				}
			}
		}
		return out
	}
	if p := get("_path"); p != "" {
		path = p
	}
	return zeekEvent(path, get, set)
}

// zeekEvent builds an event from a Zeek record's fields, whatever format
// they came in.
func zeekEvent(path string, get func(string) string, set func(string) []string) (Event, error) {
	t, err := zeekTime(get("ts"))
	if err != nil {
		return Event{}, err
	}
	e := Event{Time: t, Type: path, SrcIP: parseAddr(get("id.orig_h")), DstIP: parseAddr(get("id.resp_h")), Proto: get("proto")}
	e.SrcPort, _ = strconv.Atoi(get("id.orig_p"))
	e.DstPort, _ = strconv.Atoi(get("id.resp_p"))
	if e.Type == "" {
		e.Type = "zeek"
	}
	e.addDomain(get("query"))
	for _, a := range set("answers") {
		if ad := parseAddr(a); ad.IsValid() {
			e.addAddr(ad)
		}
	}
	if host := get("host"); host != "" {
		e.addDomain(host)
		if uri := get("uri"); uri != "" {
			e.addURL("http", host, uri)
		}
	}
	e.UserAgent = clip(get("user_agent"), 512)
	e.addDomain(get("server_name"))
	e.addJA3(get("ja3"))
	e.addJA3(get("ja3s"))
	e.addJA3(get("ja4"))
	for _, h := range []string{"md5", "sha1", "sha256"} {
		e.addHash(get(h))
	}
	for _, f := range []string{"tx_hosts", "rx_hosts"} {
		for _, a := range set(f) {
			if ad := parseAddr(a); ad.IsValid() {
				e.addAddr(ad)
			}
		}
	}
	e.addEmail(get("mailfrom"))
	e.addEmail(get("from"))
	for _, to := range set("rcptto") {
		e.addEmail(to)
	}
	if n := get("note"); n != "" {
		e.Signature = clip(n+": "+get("msg"), 512)
	}
	for _, f := range []string{"src", "dst"} {
		if a := parseAddr(get(f)); a.IsValid() {
			e.addAddr(a)
		}
	}
	return e, nil
}

// zeekTime reads epoch seconds with a fraction ("1357328848.549370") or
// ISO 8601.
func zeekTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, bad("zeek: no ts")
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		if math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
			return time.Time{}, bad("zeek: ts %q out of range", clip(s, 40))
		}
		// Seconds and fraction read apart: a float64 loses the last microsecond.
		ip, fp, _ := strings.Cut(s, ".")
		sec, err1 := strconv.ParseInt(ip, 10, 64)
		var ns int64
		if fp != "" {
			fp = (fp + "000000000")[:9]
			n, err := strconv.ParseInt(fp, 10, 64)
			if err != nil {
				err1 = err
			}
			ns = n
		}
		if err1 != nil {
			sec, ns = int64(f), 0
		}
		return time.Unix(sec, ns).UTC(), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	return time.Time{}, bad("zeek: ts %q is not a time", clip(s, 40))
}
