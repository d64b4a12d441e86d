package feeds_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
	"github.com/kyojo-hub/kyojo/internal/store/sqlite"
)

func TestDetect(t *testing.T) {
	for _, tc := range []struct {
		name, head string
		want       feeds.Format
	}{
		{"x.json", `{"type":"bundle","objects":[]}`, feeds.STIX},
		{"event.json", `{"Event":{"info":"x"}}`, feeds.MISP},
		{"r.json", `{"response":[{"Event":{}}]}`, feeds.MISP},
		{"list.csv", "ip,comment\n1.2.3.4,x", feeds.CSV},
		{"list.tsv", "1.2.3.4\tx", feeds.CSV},
		{"blocklist.txt", "# comment\n1.2.3.4", feeds.Plain},
		{"noext", "evil.example", feeds.Plain},
	} {
		if got := feeds.Detect(tc.name, []byte(tc.head)); got != tc.want {
			t.Errorf("Detect(%s) = %s, want %s", tc.name, got, tc.want)
		}
	}
}

func setup(t testing.TB) (*intel.Service, identity.Actor) {
	t.Helper()
	return setupWith(t, intel.Options{})
}

func setupWith(t testing.TB, opt intel.Options) (*intel.Service, identity.Actor) {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "k.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	o, err := identity.NewService(db, nil).CreateOrg(ctx, identity.System("t"), identity.Org{Slug: "o", Name: "O", Kind: identity.KindSME})
	if err != nil {
		t.Fatal(err)
	}
	a := identity.Actor{Viewer: policy.Viewer{UserID: "u", OrgID: o.ID, Role: policy.Analyst, Scope: policy.ScopeWrite}}
	return intel.NewService(db.Intel(), db, opt), a
}

func TestImportFormats(t *testing.T) {
	svc, a := setup(t)
	ctx := t.Context()
	csv := "value,comment\n198.51.100.7,scanner\nevil.example,phishing\n=cmd|' /C calc'!A0,formula\nnot a value,bad\n"
	st, err := feeds.Import(ctx, svc, a, "block.csv", strings.NewReader(csv),
		feeds.Options{Sharing: intel.Sharing{TLP: policy.Green}, Mapping: convert.Mapping{Value: 1, Description: 2}}, nil)
	if err != nil || st.Created != 2 || st.Rejected != 2 {
		t.Fatalf("csv: %+v %v", st, err)
	}
	res, _ := svc.Search(ctx, a, "198.51.100.7")
	if len(res.Objects) != 1 || res.Objects[0].TLP != policy.Green || res.Objects[0].Source != "import:block.csv" {
		t.Fatalf("csv search: %+v", res.Objects)
	}
	plain := "# list\n203.0.113.9\n203.0.113.10 # inline\n\n"
	st, err = feeds.Import(ctx, svc, a, "list.txt", strings.NewReader(plain), feeds.Options{}, nil)
	if err != nil || st.Created != 2 {
		t.Fatalf("plain: %+v %v", st, err)
	}
	var objs []string
	for i := range 3 {
		objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--00000000-0000-4000-8000-%012d",`+
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'd%d.example']",`+
			`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, i, i))
	}
	bundle := `{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[` + strings.Join(objs, ",") + `]}`
	st, err = feeds.Import(ctx, svc, a, "b.json", strings.NewReader(bundle), feeds.Options{}, nil)
	if err != nil || st.Created != 3 {
		t.Fatalf("stix: %+v %v", st, err)
	}
	if _, err := feeds.Import(ctx, svc, a, "broken.json", strings.NewReader(`{"type":"bundle","objects":[{"a":`), feeds.Options{}, nil); !errs.Is(err, errs.Malformed) {
		t.Fatalf("broken bundle: %v", err)
	}
}

func TestFetchRefusesPrivateAddresses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "198.51.100.7\n") }))
	defer srv.Close()
	_, err := feeds.Fetcher{}.Get(context.Background(), srv.URL)
	if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Fatalf("loopback fetch: %v", err)
	}
	body, err := feeds.Fetcher{AllowPrivate: true}.Get(context.Background(), srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(body)
	body.Close()
	if string(b) != "198.51.100.7\n" {
		t.Fatalf("body %q", b)
	}
	for _, bad := range []string{"ftp://x.example/", "file:///etc/passwd", "http://"} {
		if _, err := (feeds.Fetcher{}).Get(context.Background(), bad); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
	for a, want := range map[string]bool{"127.0.0.1": true, "10.1.2.3": true, "169.254.169.254": true, "::1": true, "fe80::1": true,
		"100.64.0.1": true, "::ffff:192.168.0.1": true, "198.51.100.7": false, "2001:db8::1": false, "8.8.8.8": false} {
		if got := feeds.Blocked(netip.MustParseAddr(a)); got != want {
			t.Errorf("Blocked(%s) = %v", a, got)
		}
	}
}
