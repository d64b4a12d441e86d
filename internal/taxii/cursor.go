package taxii

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// cursor is what a next token carries: where the previous page ended, and
// what it was a page of. Only the server reads it.
type cursor struct {
	Seq      int64  `json:"s"` // the last store sequence served
	User     string `json:"u"` // who it was issued to
	Endpoint string `json:"e"` // collection and endpoint: "public/objects", "public/versions/<id>"
	Expires  int64  `json:"x"` // Unix seconds
}

var b64 = base64.RawURLEncoding

// next returns the token of c: base64url(JSON) "." base64url(HMAC-SHA256).
func (s *Server) next(c cursor) string {
	c.Expires = s.d.Now().Add(NextLifetime).Unix()
	body, _ := json.Marshal(c)
	p := b64.EncodeToString(body)
	return p + "." + b64.EncodeToString(s.sign(p))
}

func (s *Server) sign(payload string) []byte {
	m := hmac.New(sha256.New, s.d.Key)
	m.Write([]byte("kyojo taxii next v1\n"))
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// errBadNext is the answer to a next token that was not issued by this hub
// for this person and endpoint, or was changed.
var errBadNext = errs.F(errs.Malformed, "next", "is not a next token this server gave you for this endpoint")

// readNext checks a next token for user and endpoint and returns the
// sequence it continues after. A token forged, changed, issued to someone
// else or for another endpoint, or expired, is errs.Malformed (400).
func (s *Server) readNext(tok, user, endpoint string) (int64, error) {
	p, sig, found := strings.Cut(tok, ".")
	if !found || len(tok) > 1024 {
		return 0, errBadNext
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.sign(p)) {
		return 0, errBadNext
	}
	body, err := b64.DecodeString(p)
	if err != nil {
		return 0, errBadNext
	}
	var c cursor
	if err := json.Unmarshal(body, &c); err != nil || c.User != user || c.Endpoint != endpoint || c.Seq < 0 {
		return 0, errBadNext
	}
	if s.d.Now().Unix() > c.Expires {
		return 0, errs.F(errs.Malformed, "next", "has expired; start again without next")
	}
	return c.Seq, nil
}
