package monitor

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/zstd"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// A batch's lines are compressed once, at ingest, and stay compressed on
// the stream and in the raw-event store: the processor decompresses them
// to parse and keeps the bytes it was given. Codecs (Options.Codec):
//
//   - "s2" (the default): the S2 stream format (klauspost/compress/s2;
//     a Snappy extension, 10-byte "\xff\x06\x00\x00S2sTwO" header, CRC-32C
//     per block). About 1.8 GB/s to compress and 4 GB/s to decompress on
//     one core here, 6x smaller on Suricata EVE.
//   - "zstd": Zstandard at its fastest level. About 0.6 GB/s and
//     2.2 GB/s, 10x smaller: for hubs that keep raw events long.
//
// Stored data says which it is by its first bytes, so batches kept under
// another codec, or gzip ones from before codecs, read back the same.
const (
	CodecS2   = "s2"
	CodecZstd = "zstd"
)

// MaxUnpacked caps what one compressed batch may expand to: a batch is at
// most MaxBatchBytes of lines plus a Zeek header, so anything larger is
// not a batch this hub wrote.
const MaxUnpacked = MaxBatchBytes + 2<<20

var (
	magicS2   = []byte("\xff\x06\x00\x00S2sTwO")
	magicZstd = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicGzip = []byte{0x1f, 0x8b}
)

var (
	zstdOnce sync.Once
	zstdEnc  *zstd.Encoder
	zstdDec  *zstd.Decoder
)

func zstdCodec() (*zstd.Encoder, *zstd.Decoder) {
	zstdOnce.Do(func() {
		zstdEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithLowerEncoderMem(true))
		zstdDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(MaxUnpacked), zstd.WithDecoderLowmem(true))
	})
	return zstdEnc, zstdDec
}

// Pack compresses lines with codec ("" is s2) and returns a new slice.
func Pack(codec string, lines []byte) []byte {
	packed := PackTo(nil, codec, lines)
	return append(make([]byte, 0, len(packed)), packed...)
}

// PackTo compresses lines with codec ("" is s2), appending to dst: with a
// dst of PackBound(len(lines)) bytes, nothing is allocated.
func PackTo(dst []byte, codec string, lines []byte) []byte {
	if codec == CodecZstd {
		enc, _ := zstdCodec()
		return enc.EncodeAll(lines, dst)
	}
	return packS2(dst, lines)
}

// PackBound is the most PackTo appends for n bytes of lines with s2.
func PackBound(n int) int {
	b := len(magicS2)
	for n > 0 {
		c := min(n, s2WriteChunk)
		b += 8 + s2.MaxEncodedLen(c)
		n -= c
	}
	return b
}

// packBufs are buffers ingest packs batches into, given back once the
// stream has the batch.
var packBufs = freeList[[]byte]{make: func() []byte { return make([]byte, 0, packBufSize) }}

// packBufSize holds any batch ingest packs.
var packBufSize = PackBound(MaxBatchBytes + 64<<10)

// Unpack decompresses data that Pack (or gzip, before codecs) wrote,
// appending to dst. Anything else, or more than MaxUnpacked bytes, is an
// error: data this hub did not write.
func Unpack(dst, data []byte) ([]byte, error) { return unpack(dst, data, true) }

// unpackStreamed is Unpack for a batch as the stream delivers it: the
// stream checksums each message it stores, so the S2 checksums are not
// computed a second time.
func unpackStreamed(dst, data []byte) ([]byte, error) { return unpack(dst, data, false) }

func unpack(dst, data []byte, check bool) ([]byte, error) {
	var r io.Reader
	switch {
	case len(data) == 0: // no lines (a message that only counts too-long ones)
		return dst, nil
	case bytes.HasPrefix(data, magicS2):
		return unpackS2(dst, data, check)
	case bytes.HasPrefix(data, magicZstd):
		_, dec := zstdCodec()
		out, err := dec.DecodeAll(data, dst)
		if err != nil {
			return dst, errs.E(errs.Malformed, "zstd batch: %v", err)
		}
		return out, nil
	case bytes.HasPrefix(data, magicGzip):
		z, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return dst, errs.E(errs.Malformed, "gzip batch: %v", err)
		}
		r = z
	default:
		return dst, errs.E(errs.Malformed, "not a compressed batch")
	}
	buf := bytes.NewBuffer(dst)
	n, err := buf.ReadFrom(io.LimitReader(r, MaxUnpacked+1))
	if err != nil {
		return dst, errs.E(errs.Malformed, "compressed batch: %v", err)
	}
	if n > MaxUnpacked {
		return dst, errs.E(errs.Malformed, "a compressed batch expands past %s", fmt.Sprint(MaxUnpacked))
	}
	return buf.Bytes(), nil
}

// freeList keeps up to 8 idle values.
type freeList[T any] struct {
	make func() T
	once sync.Once
	c    chan T
}

func (f *freeList[T]) init() { f.once.Do(func() { f.c = make(chan T, 8) }) }

func (f *freeList[T]) get() T {
	f.init()
	select {
	case v := <-f.c:
		return v
	default:
		return f.make()
	}
}

func (f *freeList[T]) put(v T) {
	f.init()
	select {
	case f.c <- v:
	default:
	}
}
