package stix

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestSCOID(t *testing.T) {
	for _, tc := range []struct {
		typ   string
		props map[string]any
		want  string
	}{
		// Ids in the OASIS example sighting-of-observed-data.json, made by
		// the OASIS tooling; the file one shows that MD5 is the hash chosen.
		{"file", map[string]any{"name": "resume.pdf", "size": 83968, "hashes": map[string]any{
			"MD5": "1717b7fff97d37a1e1a0029d83492de1", "SHA-1": "c79a326f8411e9488bdc3779753e1e3489aaedea"}},
			"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"},
		{"windows-registry-key", map[string]any{"key": `HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\WSALG2`},
			"windows-registry-key--16b80d14-d574-5620-abad-10ff304b1c26"},
		// Go values give the same id as decoded JSON.
		{"file", map[string]any{"name": "resume.pdf", "hashes": map[string]string{
			"SHA-1": "c79a326f8411e9488bdc3779753e1e3489aaedea", "MD5": "1717b7fff97d37a1e1a0029d83492de1"}},
			"file--364fe3e5-b1f4-5ba3-b951-ee5983b3538d"},
	} {
		if got := SCOID(tc.typ, tc.props); got != tc.want {
			t.Errorf("SCOID(%s, %v) = %s, want %s", tc.typ, tc.props, got, tc.want)
		}
	}
	// Deterministic, and only ID contributing properties count.
	a := SCOID("autonomous-system", map[string]any{"number": 15139, "name": "A"})
	b := SCOID("autonomous-system", map[string]any{"number": json.Number("15139"), "name": "B"})
	if a != b || !strings.HasPrefix(a, "autonomous-system--") || a[len("autonomous-system--")+14] != '5' {
		t.Errorf("%s %s", a, b)
	}
	// process has no ID contributing properties: random UUIDv4.
	p1, p2 := SCOID("process", map[string]any{"pid": 1}), SCOID("process", map[string]any{"pid": 1})
	if p1 == p2 || p1[len("process--")+14] != '4' {
		t.Errorf("process ids %s %s", p1, p2)
	}
	for _, id := range []string{a, p1} {
		if _, msg := checkIdentifier(id); msg != "" {
			t.Errorf("%s: %s", id, msg)
		}
	}
}

func TestCanonicalJSON(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{map[string]any{"b": 1, "a": []any{true, nil, "x"}}, `{"a":[true,null,"x"],"b":1}`},
		{"é\u2028<>&\"\\\n\x01", "\"é\u2028<>&\\\"\\\\\\n\\u0001\""},
		{json.Number("1.0"), `1`},
		{json.Number("1e21"), `1e+21`},
		{json.Number("0.0000001"), `1e-7`},
		{json.Number("-0.5"), `-0.5`},
		{map[string]any{"\U0001F600": 1, "\uFFFF": 2}, "{\"\U0001F600\":1,\"\uFFFF\":2}"}, // UTF-16 order
	} {
		var b bytes.Buffer
		if err := canonical(&b, tc.in, 0); err != nil || b.String() != tc.want {
			t.Errorf("canonical(%#v) = %s, %v; want %s", tc.in, b.String(), err, tc.want)
		}
	}
}
