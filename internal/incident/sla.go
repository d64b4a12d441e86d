package incident

import (
	"fmt"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// SLA is how soon a case of one severity must be acknowledged (moved to
// triage) and first responded to (moved to response).
type SLA struct {
	Ack      time.Duration `json:"ack"`
	Response time.Duration `json:"response"`
}

// SLAs holds one SLA per severity level.
type SLAs map[Level]SLA

// DefaultSLAs are the targets when none are configured.
var DefaultSLAs = SLAs{
	Emergency: {15 * time.Minute, time.Hour},
	Severe:    {30 * time.Minute, 2 * time.Hour},
	High:      {time.Hour, 4 * time.Hour},
	Medium:    {4 * time.Hour, 24 * time.Hour},
	Low:       {24 * time.Hour, 72 * time.Hour},
	Baseline:  {72 * time.Hour, 168 * time.Hour},
}

// Validate refuses negative or zero durations and a first response due
// before the acknowledgement.
func (s SLAs) Validate() error {
	var l errs.List
	for lv, v := range s {
		if lv < Baseline || lv > Emergency {
			l.Add(errs.Invalid, "sla", "unknown severity level %d", int(lv))
			continue
		}
		if v.Ack <= 0 || v.Response <= 0 {
			l.Add(errs.Invalid, "sla."+lv.String(), "durations must be positive, got ack %s and response %s", v.Ack, v.Response)
		} else if v.Response < v.Ack {
			l.Add(errs.Invalid, "sla."+lv.String(), "first response (%s) cannot be due before acknowledgement (%s)", v.Response, v.Ack)
		}
	}
	return l.Err()
}

// For returns the SLA of lv, the default where none is configured.
func (s SLAs) For(lv Level) SLA {
	if v, ok := s[lv]; ok {
		return v
	}
	return DefaultSLAs[lv]
}

// ParseSLAs reads "severe=30m/2h,high=1h/4h": per level, acknowledgement
// and first response. Levels not named keep their defaults.
func ParseSLAs(s string) (SLAs, error) {
	out := SLAs{}
	for k, v := range DefaultSLAs {
		out[k] = v
	}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for i, part := range strings.Split(s, ",") {
		name, durs, ok := strings.Cut(strings.TrimSpace(part), "=")
		lv, lok := ParseLevel(strings.TrimSpace(name))
		a, r, dok := strings.Cut(durs, "/")
		if !ok || !lok || !dok {
			return nil, errs.F(errs.Invalid, fmt.Sprintf("sla[%d]", i), "write level=ack/response, e.g. severe=30m/2h; got %q", part)
		}
		ad, err1 := time.ParseDuration(strings.TrimSpace(a))
		rd, err2 := time.ParseDuration(strings.TrimSpace(r))
		if err1 != nil || err2 != nil {
			return nil, errs.F(errs.Invalid, fmt.Sprintf("sla[%d]", i), "bad duration in %q", part)
		}
		out[lv] = SLA{Ack: ad, Response: rd}
	}
	return out, out.Validate()
}
