package pattern

import (
	"encoding/json"
	"testing"
	"time"
)

// FuzzParse checks that Parse never panics and that the canonical form of
// every pattern it accepts parses again to the same canonical form.
// Seeds: the spec-style examples here plus testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	for _, s := range specExamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			if p != nil {
				t.Fatalf("Parse returned a pattern and an error")
			}
			return
		}
		canon := p.String()
		q, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form %q of %q does not parse: %v", canon, s, err)
		}
		if again := q.String(); again != canon {
			t.Fatalf("canonical form not stable:\n%q\n%q", canon, again)
		}
		if dump(p.Root) != dump(q.Root) {
			t.Fatalf("trees differ:\n%s\n%s", dump(p.Root), dump(q.Root))
		}
		p.Simple()
	})
}

// FuzzMatch checks that evaluating any valid pattern against any objects
// decoded from JSON neither panics nor runs away.
func FuzzMatch(f *testing.F) {
	f.Add(`[file:name = 'a'] FOLLOWEDBY [file:size > 3] WITHIN 5 SECONDS`, `{"0":{"type":"file","name":"a","size":4}}`, 2)
	f.Add(`[email-message:from_ref.value MATCHES 'x$' OR email-message:to_refs[*].value LIKE '%@b']`, `{"0":{"type":"email-message","from_ref":"1","to_refs":["1","0"]},"1":{"type":"email-addr","value":"a@b"}}`, 1)
	f.Add(`[ipv4-addr:value ISSUBSET '10.0.0.0/8'] REPEATS 3 TIMES`, `{"0":{"type":"ipv4-addr","value":"10.1.2.3"}}`, 3)
	f.Add(`[a-b:x.y[*].z IN (1, 'q', true, h'00', b'AA==', t'2020-01-01T00:00:00Z')]`, `{"0":{"type":"a-b","x":{"y":[{"z":1},{"z":"q"}]}}}`, 1)
	f.Fuzz(func(t *testing.T, pattern, objects string, n int) {
		p, err := Parse(pattern)
		if err != nil {
			return
		}
		var objs map[string]map[string]any
		if json.Unmarshal([]byte(objects), &objs) != nil {
			return
		}
		n = n % 8
		if n < 0 {
			n = -n
		}
		obs := make([]Observation, n)
		for i := range obs {
			at := t0.Add(time.Duration(i) * time.Second)
			obs[i] = Observation{FirstObserved: at, LastObserved: at, NumberObserved: i % 3, Objects: objs}
		}
		p.Match(obs)
	})
}
