package monitor

import (
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
)

// TokenPrefix starts every sensor token, so that secret scanners find
// leaked ones and the HTTP layer tells them from people's API tokens.
const TokenPrefix = "kyojo-sensor_"

// Sensor kinds.
var Kinds = []string{"nids", "hids", "proxy", "firewall", "dns", "mail", "edr", "other"}

// Sensor is one source of events in a monitored organisation.
type Sensor struct {
	ID        string         `json:"id"`
	OrgID     string         `json:"org_id"`
	Name      string         `json:"name"`
	Kind      string         `json:"kind"`
	Location  string         `json:"location,omitempty"`
	Format    parse.Format   `json:"format"`
	Mapping   *parse.Mapping `json:"mapping,omitempty"` // for format json
	Sources   []string       `json:"sources,omitempty"` // syslog senders (addresses, CIDR blocks) whose messages are this sensor's
	Disabled  bool           `json:"disabled"`
	CreatedAt time.Time      `json:"created_at"`
	Health    Health         `json:"health"`
}

// Health is how a sensor is doing, from the batches processed.
type Health struct {
	LastEventAt  *time.Time       `json:"last_event_at,omitempty"` // when the last batch with events was processed
	Events       int64            `json:"events"`                  // accepted, all time
	Rejected     int64            `json:"rejected"`                // refused lines, all time
	EventsPerSec float64          `json:"events_per_sec"`          // over the last minute
	Reasons      map[string]int64 `json:"reasons,omitempty"`       // rejected lines by reason
	LastError    string           `json:"last_error,omitempty"`
	LastErrorAt  *time.Time       `json:"last_error_at,omitempty"`
}

// NewSensor is what registering a sensor takes.
type NewSensor struct {
	Org      string         `json:"org"` // id or slug; the caller's own organisation when empty
	Name     string         `json:"name"`
	Kind     string         `json:"kind"`
	Location string         `json:"location,omitempty"`
	Format   parse.Format   `json:"format"` // eve, zeek, syslog, cef, json
	Mapping  *parse.Mapping `json:"mapping,omitempty"`
	Sources  []string       `json:"sources,omitempty"` // syslog senders: addresses or CIDR blocks
}

// Check returns errs.Invalid naming each bad field.
func (n *NewSensor) Check() error {
	var l errs.List
	n.Name = strings.TrimSpace(n.Name)
	n.Location = strings.TrimSpace(n.Location)
	if n.Name == "" || utf8.RuneCountInString(n.Name) > 200 {
		l = append(l, errs.F(errs.Invalid, "name", "give a name of 1 to 200 characters"))
	}
	if utf8.RuneCountInString(n.Location) > 200 {
		l = append(l, errs.F(errs.Invalid, "location", "is longer than 200 characters"))
	}
	if n.Kind == "" {
		n.Kind = "nids"
	}
	if !contains(Kinds, n.Kind) {
		l = append(l, errs.F(errs.Invalid, "kind", "must be one of %s", strings.Join(Kinds, ", ")))
	}
	if n.Format == "" {
		n.Format = parse.FormatEVE
	}
	if !n.Format.Valid() {
		l = append(l, errs.F(errs.Invalid, "format", "must be one of eve, zeek, syslog, cef, json"))
	}
	if n.Format == parse.FormatJSON {
		if n.Mapping == nil {
			l = append(l, errs.F(errs.Invalid, "mapping", "format json needs a field mapping"))
		} else if err := n.Mapping.Check(); err != nil {
			l = append(l, errs.Fields(err)...)
		}
	} else if n.Mapping != nil {
		l = append(l, errs.F(errs.Invalid, "mapping", "only format json takes a mapping"))
	}
	if len(n.Sources) > 100 {
		l = append(l, errs.F(errs.Invalid, "sources", "at most 100 senders"))
	}
	for i, src := range n.Sources {
		p, err := netip.ParsePrefix(src)
		if err != nil {
			a, err2 := netip.ParseAddr(src)
			if err2 != nil {
				l = append(l, errs.F(errs.Invalid, "sources", "%q is not an address or CIDR block", src))
				continue
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		n.Sources[i] = p.Masked().String()
	}
	return l.Err()
}

// FromSource reports whether a syslog message from addr is this sensor's.
func (s Sensor) FromSource(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, src := range s.Sources {
		if p, err := netip.ParsePrefix(src); err == nil && p.Contains(addr) {
			return true
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// newToken returns a fresh sensor token.
func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return TokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}
