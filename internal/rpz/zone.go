package rpz

import (
	"encoding/json"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/idna"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// Indicator is what a zone needs of one detectable intelligence object.
type Indicator struct {
	ID       string
	Dist     policy.Distribution
	Score    float64
	Domains  []string // from domain-name observables
	URLHosts []string // the host parts of URL observables
	Wildcard bool     // the indicator covers subdomains too
	Name     string   // the indicator's name (shown only when TLP:CLEAR)
	Types    []string // indicator_types (shown only when TLP:CLEAR)
}

// FromObject returns the indicator an intelligence object stands for, and
// false when it is nothing to serve at now: not an indicator, revoked,
// expired, not yet valid, or without a domain. Scores use d.
//
// An indicator asks for its subdomains to be covered with the label
// "rpz:wildcard" or the custom property x_kyojo_rpz_wildcard: true.
func FromObject(o intel.Object, d intel.Decay, now time.Time) (Indicator, bool) {
	if !d.Detectable(o, now, 0) || d.Score(o, now) <= 0 {
		return Indicator{}, false
	}
	in := Indicator{ID: o.ID, Dist: o.Dist, Score: d.Score(o, now)}
	hosts := map[string]bool{}
	for _, v := range o.Values {
		if v.Kind != "url" {
			continue
		}
		if u, err := url.Parse(v.Value); err == nil {
			if h := strings.ToLower(u.Hostname()); h != "" {
				if _, err := netip.ParseAddr(h); err != nil {
					hosts[h] = true
				}
			}
		}
	}
	for _, v := range o.Values {
		if v.Kind != "domain" {
			continue
		}
		name := asciiName(v.Value)
		if hosts[v.Value] {
			in.URLHosts = append(in.URLHosts, name)
		} else {
			in.Domains = append(in.Domains, name)
		}
	}
	if len(in.Domains)+len(in.URLHosts) == 0 {
		return Indicator{}, false
	}
	var raw struct {
		Name     string   `json:"name"`
		Labels   []string `json:"labels"`
		Types    []string `json:"indicator_types"`
		Wildcard bool     `json:"x_kyojo_rpz_wildcard"`
	}
	_ = json.Unmarshal(o.Raw, &raw)
	in.Name, in.Types = raw.Name, raw.Types
	in.Wildcard = raw.Wildcard || slices.Contains(raw.Labels, "rpz:wildcard")
	return in, true
}

// Allow is an allowlist entry: the name (and its subdomains) is never
// listed by any zone nor blocked by the resolver.
type Allow struct {
	Name      string    `json:"name"`
	Reason    string    `json:"reason,omitempty"`
	ReportID  string    `json:"report_id,omitempty"` // the accepted false-positive report
	CreatedAt time.Time `json:"created_at"`
}

// Record is one RPZ rule: an owner relative to the zone's origin ("evil.example",
// "*.evil.example") and its CNAME target.
type Record struct {
	Owner  string `json:"owner"`
	Target string `json:"target"`
}

// Zone is the content of a policy zone: owner → CNAME target, and for each
// owner the indicator that put it there (for KPIs and the warning page).
type Zone struct {
	Origin  string
	Records map[string]string
	Source  map[string]string // owner → indicator id ("" for the allowlist)
}

// Sorted returns the records in a stable order.
func (z Zone) Sorted() []Record {
	out := make([]Record, 0, len(z.Records))
	for o, t := range z.Records {
		out = append(out, Record{o, t})
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Owner, b.Owner) })
	return out
}

// Takes reports whether the feed takes an indicator shared with d, for a
// subscriber seeing as m.
func (f Feed) Takes(m policy.Member, in Indicator) bool {
	if in.Score < f.MinScore || !policy.CanSee(m, in.Dist) {
		return false
	}
	if f.MaxTLP != "" && in.Dist.TLP.Rank() > f.MaxTLP.Rank() {
		return false
	}
	if len(f.Communities) > 0 && !slices.ContainsFunc(f.Communities, func(c string) bool { return slices.Contains(in.Dist.Communities, c) }) {
		return false
	}
	return true
}

// Build computes the zone the feed gives a subscriber seeing as m: every
// indicator the feed takes, with the feed's action, except names at or
// under an allowlisted name, which are listed as passthru. Names too long
// to stand under the origin are left out.
func Build(f Feed, m policy.Member, inds []Indicator, allow []Allow) Zone {
	n := 2 * len(allow) // sized first, so the maps never grow while filled
	for _, in := range inds {
		if f.Takes(m, in) {
			n += len(in.Domains) + len(in.URLHosts)
		}
	}
	z := Zone{Origin: f.Zone, Records: make(map[string]string, n), Source: make(map[string]string, n)}
	allowed := map[string]bool{}
	for _, a := range allow {
		n := strings.TrimSuffix(strings.ToLower(a.Name), ".")
		if CheckName(n) && fits(n, f.Zone, true) {
			allowed[n] = true
			z.Records[n] = Passthru.Target("")
			z.Records["*."+n] = Passthru.Target("")
			z.Source[n], z.Source["*."+n] = "", ""
		}
	}
	target := f.Action.Target(f.WarnHost)
	add := func(in Indicator, names []string) {
		for _, n := range names {
			if !CheckName(n) || !fits(n, f.Zone, in.Wildcard) || underAllowed(n, allowed) {
				continue
			}
			if _, ok := z.Records[n]; !ok {
				z.Records[n], z.Source[n] = target, in.ID
			}
			if in.Wildcard {
				w := "*." + n
				if _, ok := z.Records[w]; !ok {
					z.Records[w], z.Source[w] = target, in.ID
				}
			}
		}
	}
	for _, in := range inds {
		if !f.Takes(m, in) {
			continue
		}
		if slices.Contains(f.Kinds, KindDomain) {
			add(in, in.Domains)
		}
		if slices.Contains(f.Kinds, KindURLHost) {
			add(in, in.URLHosts)
		}
	}
	return z
}

// fits reports whether name (and "*.name") stays within 255 octets in wire
// form under origin.
func fits(name, origin string, wild bool) bool {
	n := len(name) + 1 + len(origin) + 1
	if wild {
		n += 2
	}
	return n <= 255
}

func underAllowed(name string, allowed map[string]bool) bool {
	if len(allowed) == 0 {
		return false
	}
	for n := name; ; {
		if allowed[n] {
			return true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 {
			return false
		}
		n = n[i+1:]
	}
}

// NextSerial returns the serial after prev: the current Unix time when
// that is larger, so that serials keep growing across restarts.
func NextSerial(prev uint32, now time.Time) uint32 {
	s := uint32(now.Unix())
	if int32(s-prev) > 0 {
		return s
	}
	return prev + 1
}

// asciiName returns a domain in the form DNS carries: internationalised
// names in punycode (例え.example → xn--r8jz45g.example). A name that
// cannot be converted is returned as it is, and Build leaves it out.
func asciiName(d string) string {
	for i := 0; i < len(d); i++ {
		if d[i] >= 0x80 {
			if a, err := idna.Lookup.ToASCII(d); err == nil {
				return a
			}
			return d
		}
	}
	return d
}
