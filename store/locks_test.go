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
