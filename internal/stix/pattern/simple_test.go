package pattern

import (
	"slices"
	"testing"
)

func TestSimple(t *testing.T) {
	o := func(typ, v string) Observable { return Observable{Type: typ, Value: v} }
	tests := []struct {
		pattern string
		want    []Observable // nil: not simple
	}{
		{`[ipv4-addr:value = '198.51.100.1']`, []Observable{o("ipv4-addr", "198.51.100.1")}},
		{`[ipv4-addr:value = '198.51.100.77/24']`, []Observable{o("ipv4-addr", "198.51.100.0/24")}},
		{`[ipv4-addr:value = '198.51.100.1/32']`, []Observable{o("ipv4-addr", "198.51.100.1")}},
		{`[ipv6-addr:value = '2001:0DB8:0000:0000:0000:0000:0000:0001']`, []Observable{o("ipv6-addr", "2001:db8::1")}},
		{`[ipv6-addr:value = '2001:db8::1/48']`, []Observable{o("ipv6-addr", "2001:db8::/48")}},
		{`[ipv4-addr:value = '2001:db8::1']`, nil},
		{`[ipv6-addr:value = '10.0.0.1']`, nil},
		{`[ipv4-addr:value = 'not an ip']`, nil},
		{`[domain-name:value = 'WWW.Example.COM.']`, []Observable{o("domain-name", "www.example.com")}},
		{`[url:value = 'HTTP://Example.COM/Path?Q=A']`, []Observable{o("url", "http://example.com/Path?Q=A")}},
		{`[email-addr:value = 'Jdoe@Example.com']`, []Observable{o("email-addr", "jdoe@example.com")}},
		{`[email-addr:value = 'no-at-sign']`, nil},
		{`[file:hashes.'SHA-256' = 'AEC070645FE53EE3B3763059376134F058CC337247C978ADD178B6CCDFB0019F']`, []Observable{o("file:hashes.SHA-256", "aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f")}},
		{`[file:hashes.md5 = '001DD76872D80801692FF942308C64E6']`, []Observable{o("file:hashes.MD5", "001dd76872d80801692ff942308c64e6")}},
		{`[file:hashes.'SHA-1' = '46aba99aa7158e4609aaa72b50990842fd22ae86' OR file:hashes.'SHA-512' = '` + hex128 + `']`, []Observable{o("file:hashes.SHA-1", "46aba99aa7158e4609aaa72b50990842fd22ae86"), o("file:hashes.SHA-512", hex128)}},
		{`[file:hashes.SSDEEP = '3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C']`, []Observable{o("file:hashes.SSDEEP", "3:AXGBicFlgVNhBGcL6wCrFQEv:AXGHsNhxLsr2C")}},
		{`[file:hashes.MD5 = 'abc']`, nil},
		{`[file:hashes.MD5 = 'zz3f77f6cda6ec00f57d76c9a6879fzz']`, nil},
		{`[file:hashes.'x-custom' = 'abc']`, nil},
		{`[x509-certificate:hashes.'SHA-1' = '0123456789ABCDEF0123456789abcdef01234567']`, []Observable{o("x509-certificate:hashes.SHA-1", "0123456789abcdef0123456789abcdef01234567")}},
		{`[domain-name:value IN ('a.example', 'B.example', 'a.example.')]`, []Observable{o("domain-name", "a.example"), o("domain-name", "b.example")}},
		{`[domain-name:value = 'a.example' OR ipv4-addr:value = '192.0.2.1'] OR ([url:value = 'http://x.example/'] OR [domain-name:value = 'a.example'])`,
			[]Observable{o("domain-name", "a.example"), o("ipv4-addr", "192.0.2.1"), o("url", "http://x.example/")}},
		{`[(domain-name:value = 'a.example' OR domain-name:value = 'b.example')]`, []Observable{o("domain-name", "a.example"), o("domain-name", "b.example")}},
		{`[network-traffic:extensions.'http-request-ext'.request_value = '/x']`, nil},
		{`[network-traffic:dst_ref.value = '192.0.2.1']`, nil},
		{`[domain-name:value = 'a.example'] WITHIN 5 SECONDS`, nil},
		{`[domain-name:value = 'a.example'] REPEATS 2 TIMES`, nil},
		{`[domain-name:value = 'a.example'] AND [domain-name:value = 'b.example']`, nil},
		{`[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']`, nil},
		{`[domain-name:value = 'a.example' AND domain-name:resolves_to_refs[*].value = '192.0.2.1']`, nil},
		{`[domain-name:value != 'a.example']`, nil},
		{`[domain-name:value NOT = 'a.example']`, nil},
		{`[domain-name:value NOT IN ('a.example')]`, nil},
		{`[domain-name:value LIKE '%.example']`, nil},
		{`[domain-name:value IN ()]`, nil},
		{`[domain-name:value IN ('a.example', 5)]`, nil},
		{`[ipv4-addr:value ISSUBSET '10.0.0.0/8']`, nil},
		{`[file:name = 'x.exe']`, nil},
		{`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:name = 'x.exe']`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got, ok := MustParse(tt.pattern).Simple()
			if ok != (tt.want != nil) || !slices.Equal(got, tt.want) {
				t.Errorf("Simple() = %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}

const hex128 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
