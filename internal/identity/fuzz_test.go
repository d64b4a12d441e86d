package identity

import (
	"encoding/json"
	"testing"
)

// FuzzOrgJSON feeds arbitrary JSON, as the API receives it, through
// decoding, normalisation and validation: nothing may panic, and an
// organisation found valid stays valid after a JSON round trip.
func FuzzOrgJSON(f *testing.F) {
	f.Add([]byte(`{"slug":"mic","name":"MIC","kind":"government","contacts":[{"name":"SOC","email":"soc@mic.example.jp"}]}`))
	f.Add([]byte(`{"slug":"x","name":"\u0000","kind":"ci_operator","sector":"water","tier":9}`))
	f.Add([]byte(`{"contacts":[{"phone":"+81 (3) 1234-5678","pgp_fingerprint":"ab cd","languages":["JA"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var o Org
		if json.Unmarshal(data, &o) != nil {
			return
		}
		o.Normalize()
		if o.Validate() != nil {
			return
		}
		b, err := json.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		var again Org
		if err := json.Unmarshal(b, &again); err != nil {
			t.Fatal(err)
		}
		again.Normalize()
		if err := again.Validate(); err != nil {
			t.Fatalf("valid organisation became invalid after a round trip: %v\n%s", err, b)
		}
	})
}

// FuzzCheckPassword parses stored hashes; a malformed one must not panic
// or allocate without bound.
func FuzzCheckPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", "pw")
	f.Add("$argon2id$v=19$m=1,t=1,p=1$$", "")
	f.Fuzz(func(t *testing.T, hash, pw string) {
		CheckPassword(hash, pw)
	})
}
