package monitor

import (
	"bytes"
	"compress/gzip"
	"context"
	"strings"
	"testing"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"github.com/kyojo-hub/kyojo/internal/monitor/parse"
)

type fakePub struct {
	msgs []Message
	err  error
}

func (p *fakePub) Publish(_ context.Context, m Message) error {
	if p.err != nil {
		return p.err
	}
	p.msgs = append(p.msgs, m)
	return nil
}

func TestIngestSplits(t *testing.T) {
	pub := &fakePub{}
	s := NewService(nil, nil, pub, nil, Options{})
	sn := Sensor{ID: "s1"}
	line := `{"event_type":"flow"}`
	body := strings.Repeat(line+"\n", MaxBatchLines+5) + strings.Repeat("x", parse.MaxLine+10) + "\n" + line // no final newline
	rc, err := s.Ingest(t.Context(), sn, []byte(body), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(pub.msgs) != 3 || rc.Lines != MaxBatchLines+6 {
		t.Fatalf("%d messages, %d lines", len(pub.msgs), rc.Lines)
	}
	if n := bytes.Count(pub.msgs[0].Lines, []byte("\n")); n != MaxBatchLines {
		t.Errorf("first message has %d lines", n)
	}
	if pub.msgs[2].TooLong != 1 || string(pub.msgs[2].Lines) != line {
		t.Errorf("last message: too long %d, %q", pub.msgs[2].TooLong, pub.msgs[2].Lines)
	}
	// The same body gives the same ids: a resend is recognised.
	pub2 := &fakePub{}
	NewService(nil, nil, pub2, nil, Options{}).Ingest(t.Context(), sn, []byte(body), "")
	for i := range pub.msgs {
		if pub.msgs[i].ID != pub2.msgs[i].ID {
			t.Errorf("message %d id differs on resend", i)
		}
	}
	// Over capacity: the error goes back to the sender.
	pub.err = errs.E(errs.Unavailable, "full")
	if _, err := s.Ingest(t.Context(), sn, []byte(line), ""); !errs.Is(err, errs.Unavailable) {
		t.Errorf("over capacity: %v", err)
	}
}

func TestIngestReaderGzip(t *testing.T) {
	pub := &fakePub{}
	s := NewService(nil, nil, pub, nil, Options{})
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte("a\nb\nc\n"))
	z.Close()
	rc, err := s.IngestReader(t.Context(), Sensor{ID: "s"}, &gz, "f")
	if err != nil || rc.Lines != 3 || len(pub.msgs) != 1 || string(pub.msgs[0].Lines) != "a\nb\nc\n" {
		t.Fatalf("%+v %v %d", rc, err, len(pub.msgs))
	}
	if _, err := s.IngestReader(t.Context(), Sensor{ID: "s"}, bytes.NewReader([]byte{0x1f, 0x8b, 1}), "f"); err == nil {
		t.Error("broken gzip accepted")
	}
}
