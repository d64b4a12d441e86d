package taxiiclient

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// answer is a transport that answers every request with one body.
type answer struct {
	status int
	ctype  string
	body   string
	added  string
}

func (a answer) RoundTrip(r *http.Request) (*http.Response, error) {
	h := http.Header{"Content-Type": {a.ctype}, "X-Taxii-Date-Added-Last": {a.added}}
	return &http.Response{StatusCode: a.status, Header: h, Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

// FuzzAnswer: whatever a server answers, the client returns a page or an
// error, never panics, and never returns more bytes than its limit.
func FuzzAnswer(f *testing.F) {
	for _, s := range []struct {
		status      int
		body, added string
	}{
		{200, `{"more":false,"objects":[{"type":"indicator"}]}`, "2026-04-01T00:00:00.000Z"},
		{200, `{"more":true,"next":"abc","objects":[]}`, "yesterday"},
		{200, `{"more":true}`, ""},
		{401, `{"title":"Authentication required","http_status":"401"}`, ""},
		{500, `<html>`, ""},
		{200, `{"objects":[` + strings.Repeat(`{},`, 100) + `{}]}`, ""},
		{200, `[`, ""},
	} {
		f.Add(s.status, s.body, s.added)
	}
	f.Fuzz(func(t *testing.T, status int, body, added string) {
		if status < 100 || status > 999 {
			return
		}
		c := &Client{APIRoot: "https://partner.example/taxii2/r/", Token: "t", MaxResponse: 4096}
		c.hc = &http.Client{Transport: answer{status, MediaTAXII, body, added}}
		p, err := c.Objects(t.Context(), "c", Query{})
		if err == nil && (status >= 300 || len(body) > 4096) {
			t.Fatalf("status %d, %d bytes accepted", status, len(body))
		}
		if err == nil && p.More && p.Next == "" {
			t.Fatal("more without next accepted")
		}
	})
}
