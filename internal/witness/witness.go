// Package witness asks another kyojo hub to witness this hub's ledger: it
// fetches what the witness last co-signed of this log, sends the latest
// signed checkpoint with a consistency proof from that size, and keeps the
// co-signed checkpoint the witness returns. A log that a witness co-signs
// cannot later show that witness a different history (a fork) without the
// witness refusing.
package witness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kyojo-hub/kyojo/internal/evidence"
)

// Client talks to one witness hub's REST API.
type Client struct {
	URL   string // the witness hub's base URL, e.g. https://hub.partner.example
	Token string // an API token the witness hub issued to this hub
	HTTP  *http.Client
}

func (c Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.URL, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var p struct{ Detail string }
		json.Unmarshal(b, &p)
		return fmt.Errorf("witness %s: %s %s: %d %s", c.URL, method, path, resp.StatusCode, p.Detail)
	}
	return json.Unmarshal(b, out)
}

// Round asks the witness once to co-sign the ledger's latest checkpoint and
// keeps the result.
func Round(ctx context.Context, ev *evidence.Service, c Client) error {
	info := ev.LedgerInfo()
	if info.Checkpoint == "" {
		return nil // nothing signed yet
	}
	var st struct{ Size uint64 }
	if err := c.do(ctx, "GET", "/api/v1/ledger/witnessed?origin="+url.QueryEscape(info.Origin), nil, &st); err != nil {
		return err
	}
	note, proof, err := ev.ConsistencyFrom(st.Size)
	if err != nil {
		return err
	}
	var out struct{ Checkpoint string }
	in := evidence.CosignInput{Checkpoint: string(note), VerifierKey: info.VerifierKey, Proof: proof}
	if err := c.do(ctx, "POST", "/api/v1/ledger/cosign", in, &out); err != nil {
		return err
	}
	return ev.SaveCosigned([]byte(out.Checkpoint))
}

// Loop runs Round every interval until ctx ends.
func Loop(ctx context.Context, ev *evidence.Service, c Client, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := Round(ctx, ev, c); err != nil && ctx.Err() == nil {
			log.Warn("witness", "url", c.URL, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
