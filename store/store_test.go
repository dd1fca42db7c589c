package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"coordbot/store"
)

// clock is a settable time source for the store's stamps.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// MustOpenStore opens a fresh database file in a temporary directory.
func MustOpenStore(tb testing.TB) (*store.Store, *clock) {
	tb.Helper()
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	c := &clock{t: t0}
	s.Now = c.Now
	return s, c
}

func mustGroup(tb testing.TB, s *store.Store, slug string) *store.Group {
	tb.Helper()
	g := &store.Group{Slug: slug, Name: "Pracovní skupina protidrogové politiky",
		Reminders: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour}, AgendaCall: 14 * 24 * time.Hour}
	if err := s.UpsertGroup(context.Background(), g); err != nil {
		tb.Fatal(err)
	}
	return g
}

func mustMember(tb testing.TB, s *store.Store, discordID, name string, emails ...string) *store.Member {
	tb.Helper()
	m := &store.Member{DiscordUserID: discordID, DisplayName: name, Organisation: "Most k naději", Emails: emails}
	if err := s.CreateMember(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func mustMeeting(tb testing.TB, s *store.Store, g *store.Group, start time.Time) *store.Meeting {
	tb.Helper()
	m := &store.Meeting{GroupID: g.ID, Title: "Jednání pracovní skupiny", Start: start, Place: "Krajský úřad, zasedací místnost 2"}
	if err := s.CreateMeeting(context.Background(), m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "coordbot.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("database mode = %v, want 0600", mode)
	}
	v, err := s.Version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if v != store.SchemaVersion() || v < 1 {
		t.Errorf("version = %d, want %d", v, store.SchemaVersion())
	}
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	s, _ := MustOpenStore(t)
	n, err := s.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("second migrate applied %d migrations, want 0", n)
	}
}

func TestUpgradeFromFirstSchemaKeepsData(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := store.OpenNoMigrate(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.MigrateTo(ctx, 1); err != nil || n != 1 {
		t.Fatalf("migrate to 1: n=%d err=%v", n, err)
	}
	// Rows written by the first release, with its SQL (today's methods
	// know columns that schema 1 does not have).
	for _, q := range []string{
		`INSERT INTO groups (id, slug, name, created_at, updated_at) VALUES (1, 'pracovni-skupina', 'Pracovní skupina', 0, 0)`,
		`INSERT INTO meetings (id, group_id, title, starts_at, time_zone, created_at, updated_at)
		 VALUES (1, 1, 'Jednání pracovní skupiny', 1805792400, 'Europe/Prague', 0, 0)`,
		`INSERT INTO members (id, discord_user_id, display_name, created_at, updated_at) VALUES (1, '42', 'Jana', 0, 0)`,
		`INSERT INTO rsvps (meeting_id, member_id, answer, updated_at) VALUES (1, 1, 'yes', 0)`,
	} {
		if err := s.ExecForTest(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	m := &store.Meeting{ID: 1, Title: "Jednání pracovní skupiny", Start: time.Unix(1805792400, 0).UTC()}

	s, err = store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	defer s.Close()
	got, err := s.Meeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != m.Title || !got.Start.Equal(m.Start) {
		t.Errorf("after upgrade got %+v, want %+v", got, m)
	}
	if v, _ := s.Version(ctx); v != store.SchemaVersion() {
		t.Errorf("version after upgrade = %d, want %d", v, store.SchemaVersion())
	}
	g, err := s.GroupBySlug(ctx, "pracovni-skupina")
	if err != nil || g.MemberRoleID != "" || g.TimeZone != "Europe/Prague" || len(g.Reminders) != 3 {
		t.Errorf("group after upgrade: %+v, %v", g, err)
	}
	if r, err := s.RSVP(ctx, 1, 1); err != nil || r.Answer != store.AnswerYes {
		t.Errorf("rsvp after upgrade: %+v, %v", r, err)
	}
	g.MemberRoleID = "777"
	if err := s.UpsertGroup(ctx, g); err != nil {
		t.Errorf("new column not writable after upgrade: %v", err)
	}
}

func TestNewerDatabaseIsRefused(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserVersionForTest(ctx, store.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = store.Open(ctx, path, store.Options{})
	if !errors.Is(err, store.ErrSchemaTooNew) {
		t.Fatalf("open newer database: err = %v, want ErrSchemaTooNew", err)
	}
}

func TestGroupUpsertRoundTrip(t *testing.T) {
	s, c := MustOpenStore(t)
	ctx := context.Background()
	g := &store.Group{Slug: "mistni-koordinatori", Name: "Místní koordinátoři", DiscordChannelID: "111",
		CoordinatorRoleID: "222", TimeZone: "Europe/Prague", Locale: "en",
		Reminders: []time.Duration{24 * time.Hour, 30 * time.Minute}, AgendaCall: 10 * 24 * time.Hour,
		AgendaDeadline: 2 * 24 * time.Hour, Nudge: 3 * 24 * time.Hour, MinutesNudge: 7 * 24 * time.Hour}
	if err := s.UpsertGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := s.GroupBySlug(ctx, g.Slug)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, g) {
		t.Errorf("got %+v\nwant %+v", got, g)
	}
	byChan, err := s.GroupByChannel(ctx, "111")
	if err != nil || byChan.ID != g.ID {
		t.Errorf("GroupByChannel = %v, %v", byChan, err)
	}

	c.Add(time.Hour)
	id := g.ID
	same := *g
	if err := s.UpsertGroup(ctx, &same); err != nil {
		t.Fatal(err)
	}
	if same.ID != id || !same.UpdatedAt.Equal(t0) {
		t.Errorf("unchanged upsert: id %d updated %v, want %d and %v", same.ID, same.UpdatedAt, id, t0)
	}
	g.Name = "Metodická setkání"
	if err := s.UpsertGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if g.ID != id || !g.CreatedAt.Equal(t0) || !g.UpdatedAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("upsert changed identity: id %d→%d created %v updated %v", id, g.ID, g.CreatedAt, g.UpdatedAt)
	}
	if _, err := s.GroupBySlug(ctx, "nic"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown slug: err = %v, want ErrNotFound", err)
	}
	bad := &store.Group{Slug: "x", Name: "X", TimeZone: "Europe/Prag"}
	if err := s.UpsertGroup(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad zone: err = %v, want ErrInvalid", err)
	}
	bad = &store.Group{Slug: "y", Name: "Y", Locale: "de"}
	if err := s.UpsertGroup(ctx, bad); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad locale: err = %v, want ErrInvalid", err)
	}
}

func TestMemberRoundTripAndUniqueness(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMember(t, s, "1001", "Jana Nováková", "Jana.Novakova@Kr-Ustecky.cz", "jana@example.cz", "jana@example.cz")
	if want := []string{"jana.novakova@kr-ustecky.cz", "jana@example.cz"}; !reflect.DeepEqual(m.Emails, want) {
		t.Errorf("emails normalised to %q", m.Emails)
	}
	got, err := s.MemberByEmail(ctx, "JANA.NOVAKOVA@kr-ustecky.cz")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("got %+v, want %+v", got, m)
	}
	if got, err := s.MemberByDiscordID(ctx, "1001"); err != nil || got.ID != m.ID {
		t.Errorf("MemberByDiscordID = %v, %v", got, err)
	}
	// A person without Discord: NULL discord ids do not collide.
	mustMember(t, s, "", "Petr Svoboda", "petr@obec.cz")
	mustMember(t, s, "", "Eva Malá")

	if err := s.CreateMember(ctx, &store.Member{DiscordUserID: "1001", DisplayName: "Dvojník"}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate discord id: err = %v, want ErrConflict", err)
	}
	if err := s.CreateMember(ctx, &store.Member{DisplayName: "Jiný", Emails: []string{"petr@obec.cz"}}); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate e-mail: err = %v, want ErrConflict", err)
	}
	// The failed insert left no half-written member behind.
	if _, err := s.MemberByDiscordID(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("empty discord id lookup: %v", err)
	}

	if err := s.SetMembership(ctx, g.ID, m.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMembership(ctx, g.ID, m.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	ms, err := s.MembershipOf(ctx, g.ID, m.ID)
	if err != nil || ms.Role != store.RoleCoordinator {
		t.Errorf("membership = %+v, %v; want coordinator", ms, err)
	}
	if err := s.SetMembership(ctx, g.ID, m.ID, "boss"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad role: err = %v, want ErrInvalid", err)
	}
	members, err := s.GroupMembers(ctx, g.ID)
	if err != nil || len(members) != 1 || members[0].Role != store.RoleCoordinator || len(members[0].Emails) != 2 {
		t.Errorf("GroupMembers = %+v, %v", members, err)
	}
	m.Organisation = "Krajský úřad Ústeckého kraje"
	m.Emails = []string{"jana@example.cz"}
	if err := s.UpdateMember(ctx, m); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.IsKnownSender(ctx, "jana.novakova@kr-ustecky.cz"); ok {
		t.Error("removed address still known")
	}
	if ok, _ := s.IsKnownSender(ctx, "JANA@example.cz"); !ok {
		t.Error("kept address not known")
	}
	if err := s.RemoveMembership(ctx, g.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.MembershipOf(ctx, g.ID, m.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after removal: %v", err)
	}
}

func TestMeetingRoundTripAndCancel(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	coord := mustMember(t, s, "1", "Koordinátorka")
	call := 10 * 24 * time.Hour
	m := &store.Meeting{GroupID: g.ID, Title: "Jednání", Start: time.Date(2027, 3, 23, 9, 0, 0, 0, time.UTC),
		Duration: 90 * time.Minute, OnlineURL: "https://meet.example/abc", CoordinatorID: coord.ID,
		Reminders: []time.Duration{}, AgendaCall: &call}
	if err := s.CreateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	if m.TimeZone != "Europe/Prague" || m.Status != store.MeetingScheduled {
		t.Errorf("defaults: zone %q status %q", m.TimeZone, m.Status)
	}
	got, err := s.Meeting(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, m) {
		t.Errorf("got %+v\nwant %+v", got, m)
	}
	local, _ := got.LocalStart()
	if local.Hour() != 10 {
		t.Errorf("local start hour = %d, want 10 (CET)", local.Hour())
	}

	m.Title = "Jednání (změna místa)"
	m.Place = "Velká zasedačka"
	m.Reminders = nil
	if err := s.UpdateMeeting(ctx, m); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Meeting(ctx, m.ID)
	if got.Place != "Velká zasedačka" || got.Reminders != nil {
		t.Errorf("after update: %+v", got)
	}

	if err := s.CreateMeeting(ctx, &store.Meeting{GroupID: g.ID, Title: "  ", Start: m.Start}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty title: err = %v", err)
	}
	if err := s.CreateMeeting(ctx, &store.Meeting{GroupID: 999, Title: "x", Start: m.Start, TimeZone: "UTC"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown group: err = %v, want ErrInvalid", err)
	}

	// A pending reminder is cancelled with the meeting; a sent one is kept.
	for i, key := range []string{"r1", "r2"} {
		n := &store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0.Add(time.Duration(i) * time.Hour),
			ChannelID: "111", IdempotencyKey: key}
		if err := s.EnqueueNotification(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	claimed, _ := s.ClaimDueNotifications(ctx, t0, time.Minute, 1)
	if len(claimed) != 1 {
		t.Fatalf("claimed %d", len(claimed))
	}
	if err := s.MarkNotificationSent(ctx, claimed[0].ID, "m1", t0); err != nil {
		t.Fatal(err)
	}
	cm, err := s.CancelMeeting(ctx, m.ID)
	if err != nil || cm.Status != store.MeetingCancelled {
		t.Fatalf("cancel: %+v %v", cm, err)
	}
	ns, _ := s.Notifications(ctx, store.NotificationFilter{MeetingID: m.ID})
	states := []string{ns[0].State, ns[1].State}
	if !reflect.DeepEqual(states, []string{store.NotificationSent, store.NotificationCancelled}) {
		t.Errorf("states after cancel = %v", states)
	}
	if _, err := s.CancelMeeting(ctx, m.ID); err != nil {
		t.Errorf("cancel twice: %v", err)
	}
	if _, err := s.CancelMeeting(ctx, 4242); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("cancel unknown: %v", err)
	}

	m2 := mustMeeting(t, s, g, time.Date(2027, 6, 23, 8, 0, 0, 0, time.UTC))
	list, err := s.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, Status: []string{store.MeetingScheduled}})
	if err != nil || len(list) != 1 || list[0].ID != m2.ID {
		t.Errorf("scheduled meetings = %v, %v", list, err)
	}
	list, _ = s.Meetings(ctx, store.MeetingFilter{From: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2027, 4, 1, 0, 0, 0, 0, time.UTC)})
	if len(list) != 1 || list[0].ID != m.ID {
		t.Errorf("meetings in Q1 = %v", list)
	}
}

func TestAgendaPositionsAndLimits(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	author := mustMember(t, s, "7", "Autor")
	m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
	titles := []string{"Financování služeb", "Primární prevence", "Situace ve věznicích"}
	var ids []int64
	for i, title := range titles {
		it := &store.AgendaItem{MeetingID: m.ID, AuthorID: author.ID, Title: title, Details: "Podrobnosti"}
		if err := s.AddAgendaItem(ctx, it); err != nil {
			t.Fatal(err)
		}
		if it.Position != i+1 || it.Status != store.AgendaProposed {
			t.Errorf("item %d: position %d status %s", i, it.Position, it.Status)
		}
		ids = append(ids, it.ID)
	}
	got, err := s.AgendaItem(ctx, ids[0])
	if err != nil || got.Title != titles[0] || got.AuthorID != author.ID {
		t.Errorf("AgendaItem = %+v, %v", got, err)
	}
	if err := s.SetAgendaStatus(ctx, ids[1], store.AgendaAccepted); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAgendaStatus(ctx, ids[1], "maybe"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad status: %v", err)
	}
	if err := s.ReorderAgenda(ctx, m.ID, []int64{ids[2], ids[0]}); err != nil {
		t.Fatal(err)
	}
	items, _ := s.Agenda(ctx, m.ID)
	var order []string
	for _, it := range items {
		order = append(order, fmt.Sprintf("%d:%s", it.Position, it.Title))
	}
	want := []string{"1:Situace ve věznicích", "2:Financování služeb", "3:Primární prevence"}
	if !reflect.DeepEqual(order, want) {
		t.Errorf("order = %v, want %v", order, want)
	}
	if err := s.ReorderAgenda(ctx, m.ID, []int64{ids[0], ids[0]}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("duplicate id in reorder: %v", err)
	}
	long := make([]rune, store.MaxAgendaDetails+1)
	for i := range long {
		long[i] = 'č'
	}
	for name, it := range map[string]*store.AgendaItem{
		"empty title":  {MeetingID: m.ID, Title: "   "},
		"long details": {MeetingID: m.ID, Title: "x", Details: string(long)},
	} {
		if err := s.AddAgendaItem(ctx, it); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
	}
	// Exactly the limit in Czech letters (2 bytes each) is accepted.
	if err := s.AddAgendaItem(ctx, &store.AgendaItem{MeetingID: m.ID, Title: "x", Details: string(long[1:])}); err != nil {
		t.Errorf("details at the limit: %v", err)
	}
}

func TestRSVPOneCurrentAnswerWithHistory(t *testing.T) {
	s, c := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
	a := mustMember(t, s, "1", "A")
	b := mustMember(t, s, "2", "B")
	for _, r := range []*store.RSVP{
		{MeetingID: m.ID, MemberID: a.ID, Answer: store.AnswerMaybe},
		{MeetingID: m.ID, MemberID: b.ID, Answer: store.AnswerNo},
		{MeetingID: m.ID, MemberID: a.ID, Answer: store.AnswerYes, Substitute: "Mgr. Petr Dvořák", Note: "za odbor školství"},
	} {
		c.Add(time.Minute)
		if err := s.SetRSVP(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RSVP(ctx, m.ID, a.ID)
	if err != nil || got.Answer != store.AnswerYes || got.Substitute != "Mgr. Petr Dvořák" || !got.UpdatedAt.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("current rsvp = %+v, %v", got, err)
	}
	all, _ := s.RSVPs(ctx, m.ID)
	if len(all) != 2 {
		t.Errorf("current answers = %d, want 2 (one per member)", len(all))
	}
	hist, _ := s.RSVPHistory(ctx, m.ID, a.ID)
	if len(hist) != 2 || hist[0].Answer != store.AnswerMaybe || hist[1].Answer != store.AnswerYes {
		t.Errorf("history = %+v", hist)
	}
	counts, err := s.CountRSVPs(ctx, m.ID)
	if err != nil || counts != (store.RSVPCounts{Yes: 1, No: 1, Substitutes: 1}) {
		t.Errorf("counts = %+v, %v", counts, err)
	}
	if err := s.SetRSVP(ctx, &store.RSVP{MeetingID: m.ID, MemberID: a.ID, Answer: "perhaps"}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("bad answer: %v", err)
	}
	if hist, _ := s.RSVPHistory(ctx, m.ID, a.ID); len(hist) != 2 {
		t.Errorf("a refused answer reached the history: %d rows", len(hist))
	}
	if err := s.SetRSVP(ctx, &store.RSVP{MeetingID: 999, MemberID: a.ID, Answer: store.AnswerYes}); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("unknown meeting: %v", err)
	}
}

func TestOutboxClaimLeaseRetryAndKeys(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	m := mustMeeting(t, s, g, t0.Add(30*24*time.Hour))
	member := mustMember(t, s, "5", "Člen")
	ns := []*store.Notification{
		{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0.Add(2 * time.Hour), ChannelID: "111", IdempotencyKey: "m1:reminder:1h"},
		{GroupID: g.ID, MeetingID: m.ID, Kind: "agenda_call", Due: t0.Add(time.Hour), ChannelID: "111", IdempotencyKey: "m1:agenda_call"},
		{GroupID: g.ID, MeetingID: m.ID, Kind: "nudge", Due: t0.Add(3 * time.Hour), MemberID: member.ID, IdempotencyKey: "m1:nudge:5"},
	}
	added, err := s.EnqueueNotifications(ctx, ns)
	if err != nil || added != 3 {
		t.Fatalf("enqueue: %d, %v", added, err)
	}
	again := []*store.Notification{{GroupID: g.ID, MeetingID: m.ID, Kind: "reminder", Due: t0, ChannelID: "111", IdempotencyKey: "m1:reminder:1h"}}
	if added, err := s.EnqueueNotifications(ctx, again); err != nil || added != 0 {
		t.Errorf("re-enqueue same key: added %d, %v; want 0", added, err)
	}
	if err := s.EnqueueNotification(ctx, again[0]); !errors.Is(err, store.ErrConflict) {
		t.Errorf("duplicate key: %v, want ErrConflict", err)
	}
	both := &store.Notification{GroupID: g.ID, Kind: "x", Due: t0, ChannelID: "1", MemberID: member.ID, IdempotencyKey: "both"}
	if err := s.EnqueueNotification(ctx, both); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("two targets: %v, want ErrInvalid", err)
	}

	next, ok, err := s.NextNotificationDue(ctx)
	if err != nil || !ok || !next.Equal(t0.Add(time.Hour)) {
		t.Errorf("next due = %v %v %v", next, ok, err)
	}
	if got, _ := s.ClaimDueNotifications(ctx, t0.Add(59*time.Minute), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed %d before due", len(got))
	}
	now := t0.Add(2 * time.Hour)
	got, err := s.ClaimDueNotifications(ctx, now, time.Minute, 10)
	if err != nil || len(got) != 2 || got[0].Kind != "agenda_call" || got[1].Kind != "reminder" {
		t.Fatalf("claim = %+v, %v", got, err)
	}
	if got[0].State != store.NotificationClaimed || got[0].Attempts != 1 {
		t.Errorf("claimed row: %+v", got[0])
	}
	// Claimed rows are not handed out twice while the lease holds.
	if again, _ := s.ClaimDueNotifications(ctx, now.Add(30*time.Second), time.Minute, 10); len(again) != 0 {
		t.Errorf("claimed again within lease: %d", len(again))
	}
	if err := s.MarkNotificationSent(ctx, got[0].ID, "msg-1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkNotificationSent(ctx, got[0].ID, "msg-1", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("marking sent twice: %v", err)
	}
	// The reminder's sender "crashed": after the lease it is claimed again.
	re, _ := s.ClaimDueNotifications(ctx, now.Add(time.Minute), time.Minute, 10)
	if len(re) != 1 || re[0].ID != got[1].ID || re[0].Attempts != 2 {
		t.Fatalf("reclaim after lease = %+v", re)
	}
	if err := s.RetryNotification(ctx, re[0].ID, "discord: 500", now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ClaimDueNotifications(ctx, now.Add(9*time.Minute), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed before retry_at: %d", len(got))
	}
	next, _, _ = s.NextNotificationDue(ctx)
	if !next.Equal(now.Add(10 * time.Minute)) {
		t.Errorf("next due = %v, want the retry at %v", next, now.Add(10*time.Minute))
	}
	re, _ = s.ClaimDueNotifications(ctx, now.Add(10*time.Minute), time.Minute, 10)
	if len(re) != 1 || re[0].Attempts != 3 || re[0].LastError != "discord: 500" {
		t.Fatalf("retry claim = %+v", re)
	}
	if err := s.FailNotification(ctx, re[0].ID, "gave up"); err != nil {
		t.Fatal(err)
	}
	dm, _ := s.ClaimDueNotifications(ctx, t0.Add(4*time.Hour), time.Minute, 10)
	if len(dm) != 1 || dm[0].MemberID != member.ID || dm[0].ChannelID != "" {
		t.Fatalf("dm claim = %+v", dm)
	}
	if err := s.SkipNotification(ctx, dm[0].ID, "meeting started"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.NextNotificationDue(ctx); ok {
		t.Error("open notifications left")
	}
	all, _ := s.Notifications(ctx, store.NotificationFilter{})
	var states []string
	for _, n := range all {
		states = append(states, string(n.Kind)+"="+n.State)
	}
	want := []string{"agenda_call=sent", "reminder=failed", "nudge=skipped"}
	if !reflect.DeepEqual(states, want) {
		t.Errorf("final states %v, want %v", states, want)
	}
}

func TestConcurrentClaimsNeverShareARow(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "g")
	var ns []*store.Notification
	for i := 0; i < 200; i++ {
		ns = append(ns, &store.Notification{GroupID: g.ID, Kind: "k", Due: t0, ChannelID: "1", IdempotencyKey: fmt.Sprint("k", i)})
	}
	if _, err := s.EnqueueNotifications(ctx, ns); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				got, err := s.ClaimDueNotifications(ctx, t0, time.Hour, 7)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) == 0 {
					return
				}
				mu.Lock()
				for _, n := range got {
					seen[n.ID]++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(seen) != 200 {
		t.Errorf("claimed %d distinct rows, want 200", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d claimed %d times", id, n)
		}
	}
}

func rawMail(subject, body string) []byte {
	return []byte("From: Jana <jana@example.cz>\r\nSubject: " + subject + "\r\n\r\n" + body + "\r\n")
}

func archiveMsg(msgID, subject, body string, atts ...*store.Attachment) *store.ArchiveMessage {
	raw := rawMail(subject, body)
	sum := sha256.Sum256(raw)
	return &store.ArchiveMessage{MessageID: msgID, ContentHash: hex.EncodeToString(sum[:]), FromAddr: "Jana@Example.cz",
		FromName: "Jana Nováková", Subject: subject, BodyText: body, Raw: raw, Sent: t0, Attachments: atts,
		References: []string{"a@x", "b@x"}}
}

func TestArchiveRoundTripDedupAndSearch(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	g := mustGroup(t, s, "pracovni-skupina")
	meeting := mustMeeting(t, s, g, t0.Add(-24*time.Hour))
	docx := []byte("PK\x03\x04 not really a docx")
	m := archiveMsg("zapis-1@kr-ustecky.cz", "Zápis z jednání 23. 3. 2027",
		"Projednána situace ve věznicích a financování služeb.",
		&store.Attachment{Filename: "Zápis z jednání 2.11.2022.docx", MediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			Content: docx, SHA256: "abc", Text: "Primární prevence v Ústeckém kraji"})
	m.MeetingID, m.GroupID = meeting.ID, g.ID
	dup, err := s.AddArchiveMessage(ctx, m)
	if err != nil || dup {
		t.Fatalf("add: dup=%v err=%v", dup, err)
	}
	got, err := s.ArchiveMessageByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Raw) != string(m.Raw) || got.FromAddr != "jana@example.cz" || got.MeetingID != meeting.ID ||
		!reflect.DeepEqual(got.References, m.References) || got.State != store.ArchiveArchived || !got.Sent.Equal(t0) {
		t.Errorf("round trip: %+v", got)
	}
	if len(got.Attachments) != 1 || string(got.Attachments[0].Content) != string(docx) || got.Attachments[0].Size != int64(len(docx)) ||
		got.Attachments[0].Filename != "Zápis z jednání 2.11.2022.docx" {
		t.Errorf("attachment: %+v", got.Attachments)
	}

	// Same Message-ID, different bytes: a duplicate.
	d := archiveMsg("zapis-1@kr-ustecky.cz", "Fwd: zápis", "jiný text")
	if dup, err := s.AddArchiveMessage(ctx, d); err != nil || !dup || d.ID != m.ID {
		t.Errorf("same Message-ID: dup=%v id=%d err=%v", dup, d.ID, err)
	}
	// No Message-ID: recognised by content hash.
	n1 := archiveMsg("", "Zápis bez Message-ID", "Krajská hygienická stanice")
	if dup, err := s.AddArchiveMessage(ctx, n1); err != nil || dup {
		t.Fatalf("first without id: %v %v", dup, err)
	}
	n2 := archiveMsg("", "Zápis bez Message-ID", "Krajská hygienická stanice")
	if dup, _ := s.AddArchiveMessage(ctx, n2); !dup || n2.ID != n1.ID {
		t.Errorf("same bytes without Message-ID not recognised: dup=%v", dup)
	}
	q := archiveMsg("spam@x", "Výhra", "Klikněte zde")
	q.State, q.Reason = store.ArchiveQuarantined, "sender not allowed"
	if _, err := s.AddArchiveMessage(ctx, q); err != nil {
		t.Fatal(err)
	}
	// A re-delivered quarantined message reports where the first copy went.
	q2 := archiveMsg("spam@x", "Výhra", "jiné bajty")
	q2.State, q2.Reason = store.ArchiveQuarantined, "sender still not allowed"
	if dup, err := s.AddArchiveMessage(ctx, q2); err != nil || !dup || q2.State != store.ArchiveQuarantined || q2.Reason != "sender not allowed" {
		t.Errorf("quarantined duplicate: dup=%v state=%q reason=%q err=%v", dup, q2.State, q2.Reason, err)
	}
	lot := archiveMsg("lot@x", "Loterie", "Vyhrajte v loterie")
	lot.State, lot.Reason = store.ArchiveQuarantined, "sender not allowed"
	if _, err := s.AddArchiveMessage(ctx, lot); err != nil {
		t.Fatal(err)
	}
	// Once its sender is allowed, the quarantined message is released: the
	// archived copy replaces it and becomes searchable.
	q3 := archiveMsg("spam@x", "Výhra", "Klikněte zde")
	if dup, err := s.AddArchiveMessage(ctx, q3); err != nil || dup || q3.State != store.ArchiveArchived {
		t.Errorf("release: dup=%v state=%q err=%v", dup, q3.State, err)
	}
	if hits, _ := s.SearchArchive(ctx, store.SearchQuery{Text: "klikněte"}); len(hits) != 1 || hits[0].ID != q3.ID {
		t.Errorf("released message not searchable: %+v", hits)
	}
	if ref, _ := s.FindArchiveMessage(ctx, "spam@x", ""); ref == nil || ref.ID != q3.ID || ref.State != store.ArchiveArchived {
		t.Errorf("after release: %+v", ref)
	}
	if ref, err := s.FindArchiveMessage(ctx, "", n1.ContentHash); err != nil || ref == nil || ref.ID != n1.ID {
		t.Errorf("find by hash: %+v %v", ref, err)
	}
	if ref, err := s.FindArchiveMessage(ctx, "nothing@x", "nohash"); err != nil || ref != nil {
		t.Errorf("find missing: %+v %v", ref, err)
	}
	if id, err := s.ThreadMeeting(ctx, []string{"unknown@x", "zapis-1@kr-ustecky.cz"}); err != nil || id != meeting.ID {
		t.Errorf("thread meeting = %d, %v; want %d", id, err, meeting.ID)
	}
	noReason := archiveMsg("x@x", "x", "x")
	noReason.State = store.ArchiveQuarantined
	if _, err := s.AddArchiveMessage(ctx, noReason); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("quarantine without reason: %v", err)
	}

	for _, tc := range []struct {
		query string
		want  []int64
	}{
		{"veznicich", []int64{m.ID}},
		{"VĚZNICÍCH", []int64{m.ID}},
		{"primarni prevence", []int64{m.ID}},
		{"financování ZÁPIS", []int64{m.ID}},
		{"hygienicka", []int64{n1.ID}},
		{"zapis", []int64{m.ID, n1.ID}},
		{"jednání zápis", []int64{m.ID}},
		{"financ*", []int64{m.ID}},
		{`"unbalanced AND OR (`, nil},
		{"loterie", nil}, // quarantined mail is not searchable
	} {
		t.Run(tc.query, func(t *testing.T) {
			hits, err := s.SearchArchive(ctx, store.SearchQuery{Text: tc.query})
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, h := range hits {
				ids = append(ids, h.ID)
			}
			sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
			if !reflect.DeepEqual(ids, tc.want) {
				t.Errorf("ids = %v, want %v", ids, tc.want)
			}
		})
	}
	// Hits are listed newest first (by the Date header), whatever the
	// column the word is in: a message dated earlier but filed later
	// comes after the newer one.
	r := archiveMsg("financovani@x", "Financování služeb 2027", "Tabulka v příloze.")
	r.Sent = t0.Add(-48 * time.Hour)
	if _, err := s.AddArchiveMessage(ctx, r); err != nil {
		t.Fatal(err)
	}
	if hits, _ := s.SearchArchive(ctx, store.SearchQuery{Text: "financovani"}); len(hits) != 2 || hits[0].ID != m.ID || hits[1].ID != r.ID {
		t.Errorf("order: %+v, want message %d (newer) before %d", hits, m.ID, r.ID)
	}
	hits, _ := s.SearchArchive(ctx, store.SearchQuery{Text: "veznicich", HasAttachment: true, GroupID: g.ID, From: "jana@"})
	if len(hits) != 1 || hits[0].Snippet != "Projednána situace ve [věznicích] a financování služeb." ||
		!reflect.DeepEqual(hits[0].Attachments, []string{"Zápis z jednání 2.11.2022.docx"}) || hits[0].MeetingID != meeting.ID {
		t.Errorf("hit = %+v", hits)
	}
	if hits, _ := s.SearchArchive(ctx, store.SearchQuery{Text: "hygienicka", HasAttachment: true}); len(hits) != 0 {
		t.Errorf("has:attachment let through %d", len(hits))
	}
	if hits, _ := s.SearchArchive(ctx, store.SearchQuery{Text: "hygienicka", After: t0.Add(time.Hour)}); len(hits) != 0 {
		t.Errorf("after filter let through %d", len(hits))
	}
	if err := s.AssignMinutes(ctx, n1.ID, meeting.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ArchiveMessageByID(ctx, n1.ID); got.MeetingID != meeting.ID || got.GroupID != g.ID {
		t.Errorf("assign: meeting %d group %d", got.MeetingID, got.GroupID)
	}
	if err := s.AssignMinutes(ctx, n1.ID, 999); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("assign to unknown meeting: %v", err)
	}
}

func TestSettingsAndEnsureDiscordMember(t *testing.T) {
	s, _ := MustOpenStore(t)
	ctx := context.Background()
	if _, ok, err := s.Setting(ctx, "commands_hash"); ok || err != nil {
		t.Errorf("missing setting: ok=%v err=%v", ok, err)
	}
	for _, v := range []string{"abc", "def"} {
		if err := s.SetSetting(ctx, "commands_hash", v); err != nil {
			t.Fatal(err)
		}
	}
	if v, ok, err := s.Setting(ctx, "commands_hash"); v != "def" || !ok || err != nil {
		t.Errorf("setting = %q %v %v", v, ok, err)
	}
	m1, err := s.EnsureDiscordMember(ctx, "900", "Jana")
	if err != nil || m1.DisplayName != "Jana" {
		t.Fatalf("ensure: %+v %v", m1, err)
	}
	m2, err := s.EnsureDiscordMember(ctx, "900", "Jiné jméno")
	if err != nil || m2.ID != m1.ID || m2.DisplayName != "Jana" {
		t.Errorf("ensure again: %+v %v", m2, err)
	}
	if _, err := s.EnsureDiscordMember(ctx, "", "x"); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("empty id: %v", err)
	}
}
