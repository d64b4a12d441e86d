package pattern

import (
	"testing"
	"time"
)

// simpleMix is the shape of most shared indicators: one value, a few ORs.
var simpleMix = []string{
	`[ipv4-addr:value = '198.51.100.1']`,
	`[ipv4-addr:value = '203.0.113.0/24']`,
	`[ipv6-addr:value = '2001:db8::1']`,
	`[domain-name:value = 'evil.example.com']`,
	`[url:value = 'http://x4z9arb.cn/4712/']`,
	`[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']`,
	`[file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f']`,
	`[email-addr:value = 'billing@g0thamnatl.com']`,
	`[domain-name:value = 'apple.cmdnetview.com' OR ipv4-addr:value = '60.10.1.120']`,
	`[domain-name:value IN ('a.example', 'b.example', 'c.example')]`,
}

func BenchmarkParseSimple(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := Parse(simpleMix[n%len(simpleMix)]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "patterns/s")
}

func BenchmarkParseAndReduce(b *testing.B) {
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		p, err := Parse(simpleMix[n%len(simpleMix)])
		if err != nil {
			b.Fatal(err)
		}
		if _, ok := p.Simple(); !ok {
			b.Fatal("not simple")
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "patterns/s")
}

func BenchmarkMatch(b *testing.B) {
	p := MustParse(`([network-traffic:dst_ref.value ISSUBSET '198.51.100.0/24' AND network-traffic:dst_port = 443] FOLLOWEDBY [file:hashes.MD5 = 'cead3f77f6cda6ec00f57d76c9a6879f' OR file:name MATCHES '\\.exe$']) WITHIN 300 SECONDS`)
	var obs []Observation
	for i := range 50 {
		at := time.Date(2024, 3, 1, 12, 0, i*10, 0, time.UTC)
		objs := map[string]map[string]any{
			"0": {"type": "ipv4-addr", "value": "198.51.100.7"},
			"1": {"type": "network-traffic", "dst_ref": "0", "dst_port": float64(443)},
		}
		if i%10 == 9 {
			objs = map[string]map[string]any{"0": {"type": "file", "name": "x.exe", "hashes": map[string]any{"MD5": "00"}}}
		}
		obs = append(obs, Observation{FirstObserved: at, LastObserved: at, NumberObserved: 1, Objects: objs})
	}
	b.ReportAllocs()
	for b.Loop() {
		ok, err := p.Match(obs)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
