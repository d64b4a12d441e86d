package parse

import (
	"net/netip"
	"strings"
	"time"
)

// Fast forms of the value conversions the EVE fast path makes on every
// line. Each reads only the common, plain spelling and reports ok=false
// for anything else, and the caller then takes the general function; so
// each gives the same answer as the general one whenever it answers at
// all. FuzzFastValues checks that.

// suricataTime reads "2006-01-02T15:04:05.000000-0700" (Suricata's form,
// one to nine fraction digits) from b without allocating.
func suricataTime(b []byte) (time.Time, bool) {
	// 0123456789012345678 9 ... then ±hhmm
	if len(b) < 19+2+5 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' || b[19] != '.' {
		return time.Time{}, false
	}
	digits := func(i, n int) (int, bool) {
		v := 0
		for _, c := range b[i : i+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	frac := len(b) - 5 - 20
	if frac < 1 || frac > 9 {
		return time.Time{}, false
	}
	year, ok1 := digits(0, 4)
	month, ok2 := digits(5, 2)
	day, ok3 := digits(8, 2)
	hour, ok4 := digits(11, 2)
	minute, ok5 := digits(14, 2)
	sec, ok6 := digits(17, 2)
	ns, ok7 := digits(20, frac)
	zh, ok8 := digits(len(b)-4, 2)
	zm, ok9 := digits(len(b)-2, 2)
	sign := b[len(b)-5]
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && ok8 && ok9) || (sign != '+' && sign != '-') {
		return time.Time{}, false
	}
	// The ranges time.Parse enforces; anything odd goes to it.
	if month < 1 || month > 12 || day < 1 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 59 || zh > 23 || zm > 59 {
		return time.Time{}, false
	}
	for range 9 - frac {
		ns *= 10
	}
	off := (zh*60 + zm) * 60
	if sign == '-' {
		off = -off
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, ns, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// ipv4 reads a dotted-quad IPv4 address as netip.ParseAddr spells it
// (no leading zeros, each part at most 255) without allocating.
func ipv4(b []byte) (netip.Addr, bool) {
	var a [4]byte
	part, n, digits := 0, 0, 0
	for i := 0; i <= len(b); i++ {
		if i == len(b) || b[i] == '.' {
			if digits == 0 || part > 3 || (i < len(b) && part == 3) {
				return netip.Addr{}, false
			}
			a[part] = byte(n)
			part, n, digits = part+1, 0, 0
			continue
		}
		c := b[i]
		if c < '0' || c > '9' || (digits == 1 && n == 0) {
			return netip.Addr{}, false
		}
		n = n*10 + int(c-'0')
		digits++
		if n > 255 {
			return netip.Addr{}, false
		}
	}
	if part != 4 {
		return netip.Addr{}, false
	}
	return netip.AddrFrom4(a), true
}

// plainURL gives normURL(scheme+"://"+host+path) for the common case of a
// lower-case host name and a path and query of characters that URL
// parsing keeps as they are, building only the result.
func plainURL(scheme, host, path string) (string, bool) {
	if host == "" || len(path) == 0 || path[0] != '/' {
		return "", false
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' {
			return "", false
		}
	}
	for i := 0; i < len(path); i++ {
		c := path[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') && (c < '0' || c > '9') && !strings.ContainsRune("-._~/=&", rune(c)) {
			if c != '?' || strings.IndexByte(path[:i], '?') >= 0 {
				return "", false
			}
		}
	}
	return scheme + "://" + host + path, true
}
