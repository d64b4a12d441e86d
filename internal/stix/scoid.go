package stix

import (
	"bytes"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// SCONamespace is the UUIDv5 namespace of deterministic SCO identifiers
// (specification §2.9).
const SCONamespace = "00abedb4-aa42-466c-9c01-fed23315a9b7"

// idContributing lists, per SCO type, the ID contributing properties of
// the specification. process has none: its ids are UUIDv4.
var idContributing = map[string][]string{
	"artifact":             {"hashes", "payload_bin"},
	"autonomous-system":    {"number"},
	"directory":            {"path"},
	"domain-name":          {"value"},
	"email-addr":           {"value"},
	"email-message":        {"from_ref", "subject", "body"},
	"file":                 {"hashes", "name", "extensions", "parent_directory_ref"},
	"ipv4-addr":            {"value"},
	"ipv6-addr":            {"value"},
	"mac-addr":             {"value"},
	"mutex":                {"name"},
	"network-traffic":      {"start", "end", "src_ref", "dst_ref", "src_port", "dst_port", "protocols", "extensions"},
	"software":             {"name", "cpe", "swid", "vendor", "version"},
	"url":                  {"value"},
	"user-account":         {"account_type", "user_id", "account_login"},
	"windows-registry-key": {"key", "values"},
	"x509-certificate":     {"hashes", "serial_number"},
}

// hashPreference is the order in which one hash is chosen when hashes is
// an ID contributing property (§2.9: only one hash contributes).
var hashPreference = []string{"MD5", "SHA-1", "SHA-256", "SHA-512"}

// SCOID returns the identifier "type--UUID" of an SCO with properties
// props, as specification §2.9 defines it: a UUIDv5 in SCONamespace over
// the canonical JSON (RFC 8785) of the object made of the ID contributing
// properties of typ that props holds. When hashes contributes, only one
// hash is used: MD5, else SHA-1, else SHA-256, else SHA-512, else the
// first by name. When props holds none of them, or typ has none (process)
// or is not a type of the specification, the UUID is a random UUIDv4.
// Values may be the decoded JSON of Props or ordinary Go values (strings,
// numbers, bools, slices, maps with string keys); a value that cannot be
// encoded as JSON makes SCOID fall back to UUIDv4 too.
func SCOID(typ string, props map[string]any) string {
	name := map[string]any{}
	for _, k := range idContributing[typ] {
		v, ok := props[k]
		if !ok || v == nil {
			continue
		}
		if k == "hashes" {
			v = oneHash(v)
		}
		name[k] = v
	}
	if len(name) == 0 {
		return typ + "--" + uuid4()
	}
	var b bytes.Buffer
	if err := canonical(&b, name, 0); err != nil {
		return typ + "--" + uuid4()
	}
	return typ + "--" + uuid5(SCONamespace, b.Bytes())
}

// oneHash reduces a hashes dictionary to the one preferred entry.
func oneHash(v any) any {
	var m map[string]any
	switch h := v.(type) {
	case map[string]any:
		m = h
	case map[string]string:
		m = make(map[string]any, len(h))
		for k, x := range h {
			m[k] = x
		}
	default:
		return v
	}
	for _, p := range hashPreference {
		if x, ok := m[p]; ok {
			return map[string]any{p: x}
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return m
	}
	slices.Sort(keys)
	return map[string]any{keys[0]: m[keys[0]]}
}

func uuid5(ns string, name []byte) string {
	nsb, _ := hex.DecodeString(ns[0:8] + ns[9:13] + ns[14:18] + ns[19:23] + ns[24:])
	h := sha1.New()
	h.Write(nsb)
	h.Write(name)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func uuid4() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return formatUUID(u)
}

func formatUUID(u [16]byte) string {
	s := hex.EncodeToString(u[:])
	return s[0:8] + "-" + s[8:12] + "-" + s[12:16] + "-" + s[16:20] + "-" + s[20:]
}

// canonical writes v as RFC 8785 canonical JSON: object members sorted by
// their UTF-16 code units, no insignificant white space, strings with only
// the mandatory escapes, numbers in the ECMAScript shortest form.
func canonical(b *bytes.Buffer, v any, depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("nested too deeply")
	}
	switch v := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case string:
		canonString(b, v)
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return err
		}
		return canonNumber(b, f)
	case float64:
		return canonNumber(b, v)
	case float32:
		return canonNumber(b, float64(v))
	case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		f, _ := strconv.ParseFloat(fmt.Sprint(v), 64)
		return canonNumber(b, f)
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := canonical(b, x, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareUTF16)
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			canonString(b, k)
			b.WriteByte(':')
			if err := canonical(b, v[k], depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	default:
		// Other Go values (typed slices and maps, structs): through
		// encoding/json to the generic form, then canonically.
		if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
			b.WriteString("null")
			return nil
		}
		raw, err := json.Marshal(v)
		if err != nil {
			return err
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		var g any
		if err := d.Decode(&g); err != nil {
			return err
		}
		return canonical(b, g, depth+1)
	}
	return nil
}

func canonString(b *bytes.Buffer, s string) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\b':
			b.WriteString(`\b`)
		case r == '\f':
			b.WriteString(`\f`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20:
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r) // invalid UTF-8 becomes U+FFFD
		}
		i += size
	}
	b.WriteByte('"')
}

// canonNumber writes f in the ECMAScript Number.prototype.toString form.
func canonNumber(b *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("number %v has no JSON form", f)
	}
	if f == 0 {
		b.WriteByte('0')
		return nil
	}
	abs := math.Abs(f)
	if abs >= 1e-6 && abs < 1e21 {
		b.WriteString(strconv.FormatFloat(f, 'f', -1, 64))
		return nil
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // like 1e+21, 1.5e-07
	mant, exp, _ := bytes.Cut([]byte(s), []byte("e"))
	b.Write(mant)
	b.WriteByte('e')
	sign := exp[0]
	digits := bytes.TrimLeft(exp[1:], "0")
	b.WriteByte(sign)
	b.Write(digits)
	return nil
}

func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	return slices.Compare(ua, ub)
}
