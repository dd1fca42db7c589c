package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// readOnlyCommandLines are command lines that only read: none of them may create
// a database, so a mistyped -db is an error and not an empty archive.
var readOnlyCommandLines = [][]string{
	{"search", "prevence"},
	{"meeting", "list"},
	{"meeting", "show", "1"},
	{"member", "list"},
	{"agenda", "list", "1"},
	{"report", "-group", cliGroup, "-year", "2026"},
	{"ics", "-group", cliGroup},
	{"minutes", "list"},
}

func TestReadOnlyCommandsRefuseAMissingDatabase(t *testing.T) {
	for _, args := range readOnlyCommandLines {
		t.Run(strings.Join(args[:min(2, len(args))], "_"), func(t *testing.T) {
			dir := newCLIDir(t)
			for _, db := range []string{"typo.db", filepath.Join("no-such-dir", "x.db")} {
				r := runCLI(t, dir, nil, append([]string{"-db", db}, args...)...)
				want := "no database at " + db + " (run coordbot migrate to create one, or check -db)"
				if r.code != exitError || !strings.Contains(r.stderr, want) {
					t.Errorf("-db %s %v: exit %d, stderr %q; want exit 1 and %q", db, args, r.code, r.stderr, want)
				}
				if _, err := os.Stat(filepath.Join(dir, db)); !errors.Is(err, fs.ErrNotExist) {
					t.Errorf("-db %s %v created the database (stat: %v)", db, args, err)
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "no-such-dir")); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%v created the database's directory (stat: %v)", args, err)
			}
		})
	}
}

func TestReadOnlyCommandsRefuseAnEmptyDatabaseFile(t *testing.T) {
	// An empty file is what earlier versions left behind after a typo.
	dir := newCLIDir(t)
	writeFile(t, dir, "empty.db", "")
	r := runCLI(t, dir, nil, "-db", "empty.db", "meeting", "list")
	if r.code != exitError || !strings.Contains(r.stderr, "no database at empty.db") {
		t.Errorf("exit %d, stderr %q; want exit 1 and no database", r.code, r.stderr)
	}
}

func TestCommandsThatWriteCreateTheDatabase(t *testing.T) {
	for _, args := range [][]string{
		{"member", "add", "-group", cliGroup, "-name", "Jana Nováková", "-email", "jana@example.org"},
		{"meeting", "add", "-group", cliGroup, "-title", "Porada", "-start", "2. 12. 2026 10:00"},
		{"import", "empty.mbox"},
	} {
		t.Run(args[0]+"_"+args[1], func(t *testing.T) {
			dir := newCLIDir(t)
			writeFile(t, dir, "empty.mbox", "")
			db := filepath.Join("new-dir", "x.db")
			mustRun(t, dir, append([]string{"-db", db}, args...)...)
			if _, err := os.Stat(filepath.Join(dir, db)); err != nil {
				t.Errorf("%v did not create the database: %v", args, err)
			}
			mustRun(t, dir, "-db", db, "meeting", "list")
		})
	}
}

// holdWriteLock takes the database's write lock on a connection of its
// own, as another coordbot process writing would, and keeps it until
// release is called (or the test ends).
func holdWriteLock(t *testing.T, path string) (release func()) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=rw")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() {
		once.Do(func() {
			if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
				t.Error(err)
			}
			conn.Close()
			db.Close()
		})
	}
	t.Cleanup(release)
	return release
}

func TestReadersDoNotWaitForAWriter(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Porada", "-start", "2. 12. 2026 10:00")
	holdWriteLock(t, filepath.Join(dir, "coordbot.db"))
	// The lock is held for the whole test, longer than any busy timeout:
	// a reader that asked for it would fail (or wait for a minute).
	for _, args := range [][]string{
		{"search", "prevence"},
		{"meeting", "list"},
		{"member", "list", "-group", cliGroup},
		{"ics", "-group", cliGroup},
	} {
		r := runCLI(t, dir, nil, args...)
		if r.code != exitOK || strings.Contains(r.stderr, "waiting") {
			t.Errorf("%v with the write lock held elsewhere: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
}

// signalWriter is a stderr that closes seen when want is first written.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	had := strings.Contains(w.buf.String(), w.want)
	w.buf.Write(p)
	if !had && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestWriterWaitsForTheLockAndSaysSo(t *testing.T) {
	dir := newCLIDir(t)
	db := filepath.Join(dir, "coordbot.db")
	global := []string{"-config", filepath.Join(dir, "coordbot.toml"), "-db", db}
	mustRun(t, dir, "member", "add", "-group", cliGroup, "-name", "Jana Nováková", "-email", "jana@example.org")
	release := holdWriteLock(t, db)

	const notice = "waiting for the database: another coordbot process is writing"
	stderr := &signalWriter{want: notice, seen: make(chan struct{})}
	var stdout bytes.Buffer
	e := &env{getenv: func(string) string { return "" }, stdout: &stdout, stderr: stderr, now: cliNow}
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- e.dispatch(context.Background(), append(global, "meeting", "add", "-group", cliGroup,
			"-title", "Porada", "-start", "2. 12. 2026 10:00"))
	}()
	// The other process finishes its write once the command has said what
	// it waits for: the command must then go on and succeed.
	select {
	case <-stderr.seen:
		if waited := time.Since(start); waited < 2*time.Second {
			t.Errorf("notice after %v; want it after a few seconds of waiting, not at once", waited)
		}
		release()
	case err := <-done:
		t.Fatalf("meeting add gave up while the lock was held: %v; stderr %q", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("no notice after 30 s; stderr %q", stderr.String())
	}
	if err := <-done; err != nil {
		t.Fatalf("meeting add after the lock was released: %v; stderr %q", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "created") {
		t.Errorf("stdout %q", stdout.String())
	}
	if n := strings.Count(stderr.String(), notice); n != 1 {
		t.Errorf("notice printed %d times, want once: %q", n, stderr.String())
	}
}

func TestMigrateRefusesANegativeSchemaVersion(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "migrate")
	db, err := sql.Open("sqlite", filepath.Join(dir, "coordbot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("PRAGMA user_version = -1"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	for _, args := range [][]string{{"migrate"}, {"meeting", "list"}} {
		r := runCLI(t, dir, nil, args...)
		if r.code != exitError || !strings.Contains(r.stderr, "schema version -1") {
			t.Errorf("%v: exit %d, stderr %q; want exit 1 naming schema version -1", args, r.code, r.stderr)
		}
	}
}
