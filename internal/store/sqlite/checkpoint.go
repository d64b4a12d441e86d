package sqlite

import (
	"context"
	"database/sql"
	"log/slog"
	"sync"
	"time"
)

// The writer connection does not checkpoint the write-ahead log itself
// below autoCheckpointPages: a checkpoint copies every page the log holds
// back into the database file and syncs it, which in an import of random
// STIX ids costs the one writer a third of its time. A checkpointer on its
// own connection does that work on another core, every checkpointEvery,
// in PASSIVE mode (it never blocks the writer or readers). The writer's own
// automatic checkpoint stays as the backstop should the checkpointer fall
// behind.
const (
	checkpointEvery     = 100 * time.Millisecond
	autoCheckpointPages = 16384 // 64 MiB of 4 KiB pages
)

// checkpointer runs PASSIVE checkpoints until stopped.
type checkpointer struct {
	db   *sql.DB
	log  *slog.Logger
	stop chan struct{}
	wg   sync.WaitGroup
}

func startCheckpointer(dsn string, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	c := &checkpointer{db: db, log: log, stop: make(chan struct{})}
	c.wg.Add(1)
	go c.run()
	return c, nil
}

func (c *checkpointer) run() {
	defer c.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var busy, logged, done int
		err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &done)
		cancel()
		if err != nil && c.log != nil {
			c.log.Warn("sqlite checkpoint", "err", err)
		}
	}
}

// Close stops the checkpointer and runs a last checkpoint.
func (c *checkpointer) Close() error {
	close(c.stop)
	c.wg.Wait()
	return c.db.Close()
}

// mmapSize is how much of the database file SQLite reads through a memory
// map instead of read calls: random index lookups (de-duplication in an
// import, search) then cost no system call.
const mmapSize = 1 << 30
