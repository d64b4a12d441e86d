package monitor

import "testing"

func TestDecide(t *testing.T) {
	tests := []struct {
		name  string
		a     Alert
		tier  int
		want  bool
		rule  string
		rules []Rule
	}{
		{"high severity, trusted", Alert{Severity: 1, Score: 60, Count: 1}, 3, true, "high severity", nil},
		{"high severity, weak indicator", Alert{Severity: 1, Score: 40, Count: 1}, 3, false, "", nil},
		{"tier 1, trusted", Alert{Severity: 3, Score: 75, Count: 1}, 1, true, "national-level organisation", nil},
		{"tier 1, weak", Alert{Severity: 3, Score: 60, Count: 1}, 1, false, "", nil},
		{"tier 2 persistent", Alert{Severity: 3, Score: 55, Count: 100}, 2, true, "persistent on a high-tier organisation", nil},
		{"tier 2 not yet persistent", Alert{Severity: 3, Score: 55, Count: 99}, 2, false, "", nil},
		{"tier 3 persistent", Alert{Severity: 3, Score: 90, Count: 1000}, 3, false, "", nil},
		{"unknown severity never meets a severity rule", Alert{Severity: 0, Score: 90, Count: 1}, 3, false, "", nil},
		{"unknown tier never meets a tier rule", Alert{Severity: 3, Score: 90, Count: 1000}, 0, false, "", nil},
		{"no rules", Alert{Severity: 1, Score: 100, Count: 1}, 1, false, "", []Rule{}},
		{"empty rule holds always", Alert{}, 0, true, "all", []Rule{{Name: "all"}}},
		{"first rule that holds wins", Alert{Severity: 1, Score: 80, Count: 1}, 1, true, "high severity", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rules := tc.rules
			if rules == nil {
				rules = DefaultRules
			}
			d := Decide(rules, tc.a, tc.tier)
			if d.Escalate != tc.want || d.Rule != tc.rule {
				t.Errorf("Decide = %+v, want escalate %v by %q", d, tc.want, tc.rule)
			}
		})
	}
}
