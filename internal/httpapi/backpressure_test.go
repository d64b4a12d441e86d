package httpapi_test

import (
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/httpapi"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// TestIngestTooManyAtOnce fills every ingest slot with slow senders: the
// next batch is answered 429 with Retry-After, not queued or dropped.
func TestIngestTooManyAtOnce(t *testing.T) {
	h := hubtest.New(t)
	_, tok := addSensor(t, h, h.Tokens["bob"], `{"name":"edge","format":"eve"}`)
	// Slow senders on raw connections: the headers and a first line go out
	// at once (an HTTP client may hold them back while the body streams),
	// and the rest of the body never comes, so each keeps its slot.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	host := strings.TrimPrefix(h.URL, "http://")
	slow := func() net.Conn {
		c, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /api/v1/ingest HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Length: 1000\r\n\r\nx\n", host, tok)
		return c
	}
	for range httpapi.MaxIngestInFlight {
		conns = append(conns, slow())
	}
	var got *http.Response
	last := 0
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) { // generous: the slots fill slowly on a loaded machine
		req, _ := http.NewRequest("POST", h.URL+"/api/v1/ingest", strings.NewReader("x\n"))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		last = res.StatusCode
		if res.StatusCode == http.StatusTooManyRequests {
			got = res
			break
		}
		// A slow sender that arrived while this request held a slot was
		// refused instead (its answer waits for the body that never
		// comes, so the client cannot tell): add another.
		if len(conns) < 4*httpapi.MaxIngestInFlight {
			conns = append(conns, slow())
		}
	}
	if got == nil {
		t.Fatalf("never answered 429 with every slot taken (last answer %d)", last)
	}
	if got.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}
