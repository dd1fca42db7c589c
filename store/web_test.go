package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"coordbot/store"
)

func TestWebKeyIsMadeOnceAndKept(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Several callers at once get one key.
	keys := make([][]byte, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := s.WebKey(ctx)
			if err != nil {
				t.Error(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	for _, k := range keys {
		if len(k) != 32 || !bytes.Equal(k, keys[0]) {
			t.Fatalf("keys = %x, want one 32-byte key", keys)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Another run of the program signs with the same key.
	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	again, err := s.WebKey(ctx)
	if err != nil || !bytes.Equal(again, keys[0]) {
		t.Errorf("after reopening: %x, %v; want %x", again, err, keys[0])
	}
	// A key edited by hand into something too short is refused, not used.
	if err := s.SetSetting(ctx, "web_key", "c2hvcnQ="); err != nil {
		t.Fatal(err)
	}
	if k, err := s.WebKey(ctx); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("short stored key: %x, %v; want ErrInvalid", k, err)
	}
}

func TestLoginLinkIsUsedOnceBeforeItExpires(t *testing.T) {
	ctx := context.Background()
	s, c := MustOpenStore(t)
	m := mustMember(t, s, "", "Jana Nováková", "jana@obec.example")
	var first, second *store.LoginLink
	err := s.Write(ctx, func(tx *store.Tx) error {
		var err error
		if first, err = tx.CreateLoginLink(m.ID, " Jana@Obec.example ", t0.Add(15*time.Minute)); err != nil {
			return err
		}
		second, err = tx.CreateLoginLink(m.ID, "jana@obec.example", t0.Add(15*time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if first.Address != "jana@obec.example" || !first.Created.Equal(t0) || !first.Expires.Equal(t0.Add(15*time.Minute)) ||
		!first.Used.IsZero() || first.MemberID != m.ID || first.ID == second.ID {
		t.Fatalf("created %+v", first)
	}
	use := func(id int64, at time.Time) (*store.LoginLink, error) {
		var l *store.LoginLink
		err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			l, err = tx.UseLoginLink(id, at)
			return err
		})
		return l, err
	}
	l, err := use(first.ID, t0.Add(14*time.Minute))
	if err != nil || !l.Used.Equal(t0.Add(14*time.Minute)) || l.MemberID != m.ID {
		t.Fatalf("first use: %+v, %v", l, err)
	}
	if _, err := use(first.ID, t0.Add(14*time.Minute)); !errors.Is(err, store.ErrLinkUsed) {
		t.Errorf("second use: %v, want ErrLinkUsed", err)
	}
	// The instant of expiry is too late.
	if _, err := use(second.ID, t0.Add(15*time.Minute)); !errors.Is(err, store.ErrLinkExpired) {
		t.Errorf("use at expiry: %v, want ErrLinkExpired", err)
	}
	if _, err := use(second.ID+100, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown link: %v, want ErrNotFound", err)
	}
	got, err := s.LoginLink(ctx, second.ID)
	if err != nil || !got.Used.IsZero() {
		t.Errorf("the expired link after the refused use: %+v, %v; want unused", got, err)
	}

	// The count covers the member's links since an instant, used or not.
	c.Add(30 * time.Minute)
	var n, recent int
	err = s.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.CreateLoginLink(m.ID, "jana@obec.example", c.Now().Add(15*time.Minute)); err != nil {
			return err
		}
		var err error
		if n, err = tx.CountLoginLinks(m.ID, c.Now().Add(-time.Hour)); err != nil {
			return err
		}
		recent, err = tx.CountLoginLinks(m.ID, c.Now().Add(-time.Minute))
		return err
	})
	if err != nil || n != 3 || recent != 1 {
		t.Errorf("counts = %d in the hour, %d in the minute, %v; want 3 and 1", n, recent, err)
	}
	// A link that expires before it is made is refused by the schema.
	err = s.Write(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateLoginLink(m.ID, "jana@obec.example", c.Now().Add(-time.Second))
		return err
	})
	if !errors.Is(err, store.ErrInvalid) {
		t.Errorf("link expiring in the past: %v, want ErrInvalid", err)
	}
}

func TestSessions(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	m := mustMember(t, s, "", "Jana Nováková", "jana@obec.example")
	open := func() string {
		var cookie string
		err := s.Write(ctx, func(tx *store.Tx) error {
			var err error
			cookie, err = tx.CreateSession(m.ID, t0, t0.Add(30*24*time.Hour))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return cookie
	}
	cookie, other := open(), open()
	if len(cookie) != 43 || cookie == other {
		t.Fatalf("cookies %q and %q: want two different 43-character values", cookie, other)
	}
	got, ses, err := s.SessionMember(ctx, cookie, t0.Add(time.Hour))
	if err != nil || got.ID != m.ID || got.Emails[0] != "jana@obec.example" || ses.MemberID != m.ID ||
		!ses.Created.Equal(t0) || !ses.Expires.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("SessionMember = %+v, %+v, %v", got, ses, err)
	}
	// The database holds the hash, never the cookie's value.
	sum := sha256.Sum256([]byte(cookie))
	var stored []byte
	if err := s.Write(ctx, func(tx *store.Tx) error {
		return tx.QueryRowContext(ctx, `SELECT id_hash FROM web_sessions WHERE member_id = ? AND id_hash = ?`,
			m.ID, sum[:]).Scan(&stored)
	}); err != nil {
		t.Fatalf("no row with the cookie's SHA-256: %v", err)
	}
	if _, _, err := s.SessionMember(ctx, cookie+"x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("altered cookie: %v, want ErrNotFound", err)
	}
	if _, _, err := s.SessionMember(ctx, cookie, t0.Add(30*24*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired session: %v, want ErrNotFound", err)
	}
	if err := s.EndSession(ctx, cookie); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionMember(ctx, cookie, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ended session: %v, want ErrNotFound", err)
	}
	if err := s.EndSession(ctx, cookie); err != nil {
		t.Errorf("ending it twice: %v", err)
	}
	if _, _, err := s.SessionMember(ctx, other, t0); err != nil {
		t.Errorf("the other session ended too: %v", err)
	}
}

func TestPruneWebKeepsWhatTheLimitCounts(t *testing.T) {
	ctx := context.Background()
	s, c := MustOpenStore(t)
	m := mustMember(t, s, "", "Jana Nováková", "jana@obec.example")
	var old, recent *store.LoginLink
	var short, long string
	err := s.Write(ctx, func(tx *store.Tx) error {
		var err error
		if old, err = tx.CreateLoginLink(m.ID, "jana@obec.example", t0.Add(15*time.Minute)); err != nil {
			return err
		}
		if short, err = tx.CreateSession(m.ID, t0, t0.Add(time.Hour)); err != nil {
			return err
		}
		long, err = tx.CreateSession(m.ID, t0, t0.Add(48*time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c.Add(23 * time.Hour)
	err = s.Write(ctx, func(tx *store.Tx) error {
		var err error
		recent, err = tx.CreateLoginLink(m.ID, "jana@obec.example", c.Now().Add(15*time.Minute))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	prune := func(at time.Time) {
		t.Helper()
		if err := s.Write(ctx, func(tx *store.Tx) error { return tx.PruneWeb(at) }); err != nil {
			t.Fatal(err)
		}
	}
	// After 23 h: the expired session goes, the expired link stays (it is
	// less than a day old).
	prune(c.Now())
	if _, err := s.LoginLink(ctx, old.ID); err != nil {
		t.Errorf("a link of 23 hours ago was pruned: %v", err)
	}
	if _, _, err := s.SessionMember(ctx, long, c.Now()); err != nil {
		t.Errorf("a live session was pruned: %v", err)
	}
	if n := countRows(t, s, `SELECT count(*) FROM web_sessions WHERE expires_at <= ?`, c.Now().Unix()); n != 0 {
		t.Errorf("%d expired sessions kept", n)
	}
	// Deleted, not just expired: asked as of its creation, it is gone.
	if _, _, err := s.SessionMember(ctx, short, t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the expired session after pruning: %v, want deleted", err)
	}
	// A day after it was made, the old link goes; the recent one stays.
	prune(t0.Add(store.LoginLinkKeep + time.Second))
	if _, err := s.LoginLink(ctx, old.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a link older than LoginLinkKeep: %v, want pruned", err)
	}
	if _, err := s.LoginLink(ctx, recent.ID); err != nil {
		t.Errorf("a recent link was pruned: %v", err)
	}
	// Once every link is pruned, a new one still gets a new id: a mailed
	// token names an id, and must never name someone else's later link.
	prune(c.Now().Add(store.LoginLinkKeep + time.Second))
	err = s.Write(ctx, func(tx *store.Tx) error {
		l, err := tx.CreateLoginLink(m.ID, "jana@obec.example", c.Now().Add(48*time.Hour))
		if err == nil && l.ID <= recent.ID {
			t.Errorf("after pruning every link, a new one got id %d again (last was %d)", l.ID, recent.ID)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// countRows runs a count query on the writer.
func countRows(t *testing.T, s *store.Store, q string, args ...any) int {
	t.Helper()
	var n int
	if err := s.Write(context.Background(), func(tx *store.Tx) error {
		return tx.QueryRowContext(context.Background(), q, args...).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestMembershipsAndMemberGroups(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	b := mustGroup(t, s, "b-skupina")
	a := mustGroup(t, s, "a-skupina")
	mustGroup(t, s, "c-cizi")
	m := mustMember(t, s, "", "Jana Nováková", "jana@obec.example")
	if err := s.SetMembership(ctx, b.ID, m.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMembership(ctx, a.ID, m.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	groups, err := s.MemberGroups(ctx, m.ID)
	if err != nil || len(groups) != 2 || groups[0].ID != a.ID || groups[1].ID != b.ID || groups[0].Name == "" {
		t.Fatalf("MemberGroups = %+v, %v; want a-skupina, b-skupina", groups, err)
	}
	ms, err := s.Memberships(ctx, m.ID)
	if err != nil || len(ms) != 2 || ms[0].GroupID != a.ID || ms[0].Role != store.RoleMember ||
		ms[1].GroupID != b.ID || ms[1].Role != store.RoleCoordinator || ms[1].MemberID != m.ID || !ms[1].JoinedAt.Equal(t0) {
		t.Fatalf("Memberships = %+v, %v", ms, err)
	}
	none, err := s.Memberships(ctx, m.ID+1)
	if err != nil || len(none) != 0 {
		t.Errorf("a member of nothing: %+v, %v", none, err)
	}
}
