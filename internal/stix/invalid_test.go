package stix

import (
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

type obj = map[string]any
type list = []any

// TestInvalidCommon covers the rules every object shares.
func TestInvalidCommon(t *testing.T) {
	runChanges(t, []change{
		{"no type", "identity", obj{"type": nil}, "type", "is required", ""},
		{"type not string", "identity", obj{"type": 5}, "type", "must be a string", ""},
		{"bad type name", "identity", obj{"type": "Identity"}, "type", "not a valid type name", ""},
		{"double hyphen type", "identity", obj{"type": "x--foo"}, "type", "not a valid type name", ""},
		{"unknown type", "identity", obj{"type": "widget"}, "type", "not a STIX 2.1 type", ""},
		{"no id", "identity", obj{"id": nil}, "id", "is required", ""},
		{"id type mismatch", "identity", obj{"id": "indicator--311b2d2d-f010-4473-83ec-1edf84858f4c"}, "id", "does not match the object type", ""},
		{"id not uuid", "identity", obj{"id": "identity--311b2d2d-f010-4473-83ec"}, "id", "RFC 4122 UUID", ""},
		{"id bad variant", "identity", obj{"id": "identity--311b2d2d-f010-4473-c3ec-1edf84858f4c"}, "id", "RFC 4122 UUID", ""},
		{"id no separator", "identity", obj{"id": "identity-311b2d2d-f010-4473-83ec-1edf84858f4c"}, "id", "type--UUID", ""},
		{"spec_version missing", "identity", obj{"spec_version": nil}, "spec_version", "is required", ""},
		{"spec_version 2.0", "identity", obj{"spec_version": "2.0"}, "spec_version", `must be "2.1"`, ""},
		{"sco spec_version 2.0", "url", obj{"spec_version": "2.0"}, "spec_version", `must be "2.1"`, ""},
		{"created missing", "identity", obj{"created": nil}, "created", "is required", ""},
		{"modified missing", "campaign", obj{"modified": nil}, "modified", "is required", ""},
		{"created no Z", "identity", obj{"created": "2024-01-02T03:04:05.678+00:00"}, "created", "not a timestamp", ""},
		{"created lower t", "identity", obj{"created": "2024-01-02t03:04:05Z"}, "created", "not a timestamp", ""},
		{"created bad day", "identity", obj{"created": "2023-02-29T00:00:00Z"}, "created", "not a timestamp", ""},
		{"created not string", "identity", obj{"created": 1700000000}, "created", "must be a timestamp string", ""},
		{"modified before created", "identity", obj{"modified": "2023-01-01T00:00:00Z"}, "modified", "must not be earlier than created", ""},
		{"confidence high", "identity", obj{"confidence": 101}, "confidence", "outside 0..100", ""},
		{"confidence float", "identity", obj{"confidence": 50.5}, "confidence", "must be an integer", ""},
		{"lang bad", "identity", obj{"lang": "english language"}, "lang", "RFC 5646", ""},
		{"revoked string", "identity", obj{"revoked": "no"}, "revoked", "true or false", ""},
		{"labels empty", "identity", obj{"labels": list{}}, "labels", "non-empty list", ""},
		{"labels number", "identity", obj{"labels": list{1}}, "labels[0]", "must be a string", ""},
		{"created_by_ref wrong type", "identity", obj{"created_by_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "created_by_ref", "must refer to identity", ""},
		{"marking refs wrong type", "identity", obj{"object_marking_refs": list{"identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}}, "object_marking_refs[0]", "must refer to marking-definition", ""},
		{"marking refs not id", "identity", obj{"object_marking_refs": list{"tlp:green"}}, "object_marking_refs[0]", "type--UUID", ""},
		{"ext ref no source", "identity", obj{"external_references": list{obj{"url": "https://x"}}}, "external_references[0].source_name", "is required", ""},
		{"ext ref only source", "identity", obj{"external_references": list{obj{"source_name": "x"}}}, "external_references[0]", "at least one of description, url and external_id", ""},
		{"ext ref bad hash", "identity", obj{"external_references": list{obj{"source_name": "x", "url": "https://x", "hashes": obj{"SHA-256": "abc"}}}}, "external_references[0].hashes.SHA-256", "64 hex digits", ""},
		{"granular both", "identity", obj{"granular_markings": list{obj{"lang": "en", "marking_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da", "selectors": list{"name"}}}}, "granular_markings[0]", "exactly one of marking_ref and lang", ""},
		{"granular no selectors", "identity", obj{"granular_markings": list{obj{"lang": "en"}}}, "granular_markings[0].selectors", "is required", ""},
		{"granular bad ref", "identity", obj{"granular_markings": list{obj{"marking_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c", "selectors": list{"name"}}}}, "granular_markings[0].marking_ref", "must refer to marking-definition", ""},
		{"sco property on an sdo", "identity", obj{"defanged": true}, "defanged", "is not a property of identity", ""},
		{"bad property name", "identity", obj{"x-bad": "blue"}, "x-bad", "not a valid property name", ""},
		{"short property name", "identity", obj{"x_": "blue"}, "x_", "not a valid property name", ""},
		{"nested ref not id", "identity", obj{"x_foo": obj{"owner_ref": "bob"}}, "x_foo.owner_ref", "type--UUID", ""},
		{"nested refs not list", "identity", obj{"x_foo": obj{"owner_refs": "bob"}}, "x_foo.owner_refs", "list of identifiers", ""},
		{"extension unknown name", "identity", obj{"extensions": obj{"foo-ext": obj{"a": "b"}}}, "extensions.foo-ext", "not an extension of identity", ""},
		{"extension empty", "identity", obj{"extensions": obj{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62": obj{}}}, "extensions.extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62", "at least one property", ""},
		{"extension bad type", "identity", obj{"extensions": obj{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62": obj{"extension_type": "sideways"}}}, "extensions.extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62.extension_type", "must be one of", ""},
		{"kill chain no phase", "attack-pattern", obj{"kill_chain_phases": list{obj{"kill_chain_name": "lm"}}}, "kill_chain_phases[0].phase_name", "is required", ""},
		{"description too long", "identity", obj{"description": strings.Repeat("a", 4<<20+1)}, "description", "over the limit of 4194304", errs.TooLarge},
	})
}

func TestInvalidSDO(t *testing.T) {
	runChanges(t, []change{
		{"no name", "attack-pattern", obj{"name": nil}, "name", "is required", ""},
		{"aliases string", "attack-pattern", obj{"aliases": "x"}, "aliases", "non-empty list", ""},
		{"no name", "campaign", obj{"name": nil}, "name", "is required", ""},
		{"last before first", "campaign", obj{"last_seen": "2015-01-01T00:00:00Z"}, "last_seen", "must not be earlier than first_seen", ""},
		{"no name", "course-of-action", obj{"name": nil}, "name", "is required", ""},
		{"reserved action_type", "course-of-action", obj{"action_type": "textual:text/plain"}, "action_type", "is not a property", ""},
		{"no context", "grouping", obj{"context": nil}, "context", "is required", ""},
		{"no object_refs", "grouping", obj{"object_refs": nil}, "object_refs", "is required", ""},
		{"empty object_refs", "grouping", obj{"object_refs": list{}}, "object_refs", "non-empty list", ""},
		{"no name", "identity", obj{"name": nil}, "name", "is required", ""},
		{"sectors string", "identity", obj{"sectors": "technology"}, "sectors", "non-empty list", ""},
		{"no name", "incident", obj{"name": nil}, "name", "is required", ""},
		{"no pattern", "indicator", obj{"pattern": nil}, "pattern", "is required", ""},
		{"no pattern_type", "indicator", obj{"pattern_type": nil}, "pattern_type", "is required", ""},
		{"no valid_from", "indicator", obj{"valid_from": nil}, "valid_from", "is required", ""},
		{"bad valid_from", "indicator", obj{"valid_from": "2016-01-01"}, "valid_from", "not a timestamp", ""},
		{"valid_until equal", "indicator", obj{"valid_until": "2016-01-01T00:00:00Z"}, "valid_until", "must be later than valid_from", ""},
		{"bad pattern", "indicator", obj{"pattern": "[file:hashes.MD5 = 'x' AND]"}, "pattern", "at 26 (column 27): expected a comparison", ""},
		{"pattern not stix", "indicator", obj{"pattern": 7}, "pattern", "must be a string", ""},
		{"no name", "infrastructure", obj{"name": nil}, "name", "is required", ""},
		{"no name", "intrusion-set", obj{"name": nil}, "name", "is required", ""},
		{"nothing", "location", obj{"latitude": nil, "longitude": nil, "precision": nil}, "", "needs region, country, or latitude and longitude", ""},
		{"lat alone", "location", obj{"longitude": nil}, "latitude", "given together", ""},
		{"lat range", "location", obj{"latitude": 91}, "latitude", "outside", ""},
		{"lon range", "location", obj{"longitude": -180.5}, "longitude", "outside", ""},
		{"no is_family", "malware", obj{"is_family": nil}, "is_family", "is required", ""},
		{"family no name", "malware", obj{"name": nil}, "name", "is required when is_family is true", ""},
		{"sample wrong type", "malware", obj{"sample_refs": list{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, "sample_refs[0]", "must refer to file or artifact", ""},
		{"no product", "malware-analysis", obj{"product": nil}, "product", "is required", ""},
		{"no result", "malware-analysis", obj{"result": nil}, "", "needs result or analysis_sco_refs", ""},
		{"host vm wrong", "malware-analysis", obj{"host_vm_ref": "tool--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}, "host_vm_ref", "must refer to software", ""},
		{"no content", "note", obj{"content": nil}, "content", "is required", ""},
		{"no object_refs", "note", obj{"object_refs": nil}, "object_refs", "is required", ""},
		{"no number", "observed-data", obj{"number_observed": nil}, "number_observed", "is required", ""},
		{"number zero", "observed-data", obj{"number_observed": 0}, "number_observed", "outside 1..999999999", ""},
		{"number huge", "observed-data", obj{"number_observed": 1000000000}, "number_observed", "outside", ""},
		{"both objects", "observed-data", obj{"objects": obj{"0": obj{"type": "ipv4-addr", "value": "1.2.3.4"}}}, "object_refs", "exactly one of objects and object_refs", ""},
		{"neither", "observed-data", obj{"object_refs": nil}, "object_refs", "exactly one of objects and object_refs", ""},
		{"ref to sdo", "observed-data", obj{"object_refs": list{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, "object_refs[0]", "must refer to an SCO or SRO", ""},
		{"last before first", "observed-data", obj{"last_observed": "2015-12-21T18:59:59Z"}, "last_observed", "must not be earlier", ""},
		{"no opinion", "opinion", obj{"opinion": nil}, "opinion", "is required", ""},
		{"opinion vocab", "opinion", obj{"opinion": "meh"}, "opinion", "is not one of strongly-disagree", ""},
		{"no published", "report", obj{"published": nil}, "published", "is required", ""},
		{"no object_refs", "report", obj{"object_refs": nil}, "object_refs", "is required", ""},
		{"no name", "threat-actor", obj{"name": nil}, "name", "is required", ""},
		{"no name", "tool", obj{"name": nil}, "name", "is required", ""},
		{"no name", "vulnerability", obj{"name": nil}, "name", "is required", ""},
	})
}

func TestInvalidSRO(t *testing.T) {
	runChanges(t, []change{
		{"no type", "relationship", obj{"relationship_type": nil}, "relationship_type", "is required", ""},
		{"no source", "relationship", obj{"source_ref": nil}, "source_ref", "is required", ""},
		{"no target", "relationship", obj{"target_ref": nil}, "target_ref", "is required", ""},
		{"source sro", "relationship", obj{"source_ref": "sighting--ee20065d-2555-424f-ad9e-0f8fd8b2e5b7"}, "source_ref", "must refer to an SDO or SCO", ""},
		{"target marking", "relationship", obj{"target_ref": "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"}, "target_ref", "must refer to an SDO or SCO", ""},
		{"stop before start", "relationship", obj{"stop_time": "2015-01-01T00:00:00Z"}, "stop_time", "must not be earlier than start_time", ""},
		{"type with space", "relationship", obj{"relationship_type": "related to"}, "relationship_type", "spaces", ""},
		{"no sighting_of", "sighting", obj{"sighting_of_ref": nil}, "sighting_of_ref", "is required", ""},
		{"sighting of sco", "sighting", obj{"sighting_of_ref": "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"}, "sighting_of_ref", "must refer to an SDO", ""},
		{"where sighted malware", "sighting", obj{"where_sighted_refs": list{"malware--31b940d4-6f7f-459a-80ea-9c1f17b5891b"}}, "where_sighted_refs[0]", "must refer to identity or location", ""},
		{"observed data wrong", "sighting", obj{"observed_data_refs": list{"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"}}, "observed_data_refs[0]", "must refer to observed-data", ""},
		{"count negative", "sighting", obj{"count": -1}, "count", "outside", ""},
		{"summary string", "sighting", obj{"summary": "yes"}, "summary", "true or false", ""},
	})
}

func TestInvalidSCO(t *testing.T) {
	runChanges(t, []change{
		{"payload and url", "artifact", obj{"payload_bin": "aGk="}, "url", "must not both be present", ""},
		{"url without hashes", "artifact", obj{"hashes": nil}, "hashes", "is required when url is present", ""},
		{"bad encryption", "artifact", obj{"encryption_algorithm": "rot13"}, "encryption_algorithm", "is not one of", ""},
		{"sdo property", "artifact", obj{"created": "2024-01-02T03:04:05Z"}, "created", "is not a property of artifact", ""},
		{"no number", "autonomous-system", obj{"number": nil}, "number", "is required", ""},
		{"number string", "autonomous-system", obj{"number": "AS15139"}, "number", "must be an integer", ""},
		{"no path", "directory", obj{"path": nil}, "path", "is required", ""},
		{"contains url", "directory", obj{"contains_refs": list{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, "contains_refs[0]", "must refer to file or directory", ""},
		{"no value", "domain-name", obj{"value": nil}, "value", "is required", ""},
		{"resolves to url", "domain-name", obj{"resolves_to_refs": list{"url--c1477287-23ac-5971-a010-5c287877fa60"}}, "resolves_to_refs[0]", "must refer to ipv4-addr or ipv6-addr or domain-name", ""},
		{"no at", "email-addr", obj{"value": "john"}, "value", "not an email address", ""},
		{"belongs wrong", "email-addr", obj{"belongs_to_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}, "belongs_to_ref", "must refer to user-account", ""},
		{"no multipart flag", "email-message", obj{"is_multipart": nil}, "is_multipart", "is required", ""},
		{"body with multipart", "email-message", obj{"body": "x"}, "body", "must not be present when is_multipart is true", ""},
		{"multipart false", "email-message", obj{"is_multipart": false}, "body_multipart", "must not be present when is_multipart is false", ""},
		{"from not email", "email-message", obj{"from_ref": "identity--311b2d2d-f010-4473-83ec-1edf84858f4c"}, "from_ref", "must refer to email-addr", ""},
		{"part both", "email-message", obj{"body_multipart": list{obj{"body": "a", "body_raw_ref": "artifact--4cce66f8-6eaa-53cb-85d5-3a85fca3a6c5"}}}, "body_multipart[0]", "exactly one of body and body_raw_ref", ""},
		{"neither hashes nor name", "file", obj{"hashes": nil, "name": nil}, "", "needs hashes or name", ""},
		{"md5 short", "file", obj{"hashes": obj{"MD5": "1717b7fff97d37a1"}}, "hashes.MD5", "32 hex digits", ""},
		{"sha1 not hex", "file", obj{"hashes": obj{"SHA-1": "zz9a326f8411e9488bdc3779753e1e3489aaedea"}}, "hashes.SHA-1", "40 hex digits", ""},
		{"sha512 short", "file", obj{"hashes": obj{"SHA-512": "abcd"}}, "hashes.SHA-512", "128 hex digits", ""},
		{"empty hashes", "file", obj{"hashes": obj{}}, "hashes", "at least one hash", ""},
		{"negative size", "file", obj{"size": -1}, "size", "outside", ""},
		{"parent not dir", "file", obj{"parent_directory_ref": "file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"}, "parent_directory_ref", "must refer to directory", ""},
		{"archive no contains", "file", obj{"extensions": obj{"archive-ext": obj{"comment": "x"}}}, "extensions.archive-ext.contains_refs", "is required", ""},
		{"magic not hex", "file", obj{"magic_number_hex": "zz"}, "magic_number_hex", "hex digits", ""},
		{"v4 is v6", "ipv4-addr", obj{"value": "2001:db8::1"}, "value", "not an IPv4 address", ""},
		{"v4 garbage", "ipv4-addr", obj{"value": "999.1.1.1"}, "value", "not an IP address", ""},
		{"v4 bad cidr", "ipv4-addr", obj{"value": "10.0.0.0/33"}, "value", "not a CIDR block", ""},
		{"v4 resolves wrong", "ipv4-addr", obj{"resolves_to_refs": list{"domain-name--3c10e93f-798e-5a26-a0c1-08156efab7f5"}}, "resolves_to_refs[0]", "must refer to mac-addr", ""},
		{"v6 is v4", "ipv6-addr", obj{"value": "1.2.3.4"}, "value", "not an IPv6 address", ""},
		{"no value", "ipv6-addr", obj{"value": nil}, "value", "is required", ""},
		{"upper mac", "mac-addr", obj{"value": "D2:FB:49:24:37:18"}, "value", "not a MAC address", ""},
		{"dash mac", "mac-addr", obj{"value": "d2-fb-49-24-37-18"}, "value", "not a MAC address", ""},
		{"no name", "mutex", obj{"name": nil}, "name", "is required", ""},
		{"no protocols", "network-traffic", obj{"protocols": nil}, "protocols", "is required", ""},
		{"no endpoints", "network-traffic", obj{"src_ref": nil, "dst_ref": nil}, "", "needs src_ref or dst_ref", ""},
		{"port range", "network-traffic", obj{"dst_port": 65536}, "dst_port", "outside 0..65535", ""},
		{"active with end", "network-traffic", obj{"is_active": true}, "end", "must not be present when is_active is true", ""},
		{"src is url", "network-traffic", obj{"src_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}, "src_ref", "must refer to ipv4-addr", ""},
		{"bad address family", "network-traffic", obj{"extensions": obj{"socket-ext": obj{"address_family": "AF_MARS"}}}, "extensions.socket-ext.address_family", "is not one of", ""},
		{"empty", "process", obj{"pid": nil, "command_line": nil, "image_ref": nil, "child_refs": nil}, "", "at least one property", ""},
		{"image not file", "process", obj{"image_ref": "url--c1477287-23ac-5971-a010-5c287877fa60"}, "image_ref", "must refer to file", ""},
		{"no name", "software", obj{"name": nil}, "name", "is required", ""},
		{"no value", "url", obj{"value": nil}, "value", "is required", ""},
		{"empty", "user-account", obj{"user_id": nil, "account_login": nil, "account_type": nil, "is_privileged": nil, "account_created": nil, "extensions": nil}, "", "at least one property", ""},
		{"bool string", "user-account", obj{"is_privileged": "no"}, "is_privileged", "true or false", ""},
		{"bad data type", "windows-registry-key", obj{"values": list{obj{"name": "a", "data_type": "REG_FOO"}}}, "values[0].data_type", "is not one of", ""},
		{"empty", "windows-registry-key", obj{"key": nil, "values": nil, "number_of_subkeys": nil}, "", "at least one property", ""},
		{"validity order", "x509-certificate", obj{"validity_not_after": "2016-01-01T00:00:00Z"}, "validity_not_after", "must not be earlier", ""},
		{"bad hash", "x509-certificate", obj{"hashes": obj{"SHA-256": "00"}}, "hashes.SHA-256", "64 hex digits", ""},
	})
}

func TestInvalidMeta(t *testing.T) {
	green2 := "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
	runChanges(t, []change{
		{"definition alone", "marking-definition", obj{"definition_type": nil}, "definition", "must be given together", ""},
		{"nothing", "marking-definition", obj{"definition_type": nil, "definition": nil}, "definition", "or an extension", ""},
		{"tlp wrong for id", "marking-definition", obj{"definition": obj{"tlp": "red"}}, "definition.tlp", "TLP:GREEN", ""},
		{"tlp vocab", "marking-definition", obj{"id": "marking-definition--1a2b3c4d-0000-4000-8000-000000000000", "definition": obj{"tlp": "purple"}}, "definition.tlp", "must be white, green, amber or red", ""},
		{"statement missing", "marking-definition", obj{"definition_type": "statement", "definition": obj{"text": "x"}}, "definition.statement", "is required", ""},
		{"modified", "marking-definition", obj{"modified": "2017-01-20T00:00:00.000Z"}, "modified", "cannot be versioned", ""},
		{"no created", "marking-definition", obj{"created": nil}, "created", "is required", ""},
		{"tlp2 id without extension", "marking-definition", obj{"id": green2, "definition_type": "statement", "definition": obj{"statement": "x"}}, "extensions", "TLP 2.0 extension", ""},
		{"tlp2 level mismatch", "marking-definition", obj{"id": green2, "definition_type": nil, "definition": nil, "extensions": obj{TLP2Extension: obj{"extension_type": "property-extension", "tlp_2_0": "red"}}}, "extensions." + TLP2Extension + ".tlp_2_0", "TLP:GREEN", ""},
		{"no created_by_ref", "extension-definition", obj{"created_by_ref": nil}, "created_by_ref", "is required", ""},
		{"no schema", "extension-definition", obj{"schema": nil}, "schema", "is required", ""},
		{"bad extension type", "extension-definition", obj{"extension_types": list{"new-thing"}}, "extension_types[0]", "is not one of", ""},
		{"toplevel without props", "extension-definition", obj{"extension_properties": nil}, "extension_properties", "is required when", ""},
		{"no object_ref", "language-content", obj{"object_ref": nil}, "object_ref", "is required", ""},
		{"no contents", "language-content", obj{"contents": nil}, "contents", "is required", ""},
		{"bad lang key", "language-content", obj{"contents": obj{"not a lang": obj{"name": "x"}}}, "contents.not a lang", "RFC 5646", ""},
	})
}

// TestCustomAndExtensions covers what the custom-content rules allow.
func TestCustomAndExtensions(t *testing.T) {
	ok := []string{
		// x- custom object with its own properties.
		`{"type":"x-mitre-tactic","spec_version":"2.1","id":"x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263",` + tsC + `,"name":"Collection","x_mitre_shortname":"collection","tactic_refs":["x-mitre-tactic--2558fd61-8c75-4730-94c4-11926db2a263"]}`,
		// A new SDO type declared by an extension.
		`{"type":"my-favorite-sdo","spec_version":"2.1","id":"my-favorite-sdo--ac97aae4-83f1-46ca-a351-7aeb76678189",` + tsC + `,"name":"This is the name of my favorite","some_property_name1":"value1","extensions":{"extension-definition--9c59fd79-4215-4ba2-920d-3e4f320e1e62":{"extension_type":"new-sdo"}}}`,
		// Top-level properties added by a toplevel-property-extension.
		`{"type":"indicator","spec_version":"2.1","id":"indicator--e97bfccf-8970-4a3c-9cd1-5b5b97ed5d0c",` + tsC + `,"pattern":"[ipv4-addr:value = '1.2.3.4']","pattern_type":"stix","valid_from":"2014-02-20T09:16:08Z","toxicity":8,"extensions":{"extension-definition--71736db5-10db-43d3-b0e3-65cf81601fe1":{"extension_type":"toplevel-property-extension"}}}`,
		// Non-stix pattern types are not parsed.
		`{"type":"indicator","spec_version":"2.1","id":"indicator--e97bfccf-8970-4a3c-9cd1-5b5b97ed5d0c",` + tsC + `,"pattern":"alert tcp any any -> any any (msg:\"x\";)","pattern_type":"snort","valid_from":"2014-02-20T09:16:08Z"}`,
		// Leap second and fractional precision finer than milliseconds.
		`{"type":"identity","spec_version":"2.1","id":"identity--311b2d2d-f010-4473-83ec-1edf84858f4c","created":"2016-12-31T23:59:60Z","modified":"2017-01-01T00:00:00.000000001Z","name":"x"}`,
		// observed-data with the deprecated objects dictionary and local refs.
		`{"type":"observed-data",` + sdo + `,"id":"observed-data--b67d30ff-02ac-498a-92f9-32f845f448cf","first_observed":"2015-12-21T19:00:00Z","last_observed":"2015-12-21T19:00:00Z","number_observed":1,"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.3"},"1":{"type":"network-traffic","src_ref":"0","protocols":["tcp"]}}}`,
		// Version-1 UUIDs appear in OASIS's own TLP 2.0 example.
		`{"type":"identity","spec_version":"2.1","id":"identity--1621d4d4-b67d-11e3-9670-f01faf20d111",` + tsC + `,"name":"x"}`,
	}
	for i, raw := range ok {
		if _, err := Parse([]byte(raw)); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
	bad := []struct{ raw, field, msg string }{
		{`{"type":"my-favorite-sdo","spec_version":"2.1","id":"my-favorite-sdo--ac97aae4-83f1-46ca-a351-7aeb76678189",` + tsC + `}`, "type", "not a STIX 2.1 type"},
		{`{"type":"x-foo","id":"x-foo--ac97aae4-83f1-46ca-a351-7aeb76678189","created":"yesterday"}`, "created", "not a timestamp"},
		{`{"type":"x-foo","id":"x-foo--ac97aae4-83f1-46ca-a351-7aeb76678189","object_marking_refs":["identity--ac97aae4-83f1-46ca-a351-7aeb76678189"]}`, "object_marking_refs[0]", "must refer to marking-definition"},
	}
	for i, tc := range bad {
		_, err := Parse([]byte(tc.raw))
		if !hasField(err, tc.field, tc.msg) {
			t.Errorf("case %d: want %s %q, got %v", i, tc.field, tc.msg, err)
		}
	}
}

func hasField(err error, field, msg string) bool {
	for _, fe := range errs.Fields(err) {
		if fe.Field == field && strings.Contains(fe.Message, msg) {
			return true
		}
	}
	return false
}
