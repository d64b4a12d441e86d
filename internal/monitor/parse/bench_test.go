package parse

import "testing"

var benchLine = []byte(`{"timestamp":"2026-11-28T06:00:00.123456+0900","flow_id":1234567890123,"in_iface":"eth0","event_type":"http","src_ip":"10.1.2.3","src_port":51234,"dest_ip":"203.0.113.80","dest_port":80,"proto":"TCP","tx_id":0,"http":{"hostname":"www.site1234.example.jp","url":"/index.html?q=1","http_user_agent":"Mozilla/5.0 (Windows NT 10.0; Win64; x64)","http_content_type":"text/html","http_method":"GET","protocol":"HTTP/1.1","status":200,"length":5120}}`)

// BenchmarkEVE measures parsing one typical EVE http line.
func BenchmarkEVE(b *testing.B) {
	b.SetBytes(int64(len(benchLine)))
	for b.Loop() {
		if _, err := EVE(benchLine); err != nil {
			b.Fatal(err)
		}
	}
}
