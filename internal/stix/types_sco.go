package stix

import (
	"net/netip"
	"strings"
)

var (
	encryptionEnum = []string{"AES-256-GCM", "ChaCha20-Poly1305", "mime-type-indicated"}
	registryEnum   = []string{"REG_NONE", "REG_SZ", "REG_EXPAND_SZ", "REG_BINARY", "REG_DWORD",
		"REG_DWORD_BIG_ENDIAN", "REG_DWORD_LITTLE_ENDIAN", "REG_LINK", "REG_MULTI_SZ",
		"REG_RESOURCE_LIST", "REG_FULL_RESOURCE_DESCRIPTION", "REG_RESOURCE_REQUIREMENTS_LIST",
		"REG_QWORD", "REG_INVALID_TYPE"}
	toAddr = only("ipv4-addr", "ipv6-addr", "mac-addr", "domain-name")
	pPort  = prop{k: kInt, lo: 0, hi: 65535}
	pCount = prop{k: kInt, lo: 0, hi: 1<<63 - 1}
)

func init() {
	define("artifact", scoCommon, map[string]prop{
		"mime_type": {k: kString}, "payload_bin": {k: kString}, "url": {k: kString},
		"hashes": {k: kHashes}, "encryption_algorithm": {k: kString, enum: encryptionEnum},
		"decryption_key": {k: kString},
	}, checkArtifact)
	define("autonomous-system", scoCommon, map[string]prop{
		"number": {k: kInt, req: true, lo: 0, hi: 1<<32 - 1}, "name": {k: kString}, "rir": {k: kString},
	}, nil)
	define("directory", scoCommon, map[string]prop{
		"path": {k: kString, req: true}, "path_enc": {k: kString},
		"ctime": pTime, "mtime": pTime, "atime": pTime,
		"contains_refs": {k: kRefs, to: only("file", "directory")},
	}, nil)
	define("domain-name", scoCommon, map[string]prop{
		"value":            {k: kString, req: true},
		"resolves_to_refs": {k: kRefs, to: only("ipv4-addr", "ipv6-addr", "domain-name")},
	}, nil)
	define("email-addr", scoCommon, map[string]prop{
		"value": {k: kString, req: true}, "display_name": {k: kString},
		"belongs_to_ref": {k: kRef, to: only("user-account")},
	}, checkEmailAddr)
	email := only("email-addr")
	define("email-message", scoCommon, map[string]prop{
		"is_multipart": {k: kBool, req: true}, "date": pTime, "content_type": {k: kString},
		"from_ref": {k: kRef, to: email}, "sender_ref": {k: kRef, to: email},
		"to_refs": {k: kRefs, to: email}, "cc_refs": {k: kRefs, to: email}, "bcc_refs": {k: kRefs, to: email},
		"message_id": {k: kString}, "subject": {k: kString}, "received_lines": pStrings,
		"additional_header_fields": {k: kDict}, "body": {k: kString},
		"body_multipart": {k: kObjects}, "raw_email_ref": {k: kRef, to: only("artifact")},
	}, checkEmailMessage)
	define("file", scoCommon, map[string]prop{
		"hashes": {k: kHashes}, "size": pCount, "name": {k: kString}, "name_enc": {k: kString},
		"magic_number_hex": {k: kHex}, "mime_type": {k: kString},
		"ctime": pTime, "mtime": pTime, "atime": pTime,
		"parent_directory_ref": {k: kRef, to: only("directory")},
		"contains_refs":        {k: kRefs, to: toSCO},
		"content_ref":          {k: kRef, to: only("artifact")},
	}, checkFile)
	define("ipv4-addr", scoCommon, map[string]prop{
		"value":            {k: kString, req: true},
		"resolves_to_refs": {k: kRefs, to: only("mac-addr")},
		"belongs_to_refs":  {k: kRefs, to: only("autonomous-system")},
	}, func(c *checker) { checkIP(c, true) })
	define("ipv6-addr", scoCommon, map[string]prop{
		"value":            {k: kString, req: true},
		"resolves_to_refs": {k: kRefs, to: only("mac-addr")},
		"belongs_to_refs":  {k: kRefs, to: only("autonomous-system")},
	}, func(c *checker) { checkIP(c, false) })
	define("mac-addr", scoCommon, map[string]prop{"value": {k: kString, req: true}}, checkMAC)
	define("mutex", scoCommon, map[string]prop{"name": {k: kString, req: true}}, nil)
	nt := only("network-traffic")
	define("network-traffic", scoCommon, map[string]prop{
		"start": pTime, "end": pTime, "is_active": {k: kBool},
		"src_ref": {k: kRef, to: toAddr}, "dst_ref": {k: kRef, to: toAddr},
		"src_port": pPort, "dst_port": pPort, "protocols": {k: kStrings, req: true},
		"src_byte_count": pCount, "dst_byte_count": pCount, "src_packets": pCount, "dst_packets": pCount,
		"ipfix": {k: kDict}, "src_payload_ref": {k: kRef, to: only("artifact")},
		"dst_payload_ref":   {k: kRef, to: only("artifact")},
		"encapsulates_refs": {k: kRefs, to: nt}, "encapsulated_by_ref": {k: kRef, to: nt},
	}, checkNetworkTraffic)
	define("process", scoCommon, map[string]prop{
		"is_hidden": {k: kBool}, "pid": {k: kInt}, "created_time": pTime, "cwd": {k: kString},
		"command_line": {k: kString}, "environment_variables": {k: kDict},
		"opened_connection_refs": {k: kRefs, to: nt},
		"creator_user_ref":       {k: kRef, to: only("user-account")},
		"image_ref":              {k: kRef, to: only("file")},
		"parent_ref":             {k: kRef, to: only("process")},
		"child_refs":             {k: kRefs, to: only("process")},
	}, atLeastOne)
	define("software", scoCommon, map[string]prop{
		"name": {k: kString, req: true}, "cpe": {k: kString}, "swid": {k: kString},
		"languages": pStrings, "vendor": {k: kString}, "version": {k: kString},
	}, nil)
	define("url", scoCommon, map[string]prop{"value": {k: kString, req: true}}, nil)
	define("user-account", scoCommon, map[string]prop{
		"user_id": {k: kString}, "credential": {k: kString}, "account_login": {k: kString},
		"account_type": {k: kString}, "display_name": {k: kString},
		"is_service_account": {k: kBool}, "is_privileged": {k: kBool},
		"can_escalate_privs": {k: kBool}, "is_disabled": {k: kBool},
		"account_created": pTime, "account_expires": pTime, "credential_last_changed": pTime,
		"account_first_login": pTime, "account_last_login": pTime,
	}, atLeastOne)
	define("windows-registry-key", scoCommon, map[string]prop{
		"key": {k: kString}, "values": {k: kObjects}, "modified_time": pTime,
		"creator_user_ref": {k: kRef, to: only("user-account")}, "number_of_subkeys": pCount,
	}, checkRegistryKey)
	define("x509-certificate", scoCommon, map[string]prop{
		"is_self_signed": {k: kBool}, "hashes": {k: kHashes}, "version": {k: kString},
		"serial_number": {k: kString}, "signature_algorithm": {k: kString}, "issuer": {k: kString},
		"validity_not_before": pTime, "validity_not_after": pTime, "subject": {k: kString},
		"subject_public_key_algorithm": {k: kString}, "subject_public_key_modulus": {k: kString},
		"subject_public_key_exponent": {k: kInt}, "x509_v3_extensions": {k: kDict},
	}, func(c *checker) {
		atLeastOne(c)
		c.order("validity_not_before", "validity_not_after", false)
	})
}

// atLeastOne: SCOs whose properties are all optional must have at least
// one besides the common ones (an extension counts).
func atLeastOne(c *checker) {
	for k := range c.m {
		if _, common := scoCommon[k]; !common || k == "extensions" {
			return
		}
	}
	c.bad("", "a %s needs at least one property besides type and id", c.typ)
}

func checkArtifact(c *checker) {
	if c.has("payload_bin") && c.has("url") {
		c.bad("url", "payload_bin and url must not both be present")
	}
	if c.has("url") && !c.has("hashes") {
		c.bad("hashes", "is required when url is present")
	}
	if c.has("decryption_key") && !c.has("encryption_algorithm") {
		c.bad("decryption_key", "needs encryption_algorithm")
	}
}

func checkEmailAddr(c *checker) {
	if v := c.str("value"); v != "" && !strings.Contains(v, "@") {
		c.bad("value", "%q is not an email address", truncate(v, 64))
	}
}

func checkEmailMessage(c *checker) {
	multi, _ := c.m["is_multipart"].(bool)
	if multi && c.has("body") {
		c.bad("body", "must not be present when is_multipart is true; use body_multipart")
	}
	if !multi && c.has("body_multipart") {
		c.bad("body_multipart", "must not be present when is_multipart is false")
	}
	parts, _ := c.m["body_multipart"].([]any)
	for i, p := range parts {
		p, _ := p.(map[string]any)
		f := indexPath("body_multipart", i)
		_, body := p["body"]
		_, raw := p["body_raw_ref"]
		if body == raw {
			c.bad(f, "needs exactly one of body and body_raw_ref")
		}
		if raw {
			c.ref(f+".body_raw_ref", p["body_raw_ref"], only("artifact", "file"))
		}
	}
}

func checkFile(c *checker) {
	if !c.has("hashes") && !c.has("name") {
		c.bad("", "a file needs hashes or name")
	}
	if s, ok := asInt(c.m["size"]); ok && s < 0 {
		c.bad("size", "must not be negative")
	}
}

func checkIP(c *checker, v4 bool) {
	s, ok := c.m["value"].(string)
	if !ok {
		return
	}
	var a netip.Addr
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			c.bad("value", "%q is not a CIDR block", truncate(s, 64))
			return
		}
		a = p.Addr()
	} else {
		var err error
		if a, err = netip.ParseAddr(s); err != nil {
			c.bad("value", "%q is not an IP address", truncate(s, 64))
			return
		}
	}
	if a.Zone() != "" {
		c.bad("value", "must not have a zone")
	} else if v4 && !a.Is4() {
		c.bad("value", "%q is not an IPv4 address", truncate(s, 64))
	} else if !v4 && !a.Is6() {
		c.bad("value", "%q is not an IPv6 address", truncate(s, 64))
	}
}

// checkMAC: a MAC address is six (or eight, EUI-64) colon-separated pairs
// of lower-case hex digits.
func checkMAC(c *checker) {
	s, ok := c.m["value"].(string)
	if !ok {
		return
	}
	okShape := len(s) == 17 || len(s) == 23
	for i := 0; okShape && i < len(s); i++ {
		ch := s[i]
		if i%3 == 2 {
			okShape = ch == ':'
		} else {
			okShape = ch >= '0' && ch <= '9' || ch >= 'a' && ch <= 'f'
		}
	}
	if !okShape {
		c.bad("value", "%q is not a MAC address of lower-case hex pairs separated by colons", truncate(s, 64))
	}
}

func checkNetworkTraffic(c *checker) {
	if !c.has("src_ref") && !c.has("dst_ref") {
		c.bad("", "a network-traffic needs src_ref or dst_ref")
	}
	c.order("start", "end", false)
	if active, _ := c.m["is_active"].(bool); active && c.has("end") {
		c.bad("end", "must not be present when is_active is true")
	}
}

func checkRegistryKey(c *checker) {
	atLeastOne(c)
	vals, _ := c.m["values"].([]any)
	for i, v := range vals {
		v, _ := v.(map[string]any)
		f := indexPath("values", i)
		for _, k := range []string{"name", "data"} {
			if x, ok := v[k]; ok {
				if _, ok := x.(string); !ok {
					c.bad(f+"."+k, "must be a string")
				}
			}
		}
		if x, ok := v["data_type"]; ok {
			c.checkProp(f+".data_type", prop{k: kString, enum: registryEnum}, x)
		}
	}
}
