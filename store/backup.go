package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database to path, while other
// connections and processes (serve, an import) go on writing: the copy is
// the database as of one moment, with every transaction committed before
// Backup began and none half-written. It is SQLite's VACUUM INTO, which
// reads one snapshot and writes it compacted, without taking the write
// lock.
//
// Backup never overwrites: it fails with an error wrapping fs.ErrExist if
// path exists. The copy gets mode 0600, like the database. It is written
// under a temporary name beside path and renamed into place once complete
// and synced, so path never holds half a backup; if Backup is killed
// midway an empty file may be left at path (and a temporary file beside it).
//
// To restore: stop serve, copy the backup over the database file, remove
// the database's -wal and -shm files, start serve.
func (s *Store) Backup(ctx context.Context, path string) (err error) {
	// An absolute path never starts with "file:", so SQLite cannot read
	// it as a URI with parameters of its own.
	abs, err := filepath.Abs(path)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// O_EXCL claims the name or fails if anything is there, in one step,
	// and creates the file with mode 0600.
	f, err := os.OpenFile(abs, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	f.Close()
	// CreateTemp makes an empty file with mode 0600, which VACUUM INTO
	// accepts as its target and keeps the mode of.
	tmp, err := os.CreateTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".*.tmp")
	if err != nil {
		os.Remove(abs)
		return fmt.Errorf("store: backup: %w", err)
	}
	tmp.Close()
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
			os.Remove(abs)
		}
	}()
	if err := s.vacuumInto(ctx, tmp.Name()); err != nil {
		return err
	}
	// SQLite does not sync what VACUUM INTO wrote; a backup must be on disk.
	if err := syncFile(tmp.Name()); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := os.Rename(tmp.Name(), abs); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(filepath.Dir(abs)); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// vacuumInto runs VACUUM INTO on a connection of its own: the read pool
// is query_only, which refuses it, and the writer must stay free for the
// writes of the process that asks for a backup.
func (s *Store) vacuumInto(ctx context.Context, target string) error {
	dsn := fmt.Sprintf("file:%s?mode=ro&_pragma=busy_timeout(%d)", (&url.URL{Path: s.path}).EscapedPath(),
		s.busyTimeout.Milliseconds())
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	defer db.Close()
	// The file name is bound as a parameter, not spliced into the SQL, so
	// quotes and other characters in it need no escaping.
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", target); err != nil {
		return fmt.Errorf("store: backup to %s: %w", target, err)
	}
	return nil
}

// syncFile flushes a file or directory to disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
