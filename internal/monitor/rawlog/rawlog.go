// Package rawlog keeps sensors' raw event batches, as compressed by
// ingest, in append-only segment files: a kept batch is written once, by
// one write call, and never rewritten, instead of passing through a
// database's write-ahead log and pages (twice the writes, and most of the
// database's work per batch; see the README's GSOC figures).
//
// Layout under the directory:
//
//	<org>/<yyyy-mm-dd>/<instance>-<seq>.seg
//
// The day is the day (UTC) on which the batches in the folder expire, so
// retention deletes whole folders once their day has passed, reading no
// record. A Log writes only to files it created (instance is random per
// Open), so no file is ever appended to by two processes, and a record
// torn by a crash is in no reference.
//
// A record is a 16-byte header ("KYRB", the data's length and CRC-32C,
// the batch id's length), the batch id, then the data. A Ref names the
// record; Read checks the header, the id and the CRC. The records also
// make a segment readable without the database (forensics).
//
// Durability: data is in the operating system when Append returns, so it
// survives the process; segments written to are synced to disk every
// second (and at Close), as SQLite's WAL with synchronous=NORMAL syncs at
// checkpoints. A power loss can lose the last second's records.
package rawlog

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// SegmentLimit is the size past which a segment file is closed and the
// next record starts another.
const SegmentLimit = 1 << 30

const (
	magic      = "KYRB"
	headerSize = 16
	maxID      = 256
)

// MaxRecordOverhead is the most a record adds to its data: a buffer of
// that much more than the data holds the record ReadTo reads.
const MaxRecordOverhead = headerSize + maxID

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Ref names one record: the segment file (relative to the directory),
// where its record starts and how long the record is.
type Ref struct {
	Segment string
	Offset  int64
	Size    int64
}

// Log is a directory of segments. It is safe for concurrent use.
type Log struct {
	root     *os.Root
	dir      string
	instance string
	mu       sync.Mutex
	open     map[string]*segment // by "<org>/<day>"
	seq      int
	limit    int64 // SegmentLimit; smaller in tests
	done     chan struct{}
	wg       sync.WaitGroup
}

type segment struct {
	name    string // relative path
	f       *os.File
	size    int64       // bytes reserved so far
	dirty   atomic.Bool // written since the last sync (set once a write is done)
	written time.Time
	pending sync.WaitGroup // appends that reserved space and are writing
}

// Open opens (creating) the directory and starts the background sync.
func Open(dir string) (*Log, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("raw event directory: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("raw event directory: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	l := &Log{root: root, dir: dir, instance: strconv.FormatInt(time.Now().UTC().Unix(), 36) + hex.EncodeToString(b[:]),
		open: map[string]*segment{}, limit: SegmentLimit, done: make(chan struct{})}
	l.wg.Add(1)
	go l.syncLoop(time.Second)
	return l, nil
}

// Dir is the directory the log keeps its segments in.
func (l *Log) Dir() string { return l.dir }

// Append writes one batch's data as a record in the segment of its
// organisation and expiry day and returns where it is.
func (l *Log) Append(orgID string, expires time.Time, batchID string, data []byte) (Ref, error) {
	if !safeName(orgID) {
		return Ref{}, fmt.Errorf("raw events: organisation id %q cannot name a folder", orgID)
	}
	if len(batchID) > maxID {
		return Ref{}, fmt.Errorf("raw events: batch id longer than %d bytes", maxID)
	}
	size := int64(headerSize + len(batchID) + len(data))
	s, off, err := l.reserve(orgID+"/"+expires.UTC().Format(time.DateOnly), size)
	if err != nil {
		return Ref{}, err
	}
	defer func() {
		s.dirty.Store(true)
		s.pending.Done()
	}()
	rec := make([]byte, headerSize+len(batchID), headerSize+len(batchID))
	copy(rec, magic)
	binary.BigEndian.PutUint32(rec[4:], uint32(len(data)))
	binary.BigEndian.PutUint32(rec[8:], crc32.Checksum(data, castagnoli))
	binary.BigEndian.PutUint32(rec[12:], uint32(len(batchID)))
	copy(rec[headerSize:], batchID)
	// Two positioned writes to the reserved range; other appends write
	// beside them at once.
	if _, err := s.f.WriteAt(rec, off); err != nil {
		return Ref{}, fmt.Errorf("raw events: %w", err)
	}
	if _, err := s.f.WriteAt(data, off+int64(len(rec))); err != nil {
		return Ref{}, fmt.Errorf("raw events: %w", err)
	}
	return Ref{Segment: s.name, Offset: off, Size: size}, nil
}

// reserve returns the open segment of key with size bytes reserved at
// off, opening a new segment when there is none or it is full.
func (l *Log) reserve(key string, size int64) (*segment, int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.open == nil {
		return nil, 0, errors.New("raw events: log closed")
	}
	s := l.open[key]
	if s != nil && s.size+size > l.limit && s.size > 0 {
		s = nil // full
	}
	if s == nil {
		if err := l.root.MkdirAll(key, 0o700); err != nil {
			return nil, 0, fmt.Errorf("raw events: %w", err)
		}
		l.seq++
		name := key + "/" + l.instance + "-" + strconv.Itoa(l.seq) + ".seg"
		f, err := l.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, 0, fmt.Errorf("raw events: %w", err)
		}
		if old := l.open[key]; old != nil {
			l.retire(old)
		}
		s = &segment{name: name, f: f}
		l.open[key] = s
	}
	off := s.size
	s.size += size
	s.written = time.Now()
	s.pending.Add(1)
	return s, off, nil
}

// retire closes a segment no longer in l.open once the appends that
// reserved space in it are written. l.mu is held, so no append reserves
// more.
func (l *Log) retire(s *segment) {
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		s.pending.Wait()
		if s.f.Sync() == nil {
			dropCached(s.f)
		}
		s.f.Close()
	}()
}

// Read returns the data of the record ref names, checked against its
// header and CRC.
func (l *Log) Read(ref Ref, batchID string) ([]byte, error) {
	return l.ReadTo(nil, ref, batchID)
}

// ReadTo is Read into dst's storage (reused when large enough): the data
// returned starts inside the record read into dst[:0]. An error wraps
// fs.ErrNotExist when the segment is gone, ErrDamaged when the record is
// not what ref says.
func (l *Log) ReadTo(dst []byte, ref Ref, batchID string) ([]byte, error) {
	if ref.Size < headerSize || ref.Size > SegmentLimit || ref.Offset < 0 {
		return nil, fmt.Errorf("raw events: bad reference %s@%d+%d: %w", ref.Segment, ref.Offset, ref.Size, ErrDamaged)
	}
	f, err := l.root.Open(ref.Segment)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("raw events: segment %s is gone (deleted past retention, or kept on another node's disk): %w", ref.Segment, fs.ErrNotExist)
	}
	if err != nil {
		return nil, fmt.Errorf("raw events: %w", err)
	}
	defer f.Close()
	buf := dst[:0]
	if int64(cap(buf)) < ref.Size {
		buf = make([]byte, ref.Size)
	}
	buf = buf[:ref.Size]
	if _, err := f.ReadAt(buf, ref.Offset); errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("raw events: segment %s ends before %d: %w", ref.Segment, ref.Offset+ref.Size, ErrDamaged)
	} else if err != nil {
		return nil, fmt.Errorf("raw events: segment %s at %d: %w", ref.Segment, ref.Offset, err)
	}
	return decode(buf, batchID, ref)
}

// ErrDamaged is wrapped by the errors of reading a record that is not what
// its reference says: another batch's, torn, or altered.
var ErrDamaged = errors.New("record damaged or not the batch's")

func decode(rec []byte, batchID string, ref Ref) ([]byte, error) {
	bad := func(what string) error {
		return fmt.Errorf("raw events: segment %s at %d: %s: %w", ref.Segment, ref.Offset, what, ErrDamaged)
	}
	if len(rec) < headerSize || string(rec[:4]) != magic {
		return nil, bad("no record there")
	}
	n := int64(binary.BigEndian.Uint32(rec[4:]))
	sum := binary.BigEndian.Uint32(rec[8:])
	idLen := int64(binary.BigEndian.Uint32(rec[12:]))
	if idLen > maxID || headerSize+idLen+n != int64(len(rec)) {
		return nil, bad("the record's length differs from the reference's")
	}
	if batchID != "" && string(rec[headerSize:headerSize+idLen]) != batchID {
		return nil, bad("the record is of another batch")
	}
	data := rec[headerSize+idLen:]
	if crc32.Checksum(data, castagnoli) != sum {
		return nil, bad("the record's checksum does not match: the file was altered or damaged")
	}
	return data, nil
}

// Purge deletes the folders of days before now's (UTC) — every record in
// them has expired — except those of the held organisations. It returns
// how many segment files it deleted.
func (l *Log) Purge(now time.Time, held []string) (int, error) {
	today := now.UTC().Format(time.DateOnly)
	skip := map[string]bool{}
	for _, h := range held {
		skip[h] = true
	}
	orgs, err := os.ReadDir(l.dir)
	if err != nil {
		return 0, fmt.Errorf("raw events: %w", err)
	}
	n := 0
	var errs []error
	for _, o := range orgs {
		if !o.IsDir() || skip[o.Name()] {
			continue
		}
		days, err := os.ReadDir(filepath.Join(l.dir, o.Name()))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, d := range days {
			if _, err := time.Parse(time.DateOnly, d.Name()); err != nil || !d.IsDir() || d.Name() >= today {
				continue
			}
			key := o.Name() + "/" + d.Name()
			l.mu.Lock()
			if s := l.open[key]; s != nil {
				delete(l.open, key)
				l.retire(s)
			}
			l.mu.Unlock()
			segs, _ := os.ReadDir(filepath.Join(l.dir, key))
			if err := l.root.RemoveAll(key); err != nil {
				errs = append(errs, err)
				continue
			}
			n += len(segs)
		}
	}
	return n, errors.Join(errs...)
}

// syncLoop syncs the segments written to since the last round and closes
// those idle for a minute.
func (l *Log) syncLoop(every time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
		}
		l.syncOnce(time.Minute)
	}
}

func (l *Log) syncOnce(idle time.Duration) {
	l.mu.Lock()
	var dirty []*segment
	for k, s := range l.open {
		if s.dirty.Swap(false) {
			dirty = append(dirty, s)
		} else if time.Since(s.written) > idle {
			delete(l.open, k)
			l.retire(s)
		}
	}
	l.mu.Unlock()
	// Once on disk a segment's pages leave the page cache: the files are
	// written once and read rarely (an analyst's pull, a batch processed
	// after a restart), and holding them would push out the database's
	// pages. The kernel reuses the pages for the next writes (on a VM,
	// fresh pages cost the host a fault each: half the kernel time of
	// ingest went on them before).
	for _, s := range dirty {
		if s.f.Sync() == nil {
			dropCached(s.f)
		}
	}
}

// Close syncs and closes every segment. Appends after Close fail.
func (l *Log) Close() error {
	l.mu.Lock()
	open := l.open
	l.open = nil // no append reserves, nothing is retired from here on
	l.mu.Unlock()
	close(l.done)
	l.wg.Wait()
	var errs []error
	for _, s := range open {
		s.pending.Wait()
		errs = append(errs, s.f.Sync(), s.f.Close())
	}
	errs = append(errs, l.root.Close())
	return errors.Join(errs...)
}

// safeName reports whether an organisation id can name a folder as is.
func safeName(s string) bool {
	if s == "" || len(s) > 128 || s == "." || s == ".." {
		return false
	}
	return strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	}) < 0
}
