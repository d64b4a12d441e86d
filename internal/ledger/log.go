package ledger

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kyojo-hub/kyojo/internal/errs"
	"golang.org/x/mod/sumdb/note"
)

// Options configure Open. The zero value is usable.
type Options struct {
	// Origin names the log in checkpoints and is the name of its signing key,
	// e.g. "ledger.kyojo.example.go.jp". It MUST NOT change once the key
	// exists. Default "kyojo/ledger".
	Origin string
	// CheckpointInterval is how often a checkpoint is signed and stored when
	// the tree has grown. Default 1s; negative disables the background
	// checkpoints (Checkpoint and Close still write them).
	CheckpointInterval time.Duration
	// MaxBatch caps the entries written by one group commit. Default 4096.
	MaxBatch int
	// MaxPayload caps one payload. Default 16 MiB, at most MaxPayloadLimit.
	MaxPayload int
	// Logger receives recoveries and background failures. Default slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.Origin == "" {
		o.Origin = "kyojo/ledger"
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = time.Second
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 4096
	}
	if o.MaxPayload <= 0 {
		o.MaxPayload = 16 << 20
	}
	o.MaxPayload = min(o.MaxPayload, MaxPayloadLimit)
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
}

// Log is an open ledger. All methods are safe for concurrent use.
//
// Locking: sendMu (shared by senders, exclusive by Close) guards closed; the
// committer goroutine alone owns front, n, dataEnd and the write offsets;
// stateMu guards the published size/root/dataEnd and failed; eraseMu is held
// shared while a frame is read and exclusively while one is erased; ckMu
// serialises checkpoint writes, DeletePayload and hold changes and guards
// latest, cpEnd and holds; witnessMu guards the witness state files. Order:
// ckMu before eraseMu before stateMu; never hold stateMu while sending.
type Log struct {
	dir      string
	opts     Options
	signer   note.Signer
	verifier note.Verifier
	vkey     string

	data, idx, hashes, cps *os.File
	lock                   *os.File // holds the directory lock

	sendMu sync.RWMutex
	closed bool
	reqs   chan *request
	stop   chan struct{}
	wg     sync.WaitGroup

	// committer-owned
	front   *frontier
	dataEnd int64
	buf     []byte
	ibuf    []byte
	hbuf    []byte

	stateMu sync.RWMutex
	pub     published
	failed  error

	eraseMu sync.RWMutex

	ckMu   sync.Mutex
	latest storedCheckpoint
	cpEnd  int64
	holds  holdSet

	witnessMu sync.Mutex
	cache     hashCache // high-level stored hashes for proofs
}

type published struct {
	size    uint64
	root    Hash
	dataEnd int64
}

// Open opens the ledger in dir, creating the directory (0700), the key pair
// and the files on first use, and recovering from a crash: a torn frame at
// the end of entries.dat is cut off and the derived files are rebuilt for
// entries after the latest checkpoint. One process at a time may have a
// directory open (flock on dir/LOCK; another Open is errs.Conflict); within
// a process, Open MUST NOT be called twice on one directory. Data missing or
// altered below the latest checkpoint is an error wrapping ErrTampered, with
// the file and entry at fault; Open then changes nothing below the
// checkpoint.
func Open(dir string, opts Options) (*Log, error) {
	opts.defaults()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, ioErr(err, "create directory")
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s, v, vkey, err := loadKeys(dir, opts.Origin)
	if err != nil {
		lock.Close()
		return nil, err
	}
	l := &Log{dir: dir, opts: opts, signer: s, verifier: v, vkey: vkey, lock: lock}
	for _, f := range []struct {
		p    **os.File
		name string
	}{{&l.data, dataFile}, {&l.idx, idxFile}, {&l.hashes, hashFile}, {&l.cps, cpFile}} {
		*f.p, err = os.OpenFile(filepath.Join(dir, f.name), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			l.closeFiles()
			return nil, ioErr(err, "open "+f.name)
		}
	}
	if err := l.recover(); err != nil {
		l.closeFiles()
		return nil, err
	}
	if l.holds, err = loadHolds(dir); err != nil {
		l.closeFiles()
		return nil, err
	}
	l.reqs = make(chan *request, 1024)
	l.stop = make(chan struct{})
	l.wg.Add(1)
	go l.committer()
	if _, err := l.checkpoint(); err != nil {
		l.Close()
		return nil, err
	}
	if opts.CheckpointInterval > 0 {
		l.wg.Add(1)
		go l.checkpointer()
	}
	return l, nil
}

const (
	dataFile = "entries.dat"
	idxFile  = "entries.idx"
	hashFile = "hashes.dat"
	cpFile   = "checkpoints.log"
)

// Origin returns the log's origin (its key name).
func (l *Log) Origin() string { return l.opts.Origin }

// VerifierKey returns the public note verifier key that checks the log's
// checkpoints and bundles.
func (l *Log) VerifierKey() string { return l.vkey }

// Size returns the number of durable entries.
func (l *Log) Size() uint64 { return l.state().size }

func (l *Log) state() published {
	l.stateMu.RLock()
	defer l.stateMu.RUnlock()
	return l.pub
}

// Close waits for pending appends, writes a final checkpoint, and closes
// the files. Later calls fail with ErrClosed; Close itself is idempotent.
func (l *Log) Close() error {
	l.sendMu.Lock()
	if l.closed {
		l.sendMu.Unlock()
		return nil
	}
	l.closed = true
	close(l.reqs)
	close(l.stop)
	l.sendMu.Unlock()
	l.wg.Wait()
	var err error
	if l.failedErr() == nil {
		_, err = l.checkpoint()
	}
	l.closeFiles()
	return err
}

func (l *Log) closeFiles() {
	for _, f := range []*os.File{l.data, l.idx, l.hashes, l.cps, l.lock} {
		if f != nil {
			f.Close()
		}
	}
}

func (l *Log) failedErr() error {
	l.stateMu.RLock()
	defer l.stateMu.RUnlock()
	return l.failed
}

func (l *Log) checkpointer() {
	defer l.wg.Done()
	t := time.NewTicker(l.opts.CheckpointInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			if _, err := l.Checkpoint(); err != nil {
				l.opts.Logger.LogAttrs(context.Background(), slog.LevelError, "ledger checkpoint failed", slog.String("dir", l.dir), slog.Any("err", err))
			}
		}
	}
}

// checkOpen returns ErrClosed after Close and the sticky write failure.
func (l *Log) checkOpen() error {
	l.sendMu.RLock()
	closed := l.closed
	l.sendMu.RUnlock()
	if closed {
		return closedErr()
	}
	if err := l.failedErr(); err != nil {
		return errs.Wrap(err, "ledger: earlier write failed; reopen the ledger")
	}
	return nil
}
