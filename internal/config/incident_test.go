package config

import (
	"strings"
	"testing"
)

func TestIncidentSettings(t *testing.T) {
	c, err := load(t, []string{"--incident-sla", "severe=10m/1h", "--incident-escalate", " npa , mod ,", "--incident-max-evidence", "10"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.IncidentMaxEvidenceBytes(); n != 10<<20 || strings.Join(c.IncidentEscalateOrgs(), ",") != "npa,mod" {
		t.Errorf("%+v", c)
	}
	for _, bad := range [][]string{
		{"--incident-sla", "severe=-10m/1h"},
		{"--incident-sla", "high=2h/1h"},
		{"--incident-sla", "whenever"},
		{"--incident-escalate-at", "low"},
		{"--incident-max-evidence", "-1"},
		{"--incident-max-evidence", "lots"},
	} {
		if _, err := load(t, bad, nil); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if _, err := load(t, nil, []string{"KYOJO_INCIDENT_SLA=low=-1h/2h"}); err == nil || !strings.Contains(err.Error(), "incident-sla") {
		t.Errorf("negative SLA from the environment: %v", err)
	}
}
