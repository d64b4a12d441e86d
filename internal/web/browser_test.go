package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
	"github.com/kyojo-hub/kyojo/internal/identity"
	"github.com/kyojo-hub/kyojo/internal/intel"
	"github.com/kyojo-hub/kyojo/internal/policy"
)

// findBrowser returns a Chromium or Chrome binary, or "".
func findBrowser() string {
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	return ""
}

// browser starts a headless Chromium for the test (stopped when it ends)
// and returns its context, with a 90-second limit. It skips the test when
// there is no Chromium, unless KYOJO_REQUIRE_BROWSER is set, and in -short
// mode.
func browser(t *testing.T) context.Context {
	t.Helper()
	bin := findBrowser()
	if bin == "" {
		if os.Getenv("KYOJO_REQUIRE_BROWSER") != "" {
			t.Fatal("KYOJO_REQUIRE_BROWSER is set but no Chromium was found")
		}
		t.Skip("no Chromium found; `apt-get install -y chromium` enables this test")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
	}
	actx, cancelA := chromedp.NewExecAllocator(t.Context(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	return ctx
}

// TestBrowser drives a real headless Chromium: sign in, switch language,
// register an organisation through the form and find it in the directory,
// search for a value with the header's search box.
func TestBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := hubtest.New(t)

	C := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/orgs"), // anonymous: sent to the sign-in page
		chromedp.WaitVisible(C(`#f-username`)),
		chromedp.SendKeys(C(`#f-username`), "admin"),
		chromedp.SendKeys(C(`#f-password`), hubtest.Password),
		chromedp.Click(C(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(C(`#orgs-table`)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// admin's stored locale is English: switch to Japanese, then back.
	for _, want := range []string{"CSIRT ディレクトリ", "CSIRT directory"} {
		if err := chromedp.Do(ctx, chromedp.Click(C(`#lang-switch`))); err != nil {
			t.Fatal(err)
		}
		if heading := waitText(t, ctx, `h1`, want); !strings.Contains(heading, want) {
			t.Fatalf("language switch: heading %q, want %q", heading, want)
		}
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/orgs/new"),
		chromedp.WaitVisible(C(`#f-slug`)),
		chromedp.SendKeys(C(`#f-slug`), "browser-org"),
		chromedp.SendKeys(C(`#f-name`), "Browser Org"),
		chromedp.SetValue(C(`#f-kind`), "isp"),
		chromedp.SendKeys(C(`input[name="contacts[0].name"]`), "SOC"),
		chromedp.SendKeys(C(`input[name="contacts[0].email"]`), "soc@browser.example"),
		chromedp.Click(C(`form.form button.primary`)),
	)
	if err != nil {
		t.Fatalf("submit organisation: %v", err)
	}
	if s := waitText(t, ctx, `h1`, "Browser Org"); !strings.Contains(s, "Browser Org") {
		t.Fatalf("after submit: heading %q", s)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/orgs"),
		chromedp.WaitVisible(C(`#orgs-table`)),
	)
	if err != nil {
		t.Fatalf("create organisation: %v", err)
	}
	table, err := chromedp.Run(ctx, chromedp.Text(C(`#orgs-table`)))
	if err != nil || !strings.Contains(table, "Browser Org") {
		t.Fatalf("directory lacks the new organisation (%v):\n%s", err, table)
	}
	// Filter-as-you-type hides the other rows.
	if err := chromedp.Do(ctx, chromedp.SendKeys(C(`#filter-orgs-table`), "browser")); err != nil {
		t.Fatal(err)
	}
	visible, err := chromedp.Run(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll("#orgs-table tbody tr")].filter(r => !r.hidden).length`))
	if err != nil || visible != 1 {
		t.Fatalf("table filter: %d rows visible, %v", visible, err)
	}
	// A federation partner registered from its form.
	err = chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/partners/new"),
		chromedp.WaitVisible(C(`#f-slug`)),
		chromedp.SendKeys(C(`#f-slug`), "cert-b"),
		chromedp.SendKeys(C(`#f-name`), "CERT Browser"),
		chromedp.SendKeys(C(`#f-country`), "NZ"),
		chromedp.SetValue(C(`#f-org`), h.Orgs["isp-a"].ID),
		chromedp.SendKeys(C(`#f-api_root`), "https://taxii.cert-b.example/api1/"),
		chromedp.SendKeys(C(`#f-collection`), "c1"),
		chromedp.SendKeys(C(`#f-secret`), "browser-token"),
		chromedp.Click(C(`input[name="markings"][value="green"]`)),
		chromedp.Click(C(`form.form button.primary`)),
	)
	if err != nil {
		t.Fatalf("submit partner: %v", err)
	}
	if s := waitText(t, ctx, `h1`, "CERT Browser"); !strings.Contains(s, "CERT Browser") {
		t.Fatalf("after submit: heading %q", s)
	}
	if p, err := h.Partners.Get(t.Context(), identity.System("test"), "cert-b"); err != nil || len(p.Policy.Markings) != 1 || p.Policy.Markings[0] != policy.Green {
		t.Fatalf("partner from the browser: %+v %v", p, err)
	}
	// The header's search box finds an address inside a shared block.
	put(t, h, "alice", indicator("indicator--7c1f4d9a-2b1e-4e55-9d3a-6a0f2c9b8e11", "Browser C2", `[ipv4-addr:value = '192.0.2.0/24']`),
		intel.Sharing{TLP: policy.Clear})
	err = chromedp.Do(ctx,
		chromedp.SendKeys(C(`#top-search`), "192.0.2.44"),
		chromedp.Submit(C(`#top-search`)),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if s := waitText(t, ctx, `#search-result`, "Browser C2"); !strings.Contains(s, "Browser C2") {
		t.Fatalf("search result: %q", s)
	}
}

// waitText waits, through page loads, until the element sel contains want,
// and returns its last text.
func waitText(t *testing.T, ctx context.Context, sel, want string) string {
	t.Helper()
	var text string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel))); err == nil {
			text = s
			if strings.Contains(s, want) {
				break
			}
		}
	}
	return text
}
