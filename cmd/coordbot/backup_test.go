package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBackupCommand(t *testing.T) {
	dir := newCLIDir(t)
	r := runCLI(t, dir, nil, "backup", "copy.db")
	if r.code != exitError || !strings.Contains(r.stderr, "no database at coordbot.db") {
		t.Errorf("backup without a database: exit %d, stderr %q; want exit 1 and no database", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "coordbot.db")); err == nil {
		t.Error("backup created the database")
	}

	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Porada", "-start", "2. 12. 2026 10:00")
	// A quote, spaces and URI characters in the name reach SQLite intact.
	name := "it's a copy ?mode=memory #1.db"
	out := mustRun(t, dir, "backup", name)
	if !strings.Contains(out, name) {
		t.Errorf("stdout %q does not name the backup", out)
	}
	path := filepath.Join(dir, name)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}
	if n := countRows(t, openReadOnly(t, path), "SELECT count(*) FROM meetings"); n != 1 {
		t.Errorf("backup holds %d meetings, want 1", n)
	}
	before, _ := os.ReadFile(path)

	r = runCLI(t, dir, nil, "backup", name)
	if r.code != exitError || !strings.Contains(r.stderr, "exists") {
		t.Errorf("backup over an existing file: exit %d, stderr %q; want exit 1 and exists", r.code, r.stderr)
	}
	if after, _ := os.ReadFile(path); string(after) != string(before) {
		t.Error("backup overwrote an existing file")
	}
	for _, args := range [][]string{{"backup"}, {"backup", "a.db", "b.db"}} {
		if r := runCLI(t, dir, nil, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want 2; stderr %q", args, r.code, r.stderr)
		}
	}
	if r := runCLI(t, dir, nil, "-h"); !strings.Contains(r.stdout, "backup FILE") {
		t.Errorf("help lacks backup FILE: %q", r.stdout)
	}
	if r := runCLI(t, dir, nil, "backup", "-h"); r.code != exitOK || !strings.HasPrefix(r.stdout, "Usage: coordbot backup") {
		t.Errorf("backup -h: %+v", r)
	}
}

// TestBackupCopiesKeptMail: the whole bytes of oversized imported mail,
// kept beside the database, are copied beside the backup.
func TestBackupCopiesKeptMail(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Porada", "-start", "2. 12. 2026 10:00")
	kept := filepath.Join(dir, "coordbot.db.d", "quarantine")
	if err := os.MkdirAll(kept, 0o700); err != nil {
		t.Fatal(err)
	}
	raw := []byte("From: a@b.cz\r\nSubject: velká příloha\r\n\r\n" + strings.Repeat("x", 1000))
	if err := os.WriteFile(filepath.Join(kept, "abc123.eml"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, dir, "backup", "zaloha.db")
	if !strings.Contains(out, "1 oversized messages") {
		t.Errorf("stdout %q does not count the kept mail", out)
	}
	copied := filepath.Join(dir, "zaloha.db.d", "quarantine", "abc123.eml")
	got, err := os.ReadFile(copied)
	if err != nil || string(got) != string(raw) {
		t.Fatalf("kept mail in the backup: %v, %d bytes", err, len(got))
	}
	if fi, _ := os.Stat(copied); fi.Mode().Perm() != 0o600 {
		t.Errorf("copied mail mode %v, want 0600", fi.Mode().Perm())
	}
}
