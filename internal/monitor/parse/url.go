package parse

import (
	"net/url"

	"github.com/kyojo-hub/kyojo/internal/intel"
)

// normURL gives a URL seen in traffic the form intel.NormalizeURL gives
// indicators (one function, so that the two cannot drift apart). A URL that
// does not parse, or has no host, is kept as it came.
func normURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	return intel.NormalizeURL(u)
}
