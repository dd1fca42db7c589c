package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
)

// Checkpoints are taken off the writer. In WAL mode a commit appends its
// pages to the -wal file, and SQLite's automatic checkpoint copies them
// back into the database file once the WAL holds 1,000 pages, inside the
// commit that crossed the mark, with an fsync of each file
// (synchronous=NORMAL syncs at checkpoints only): the copying and the
// syncs held the single writer, and every answer waiting for the commit
// waited with it, about every tenth round of the 200-click benchmark
// (issue 14; the 230 ms of those rounds turned out to be mostly the
// gateway socket's zero window, which the extra CPU at the round's start
// set off: bot/gateway.go growReadBuffer). So the writer runs with
// wal_autocheckpoint=0 and journal_size_limit=0, and after each write the
// store pokes a goroutine of its own that, when the -wal file has grown
// past the size SQLite would have checkpointed at, runs a PASSIVE
// checkpoint on a connection of its own: it copies what no reader still
// needs while the writer goes on appending, and never waits for a lock.
// journal_size_limit=0 makes the writer cut the -wal file back when it
// starts over from its beginning (after a complete checkpoint), so that
// the file's size tells how much was written since.

// checkpointPages is how many WAL pages trigger a checkpoint: SQLite's
// own default for wal_autocheckpoint.
const checkpointPages = 1000

// Checkpoint is the outcome of one checkpoint, for Options.OnCheckpoint.
type Checkpoint struct {
	// Frames is how many frames the WAL held, Backfilled how many of them
	// are now in the database file (all, unless a reader still reads an
	// older snapshot). Both are -1 when Err is set.
	Frames, Backfilled int
	// Err is why the checkpoint failed; the next write tries again.
	Err error
}

// checkpointer runs the store's checkpoints; see above. Its goroutine and
// connection start with the first write: a command that only reads starts
// neither.
type checkpointer struct {
	s       *Store
	dsn     string
	onCheck func(Checkpoint)

	mu      sync.Mutex
	started bool
	closed  bool
	poke    chan struct{}
	done    chan struct{}
	db      *sql.DB
	// limit is how much the -wal file grows between checkpoints; mark is
	// its size at the last checkpoint (0 after it started over).
	limit, mark int64
}

// wrote tells the checkpointer that a write transaction committed. It
// never blocks: a pending poke covers any number of writes.
func (c *checkpointer) wrote() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	if !c.started {
		c.started = true
		c.poke = make(chan struct{}, 1)
		c.done = make(chan struct{})
		go c.run()
	}
	select {
	case c.poke <- struct{}{}:
	default:
	}
}

// run checkpoints when poked and the WAL is large, until close.
func (c *checkpointer) run() {
	defer close(c.done)
	for range c.poke {
		if !c.due() {
			continue
		}
		res := c.checkpoint()
		if fi, err := os.Stat(c.s.path + "-wal"); err == nil {
			c.mark = fi.Size()
		}
		if c.onCheck != nil {
			c.onCheck(res)
		}
	}
	if c.db != nil {
		c.db.Close()
	}
}

// due reports whether the -wal file has grown by the checkpoint size since
// the last checkpoint, or since it started over. The size is learnt from
// the database's page size on first use. A write that comes while a
// checkpoint runs cannot start the WAL over, so under steady writes the
// file grows past limit; the mark keeps such a WAL from being checkpointed
// again at every write (two fsyncs each) until it has grown by limit
// again.
func (c *checkpointer) due() bool {
	fi, err := os.Stat(c.s.path + "-wal")
	if err != nil {
		return false // no WAL yet, or gone: nothing to copy
	}
	if c.limit == 0 {
		if err := c.open(); err != nil {
			return true // checkpoint reports it
		}
		var page int64
		if err := c.db.QueryRow("PRAGMA page_size").Scan(&page); err != nil {
			return true
		}
		// A WAL file is a 32-byte header and frames of a 24-byte header
		// and one page each.
		c.limit = 32 + checkpointPages*(24+page)
	}
	if fi.Size() < c.mark {
		c.mark = 0 // started over and cut back
	}
	return fi.Size()-c.mark >= c.limit
}

// open opens the checkpointer's own connection.
func (c *checkpointer) open() error {
	if c.db != nil {
		return nil
	}
	db, err := sql.Open("sqlite", c.dsn)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	c.db = db
	return nil
}

// checkpoint runs one PASSIVE checkpoint: it copies what it can without
// waiting for the writer or any reader (a busy handler is never called).
func (c *checkpointer) checkpoint() Checkpoint {
	if err := c.open(); err != nil {
		return Checkpoint{Frames: -1, Backfilled: -1, Err: fmt.Errorf("store: checkpoint: %w", err)}
	}
	var busy, frames, backfilled int
	// The result row is (busy, frames in the WAL, frames copied).
	err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &backfilled)
	if err != nil {
		return Checkpoint{Frames: -1, Backfilled: -1, Err: fmt.Errorf("store: checkpoint: %w", err)}
	}
	return Checkpoint{Frames: frames, Backfilled: backfilled}
}

// close stops the goroutine, after the checkpoint it may be running, and
// closes its connection.
func (c *checkpointer) close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	started := c.started
	if started {
		close(c.poke)
	}
	c.mu.Unlock()
	if started {
		<-c.done // run closes the connection
	} else if c.db != nil {
		c.db.Close()
	}
}
