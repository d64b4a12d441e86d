package httpapi

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/monitor"
	"github.com/kyojo-hub/kyojo/internal/partner"
)

// operation documents one route. The list below is written apart from the
// route table on purpose: a test checks that the two agree both ways.
type operation struct {
	method, path string
	id, tag      string
	summary      string
	query        []param
	body         reflect.Type // request body; nil for none
	status       int          // success status
	resp         reflect.Type // success body; nil for none
	fails        []int        // problem statuses that can answer, besides 401 and 500
	public       bool         // open to anonymous callers
}

// param is one query parameter.
type param struct{ name, description, format string }

var (
	orgList       = typeOf[items[identity.Org]]()
	communityList = typeOf[items[identity.Community]]()
	userList      = typeOf[items[identity.User]]()
	tokenList     = typeOf[items[identity.Token]]()
	write         = []int{400, 403, 404, 409, 413, 415, 422}
)

var operations = []operation{
	{method: "GET", path: "/me", id: "getMe", tag: "me", summary: "Who the caller is", status: 200, resp: typeOf[me]()},

	{method: "GET", path: "/organizations", id: "listOrganizations", tag: "organizations", summary: "List the directory of organisations",
		query:  []param{{"kind", "only this kind", ""}, {"sector", "only this critical-infrastructure sector", ""}, {"q", "substring of slug, name or Japanese name", ""}},
		status: 200, resp: orgList, fails: []int{400}},
	{method: "POST", path: "/organizations", id: "createOrganization", tag: "organizations", summary: "Register an organisation (hub administrators)",
		body: typeOf[orgInput](), status: 201, resp: typeOf[identity.Org](), fails: write},
	{method: "GET", path: "/organizations/{ref}", id: "getOrganization", tag: "organizations", summary: "Read one organisation",
		status: 200, resp: typeOf[identity.Org](), fails: []int{404}},
	{method: "PATCH", path: "/organizations/{ref}", id: "updateOrganization", tag: "organizations", summary: "Change an organisation",
		body: typeOf[identity.OrgPatch](), status: 200, resp: typeOf[identity.Org](), fails: write},

	{method: "GET", path: "/communities", id: "listCommunities", tag: "communities", summary: "List the communities", status: 200, resp: communityList},
	{method: "POST", path: "/communities", id: "createCommunity", tag: "communities", summary: "Form a community (hub administrators)",
		body: typeOf[communityInput](), status: 201, resp: typeOf[identity.Community](), fails: write},
	{method: "GET", path: "/communities/{ref}", id: "getCommunity", tag: "communities", summary: "Read one community",
		status: 200, resp: typeOf[identity.Community](), fails: []int{404}},
	{method: "PATCH", path: "/communities/{ref}", id: "updateCommunity", tag: "communities", summary: "Change a community or its members (hub administrators)",
		body: typeOf[identity.CommunityPatch](), status: 200, resp: typeOf[identity.Community](), fails: write},

	{method: "GET", path: "/users", id: "listUsers", tag: "users", summary: "List people (one's own organisation; every one for hub administrators)",
		query:  []param{{"org", "organisation id or slug", ""}, {"q", "substring of username, display name or e-mail", ""}},
		status: 200, resp: userList, fails: []int{403, 404}},
	{method: "POST", path: "/users", id: "createUser", tag: "users", summary: "Add a person",
		body: typeOf[identity.NewUser](), status: 201, resp: typeOf[identity.User](), fails: write},
	{method: "GET", path: "/users/{ref}", id: "getUser", tag: "users", summary: "Read one person",
		status: 200, resp: typeOf[identity.User](), fails: []int{404}},
	{method: "PATCH", path: "/users/{ref}", id: "updateUser", tag: "users", summary: "Change a person; only hub administrators may change compartments",
		body: typeOf[identity.UserPatch](), status: 200, resp: typeOf[identity.User](), fails: write},
	{method: "PUT", path: "/users/{ref}/password", id: "setPassword", tag: "users", summary: "Change or reset a password; ends the person's sessions",
		body: typeOf[passwordInput](), status: 204, fails: write},

	{method: "GET", path: "/tokens", id: "listTokens", tag: "tokens", summary: "List API tokens (one's own; anyone's for hub administrators)",
		query: []param{{"user", "id or username of the owner (hub administrators)", ""}}, status: 200, resp: tokenList, fails: []int{403, 404}},
	{method: "POST", path: "/tokens", id: "createToken", tag: "tokens", summary: "Create an API token; the secret is answered once",
		query: []param{{"user", "id or username of the owner (hub administrators)", ""}},
		body:  typeOf[tokenInput](), status: 201, resp: typeOf[newToken](), fails: write},
	{method: "DELETE", path: "/tokens/{id}", id: "revokeToken", tag: "tokens", summary: "Revoke an API token", status: 204, fails: []int{403, 404}},

	{method: "GET", path: "/audit", id: "listAudit", tag: "audit", summary: "Browse the audit trail, newest first (administrators)",
		query: []param{
			{"actor", "id or username of who acted", ""}, {"org", "id or slug of the organisation acting or acted on", ""},
			{"action", `exact action, or a prefix ending in "." such as "org."`, ""}, {"object", "id of the object", ""},
			{"outcome", "success, denied or failure", ""}, {"since", "from this time on (RFC 3339)", "date-time"},
			{"until", "before this time (RFC 3339)", "date-time"}, {"before", "only records with a smaller seq (the cursor of the next page)", "int64"},
			{"limit", "at most this many records, 1 to 1000 (default 100)", "int32"}},
		status: 200, resp: typeOf[auditPage](), fails: []int{400, 403, 404}},
	{method: "GET", path: "/audit/{seq}/proof", id: "getAuditProof", tag: "ledger", summary: "Whether an audit record is in the ledger, with its inclusion proof",
		status: 200, resp: typeOf[evidence.ProofStatus](), fails: []int{400}},

	{method: "GET", path: "/ledger", id: "getLedger", tag: "ledger", summary: "The ledger's origin, verifier key, size and latest signed checkpoint (public)",
		status: 200, resp: typeOf[evidence.Info](), public: true},
	{method: "GET", path: "/ledger/proofs/inclusion", id: "getInclusionProof", tag: "ledger", summary: "Inclusion proof of an entry",
		query:  []param{{"index", "the entry's index", "int64"}, {"size", "tree size (default: the latest checkpoint's)", "int64"}},
		status: 200, resp: typeOf[evidence.Inclusion](), fails: []int{400, 404, 422}},
	{method: "GET", path: "/ledger/proofs/consistency", id: "getConsistencyProof", tag: "ledger", summary: "Consistency proof between two tree sizes",
		query:  []param{{"old", "the older tree size", "int64"}, {"new", "the newer tree size (default: the latest checkpoint's)", "int64"}},
		status: 200, resp: typeOf[evidence.Consistency](), fails: []int{400, 422}},

	{method: "GET", path: "/ledger/witnessed", id: "getWitnessed", tag: "ledger", summary: "The size of another log's checkpoint this hub last co-signed as its witness",
		query: []param{{"origin", "the other log's origin", ""}}, status: 200, resp: typeOf[witnessState](), fails: []int{400}},
	{method: "POST", path: "/ledger/cosign", id: "cosignCheckpoint", tag: "ledger", summary: "Witness another hub's checkpoint: verify, check consistency, co-sign (hub administrators, partner hubs)",
		body: typeOf[evidence.CosignInput](), status: 200, resp: typeOf[cosigned](), fails: []int{400, 403, 409, 422}},

	{method: "GET", path: "/objects", id: "listObjects", tag: "intel", summary: "STIX objects the caller may see (latest versions), oldest stored first",
		query: []param{{"type", "only this STIX type (repeatable)", ""}, {"tlp", "only this TLP level", ""}, {"community", "only shared to this community id", ""},
			{"author", "only shared by this organisation (id or slug)", ""}, {"source", "only from this source", ""},
			{"added_after", "only stored after this time (RFC 3339)", "date-time"}, {"after", "the cursor of the next page", "int64"},
			{"limit", "at most this many, 1 to 1000 (default 100)", "int32"}},
		status: 200, resp: typeOf[objectPage](), fails: []int{400, 404}},
	{method: "POST", path: "/objects", id: "putObjects", tag: "intel", summary: "Share a STIX 2.1 object or bundle; each object is created, updated, skipped or rejected with its reason",
		query: []param{{"tlp", "the TLP level (default: the object's marking, else the hub's default)", ""},
			{"community", "share to this community (repeatable)", ""}, {"org", "share to this organisation (repeatable)", ""},
			{"user", "share to this person, for TLP:RED (repeatable)", ""}, {"compartment", "need-to-know compartment (repeatable)", ""},
			{"anonymous", "recipients see the hub as author", ""}},
		body: typeOf[map[string]any](), status: 201, resp: typeOf[intel.Result](), fails: []int{400, 403, 413, 415, 422}},
	{method: "GET", path: "/objects/{id}", id: "getObject", tag: "intel", summary: "One object: the latest version, or every version with versions=all",
		query: []param{{"versions", "all: every version, oldest first", ""}}, status: 200, resp: typeOf[intel.Object](), fails: []int{400, 404}},
	{method: "GET", path: "/objects/{id}/related", id: "getRelatedObjects", tag: "intel", summary: "Objects sharing an observable value with this one (correlation)",
		status: 200, resp: typeOf[versionsPage](), fails: []int{404}},
	{method: "POST", path: "/objects/{id}/revoke", id: "revokeObject", tag: "intel", summary: "Publish a revoked version (the sharing organisation)",
		status: 200, resp: typeOf[intel.Object](), fails: []int{403, 404, 422}},
	{method: "GET", path: "/search", id: "search", tag: "intel", summary: "Everything the caller may see about a value: IP (and the CIDR blocks around it), CIDR, domain (and subdomains), URL, hash, e-mail",
		query: []param{{"value", "the value to look up", ""}}, status: 200, resp: typeOf[intel.SearchResult](), fails: []int{422}},

	{method: "GET", path: "/export", id: "export", tag: "intel", summary: "Everything the caller may see, as a STIX 2.1 bundle or for firewalls and other tools",
		query: []param{{"format", "stix (default), misp, csv or plain", ""}, {"type", "only this STIX type (repeatable)", ""},
			{"community", "only shared to this community id", ""}, {"source", "only from this source", ""}, {"kind", "plain: ip, domain, url, md5, sha1, sha256", ""}},
		status: 200, resp: typeOf[map[string]any](), fails: []int{400}},

	{method: "POST", path: "/imports", id: "importFeed", tag: "intel", summary: "Import a file (the body) or a URL in STIX, MISP, CSV or plain-list form; known values become sightings",
		query: []param{{"format", "auto (default), stix, misp, csv or plain", ""}, {"url", "fetch this http(s) URL instead of reading the body", ""},
			{"allow_private", "true: the URL may reach private addresses (hub administrators)", ""}, {"name", "the file's name, for detection and the source", ""},
			{"source", "name of the source", ""}, {"tlp", "the TLP level", ""}, {"community", "share to this community (repeatable)", ""},
			{"org", "share to this organisation (repeatable)", ""}, {"anonymous", "recipients see the hub as author", ""},
			{"column", "CSV: column of the value", "int32"}, {"comment_column", "CSV: column of a description", "int32"},
			{"first_seen_column", "CSV: column of first seen", "int32"}, {"type", "CSV/plain: kind of every value (auto)", ""},
			{"delimiter", "CSV: , tab or ;", ""}},
		body: typeOf[map[string]any](), status: 200, resp: typeOf[intel.ImportStats](), fails: []int{400, 403, 413, 422, 503}},

	{method: "GET", path: "/evidence/requests", id: "listEvidenceRequests", tag: "evidence", summary: "Law-enforcement requests (one's own organisation's; all for hub administrators)",
		status: 200, resp: typeOf[items[evidence.Request]](), fails: []int{403}},
	{method: "POST", path: "/evidence/requests", id: "fileEvidenceRequest", tag: "evidence", summary: "File a request for retained data (law enforcement)",
		body: typeOf[requestInput](), status: 201, resp: typeOf[evidence.Request](), fails: write},
	{method: "GET", path: "/evidence/requests/{id}", id: "getEvidenceRequest", tag: "evidence", summary: "Read one request",
		status: 200, resp: typeOf[evidence.Request](), fails: []int{404}},
	{method: "POST", path: "/evidence/requests/{id}/approve", id: "approveEvidenceRequest", tag: "evidence", summary: "Approve a request (a hub administrator other than its author)",
		body: typeOf[decisionInput](), status: 200, resp: typeOf[evidence.Request](), fails: write},
	{method: "POST", path: "/evidence/requests/{id}/reject", id: "rejectEvidenceRequest", tag: "evidence", summary: "Reject a request (a hub administrator other than its author)",
		body: typeOf[decisionInput](), status: 200, resp: typeOf[evidence.Request](), fails: write},
	{method: "POST", path: "/evidence/requests/{id}/bundle", id: "produceEvidenceBundle", tag: "evidence", summary: "Produce the forensic bundle of an approved request (verify offline with kyojo ledger verify)",
		status: 200, resp: typeOf[map[string]any](), fails: []int{403, 404, 409, 422}},

	{method: "GET", path: "/retention/rules", id: "listRetentionRules", tag: "retention", summary: "Retention rules", status: 200, resp: typeOf[items[evidence.Rule]]()},
	{method: "POST", path: "/retention/rules", id: "putRetentionRule", tag: "retention", summary: "Set a retention rule (hub administrators); refused if it would delete data under legal hold",
		body: typeOf[ruleInput](), status: 201, resp: typeOf[evidence.Rule](), fails: write},
	{method: "DELETE", path: "/retention/rules/{id}", id: "deleteRetentionRule", tag: "retention", summary: "Delete a retention rule (hub administrators)", status: 204, fails: []int{403, 404}},
	{method: "GET", path: "/retention/holds", id: "listLegalHolds", tag: "retention", summary: "Legal holds (hub administrators)", status: 200, resp: typeOf[items[evidence.Hold]](), fails: []int{403}},
	{method: "POST", path: "/retention/holds", id: "placeLegalHold", tag: "retention", summary: "Place a legal hold (hub administrators)",
		body: typeOf[holdInput](), status: 201, resp: typeOf[evidence.Hold](), fails: write},
	{method: "POST", path: "/retention/holds/{id}/release", id: "releaseLegalHold", tag: "retention", summary: "Release a legal hold (hub administrators)", status: 204, fails: []int{403, 404}},

	{method: "POST", path: "/ingest", id: "ingestEvents", tag: "monitoring", public: true,
		summary: "Send a batch of sensor events (Authorization: Bearer <sensor token>; lines in the sensor's format, NDJSON for EVE and JSON; Content-Encoding: gzip accepted; Idempotency-Key optional). 202 once stored; 429/503 with Retry-After when over capacity",
		body:    typeOf[string](), status: 202, resp: typeOf[ingestReceipt](), fails: []int{400, 401, 413, 415, 422, 429, 503}},
	{method: "GET", path: "/sensors", id: "listSensors", tag: "monitoring", summary: "Sensors with their health (one's own organisation's; all for hub administrators)",
		status: 200, resp: typeOf[items[monitor.Sensor]](), fails: []int{403}},
	{method: "POST", path: "/sensors", id: "createSensor", tag: "monitoring", summary: "Register a sensor; its token is answered once",
		body: typeOf[monitor.NewSensor](), status: 201, resp: typeOf[newSensor](), fails: write},
	{method: "GET", path: "/sensors/{id}", id: "getSensor", tag: "monitoring", summary: "One sensor with its health: last event, events a second, rejected lines by reason",
		status: 200, resp: typeOf[monitor.Sensor](), fails: []int{404}},
	{method: "GET", path: "/alerts", id: "listAlerts", tag: "monitoring", summary: "Alerts: hits of indicators in monitored organisations' traffic, aggregated; latest first",
		query: []param{{"org", "only this organisation (id or slug)", ""}, {"sector", "only organisations of this sector", ""},
			{"kind", "ip, domain, url, hash, email, ja3, user_agent or pattern", ""}, {"indicator", "only this indicator id", ""},
			{"sensor", "only first seen by this sensor", ""}, {"since", "last seen at or after (RFC 3339)", "date-time"},
			{"severity", "this severe or worse, 1 (high) to 4", "int32"}, {"limit", "at most this many, 1 to 1000 (default 100)", "int32"}},
		status: 200, resp: typeOf[items[monitor.Alert]](), fails: []int{400, 403, 422}},
	{method: "GET", path: "/alerts/{id}", id: "getAlert", tag: "monitoring", summary: "One alert", status: 200, resp: typeOf[monitor.Alert](), fails: []int{404}},
	{method: "GET", path: "/alerts/{id}/events", id: "getAlertEvents", tag: "monitoring", summary: "The raw event lines behind an alert, while kept (at most 1000)",
		status: 200, resp: typeOf[items[string]](), fails: []int{404}},
	{method: "GET", path: "/batches/{id}/raw", id: "getRawBatch", tag: "monitoring", summary: "A kept batch of raw events as stored (S2, zstd or gzip by its first bytes; an attachment, X-Content-SHA256 as in its monitor.batch audit record)",
		status: 200, fails: []int{404}},
	{method: "POST", path: "/alerts/{id}/escalate", id: "escalateAlert", tag: "monitoring", summary: "Open or join an incident for the alert by hand (503 while the hub has no incidents part)",
		status: 200, resp: typeOf[monitor.Alert](), fails: []int{403, 404, 503}},
	{method: "GET", path: "/top-indicators", id: "topIndicators", tag: "monitoring", summary: "The indicators most seen in monitored traffic",
		query:  []param{{"org", "only this organisation (id or slug)", ""}, {"since", "alerts last seen since (RFC 3339; default a day ago)", "date-time"}},
		status: 200, resp: typeOf[items[monitor.TopIndicator]](), fails: []int{400, 403, 422}},
	{method: "GET", path: "/partners", id: "listPartners", tag: "partners", summary: "Federation partners with their health (hub administrators)",
		status: 200, resp: typeOf[items[partner.View]](), fails: []int{403, 503}},
	{method: "POST", path: "/partners", id: "createPartner", tag: "partners", summary: "Register a partner; secret is sealed and never answered (hub administrators)",
		body: typeOf[partner.Input](), status: 201, resp: typeOf[partner.View](), fails: []int{400, 403, 404, 409, 413, 415, 422, 503}},
	{method: "GET", path: "/partners/{ref}", id: "getPartner", tag: "partners", summary: "Read one partner (hub administrators)",
		status: 200, resp: typeOf[partner.View](), fails: []int{403, 404, 503}},
	{method: "PUT", path: "/partners/{ref}", id: "updatePartner", tag: "partners", summary: "Change a partner; an empty secret keeps the stored one; a new endpoint or collection resets the bookmarks (hub administrators)",
		body: typeOf[partner.Input](), status: 200, resp: typeOf[partner.View](), fails: []int{400, 403, 404, 409, 413, 415, 422, 503}},
	{method: "DELETE", path: "/partners/{ref}", id: "deletePartner", tag: "partners", summary: "Remove a partner, its credential and its exchange records (hub administrators)",
		status: 204, fails: []int{403, 404, 503}},
	{method: "GET", path: "/partners/{ref}/exchanges", id: "listPartnerExchanges", tag: "partners", summary: "A partner's latest exchanges, newest first: objects in and out, failures, errors (hub administrators)",
		query: []param{{"limit", "how many (1 to 1000, default 100)", "int32"}}, status: 200, resp: typeOf[items[partner.Exchange]](), fails: []int{400, 403, 404, 503}},
}

var tags = []obj{
	{"name": "me", "description": "The caller"},
	{"name": "organizations", "description": "Member organisations and their points of contact"},
	{"name": "communities", "description": "Sharing groups of organisations"},
	{"name": "users", "description": "People and their roles"},
	{"name": "tokens", "description": "API tokens"},
	{"name": "audit", "description": "The audit trail"},
	{"name": "intel", "description": "Threat intelligence: STIX 2.1 objects, sharing, search"},
	{"name": "ledger", "description": "The tamper-evident evidence ledger: checkpoints and proofs"},
	{"name": "evidence", "description": "Law-enforcement requests for retained data and forensic bundles"},
	{"name": "retention", "description": "Retention rules and legal holds"},
	{"name": "monitoring", "description": "GSOC monitoring: sensors, event ingest, alerts"},
	{"name": "partners", "description": "Federation partners reached over TAXII 2.1: registry, outbound policy, exchanges, health"},
	{"name": "meta", "description": "This description"},
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// pathParams describes the path parameters by name.
var pathParams = map[string]string{
	"ref": "an id, or a slug (organisations, communities) or a username (people)",
	"id":  "the resource's id",
	"seq": "the audit record's sequence number",
}

// document builds the OpenAPI 3.1 document of the API.
func document(version string) obj {
	if version == "" {
		version = "dev"
	}
	g := &schemas{defs: obj{}}
	paths := obj{}
	for _, op := range operations {
		item, _ := paths[Prefix+op.path].(obj)
		if item == nil {
			item = obj{}
			paths[Prefix+op.path] = item
		}
		item[strings.ToLower(op.method)] = op.build(g)
	}
	spec := obj{"summary": "This OpenAPI document", "operationId": "getOpenAPI", "tags": []string{"meta"},
		"security": []obj{}, "responses": obj{"200": obj{"description": "the document",
			"content": obj{"application/json": obj{"schema": obj{"type": "object"}}}}}}
	paths[Prefix+"/openapi.json"] = obj{"get": spec}

	g.of(typeOf[httpx.Problem]())
	responses := obj{}
	for code := range httpx.Status {
		st := httpx.Status[code]
		responses[strconv.Itoa(st)] = obj{"description": http.StatusText(st) + " (code " + string(code) + ")",
			"content": obj{"application/problem+json": obj{"schema": obj{"$ref": "#/components/schemas/Problem"}}}}
	}
	return obj{
		"openapi": "3.1.0",
		"info": obj{"title": "kyojo API", "version": version,
			"description": "The REST API of a kyojo hub: organisations, communities, people, API tokens and the audit trail. " +
				"Errors are RFC 9457 problem details. Every call is decided by the hub's policy and audited."},
		"servers":  []obj{{"url": "/", "description": "this hub"}},
		"tags":     tags,
		"security": []obj{{"bearerAuth": []string{}}, {"cookieSession": []string{}}},
		"paths":    paths,
		"components": obj{
			"schemas":   g.defs,
			"responses": responses,
			"securitySchemes": obj{
				"bearerAuth":    obj{"type": "http", "scheme": "bearer", "description": "An API token (kyojo_…) from POST /api/v1/tokens."},
				"cookieSession": obj{"type": "apiKey", "in": "cookie", "name": httpx.SessionCookie, "description": "The browser session of the web UI."},
			},
		},
	}
}

// build returns the OpenAPI operation object of op.
func (op operation) build(g *schemas) obj {
	var params []obj
	for _, m := range pathParamRE.FindAllStringSubmatch(op.path, -1) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true,
			"description": pathParams[m[1]], "schema": obj{"type": "string"}})
	}
	for _, q := range op.query {
		s := obj{"type": "string"}
		switch q.format {
		case "date-time":
			s["format"] = q.format
		case "int64", "int32":
			s = obj{"type": "integer", "format": q.format, "minimum": 1}
		}
		params = append(params, obj{"name": q.name, "in": "query", "description": q.description, "schema": s})
	}
	ok := obj{"description": http.StatusText(op.status)}
	if op.resp != nil {
		ok["content"] = obj{"application/json": obj{"schema": g.of(op.resp)}}
	}
	if op.status == http.StatusCreated {
		ok["headers"] = obj{"Location": obj{"description": "the new resource", "schema": obj{"type": "string"}}}
	}
	resps := obj{strconv.Itoa(op.status): ok}
	for _, st := range append([]int{401, 500}, op.fails...) {
		resps[strconv.Itoa(st)] = obj{"$ref": "#/components/responses/" + strconv.Itoa(st)}
	}
	o := obj{"operationId": op.id, "summary": op.summary, "tags": []string{op.tag}, "responses": resps}
	if op.public {
		o["security"] = []obj{}
	}
	if len(params) > 0 {
		o["parameters"] = params
	}
	if op.body != nil {
		o["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": g.of(op.body)}}}
	}
	return o
}

// openAPI serves the document.
func (a *API) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache")
	_, err := w.Write(a.spec)
	return err
}

// specJSON renders the document once, at New.
func specJSON(version string) []byte {
	b, err := json.MarshalIndent(document(version), "", "  ")
	if err != nil {
		panic("httpapi: openapi: " + err.Error())
	}
	return b
}
