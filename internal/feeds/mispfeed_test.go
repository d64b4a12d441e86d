package feeds_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/convert"
	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/feeds"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// realEvent is a CIRCL OSINT event from PyMISP's tests (see
// internal/convert/testdata/README.md).
const realEvent = "57c4445b-c548-4654-af0b-4be3950d210f"

// feedServer serves a MISP feed under /feed/: the real event, an event
// built from a plain list, and a manifest entry whose file is missing. It
// records the paths asked for.
func feedServer(t *testing.T) (*httptest.Server, func() []string) {
	t.Helper()
	files := map[string][]byte{}
	ev, err := os.ReadFile("../convert/testdata/misp/" + realEvent + ".json")
	if err != nil {
		t.Fatal(err)
	}
	files[realEvent+".json"] = ev
	var objs []json.RawMessage
	_, err = convert.FromPlain(strings.NewReader("198.51.100.23\nfeed.evil.example\n"), convert.Mapping{Source: "list"},
		func(r convert.Record) error { objs = append(objs, r.Object); return nil })
	if err != nil {
		t.Fatal(err)
	}
	_, events, err := convert.ToMISPFeed(objs, convert.ExportOptions{})
	if err != nil || len(events) != 1 {
		t.Fatalf("%d events, %v", len(events), err)
	}
	manifest := map[string]any{realEvent: map[string]any{"info": "Ransomware - Xorist"},
		"00000000-0000-4000-8000-00000000dead": map[string]any{"info": "gone"}}
	for u, b := range events {
		files[u+".json"] = b
		manifest[u] = map[string]any{"info": "list"}
	}
	files["manifest.json"], _ = json.Marshal(manifest)
	var mu sync.Mutex
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		b, ok := files[strings.TrimPrefix(r.URL.Path, "/feed/")]
		if !ok || !strings.HasPrefix(r.URL.Path, "/feed/") {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(asked)
	}
}

func TestImportMISPFeedFromURL(t *testing.T) {
	srv, asked := feedServer(t)
	ctx := t.Context()
	local := feeds.Fetcher{AllowPrivate: true}

	t.Run("imports", func(t *testing.T) {
		svc, a := setup(t)
		st, err := feeds.ImportMISPFeed(ctx, svc, a, local, srv.URL+"/feed", feeds.FeedLimits{}, feeds.Options{Sharing: intel.Sharing{TLP: policy.Green}}, nil)
		if err != nil || st.Created == 0 || st.Rejected != 1 || st.Reasons["00000000-0000-4000-8000-00000000dead.json: event file unreadable"] != 1 {
			t.Fatalf("%+v %v", st, err)
		}
		res, err := svc.Search(ctx, a, "feed.evil.example")
		if err != nil || len(res.Objects) != 1 || res.Objects[0].Source != "import:feed" {
			t.Fatalf("search: %+v %v", res.Objects, err)
		}
		// The manifest first, then only the files it lists.
		got := asked()
		if len(got) != 4 || got[0] != "/feed/manifest.json" {
			t.Fatalf("requests %v", got)
		}
		for _, p := range got {
			if !strings.HasPrefix(p, "/feed/") || !strings.HasSuffix(p, ".json") {
				t.Errorf("request for %s", p)
			}
		}
	})
	t.Run("manifest URL", func(t *testing.T) {
		rf, err := feeds.FetchMISPFeed(ctx, local, srv.URL+"/feed/manifest.json", feeds.FeedLimits{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rf.Open("../secret.json"); err == nil {
			t.Error("opened a name outside the feed")
		}
		if _, err := rf.Open("00000000-0000-4000-8000-000000000999.json"); err == nil {
			t.Error("opened an event the manifest does not list")
		}
	})
	t.Run("private address refused", func(t *testing.T) {
		svc, a := setup(t)
		n := len(asked())
		_, err := feeds.ImportMISPFeed(ctx, svc, a, feeds.Fetcher{}, srv.URL+"/feed/", feeds.FeedLimits{}, feeds.Options{}, nil)
		if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Fatalf("loopback feed: %v", err)
		}
		if _, err := feeds.FetchMISPFeed(ctx, feeds.Fetcher{}, srv.URL+"/feed/", feeds.FeedLimits{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("FetchMISPFeed: %v", err)
		}
		if len(asked()) != n {
			t.Error("the server was reached")
		}
	})
	t.Run("too many events", func(t *testing.T) {
		svc, a := setup(t)
		_, err := feeds.ImportMISPFeed(ctx, svc, a, local, srv.URL+"/feed/", feeds.FeedLimits{Events: 2}, feeds.Options{}, nil)
		if !errs.Is(err, errs.TooLarge) || !strings.Contains(err.Error(), "lists 3 events") {
			t.Fatalf("event cap: %v", err)
		}
	})
	t.Run("too many bytes", func(t *testing.T) {
		svc, a := setup(t)
		n := len(asked())
		// Room for the manifest and the small list event, not for the
		// real event: fetching it goes over and stops the import.
		st, err := feeds.ImportMISPFeed(ctx, svc, a, local, srv.URL+"/feed/", feeds.FeedLimits{Bytes: 2000}, feeds.Options{}, nil)
		if !errs.Is(err, errs.TooLarge) || !strings.Contains(err.Error(), "larger than the 2000 bytes") {
			t.Fatalf("byte cap: %+v %v", st, err)
		}
		if got := asked()[n:]; got[len(got)-1] != "/feed/"+realEvent+".json" {
			t.Errorf("fetched %v: more after the limit", got)
		}
	})
	t.Run("bad URLs", func(t *testing.T) {
		for _, u := range []string{"ftp://x.example/feed/", "/feed/", "file:///etc/"} {
			if _, err := feeds.FetchMISPFeed(ctx, local, u, feeds.FeedLimits{}); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", u, err)
			}
		}
		if _, err := feeds.FetchMISPFeed(ctx, local, srv.URL+"/nothing/", feeds.FeedLimits{}); !errs.Is(err, errs.Unavailable) {
			t.Errorf("no manifest: %v", err)
		}
	})
}
