package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/incident"
)

// validateIncidents checks the incident settings.
func (c Config) validateIncidents() error {
	if _, err := incident.ParseSLAs(c.IncidentSLA); err != nil {
		return fmt.Errorf("incident-sla: %v", err)
	}
	if lv, ok := incident.ParseLevel(c.IncidentEscalateAt); !ok || lv < incident.Medium {
		return fmt.Errorf("incident-escalate-at: %q is not medium, high, severe or emergency", c.IncidentEscalateAt)
	}
	if _, err := c.IncidentMaxEvidenceBytes(); err != nil {
		return err
	}
	return nil
}

// IncidentMaxEvidenceBytes is incident-max-evidence in bytes.
func (c Config) IncidentMaxEvidenceBytes() (int64, error) {
	n, err := strconv.ParseInt(strings.TrimSpace(c.IncidentMaxEvidence), 10, 64)
	if err != nil || n <= 0 || n > 1<<20 {
		return 0, fmt.Errorf("incident-max-evidence: %q is not a number of MiB from 1 to 1048576", c.IncidentMaxEvidence)
	}
	return n << 20, nil
}

// IncidentEscalateOrgs lists the playbook's organisations.
func (c Config) IncidentEscalateOrgs() []string {
	var out []string
	for _, s := range strings.Split(c.IncidentEscalate, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
