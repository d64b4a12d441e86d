package identity

import (
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

func validOrg() Org {
	return Org{Slug: "minato-power", Name: "Minato Electric Power", NameJA: "みなと電力", Kind: KindCIOperator,
		Sector: SectorElectric, Contacts: []Contact{{Name: "SOC", Email: "soc@minato.example.jp", Phone: "+81 3-1234-5678",
			PGP: "0123 4567 89ab cdef 0123 4567 89ab cdef 0123 4567", Languages: []string{"JA", "en"}}}}
}

func TestOrgValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Org)
		field  string // "" = valid
	}{
		{"valid", func(*Org) {}, ""},
		{"defaults", func(o *Org) { o.Tier, o.Country = 0, "" }, ""},
		{"bad slug", func(o *Org) { o.Slug = "Minato Power!" }, "slug"},
		{"slug trailing hyphen", func(o *Org) { o.Slug = "minato-" }, "slug"},
		{"no name", func(o *Org) { o.Name = "  " }, "name"},
		{"long name", func(o *Org) { o.Name = strings.Repeat("あ", MaxName+1) }, "name"},
		{"control characters", func(o *Org) { o.Name = "a\x00b" }, "name"},
		{"invalid utf-8", func(o *Org) { o.NameJA = "\xff\xfe" }, "name_ja"},
		{"unknown kind", func(o *Org) { o.Kind = "pirate" }, "kind"},
		{"ci without sector", func(o *Org) { o.Sector = "" }, "sector"},
		{"unknown sector", func(o *Org) { o.Sector = "space" }, "sector"},
		{"tier 5", func(o *Org) { o.Tier = 5 }, "tier"},
		{"country", func(o *Org) { o.Country = "Japan" }, "country"},
		{"contact without means", func(o *Org) { o.Contacts[0].Email, o.Contacts[0].Phone = "", "" }, "contacts[0]"},
		{"contact bad e-mail", func(o *Org) { o.Contacts[0].Email = "soc at minato" }, "contacts[0].email"},
		{"contact e-mail with display name", func(o *Org) { o.Contacts[0].Email = "SOC <soc@minato.example.jp>" }, "contacts[0].email"},
		{"contact e-mail without dot", func(o *Org) { o.Contacts[0].Email = "soc@localhost" }, "contacts[0].email"},
		{"contact bad phone", func(o *Org) { o.Contacts[0].Phone = "03-1234-5678" }, "contacts[0].phone"},
		{"contact letters in phone", func(o *Org) { o.Contacts[0].Phone = "+81 CALL ME" }, "contacts[0].phone"},
		{"contact bad pgp", func(o *Org) { o.Contacts[0].PGP = "1234" }, "contacts[0].pgp_fingerprint"},
		{"contact bad language", func(o *Org) { o.Contacts[0].Languages = []string{"japanese"} }, "contacts[0].languages[0]"},
		{"too many contacts", func(o *Org) { o.Contacts = make([]Contact, MaxContacts+1) }, "contacts"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := validOrg()
			tc.change(&o)
			o.Normalize()
			err := o.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatalf("valid org refused: %v", err)
				}
				return
			}
			for _, f := range errs.Fields(err) {
				if f.Field == tc.field && f.Code == errs.Invalid {
					return
				}
			}
			t.Fatalf("want an error on %s, got %v", tc.field, err)
		})
	}
}

func TestOrgNormalize(t *testing.T) {
	o := validOrg()
	o.Slug = " Minato-Power "
	o.Normalize()
	c := o.Contacts[0]
	if o.Slug != "minato-power" || o.Country != "JP" || o.Tier != Tier3 || c.Phone != "+81312345678" ||
		c.PGP != "0123456789ABCDEF0123456789ABCDEF01234567" || c.Languages[0] != "ja" {
		t.Fatalf("normalised: %+v", o)
	}
}

func TestUserValidate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		u     User
		field string
	}{
		{"valid", User{Username: "Alice.Sato", OrgID: "o"}, ""},
		{"bad username", User{Username: "alice sato", OrgID: "o"}, "username"},
		{"no org", User{Username: "alice"}, "org_id"},
		{"bad role", User{Username: "alice", OrgID: "o", Role: "root"}, "role"},
		{"bad locale", User{Username: "alice", OrgID: "o", Locale: "fr"}, "locale"},
		{"bad email", User{Username: "alice", OrgID: "o", Email: "alice@"}, "email"},
		{"compartments", User{Username: "alice", OrgID: "o", Compartments: []string{"k-defence", "2026-exercise", "-"}}, ""},
		{"compartment of 48", User{Username: "alice", OrgID: "o", Compartments: []string{strings.Repeat("k", 48)}}, ""},
		{"compartment folded", User{Username: "alice", OrgID: "o", Compartments: []string{" K-Defence "}}, ""},
		{"compartment of 49", User{Username: "alice", OrgID: "o", Compartments: []string{strings.Repeat("k", 49)}}, "compartments"},
		{"empty compartment", User{Username: "alice", OrgID: "o", Compartments: []string{" "}}, "compartments"},
		{"compartment with space", User{Username: "alice", OrgID: "o", Compartments: []string{"a", "k defence"}}, "compartments"},
		{"compartment with underscore", User{Username: "alice", OrgID: "o", Compartments: []string{"k_defence"}}, "compartments"},
		{"compartment not ascii", User{Username: "alice", OrgID: "o", Compartments: []string{"防衛"}}, "compartments"},
		{"too many compartments", User{Username: "alice", OrgID: "o", Compartments: manyCompartments(MaxCompartments + 1)}, "compartments"},
		{"most compartments", User{Username: "alice", OrgID: "o", Compartments: manyCompartments(MaxCompartments)}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.u
			u.Normalize()
			err := u.Validate()
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if f := errs.Fields(err); len(f) == 0 || f[0].Field != tc.field {
				t.Fatalf("want error on %s, got %v", tc.field, err)
			}
		})
	}
}

func TestPassword(t *testing.T) {
	h := HashPassword("a long enough password")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Fatalf("hash form: %s", h)
	}
	if !CheckPassword(h, "a long enough password") || CheckPassword(h, "a long enough passworD") {
		t.Fatal("check")
	}
	if h == HashPassword("a long enough password") {
		t.Fatal("no salt")
	}
	for _, bad := range []string{"", "$argon2id$", "$argon2i$v=19$m=1,t=1,p=1$AA$AA", "$argon2id$v=19$m=999999999,t=1,p=1$AA$AA"} {
		if CheckPassword(bad, "x") {
			t.Errorf("malformed hash %q matched", bad)
		}
	}
	if CheckPasswordRules("short") == nil || CheckPasswordRules(strings.Repeat("x", MaxPassword+1)) == nil ||
		CheckPasswordRules("twelve chars") != nil {
		t.Fatal("rules")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(func() time.Time { return now })
	for range LimitPerUser {
		if err := l.Allow("u:alice", "ip:1"); err != nil {
			t.Fatal(err)
		}
		l.Fail("u:alice", "ip:1")
	}
	if err := l.Allow("u:alice", "ip:2"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("11th attempt for one user: %v", err)
	}
	if err := l.Allow("u:bob", "ip:1"); err != nil {
		t.Fatalf("another user from the same address blocked early: %v", err)
	}
	now = now.Add(LimitWindow)
	if err := l.Allow("u:alice", "ip:1"); err != nil {
		t.Fatalf("window did not reset: %v", err)
	}
	l.Fail("u:carol")
	l.Reset("u:carol")
	if len(l.fails) != 2 {
		t.Fatalf("reset left %d keys", len(l.fails))
	}
}

func TestLawEnforcementKindMatchesPolicy(t *testing.T) {
	if string(KindForeignCSIRT) != policy.ForeignCSIRT {
		t.Fatalf("identity.KindForeignCSIRT %q != policy.ForeignCSIRT %q", KindForeignCSIRT, policy.ForeignCSIRT)
	}
	if string(KindLawEnforcement) != policy.LawEnforcement {
		t.Fatalf("identity.KindLawEnforcement %q != policy.LawEnforcement %q", KindLawEnforcement, policy.LawEnforcement)
	}
}
