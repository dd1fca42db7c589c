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
