package feeds

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"syscall"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// MaxFetch is the most a fetch reads.
const MaxFetch = 512 << 20

// Fetcher downloads feeds over HTTP(S).
type Fetcher struct {
	// AllowPrivate lets fetches reach loopback, private, link-local and
	// other special-purpose addresses. Off by default: only the hub
	// administrator turns it on, for feeds inside their own network.
	AllowPrivate bool
	Timeout      time.Duration // whole request; default 5 minutes
}

// Blocked reports whether a is an address a fetch must not reach unless
// private addresses are allowed.
func Blocked(a netip.Addr) bool {
	a = a.Unmap()
	return !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() ||
		netip.MustParsePrefix("100.64.0.0/10").Contains(a) || // carrier-grade NAT
		netip.MustParsePrefix("192.0.0.0/24").Contains(a) || netip.MustParsePrefix("198.18.0.0/15").Contains(a) ||
		netip.MustParsePrefix("240.0.0.0/4").Contains(a) || netip.MustParsePrefix("64:ff9b::/96").Contains(a)
}

// Dialer returns a dialer that checks the address of every connection it
// makes (the address actually dialled, so DNS tricks cannot bypass it):
// unless allowPrivate, a Blocked address is refused with refused(a).
func Dialer(allowPrivate bool, refused func(netip.Addr) error) *net.Dialer {
	return &net.Dialer{Timeout: 15 * time.Second, Control: func(network, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		a, err := netip.ParseAddr(host)
		if err != nil {
			return err
		}
		if !allowPrivate && Blocked(a) {
			return refused(a)
		}
		return nil
	}}
}

// Get fetches u and returns its body, at most MaxFetch bytes. The address
// check runs on every connection the client makes (redirects included), on
// the address actually dialled, so DNS tricks cannot bypass it.
func (f Fetcher) Get(ctx context.Context, u string) (io.ReadCloser, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" {
		return nil, errs.F(errs.Invalid, "url", "must be an http or https URL")
	}
	dialer := Dialer(f.AllowPrivate, func(a netip.Addr) error {
		return errs.F(errs.Forbidden, "url", "%s resolves to %s, a loopback, private or reserved address; the hub administrator must allow private addresses for this", pu.Host, a)
	})
	timeout := f.Timeout
	if timeout == 0 {
		timeout = 5 * time.Minute
	}
	client := &http.Client{Timeout: timeout, Transport: &http.Transport{DialContext: dialer.DialContext, Proxy: nil,
		TLSHandshakeTimeout: 15 * time.Second, ResponseHeaderTimeout: 60 * time.Second}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, errs.F(errs.Invalid, "url", "%v", err)
	}
	req.Header.Set("User-Agent", "kyojo-feed-fetcher")
	resp, err := client.Do(req)
	if err != nil {
		var ke *errs.Error
		if errors.As(err, &ke) {
			return nil, ke
		}
		return nil, errs.F(errs.Unavailable, "url", "fetching %s: %v", pu.Redacted(), err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, errs.F(errs.Unavailable, "url", "fetching %s: %s", pu.Redacted(), resp.Status)
	}
	return struct {
		io.Reader
		io.Closer
	}{io.LimitReader(resp.Body, MaxFetch), resp.Body}, nil
}
