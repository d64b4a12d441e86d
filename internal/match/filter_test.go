package match

import (
	"strconv"
	"testing"
)

// TestFilter: every key added is reported as maybe held, whatever its
// kind; a key of another kind, or never added, is mostly ruled out.
func TestFilter(t *testing.T) {
	f := newFilter(10_000)
	for i := range 10_000 {
		f.add(Domain, "h"+strconv.Itoa(i)+".evil.example")
	}
	for i := range 10_000 {
		if !f.may(Domain, "h"+strconv.Itoa(i)+".evil.example") {
			t.Fatalf("key %d added but ruled out", i)
		}
	}
	through := 0
	for i := range 100_000 {
		if f.may(Domain, "www.site"+strconv.Itoa(i)+".example.jp") {
			through++
		}
		if f.may(URL, "h"+strconv.Itoa(i%10_000)+".evil.example") {
			through++
		}
	}
	if through > 2_000 { // about 1% of 200,000 expected at 16 bits a key
		t.Errorf("%d of 200,000 absent keys got through", through)
	}
	g := newFilter(10_000)
	for i := range uint32(10_000) {
		g.add4(32, i*7919)
	}
	through = 0
	for i := range uint32(10_000) {
		if !g.may4(32, i*7919) {
			t.Fatalf("address %d added but ruled out", i)
		}
		if g.may4(24, i*7919) || g.may4(32, i*7919+1) {
			through++
		}
	}
	if through > 200 {
		t.Errorf("%d of 20,000 absent blocks got through", through)
	}
	var none *filter
	if !none.may(Domain, "x") || !none.may4(32, 1) {
		t.Error("no filter must rule nothing out")
	}
}
