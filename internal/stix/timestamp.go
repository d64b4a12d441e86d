package stix

import "time"

// ParseTimestamp parses a STIX timestamp: exactly YYYY-MM-DDTHH:MM:SS[.s+]Z
// (RFC 3339, UTC, upper-case T and Z, any number of fractional digits, of
// which nanoseconds are kept). A leap second (:60) is read as the first
// instant of the next minute. It reports false for anything else, including
// offsets other than Z and dates that do not exist.
func ParseTimestamp(s string) (time.Time, bool) {
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[len(s)-1] != 'Z' {
		return time.Time{}, false
	}
	num := func(a, b int) int {
		n := 0
		for i := a; i < b; i++ {
			c := s[i]
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day := num(0, 4), num(5, 7), num(8, 10)
	hour, minute, sec := num(11, 13), num(14, 16), num(17, 19)
	if year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 60 {
		return time.Time{}, false
	}
	nsec := 0
	switch rest := s[19 : len(s)-1]; {
	case rest == "":
	case rest[0] == '.' && len(rest) > 1:
		scale := 100_000_000
		for i := 1; i < len(rest); i++ {
			c := rest[i]
			if c < '0' || c > '9' {
				return time.Time{}, false
			}
			nsec += int(c-'0') * scale
			scale /= 10
		}
	default:
		return time.Time{}, false
	}
	leap := sec == 60
	if leap {
		if nsec != 0 {
			return time.Time{}, false
		}
		sec = 59
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	if t.Day() != day { // 31 April and the like normalise into the next month
		return time.Time{}, false
	}
	if leap {
		t = t.Add(time.Second)
	}
	return t, true
}
