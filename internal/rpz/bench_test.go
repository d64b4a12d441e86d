package rpz

import (
	"fmt"
	"testing"
)

// BenchmarkPolicy1M builds the resolver's policy from a 1,000,000-rule
// zone (the zone map already built), and looks names up in it.
func BenchmarkPolicy1M(b *testing.B) {
	z := Zone{Origin: "rpz.bench.", Records: make(map[string]string, 1_000_000), Source: map[string]string{}}
	for i := range 1_000_000 {
		n := fmt.Sprintf("b%07d.phish%d.example", i, i%97)
		z.Records[n], z.Source[n] = ".", fmt.Sprintf("indicator--%036d", i/3)
	}
	b.Run("build", func(b *testing.B) {
		for b.Loop() {
			p := NewPolicy(len(z.Records))
			p.Add(z)
		}
	})
	p := NewPolicy(len(z.Records))
	p.Add(z)
	b.Run("lookup", func(b *testing.B) {
		i := 0
		for b.Loop() {
			p.Lookup(fmt.Sprintf("www.b%07d.phish%d.example.", i%2_000_000, i%97))
			i++
		}
	})
}
