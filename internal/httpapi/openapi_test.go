package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/httpapi"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

type doc = map[string]any

// fetchSpec reads the served OpenAPI document, anonymously.
func fetchSpec(t *testing.T, h *hubtest.Hub) doc {
	t.Helper()
	var d doc
	ok(t, h, req{method: "GET", path: "/openapi.json"}, 200, &d)
	return d
}

// operations returns "METHOD /path" for every operation of d.
func operations(d doc) map[string]doc {
	ops := map[string]doc{}
	for path, item := range d["paths"].(doc) {
		for method, op := range item.(doc) {
			ops[strings.ToUpper(method)+" "+path] = op.(doc)
		}
	}
	return ops
}

// resolve follows a local JSON pointer such as "#/components/schemas/Org".
func resolve(d doc, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("not a local reference: %q", ref)
	}
	var cur any = d
	for _, part := range strings.Split(ref[2:], "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		m, ok := cur.(doc)
		if !ok || m[part] == nil {
			return nil, fmt.Errorf("%s does not resolve at %q", ref, part)
		}
		cur = m[part]
	}
	return cur, nil
}

// walk calls fn on every object in v.
func walk(v any, fn func(doc)) {
	switch x := v.(type) {
	case doc:
		fn(x)
		for _, c := range x {
			walk(c, fn)
		}
	case []any:
		for _, c := range x {
			walk(c, fn)
		}
	}
}

// TestOpenAPIWellFormed checks the document's structure as OpenAPI 3.1.
func TestOpenAPIWellFormed(t *testing.T) {
	d := fetchSpec(t, hubtest.New(t))
	if v, _ := d["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
		t.Errorf("openapi = %q", v)
	}
	info, _ := d["info"].(doc)
	if info["title"] == "" || info["version"] == "" || info["title"] == nil || info["version"] == nil {
		t.Errorf("info = %v", info)
	}
	if s, _ := d["servers"].([]any); len(s) == 0 {
		t.Error("no servers")
	}
	tags := map[string]bool{}
	for _, tg := range d["tags"].([]any) {
		tags[tg.(doc)["name"].(string)] = true
	}
	comps := d["components"].(doc)
	schemes := comps["securitySchemes"].(doc)
	for _, s := range []string{"bearerAuth", "cookieSession"} {
		if schemes[s] == nil {
			t.Errorf("no security scheme %s", s)
		}
	}
	for _, req := range d["security"].([]any) {
		for name := range req.(doc) {
			if schemes[name] == nil {
				t.Errorf("security names unknown scheme %s", name)
			}
		}
	}
	ids := map[string]bool{}
	paramRE := regexp.MustCompile(`\{([^}]+)\}`)
	for key, op := range operations(d) {
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] {
			t.Errorf("%s: operationId %q missing or repeated", key, id)
		}
		ids[id] = true
		if r, _ := op["responses"].(doc); len(r) == 0 {
			t.Errorf("%s: no responses", key)
		}
		for _, tg := range op["tags"].([]any) {
			if !tags[tg.(string)] {
				t.Errorf("%s: undeclared tag %v", key, tg)
			}
		}
		var want, got []string
		for _, m := range paramRE.FindAllStringSubmatch(key, -1) {
			want = append(want, m[1])
		}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			p := p.(doc)
			if p["in"] == "path" {
				got = append(got, p["name"].(string))
				if p["required"] != true {
					t.Errorf("%s: path parameter %v not required", key, p["name"])
				}
			}
			if p["schema"] == nil {
				t.Errorf("%s: parameter %v has no schema", key, p["name"])
			}
		}
		if !slices.Equal(want, got) {
			t.Errorf("%s: path parameters %v, template has %v", key, got, want)
		}
	}
	walk(d, func(o doc) {
		if ref, ok := o["$ref"].(string); ok {
			if _, err := resolve(d, ref); err != nil {
				t.Error(err)
			}
		}
	})
	problem, err := resolve(d, "#/components/schemas/Problem")
	if err != nil {
		t.Fatal(err)
	}
	props := problem.(doc)["properties"].(doc)
	for _, f := range []string{"type", "title", "status", "detail", "instance", "code", "request_id", "errors"} {
		if props[f] == nil {
			t.Errorf("Problem has no %s", f)
		}
	}
	field, _ := resolve(d, props["errors"].(doc)["items"].(doc)["$ref"].(string))
	for _, f := range []string{"field", "code", "message"} {
		if field.(doc)["properties"].(doc)[f] == nil {
			t.Errorf("Problem errors[] have no %s", f)
		}
	}
}

// TestOpenAPIMatchesRoutes checks that every route registered on the mux is
// in the document with the same method and path template, and that every
// operation in the document is served: not 404 or 405 with real ids, and
// answering JSON that fits the documented schema.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	h := hubtest.New(t)
	d := fetchSpec(t, h)
	ops := operations(d)
	routes := httpapi.New(httpapi.Deps{Evidence: h.Evidence, Intel: h.Intel, Monitor: h.Monitor, Incidents: h.Incidents, Partners: h.Partners}).Routes()
	for _, r := range routes {
		if ops[r] == nil {
			t.Errorf("route %q is not in the document", r)
		}
	}
	admin := h.Tokens["admin"]
	ok(t, h, req{as: admin, method: "POST", path: "/communities", body: `{"slug":"gov","name":"Government"}`}, 201, nil)
	var tok struct{ ID string }
	ok(t, h, req{as: admin, method: "POST", path: "/tokens", body: `{"name":"to revoke"}`}, 201, &tok)
	var rq, rule, hold struct{ ID string }
	ok(t, h, req{as: h.Tokens["officer"], method: "POST", path: "/evidence/requests", body: `{"reference":"R-1","legal_basis":"art. 197",
		"scope":{"kinds":["audit"],"since":"2026-01-01T00:00:00Z","until":"2026-02-01T00:00:00Z"}}`}, 201, &rq)
	ok(t, h, req{as: admin, method: "POST", path: "/retention/rules", body: `{"kind":"events","days":30}`}, 201, &rule)
	ok(t, h, req{as: admin, method: "POST", path: "/retention/holds", body: `{"reason":"case 1"}`}, 201, &hold)
	h.Anchor(t)
	objID := "indicator--00000000-0000-4000-8000-0000000000aa"
	ok(t, h, req{as: admin, method: "POST", path: "/objects?tlp=green", body: `{"type":"indicator","spec_version":"2.1","id":"` + objID +
		`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[ipv4-addr:value = '198.51.100.7']",` +
		`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`}, 201, nil)
	var sn struct {
		Sensor struct{ ID string }
		Token  string
	}
	ok(t, h, req{as: admin, method: "POST", path: "/sensors", body: `{"name":"edge","format":"eve"}`}, 201, &sn)
	h.RefreshIndicators(t)
	var receipt struct{ Batches []string }
	ok(t, h, req{as: sn.Token, method: "POST", path: "/ingest", body: `{"timestamp":"` + time.Now().UTC().Format(time.RFC3339) +
		`","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.7"}`}, 202, &receipt)
	var alerts struct{ Items []struct{ ID string } }
	ok(t, h, req{as: admin, method: "GET", path: "/alerts"}, 200, &alerts)
	if len(alerts.Items) != 1 {
		t.Fatalf("alerts: %+v", alerts)
	}
	ok(t, h, req{as: admin, method: "POST", path: "/partners", body: `{"slug":"cert-x","name":"CERT X","country":"FR","org":"isp-a",
		"api_root":"https://taxii.cert-x.example/api1/","collection":"c1","direction":"pull","username":"kyojo","secret":"s","markings":["clear"]}`}, 201, nil)
	refs := map[string]string{"partners": "cert-x", "objects": objID, "organizations": "mof", "communities": "gov", "users": "bob", "tokens": tok.ID,
		"evidence": rq.ID, "audit": "1", "/retention/rules": rule.ID, "/retention/holds": hold.ID}
	var feed, sub, rep struct{ ID string }
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/feeds", body: `{"zone":"rpz.test."}`}, 201, &feed)
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/subscribers", body: `{"name":"isp-a-ns","org_id":"isp-a","feeds":["` + feed.ID + `"],"allow":["127.0.0.1/32"]}`}, 201, &sub)
	ok(t, h, req{as: admin, method: "POST", path: "/rpz/allowlist", body: `{"name":"ok.example"}`}, 201, nil)
	ok(t, h, req{method: "POST", path: "/rpz/reports", body: `{"name":"shop.example","reason":"ours"}`}, 201, &rep)
	refs["/rpz/feeds"], refs["/rpz/subscribers"], refs["/rpz/allowlist"], refs["/rpz/reports"] = feed.ID, sub.ID, "ok.example", rep.ID
	refs["sensors"], refs["alerts"], refs["batches"] = sn.Sensor.ID, alerts.Items[0].ID, receipt.Batches[0]
	for k, v := range seedIncident(t, h) {
		refs[k] = v
	}

	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	// Deletions last, so that what they delete is read first.
	sort.Slice(keys, func(i, j int) bool {
		di, dj := strings.HasPrefix(keys[i], "DELETE "), strings.HasPrefix(keys[j], "DELETE ")
		if di != dj {
			return dj
		}
		return keys[i] < keys[j]
	})
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			if !slices.Contains(routes, key) {
				t.Errorf("documented but not registered")
			}
			method, path, _ := strings.Cut(key, " ")
			path = strings.TrimPrefix(path, "/api/v1")
			resource := strings.Split(path, "/")[1]
			ref := refs[resource]
			for prefix, id := range refs {
				if strings.HasPrefix(path, prefix+"/") && strings.HasPrefix(prefix, "/") {
					ref = id
				}
			}
			path = regexp.MustCompile(`\{[^}]+\}`).ReplaceAllString(path, ref)
			queries := map[string]string{"GET /api/v1/ledger/proofs/inclusion": "?index=0", "GET /api/v1/ledger/proofs/consistency": "?old=1", "GET /api/v1/ledger/witnessed": "?origin=x", "GET /api/v1/search": "?value=198.51.100.7"}
			q := req{as: admin, method: method, path: path + queries[key]}
			if method != "GET" && method != "DELETE" {
				q.body = `{}`
			}
			r := call(t, h, q)
			if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
				t.Fatalf("not served: %d %s", r.status, r.body)
			}
			if method != "GET" || resource == "openapi.json" {
				return
			}
			if _, isJSON := ops[key]["responses"].(doc)["200"].(doc)["content"]; !isJSON {
				return // a download, not JSON
			}
			schema := ops[key]["responses"].(doc)["200"].(doc)["content"].(doc)["application/json"].(doc)["schema"]
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatal(err)
			}
			for _, err := range fits(d, schema, v, "$") {
				t.Error(err)
			}
		})
	}
}

// fits checks v against the subset of JSON Schema the document uses: type,
// properties, required, additionalProperties false, items, enum, $ref.
func fits(d doc, schema, v any, at string) []error {
	s, _ := schema.(doc)
	if ref, ok := s["$ref"].(string); ok {
		target, err := resolve(d, ref)
		if err != nil {
			return []error{err}
		}
		return fits(d, target, v, at)
	}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(at+": "+format, args...)) }
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, v) {
		bad("%v is not one of %v", v, e)
	}
	switch s["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			bad("not an object")
			break
		}
		props, _ := s["properties"].(doc)
		for _, r := range asStrings(s["required"]) {
			if _, ok := m[r]; !ok {
				bad("required %q missing", r)
			}
		}
		for k, val := range m {
			if p, ok := props[k]; ok {
				errs = append(errs, fits(d, p, val, at+"."+k)...)
			} else if s["additionalProperties"] == false {
				bad("undocumented property %q", k)
			}
		}
	case "array":
		a, ok := v.([]any)
		if !ok {
			bad("not an array")
			break
		}
		for i, x := range a {
			errs = append(errs, fits(d, s["items"], x, fmt.Sprintf("%s[%d]", at, i))...)
		}
	case "string":
		if _, ok := v.(string); !ok {
			bad("not a string")
		}
	case "integer":
		if f, ok := v.(float64); !ok || f != float64(int64(f)) {
			bad("not an integer")
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			bad("not a boolean")
		}
	}
	return errs
}

func asStrings(v any) []string {
	var out []string
	a, _ := v.([]any)
	for _, x := range a {
		out = append(out, x.(string))
	}
	return out
}
