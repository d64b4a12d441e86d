package ledger

import (
	"errors"
	"fmt"

	"github.com/kyojo-hub/kyojo/internal/errs"
)

// ErrTampered reports that stored data, a checkpoint, a proof or a bundle does
// not match its hashes or signatures. The ledger cannot tell malice from media
// damage; both are reported this way. Test with errors.Is(err, ErrTampered).
// The error's message says what failed and where (file, entry index, offset).
var ErrTampered = errors.New("ledger: integrity check failed")

// ErrClosed is returned by every method called after Close. Test with
// errors.Is(err, ErrClosed).
var ErrClosed = errors.New("ledger: closed")

// ErrInconsistent is returned by Cosign when a checkpoint does not extend the
// last one the witness co-signed for the same origin (smaller tree, different
// root at the same size, or a failing consistency proof). It is an
// errs.Conflict. Test with errors.Is(err, ErrInconsistent).
var ErrInconsistent = errors.New("ledger: checkpoint inconsistent with the last co-signed one")

// tampered builds an integrity error: code Invalid (so a bad bundle sent to
// the API is a 422 with the message shown), wrapping ErrTampered.
func tampered(format string, args ...any) error {
	return &errs.Error{Code: errs.Invalid, Message: fmt.Sprintf(format, args...), Err: ErrTampered}
}

// closedErr is ErrClosed as a kyojo Unavailable error.
func closedErr() error {
	return &errs.Error{Code: errs.Unavailable, Message: "ledger closed", Err: ErrClosed}
}

// ioErr wraps an I/O failure of op as an internal error.
func ioErr(err error, op string) error { return errs.Wrap(err, "ledger: "+op) }
