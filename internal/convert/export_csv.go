package convert

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// CSVColumns are the columns ToCSV writes, in order, as its header row.
var CSVColumns = []string{"type", "value", "first_seen", "valid_until", "confidence", "labels", "id", "tlp"}

// ToCSV writes the indicators among objs as CSV with a header row
// (CSVColumns): one row per observable of an indicator whose pattern
// reduces to simple observables (type is ipv4, ipv6, cidr, domain, url,
// email, mac, md5, sha1, sha256, sha512 or the STIX hash path), and one row
// of type "stix-pattern" with the whole pattern for any other indicator.
// Labels are joined with "|"; tlp is the TLP 2.0 name of the first TLP
// marking. Revoked indicators and other objects are left out. Every cell
// that a spreadsheet would read as a formula (=, +, -, @, tab, CR first) is
// prefixed with a single quote, and cells are quoted as RFC 4180 requires.
// Errors: Malformed for an object that does not decode, or a write error.
func ToCSV(w io.Writer, objs []json.RawMessage) error {
	in, err := parseObjects(objs)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVColumns); err != nil {
		return errs.Wrap(err, "convert: write CSV")
	}
	row := make([]string, len(CSVColumns))
	for i := range in {
		o := &in[i]
		if o.Type != "indicator" || o.Revoked {
			continue
		}
		conf := ""
		if o.Confidence != nil {
			conf = strconv.Itoa(*o.Confidence)
		}
		put := func(typ, value string) error {
			row[0], row[1], row[2], row[3], row[4] = typ, value, o.ValidFrom, o.ValidUntil, conf
			row[5], row[6], row[7] = strings.Join(o.Labels, "|"), o.ID, tlpOf(o.Markings)
			for j, c := range row {
				if formula(c) {
					row[j] = "'" + c
				}
			}
			return cw.Write(row)
		}
		obs, ok := o.observables()
		if !ok {
			if err := put("stix-pattern", o.Pattern); err != nil {
				return errs.Wrap(err, "convert: write CSV")
			}
			continue
		}
		for _, ob := range obs {
			if err := put(string(kindOf(ob)), ob.Value); err != nil {
				return errs.Wrap(err, "convert: write CSV")
			}
		}
	}
	cw.Flush()
	return errs.Wrap(cw.Error(), "convert: write CSV")
}

// ToPlain writes one value per line, for firewalls and proxies: the simple
// observables of kind k (KindIP for IPv4 and IPv6 addresses and blocks,
// KindIPv4, KindIPv6, KindCIDR for blocks only, KindDomain, KindURL,
// KindEmail, KindMD5, KindSHA1, KindSHA256, KindSHA512) of the indicators
// in objs whose patterns reduce to simple observables (pattern.Parse and
// Simple); other indicators, revoked ones and other objects are left out.
// Each value appears once, in input order; a value holding whitespace or a
// control character is left out so that it cannot break the line format.
// Errors: Invalid for another kind, Malformed for an object that does not
// decode, or a write error.
func ToPlain(w io.Writer, objs []json.RawMessage, k Kind) error {
	switch k {
	case KindIP, KindIPv4, KindIPv6, KindCIDR, KindDomain, KindURL, KindEmail, KindMD5, KindSHA1, KindSHA256, KindSHA512:
	default:
		return errs.F(errs.Invalid, "kind", "cannot export values of kind %q", string(k))
	}
	in, err := parseObjects(objs)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	seen := map[string]bool{}
	for i := range in {
		if in[i].Revoked {
			continue
		}
		obs, ok := in[i].observables()
		if !ok {
			continue
		}
		for _, ob := range obs {
			ok := kindOf(ob)
			switch {
			case k == KindIP:
				if ok != KindIPv4 && ok != KindIPv6 && ok != KindCIDR {
					continue
				}
			case ok != k:
				continue
			}
			if seen[ob.Value] || strings.IndexFunc(ob.Value, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 {
				continue
			}
			seen[ob.Value] = true
			bw.WriteString(ob.Value)
			bw.WriteByte('\n')
		}
	}
	return errs.Wrap(bw.Flush(), "convert: write list")
}
