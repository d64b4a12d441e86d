package convert

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func ind(id, pattern string, extra string) json.RawMessage {
	return json.RawMessage(`{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2024-01-01T00:00:00.000Z","modified":"2024-01-01T00:00:00.000Z",
"pattern":` + strings.ReplaceAll(`"`+pattern+`"`, `\`, `\\`) + `,"pattern_type":"stix","valid_from":"2024-01-01T00:00:00Z"` + extra + `}`)
}

var exportObjs = []json.RawMessage{
	ind("indicator--00000000-0000-4000-8000-000000000001", "[ipv4-addr:value = '198.51.100.7'] OR [ipv6-addr:value = '2001:db8::/32']", `,"confidence":80,"labels":["c2","=HYPERLINK(\"x\")"],"object_marking_refs":["`+TLPAmber+`"]`),
	ind("indicator--00000000-0000-4000-8000-000000000002", "[domain-name:value = 'evil.example' OR domain-name:value = 'b.example']", ""),
	ind("indicator--00000000-0000-4000-8000-000000000003", "[url:value = 'http://evil.example/a,b']", ""),
	ind("indicator--00000000-0000-4000-8000-000000000004", "[file:hashes.'SHA-256' = '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08']", ""),
	ind("indicator--00000000-0000-4000-8000-000000000005", "[file:name = '=calc.exe' AND file:size = 10]", ""),
	ind("indicator--00000000-0000-4000-8000-000000000006", "[domain-name:value = 'revoked.example']", `,"revoked":true`),
	ind("indicator--00000000-0000-4000-8000-000000000007", "[domain-name:value = 'evil.example']", ""),
	json.RawMessage(`{"type":"identity","spec_version":"2.1","id":"identity--00000000-0000-4000-8000-000000000009","name":"x"}`),
}

func TestToPlain(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{KindIP, "198.51.100.7\n2001:db8::/32\n"},
		{KindIPv4, "198.51.100.7\n"},
		{KindCIDR, "2001:db8::/32\n"},
		{KindDomain, "evil.example\nb.example\n"},
		{KindURL, "http://evil.example/a,b\n"},
		{KindSHA256, "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"},
		{KindMD5, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind), func(t *testing.T) {
			var b bytes.Buffer
			if err := ToPlain(&b, exportObjs, tt.kind); err != nil {
				t.Fatal(err)
			}
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
		})
	}
	if err := ToPlain(&bytes.Buffer{}, exportObjs, KindAuto); !errs.Is(err, errs.Invalid) {
		t.Errorf("kind auto: %v", err)
	}
	if err := ToPlain(&bytes.Buffer{}, []json.RawMessage{[]byte(`{"type":"indicator","id":"x"}`)}, KindIP); !errs.Is(err, errs.Malformed) {
		t.Errorf("bad object: %v", err)
	}
}

func TestToCSV(t *testing.T) {
	var b bytes.Buffer
	if err := ToCSV(&b, exportObjs); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("output is not CSV: %v\n%s", err, b.String())
	}
	want := [][]string{
		CSVColumns,
		{"ipv4", "198.51.100.7", "2024-01-01T00:00:00Z", "", "80", `c2|'=HYPERLINK("x")`, "indicator--00000000-0000-4000-8000-000000000001", "amber"},
		{"cidr", "2001:db8::/32", "2024-01-01T00:00:00Z", "", "80", `c2|'=HYPERLINK("x")`, "indicator--00000000-0000-4000-8000-000000000001", "amber"},
		{"domain", "evil.example", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000002", ""},
		{"domain", "b.example", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000002", ""},
		{"url", "http://evil.example/a,b", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000003", ""},
		{"sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000004", ""},
		{"stix-pattern", "[file:name = '=calc.exe' AND file:size = 10]", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000005", ""},
		{"domain", "evil.example", "2024-01-01T00:00:00Z", "", "", "", "indicator--00000000-0000-4000-8000-000000000007", ""},
	}
	// The labels cell starts with "c2", so only a cell starting with a
	// formula character is prefixed: check one that does.
	want[1][5], want[2][5] = `c2|=HYPERLINK("x")`, `c2|=HYPERLINK("x")`
	if len(rows) != len(want) {
		t.Fatalf("%d rows, want %d:\n%s", len(rows), len(want), b.String())
	}
	for i := range want {
		if strings.Join(rows[i], "\x00") != strings.Join(want[i], "\x00") {
			t.Errorf("row %d\n got %q\nwant %q", i, rows[i], want[i])
		}
	}
	t.Run("formula cells", func(t *testing.T) {
		var b bytes.Buffer
		objs := []json.RawMessage{ind("indicator--00000000-0000-4000-8000-000000000001", "[url:value = 'http://x.example/']", `,"labels":["@SUM(A1)"]`),
			ind("indicator--00000000-0000-4000-8000-000000000002", "[email-addr:value = '-x@evil.example']", "")}
		if err := ToCSV(&b, objs); err != nil {
			t.Fatal(err)
		}
		rows, _ := csv.NewReader(&b).ReadAll()
		if rows[1][5] != "'@SUM(A1)" || rows[2][1] != "'-x@evil.example" {
			t.Errorf("not neutralised: %q %q", rows[1][5], rows[2][1])
		}
	})
}
