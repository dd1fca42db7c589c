package meeting_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/i18n"
	"coordbot/internal/testutil"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"

	// The tests compute Prague wall-clock times wherever they run.
	_ "time/tzdata"
)

const day = 24 * time.Hour

var (
	// t0 is the tests' now: Monday 1 March 2027, 11:00 in Prague.
	t0 = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	// start is a meeting a month ahead: 31 March 2027, 10:00 in Prague.
	start = time.Date(2027, 3, 31, 8, 0, 0, 0, time.UTC)
)

const title = "Jednání pracovní skupiny"

// The actors, as the Discord door describes them.
var (
	coordinator = meeting.Actor{Via: store.ViaDiscord, DiscordUserID: "100", DiscordName: "Jana Nováková", DoorRole: store.RoleCoordinator}
	member      = meeting.Actor{Via: store.ViaDiscord, DiscordUserID: "200", DiscordName: "Petr Dvořák", DoorRole: store.RoleMember}
	member2     = meeting.Actor{Via: store.ViaDiscord, DiscordUserID: "210", DiscordName: "Lucie Černá", DoorRole: store.RoleMember}
	outsider    = meeting.Actor{Via: store.ViaDiscord, DiscordUserID: "300", DiscordName: "Host"}
)

// The core's Czech sentences the tests expect word for word.
const (
	czNotCoordinator = "Tohle může udělat jen koordinátor skupiny."
	czNotMember      = "Nejste členem této skupiny, proto nemůžete odpovídat ani navrhovat body programu."
	czBadOrder       = "Pořadí zadejte jako čísla bodů oddělená čárkou, např. 3, 1, 2."
	czNoContact      = "Zadejte e-mail nebo Discord účet člena."
	czCancelled      = "Schůzka „" + title + "“ už je zrušena."
)

// tables are the tables a use case writes; rows counts them.
var tables = []string{"members", "member_emails", "memberships", "meetings", "notifications",
	"rsvps", "rsvp_history", "agenda_items", "attendance"}

// env is the core over a fresh database file, on a driven clock.
type env struct {
	t     *testing.T
	store *store.Store
	core  *meeting.Service
	clock *testutil.Clock
	// group has a Discord channel and roles; quiet has neither.
	group, quiet *store.Group
	// raw reads the same file, to count rows behind the store's back.
	raw *sql.DB
	// changed counts the calls of the core's Changed hook.
	changed int
}

// migrated is a database file with every migration applied, made once:
// migrating costs most of a test's time under -race, copying a file
// almost nothing.
var migrated string

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "coordbot-meeting-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	migrated = filepath.Join(dir, "migrated.db")
	s, err := store.Open(context.Background(), migrated, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	b, err := os.ReadFile(migrated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, store: s, clock: testutil.NewClock(t0)}
	s.Now = e.clock.Now
	e.group = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky",
		DiscordChannelID: "5001", CoordinatorRoleID: "7001", MemberRoleID: "7002",
		Reminders: []time.Duration{7 * day, day, time.Hour}, AgendaCall: 14 * day, AgendaDeadline: 3 * day,
		Nudge: 3 * day, MinutesNudge: 7 * day}
	e.quiet = &store.Group{Slug: "kulaty-stul", Name: "Kulatý stůl",
		Reminders: []time.Duration{day}, AgendaCall: 14 * day, AgendaDeadline: 3 * day}
	for _, g := range []*store.Group{e.group, e.quiet} {
		if err := s.UpsertGroup(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	// query_only: the counter must not be able to change what it counts.
	e.raw, err = sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.raw.Close() })
	e.core = meeting.New(s)
	e.core.Now = e.clock.Now
	e.core.Changed = func() { e.changed++ }
	return e
}

func (e *env) ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	e.t.Cleanup(cancel)
	return c
}

// rows counts the rows of every table the use cases write.
func (e *env) rows() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, tb := range tables {
		var n int
		if err := e.raw.QueryRow("SELECT count(*) FROM " + tb).Scan(&n); err != nil {
			e.t.Fatalf("count %s: %v", tb, err)
		}
		out[tb] = n
	}
	return out
}

// unchanged fails unless every table has the row count of before.
func (e *env) unchanged(t *testing.T, before map[string]int) {
	t.Helper()
	after := e.rows()
	for _, tb := range tables {
		if after[tb] != before[tb] {
			t.Errorf("%s: %d rows, want %d: a refusal wrote something", tb, after[tb], before[tb])
		}
	}
}

// create plans a meeting of the group at when, as its coordinator.
func (e *env) create(when time.Time) *store.Meeting {
	e.t.Helper()
	res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: title, Start: when, Place: "Krajský úřad"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Meeting
}

// notes lists the meeting's outbox rows.
func (e *env) notes(meetingID int64) []*store.Notification {
	e.t.Helper()
	ns, err := e.store.Notifications(e.ctx(), store.NotificationFilter{MeetingID: meetingID})
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

// count counts the meeting's rows of kind in state ("" for any).
func (e *env) count(meetingID int64, kind outbox.Kind, state string) int {
	e.t.Helper()
	n := 0
	for _, r := range e.notes(meetingID) {
		if r.Kind == kind && (state == "" || r.State == state) {
			n++
		}
	}
	return n
}

// plannedKeys returns the keys of the meeting's timeline rows in state.
func (e *env) plannedKeys(meetingID int64, state string) []string {
	e.t.Helper()
	var keys []string
	for _, r := range e.notes(meetingID) {
		if outbox.Planned(r.Kind) && r.State == state {
			keys = append(keys, r.IdempotencyKey)
		}
	}
	slices.Sort(keys)
	return keys
}

// timelineKeys returns the keys outbox.Timeline plans for m now.
func (e *env) timelineKeys(m *store.Meeting) []string {
	e.t.Helper()
	tl, err := outbox.Timeline(e.group, m, e.clock.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	var keys []string
	for _, n := range tl {
		keys = append(keys, n.IdempotencyKey)
	}
	slices.Sort(keys)
	return keys
}

// deliver claims every row due at at and marks it sent, as the scheduler
// does after a successful delivery.
func (e *env) deliver(at time.Time) int {
	e.t.Helper()
	ns, err := e.store.ClaimDueNotifications(e.ctx(), at, time.Minute, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range ns {
		if err := e.store.MarkNotificationSent(e.ctx(), n.ID, "msg", at); err != nil {
			e.t.Fatal(err)
		}
	}
	return len(ns)
}

// memberID returns the stored id of a Discord actor.
func (e *env) memberID(a meeting.Actor) int64 {
	e.t.Helper()
	m, err := e.store.MemberByDiscordID(e.ctx(), a.DiscordUserID)
	if err != nil {
		e.t.Fatalf("member %s: %v", a.DiscordUserID, err)
	}
	return m.ID
}

// role returns the member's role in g, "" when not in it.
func (e *env) role(g *store.Group, memberID int64) string {
	e.t.Helper()
	ms, err := e.store.MembershipOf(e.ctx(), g.ID, memberID)
	if errors.Is(err, store.ErrNotFound) {
		return ""
	}
	if err != nil {
		e.t.Fatal(err)
	}
	return ms.Role
}

// emailMember registers an e-mail-only member of the group.
func (e *env) emailMember(name, email string) int64 {
	e.t.Helper()
	res, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID, meeting.MemberInput{Name: name, Emails: []string{email}})
	if err != nil {
		e.t.Fatal(err)
	}
	return res.Member.ID
}

// refused fails unless err is a refusal whose Czech sentence is want.
func refused(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted, want the refusal %q", want)
	}
	var r *meeting.Refusal
	if !errors.As(err, &r) {
		t.Fatalf("error %v is not a refusal, want %q", err, want)
	}
	if got := r.Message(i18n.Czech); got != want {
		t.Errorf("refusal %q, want %q", got, want)
	}
}

func prague(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestCreate(t *testing.T) {
	t.Parallel()
	t.Run("coordinator's meeting gets its timeline, one announcement and one event sync", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: "  " + title + " ", Start: start})
		if err != nil {
			t.Fatal(err)
		}
		m, err := e.store.Meeting(e.ctx(), res.Meeting.ID)
		if err != nil {
			t.Fatalf("meeting not stored: %v", err)
		}
		if m.Title != title || !m.Start.Equal(start) || m.Status != store.MeetingScheduled ||
			m.Duration != meeting.DefaultDuration || m.TimeZone != "Europe/Prague" {
			t.Errorf("stored %+v", m)
		}
		if m.CoordinatorID != e.memberID(coordinator) || e.role(e.group, m.CoordinatorID) != store.RoleCoordinator {
			t.Errorf("coordinator %d not recorded as the meeting's and the group's coordinator", m.CoordinatorID)
		}
		// Agenda call, agenda deadline, three reminders, nudge, minutes nudge.
		want := e.timelineKeys(m)
		if len(want) != 7 {
			t.Fatalf("timeline of %d rows, the test expects 7: %v", len(want), want)
		}
		if got := e.plannedKeys(m.ID, store.NotificationPending); !slices.Equal(got, want) {
			t.Errorf("timeline rows %v, want %v", got, want)
		}
		ns := e.notes(m.ID)
		if len(ns) != len(want)+2 {
			t.Errorf("%d outbox rows, want %d", len(ns), len(want)+2)
		}
		if n := e.count(m.ID, outbox.KindAnnouncement, store.NotificationPending); n != 1 {
			t.Errorf("%d announcements, want 1", n)
		}
		if n := e.count(m.ID, outbox.KindEventSync, store.NotificationPending); n != 1 {
			t.Errorf("%d event syncs, want 1", n)
		}
		for _, n := range ns {
			if n.ChannelID != e.group.DiscordChannelID || n.GroupID != e.group.ID {
				t.Errorf("row %s targets group %d channel %q", n.IdempotencyKey, n.GroupID, n.ChannelID)
			}
		}
	})

	t.Run("group without a channel gets no outbox rows", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.Create(e.ctx(), meeting.Operator(), e.quiet.ID, meeting.Draft{Title: title, Start: start})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.store.Meeting(e.ctx(), res.Meeting.ID); err != nil {
			t.Fatalf("meeting not stored: %v", err)
		}
		if ns := e.notes(res.Meeting.ID); len(ns) != 0 {
			t.Errorf("%d outbox rows for a group without a channel, want none", len(ns))
		}
	})

	t.Run("member is refused in Czech and nothing is written", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		before := e.rows()
		_, err := e.core.Create(e.ctx(), member, e.group.ID, meeting.Draft{Title: title, Start: start})
		refused(t, err, czNotCoordinator)
		e.unchanged(t, before)
		if before["meetings"] != 0 || before["members"] != 0 {
			t.Fatalf("fresh database not empty: %v", before)
		}
		if _, err := e.store.MemberByDiscordID(e.ctx(), member.DiscordUserID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("refused member was stored: %v", err)
		}
		if e.changed != 0 {
			t.Errorf("Changed called %d times on a refusal", e.changed)
		}
	})

	loc := prague(t)
	for name, tc := range map[string]struct {
		draft meeting.Draft
		want  string
	}{
		"past date refused": {meeting.Draft{Title: title, Start: t0.Add(-time.Hour)},
			"Termín " + i18n.FormatDateTime(t0.Add(-time.Hour), loc, i18n.Czech) + " už je v minulosti."},
		"start now refused as past": {meeting.Draft{Title: title, Start: t0},
			"Termín 1. 3. 2027 11:00 už je v minulosti."},
		"past draft with a future date refused": {meeting.Draft{Title: title, Start: start, Past: true},
			"Termín " + i18n.FormatDateTime(start, loc, i18n.Czech) + " ještě nenastal; zapsat lze jen schůzku, která už proběhla."},
		"blank title refused": {meeting.Draft{Title: " \t", Start: start}, "Název nesmí být prázdný."},
		"long title refused": {meeting.Draft{Title: strings.Repeat("é", meeting.MaxTitle+1), Start: start},
			fmt.Sprintf("Název je příliš dlouhý (nejvýše %d znaků).", meeting.MaxTitle)},
		"day-long-plus duration refused": {meeting.Draft{Title: title, Start: start, Duration: 24*time.Hour + time.Minute},
			"Délka musí být 1 až 1440 minut."},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			before := e.rows()
			_, err := e.core.Create(e.ctx(), coordinator, e.group.ID, tc.draft)
			refused(t, err, tc.want)
			e.unchanged(t, before)
		})
	}

	t.Run("past draft with a past date is stored held with no outbox rows", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: title, Start: t0.Add(-7 * day), Past: true})
		if err != nil {
			t.Fatal(err)
		}
		m, err := e.store.Meeting(e.ctx(), res.Meeting.ID)
		if err != nil || m.Status != store.MeetingHeld {
			t.Fatalf("stored %+v, %v; want held", m, err)
		}
		if ns := e.notes(m.ID); len(ns) != 0 {
			t.Errorf("%d outbox rows for a past meeting, want none", len(ns))
		}
	})
}

func TestEdit(t *testing.T) {
	t.Parallel()
	t.Run("moving the start replans the timeline and leaves one edit and one event sync pending", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		old := e.plannedKeys(m.ID, store.NotificationPending)
		moved := start.Add(day)
		res, err := e.core.Edit(e.ctx(), coordinator, m.ID, e.group.ID, meeting.Changes{Start: &moved})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := e.store.Meeting(e.ctx(), m.ID); !got.Start.Equal(moved) {
			t.Errorf("stored start %v, want %v", got.Start, moved)
		}
		if got := e.plannedKeys(m.ID, store.NotificationSkipped); !slices.Equal(got, old) {
			t.Errorf("skipped %v, want the old plan %v", got, old)
		}
		for _, n := range e.notes(m.ID) {
			if n.State == store.NotificationSkipped && !strings.Contains(n.LastError, "replanned") {
				t.Errorf("row %s skipped with %q, want a replanned reason", n.IdempotencyKey, n.LastError)
			}
		}
		want := e.timelineKeys(res.Meeting)
		if got := e.plannedKeys(m.ID, store.NotificationPending); len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("pending plan %v, want %v", got, want)
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
			t.Errorf("%d pending card edits, want 1", n)
		}
		if n := e.count(m.ID, outbox.KindEventSync, store.NotificationPending); n != 1 {
			t.Errorf("%d pending event syncs, want 1", n)
		}
	})

	t.Run("three edits in a row coalesce into one card edit and one event sync", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		newTitle, place, moved := "Mimořádné jednání", "Radnice", start.Add(2*day)
		for _, c := range []meeting.Changes{{Title: &newTitle}, {Place: &place}, {Start: &moved}} {
			if _, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, c); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, ""); n != 1 {
			t.Errorf("%d card edits, want 1", n)
		}
		if n := e.count(m.ID, outbox.KindEventSync, ""); n != 1 {
			t.Errorf("%d event syncs, want 1", n)
		}
		got, _ := e.store.Meeting(e.ctx(), m.ID)
		if got.Title != newTitle || got.Place != place || !got.Start.Equal(moved) {
			t.Errorf("stored %+v: not all three edits kept", got)
		}
	})

	t.Run("an edit after the pending one was sent adds a new one", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		place := "Radnice"
		if _, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Place: &place}); err != nil {
			t.Fatal(err)
		}
		// The announcement, the event sync and the edit fall due.
		if n := e.deliver(t0.Add(outbox.EditDelay)); n != 3 {
			t.Fatalf("delivered %d rows, want 3", n)
		}
		place = "Krajský úřad, sál 2"
		if _, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Place: &place}); err != nil {
			t.Fatal(err)
		}
		for _, kind := range []outbox.Kind{outbox.KindAnnouncementEdit, outbox.KindEventSync} {
			if n := e.count(m.ID, kind, store.NotificationPending); n != 1 {
				t.Errorf("%d pending %s, want 1", n, kind)
			}
			if n := e.count(m.ID, kind, store.NotificationSent); n != 1 {
				t.Errorf("%d sent %s, want 1", n, kind)
			}
		}
	})

	t.Run("moving back to the first start plans its messages again", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		first := e.plannedKeys(m.ID, store.NotificationPending)
		moved, back := start.Add(day), start
		for _, s := range []*time.Time{&moved, &back} {
			if _, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Start: s}); err != nil {
				t.Fatal(err)
			}
		}
		if got := e.plannedKeys(m.ID, store.NotificationPending); !slices.Equal(got, first) {
			t.Errorf("pending plan after moving back %v, want %v (no reminders would go out)", got, first)
		}
	})

	t.Run("a new start in the past is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		before := e.rows()
		past := t0.Add(-time.Minute)
		_, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Start: &past})
		refused(t, err, "Termín 1. 3. 2027 10:59 už je v minulosti.")
		e.unchanged(t, before)
	})

	t.Run("a meeting of another group is unknown there", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		place := "Radnice"
		_, err := e.core.Edit(e.ctx(), coordinator, m.ID, e.quiet.ID, meeting.Changes{Place: &place})
		refused(t, err, "Schůzku jsem nenašel. Vyberte ji ze seznamu.")
	})
}

func TestCancel(t *testing.T) {
	t.Parallel()
	// setup plans a meeting whose card and event were delivered.
	setup := func(t *testing.T) (*env, *store.Meeting) {
		e := newEnv(t)
		m := e.create(start)
		if n := e.deliver(t0); n != 2 {
			t.Fatalf("delivered %d rows, want the announcement and the event sync", n)
		}
		if _, err := e.core.Cancel(e.ctx(), coordinator, m.ID, e.group.ID); err != nil {
			t.Fatal(err)
		}
		return e, m
	}

	t.Run("cancels the meeting and its timeline and asks for a notice, a card edit and an event sync", func(t *testing.T) {
		t.Parallel()
		e, m := setup(t)
		got, _ := e.store.Meeting(e.ctx(), m.ID)
		if got.Status != store.MeetingCancelled {
			t.Errorf("status %s, want cancelled", got.Status)
		}
		if keys := e.plannedKeys(m.ID, store.NotificationPending); len(keys) != 0 {
			t.Errorf("timeline rows still pending: %v", keys)
		}
		if keys := e.plannedKeys(m.ID, store.NotificationCancelled); len(keys) != 7 {
			t.Errorf("%d timeline rows cancelled, want 7", len(keys))
		}
		var notices []*store.Notification
		for _, n := range e.notes(m.ID) {
			if n.Kind == outbox.KindCancellation {
				notices = append(notices, n)
			}
		}
		if len(notices) != 1 || notices[0].State != store.NotificationPending ||
			notices[0].IdempotencyKey != outbox.Key(m.ID, m.Start, outbox.KindCancellation, "") {
			t.Errorf("cancellation notices %+v, want one pending", notices)
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
			t.Errorf("%d pending card edits, want 1", n)
		}
		if n := e.count(m.ID, outbox.KindEventSync, store.NotificationPending); n != 1 {
			t.Errorf("%d pending event syncs, want 1", n)
		}
	})

	t.Run("cancelling twice is refused", func(t *testing.T) {
		t.Parallel()
		e, m := setup(t)
		before := e.rows()
		_, err := e.core.Cancel(e.ctx(), coordinator, m.ID, 0)
		refused(t, err, czCancelled)
		e.unchanged(t, before)
	})

	t.Run("editing a cancelled meeting is refused", func(t *testing.T) {
		t.Parallel()
		e, m := setup(t)
		before := e.rows()
		newTitle := "Jiné jednání"
		_, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Title: &newTitle})
		refused(t, err, czCancelled)
		e.unchanged(t, before)
		if got, _ := e.store.Meeting(e.ctx(), m.ID); got.Title != title {
			t.Errorf("title %q changed on a cancelled meeting", got.Title)
		}
	})

	t.Run("a member cannot cancel", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		_, err := e.core.Cancel(e.ctx(), member, m.ID, 0)
		refused(t, err, czNotCoordinator)
		if got, _ := e.store.Meeting(e.ctx(), m.ID); got.Status != store.MeetingScheduled {
			t.Errorf("status %s after a refused cancel", got.Status)
		}
	})
}

func TestAnswer(t *testing.T) {
	t.Parallel()
	t.Run("first-contact member vouched by the door is recorded as a member", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		res, err := e.core.Answer(e.ctx(), member, m.ID, e.group.ID, store.AnswerYes, " přijdu později ", "")
		if err != nil {
			t.Fatal(err)
		}
		id := e.memberID(member)
		if e.role(e.group, id) != store.RoleMember {
			t.Errorf("role %q, want member", e.role(e.group, id))
		}
		r, err := e.store.RSVP(e.ctx(), m.ID, id)
		if err != nil || r.Answer != store.AnswerYes || r.Note != "přijdu později" || res.RSVP.MemberID != id {
			t.Errorf("rsvp %+v, %v", r, err)
		}
		mem, _ := e.store.Member(e.ctx(), id)
		if mem.DisplayName != member.DiscordName {
			t.Errorf("name %q, want %q", mem.DisplayName, member.DiscordName)
		}
	})

	t.Run("outsider is refused and no member is created", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		before := e.rows()
		_, err := e.core.Answer(e.ctx(), outsider, m.ID, 0, store.AnswerYes, "", "")
		refused(t, err, czNotMember)
		e.unchanged(t, before)
		if _, err := e.store.MemberByDiscordID(e.ctx(), outsider.DiscordUserID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("outsider stored: %v", err)
		}
	})

	t.Run("answer after the start is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		e.clock.Set(start)
		before := e.rows()
		_, err := e.core.Answer(e.ctx(), member, m.ID, 0, store.AnswerNo, "", "")
		refused(t, err, "Schůzka „"+title+"“ už začala; odpověď už nejde změnit.")
		e.unchanged(t, before)
	})

	t.Run("answer to a cancelled meeting is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		if _, err := e.core.Cancel(e.ctx(), coordinator, m.ID, 0); err != nil {
			t.Fatal(err)
		}
		_, err := e.core.Answer(e.ctx(), member, m.ID, 0, store.AnswerYes, "", "")
		refused(t, err, czCancelled)
	})

	t.Run("an answer that is not yes, no or maybe is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		_, err := e.core.Answer(e.ctx(), member, m.ID, 0, "ano", "", "")
		refused(t, err, "Odpověď musí být yes, no nebo maybe.")
	})

	t.Run("the door is recorded", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		eva := e.emailMember("Eva Malá", "eva@obec.cz")
		op := meeting.Operator()
		op.MemberID = eva
		for _, tc := range []struct {
			name  string
			actor meeting.Actor
			id    func() int64
			want  string
		}{
			{"discord", member, func() int64 { return e.memberID(member) }, store.ViaDiscord},
			{"cli", op, func() int64 { return eva }, store.ViaCLI},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if _, err := e.core.Answer(e.ctx(), tc.actor, m.ID, 0, store.AnswerMaybe, "", ""); err != nil {
					t.Fatal(err)
				}
				r, err := e.store.RSVP(e.ctx(), m.ID, tc.id())
				if err != nil || r.Via != tc.want {
					t.Errorf("rsvp %+v, %v; want via %s", r, err, tc.want)
				}
			})
		}
	})

	t.Run("operator answering for someone outside the group is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		stranger := &store.Member{DisplayName: "Eva Malá", Emails: []string{"eva@obec.cz"}}
		if err := e.store.CreateMember(e.ctx(), stranger); err != nil {
			t.Fatal(err)
		}
		op := meeting.Operator()
		op.MemberID = stranger.ID
		before := e.rows()
		_, err := e.core.Answer(e.ctx(), op, m.ID, 0, store.AnswerYes, "", "")
		refused(t, err, "Eva Malá není členem skupiny Pracovní skupina protidrogové politiky.")
		e.unchanged(t, before)
	})

	t.Run("fifty answers leave one pending card edit", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		answers := []string{store.AnswerYes, store.AnswerNo, store.AnswerMaybe}
		for i := range 50 {
			a := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: fmt.Sprint(1000 + i), DiscordName: fmt.Sprint("Člen ", i),
				DoorRole: store.RoleMember}
			if _, err := e.core.Answer(e.ctx(), a, m.ID, 0, answers[i%3], "", ""); err != nil {
				t.Fatal(err)
			}
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, ""); n != 1 {
			t.Errorf("%d card edits, want 1", n)
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
			t.Errorf("%d pending card edits, want 1", n)
		}
		if c, _ := e.store.CountRSVPs(e.ctx(), m.ID); c.Yes+c.No+c.Maybe != 50 {
			t.Errorf("counts %+v, want 50 answers", c)
		}
	})
}

func TestAgenda(t *testing.T) {
	t.Parallel()
	// setup plans a meeting with an item proposed by member.
	setup := func(t *testing.T) (*env, *store.Meeting, *store.AgendaItem) {
		e := newEnv(t)
		m := e.create(start)
		res, err := e.core.Propose(e.ctx(), member, m.ID, e.group.ID, " Rozpočet ", "Návrh na rok 2028")
		if err != nil {
			t.Fatal(err)
		}
		return e, m, res.Item
	}

	t.Run("a member's proposal is recorded with them as its author", func(t *testing.T) {
		t.Parallel()
		e, m, it := setup(t)
		got, err := e.store.AgendaItem(e.ctx(), it.ID)
		if err != nil || got.MeetingID != m.ID || got.AuthorID != e.memberID(member) || got.Title != "Rozpočet" ||
			got.Status != store.AgendaProposed || got.Position != 1 {
			t.Errorf("stored item %+v, %v", got, err)
		}
		if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
			t.Errorf("%d pending card edits, want 1", n)
		}
	})

	for name, tc := range map[string]struct {
		before time.Duration // how long before the start it is proposed
		late   bool
	}{
		"a day before the deadline is on time": {4 * day, false},
		"at the deadline is on time":           {3 * day, false},
		"a minute after the deadline is late":  {3*day - time.Minute, true},
		"an hour before the start is late":     {time.Hour, true},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t)
			m := e.create(start)
			e.clock.Set(start.Add(-tc.before))
			res, err := e.core.Propose(e.ctx(), member, m.ID, 0, "Bod", "")
			if err != nil {
				t.Fatal(err)
			}
			if res.Late != tc.late {
				t.Errorf("late = %v, want %v", res.Late, tc.late)
			}
		})
	}

	t.Run("proposing after the start is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		m := e.create(start)
		e.clock.Set(start.Add(time.Minute))
		_, err := e.core.Propose(e.ctx(), member, m.ID, 0, "Bod", "")
		refused(t, err, "Schůzka „"+title+"“ už začala; odpověď už nejde změnit.")
	})

	for name, tc := range map[string]struct {
		actor  meeting.Actor
		status string
		want   string // the refusal, "" when allowed
	}{
		"author withdraws":               {member, store.AgendaWithdrawn, ""},
		"another member cannot withdraw": {member2, store.AgendaWithdrawn, "Stáhnout bod může jen jeho autor nebo koordinátor."},
		"coordinator withdraws":          {coordinator, store.AgendaWithdrawn, ""},
		"author cannot accept":           {member, store.AgendaAccepted, czNotCoordinator},
		"coordinator accepts":            {coordinator, store.AgendaAccepted, ""},
		"outsider cannot withdraw":       {outsider, store.AgendaWithdrawn, czNotMember},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, _, it := setup(t)
			_, err := e.core.SetAgendaStatus(e.ctx(), tc.actor, it.ID, e.group.ID, tc.status)
			got, _ := e.store.AgendaItem(e.ctx(), it.ID)
			if tc.want != "" {
				refused(t, err, tc.want)
				if got.Status != store.AgendaProposed {
					t.Errorf("status %s after a refusal", got.Status)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.status {
				t.Errorf("status %s, want %s", got.Status, tc.status)
			}
		})
	}

	t.Run("unknown item is refused", func(t *testing.T) {
		t.Parallel()
		e, _, it := setup(t)
		_, err := e.core.SetAgendaStatus(e.ctx(), coordinator, it.ID+100, 0, store.AgendaAccepted)
		refused(t, err, fmt.Sprintf("Bod programu č. %d u této skupiny neexistuje.", it.ID+100))
	})

	t.Run("item of another group is unknown there", func(t *testing.T) {
		t.Parallel()
		e, _, it := setup(t)
		_, err := e.core.SetAgendaStatus(e.ctx(), coordinator, it.ID, e.quiet.ID, store.AgendaAccepted)
		refused(t, err, fmt.Sprintf("Bod programu č. %d u této skupiny neexistuje.", it.ID))
	})

	t.Run("reorder puts the named items first", func(t *testing.T) {
		t.Parallel()
		e, m, first := setup(t)
		second, err := e.core.Propose(e.ctx(), member2, m.ID, 0, "Druhý", "")
		if err != nil {
			t.Fatal(err)
		}
		third, err := e.core.Propose(e.ctx(), member2, m.ID, 0, "Třetí", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Reorder(e.ctx(), coordinator, m.ID, 0, []int64{third.Item.ID}); err != nil {
			t.Fatal(err)
		}
		items, _ := e.store.Agenda(e.ctx(), m.ID)
		var got []int64
		for _, it := range items {
			got = append(got, it.ID)
		}
		if want := []int64{third.Item.ID, first.ID, second.Item.ID}; !slices.Equal(got, want) {
			t.Errorf("order %v, want %v", got, want)
		}
	})

	t.Run("reorder with bad ids is refused", func(t *testing.T) {
		t.Parallel()
		e, m, it := setup(t)
		other := e.create(start.Add(7 * day))
		foreign, err := e.core.Propose(e.ctx(), member, other.ID, 0, "Cizí", "")
		if err != nil {
			t.Fatal(err)
		}
		for name, ids := range map[string][]int64{
			"none":                    nil,
			"unknown id":              {it.ID + 100},
			"named twice":             {it.ID, it.ID},
			"item of another meeting": {foreign.Item.ID},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.core.Reorder(e.ctx(), coordinator, m.ID, 0, ids)
				refused(t, err, czBadOrder)
			})
		}
	})

	t.Run("a member cannot reorder", func(t *testing.T) {
		t.Parallel()
		e, m, it := setup(t)
		_, err := e.core.Reorder(e.ctx(), member, m.ID, 0, []int64{it.ID})
		refused(t, err, czNotCoordinator)
	})
}

func TestRecordAttendance(t *testing.T) {
	t.Parallel()
	// setup plans a meeting: the coordinator, member (yes, sending a
	// deputy), member2 (no, naming one anyway) and Eva (e-mail only, no
	// answer) are the group.
	setup := func(t *testing.T) (*env, *store.Meeting, int64) {
		e := newEnv(t)
		m := e.create(start)
		if _, err := e.core.Answer(e.ctx(), member, m.ID, 0, store.AnswerYes, "", "Ing. Nová"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.core.Answer(e.ctx(), member2, m.ID, 0, store.AnswerNo, "", "Bc. Král"); err != nil {
			t.Fatal(err)
		}
		eva := e.emailMember("Eva Malá", "eva@obec.cz")
		return e, m, eva
	}

	t.Run("refused before the start", func(t *testing.T) {
		t.Parallel()
		e, m, _ := setup(t)
		e.clock.Set(start.Add(-time.Minute))
		before := e.rows()
		_, err := e.core.RecordAttendance(e.ctx(), coordinator, m.ID, 0,
			[]meeting.Presence{{MemberID: e.memberID(member), Attended: true}}, true)
		refused(t, err, "Schůzka „"+title+"“ ještě neproběhla.")
		e.unchanged(t, before)
	})

	t.Run("refused for a cancelled meeting", func(t *testing.T) {
		t.Parallel()
		e, m, _ := setup(t)
		if _, err := e.core.Cancel(e.ctx(), coordinator, m.ID, 0); err != nil {
			t.Fatal(err)
		}
		e.clock.Set(start.Add(time.Hour))
		before := e.rows()
		_, err := e.core.RecordAttendance(e.ctx(), coordinator, m.ID, 0,
			[]meeting.Presence{{MemberID: e.memberID(member), Attended: true}}, true)
		refused(t, err, "Schůzka „"+title+"“ byla zrušena, není koho zapsat.")
		e.unchanged(t, before)
	})

	t.Run("a member cannot record attendance", func(t *testing.T) {
		t.Parallel()
		e, m, _ := setup(t)
		e.clock.Set(start.Add(time.Hour))
		_, err := e.core.RecordAttendance(e.ctx(), member, m.ID, 0, nil, true)
		refused(t, err, czNotCoordinator)
	})

	t.Run("others absent records every group member and the meeting becomes held", func(t *testing.T) {
		t.Parallel()
		e, m, eva := setup(t)
		e.clock.Set(start.Add(3 * time.Hour))
		petr := e.memberID(member)
		res, err := e.core.RecordAttendance(e.ctx(), coordinator, m.ID, e.group.ID,
			[]meeting.Presence{{MemberID: petr, Attended: true}}, true)
		if err != nil {
			t.Fatal(err)
		}
		if res.Came != 1 || res.Of != 4 {
			t.Errorf("came %d of %d, want 1 of 4", res.Came, res.Of)
		}
		got, _ := e.store.AttendanceOf(e.ctx(), m.ID)
		recorded := map[int64]bool{}
		for _, a := range got {
			recorded[a.MemberID] = a.Attended
		}
		want := map[int64]bool{petr: true, e.memberID(member2): false, e.memberID(coordinator): false, eva: false}
		if fmt.Sprint(recorded) != fmt.Sprint(want) {
			t.Errorf("attendance %v, want %v", recorded, want)
		}
		if mt, _ := e.store.Meeting(e.ctx(), m.ID); mt.Status != store.MeetingHeld {
			t.Errorf("status %s, want held", mt.Status)
		}
	})

	for name, tc := range map[string]struct {
		who      meeting.Actor
		presence meeting.Presence
		want     string
	}{
		"present member takes the deputy of their yes": {member, meeting.Presence{Attended: true}, "Ing. Nová"},
		"a deputy named with a no is not taken":        {member2, meeting.Presence{Attended: true}, ""},
		"the deputy named by the coordinator wins":     {member, meeting.Presence{Attended: true, Substitute: "Mgr. Jiný"}, "Mgr. Jiný"},
		"an absent member has no deputy":               {member, meeting.Presence{Substitute: "Mgr. Jiný"}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, m, _ := setup(t)
			e.clock.Set(start.Add(3 * time.Hour))
			p := tc.presence
			p.MemberID = e.memberID(tc.who)
			if _, err := e.core.RecordAttendance(e.ctx(), coordinator, m.ID, 0, []meeting.Presence{p}, false); err != nil {
				t.Fatal(err)
			}
			got, _ := e.store.AttendanceOf(e.ctx(), m.ID)
			if len(got) != 1 || got[0].MemberID != p.MemberID || got[0].Attended != p.Attended || got[0].Substitute != tc.want {
				t.Errorf("attendance %+v, want member %d attended %v deputy %q", got[0], p.MemberID, p.Attended, tc.want)
			}
		})
	}

	t.Run("a meeting recorded as past takes attendance", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: title, Start: t0.Add(-day), Past: true})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := e.core.RecordAttendance(e.ctx(), coordinator, res.Meeting.ID, 0, nil, true)
		if err != nil || rec.Of != 1 || rec.Meeting.Status != store.MeetingHeld {
			t.Errorf("recorded %+v, %v; want the coordinator absent", rec, err)
		}
	})
}

func TestAddMember(t *testing.T) {
	t.Parallel()
	t.Run("updating by e-mail keeps one person", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		first, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID,
			meeting.MemberInput{Name: "Eva Malá", Emails: []string{"eva@obec.cz"}})
		if err != nil || !first.Created || first.Role != store.RoleMember {
			t.Fatalf("first add %+v, %v", first, err)
		}
		before := e.rows()
		again, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, meeting.MemberInput{Name: "Eva Malá Nová",
			Organisation: "Obec Lhota", Emails: []string{"EVA@obec.cz", "eva.mala@kraj.cz"}, DiscordID: "400"})
		if err != nil {
			t.Fatal(err)
		}
		if again.Created || again.Member.ID != first.Member.ID {
			t.Errorf("second add created %v, id %d; want the same person %d", again.Created, again.Member.ID, first.Member.ID)
		}
		after := e.rows()
		if after["members"] != before["members"] || after["memberships"] != before["memberships"] {
			t.Errorf("rows %v after an update, before %v", after, before)
		}
		got, _ := e.store.Member(e.ctx(), first.Member.ID)
		if got.DisplayName != "Eva Malá Nová" || got.Organisation != "Obec Lhota" || got.DiscordUserID != "400" ||
			!slices.Equal(got.Emails, []string{"eva.mala@kraj.cz", "eva@obec.cz"}) {
			t.Errorf("stored %+v", got)
		}
	})

	t.Run("an e-mail of one member with the Discord id of another is refused", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		if _, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, meeting.MemberInput{Name: "Pavel", DiscordID: "400"}); err != nil {
			t.Fatal(err)
		}
		e.emailMember("Eva Malá", "eva@obec.cz")
		before := e.rows()
		_, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID,
			meeting.MemberInput{Name: "Pavel", DiscordID: "400", Emails: []string{"eva@obec.cz"}})
		refused(t, err, "Adresa eva@obec.cz už patří jinému členovi.")
		e.unchanged(t, before)
	})

	t.Run("an empty role keeps a coordinator's role", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		in := meeting.MemberInput{Name: "Eva Malá", Emails: []string{"eva@obec.cz"}, Role: store.RoleCoordinator}
		first, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		in.Role = ""
		again, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if again.Role != store.RoleCoordinator || e.role(e.group, first.Member.ID) != store.RoleCoordinator {
			t.Errorf("role %q / stored %q, want coordinator kept", again.Role, e.role(e.group, first.Member.ID))
		}
		in.Role = store.RoleMember
		if _, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, in); err != nil {
			t.Fatal(err)
		}
		if got := e.role(e.group, first.Member.ID); got != store.RoleMember {
			t.Errorf("role %q after an explicit member, want member", got)
		}
	})

	t.Run("a member cannot add members", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		before := e.rows()
		_, err := e.core.AddMember(e.ctx(), member, e.group.ID, meeting.MemberInput{Name: "Eva", Emails: []string{"eva@obec.cz"}})
		refused(t, err, czNotCoordinator)
		e.unchanged(t, before)
	})

	t.Run("import adds and updates", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.emailMember("Eva Malá", "eva@obec.cz")
		added, updated, err := e.core.ImportMembers(e.ctx(), coordinator, e.group.ID, []meeting.MemberInput{
			{Name: "Eva Malá", Organisation: "Obec Lhota", Emails: []string{"eva@obec.cz"}},
			{Name: "Jan Novák", Emails: []string{"jan@kraj.cz"}},
			{Name: "Petra Svobodová", DiscordID: "401"},
		})
		if err != nil || added != 2 || updated != 1 {
			t.Errorf("added %d updated %d, %v; want 2 and 1", added, updated, err)
		}
		if ms, _ := e.store.GroupMembers(e.ctx(), e.group.ID); len(ms) != 4 { // and the coordinator
			t.Errorf("%d group members, want 4", len(ms))
		}
	})

	t.Run("import is all or nothing and names the bad row", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		e.emailMember("Eva Malá", "eva@obec.cz")
		before := e.rows()
		_, _, err := e.core.ImportMembers(e.ctx(), coordinator, e.group.ID, []meeting.MemberInput{
			{Name: "Jan Novák", Emails: []string{"jan@kraj.cz"}},
			{Name: "Eva Malá", Organisation: "Obec Lhota", Emails: []string{"eva@obec.cz"}},
			{Name: "Bez kontaktu"},
			{Name: "Petra Svobodová", DiscordID: "401"},
		})
		var row *meeting.RowError
		if !errors.As(err, &row) || row.Row != 3 {
			t.Fatalf("error %v, want a RowError for row 3", err)
		}
		refused(t, err, czNoContact)
		e.unchanged(t, before)
		if got, _ := e.store.MemberByEmail(e.ctx(), "eva@obec.cz"); got.Organisation != "" {
			t.Errorf("row 2's update kept: %+v", got)
		}
	})
}

func TestSyncRoleHolders(t *testing.T) {
	t.Parallel()
	// setup records: Eva by e-mail, Karel a coordinator by hand, Lenka a
	// member from Discord, Martin a member from Discord.
	type people struct{ eva, karel, lenka, martin int64 }
	setup := func(t *testing.T) (*env, people) {
		e := newEnv(t)
		var p people
		p.eva = e.emailMember("Eva Malá", "eva@obec.cz")
		k, err := e.core.AddMember(e.ctx(), meeting.Operator(), e.group.ID,
			meeting.MemberInput{Name: "Karel", DiscordID: "500", Role: store.RoleCoordinator})
		if err != nil {
			t.Fatal(err)
		}
		p.karel = k.Member.ID
		if _, err := e.core.SyncRoleHolders(e.ctx(), e.group.ID, []meeting.RoleHolder{
			{DiscordID: "600", Name: "Lenka", Role: store.RoleMember},
			{DiscordID: "700", Name: "Martin", Role: store.RoleMember},
		}, false); err != nil {
			t.Fatal(err)
		}
		p.lenka = e.memberID(meeting.Actor{DiscordUserID: "600"})
		p.martin = e.memberID(meeting.Actor{DiscordUserID: "700"})
		return e, p
	}

	t.Run("complete sync adds, upgrades and removes only Discord members who lost the role", func(t *testing.T) {
		// Karel, recorded as a coordinator by hand, holds only the member
		// role on Discord: he stays a coordinator.
		e, p := setup(t)
		n, err := e.core.SyncRoleHolders(e.ctx(), e.group.ID, []meeting.RoleHolder{
			{DiscordID: "500", Name: "Karel", Role: store.RoleMember},
			{DiscordID: "700", Name: "Martin", Role: store.RoleCoordinator},
			{DiscordID: "800", Name: "Nový člen", Role: store.RoleMember},
			{DiscordID: "900", Name: "Nová koordinátorka", Role: store.RoleCoordinator},
		}, true)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("%d changes, want 4 (upgrade, two new, one removed)", n)
		}
		got := map[string]string{}
		ms, _ := e.store.GroupMembers(e.ctx(), e.group.ID)
		for _, gm := range ms {
			got[gm.DisplayName] = gm.Role
		}
		want := map[string]string{"Eva Malá": store.RoleMember, "Karel": store.RoleCoordinator,
			"Martin": store.RoleCoordinator, "Nový člen": store.RoleMember, "Nová koordinátorka": store.RoleCoordinator}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("members %v, want %v", got, want)
		}
		if e.role(e.group, p.lenka) != "" {
			t.Error("Lenka lost the member role but stayed in the group")
		}
	})

	t.Run("partial sync with no role removes a member but not a coordinator", func(t *testing.T) {
		t.Parallel()
		e, p := setup(t)
		n, err := e.core.SyncRoleHolders(e.ctx(), e.group.ID, []meeting.RoleHolder{
			{DiscordID: "600", Role: ""},
			{DiscordID: "500", Role: ""},
			{DiscordID: "999", Name: "Neznámý", Role: ""},
		}, false)
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || e.role(e.group, p.lenka) != "" {
			t.Errorf("%d changes, Lenka %q; want her removed", n, e.role(e.group, p.lenka))
		}
		if e.role(e.group, p.karel) != store.RoleCoordinator || e.role(e.group, p.martin) != store.RoleMember {
			t.Error("a partial sync touched members it did not name")
		}
		if _, err := e.store.MemberByDiscordID(e.ctx(), "999"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("a holder of no role was created: %v", err)
		}
	})

	t.Run("a group without roles is left alone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		before := e.rows()
		n, err := e.core.SyncRoleHolders(e.ctx(), e.quiet.ID,
			[]meeting.RoleHolder{{DiscordID: "800", Name: "Nový", Role: store.RoleMember}}, true)
		if err != nil || n != 0 {
			t.Errorf("%d changes, %v", n, err)
		}
		e.unchanged(t, before)
	})
}

func TestCan(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.create(start) // the coordinator is stored
	if _, err := e.core.Answer(e.ctx(), member2, m.ID, 0, store.AnswerYes, "", ""); err != nil {
		t.Fatal(err) // member2 is stored as a member
	}
	eva := e.emailMember("Eva Malá", "eva@obec.cz")
	before := e.rows()
	for name, tc := range map[string]struct {
		actor meeting.Actor
		need  string
		want  string
	}{
		"door coordinator may coordinate":                         {meeting.Actor{DiscordUserID: "110", DoorRole: store.RoleCoordinator}, store.RoleCoordinator, ""},
		"stored coordinator may coordinate":                       {meeting.Actor{DiscordUserID: coordinator.DiscordUserID}, store.RoleCoordinator, ""},
		"first-contact member may answer":                         {member, store.RoleMember, ""},
		"member may not coordinate":                               {member, store.RoleCoordinator, czNotCoordinator},
		"outsider may not answer":                                 {outsider, store.RoleMember, czNotMember},
		"stored member by id may answer":                          {meeting.Actor{MemberID: eva}, store.RoleMember, ""},
		"stored member by id may not coordinate":                  {meeting.Actor{MemberID: eva}, store.RoleCoordinator, czNotCoordinator},
		"stored member the door calls coordinator may coordinate": {meeting.Actor{DiscordUserID: member2.DiscordUserID, DoorRole: store.RoleCoordinator}, store.RoleCoordinator, ""},
		"stored member without a door role may answer":            {meeting.Actor{DiscordUserID: member2.DiscordUserID}, store.RoleMember, ""},
		"operator may do anything":                                {meeting.Operator(), store.RoleCoordinator, ""},
	} {
		t.Run(name, func(t *testing.T) {
			err := e.core.Can(e.ctx(), tc.actor, e.group.ID, tc.need)
			if tc.want == "" {
				if err != nil {
					t.Errorf("refused: %v", err)
				}
				return
			}
			refused(t, err, tc.want)
		})
	}
	e.unchanged(t, before)
	if _, err := e.store.MemberByDiscordID(e.ctx(), member.DiscordUserID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Can stored a first-contact member: %v", err)
	}
}

// Changed wakes the scheduler once per commit that added outbox rows:
// not on a refusal, and not when a change only rides along with a card
// edit already pending (propose, accept and edit here follow an answer
// whose edit has not gone out).
func TestChangedOncePerSuccessThatAddsRows(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var m *store.Meeting
	var item int64
	place := "Radnice"
	steps := []struct {
		name  string
		do    func() error
		calls int
	}{
		{"create", func() error {
			res, err := e.core.Create(e.ctx(), coordinator, e.group.ID, meeting.Draft{Title: title, Start: start})
			if err == nil {
				m = res.Meeting
			}
			return err
		}, 1},
		{"refused create", func() error {
			_, err := e.core.Create(e.ctx(), member, e.group.ID, meeting.Draft{Title: title, Start: start})
			return err
		}, 0},
		{"answer", func() error {
			_, err := e.core.Answer(e.ctx(), member, m.ID, 0, store.AnswerYes, "", "")
			return err
		}, 1},
		{"refused answer", func() error {
			_, err := e.core.Answer(e.ctx(), outsider, m.ID, 0, store.AnswerYes, "", "")
			return err
		}, 0},
		{"propose", func() error {
			res, err := e.core.Propose(e.ctx(), member, m.ID, 0, "Bod", "")
			if err == nil {
				item = res.Item.ID
			}
			return err
		}, 0},
		{"accept", func() error {
			_, err := e.core.SetAgendaStatus(e.ctx(), coordinator, item, 0, store.AgendaAccepted)
			return err
		}, 0},
		{"refused accept", func() error {
			_, err := e.core.SetAgendaStatus(e.ctx(), member, item, 0, store.AgendaAccepted)
			return err
		}, 0},
		{"edit", func() error {
			_, err := e.core.Edit(e.ctx(), coordinator, m.ID, 0, meeting.Changes{Place: &place})
			return err
		}, 0},
		{"add member", func() error {
			_, err := e.core.AddMember(e.ctx(), coordinator, e.group.ID, meeting.MemberInput{Name: "Eva", Emails: []string{"eva@obec.cz"}})
			return err
		}, 0},
		{"sync role holders", func() error {
			_, err := e.core.SyncRoleHolders(e.ctx(), e.group.ID, []meeting.RoleHolder{{DiscordID: "800", Role: store.RoleMember}}, false)
			return err
		}, 0},
		{"cancel", func() error {
			_, err := e.core.Cancel(e.ctx(), coordinator, m.ID, 0)
			return err
		}, 1},
		{"refused cancel", func() error {
			_, err := e.core.Cancel(e.ctx(), coordinator, m.ID, 0)
			return err
		}, 0},
		{"can", func() error { return e.core.Can(e.ctx(), coordinator, e.group.ID, store.RoleCoordinator) }, 0},
	}
	for _, st := range steps {
		before := e.changed
		err := st.do()
		if _, refusal := meeting.IsRefusal(err); err != nil && !refusal {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := e.changed - before; got != st.calls {
			t.Errorf("%s: Changed called %d times, want %d", st.name, got, st.calls)
		}
	}
}

func TestView(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	m := e.create(start)
	if _, err := e.core.Answer(e.ctx(), member, m.ID, 0, store.AnswerYes, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := e.core.Propose(e.ctx(), member, m.ID, 0, "Rozpočet", ""); err != nil {
		t.Fatal(err)
	}
	v, err := e.core.View(e.ctx(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Answers) != 1 || v.Answers[0].Member.DisplayName != member.DiscordName || v.Answers[0].RSVP.Answer != store.AnswerYes {
		t.Errorf("answers %+v", v.Answers)
	}
	if len(v.Agenda) != 1 || v.Agenda[0].By != member.DiscordName || v.Group.ID != e.group.ID {
		t.Errorf("agenda %+v", v.Agenda)
	}
	_, err = e.core.View(e.ctx(), m.ID+100)
	refused(t, err, "Schůzku jsem nenašel. Vyberte ji ze seznamu.")
}
