package store

import (
	"context"
	"fmt"
	"time"
)

// WatchCommits calls fn, within every, after each commit to the database
// by any connection but the watcher's own: another process (the command
// line writing a meeting while serve runs) or this one. It polls PRAGMA
// data_version on one dedicated read connection, which SQLite changes on
// that connection whenever another connection has committed; a poll costs
// microseconds and takes no lock. It returns when ctx ends.
func (s *Store) WatchCommits(ctx context.Context, every time.Duration, fn func()) error {
	conn, err := s.rdb.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: watch commits: %w", err)
	}
	defer conn.Close()
	version := func() (int64, error) {
		var v int64
		err := conn.QueryRowContext(ctx, "PRAGMA data_version").Scan(&v)
		return v, err
	}
	last, err := version()
	if err != nil {
		return fmt.Errorf("store: watch commits: %w", err)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		v, err := version()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("store: watch commits: %w", err)
		}
		if v != last {
			last = v
			fn()
		}
	}
}
