// Package store keeps everything coordbot knows in one SQLite database:
// groups, members, meetings, agenda items, RSVPs, the outbox of messages to
// send, and the minutes archive with its full-text index.
//
// The database is opened through modernc.org/sqlite (pure Go, no cgo) with
// two connection pools: one single writer connection, whose transactions
// start with BEGIN IMMEDIATE so that writers queue on the busy timeout instead
// of failing with SQLITE_BUSY half-way through, and a small pool of read-only
// connections that WAL mode lets run beside the writer.
//
// Every public method takes a context first, opens its own transaction and
// hands it to an unexported helper; the helpers compose inside one
// transaction when a method needs several of them.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Errors returned by the store. Callers test them with errors.Is.
var (
	// ErrNotFound means the row asked for does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict means a uniqueness rule was broken: a duplicate slug,
	// Message-ID, idempotency key, e-mail address or Discord user.
	ErrConflict = errors.New("store: already exists")
	// ErrInvalid means a value was refused by a CHECK or foreign-key rule.
	ErrInvalid = errors.New("store: invalid value")
	// ErrSchemaTooNew means the database was written by a newer coordbot.
	ErrSchemaTooNew = errors.New("store: database schema is newer than this program")
	// ErrNoDatabase means Options.MustExist was set and there is no
	// coordbot database at the path: no file, or an empty one.
	ErrNoDatabase = errors.New("store: no database")
)

// Store is the coordbot database. It is safe for concurrent use.
type Store struct {
	path string
	// db is the writer: one connection, transactions BEGIN IMMEDIATE.
	db *sql.DB
	// rdb is for reads only: several connections, query_only.
	rdb *sql.DB
	// stmts are the writer's prepared statements.
	stmts stmtCache
	// onLockWait and lockWaitNotice are Options.OnLockWait and
	// LockWaitNotice; lockWaitOnce makes the call happen once.
	onLockWait     func()
	lockWaitNotice time.Duration
	lockWaitOnce   sync.Once
	// busyTimeout is Options.BusyTimeout, for connections opened later.
	busyTimeout time.Duration
	// openedVersion is the schema version read at a MustExist open.
	openedVersion int
	// ckpt takes the WAL checkpoints off the writer (checkpoint.go).
	ckpt checkpointer

	// Now is the clock used for created_at/updated_at stamps. Tests replace it.
	Now func() time.Time
}

// Options tune Open. The zero value is what production uses.
type Options struct {
	// BusyTimeout is how long a connection waits for a lock held by another
	// process before failing. Default 5 s, which is what serve uses: its
	// writes are many and short, made for someone clicking in Discord who
	// gets an error reply and can click again, or by loops that retry on
	// their next pass; waiting longer would only pile the bot's handlers
	// up behind one lock. The command line waits a minute, as a person at
	// a terminal would (cmd/coordbot).
	BusyTimeout time.Duration
	// OnLockWait, if set, is called once, from another goroutine, the first
	// time a write has waited LockWaitNotice for the write lock, so that
	// the command line can say what it is waiting for.
	OnLockWait func()
	// LockWaitNotice is how long a write waits before OnLockWait is
	// called. Default 3 s: long enough that the notice does not flicker
	// past on ordinary waits.
	LockWaitNotice time.Duration
	// ReadConns is the size of the read pool. Default 8: reads are short,
	// and a burst of clicks should not queue for a connection.
	ReadConns int
	// MustExist refuses, with ErrNoDatabase, to open a path where no
	// database was created yet, instead of creating it (and its
	// directory). Commands that only read set it, so that a mistyped path
	// is an error rather than an empty archive. An empty file counts as
	// missing: it is what a typo left behind before this option existed.
	MustExist bool
	// CacheKiB and ReadCacheKiB bound the page cache of the writer and of
	// each reader connection (PRAGMA cache_size; 0: SQLite's 2,000 KiB).
	// A long-running process sets them: in WAL mode a reader's cache is
	// discarded whenever another connection has written since its last
	// read, so a large reader cache holds memory without saving reads,
	// and each of the ReadConns connections fills its own.
	CacheKiB, ReadCacheKiB int
	// OnCheckpoint, if set, is called from the store's checkpoint
	// goroutine after each WAL checkpoint it ran (see checkpoint.go).
	OnCheckpoint func(Checkpoint)
}

// Open opens (creating if needed, with mode 0600, unless opts.MustExist)
// the database at path and applies pending migrations; when none is due it
// takes no write lock. It refuses a database whose schema is newer than
// this program with ErrSchemaTooNew.
func Open(ctx context.Context, path string, opts Options) (*Store, error) {
	s, err := OpenNoMigrate(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	if _, err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// OpenNoMigrate opens the database without applying migrations. Migrate
// must be called before any other method; tests use this to build old
// schemas.
func OpenNoMigrate(ctx context.Context, path string, opts Options) (*Store, error) {
	if path == "" {
		return nil, errors.New("store: empty database path")
	}
	if opts.BusyTimeout <= 0 {
		opts.BusyTimeout = 5 * time.Second
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 8
	}
	if opts.LockWaitNotice <= 0 {
		opts.LockWaitNotice = 3 * time.Second
	}
	common := fmt.Sprintf("_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)", opts.BusyTimeout.Milliseconds())
	if opts.MustExist {
		fi, err := os.Stat(path)
		if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() == 0 {
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
		if err != nil {
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
		// mode=rw: should the file vanish from here on, SQLite fails
		// instead of creating it.
		common += "&mode=rw"
	} else if err := createFile(path); err != nil {
		return nil, err
	}

	base := "file:" + (&url.URL{Path: path}).EscapedPath()
	// journal_mode(WAL) persists in the file; synchronous(NORMAL) is safe
	// with WAL (a power cut may lose the last commits, never corrupt).
	// _txlock=immediate makes BEGIN take the write lock up front.
	// Checkpoints are the store's own, off the writer (checkpoint.go):
	// wal_autocheckpoint(0), journal_size_limit(0).
	writeDSN := base + "?" + common + "&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)" +
		"&_pragma=wal_autocheckpoint(0)&_pragma=journal_size_limit(0)&_txlock=immediate"
	readDSN := base + "?" + common + "&_pragma=query_only(1)"
	// A negative cache_size is in KiB.
	if opts.CacheKiB > 0 {
		writeDSN += fmt.Sprintf("&_pragma=cache_size(-%d)", opts.CacheKiB)
	}
	if opts.ReadCacheKiB > 0 {
		readDSN += fmt.Sprintf("&_pragma=cache_size(-%d)", opts.ReadCacheKiB)
	}

	db, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	db.SetConnMaxLifetime(0)
	// A command that only reads (MustExist) opens the writer connection
	// only if it ever writes: opening it parses the schema once more, a
	// millisecond of every search. The reader's version check below tells
	// an unreadable file instead.
	if !opts.MustExist {
		if err := db.PingContext(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("store: open %s: %w", path, err)
		}
	}
	rdb, err := sql.Open("sqlite", readDSN)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	rdb.SetMaxOpenConns(opts.ReadConns)
	rdb.SetMaxIdleConns(opts.ReadConns)
	s := &Store{path: path, db: db, rdb: rdb, Now: time.Now,
		onLockWait: opts.OnLockWait, lockWaitNotice: opts.LockWaitNotice, busyTimeout: opts.BusyTimeout}
	s.ckpt = checkpointer{s: s, dsn: base + "?" + common, onCheck: opts.OnCheckpoint}
	if opts.MustExist {
		// A file that is not empty but was never migrated is no
		// coordbot database either.
		v, err := s.readVersion(ctx)
		if err != nil || v == 0 {
			s.Close()
			if err != nil {
				return nil, err
			}
			return nil, fmt.Errorf("%w at %s", ErrNoDatabase, path)
		}
		s.openedVersion = v
	}
	return s, nil
}

// createFile creates the database file and its directory unless they
// exist. The file gets mode 0600 from us: it holds personal data and mail,
// and SQLite creates -wal and -shm with the main file's mode.
func createFile(path string) error {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("store: create directory: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("store: create database file: %w", err)
	}
	return f.Close()
}

// OpenedVersion is the schema version read when the store was opened
// with Options.MustExist (which checks it), so that a reading command need
// not read it again; 0 for a store opened otherwise. Migrate does not
// change it: Version reads the current one.
func (s *Store) OpenedVersion() int { return s.openedVersion }

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close closes both pools. The WAL is checkpointed by SQLite when the last
// connection closes.
func (s *Store) Close() error {
	s.ckpt.close()
	s.stmts.close()
	return errors.Join(s.rdb.Close(), s.db.Close())
}

// now returns the store clock in Unix seconds.
func (s *Store) now() int64 { return s.Now().Unix() }

// update runs fn in a write transaction (BEGIN IMMEDIATE) and commits it.
func (s *Store) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.beginWrite(func() (*sql.Tx, error) { return s.db.BeginTx(ctx, nil) })
	if err := commitTx(tx, err, fn); err != nil {
		return err
	}
	s.ckpt.wrote()
	return nil
}

// beginWrite runs begin, a BEGIN IMMEDIATE, which is where a write waits
// (up to the busy timeout) for another process's write lock, and calls
// onLockWait once if that wait grows long.
func (s *Store) beginWrite(begin func() (*sql.Tx, error)) (*sql.Tx, error) {
	if s.onLockWait == nil {
		return begin()
	}
	t := time.AfterFunc(s.lockWaitNotice, func() { s.lockWaitOnce.Do(s.onLockWait) })
	defer t.Stop()
	return begin()
}

// commitTx runs fn in a transaction just begun (or reports why it could
// not begin), commits it, and rolls it back when anything fails.
func commitTx(tx *sql.Tx, beginErr error, fn func(tx *sql.Tx) error) error {
	if beginErr != nil {
		return fmt.Errorf("store: begin: %w", beginErr)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// updateDurable is update with a commit that survives a power cut: the
// writer normally runs with synchronous=NORMAL (a power cut may undo the
// last commits, never corrupt), which is right for RSVPs but not for mail
// that is moved out of its mailbox once committed. SQLite refuses to change
// the level inside a transaction, so it is set on the (single) writer
// connection around it, which this call holds exclusively.
func (s *Store) updateDurable(ctx context.Context, fn func(tx *sql.Tx) error) error {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store: writer connection: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = FULL"); err != nil {
		return fmt.Errorf("store: durable commit: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA synchronous = NORMAL")
	tx, err := s.beginWrite(func() (*sql.Tx, error) { return conn.BeginTx(ctx, nil) })
	if err := commitTx(tx, err, fn); err != nil {
		return err
	}
	s.ckpt.wrote()
	return nil
}

// view runs fn in a read transaction on the read pool, so all its queries
// see one snapshot.
func (s *Store) view(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.rdb.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fmt.Errorf("store: begin read: %w", err)
	}
	defer tx.Rollback()
	return fn(tx)
}

// dbError turns SQLite constraint violations into the store's sentinels,
// keeping the original error in the chain for the logs.
func dbError(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: %s: %w", op, ErrNotFound)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("store: %s: %w (%w)", op, ErrConflict, err)
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY,
			sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return fmt.Errorf("store: %s: %w (%w)", op, ErrInvalid, err)
		}
	}
	return fmt.Errorf("store: %s: %w", op, err)
}

// unix converts an instant to stored seconds.
func unix(t time.Time) int64 { return t.Unix() }

// fromUnix converts stored seconds to a UTC instant.
func fromUnix(sec int64) time.Time { return time.Unix(sec, 0).UTC() }

// nullTime reads a nullable instant column.
func nullTime(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromUnix(n.Int64)
}

// timeOrNull stores the zero time as NULL.
func timeOrNull(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}
