package stix

import (
	"encoding/hex"
	"strings"
)

// hashAlgo maps a hashes key to its vocabulary spelling and hex length
// (0 for algorithms whose digest is not plain hex, such as SSDEEP and
// TLSH). Keys are matched ignoring case, '-' and '_', so "sha256" and
// "SHA_256" are recognised; unknown algorithms give "".
func hashAlgo(key string) (string, int) {
	k := strings.ToUpper(strings.NewReplacer("-", "", "_", "").Replace(key))
	switch k {
	case "MD5":
		return "MD5", 32
	case "SHA1":
		return "SHA-1", 40
	case "SHA224", "SHA256", "SHA384", "SHA512":
		name := "SHA-" + k[3:]
		return name, hashHexLen[name]
	case "SHA3224", "SHA3256", "SHA3384", "SHA3512":
		name := "SHA3-" + k[4:]
		return name, hashHexLen[name]
	case "SSDEEP":
		return "SSDEEP", 0
	case "TLSH":
		return "TLSH", 0
	}
	return "", 0
}

// hashes checks a hashes dictionary: at least one entry, string values,
// and hex of the right length for the well-known algorithms.
func (c *checker) hashes(name string, v any) {
	h, ok := v.(map[string]any)
	if !ok || len(h) == 0 {
		c.bad(name, "must be a dictionary with at least one hash")
		return
	}
	for k, x := range h {
		f := name + "." + k
		s, ok := x.(string)
		if !ok || s == "" {
			c.bad(f, "must be a non-empty string")
			continue
		}
		if len(k) > 250 {
			c.bad(name, "has a key longer than 250 characters")
			continue
		}
		algo, n := hashAlgo(k)
		if n == 0 {
			continue
		}
		if _, err := hex.DecodeString(s); err != nil || len(s) != n {
			c.bad(f, "a %s hash must be %d hex digits", algo, n)
		}
	}
}

// killChain checks kill_chain_phases: objects with kill_chain_name and
// phase_name strings.
func (c *checker) killChain(name string, v any) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		c.bad(name, "must be a non-empty list of kill chain phases")
		return
	}
	for i, x := range l {
		f := indexPath(name, i)
		p, ok := x.(map[string]any)
		if !ok {
			c.bad(f, "must be a JSON object")
			continue
		}
		for _, k := range []string{"kill_chain_name", "phase_name"} {
			if s, ok := p[k].(string); !ok || s == "" {
				c.bad(f+"."+k, "is required and must be a non-empty string")
			}
		}
	}
}

// extRefs checks external_references: each has source_name and at least
// one of description, url and external_id.
func (c *checker) extRefs(name string, v any) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		c.bad(name, "must be a non-empty list of external references")
		return
	}
	for i, x := range l {
		f := indexPath(name, i)
		r, ok := x.(map[string]any)
		if !ok {
			c.bad(f, "must be a JSON object")
			continue
		}
		if s, ok := r["source_name"].(string); !ok || s == "" {
			c.bad(f+".source_name", "is required and must be a non-empty string")
		}
		n := 0
		for _, k := range []string{"description", "url", "external_id"} {
			if x, ok := r[k]; ok {
				n++
				if _, ok := x.(string); !ok {
					c.bad(f+"."+k, "must be a string")
				}
			}
		}
		if n == 0 {
			c.bad(f, "needs at least one of description, url and external_id")
		}
		if h, ok := r["hashes"]; ok {
			c.hashes(f+".hashes", h)
		}
	}
}

// granular checks granular_markings: each has a non-empty list of
// selectors and exactly one of marking_ref and lang.
func (c *checker) granular(name string, v any) {
	l, ok := v.([]any)
	if !ok || len(l) == 0 {
		c.bad(name, "must be a non-empty list of granular markings")
		return
	}
	for i, x := range l {
		f := indexPath(name, i)
		g, ok := x.(map[string]any)
		if !ok {
			c.bad(f, "must be a JSON object")
			continue
		}
		_, hasRef := g["marking_ref"]
		_, hasLang := g["lang"]
		switch {
		case hasRef == hasLang:
			c.bad(f, "needs exactly one of marking_ref and lang")
		case hasRef:
			c.ref(f+".marking_ref", g["marking_ref"], only("marking-definition"))
		default:
			if s, ok := g["lang"].(string); !ok || !validLang(s) {
				c.bad(f+".lang", "must be an RFC 5646 language tag")
			}
		}
		sel, ok := g["selectors"].([]any)
		if !ok || len(sel) == 0 {
			c.bad(f+".selectors", "is required and must be a non-empty list of strings")
			continue
		}
		for j, s := range sel {
			if s, ok := s.(string); !ok || s == "" {
				c.bad(indexPath(f+".selectors", j), "must be a non-empty string")
			}
		}
	}
}

// predefinedExt lists the extensions the specification defines, per
// type, with their required properties.
var predefinedExt = map[string]map[string][]string{
	"file": {
		"archive-ext":          {"contains_refs"},
		"ntfs-ext":             nil,
		"pdf-ext":              nil,
		"raster-image-ext":     nil,
		"windows-pebinary-ext": {"pe_type"},
	},
	"network-traffic": {
		"http-request-ext": {"request_method", "request_value"},
		"icmp-ext":         {"icmp_type_hex", "icmp_code_hex"},
		"socket-ext":       {"address_family"},
		"tcp-ext":          nil,
	},
	"process": {
		"windows-process-ext": nil,
		"windows-service-ext": nil,
	},
	"user-account": {"unix-account-ext": nil},
}

var extensionTypes = []string{"new-sdo", "new-sco", "new-sro", "property-extension", "toplevel-property-extension"}

// extensions checks the extensions dictionary. Keys are extension-definition
// identifiers, the predefined extensions of the object's type, or
// STIX 2.0-style custom names starting with "x-". Values are JSON objects
// with at least one property.
func (c *checker) extensions(name string, v any) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		c.bad(name, "must be a dictionary with at least one extension")
		return
	}
	for k, x := range m {
		f := name + "." + k
		e, ok := x.(map[string]any)
		if !ok || len(e) == 0 {
			c.bad(f, "must be a JSON object with at least one property")
			continue
		}
		if strings.HasPrefix(k, "extension-definition--") {
			if t, msg := checkIdentifier(k); msg != "" || t != "extension-definition" {
				c.bad(f, "is not a valid extension-definition identifier")
			}
			if t, ok := e["extension_type"]; ok {
				if s, _ := t.(string); !contains(extensionTypes, s) {
					c.bad(f+".extension_type", "must be one of %s", strings.Join(extensionTypes, ", "))
				}
			}
			continue
		}
		if strings.HasPrefix(k, "x-") {
			continue
		}
		req, known := predefinedExt[c.typ][k]
		if !known {
			c.bad(f, "is not an extension of %s; use an extension-definition id", c.typ)
			continue
		}
		for _, r := range req {
			if _, ok := e[r]; !ok {
				c.bad(f+"."+r, "is required")
			}
		}
		c.predefinedExt(f, k, e)
	}
}

// predefinedExt checks the few typed properties of the predefined
// extensions that carry references or closed vocabularies.
func (c *checker) predefinedExt(f, k string, e map[string]any) {
	switch k {
	case "archive-ext":
		if v, ok := e["contains_refs"]; ok {
			c.checkProp(f+".contains_refs", prop{k: kRefs, to: only("file", "directory")}, v)
		}
	case "socket-ext":
		if v, ok := e["address_family"]; ok {
			c.checkProp(f+".address_family", prop{k: kString, enum: []string{"AF_UNSPEC", "AF_INET", "AF_IPX", "AF_APPLETALK", "AF_NETBIOS", "AF_INET6", "AF_IRDA", "AF_BTH"}}, v)
		}
		if v, ok := e["socket_type"]; ok {
			c.checkProp(f+".socket_type", prop{k: kString, enum: []string{"SOCK_STREAM", "SOCK_DGRAM", "SOCK_RAW", "SOCK_RDM", "SOCK_SEQPACKET"}}, v)
		}
	case "windows-process-ext":
		if v, ok := e["integrity_level"]; ok {
			c.checkProp(f+".integrity_level", prop{k: kString, enum: []string{"low", "medium", "high", "system"}}, v)
		}
	case "windows-service-ext":
		if v, ok := e["start_type"]; ok {
			c.checkProp(f+".start_type", prop{k: kString, enum: []string{"SERVICE_AUTO_START", "SERVICE_BOOT_START", "SERVICE_DEMAND_START", "SERVICE_DISABLED", "SERVICE_SYSTEM_ALERT"}}, v)
		}
		if v, ok := e["service_type"]; ok {
			c.checkProp(f+".service_type", prop{k: kString, enum: []string{"SERVICE_KERNEL_DRIVER", "SERVICE_FILE_SYSTEM_DRIVER", "SERVICE_WIN32_OWN_PROCESS", "SERVICE_WIN32_SHARE_PROCESS"}}, v)
		}
		if v, ok := e["service_status"]; ok {
			c.checkProp(f+".service_status", prop{k: kString, enum: []string{"SERVICE_CONTINUE_PENDING", "SERVICE_PAUSE_PENDING", "SERVICE_PAUSED", "SERVICE_RUNNING", "SERVICE_START_PENDING", "SERVICE_STOP_PENDING", "SERVICE_STOPPED"}}, v)
		}
	case "ntfs-ext", "pdf-ext", "raster-image-ext", "windows-pebinary-ext", "tcp-ext", "http-request-ext", "icmp-ext", "unix-account-ext":
	}
}
