package monitor

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/klauspost/compress/s2"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

func TestPackUnpack(t *testing.T) {
	lines := []byte(strings.Repeat(`{"event_type":"dns","dns":{"rrname":"a.example"}}`+"\n", 5000))
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write(lines)
	z.Close()
	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"s2 (default)", Pack("", lines)},
		{"s2", Pack(CodecS2, lines)},
		{"zstd", Pack(CodecZstd, lines)},
		{"gzip, from before codecs", gz.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.data) >= len(lines)/4 {
				t.Errorf("%d bytes packed to %d", len(lines), len(tc.data))
			}
			for _, unpack := range []func(dst, data []byte) ([]byte, error){Unpack, unpackStreamed} {
				got, err := unpack([]byte("kept:"), tc.data)
				if err != nil || !bytes.Equal(got, append([]byte("kept:"), lines...)) {
					t.Fatalf("unpacked %d bytes, err %v", len(got), err)
				}
			}
		})
	}
	if !bytes.HasPrefix(Pack("", lines), magicS2) || !bytes.HasPrefix(Pack(CodecZstd, lines), magicZstd) {
		t.Error("packed data does not say its codec")
	}
	if got, err := Unpack(nil, Pack("", nil)); err != nil || len(got) != 0 {
		t.Errorf("empty batch: %q %v", got, err)
	}
}

func TestUnpackRefuses(t *testing.T) {
	big := make([]byte, MaxUnpacked+1)
	for name, data := range map[string][]byte{
		"plain text":          []byte("{\"event_type\":\"dns\"}\n"),
		"truncated s2":        Pack(CodecS2, bytes.Repeat([]byte("abcdefgh"), 1000))[:30],
		"truncated zstd":      Pack(CodecZstd, bytes.Repeat([]byte("abcdefgh"), 1000))[:12],
		"s2 past the limit":   Pack(CodecS2, big),
		"zstd past the limit": Pack(CodecZstd, big),
	} {
		if _, err := Unpack(nil, data); !errs.Is(err, errs.Malformed) {
			t.Errorf("%s: %v, want Malformed", name, err)
		}
	}
}

// TestUnpackChecksums: a flipped bit in a kept S2 batch is an error when
// it is read back.
func TestUnpackChecksums(t *testing.T) {
	data := Pack(CodecS2, []byte(strings.Repeat("a line of events\n", 100)))
	data[len(data)-3] ^= 0x01
	if _, err := Unpack(nil, data); !errs.Is(err, errs.Malformed) {
		t.Fatalf("corrupted batch: %v", err)
	}
}

// TestS2Compatible: what PackTo writes is an ordinary S2 stream, and
// streams s2.Writer writes (any block size, padding, an index, better
// compression) unpack to the same lines.
func TestS2Compatible(t *testing.T) {
	var lines []byte
	for i := range 90000 {
		lines = fmt.Appendf(lines, `{"event_type":"flow","src_ip":"10.0.%d.%d","n":%d}`+"\n", i%256, i%7, i)
	}
	random := make([]byte, 300000)
	rand.NewChaCha8([32]byte{1}).Read(random)
	for name, in := range map[string][]byte{"lines over two chunks": lines, "incompressible": random, "one byte": {'x'}} {
		t.Run(name, func(t *testing.T) {
			ours := PackTo(make([]byte, 0, PackBound(len(in))), CodecS2, in)
			if len(ours) > PackBound(len(in)) {
				t.Fatalf("packed %d bytes past the bound %d", len(ours), PackBound(len(in)))
			}
			got, err := io.ReadAll(s2.NewReader(bytes.NewReader(ours)))
			if err != nil || !bytes.Equal(got, in) {
				t.Fatalf("s2.Reader: %d bytes, %v", len(got), err)
			}
			for i, opts := range [][]s2.WriterOption{
				nil,
				{s2.WriterBlockSize(64 << 10), s2.WriterConcurrency(3)},
				{s2.WriterPadding(4096), s2.WriterAddIndex()},
				{s2.WriterBetterCompression()},
			} {
				var buf bytes.Buffer
				w := s2.NewWriter(&buf, opts...)
				w.Write(in)
				w.Close()
				got, err := Unpack([]byte("kept:"), buf.Bytes())
				if err != nil || !bytes.Equal(got, append([]byte("kept:"), in...)) {
					t.Fatalf("writer options %d: %d bytes, %v", i, len(got), err)
				}
			}
		})
	}
}

// FuzzUnpackS2: on any input, unpacking either fails or gives what
// s2.Reader gives; it never panics or grows past MaxUnpacked.
func FuzzUnpackS2(f *testing.F) {
	f.Add(Pack(CodecS2, []byte("{\"event_type\":\"dns\"}\n")))
	f.Add(Pack(CodecS2, bytes.Repeat([]byte("abcdefgh"), 1000)))
	f.Add(append(Pack(CodecS2, []byte("a")), 0xfe, 2, 0, 0, 0, 0))
	f.Add([]byte("\xff\x06\x00\x00S2sTwO\x01\x05\x00\x00\x00\x00\x00\x00x"))
	f.Add([]byte("\xff\x06\x00\x00S2sTwO\x00\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := Unpack(nil, data)
		if !bytes.HasPrefix(data, magicS2) {
			return
		}
		// Read a chunk at a time as the processor does (checksums not
		// checked, as in unpackStreamed): the same lines or the same
		// refusal.
		var blocks []byte
		_, lerr := linesS2(nil, data, func(lines []byte) { blocks = append(blocks, lines...) })
		whole, werr := unpackStreamed(nil, data)
		if (werr == nil) != (lerr == nil) || werr == nil && !bytes.Equal(blocks, whole) {
			t.Fatalf("unpackStreamed: %d bytes, %v; linesS2: %d bytes, %v", len(whole), werr, len(blocks), lerr)
		}
		if err != nil {
			return
		}
		if len(got) > MaxUnpacked {
			t.Fatalf("%d bytes unpacked", len(got))
		}
		want, werr := io.ReadAll(s2.NewReader(bytes.NewReader(data), s2.ReaderMaxBlockSize(4<<20)))
		if werr != nil || !bytes.Equal(got, want) {
			t.Fatalf("unpacked %d bytes; s2.Reader %d bytes, %v", len(got), len(want), werr)
		}
	})
}

// TestLinesS2 reads S2 batches a chunk at a time: the blocks give back the
// lines whole and in order, whatever their lengths against the chunks.
func TestLinesS2(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	line := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = 'a' + byte(r.IntN(26))
		}
		return string(b)
	}
	cases := map[string]string{
		"empty":                "",
		"one line, no end":     "abc",
		"one line":             "abc\n",
		"blank lines":          "\n\n\nx\n\n",
		"line over two chunks": line(s2WriteChunk-10) + "\n" + line(100) + "\nend",
		"line of three chunks": "a\n" + line(3*s2WriteChunk) + "\nz\n",
		"ends on a chunk":      line(s2WriteChunk-1) + "\n" + line(s2WriteChunk-1) + "\n",
	}
	var many strings.Builder
	for many.Len() < 3<<20 {
		many.WriteString(line(r.IntN(2000)))
		many.WriteByte('\n')
	}
	cases["3 MB of lines"] = many.String()
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			packed := packS2(nil, []byte(in))
			var got []string
			var all strings.Builder
			_, err := linesS2(nil, packed, func(lines []byte) {
				all.Write(lines)
				got = append(got, string(lines))
			})
			if err != nil {
				t.Fatal(err)
			}
			if all.String() != in {
				t.Fatalf("blocks give %d bytes, want %d", all.Len(), len(in))
			}
			for i, b := range got {
				if len(b) == 0 {
					t.Errorf("block %d is empty", i)
				}
				if i < len(got)-1 && !strings.HasSuffix(b, "\n") {
					t.Errorf("block %d of %d ends inside a line", i, len(got))
				}
			}
		})
	}
	// Damage anywhere is an error, not a panic.
	packed := packS2(nil, []byte(cases["3 MB of lines"]))
	for _, cut := range []int{5, len(packed)/2 + 3, len(packed) - 1} { // not on a chunk's end: a stream may end there
		if _, err := linesS2(nil, packed[:cut], func([]byte) {}); err == nil {
			t.Errorf("a stream cut at %d of %d reads without error", cut, len(packed))
		}
	}
	bad := bytes.Clone(packed)
	bad[len(magicS2)+10] ^= 0xff
	linesS2(nil, bad, func([]byte) {})
}

// TestBatchIDStable: a batch's id is HighwayHash-128 of the sensor, a zero
// byte and the lines (or the sender's key and the part). It must not change
// between hub versions: a batch sent again after an upgrade, or a file
// ingested again, is recognised by its id.
func TestBatchIDStable(t *testing.T) {
	lines := bytes.Repeat([]byte(`{"event_type":"dns"}`+"\n"), 40000)
	for _, c := range []struct{ key, want string }{
		{"", "d6094ee12dd3272b2faa4269fc6e563d"},
		{"batch-7", "29af4391c641124f8734af4964b81f01"},
	} {
		if got := batchID("sensor-1", c.key, 2, lines); got != c.want {
			t.Errorf("key %q: batch id %s, want %s", c.key, got, c.want)
		}
	}
}
