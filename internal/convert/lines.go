package convert

import (
	"bufio"
	"errors"
	"io"
)

// DefaultMaxLine is the default limit on one line or CSV record, in bytes.
const DefaultMaxLine = 64 << 10

// lineReader reads lines of at most max bytes in constant memory: a longer
// line is skipped to its end without being buffered and reported as long.
type lineReader struct {
	br   *bufio.Reader
	line int // number of the last line read, 1-based
}

func newLineReader(r io.Reader, max int) *lineReader {
	if max <= 0 {
		max = DefaultMaxLine
	}
	return &lineReader{br: bufio.NewReaderSize(r, max+2)}
}

// next returns the next line without its "\n" or "\r\n". The slice is valid
// until the following call. long reports a line over the limit (b is nil);
// err is io.EOF after the last line.
func (l *lineReader) next() (b []byte, long bool, err error) {
	b, err = l.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		l.line++
		for errors.Is(err, bufio.ErrBufferFull) {
			_, err = l.br.ReadSlice('\n')
		}
		if err != nil && err != io.EOF {
			return nil, true, err
		}
		return nil, true, nil
	}
	if err == io.EOF && len(b) == 0 {
		return nil, false, io.EOF
	}
	if err != nil && err != io.EOF {
		return nil, false, err
	}
	l.line++
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	}
	return b[:n], false, nil
}

// csvSplitter splits CSV records (RFC 4180: fields in double quotes may hold
// the delimiter, "" and line breaks) from a lineReader, bounding each record.
type csvSplitter struct {
	lr     *lineReader
	delim  byte
	max    int
	fields []string
	buf    []byte
}

// errLongRecord and errUnterminated mark records skipped by next.
var (
	errLongRecord   = errors.New("record too long")
	errUnterminated = errors.New("unterminated quoted field")
	errBadQuote     = errors.New("bare quote in unquoted field or text after a closing quote")
)

// next returns the fields of the next record and the number of its first
// line. A record over the limit, or with a quoting error, gives one of the
// errors above with the rest of the record skipped; other errors come from
// the reader (io.EOF at the end). The slice is reused by the next call.
func (c *csvSplitter) next() (fields []string, line int, err error) {
	c.fields = c.fields[:0]
	c.buf = c.buf[:0]
	b, long, err := c.lr.next()
	line = c.lr.line
	if err != nil {
		return nil, line, err
	}
	if long {
		return nil, line, errLongRecord
	}
	var (
		inQuote bool
		start   = 0 // start of the current field in c.buf
		quoted  bool
		after   bool // after the closing quote of a quoted field
		bad     error
		size    = len(b)
		ends    []int
	)
	for {
		for i := 0; i < len(b); i++ {
			ch := b[i]
			switch {
			case inQuote:
				if ch == '"' {
					if i+1 < len(b) && b[i+1] == '"' {
						c.buf = append(c.buf, '"')
						i++
					} else {
						inQuote = false
						after = true
					}
				} else {
					c.buf = append(c.buf, ch)
				}
			case ch == c.delim:
				ends = append(ends, len(c.buf))
				start = len(c.buf)
				quoted, after = false, false
			case ch == '"' && len(c.buf) == start && !quoted:
				inQuote, quoted = true, true
			case after || ch == '"':
				if bad == nil {
					bad = errBadQuote
				}
				c.buf = append(c.buf, ch)
			default:
				c.buf = append(c.buf, ch)
			}
		}
		if !inQuote {
			break
		}
		c.buf = append(c.buf, '\n')
		b, long, err = c.lr.next()
		if err == io.EOF {
			return nil, line, errUnterminated
		}
		if err != nil {
			return nil, line, err
		}
		size += len(b) + 1
		if long || size > c.max {
			c.skipQuoted(b, long)
			return nil, line, errLongRecord
		}
	}
	ends = append(ends, len(c.buf))
	s := string(c.buf) // one allocation per record
	prev := 0
	for _, e := range ends {
		c.fields = append(c.fields, s[prev:e])
		prev = e
	}
	return c.fields, line, bad
}

// skipQuoted discards lines until the open quoted field closes.
func (c *csvSplitter) skipQuoted(b []byte, long bool) {
	open := true
	for {
		if !long {
			for _, ch := range b {
				if ch == '"' {
					open = !open
				}
			}
			if !open {
				return
			}
		}
		var err error
		b, long, err = c.lr.next()
		if err != nil {
			return
		}
	}
}
