package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"coordbot/store"
)

// copyFile copies a file as cp would.
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestBackupDuringAnImportRestoresEveryMessageCommittedBeforeIt(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "coordbot.db")
	// The importer, as serve's mail intake or `coordbot import` would be.
	importer, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer importer.Close()

	const total, batch = 1000, 10
	var committed atomic.Int64
	started := make(chan struct{}) // closed once a fifth is committed
	done := make(chan error, 1)
	go func() {
		for i := 0; i < total; i += batch {
			ms := make([]*store.ArchiveMessage, batch)
			for j := range ms {
				n := i + j
				ms[j] = archiveMsg(fmt.Sprintf("msg-%04d@example.cz", n), fmt.Sprintf("Zápis %d", n),
					fmt.Sprintf("Zápis z jednání číslo %d, primární prevence.", n))
			}
			if _, err := importer.AddArchiveMessages(ctx, ms); err != nil {
				done <- err
				return
			}
			if committed.Add(batch) == total/5 {
				close(started)
			}
		}
		done <- nil
	}()

	<-started
	before := committed.Load()
	// The backup runs in another process: a store of its own on the file.
	b, err := store.OpenNoMigrate(ctx, path, store.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup's copy.db")
	if err := b.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	b.Close()
	after := committed.Load()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Logf("backup began after %d messages were committed and ended after %d", before, after)
	fi, err := os.Stat(backup)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600", fi.Mode().Perm())
	}

	// Restore as the README says: stop serve, copy the backup over the
	// database, remove -wal and -shm, start.
	importer.Close()
	copyFile(t, backup, path)
	for _, suffix := range []string{"-wal", "-shm"} {
		if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}
	s, err := store.Open(ctx, path, store.Options{MustExist: true})
	if err != nil {
		t.Fatalf("open the restored database: %v", err)
	}
	defer s.Close()
	msgs, err := s.ArchiveMessages(ctx, store.ArchiveFilter{Limit: 2 * total})
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		have[m.MessageID] = true
	}
	for n := range before {
		if id := fmt.Sprintf("msg-%04d@example.cz", n); !have[id] {
			t.Errorf("message %s, committed before the backup began, is not in it", id)
		}
	}
	// A consistent copy holds whole transactions: the first k batches.
	k := len(have)
	if k%batch != 0 || k > total {
		t.Errorf("backup holds %d messages: not a whole number of %d-message transactions", k, batch)
	}
	for n := range k {
		if id := fmt.Sprintf("msg-%04d@example.cz", n); !have[id] {
			t.Errorf("backup holds %d messages but not %s: not a snapshot", k, id)
		}
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var check string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check of the restored database: %q, %v", check, err)
	}
	if _, err := raw.Exec("INSERT INTO archive_fts(archive_fts) VALUES ('integrity-check')"); err != nil {
		t.Errorf("full-text index of the restored database: %v", err)
	}
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	existing := filepath.Join(t.TempDir(), "nightly.db")
	if err := os.WriteFile(existing, []byte("yesterday"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := s.Backup(ctx, existing)
	if !errors.Is(err, fs.ErrExist) {
		t.Errorf("backup over an existing file: %v, want fs.ErrExist", err)
	}
	if data, _ := os.ReadFile(existing); string(data) != "yesterday" {
		t.Errorf("existing file changed to %q", data)
	}
	if err := s.Backup(ctx, filepath.Join(t.TempDir(), "no-such-dir", "x.db")); err == nil {
		t.Error("backup into a missing directory succeeded")
	}
}
