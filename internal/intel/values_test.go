package intel

import (
	"encoding/json"
	"net/netip"
	"slices"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		in, kind, value string
	}{
		{"198.51.100.7", "ip", "198.51.100.7"},
		{" 198.51.100.7 ", "ip", "198.51.100.7"},
		{"198.51.100.7/24", "ip", "198.51.100.0/24"},
		{"2001:DB8::1", "ip", "2001:db8::1"},
		{"2001:db8::/32", "ip", "2001:db8::/32"},
		{"::ffff:198.51.100.7", "ip", "198.51.100.7"},
		{"Evil.Example.", "domain", "evil.example"},
		{"xn--r8jz45g.example", "domain", "xn--r8jz45g.example"},
		{"HTTP://Evil.Example:80/a?b=c#frag", "url", "http://evil.example/a?b=c"},
		{"https://evil.example:8443", "url", "https://evil.example:8443/"},
		{"Alice@Evil.Example", "email", "alice@evil.example"},
		{"D41D8CD98F00B204E9800998ECF8427E", "md5", "d41d8cd98f00b204e9800998ecf8427e"},
		{"da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
		{"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
	} {
		v, err := Classify(tc.in)
		if err != nil || v.Kind != tc.kind || v.Value != tc.value {
			t.Errorf("Classify(%q) = %+v, %v; want %s %s", tc.in, v, err, tc.kind, tc.value)
		}
	}
	for _, bad := range []string{"", "not a value", "-bad-.example", "http://", "a@", "abc123", string(make([]byte, 3000))} {
		if _, err := Classify(bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("Classify(%q): %v, want invalid", bad, err)
		}
	}
}

func TestIPKeys(t *testing.T) {
	a := netip.MustParsePrefix("198.51.100.7/32")
	keys := containingKeys(a)
	if len(keys) != 33 {
		t.Fatalf("%d keys for an IPv4 address, want 33", len(keys))
	}
	if !slices.Contains(keys, Key("ip", "198.51.100.0/24")) || !slices.Contains(keys, Key("ip", "198.51.100.7")) {
		t.Fatal("the /24 and the address itself are not among the containing keys")
	}
	if slices.Contains(keys, Key("ip", "198.51.101.0/24")) {
		t.Fatal("a neighbouring /24 contains the address")
	}
	lo, hi := rangeKeys(netip.MustParsePrefix("198.51.100.0/24"))
	for _, in := range []string{"198.51.100.0", "198.51.100.255", "198.51.100.128/25"} {
		if k := Key("ip", in); k < lo || k > hi {
			t.Errorf("%s (%s) not in [%s, %s]", in, k, lo, hi)
		}
	}
	for _, out := range []string{"198.51.99.255", "198.51.101.0"} {
		if k := Key("ip", out); k >= lo && k <= hi {
			t.Errorf("%s inside the /24 range", out)
		}
	}
}

func TestValuesOf(t *testing.T) {
	obj := func(s string) map[string]any {
		var m map[string]any
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name, typ, json string
		want            []string // kind:value
	}{
		{"ip indicator", "indicator", `{"pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '203.0.113.0/24']"}`,
			[]string{"ip:198.51.100.7", "ip:203.0.113.0/24"}},
		{"url indicator indexes the host", "indicator", `{"pattern_type":"stix","pattern":"[url:value = 'http://Evil.Example/x']"}`,
			[]string{"url:http://evil.example/x", "domain:evil.example"}},
		{"hash indicator", "indicator", `{"pattern_type":"stix","pattern":"[file:hashes.'SHA-256' = 'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']"}`,
			[]string{"sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}},
		{"complex pattern: nothing", "indicator", `{"pattern_type":"stix","pattern":"[ipv4-addr:value = '198.51.100.7'] AND [domain-name:value = 'a.example']"}`, nil},
		{"sigma pattern: nothing", "indicator", `{"pattern_type":"sigma","pattern":"title: x"}`, nil},
		{"domain SCO", "domain-name", `{"value":"WWW.Evil.Example"}`, []string{"domain:www.evil.example"}},
		{"file SCO", "file", `{"hashes":{"MD5":"D41D8CD98F00B204E9800998ECF8427E"}}`, []string{"md5:d41d8cd98f00b204e9800998ecf8427e"}},
		{"observed-data objects", "observed-data", `{"objects":{"0":{"type":"ipv4-addr","value":"198.51.100.9"}}}`, []string{"ip:198.51.100.9"}},
		{"malware: nothing", "malware", `{"name":"x"}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, v := range ValuesOf(tc.typ, obj(tc.json)) {
				got = append(got, v.Kind+":"+v.Value)
				if v.Key != Key(v.Kind, v.Value) {
					t.Errorf("%s: key %q, want %q", v.Value, v.Key, Key(v.Kind, v.Value))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
