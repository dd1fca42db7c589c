package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// fill writes n rows of 100 KB, a transaction each, into a table of its
// own.
func fill(t *testing.T, s *Store, n int) {
	t.Helper()
	ctx := context.Background()
	if err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS filler (b BLOB)")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for range n {
		if err := s.Write(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO filler VALUES (randomblob(100000))")
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
}

func walSize(t *testing.T, s *Store) int64 {
	t.Helper()
	fi, err := os.Stat(s.path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestCheckpointSteps takes the checkpointer's steps by hand (its
// goroutine never starts): the writer does not checkpoint by itself, a
// large WAL is due and copied back whole, and the next write starts the
// WAL over, cut back to nothing, so that nothing is due any more.
func TestCheckpointSteps(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := &s.ckpt
	c.mu.Lock()
	c.closed = true // writes do not start the goroutine
	c.mu.Unlock()
	var auto int
	if err := s.Write(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto)
	}); err != nil || auto != 0 {
		t.Fatalf("writer's wal_autocheckpoint = %d, %v; want 0", auto, err)
	}
	fill(t, s, 2)
	if c.due() {
		t.Errorf("a %d-byte WAL is due", walSize(t, s))
	}
	fill(t, s, 58) // 6 MB: past 1,000 pages, and nothing copied back
	if c.due() != true || walSize(t, s) < 6_000_000 {
		t.Fatalf("WAL of %d bytes after 6 MB written: due %v", walSize(t, s), c.due())
	}
	res := c.checkpoint()
	if res.Err != nil || res.Frames < 1000 || res.Backfilled != res.Frames {
		t.Fatalf("checkpoint %+v, want all of at least 1,000 frames copied", res)
	}
	fill(t, s, 1)
	if n := walSize(t, s); n > 200_000 {
		t.Errorf("WAL of %d bytes after one write following a complete checkpoint: not started over", n)
	}
	if c.due() {
		t.Error("due right after the WAL started over")
	}
	var rows int
	if err := s.Write(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, "SELECT count(*) FROM filler").Scan(&rows)
	}); err != nil || rows != 61 {
		t.Errorf("rows after the checkpoint: %d, %v", rows, err)
	}
}

// TestCheckpointsInTheBackground: writes start the checkpointer's
// goroutine, which checkpoints once the WAL is large and reports it;
// Close stops it.
func TestCheckpointsInTheBackground(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	checkpoints := make(chan Checkpoint, 100)
	s, err := Open(ctx, filepath.Join(t.TempDir(), "coordbot.db"), Options{OnCheckpoint: func(c Checkpoint) { checkpoints <- c }})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, s, 60)
	select {
	case c := <-checkpoints:
		if c.Err != nil || c.Frames < 1000 || c.Backfilled < 1 {
			t.Errorf("checkpoint %+v", c)
		}
	case <-ctx.Done():
		t.Fatal("no checkpoint after 6 MB written")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.ckpt.done:
	default:
		t.Error("Close left the checkpointer running")
	}
}

// TestReadingStoreStartsNoCheckpointer: a command that only reads starts
// neither the goroutine nor its connection.
func TestReadingStoreStartsNoCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	r, err := Open(ctx, path, Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Version(ctx); err != nil {
		t.Fatal(err)
	}
	if r.ckpt.started || r.ckpt.db != nil {
		t.Error("a reading store started the checkpointer")
	}
}
