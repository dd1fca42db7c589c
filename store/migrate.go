package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migrationFS holds the schema history. Files are named NNNN_what.sql and
// are append-only: a released file is never edited, a change is a new file.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered schema step.
type migration struct {
	version int
	name    string
	sql     string
	// foreignKeysOff: the step runs with foreign keys off (see
	// foreignKeysOffLine).
	foreignKeysOff bool
}

// foreignKeysOffLine, as the first line of a migration, makes it run with
// PRAGMA foreign_keys off, checked with PRAGMA foreign_key_check before
// it commits: what SQLite's procedure for rebuilding a table asks
// (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of
// Table Schema Changes"). With foreign keys on, dropping the old copy of
// a table would delete or null every row that refers to it (ON DELETE
// CASCADE, SET NULL). The pragma cannot change inside a transaction, so
// it is set on the writer connection around it.
const foreignKeysOffLine = "-- coordbot: foreign_keys off\n"

// migrations returns the embedded migrations sorted by version, checking
// that they are numbered 1, 2, 3… without gaps.
func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("store: migration %q: name must start with a number", e.Name())
		}
		data, err := fs.ReadFile(migrationFS, "migrations/"+e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration: %w", err)
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(data),
			foreignKeysOff: strings.HasPrefix(string(data), foreignKeysOffLine)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migration %s: expected version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this program writes: the number of
// embedded migrations (their numbering is checked by migrations, which
// Migrate and the tests run). Counting the files without reading them keeps
// `coordbot version` and every reader's open cheap.
func SchemaVersion() int {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return 0
	}
	return len(entries)
}

// Version returns the database's schema version (PRAGMA user_version).
func (s *Store) Version(ctx context.Context) (int, error) {
	return s.readVersion(ctx)
}

// readVersion reads the schema version on the read pool: it needs no
// lock that a writer in another process could hold.
func (s *Store) readVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.rdb.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("store: read schema version: %w", err)
	}
	return v, nil
}

// Migrate applies every migration newer than the database, each in its own
// transaction together with its user_version bump, and returns how many it
// applied. A database newer than this program is refused with
// ErrSchemaTooNew and left untouched.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	return s.MigrateTo(ctx, SchemaVersion())
}

// MigrateTo applies migrations up to and including version target. Tests use
// it to build an old schema; production calls Migrate.
func (s *Store) MigrateTo(ctx context.Context, target int) (int, error) {
	ms, err := migrations()
	if err != nil {
		return 0, err
	}
	if target > len(ms) {
		return 0, fmt.Errorf("store: no migration %d", target)
	}
	// Most opens find the schema current: check that on the read pool, so
	// that a command that only reads never asks for the write lock.
	v, err := s.readVersion(ctx)
	if err != nil {
		return 0, err
	}
	if err := checkVersion(v, len(ms)); err != nil {
		return 0, err
	}
	if v >= target {
		return 0, nil
	}
	applied := 0
	foreignKeysOff := false
	for {
		// Read the version inside the write transaction, so two processes
		// migrating at once cannot both apply the same step.
		done, err := s.migrateStep(ctx, ms, target, foreignKeysOff)
		var again errForeignKeys
		if errors.As(err, &again) {
			// The next step wants the other setting: begin it again so.
			foreignKeysOff = again.off
			continue
		}
		if err != nil {
			return applied, err
		}
		if done {
			return applied, nil
		}
		applied++
	}
}

// checkVersion refuses a schema version this program cannot migrate from:
// a newer one, and a negative one (user_version is a signed integer that
// anyone with the sqlite3 shell can set; no coordbot writes one).
func checkVersion(v, known int) error {
	if v < 0 {
		return fmt.Errorf("store: database has schema version %d, which no coordbot writes: "+
			"the file is damaged or was changed by hand (restore a backup)", v)
	}
	if v > known {
		return fmt.Errorf("%w: database has version %d, this coordbot knows %d", ErrSchemaTooNew, v, known)
	}
	return nil
}

// errForeignKeys is migrateStep's answer when the migration due needs
// foreign keys set otherwise than the transaction began with: nothing was
// done, and the step is to be run again with off.
type errForeignKeys struct{ off bool }

func (e errForeignKeys) Error() string {
	return fmt.Sprintf("store: migration wants foreign keys off=%v", e.off)
}

// migrateStep applies the next migration if one is due; done reports that
// the database is at target already. foreignKeysOff runs the transaction
// with foreign keys off (and checked before the commit); when the
// migration due wants the other setting it returns errForeignKeys.
func (s *Store) migrateStep(ctx context.Context, ms []migration, target int, foreignKeysOff bool) (done bool, err error) {
	step := func(tx *sql.Tx) error {
		var v int
		if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			return fmt.Errorf("store: read schema version: %w", err)
		}
		if err := checkVersion(v, len(ms)); err != nil {
			return err
		}
		if v >= target {
			done = true
			return nil
		}
		m := ms[v]
		if m.foreignKeysOff != foreignKeysOff {
			return errForeignKeys{off: m.foreignKeysOff}
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return fmt.Errorf("store: migration %s: %w", m.name, err)
		}
		if foreignKeysOff {
			if err := foreignKeyCheckTx(ctx, tx); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
		}
		// PRAGMA does not take bound parameters; the value is our own integer.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
			return fmt.Errorf("store: migration %s: set version: %w", m.name, err)
		}
		return nil
	}
	if !foreignKeysOff {
		return done, s.update(ctx, step)
	}
	return done, s.withoutForeignKeys(ctx, step)
}

// withoutForeignKeys runs fn in a write transaction on the writer
// connection with foreign keys off, and turns them on again after. Should
// that fail, the connection is discarded: the pool must not hand out a
// writer that ignores foreign keys.
func (s *Store) withoutForeignKeys(ctx context.Context, fn func(tx *sql.Tx) error) (err error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = OFF"); err != nil {
		return fmt.Errorf("store: foreign keys off: %w", err)
	}
	defer func() {
		if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = ON"); rerr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			err = errors.Join(err, fmt.Errorf("store: foreign keys on again: %w", rerr))
		}
	}()
	tx, err := s.beginWrite(func() (*sql.Tx, error) { return conn.BeginTx(ctx, nil) })
	return commitTx(tx, err, fn)
}

// foreignKeyCheckTx fails when a row refers to a row that does not exist
// (PRAGMA foreign_key_check lists such rows).
func foreignKeyCheckTx(ctx context.Context, tx *sql.Tx) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	defer rows.Close()
	var broken []string
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			return fmt.Errorf("foreign key check: %w", err)
		}
		if len(broken) < 5 {
			broken = append(broken, fmt.Sprintf("%s row %d refers to a missing %s", table, rowid.Int64, parent))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("foreign key check: %w", err)
	}
	if len(broken) > 0 {
		return fmt.Errorf("foreign key check: %s", strings.Join(broken, "; "))
	}
	return nil
}
