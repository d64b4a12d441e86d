package taxii

import (
	"testing"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestNextToken(t *testing.T) {
	now := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	s := New(Deps{Key: []byte("k1"), Now: func() time.Time { return now }})
	tok := s.next(cursor{Seq: 42, User: "u", Endpoint: "public/objects"})
	if seq, err := s.readNext(tok, "u", "public/objects"); err != nil || seq != 42 {
		t.Fatalf("read: %d %v", seq, err)
	}
	other := New(Deps{Key: []byte("k2"), Now: s.d.Now})
	if _, err := other.readNext(tok, "u", "public/objects"); !errs.Is(err, errs.Malformed) {
		t.Fatalf("another hub's key: %v", err)
	}
	now = now.Add(NextLifetime + time.Second)
	if _, err := s.readNext(tok, "u", "public/objects"); !errs.Is(err, errs.Malformed) || errs.Fields(err)[0].Message == errBadNext.Message {
		t.Fatalf("expired: %v", err)
	}
}
