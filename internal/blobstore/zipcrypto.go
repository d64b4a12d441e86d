package blobstore

import (
	"archive/zip"
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// ZipPassword is the conventional password of malware sample archives.
const ZipPassword = "infected"

// zipCrypto is the traditional PKWARE encryption of zip entries (APPNOTE
// 6.3, section 6.1): a stream cipher keyed by three 32-bit words that the
// password and then every plaintext byte update. It is weak by design and
// protects nothing from someone who wants the sample: like every
// CSIRT's "infected" archive, it keeps scanners, mail gateways and a
// careless double-click away from the bare file. It is what unzip, 7-Zip,
// Windows Explorer and Python's zipfile all read.
type zipCrypto struct{ k0, k1, k2 uint32 }

func newZipCrypto(password string) *zipCrypto {
	z := &zipCrypto{0x12345678, 0x23456789, 0x34567890}
	for i := 0; i < len(password); i++ {
		z.update(password[i])
	}
	return z
}

// crc is one step of the CRC-32 the cipher uses (no pre- or
// post-inversion).
func crc(old uint32, b byte) uint32 { return crc32.IEEETable[byte(old)^b] ^ old>>8 }

func (z *zipCrypto) update(b byte) {
	z.k0 = crc(z.k0, b)
	z.k1 = (z.k1+z.k0&0xff)*134775813 + 1
	z.k2 = crc(z.k2, byte(z.k1>>24))
}

// stream is the next keystream byte.
func (z *zipCrypto) stream() byte {
	t := z.k2 | 2
	return byte((t * (t ^ 1)) >> 8)
}

// encrypt encrypts p in place.
func (z *zipCrypto) encrypt(p []byte) {
	for i, b := range p {
		p[i] = b ^ z.stream()
		z.update(b)
	}
}

// decrypt decrypts p in place.
func (z *zipCrypto) decrypt(p []byte) {
	for i, c := range p {
		b := c ^ z.stream()
		z.update(b)
		p[i] = b
	}
}

// encryptionHeader returns the 12 bytes that start an encrypted entry,
// already encrypted: 11 random bytes, then the check byte readers compare
// after the password (the high byte of the entry's CRC-32, as no data
// descriptor follows).
func (z *zipCrypto) encryptionHeader(sum uint32) ([]byte, error) {
	h := make([]byte, 12)
	if _, err := rand.Read(h[:11]); err != nil {
		return nil, err
	}
	h[11] = byte(sum >> 24)
	z.encrypt(h)
	return h, nil
}

// encryptingWriter encrypts what it writes to w.
type encryptingWriter struct {
	z   *zipCrypto
	w   io.Writer
	buf []byte
}

func (e *encryptingWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		c := copy(e.buf, p)
		e.z.encrypt(e.buf[:c])
		if _, err := e.w.Write(e.buf[:c]); err != nil {
			return n, err
		}
		n, p = n+c, p[c:]
	}
	return n, nil
}

// ReadSample returns the sample inside an archive this package wrote,
// decrypted with ZipPassword and checked against its CRC-32 (a plain zip
// from before encryption is read as it is).
func ReadSample(archive []byte) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(archive), int64(len(archive)))
	if err != nil {
		return nil, err
	}
	if len(zr.File) != 1 {
		return nil, fmt.Errorf("sample archive holds %d files", len(zr.File))
	}
	f := zr.File[0]
	if f.Flags&0x1 == 0 {
		rc, err := f.Open()
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(rc)
	}
	if f.Method != zip.Store {
		return nil, errors.New("sample archive: an encrypted entry that is not stored")
	}
	rc, err := f.OpenRaw()
	if err != nil {
		return nil, err
	}
	raw, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	if len(raw) < 12 {
		return nil, errors.New("sample archive: truncated entry")
	}
	newZipCrypto(ZipPassword).decrypt(raw)
	data := raw[12:]
	if crc32.ChecksumIEEE(data) != f.CRC32 {
		return nil, errors.New("sample archive: wrong password or damaged entry")
	}
	return data, nil
}
