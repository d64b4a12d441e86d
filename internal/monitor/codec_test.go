package monitor

import (
	"bytes"
	"compress/gzip"
	"strings"
	"testing"

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
