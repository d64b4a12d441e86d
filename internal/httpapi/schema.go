package httpapi

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/audit"
	"github.com/kyojo-hub/kyojo/internal/evidence"
	"github.com/kyojo-hub/kyojo/internal/httpx"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// obj is a JSON object of the OpenAPI document.
type obj = map[string]any

// component names a Go type in components/schemas. Required lists the
// required properties; nil means every property without omitempty.
type component struct {
	name, description string
	required          []string
}

// components are the named schemas, generated from the Go types the API
// reads and writes, so that their JSON names cannot drift from the code.
var components = map[reflect.Type]component{
	typeOf[identity.Org]():            {name: "Organization", description: "A member organisation of the hub."},
	typeOf[identity.Contact]():        {name: "Contact", description: "A point of contact in the CSIRT directory; needs an e-mail or a phone.", required: []string{"name"}},
	typeOf[orgInput]():                {name: "OrganizationInput", description: "A new organisation.", required: []string{"slug", "name", "kind"}},
	typeOf[identity.OrgPatch]():       {name: "OrganizationPatch", description: "Changes to an organisation; absent fields stay. Organisation administrators may change only description and contacts.", required: []string{}},
	typeOf[identity.Community]():      {name: "Community", description: "A sharing group of organisations."},
	typeOf[communityInput]():          {name: "CommunityInput", description: "A new community.", required: []string{"slug", "name"}},
	typeOf[identity.CommunityPatch](): {name: "CommunityPatch", description: "Changes to a community; members replaces the list, add and remove edit it.", required: []string{}},
	typeOf[identity.User]():           {name: "User", description: "A person who signs in to the hub, with the need-to-know compartments they hold."},
	typeOf[identity.NewUser]():        {name: "UserInput", description: "A new person. Only hub administrators may give compartments.", required: []string{"username", "org", "password"}},
	typeOf[identity.UserPatch]():      {name: "UserPatch", description: "Changes to a person; absent fields stay. compartments replaces the list of need-to-know compartments (handles of 1 to 48 lower-case letters, digits or hyphens); only hub administrators may change it.", required: []string{}},
	typeOf[passwordInput]():           {name: "PasswordChange", description: "A new password; current_password is required for one's own.", required: []string{"new_password"}},
	typeOf[identity.Token]():          {name: "Token", description: "An API token; its secret is never shown again after creation."},
	typeOf[tokenInput]():              {name: "TokenInput", description: "A new API token. expires_in_days 0 or absent means the longest lifetime.", required: []string{"name"}},
	typeOf[newToken]():                {name: "NewToken", description: "A created token with its secret, shown this once."},
	typeOf[me]():                      {name: "Me", description: "The caller: person, organisation, role and the credential's scope."},
	typeOf[audit.Record]():            {name: "AuditRecord", description: "One entry of the audit trail."},
	typeOf[auditPage]():               {name: "AuditPage", description: "A page of audit records, newest first; next is absent on the last page."},
	typeOf[httpx.Problem]():           {name: "Problem", description: "RFC 9457 problem details with kyojo's code, request id and field errors."},
	typeOf[httpx.ProblemField]():      {name: "ProblemField", description: "One field error of a problem."},
	typeOf[evidence.Request]():        {name: "EvidenceRequest", description: "A law-enforcement request for retained data; a hub administrator other than its author decides it.", required: []string{"id", "reference", "legal_basis", "scope", "status", "requested_by", "requester_org_id", "created_at", "updated_at"}},
	typeOf[evidence.Scope]():          {name: "EvidenceScope", description: "The kinds, organisation and period of retained data a request asks for.", required: []string{"kinds", "since", "until"}},
	typeOf[requestInput]():            {name: "EvidenceRequestInput", description: "A new request for retained data.", required: []string{"reference", "legal_basis", "scope"}},
	typeOf[decisionInput]():           {name: "Decision", description: "A note on an approval or rejection.", required: []string{}},
	typeOf[evidence.Rule]():           {name: "RetentionRule", description: "How many days payloads of a kind of data are kept, for one organisation or all.", required: []string{"id", "kind", "days", "created_at", "created_by"}},
	typeOf[ruleInput]():               {name: "RetentionRuleInput", description: "A retention rule; it replaces the rule of the same kind and organisation.", required: []string{"kind", "days"}},
	typeOf[evidence.Hold]():           {name: "LegalHold", description: "A legal hold: retention deletes nothing it covers until it is released.", required: []string{"id", "reason", "created_at", "created_by"}},
	typeOf[holdInput]():               {name: "LegalHoldInput", description: "A new legal hold on an organisation's data (or all), of one kind (or all).", required: []string{"reason"}},
	typeOf[evidence.CosignInput]():    {name: "CosignInput", description: "A checkpoint to witness, the log's verifier key, and the consistency proof from the size last co-signed here.", required: []string{"checkpoint", "verifier_key"}},
	typeOf[witnessState]():            {name: "WitnessState", description: "What this hub last co-signed of a log."},
	typeOf[cosigned]():                {name: "Cosigned", description: "The checkpoint with this hub's co-signature."},
	typeOf[intel.Object]():            {name: "IntelObject", description: "One stored version of a STIX object: the object exactly as shared, its TLP and the values it is about.", required: []string{"id", "type", "created", "modified", "revoked", "latest", "added_at", "source", "object", "tlp", "values"}},
	typeOf[intel.Stored]():            {name: "StoredIntelObject", description: "An object with its store sequence (the paging cursor)."},
	typeOf[intel.Value]():             {name: "ObservableValue", description: "An observable value an object is about."},
	typeOf[intel.Result]():            {name: "PutResult", description: "What happened to each object of a write."},
	typeOf[intel.Item]():              {name: "PutItem", description: "One object's outcome.", required: []string{"index", "status"}},
	typeOf[intel.ImportStats]():       {name: "ImportStats", description: "What an import did: records read, objects created and updated, values sighted, skipped and rejected with reasons.", required: []string{"read", "created", "updated", "skipped", "sighted", "rejected"}},
	typeOf[intel.SearchResult]():      {name: "SearchResult", description: "The value as understood, and every object the caller may see about it."},
	typeOf[objectPage]():              {name: "ObjectPage", description: "A page of objects; next is absent on the last page.", required: []string{"items"}},
	typeOf[versionsPage]():            {name: "ObjectList", description: "Objects."},
	typeOf[evidence.Info]():           {name: "LedgerInfo", description: "The ledger's origin, verifier key, size and latest signed checkpoint (C2SP signed note)."},
	typeOf[evidence.Inclusion]():      {name: "InclusionProof", description: "An RFC 6962 inclusion proof of one entry in a tree size."},
	typeOf[evidence.Consistency]():    {name: "ConsistencyProof", description: "An RFC 6962 consistency proof between two tree sizes."},
	typeOf[evidence.ProofStatus]():    {name: "AuditProofStatus", description: "Whether an audit record is in the ledger and, once a checkpoint covers it, its inclusion proof.", required: []string{"seq", "anchored", "index", "leaf_hash", "payload_erased", "tree_size", "inclusion_proof", "covered_by_checkpoint"}},
}

// enums are the closed sets of values, taken from the domain's own lists.
var enums = map[reflect.Type][]any{
	typeOf[identity.Kind]():   anys(identity.Kinds),
	typeOf[identity.Sector](): anys(identity.Sectors),
	typeOf[identity.Tier]():   {1, 2, 3, 4},
	typeOf[policy.Role]():     anys(policy.Roles),
	typeOf[policy.Scope]():    {policy.ScopeRead, policy.ScopeWrite},
	typeOf[audit.Outcome]():   {audit.Success, audit.Denied, audit.Failure},
	typeOf[evidence.Status](): {evidence.Pending, evidence.Approved, evidence.Rejected, evidence.Produced},
	typeOf[policy.TLP]():      anys(policy.TLPs),
	typeOf[intel.Status]():    {intel.Created, intel.Updated, intel.Skipped, intel.Rejected},
}

func typeOf[T any]() reflect.Type { return reflect.TypeFor[T]() }

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// schemas generates JSON Schemas (the OpenAPI 3.1 dialect) for Go types.
// It is used while the document is built, by one goroutine.
type schemas struct{ defs obj }

// of returns the schema of t: a $ref for a named component (defining it
// on first use), an inline schema otherwise.
func (g *schemas) of(t reflect.Type) obj {
	if c, ok := components[t]; ok {
		if _, done := g.defs[c.name]; !done {
			g.defs[c.name] = obj{} // placeholder against recursion
			s := g.build(t, c.required)
			if c.description != "" {
				s["description"] = c.description
			}
			g.defs[c.name] = s
		}
		return obj{"$ref": "#/components/schemas/" + c.name}
	}
	return g.build(t, nil)
}

func (g *schemas) build(t reflect.Type, required []string) obj {
	if e, ok := enums[t]; ok {
		typ := "string"
		if t.Kind() == reflect.Int {
			typ = "integer"
		}
		return obj{"type": typ, "enum": e}
	}
	switch t {
	case typeOf[time.Time]():
		return obj{"type": "string", "format": "date-time"}
	case typeOf[json.RawMessage]():
		return obj{"type": "object", "description": "any JSON object"}
	case typeOf[netip.Prefix]():
		return obj{"type": "string", "description": "an address or network, e.g. 192.0.2.0/24"}
	case typeOf[evidence.Hash]():
		return obj{"type": "string", "contentEncoding": "base64", "description": "a SHA-256 hash"}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.of(t.Elem())
	case reflect.String:
		return obj{"type": "string"}
	case reflect.Bool:
		return obj{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32:
		return obj{"type": "integer"}
	case reflect.Int64:
		return obj{"type": "integer", "format": "int64"}
	case reflect.Float64, reflect.Float32:
		return obj{"type": "number"}
	case reflect.Uint32, reflect.Uint16:
		return obj{"type": "integer", "minimum": 0}
	case reflect.Uint64:
		return obj{"type": "integer", "format": "int64", "minimum": 0}
	case reflect.Slice:
		return obj{"type": "array", "items": g.of(t.Elem())}
	case reflect.Map:
		return obj{"type": "object", "additionalProperties": g.of(t.Elem())}
	case reflect.Interface:
		return obj{"description": "any JSON value"}
	case reflect.Struct:
		props, auto := obj{}, []string{}
		g.fields(t, props, &auto)
		if required == nil {
			required = auto
		}
		s := obj{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	panic("httpapi: no schema for " + t.String())
}

// fields adds t's JSON fields to props, flattening embedded structs as
// encoding/json does, and collects those without omitempty in required.
func (g *schemas) fields(t reflect.Type, props obj, required *[]string) {
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if tag == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
			g.fields(f.Type, props, required)
			continue
		}
		if name == "" {
			name = f.Name
		}
		props[name] = g.of(f.Type)
		if !strings.Contains(opts, "omitempty") {
			*required = append(*required, name)
		}
	}
}
