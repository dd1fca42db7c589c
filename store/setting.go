package store

import (
	"context"
	"database/sql"
	"errors"
)

// Setting returns a named value the program kept, and false when there is
// none.
func (s *Store) Setting(ctx context.Context, key string) (string, bool, error) {
	var v string
	err := s.rdb.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, dbError("setting "+key, err)
	}
	return v, true, nil
}

// SetSetting keeps a named value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
			key, value, s.now())
		return dbError("set setting "+key, err)
	})
}
