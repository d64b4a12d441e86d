package taxii_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/taxii"
)

// TestBadInput: each bad request gets the right TAXII error.
func TestBadInput(t *testing.T) {
	h := fixture(t)
	put(t, h, "alice", intel.Sharing{TLP: policy.Amber, Communities: []string{"fin"}}, ind(1, "192.0.2.1", t0), ind(2, "192.0.2.2", t0))
	var env taxii.Envelope
	ok(t, h, call{path: "collections/community-fin/objects/?limit=1", user: "carol"}, &env)
	if !env.More || env.Next == "" {
		t.Fatalf("first page: %+v", env)
	}
	good := env.Next
	payload, sig, _ := strings.Cut(good, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	tampered := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), `"s":`, `"s":1`, 1))) + "." + sig
	objs := "collections/community-fin/objects/"
	for _, tc := range []struct {
		name   string
		c      call
		status int
	}{
		{"limit 0", call{path: objs + "?limit=0"}, 400},
		{"limit 10^9", call{path: objs + "?limit=1000000000"}, 400},
		{"limit -1", call{path: objs + "?limit=-1"}, 400},
		{"limit not a number", call{path: objs + "?limit=ten"}, 400},
		{"added_after not a timestamp", call{path: objs + "?added_after=yesterday"}, 400},
		{"added_after without zone", call{path: objs + "?added_after=2026-04-01T09:30:00"}, 400},
		{"next forged", call{path: objs + "?next=abc.def"}, 400},
		{"next not even a token", call{path: objs + "?next=12"}, 400},
		{"next tampered", call{path: objs + "?next=" + tampered}, 400},
		{"next of another person", call{path: objs + "?next=" + good, user: "bob"}, 400},
		{"next for another endpoint", call{path: "collections/community-fin/manifest/?next=" + good}, 400},
		{"next for another collection", call{path: "collections/community-isp/objects/?next=" + good}, 400},
		{"match[version] bogus", call{path: objs + "?match[version]=newest"}, 400},
		{"match[id] traversal", call{path: objs + "?match[id]=../../etc/passwd"}, 400},
		{"match[type] bogus", call{path: objs + "?match[type]=IND%27--"}, 400},
		{"match[spec_version] bogus", call{path: objs + "?match[spec_version]=3.0"}, 400},
		{"object id traversal", call{path: objs + "..%2F..%2F..%2Fetc%2Fpasswd/"}, 400},
		{"object id not STIX", call{path: objs + "indicator--nope/versions/"}, 400},
		{"collection traversal", call{path: "collections/..%2Fcommunity-isp/objects/"}, 404},
		{"another community", call{path: "collections/community-isp/objects/"}, 404},
		{"another community's manifest", call{path: "collections/community-isp/manifest/", user: "alice"}, 404},
		{"another community's object", call{path: "collections/community-isp/objects/" + indID(1) + "/", user: "alice"}, 404},
		{"another community's versions", call{path: "collections/community-isp/objects/" + indID(1) + "/versions/", user: "alice"}, 404},
		{"accept json", call{path: objs, header: map[string]string{"Accept": "application/json"}}, 406},
		{"accept taxii 2.0", call{path: "collections/", header: map[string]string{"Accept": "application/taxii+json;version=2.0"}}, 406},
		{"accept stix on collections", call{path: "collections/", header: map[string]string{"Accept": taxii.MediaSTIX}}, 406},
	} {
		if tc.c.user == "" {
			tc.c.user = "carol"
		}
		if tc.name == "another community" || tc.name == "collection traversal" {
			tc.c.user = "alice"
		}
		taxiiError(t, tc.name, do(t, h, tc.c), tc.status)
	}
	// The good token still works, and only for carol.
	ok(t, h, call{path: objs + "?limit=1&next=" + good, user: "carol"}, &env)
	if env.More || len(env.Objects) != 1 {
		t.Fatalf("second page: %+v", env)
	}
	// No Accept, */* and the bare type are fine.
	for _, accept := range []string{"", "*/*", "application/taxii+json", "application/json, application/taxii+json;version=2.1;q=0.5"} {
		a := do(t, h, call{path: "collections/", user: "carol", header: map[string]string{"Accept": accept}})
		if a.status != http.StatusOK || a.header.Get("Content-Type") != taxii.MediaTAXII {
			t.Errorf("Accept %q: %d %q", accept, a.status, a.header.Get("Content-Type"))
		}
	}
}
