package store

import (
	"context"
	"fmt"
)

// ExecForTest runs raw SQL, to fill an old schema that today's methods no
// longer match.
func (s *Store) ExecForTest(ctx context.Context, query string, args ...any) error {
	_, err := s.db.ExecContext(ctx, query, args...)
	return err
}

// SetUserVersionForTest pretends a newer coordbot wrote the database.
func (s *Store) SetUserVersionForTest(ctx context.Context, v int) error {
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}

// IndexSegmentsForTest is how many segments the full-text index has
// (each has rows in archive_fts_idx).
func (s *Store) IndexSegmentsForTest(ctx context.Context) (int, error) {
	var n int
	err := s.rdb.QueryRowContext(ctx, `SELECT count(DISTINCT segid) FROM archive_fts_idx`).Scan(&n)
	return n, err
}
