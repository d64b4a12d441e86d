package ledger

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

// Tree is the content of a checkpoint: who, how many leaves, which root.
type Tree struct {
	Origin string
	Size   uint64
	Root   Hash
}

// MarshalCheckpoint returns the C2SP tlog-checkpoint note text of t:
// origin, decimal size and base64 root, one per line.
func (t Tree) MarshalCheckpoint() []byte {
	return []byte(t.Origin + "\n" + strconv.FormatUint(t.Size, 10) + "\n" +
		base64.StdEncoding.EncodeToString(t.Root[:]) + "\n")
}

// ParseCheckpoint parses the text of a checkpoint note (without signatures).
// Extension lines after the root are allowed and ignored. A malformed text is
// an errs.Malformed error.
func ParseCheckpoint(text []byte) (Tree, error) {
	bad := func(what string) (Tree, error) {
		return Tree{}, errs.E(errs.Malformed, "checkpoint: %s", what)
	}
	if !bytes.HasSuffix(text, []byte("\n")) {
		return bad("text does not end in a newline")
	}
	lines := strings.Split(string(text[:len(text)-1]), "\n")
	if len(lines) < 3 {
		return bad("fewer than three lines")
	}
	origin := lines[0]
	if origin == "" || strings.ContainsAny(origin, "\r\t") {
		return bad("empty or invalid origin line")
	}
	size, err := strconv.ParseUint(lines[1], 10, 64)
	if err != nil || (len(lines[1]) > 1 && lines[1][0] == '0') || size > 1<<62 {
		return bad("tree size is not a decimal number without leading zeros")
	}
	root, err := base64.StdEncoding.Strict().DecodeString(lines[2])
	if err != nil || len(root) != len(Hash{}) {
		return bad("root hash is not 32 bytes of standard base64")
	}
	for _, l := range lines[3:] {
		if l == "" {
			return bad("empty extension line")
		}
	}
	t := Tree{Origin: origin, Size: size}
	copy(t.Root[:], root)
	return t, nil
}

// OpenCheckpoint verifies a signed checkpoint note with the verifier key
// vkey (a note verifier key such as the contents of verifier.key) and returns
// its tree. The note MUST carry a valid signature by that key and its origin
// MUST equal the key's name; other signatures (witnesses) are allowed and
// not checked. A bad key is errs.Invalid; a bad signature or origin wraps
// ErrTampered; a malformed note is errs.Malformed.
func OpenCheckpoint(signed []byte, vkey string) (Tree, *note.Note, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return Tree{}, nil, errs.F(errs.Invalid, "verifier_key", "not a note verifier key: %v", err)
	}
	return openCheckpoint(signed, v)
}

func openCheckpoint(signed []byte, v note.Verifier) (Tree, *note.Note, error) {
	n, err := note.Open(signed, note.VerifierList(v))
	if err != nil {
		switch err.(type) {
		case *note.UnverifiedNoteError:
			return Tree{}, nil, tampered("checkpoint: no valid signature by %s", v.Name())
		case *note.InvalidSignatureError:
			return Tree{}, nil, tampered("checkpoint: invalid signature by %s", v.Name())
		}
		return Tree{}, nil, errs.E(errs.Malformed, "checkpoint: signed note: %v", err)
	}
	t, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Tree{}, nil, err
	}
	if t.Origin != v.Name() {
		return Tree{}, nil, tampered("checkpoint: origin %q is not the key's name %q", t.Origin, v.Name())
	}
	return t, n, nil
}
