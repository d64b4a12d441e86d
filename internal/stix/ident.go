package stix

import "strings"

// Object categories of the specification.
var (
	sdoTypes = set("attack-pattern", "campaign", "course-of-action", "grouping", "identity", "incident",
		"indicator", "infrastructure", "intrusion-set", "location", "malware", "malware-analysis", "note",
		"observed-data", "opinion", "report", "threat-actor", "tool", "vulnerability")
	sroTypes = set("relationship", "sighting")
	scoTypes = set("artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message",
		"file", "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
		"user-account", "windows-registry-key", "x509-certificate")
	metaTypes = set("marking-definition", "extension-definition", "language-content")
)

func set(ss ...string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// IsSDO reports whether o is a STIX Domain Object of the specification, or
// a new SDO type declared by an extension (extension_type new-sdo).
func IsSDO(o Object) bool { return sdoTypes[o.Type] || extensionKind(o.Props) == "new-sdo" }

// IsSCO reports whether o is a STIX Cyber-observable Object of the
// specification, or a new SCO type declared by an extension.
func IsSCO(o Object) bool { return scoTypes[o.Type] || extensionKind(o.Props) == "new-sco" }

// IsSRO reports whether o is a relationship or sighting, or a new SRO type
// declared by an extension.
func IsSRO(o Object) bool { return sroTypes[o.Type] || extensionKind(o.Props) == "new-sro" }

// IsMeta reports whether o is a STIX Meta Object: marking-definition,
// extension-definition or language-content.
func IsMeta(o Object) bool { return metaTypes[o.Type] }

// IsCustom reports whether o is a custom object: its type starts with "x-".
func IsCustom(o Object) bool { return strings.HasPrefix(o.Type, "x-") }

// IsKnownType reports whether typ is one of the types the specification
// defines.
func IsKnownType(typ string) bool {
	return sdoTypes[typ] || sroTypes[typ] || scoTypes[typ] || metaTypes[typ]
}

// extensionKind returns the extension_type of the first extension of m
// that declares a new object type, or "".
func extensionKind(m map[string]any) string {
	ext, _ := m["extensions"].(map[string]any)
	for k, v := range ext {
		if !strings.HasPrefix(k, "extension-definition--") {
			continue
		}
		if e, ok := v.(map[string]any); ok {
			switch t, _ := e["extension_type"].(string); t {
			case "new-sdo", "new-sco", "new-sro":
				return t
			}
		}
	}
	return ""
}

// validTypeName reports whether s is a well-formed object type name:
// 3–250 characters of a–z, 0–9 and '-', starting with a letter, not ending
// with '-' and without "--".
func validTypeName(s string) bool {
	if len(s) < 3 || len(s) > 250 || s[0] < 'a' || s[0] > 'z' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '-':
			if s[i-1] == '-' {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// validPropName reports whether s is a well-formed property name: 3–250
// characters of a–z, A–Z, 0–9 and '_'.
func validPropName(s string) bool {
	if len(s) < 3 || len(s) > 250 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// checkIdentifier splits a STIX identifier and returns its type, or a
// message saying what is wrong with it.
func checkIdentifier(id string) (typ, msg string) {
	i := strings.Index(id, "--")
	if i < 0 {
		return "", "is not an identifier of the form type--UUID"
	}
	typ, u := id[:i], id[i+2:]
	if !validTypeName(typ) {
		return "", "does not start with a valid object type"
	}
	if !validUUID(u) {
		return "", "does not end with an RFC 4122 UUID"
	}
	return typ, ""
}

// validUUID reports whether u is a UUID in 8-4-4-4-12 hex form with the
// RFC 4122 variant and a version from 1 to 8.
func validUUID(u string) bool {
	if len(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' {
		return false
	}
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			continue
		}
		c := u[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	if u[14] < '1' || u[14] > '8' {
		return false
	}
	switch u[19] {
	case '8', '9', 'a', 'b', 'A', 'B':
		return true
	}
	return false
}
