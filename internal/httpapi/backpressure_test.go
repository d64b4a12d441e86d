package httpapi_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/httpapi"
	"github.com/kyojo-hub/kyojo/internal/hubtest"
)

// slowBody is a request body that holds its ingest slot until released.
type slowBody struct {
	release chan struct{}
	sent    bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	if !b.sent {
		b.sent = true
		return copy(p, "x\n"), nil
	}
	<-b.release
	return 0, http.ErrBodyReadAfterClose
}

// TestIngestTooManyAtOnce fills every ingest slot with slow senders: the
// next batch is answered 429 with Retry-After, not queued or dropped.
func TestIngestTooManyAtOnce(t *testing.T) {
	h := hubtest.New(t)
	_, tok := addSensor(t, h, h.Tokens["bob"], `{"name":"edge","format":"eve"}`)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for range httpapi.MaxIngestInFlight {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", h.URL+"/api/v1/ingest", &slowBody{release: release})
			req.Header.Set("Authorization", "Bearer "+tok)
			if res, err := http.DefaultClient.Do(req); err == nil {
				res.Body.Close()
			}
		}()
	}
	var got *http.Response
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) { // generous: the slots fill slowly on a loaded machine
		req, _ := http.NewRequest("POST", h.URL+"/api/v1/ingest", strings.NewReader("x\n"))
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode == http.StatusTooManyRequests {
			got = res
			break
		}
	}
	close(release)
	wg.Wait()
	if got == nil {
		t.Fatal("never answered 429 with every slot taken")
	}
	if got.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
}
