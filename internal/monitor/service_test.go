package monitor

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
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
	if !m.Packed {
		return errors.New("ingest published an uncompressed message")
	}
	var err error
	if m.Data, err = Unpack(nil, m.Data); err != nil { // a copy: Data is valid only during the call
		return err
	}
	m.Packed = false
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
	if n := bytes.Count(pub.msgs[0].Data, []byte("\n")); n != MaxBatchLines {
		t.Errorf("first message has %d lines", n)
	}
	if pub.msgs[2].TooLong != 1 || string(pub.msgs[2].Data) != line {
		t.Errorf("last message: too long %d, %q", pub.msgs[2].TooLong, pub.msgs[2].Data)
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
	if err != nil || rc.Lines != 3 || len(pub.msgs) != 1 || string(pub.msgs[0].Data) != "a\nb\nc\n" {
		t.Fatalf("%+v %v %d", rc, err, len(pub.msgs))
	}
	if _, err := s.IngestReader(t.Context(), Sensor{ID: "s"}, bytes.NewReader([]byte{0x1f, 0x8b, 1}), "f"); err == nil {
		t.Error("broken gzip accepted")
	}
}

// TestIngestZeekHeaders: a Zeek TSV log longer than one message has its
// header block put in front of every message, so each reads on its own.
func TestIngestZeekHeaders(t *testing.T) {
	pub := &fakePub{}
	s := NewService(nil, nil, pub, nil, Options{})
	var b bytes.Buffer
	b.WriteString("#separator \\x09\n#fields\tts\tid.orig_h\tquery\n")
	for i := range MaxBatchLines + 10 {
		fmt.Fprintf(&b, "1700000000.%06d\t10.0.0.1\tq%d.example\n", i, i)
	}
	b.WriteString("#close\t2026\n#fields\tts\tquery\n1700000001.0\tlast.example\n")
	rc, err := s.IngestReader(t.Context(), Sensor{ID: "z", Format: parse.FormatZeek}, &b, "")
	if err != nil || len(pub.msgs) != 2 {
		t.Fatalf("%+v %v, %d messages", rc, err, len(pub.msgs))
	}
	for i, m := range pub.msgs {
		r := parse.Reader{Format: parse.FormatZeek}
		events := 0
		for line := range bytes.SplitSeq(bytes.TrimSuffix(m.Data, []byte("\n")), []byte("\n")) {
			_, err := r.Line(line)
			if err == nil {
				events++
			} else if !errors.Is(err, parse.ErrSkip) {
				t.Fatalf("message %d: %v on %q", i, err, line)
			}
		}
		if events == 0 {
			t.Errorf("message %d has no events", i)
		}
	}
}

type smallPub struct {
	fakePub
	max   int
	sizes []int
}

func (p *smallPub) MaxMessageBytes() int { return p.max }

func (p *smallPub) Publish(ctx context.Context, m Message) error {
	if len(m.Data) > p.max {
		return fmt.Errorf("%d bytes published, the most is %d", len(m.Data), p.max)
	}
	p.sizes = append(p.sizes, len(m.Data))
	return p.fakePub.Publish(ctx, m)
}

// TestIngestSplitsToFitTheStream: lines that pack larger than the stream
// takes go in halves, in order, every line once; a line that cannot
// travel alone is counted as too long.
func TestIngestSplitsToFitTheStream(t *testing.T) {
	rnd := rand.NewChaCha8([32]byte{7})
	var body bytes.Buffer
	for i := range 2000 {
		b := make([]byte, 60)
		rnd.Read(b)
		fmt.Fprintf(&body, `{"n":%d,"x":"%x"}`+"\n", i, b)
	}
	pub := &smallPub{max: 40 << 10}
	s := NewService(nil, nil, pub, nil, Options{})
	sn := Sensor{ID: "s1", Format: parse.FormatEVE}
	rc, err := s.Ingest(t.Context(), sn, body.Bytes(), "")
	if err != nil || rc.Lines != 2000 || len(pub.msgs) < 6 {
		t.Fatalf("%+v %v; %d messages", rc, err, len(pub.msgs))
	}
	var got []byte
	for _, m := range pub.msgs {
		got = append(got, m.Data...)
	}
	if !bytes.Equal(got, body.Bytes()) {
		t.Fatal("the lines did not arrive whole and in order")
	}
	// The same body again: the same messages (ids from the lines).
	pub2 := &smallPub{max: 40 << 10}
	rc2, _ := NewService(nil, nil, pub2, nil, Options{}).Ingest(t.Context(), sn, body.Bytes(), "")
	if !slices.Equal(rc.Batches, rc2.Batches) {
		t.Fatal("splitting is not deterministic")
	}
	// One line larger than a message can be, between two small ones.
	huge := make([]byte, 30<<10)
	rnd.Read(huge)
	one := []byte(`{"a":1}` + "\n" + fmt.Sprintf(`{"x":"%x"}`, huge) + "\n" + `{"b":2}` + "\n")
	pub3 := &smallPub{max: 40 << 10}
	rc3, err := NewService(nil, nil, pub3, nil, Options{}).Ingest(t.Context(), sn, one, "")
	var tooLong int64
	for _, m := range pub3.msgs {
		tooLong += m.TooLong
	}
	if err != nil || rc3.Lines != 2 || tooLong != 1 {
		t.Fatalf("%+v %v: %d too long", rc3, err, tooLong)
	}
}

// TestIngestSplitsZeek: a Zeek log split again and again to fit a small
// stream: every message reads on its own under the header block in force
// where it starts (the log changes its block halfway), every event
// arrives once, and the receipt counts the log's lines, not the headers
// put in front of the messages.
func TestIngestSplitsZeek(t *testing.T) {
	rnd := rand.NewChaCha8([32]byte{9})
	var body bytes.Buffer
	lines := 0
	line := func(format string, args ...any) {
		fmt.Fprintf(&body, format+"\n", args...)
		lines++
	}
	line("#separator \\x09")
	line("#fields\tts\tid.orig_h\tquery")
	for i := range 600 {
		b := make([]byte, 24)
		rnd.Read(b)
		line("1700000000.%06d\t10.0.%d.%d\tq%x.example", i, i/250, i%250, b)
	}
	line("#close\t2026-11-28-00-00-00")
	line("#separator \\x09")
	line("#fields\tts\tquery")
	for i := range 600 {
		b := make([]byte, 24)
		rnd.Read(b)
		line("1700000001.%06d\tr%x.example", i, b)
	}
	pub := &smallPub{max: 6 << 10}
	s := NewService(nil, nil, pub, nil, Options{})
	rc, err := s.Ingest(t.Context(), Sensor{ID: "z", Format: parse.FormatZeek}, body.Bytes(), "")
	if err != nil || len(pub.msgs) < 16 {
		t.Fatalf("%+v %v; %d messages", rc, err, len(pub.msgs))
	}
	if rc.Lines != lines {
		t.Errorf("receipt counts %d lines, the log has %d", rc.Lines, lines)
	}
	events, addrs := 0, 0
	for i, m := range pub.msgs {
		r := parse.Reader{Format: parse.FormatZeek}
		for l := range bytes.SplitSeq(bytes.TrimSuffix(m.Data, []byte("\n")), []byte("\n")) {
			ev, err := r.Line(l)
			if errors.Is(err, parse.ErrSkip) {
				continue
			}
			if err != nil {
				t.Fatalf("message %d: %v on %q", i, err, l)
			}
			events++
			if ev.SrcIP.IsValid() {
				addrs++
			}
		}
	}
	if events != 1200 || addrs != 600 {
		t.Errorf("%d events (%d with an address), want 1200 (600)", events, addrs)
	}
}

func TestOneMessage(t *testing.T) {
	line := func(n int) string { return strings.Repeat("x", n) + "\n" }
	long := parse.MaxLine + 5
	tests := []struct {
		name  string
		body  string
		lines int
		ok    bool
	}{
		{"empty", "", 0, true},
		{"one line", line(10), 1, true},
		{"no final newline", line(10) + "abc", 2, true},
		{"empty lines count", "\n\n\n", 3, true},
		{"MaxBatchLines", strings.Repeat("\n", MaxBatchLines), MaxBatchLines, true},
		{"one line too many", strings.Repeat("\n", MaxBatchLines+1), 0, false},
		{"too many bytes", strings.Repeat(line(1000), MaxBatchBytes/1001+1), 0, false},
		{"a long line first", line(long) + line(5), 0, false},
		{"a long line last, no newline", line(5) + strings.Repeat("y", long), 0, false},
		{"a long line straddling windows", line(parse.MaxLine/2-3) + line(long), 0, false},
		{"lines just under half a window apart", strings.Repeat(line(parse.MaxLine/2-1), 6), 6, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, ok := oneMessage([]byte(tc.body))
			if ok != tc.ok || ok && n != tc.lines {
				t.Errorf("oneMessage = %d, %v; want %d, %v", n, ok, tc.lines, tc.ok)
			}
			if !ok {
				return
			}
			// Whenever it says yes, no line is too long to carry.
			for l := range strings.SplitSeq(tc.body, "\n") {
				if len(l) > parse.MaxLine+1 {
					t.Errorf("said one message with a line of %d bytes", len(l))
				}
			}
		})
	}
}
