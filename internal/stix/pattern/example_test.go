package pattern_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

func ExampleParse() {
	p, err := pattern.Parse(`[ file:hashes.'SHA-256' == 'AB12'  OR file:name='x.exe' ]  WITHIN 5.0 SECONDS`)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p)

	_, err = pattern.Parse(`[file:name = 'x' OR]`)
	var pe *pattern.ParseError
	fmt.Println(errors.As(err, &pe), pe.Offset, errs.Is(err, errs.Invalid))
	fmt.Println(err)
	// Output:
	// [file:hashes.'SHA-256' = 'AB12' OR file:name = 'x.exe'] WITHIN 5 SECONDS
	// true 19 true
	// at 19 (column 20): expected a comparison, found ']'
}

func ExamplePattern_Simple() {
	p := pattern.MustParse(`[domain-name:value = 'Evil.Example.' OR ipv4-addr:value = '198.51.100.9/24'] OR [file:hashes.md5 = 'CEAD3F77F6CDA6EC00F57D76C9A6879F']`)
	obs, ok := p.Simple()
	fmt.Println(ok)
	for _, o := range obs {
		fmt.Println(o.Type, o.Value)
	}
	// Output:
	// true
	// domain-name evil.example
	// ipv4-addr 198.51.100.0/24
	// file:hashes.MD5 cead3f77f6cda6ec00f57d76c9a6879f
}

func ExamplePattern_Match() {
	p := pattern.MustParse(`[email-message:from_ref.value LIKE '%@g0thamnatl.com'] FOLLOWEDBY [url:value = 'http://x.example/'] WITHIN 60 SECONDS`)
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	obs := []pattern.Observation{
		{FirstObserved: at, LastObserved: at, NumberObserved: 1, Objects: map[string]map[string]any{
			"0": {"type": "email-message", "from_ref": "1"},
			"1": {"type": "email-addr", "value": "billing@g0thamnatl.com"},
		}},
		{FirstObserved: at.Add(30 * time.Second), LastObserved: at.Add(30 * time.Second), NumberObserved: 1, Objects: map[string]map[string]any{
			"0": {"type": "url", "value": "http://x.example/"},
		}},
	}
	ok, err := p.Match(obs)
	fmt.Println(ok, err)
	// Output:
	// true <nil>
}
