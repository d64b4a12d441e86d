package ledger

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/tlog"
)

// LeafVersion is the first byte of every leaf's data. It MUST NOT change
// meaning; a new encoding takes a new version.
const LeafVersion = 1

// MaxKindLen is the longest kind accepted.
const MaxKindLen = 128

// MaxPayloadLimit is the largest Options.MaxPayload. Frame lengths are
// checked against it, never against the configured MaxPayload, so that a
// smaller setting on a later Open cannot turn stored entries into a "torn"
// tail.
const MaxPayloadLimit = 256 << 20

const maxLeafData = 1 + 2 + MaxKindLen + MaxPayloadLimit

// Hash is a SHA-256 tree hash (leaf or interior node); its JSON form is
// standard base64.
type Hash = tlog.Hash

const (
	frameHeader = 9 // u32 len | u8 flags | u32 crc
	flagErased  = 1 // payload bytes are zeros
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// LeafData returns the leaf data of an entry: LeafVersion, uvarint(len(kind)),
// kind, payload. It does not validate kind.
func LeafData(kind string, payload []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen64+len(kind)+len(payload))
	return appendLeafData(b, kind, payload)
}

func appendLeafData(b []byte, kind string, payload []byte) []byte {
	b = append(b, LeafVersion)
	b = binary.AppendUvarint(b, uint64(len(kind)))
	b = append(b, kind...)
	return append(b, payload...)
}

// LeafHash returns the RFC 6962 leaf hash of an entry:
// SHA-256(0x00 || LeafData(kind, payload)).
func LeafHash(kind string, payload []byte) Hash {
	return tlog.RecordHash(LeafData(kind, payload))
}

// parseLeafData splits leaf data into kind and payload; payloadOff is where
// the payload starts. ok is false for data that is not a version-1 leaf.
func parseLeafData(d []byte) (kind string, payload []byte, payloadOff int, ok bool) {
	if len(d) < 2 || d[0] != LeafVersion {
		return "", nil, 0, false
	}
	n, w := binary.Uvarint(d[1:])
	if w <= 0 || n == 0 || n > MaxKindLen || uint64(len(d)-1-w) < n {
		return "", nil, 0, false
	}
	off := 1 + w + int(n)
	return string(d[1+w : off]), d[off:], off, true
}

// checkKind validates a kind; internal allows the reserved "ledger." kinds.
func checkKind(kind string, internal bool) error {
	if kind == "" || len(kind) > MaxKindLen {
		return errs.F(errs.Invalid, "kind", "kind must be 1 to %d bytes", MaxKindLen)
	}
	for i := 0; i < len(kind); i++ {
		c := kind[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return errs.F(errs.Invalid, "kind", "kind may hold only a-z, 0-9, '.', '_' and '-'")
		}
	}
	if !internal && len(kind) >= 7 && kind[:7] == "ledger." {
		return errs.F(errs.Invalid, "kind", "kinds beginning %q are reserved", "ledger.")
	}
	return nil
}

// appendFrame appends the frame of leaf data d with flags to b.
func appendFrame(b []byte, d []byte, flags byte) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint32(b, uint32(len(d)))
	b = append(b, flags, 0, 0, 0, 0)
	b = append(b, d...)
	c := frameCRC(b[start:start+5], d)
	binary.BigEndian.PutUint32(b[start+5:start+9], c)
	return b
}

func frameCRC(lenFlags, d []byte) uint32 {
	c := crc32.Update(0, castagnoli, lenFlags)
	return crc32.Update(c, castagnoli, d)
}

// frameHead decodes a frame header: data length, flags, CRC.
func frameHead(h []byte) (n uint32, flags byte, crc uint32) {
	return binary.BigEndian.Uint32(h), h[4], binary.BigEndian.Uint32(h[5:9])
}
