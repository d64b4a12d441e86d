package httpx

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// ServeAttachment writes a file that must never be shown inline, whatever
// it holds (evidence, malware samples): application/octet-stream, an
// attachment disposition, nosniff and a sandboxing CSP. size < 0 sends no
// Content-Length.
func ServeAttachment(w http.ResponseWriter, name string, size int64, sha256 string, r io.Reader) {
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox")
	h.Set("Cache-Control", "no-store")
	if sha256 != "" {
		h.Set("X-Content-SHA256", sha256)
	}
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(http.StatusOK)
	io.Copy(w, r)
}

// ServeAttachmentBytes is ServeAttachment for bytes in memory, with their
// SHA-256.
func ServeAttachmentBytes(w http.ResponseWriter, name string, data []byte) {
	sum := sha256.Sum256(data)
	ServeAttachment(w, name, int64(len(data)), hex.EncodeToString(sum[:]), bytes.NewReader(data))
}
