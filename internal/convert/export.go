package convert

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/stix/pattern"
)

// stixIn is what the exporters read of a STIX object.
type stixIn struct {
	Type         string   `json:"type"`
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Description  string   `json:"description"`
	Pattern      string   `json:"pattern"`
	PatternType  string   `json:"pattern_type"`
	ValidFrom    string   `json:"valid_from"`
	ValidUntil   string   `json:"valid_until"`
	Created      string   `json:"created"`
	Modified     string   `json:"modified"`
	Published    string   `json:"published"`
	CreatedByRef string   `json:"created_by_ref"`
	Labels       []string `json:"labels"`
	Markings     []string `json:"object_marking_refs"`
	ObjectRefs   []string `json:"object_refs"`
	Confidence   *int     `json:"confidence"`
	Revoked      bool     `json:"revoked"`
}

// parseObjects decodes objs; an object that is not a JSON object with a
// type and an id of the form type--uuid is a Malformed error naming its index.
func parseObjects(objs []json.RawMessage) ([]stixIn, error) {
	out := make([]stixIn, 0, len(objs))
	for i, raw := range objs {
		var o stixIn
		if err := json.Unmarshal(raw, &o); err != nil {
			return nil, errs.F(errs.Malformed, indexField(i), "not a STIX object: %v", err)
		}
		if _, ok := uuidOf(o.ID); !ok || !strings.HasPrefix(o.ID, o.Type+"--") {
			return nil, errs.F(errs.Malformed, indexField(i), "id is not of the form type--uuid")
		}
		out = append(out, o)
	}
	return out, nil
}

func indexField(i int) string { return "objects[" + itoa(i) + "]" }

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// uuidOf returns the uuid part of a STIX id.
func uuidOf(id string) (string, bool) {
	i := strings.LastIndex(id, "--")
	if i < 0 {
		return "", false
	}
	return normUUID(id[i+2:])
}

// observables reduces an indicator's pattern to simple observables; ok is
// false for indicators that are not STIX patterns or not simple.
func (o *stixIn) observables() ([]pattern.Observable, bool) {
	if o.Type != "indicator" || (o.PatternType != "" && o.PatternType != "stix") {
		return nil, false
	}
	p, err := pattern.Parse(o.Pattern)
	if err != nil {
		return nil, false
	}
	return p.Simple()
}

// kindOf names an observable in the exporters' terms: ipv4, ipv6, cidr,
// domain, url, email, mac, md5, sha1, sha256, sha512, and the Observable
// type itself for other hashes.
func kindOf(ob pattern.Observable) Kind {
	switch ob.Type {
	case "ipv4-addr", "ipv6-addr":
		if strings.Contains(ob.Value, "/") {
			return KindCIDR
		}
		if ob.Type == "ipv4-addr" {
			return KindIPv4
		}
		return KindIPv6
	case "domain-name":
		return KindDomain
	case "url":
		return KindURL
	case "email-addr":
		return KindEmail
	case "mac-addr":
		return "mac"
	case "file:hashes.MD5", "artifact:hashes.MD5":
		return KindMD5
	case "file:hashes.SHA-1", "artifact:hashes.SHA-1":
		return KindSHA1
	case "file:hashes.SHA-256", "artifact:hashes.SHA-256":
		return KindSHA256
	case "file:hashes.SHA-512", "artifact:hashes.SHA-512":
		return KindSHA512
	}
	return Kind(ob.Type)
}

// tlpOf returns the TLP name of the first TLP marking, or "".
func tlpOf(markings []string) string {
	for _, m := range markings {
		if n := tlpName(m); n != "" {
			return n
		}
	}
	return ""
}

// parseStix reads a STIX timestamp.
func parseStix(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}
