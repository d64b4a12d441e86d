package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// TestIncidentBrowser drives headless Chromium through the report form:
// paste a report, let the hub read it, file it, and find the case page with
// the observables and the timeline.
func TestIncidentBrowser(t *testing.T) {
	t.Parallel()
	ctx := browser(t)
	h := hubtest.New(t)
	C := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(h.URL+"/incidents/new"),
		chromedp.WaitVisible(C(`#f-username`)),
		chromedp.SendKeys(C(`#f-username`), "carol"),
		chromedp.SendKeys(C(`#f-password`), hubtest.Password),
		chromedp.Click(C(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(C(`#f-text`)),
	)
	if err != nil {
		t.Fatalf("sign in to the report form: %v", err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(C(`#f-text`), "Subject: Botnet C2 on customer lines\nTLP: GREEN\nC2 at 192.0.2[.]44 and hxxp://cnc.example[.]org/gate"),
		chromedp.Click(C(`#parse-button`)),
		chromedp.WaitVisible(C(`#observables`)),
	)
	if err != nil {
		t.Fatalf("paste and read: %v", err)
	}
	title, err := chromedp.Run(ctx, chromedp.Value(C(`#f-title`)))
	if err != nil || title != "Botnet C2 on customer lines" {
		t.Fatalf("title read from the text: %q %v", title, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(C(`#report-button`)), chromedp.WaitVisible(C(`#timeline`))); err != nil {
		t.Fatalf("report: %v", err)
	}
	links, err := chromedp.Run(ctx, chromedp.Text(C(`#links`)))
	if err != nil || !strings.Contains(links, "192.0.2.44") || !strings.Contains(links, "http://cnc.example.org/gate") {
		t.Fatalf("case page links: %q %v", links, err)
	}
}
