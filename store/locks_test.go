package store_test

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"coordbot/store"
)

// holdWriteLock takes the database's write lock on a connection of its
// own, as another process writing would, until release is called or the
// test ends.
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

func TestOpenAndSyncUnchangedGroupsNeedNoWriteLock(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	groups := func() []*store.Group {
		return []*store.Group{
			{Slug: "a", Name: "Skupina A", Reminders: []time.Duration{24 * time.Hour}, AgendaCall: 14 * 24 * time.Hour},
			{Slug: "b", Name: "Group B", Locale: "en", TimeZone: "Europe/London"},
		}
	}
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := groups()
	if err := s.SyncGroups(ctx, first); err != nil {
		t.Fatal(err)
	}
	s.Close()

	release := holdWriteLock(t, path)
	// A short busy timeout: asking for the lock would fail fast.
	s, err = store.Open(ctx, path, store.Options{MustExist: true, BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatalf("open with the write lock held elsewhere: %v", err)
	}
	defer s.Close()
	again := groups()
	if err := s.SyncGroups(ctx, again); err != nil {
		t.Fatalf("sync of unchanged groups with the write lock held elsewhere: %v", err)
	}
	for i := range again {
		if again[i].ID != first[i].ID || !again[i].UpdatedAt.Equal(first[i].UpdatedAt) || again[i].TimeZone == "" {
			t.Errorf("unchanged group %s: got %+v, stored %+v", again[i].Slug, again[i], first[i])
		}
	}

	changed := groups()
	changed[1].Name = "Group B, renamed"
	if err := s.SyncGroups(ctx, changed); err == nil {
		t.Fatal("a changed group was not written (the lock is held: want a busy error)")
	}
	release()
	if err := s.SyncGroups(ctx, changed); err != nil {
		t.Fatal(err)
	}
	got, err := s.GroupBySlug(ctx, "b")
	if err != nil || got.Name != "Group B, renamed" || got.ID != first[1].ID {
		t.Errorf("changed group stored as %+v (%v)", got, err)
	}
	added := append(groups(), &store.Group{Slug: "c", Name: "C"})
	if err := s.SyncGroups(ctx, added); err != nil {
		t.Fatal(err)
	}
	if added[2].ID == 0 {
		t.Error("new group got no ID")
	}
}

func TestOnLockWaitIsCalledOnceWhenAWriteWaits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	var mu sync.Mutex
	calls := 0
	count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
	onWait := func() { mu.Lock(); calls++; mu.Unlock() }

	// A write that does not wait: the notice is far beyond what an
	// uncontended BEGIN takes even on a loaded machine (with a 50 ms
	// notice, one race run under load 10 called it).
	quiet, err := store.Open(ctx, path, store.Options{LockWaitNotice: 5 * time.Second, OnLockWait: onWait})
	if err != nil {
		t.Fatal(err)
	}
	defer quiet.Close()
	if err := quiet.UpsertGroup(ctx, &store.Group{Slug: "a", Name: "A"}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 0 {
		t.Errorf("OnLockWait called %d times for a write that did not wait", n)
	}

	// Two writes that wait a whole second each for a lock held elsewhere:
	// the 50 ms notice fires during the first, and only then.
	s, err := store.Open(ctx, path, store.Options{BusyTimeout: time.Second,
		LockWaitNotice: 50 * time.Millisecond, OnLockWait: onWait})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := holdWriteLock(t, path)
	for i := range 2 {
		if err := s.UpsertGroup(ctx, &store.Group{Slug: "b", Name: "B"}); err == nil {
			t.Fatalf("write %d succeeded with the lock held elsewhere", i)
		}
	}
	release()
	if n := count(); n != 1 {
		t.Errorf("OnLockWait called %d times over two long waits, want once", n)
	}
}
