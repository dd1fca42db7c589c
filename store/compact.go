package store

import (
	"context"
	"database/sql"
)

// compactStepPages bounds the index pages one step of CompactIndex
// writes: a short write transaction, so that a running serve's writes
// wait at most a fraction of a second for the lock.
const compactStepPages = 500

// compactMaxSteps bounds CompactIndex's steps (10,000 mails took about 40).
const compactMaxSteps = 1000

// CompactIndex merges the full-text index's segments after a large intake,
// step by step, each step its own write transaction, until no level of
// the index has two segments left to merge. Every batch of mail filed
// adds small segments; a search seeks each of them, so a freshly filled
// archive answers slower until the nightly Optimize. It returns how many
// steps did work.
func (s *Store) CompactIndex(ctx context.Context) (int, error) {
	steps := 0
	for steps < compactMaxSteps {
		var worked bool
		err := s.update(ctx, func(tx *sql.Tx) error {
			// FTS5's 'merge' command with a negative page count merges any
			// level holding two or more segments, writing about that many
			// pages; whether it did anything shows in total_changes(),
			// which counts the rows the connection has changed.
			var before, after int64
			if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&before); err != nil {
				return dbError("compact index", err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO archive_fts (archive_fts, rank) VALUES ('merge', ?)`, -compactStepPages); err != nil {
				return dbError("compact index", err)
			}
			if err := tx.QueryRowContext(ctx, `SELECT total_changes()`).Scan(&after); err != nil {
				return dbError("compact index", err)
			}
			// The merge command's own row counts as one change.
			worked = after-before > 1
			return nil
		})
		if err != nil {
			return steps, err
		}
		if !worked {
			return steps, nil
		}
		steps++
	}
	return steps, nil
}
