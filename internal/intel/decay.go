package intel

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Decay says how fast an indicator's score falls, per kind of value: the
// score halves every half-life after valid_from. An address changes hands
// in weeks; a file hash stays true for ever.
type Decay struct {
	HalfLife map[string]time.Duration // by Value kind; "default" for the rest
}

// DefaultDecay is the hub's default: IP 30 days, URL 60, domain 90,
// e-mail 180, hashes 10 years, anything else 90.
var DefaultDecay = Decay{HalfLife: map[string]time.Duration{
	"ip": 30 * day, "url": 60 * day, "domain": 90 * day, "email": 180 * day,
	"md5": 3650 * day, "sha1": 3650 * day, "sha256": 3650 * day, "sha512": 3650 * day, "ssdeep": 3650 * day, "tlsh": 3650 * day,
	"default": 90 * day,
}}

const day = 24 * time.Hour

// Score returns o's score at now, 0 to 100: its confidence (50 when it has
// none) halved for every half-life of its shortest-lived value since
// valid_from (or since it was stored). A revoked object, or one past its
// valid_until, scores 0.
func (d Decay) Score(o Object, now time.Time) float64 {
	if o.Revoked || (o.ValidUntil != nil && !now.Before(*o.ValidUntil)) {
		return 0
	}
	conf := float64(o.Confidence)
	if conf <= 0 {
		conf = 50
	}
	start := o.AddedAt
	if o.ValidFrom != nil {
		start = *o.ValidFrom
	}
	age := now.Sub(start)
	if age <= 0 {
		return conf
	}
	hl := d.halfLife(o.Values)
	return math.Round(conf*math.Pow(0.5, age.Hours()/hl.Hours())*10) / 10
}

func (d Decay) halfLife(vs []Value) time.Duration {
	best := time.Duration(0)
	for _, v := range vs {
		h, ok := d.HalfLife[v.Kind]
		if !ok {
			h = d.HalfLife["default"]
		}
		if best == 0 || h < best {
			best = h
		}
	}
	if best == 0 {
		best = d.HalfLife["default"]
	}
	if best <= 0 {
		best = 90 * day
	}
	return best
}

// Detectable reports whether o should be served to detection (the matcher,
// the RPZ feed) at now: a current indicator scoring at least min. Expired
// and revoked indicators stay searchable but are not served.
func (d Decay) Detectable(o Object, now time.Time, min float64) bool {
	if o.Type != "indicator" || (o.ValidFrom != nil && now.Before(*o.ValidFrom)) {
		return false
	}
	return d.Score(o, now) >= min
}

// ParseDecay reads half-lives written as "ip=30d,domain=90d,sha256=10y":
// kinds of value (or "default") with a duration in d(ays), w(eeks) or
// y(ears), or any Go duration ("36h"). Kinds not named keep the defaults.
func ParseDecay(s string) (Decay, error) {
	d := Decay{HalfLife: map[string]time.Duration{}}
	for k, v := range DefaultDecay.HalfLife {
		d.HalfLife[k] = v
	}
	if strings.TrimSpace(s) == "" {
		return d, nil
	}
	for part := range strings.SplitSeq(s, ",") {
		kind, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		kind, val = strings.ToLower(strings.TrimSpace(kind)), strings.TrimSpace(val)
		if !ok || kind == "" || val == "" {
			return Decay{}, errs.F(errs.Invalid, "decay", "%q is not kind=half-life, e.g. ip=30d", part)
		}
		if _, known := DefaultDecay.HalfLife[kind]; !known && !slices.Contains(valueKinds, kind) {
			return Decay{}, errs.F(errs.Invalid, "decay", "%q is not a kind of value (%s, default)", kind, strings.Join(valueKinds, ", "))
		}
		hl, err := parseHalfLife(val)
		if err != nil || hl <= 0 {
			return Decay{}, errs.F(errs.Invalid, "decay", "%s: %q is not a positive duration such as 30d, 2w, 1y or 36h", kind, val)
		}
		d.HalfLife[kind] = hl
	}
	return d, nil
}

// valueKinds are the kinds of Value a half-life can be set for.
var valueKinds = []string{"ip", "domain", "url", "email", "md5", "sha1", "sha256", "sha512", "ssdeep", "tlsh", "mac", "ja3", "other"}

func parseHalfLife(s string) (time.Duration, error) {
	unit := map[byte]time.Duration{'d': day, 'w': 7 * day, 'y': 365 * day}
	if u, ok := unit[s[len(s)-1]]; ok {
		n, err := strconv.ParseFloat(s[:len(s)-1], 64)
		if err != nil || n > 1000*365 {
			return 0, errs.E(errs.Invalid, "bad duration")
		}
		return time.Duration(n * float64(u)), nil
	}
	return time.ParseDuration(s)
}
