package rpz

import (
	"net/netip"
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestReportRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)
	s := NewService(nil, func() time.Time { return now })
	for i := 0; i < MaxReportsPerHour; i++ {
		if err := s.limit("198.51.100.0/24", now); err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
	}
	if err := s.limit("198.51.100.0/24", now); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("over the limit: %v", err)
	}
	if err := s.limit("203.0.113.0/24", now); err != nil {
		t.Fatalf("another network: %v", err)
	}
	if err := s.limit("198.51.100.0/24", now.Add(time.Hour)); err != nil {
		t.Fatalf("next hour: %v", err)
	}
	if got := Truncate(netip.MustParseAddr("2001:db8:1:2::5"), 24, 48).String(); got != "2001:db8:1::/48" {
		t.Fatalf("v6 truncation %s", got)
	}
}
