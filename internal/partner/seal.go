package partner

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// Sealer encrypts partner credentials with AES-256-GCM. The key is derived
// from the hub's partner secret; each sealed value is bound to its
// partner's id (additional data), so a value copied onto another partner's
// row does not open.
type Sealer struct{ aead cipher.AEAD }

// NewSealer returns a Sealer for the hub secret (at least 16 bytes).
func NewSealer(secret []byte) (*Sealer, error) {
	if len(secret) < 16 {
		return nil, errs.E(errs.Invalid, "the partner key must be at least 16 bytes")
	}
	k := sha256.Sum256(append([]byte("kyojo partner credentials v1\x00"), secret...))
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, errs.Wrap(err, "partner key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, errs.Wrap(err, "partner key")
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for partner id: nonce followed by ciphertext.
func (s *Sealer) Seal(id, plaintext string) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(id))
}

// Open decrypts what Seal returned for the same partner id.
func (s *Sealer) Open(id string, sealed []byte) (string, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return "", errs.E(errs.Internal, "partner credential is damaged")
	}
	pt, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(id))
	if err != nil {
		return "", errs.E(errs.Internal, "partner credential does not open with this hub's partner key")
	}
	return string(pt), nil
}
