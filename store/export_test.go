package store

import (
	"context"
	"fmt"
)

// SetUserVersionForTest pretends a newer coordbot wrote the database.
func (s *Store) SetUserVersionForTest(ctx context.Context, v int) error {
	_, err := s.db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v))
	return err
}
