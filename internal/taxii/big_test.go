package taxii_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/taxii"
)

// spaces is n bytes of blanks: the middle of a huge envelope, made as it is read.
type spaces struct{ n int64 }

func (s *spaces) Read(p []byte) (int, error) {
	if s.n <= 0 {
		return 0, io.EOF
	}
	n := min(int64(len(p)), s.n)
	for i := range p[:n] {
		p[i] = ' '
	}
	s.n -= n
	return int(n), nil
}

// TestEnvelopeTooLarge: a 200 MB envelope is refused with 413 as a TAXII
// error, after reading no more than the limit, and nothing is stored.
func TestEnvelopeTooLarge(t *testing.T) {
	h := fixture(t)
	body := io.MultiReader(strings.NewReader(`{"objects":[`+ind(1, "192.0.2.1", t0)+`,`), &spaces{n: 200 << 20}, strings.NewReader(`]}`))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, h.URL+base+"collections/inbox-mof/objects/", body)
	req.ContentLength = 200<<20 + 400
	req.SetBasicAuth("alice", h.Tokens["alice"])
	req.Header.Set("Accept", taxii.MediaTAXII)
	req.Header.Set("Content-Type", taxii.MediaTAXII)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("200 MB envelope: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	taxiiError(t, "200 MB envelope", answer{res.StatusCode, res.Header, b}, http.StatusRequestEntityTooLarge)
	if got := objectsOf(t, h, "alice", "inbox-mof", ""); len(got) != 0 {
		t.Fatalf("stored from a refused envelope: %v", got)
	}
	// Just under the limit is taken.
	var env bytes.Buffer
	env.WriteString(`{"objects":[` + ind(2, "192.0.2.2", t0) + `]`)
	env.Write(bytes.Repeat([]byte(" "), taxii.MaxBody-env.Len()-1))
	env.WriteString(`}`)
	a := do(t, h, call{method: http.MethodPost, path: "collections/inbox-mof/objects/", user: "alice", body: env.String()})
	var st taxii.Status
	if a.status != http.StatusAccepted || json.Unmarshal(a.body, &st) != nil || st.SuccessCount != 1 {
		t.Fatalf("envelope at the limit: %d %.300s", a.status, a.body)
	}
}
