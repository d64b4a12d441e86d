package policy

// The actions of GSOC monitoring (package monitor).
const (
	ManageSensors  Action = "sensor.manage"  // register sensors (Target.OrgID: the monitored organisation)
	ReadMonitoring Action = "monitor.read"   // see sensors, alerts and raw events (Target.OrgID: whose; "" = every organisation's)
	EscalateAlert  Action = "alert.escalate" // send an alert to an incident by hand (Target.OrgID: the alert's organisation)
)

// decideMonitor decides the monitoring actions; handled is false for any
// other action. Hub administrators (the GSOC) see and manage every
// organisation's monitoring; everyone else only their own organisation's,
// and registering sensors or escalating takes an analyst or more with a
// write credential.
func decideMonitor(v Viewer, a Action, t Target) (ok bool, why string, handled bool) {
	hub := v.Role == HubAdmin
	ownOrg := t.OrgID != "" && t.OrgID == v.OrgID
	switch a {
	case ReadMonitoring:
		return hub || ownOrg, "you may see only your own organisation's sensors and alerts", true
	case ManageSensors, EscalateAlert:
		if v.Scope != ScopeWrite {
			return false, "this credential is read-only", true
		}
		if hub {
			return true, "", true
		}
		return ownOrg && v.Role.rank() >= Analyst.rank(), "only your own organisation's analysts and administrators may do this", true
	}
	return false, "", false
}
