package parse

import (
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Syslog reads one syslog message: RFC 5424 ("<34>1 2003-10-11T22:14:15.003Z
// host app procid msgid [sd] msg") or RFC 3164 ("<34>Oct 11 22:14:15 host
// tag: msg"; the year, which the format lacks, is taken from now, and a
// date more than a day ahead is put in the year before). A message that
// is a CEF record is read as CEF; otherwise every IP address standing alone
// in the message is an observable. now is when the message arrived.
func Syslog(line []byte, now time.Time) (Event, error) {
	s := strings.TrimRight(string(line), "\r\n\x00")
	if !strings.HasPrefix(s, "<") {
		return Event{}, bad("syslog: no <PRI> at the start")
	}
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 4 {
		return Event{}, bad("syslog: bad <PRI>")
	}
	pri, err := strconv.Atoi(s[1:end])
	if err != nil || pri < 0 || pri > 191 {
		return Event{}, bad("syslog: PRI %q out of range", s[1:end])
	}
	rest := s[end+1:]
	e := Event{Type: "syslog", Severity: syslogSeverity(pri % 8)}
	var msg string
	if strings.HasPrefix(rest, "1 ") {
		e.Time, msg, err = rfc5424(rest[2:], now)
	} else {
		e.Time, msg, err = rfc3164(rest, now)
	}
	if err != nil {
		return Event{}, err
	}
	if i := strings.Index(msg, "CEF:"); i >= 0 {
		c, err := CEF(msg[i:])
		if err != nil {
			return Event{}, err
		}
		if c.Time.IsZero() {
			c.Time = e.Time
		}
		return c, nil
	}
	scanAddrs(&e, msg)
	e.Signature = clip(msg, 256)
	return e, nil
}

// syslogSeverity maps syslog's 0 (emergency) … 7 (debug) onto 1 … 4.
func syslogSeverity(s int) int {
	switch {
	case s <= 2:
		return 1
	case s == 3:
		return 2
	case s <= 5:
		return 3
	}
	return 4
}

func rfc5424(s string, now time.Time) (time.Time, string, error) {
	f := strings.SplitN(s, " ", 6) // timestamp host app procid msgid rest
	if len(f) < 5 {
		return time.Time{}, "", bad("syslog 5424: too few header fields")
	}
	t := now
	if f[0] != "-" {
		var err error
		t, err = time.Parse(time.RFC3339Nano, f[0])
		if err != nil {
			return time.Time{}, "", bad("syslog 5424: timestamp %q is not RFC 3339", clip(f[0], 40))
		}
	}
	rest := ""
	if len(f) == 6 {
		rest = f[5]
	}
	// Structured data: "-" or one or more [id k="v" …] elements.
	switch {
	case strings.HasPrefix(rest, "-"):
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "-"), " ")
	case strings.HasPrefix(rest, "["):
		i, inQuote := 0, false
		for ; i < len(rest); i++ {
			c := rest[i]
			if c == '\\' && inQuote {
				i++
				continue
			}
			if c == '"' {
				inQuote = !inQuote
			}
			if c == ']' && !inQuote && (i+1 == len(rest) || rest[i+1] != '[') {
				break
			}
		}
		if i >= len(rest) {
			return time.Time{}, "", bad("syslog 5424: structured data not closed")
		}
		rest = strings.TrimPrefix(rest[i+1:], " ")
	}
	return t.UTC(), strings.TrimPrefix(rest, "\ufeff"), nil
}

func rfc3164(s string, now time.Time) (time.Time, string, error) {
	if len(s) < 16 {
		return time.Time{}, "", bad("syslog 3164: too short for a timestamp")
	}
	t, err := time.Parse(time.Stamp, s[:15])
	if err != nil {
		return time.Time{}, "", bad("syslog 3164: timestamp %q is not \"Mmm dd hh:mm:ss\"", clip(s[:15], 15))
	}
	now = now.UTC()
	t = time.Date(now.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
	if t.After(now.Add(24 * time.Hour)) {
		t = t.AddDate(-1, 0, 0)
	}
	rest := strings.TrimPrefix(s[15:], " ")
	// host, then tag: message
	if i := strings.IndexByte(rest, ' '); i >= 0 {
		rest = rest[i+1:]
	}
	return t, rest, nil
}

// scanAddrs adds every word of msg that is an IP address.
func scanAddrs(e *Event, msg string) {
	for w := range strings.FieldsFuncSeq(msg, func(r rune) bool {
		return r == ' ' || r == '=' || r == ',' || r == '"' || r == '\'' || r == '(' || r == ')' || r == '[' || r == ']' || r == ';'
	}) {
		w = strings.TrimSuffix(w, ".")
		if len(w) < 7 || len(w) > 45 {
			continue
		}
		if h, _, ok := strings.Cut(w, ":"); ok && strings.Count(w, ":") == 1 {
			w = h // host:port
		}
		if a, err := netip.ParseAddr(w); err == nil {
			e.addAddr(a.Unmap().WithZone(""))
		}
	}
}
