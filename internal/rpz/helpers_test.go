package rpz

import (
	"net/netip"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func errsFields(err error) []string {
	var out []string
	for _, e := range errs.Fields(err) {
		out = append(out, e.Field)
	}
	return out
}

func mustPrefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, x := range s {
		out = append(out, netip.MustParsePrefix(x))
	}
	return out
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
