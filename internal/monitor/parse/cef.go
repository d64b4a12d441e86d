package parse

import (
	"strconv"
	"strings"
	"time"
)

// CEF reads an ArcSight Common Event Format record:
// "CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension",
// with \| and \\ escaped in the header and \=, \\, \n, \r in extension
// values. Known extension keys give the observables (src, dst, shost,
// dhost, request, requestClientApplication, fileHash, fname, suser,
// duser, and the JA3 custom strings); rt or end gives the time, when set.
func CEF(s string) (Event, error) {
	if !strings.HasPrefix(s, "CEF:") {
		return Event{}, bad("cef: no CEF: prefix")
	}
	hdr, ext, err := cefHeader(s[4:])
	if err != nil {
		return Event{}, err
	}
	e := Event{Type: "cef", Signature: clip(hdr[5], 256)}
	e.Severity = cefSeverity(hdr[6])
	kv := cefExtension(ext)
	e.SrcIP, e.DstIP = parseAddr(kv["src"]), parseAddr(kv["dst"])
	if !e.SrcIP.IsValid() {
		e.SrcIP = parseAddr(kv["c6a2"])
	}
	if !e.DstIP.IsValid() {
		e.DstIP = parseAddr(kv["c6a3"])
	}
	e.SrcPort, _ = strconv.Atoi(kv["spt"])
	e.DstPort, _ = strconv.Atoi(kv["dpt"])
	e.Proto = kv["proto"]
	e.addDomain(kv["shost"])
	e.addDomain(kv["dhost"])
	e.addDomain(kv["destinationDnsDomain"])
	if r := kv["request"]; r != "" {
		if strings.Contains(r, "://") {
			e.URLs = addOnce(e.URLs, normURL(r))
			e.addDomain(hostOf(r))
		} else if h := kv["dhost"]; h != "" {
			e.addURL("http", h, r)
		}
	}
	e.UserAgent = clip(kv["requestClientApplication"], 512)
	e.addHash(kv["fileHash"])
	e.addHash(kv["oldFileHash"])
	for _, k := range []string{"suser", "duser", "sender", "recipient"} {
		e.addEmail(kv[k])
	}
	for k, v := range kv {
		if l := strings.ToLower(v); strings.HasSuffix(k, "Label") && (strings.Contains(l, "ja3") || strings.Contains(l, "ja4")) {
			e.addJA3(kv[strings.TrimSuffix(k, "Label")])
		}
	}
	for _, k := range []string{"rt", "end", "start"} {
		if t, ok := cefTime(kv[k]); ok {
			e.Time = t
			break
		}
	}
	return e, nil
}

func hostOf(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	if i := strings.LastIndexByte(rest, '@'); i >= 0 {
		rest = rest[i+1:]
	}
	if h, _, ok := strings.Cut(rest, ":"); ok && !strings.HasPrefix(rest, "[") {
		rest = h
	}
	return strings.Trim(rest, "[]")
}

// cefHeader splits the seven header fields at unescaped pipes.
func cefHeader(s string) ([7]string, string, error) {
	var h [7]string
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) && (s[i+1] == '|' || s[i+1] == '\\') {
			b.WriteByte(s[i+1])
			i++
			continue
		}
		if c == '|' {
			h[n] = b.String()
			b.Reset()
			n++
			if n == 7 {
				return h, s[i+1:], nil
			}
			continue
		}
		b.WriteByte(c)
	}
	return h, "", bad("cef: %d header fields, want 7 before the extension", n)
}

// cefExtension reads key=value pairs: a value runs to the next unescaped
// " key=" (keys are letters, digits and _).
func cefExtension(s string) map[string]string {
	kv := map[string]string{}
	key := ""
	var val strings.Builder
	flush := func() {
		if key != "" && len(kv) < 200 {
			kv[key] = strings.TrimSpace(val.String())
		}
		val.Reset()
	}
	i := 0
	start := func(j int) (string, int, bool) { // a key at j followed by =
		k := j
		for k < len(s) && (isKeyChar(s[k])) {
			k++
		}
		if k > j && k < len(s) && s[k] == '=' {
			return s[j:k], k + 1, true
		}
		return "", j, false
	}
	if k, next, ok := start(0); ok {
		key, i = k, next
	} else {
		return kv
	}
	for i < len(s) {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '=', '\\':
				val.WriteByte(s[i+1])
			case 'n':
				val.WriteByte('\n')
			case 'r':
				val.WriteByte('\r')
			default:
				val.WriteByte('\\')
				val.WriteByte(s[i+1])
			}
			i += 2
			continue
		}
		if c == ' ' {
			if k, next, ok := start(i + 1); ok {
				flush()
				key, i = k, next
				continue
			}
		}
		val.WriteByte(c)
		i++
	}
	flush()
	return kv
}

func isKeyChar(c byte) bool {
	return c == '_' || c == '.' || c == '-' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9')
}

// cefSeverity maps 0–10 (or Low … Very-High) onto 1 (high) … 4 (low).
func cefSeverity(s string) int {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "very-high":
		return 1
	case "high":
		return 2
	case "medium":
		return 3
	case "low":
		return 4
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		return 0
	case n >= 9:
		return 1
	case n >= 7:
		return 2
	case n >= 4:
		return 3
	}
	return 4
}

// cefTime reads milliseconds since the epoch or "MMM dd yyyy HH:mm:ss".
func cefTime(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms > 0 && ms < 1e14 {
		return time.UnixMilli(ms).UTC(), true
	}
	for _, l := range []string{"Jan 02 2006 15:04:05", "Jan 02 2006 15:04:05.000", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}
