package httpapi_test

import (
	"testing"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// seedIncident reports a case with a task, an evidence file and a saved
// search, and returns their ids by the resource names the OpenAPI test
// uses.
func seedIncident(t *testing.T, h *hubtest.Hub) map[string]string {
	t.Helper()
	admin := h.Tokens["admin"]
	var in, task, ev, ss struct{ ID string }
	ok(t, h, req{as: admin, method: "POST", path: "/incidents", body: `{"title":"Seed","tlp":"amber"}`}, 201, &in)
	ok(t, h, req{as: admin, method: "POST", path: "/incidents/" + in.ID + "/tasks", body: `{"title":"Look","assignee_org":"ncc"}`}, 201, &task)
	ok(t, h, req{as: admin, method: "POST", path: "/incidents/" + in.ID + "/evidence?name=a.txt", body: `hello`}, 201, &ev)
	ok(t, h, req{as: admin, method: "POST", path: "/incident-searches", body: `{"name":"open","query":"status=triage"}`}, 201, &ss)
	return map[string]string{"incidents": in.ID, "incident-tasks": task.ID, "incident-evidence": ev.ID, "incident-searches": ss.ID}
}
