package outbox

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/store"

	// The tests need Europe/Prague wherever they run.
	_ "time/tzdata"
)

// The helpers carry a tl prefix: they share the package namespace with the
// scheduler's own tests.

const tlDay = 24 * time.Hour

func tlPrague(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func tlUTC(y int, mo time.Month, d, h, mi int) time.Time {
	return time.Date(y, mo, d, h, mi, 0, 0, time.UTC)
}

func tlPtr(d time.Duration) *time.Duration { return &d }

// tlGroup has the configuration's default offsets.
func tlGroup() *store.Group {
	return &store.Group{
		ID:               3,
		Slug:             "pracovni-skupina",
		DiscordChannelID: "111",
		TimeZone:         "Europe/Prague",
		Reminders:        []time.Duration{7 * tlDay, tlDay, time.Hour},
		AgendaCall:       14 * tlDay,
		AgendaDeadline:   3 * tlDay,
		Nudge:            3 * tlDay,
		MinutesNudge:     7 * tlDay,
	}
}

// tlMeeting is meeting 12 of tlGroup, scheduled at start.
func tlMeeting(start time.Time) *store.Meeting {
	return &store.Meeting{
		ID:       12,
		GroupID:  3,
		Start:    start.UTC(),
		TimeZone: "Europe/Prague",
		Duration: 90 * time.Minute,
		Status:   store.MeetingScheduled,
	}
}

// tlRow is what a test expects of one notification.
type tlRow struct {
	kind    Kind
	offset  string
	due     time.Time // UTC
	payload string
}

func (r tlRow) String() string {
	return fmt.Sprintf("%s %s due %s payload %s", r.kind, r.offset, r.due.Format(time.RFC3339), r.payload)
}

// tlRows turns notifications into rows, checking the fields that are the
// same for every row of meeting m of group g.
func tlRows(t *testing.T, g *store.Group, m *store.Meeting, ns []*store.Notification) []tlRow {
	t.Helper()
	var rows []tlRow
	for _, n := range ns {
		prefix := Key(m.ID, m.Start, n.Kind, "") + ":"
		if !strings.HasPrefix(n.IdempotencyKey, prefix) {
			t.Errorf("%s: key %q does not start with %q", n.Kind, n.IdempotencyKey, prefix)
		}
		if n.GroupID != g.ID || n.MeetingID != m.ID || n.ChannelID != g.DiscordChannelID || n.MemberID != 0 {
			t.Errorf("%s: group %d, meeting %d, channel %q, member %d; want %d, %d, %q, 0",
				n.IdempotencyKey, n.GroupID, n.MeetingID, n.ChannelID, n.MemberID, g.ID, m.ID, g.DiscordChannelID)
		}
		if n.Due.Location() != time.UTC {
			t.Errorf("%s: due %v is not in UTC", n.IdempotencyKey, n.Due)
		}
		rows = append(rows, tlRow{n.Kind, strings.TrimPrefix(n.IdempotencyKey, prefix), n.Due, n.Payload})
	}
	return rows
}

func tlSameRows(t *testing.T, got, want []tlRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d", len(got), len(want))
	}
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i].String()
		}
		if i < len(want) {
			w = want[i].String()
		}
		if g != w || (i < len(got) && i < len(want) && !got[i].due.Equal(want[i].due)) {
			t.Errorf("row %d:\n got  %s\n want %s", i, g, w)
		}
	}
}

func TestTimeline(t *testing.T) {
	loc := tlPrague(t)
	local := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2027, mo, d, h, mi, 0, 0, loc) }
	// Tuesday 23 March 2027 10:00 CET, five days before the spring change.
	start := local(time.March, 23, 10, 0)
	full := []tlRow{
		{KindAgendaCall, "14d", tlUTC(2027, time.March, 9, 9, 0), "{}"},
		{KindReminder, "7d", tlUTC(2027, time.March, 16, 9, 0), `{"offset":"7d"}`},
		// The deadline and the nudge share an instant: they keep plan order.
		{KindAgendaDeadline, "3d", tlUTC(2027, time.March, 20, 9, 0), "{}"},
		{KindNudge, "3d", tlUTC(2027, time.March, 20, 9, 0), "{}"},
		{KindReminder, "1d", tlUTC(2027, time.March, 22, 9, 0), `{"offset":"1d"}`},
		{KindReminder, "1h", tlUTC(2027, time.March, 23, 8, 0), `{"offset":"1h"}`},
		// Seven calendar days later it is summer time: 10:00 CEST.
		{KindMinutesNudge, "7d", tlUTC(2027, time.March, 30, 8, 0), "{}"},
	}
	tests := []struct {
		name    string
		group   func(*store.Group)
		meeting func(*store.Meeting)
		start   time.Time
		now     time.Time
		want    []tlRow
	}{
		{
			name:  "full default timeline in due order with stable ties",
			start: start,
			now:   local(time.March, 1, 12, 0),
			want:  full,
		},
		{
			name:  "offsets already past are skipped when created two days before",
			start: start,
			now:   local(time.March, 21, 10, 0),
			want:  full[4:],
		},
		{
			name:  "a message due exactly now is kept",
			start: start,
			now:   local(time.March, 22, 10, 0),
			want:  full[4:],
		},
		{
			name:  "only the minutes nudge is left once the meeting has started",
			start: start,
			now:   local(time.March, 23, 10, 0),
			want:  full[6:],
		},
		{
			name:  "nothing is left after the minutes nudge",
			start: start,
			now:   local(time.March, 30, 10, 1),
			want:  nil,
		},
		{
			name:  "spring change: 1d is Sunday 10:00 CEST, 7d Monday 10:00 CET, 1h 09:00 CEST",
			group: func(g *store.Group) { g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge = 0, 0, 0, 0 },
			start: local(time.March, 29, 10, 0),
			now:   local(time.March, 1, 12, 0),
			want: []tlRow{
				{KindReminder, "7d", tlUTC(2027, time.March, 22, 9, 0), `{"offset":"7d"}`},
				{KindReminder, "1d", tlUTC(2027, time.March, 28, 8, 0), `{"offset":"1d"}`},
				{KindReminder, "1h", tlUTC(2027, time.March, 29, 7, 0), `{"offset":"1h"}`},
			},
		},
		{
			name:  "autumn change: 1d is Sunday 10:00 CET, 7d Monday 10:00 CEST, 1h 09:00 CET",
			group: func(g *store.Group) { g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge = 0, 0, 0, 0 },
			start: time.Date(2027, time.November, 1, 10, 0, 0, 0, loc),
			now:   local(time.October, 1, 12, 0),
			want: []tlRow{
				{KindReminder, "7d", tlUTC(2027, time.October, 25, 8, 0), `{"offset":"7d"}`},
				{KindReminder, "1d", tlUTC(2027, time.October, 31, 9, 0), `{"offset":"1d"}`},
				{KindReminder, "1h", tlUTC(2027, time.November, 1, 8, 0), `{"offset":"1h"}`},
			},
		},
		{
			name: "1d12h across the spring change is Saturday 22:00 CET",
			group: func(g *store.Group) {
				g.Reminders, g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge = []time.Duration{36 * time.Hour}, 0, 0, 0, 0
			},
			start: local(time.March, 29, 10, 0),
			now:   local(time.March, 1, 12, 0),
			want:  []tlRow{{KindReminder, "1d12h", tlUTC(2027, time.March, 27, 21, 0), `{"offset":"1d12h"}`}},
		},
		{
			name: "meeting overrides win and an empty reminder list means no reminders",
			meeting: func(m *store.Meeting) {
				m.Reminders, m.AgendaCall, m.AgendaDeadline = []time.Duration{}, tlPtr(7*tlDay), tlPtr(2*tlDay)
			},
			start: start,
			now:   local(time.March, 1, 12, 0),
			want: []tlRow{
				{KindAgendaCall, "7d", tlUTC(2027, time.March, 16, 9, 0), "{}"},
				{KindNudge, "3d", tlUTC(2027, time.March, 20, 9, 0), "{}"},
				{KindAgendaDeadline, "2d", tlUTC(2027, time.March, 21, 9, 0), "{}"},
				{KindMinutesNudge, "7d", tlUTC(2027, time.March, 30, 8, 0), "{}"},
			},
		},
		{
			name: "meeting reminders replace the group's and zero overrides disable the agenda",
			meeting: func(m *store.Meeting) {
				m.Reminders, m.AgendaCall, m.AgendaDeadline = []time.Duration{2 * tlDay, 30 * time.Minute}, tlPtr(0), tlPtr(0)
			},
			start: start,
			now:   local(time.March, 1, 12, 0),
			want: []tlRow{
				{KindNudge, "3d", tlUTC(2027, time.March, 20, 9, 0), "{}"},
				{KindReminder, "2d", tlUTC(2027, time.March, 21, 9, 0), `{"offset":"2d"}`},
				{KindReminder, "30m", tlUTC(2027, time.March, 23, 8, 30), `{"offset":"30m"}`},
				{KindMinutesNudge, "7d", tlUTC(2027, time.March, 30, 8, 0), "{}"},
			},
		},
		{
			name: "zero group offsets are disabled and a repeated reminder is planned once",
			group: func(g *store.Group) {
				g.Reminders, g.AgendaCall, g.Nudge, g.MinutesNudge = []time.Duration{tlDay, 0, tlDay}, 0, 0, 0
			},
			start: start,
			now:   local(time.March, 1, 12, 0),
			want: []tlRow{
				{KindAgendaDeadline, "3d", tlUTC(2027, time.March, 20, 9, 0), "{}"},
				{KindReminder, "1d", tlUTC(2027, time.March, 22, 9, 0), `{"offset":"1d"}`},
			},
		},
		{
			name: "everything disabled gives no rows",
			group: func(g *store.Group) {
				g.Reminders, g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge = nil, 0, 0, 0, 0
			},
			start: start,
			now:   local(time.March, 1, 12, 0),
			want:  nil,
		},
		{
			name:  "no channel gives no rows",
			group: func(g *store.Group) { g.DiscordChannelID = "" },
			start: start,
			now:   local(time.March, 1, 12, 0),
			want:  nil,
		},
		{
			name:    "cancelled meeting gives no rows",
			meeting: func(m *store.Meeting) { m.Status = store.MeetingCancelled },
			start:   start,
			now:     local(time.March, 1, 12, 0),
			want:    nil,
		},
		{
			name:    "held meeting gives no rows",
			meeting: func(m *store.Meeting) { m.Status = store.MeetingHeld },
			start:   start,
			now:     local(time.March, 1, 12, 0),
			want:    nil,
		},
		{
			name:    "a meeting without a zone uses the group's",
			group:   func(g *store.Group) { g.Reminders, g.AgendaCall, g.AgendaDeadline, g.Nudge = nil, 0, 0, 0 },
			meeting: func(m *store.Meeting) { m.TimeZone = "" },
			start:   start,
			now:     local(time.March, 1, 12, 0),
			want:    full[6:],
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, m := tlGroup(), tlMeeting(tt.start)
			if tt.group != nil {
				tt.group(g)
			}
			if tt.meeting != nil {
				tt.meeting(m)
			}
			ns, err := Timeline(g, m, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil && ns != nil {
				t.Errorf("Timeline = %v, want nil", ns)
			}
			tlSameRows(t, tlRows(t, g, m, ns), tt.want)
		})
	}
}

func TestTimelineErrors(t *testing.T) {
	now := tlUTC(2027, time.March, 1, 11, 0)
	tests := []struct {
		name    string
		group   func(*store.Group)
		meeting func(*store.Meeting)
		want    string
	}{
		{
			name:    "unknown meeting zone is an error",
			meeting: func(m *store.Meeting) { m.TimeZone = "Europe/Atlantis" },
			want:    "Europe/Atlantis",
		},
		{
			name:    "unknown group zone is an error when the meeting has none",
			group:   func(g *store.Group) { g.TimeZone = "Mars/Olympus" },
			meeting: func(m *store.Meeting) { m.TimeZone = "" },
			want:    "Mars/Olympus",
		},
		{
			name:    "negative reminder is an error",
			meeting: func(m *store.Meeting) { m.Reminders = []time.Duration{-time.Hour} },
			want:    "negative reminder offset",
		},
		{
			name:  "negative minutes nudge is an error",
			group: func(g *store.Group) { g.MinutesNudge = -tlDay },
			want:  "negative minutes_nudge offset",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, m := tlGroup(), tlMeeting(tlUTC(2027, time.March, 23, 9, 0))
			if tt.group != nil {
				tt.group(g)
			}
			if tt.meeting != nil {
				tt.meeting(m)
			}
			ns, err := Timeline(g, m, now)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "scheduler: ") {
				t.Fatalf("Timeline = %d rows, %v; want an error mentioning %q", len(ns), err, tt.want)
			}
			if ns != nil {
				t.Errorf("Timeline returned rows with an error: %v", ns)
			}
		})
	}
}

func TestTimelineKeys(t *testing.T) {
	loc := tlPrague(t)
	g := tlGroup()
	now := time.Date(2027, time.March, 1, 12, 0, 0, 0, loc)
	start := time.Date(2027, time.March, 23, 10, 0, 0, 0, loc)
	keys := func(m *store.Meeting) []string {
		t.Helper()
		ns, err := Timeline(g, m, now)
		if err != nil {
			t.Fatal(err)
		}
		var ks []string
		for _, n := range ns {
			ks = append(ks, n.IdempotencyKey)
		}
		return ks
	}
	first := keys(tlMeeting(start))

	t.Run("same plan computed twice gives the same keys", func(t *testing.T) {
		again := keys(tlMeeting(start))
		if strings.Join(again, " ") != strings.Join(first, " ") {
			t.Errorf("second call:\n %v\nfirst call:\n %v", again, first)
		}
	})
	t.Run("keys are unique within a plan", func(t *testing.T) {
		seen := map[string]bool{}
		for _, k := range first {
			if seen[k] {
				t.Errorf("duplicate key %q", k)
			}
			seen[k] = true
		}
	})
	t.Run("moved meeting gets all new keys", func(t *testing.T) {
		old := map[string]bool{}
		for _, k := range first {
			old[k] = true
		}
		for _, k := range keys(tlMeeting(start.Add(time.Hour))) {
			if old[k] {
				t.Errorf("key %q survived the move", k)
			}
		}
	})
	t.Run("first key is the agenda call of the documented form", func(t *testing.T) {
		if want := "m12:s1805792400:agenda_call:14d"; len(first) == 0 || first[0] != want {
			t.Errorf("keys = %v, want %q first", first, want)
		}
	})
}

func TestKey(t *testing.T) {
	start := tlUTC(2027, time.March, 23, 9, 0) // 10:00 in Prague
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"reminder key has id, start, kind and offset", Key(12, start, KindReminder, "1d"), "m12:s1805792400:reminder:1d"},
		{"start in another zone gives the same key", Key(12, start.In(tlPrague(t)), KindReminder, "1d"), "m12:s1805792400:reminder:1d"},
		{"empty offset leaves out the last part", Key(12, start, KindCancellation, ""), "m12:s1805792400:cancellation"},
		{"combined offset is kept whole", Key(7, start, KindReminder, "1d12h"), "m7:s1805792400:reminder:1d12h"},
		{"fan-out key appends the member", FanOutKey("m12:s1805792400:nudge:3d", 42), "m12:s1805792400:nudge:3d:u42"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestDueAt(t *testing.T) {
	loc := tlPrague(t)
	local := func(mo time.Month, d, h, mi int) time.Time { return time.Date(2027, mo, d, h, mi, 0, 0, loc) }
	springMonday := local(time.March, 29, 10, 0)   // 08:00 UTC, the day after the spring change
	autumnMonday := local(time.November, 1, 10, 0) // 09:00 UTC, the day after the autumn change
	tests := []struct {
		name   string
		start  time.Time
		loc    *time.Location
		before time.Duration
		want   time.Time // UTC
	}{
		{"spring 1d before Monday 10:00 CEST is Sunday 10:00 CEST", springMonday, loc, tlDay, tlUTC(2027, time.March, 28, 8, 0)},
		{"spring 7d before is the previous Monday 10:00 CET", springMonday, loc, 7 * tlDay, tlUTC(2027, time.March, 22, 9, 0)},
		{"spring 1h before is 09:00 CEST", springMonday, loc, time.Hour, tlUTC(2027, time.March, 29, 7, 0)},
		{"autumn 1d before Monday 10:00 CET is Sunday 10:00 CET", autumnMonday, loc, tlDay, tlUTC(2027, time.October, 31, 9, 0)},
		{"autumn 7d before is the previous Monday 10:00 CEST", autumnMonday, loc, 7 * tlDay, tlUTC(2027, time.October, 25, 8, 0)},
		{"autumn 1h before is 09:00 CET", autumnMonday, loc, time.Hour, tlUTC(2027, time.November, 1, 8, 0)},
		// On the Monday the change lies before Sunday 10:00, so 24 elapsed
		// hours would give the same answer; on the Sunday of the change they
		// would not (11:00 CET and 09:00 CEST).
		{"1d before Sunday 10:00 CEST of the spring change is Saturday 10:00 CET", local(time.March, 28, 10, 0), loc, tlDay, tlUTC(2027, time.March, 27, 9, 0)},
		{"1d before Sunday 10:00 CET of the autumn change is Saturday 10:00 CEST", local(time.October, 31, 10, 0), loc, tlDay, tlUTC(2027, time.October, 30, 8, 0)},
		// 1d12h: 12 elapsed hours before the meeting (Sunday 22:00 CEST),
		// then one calendar day back: Saturday 22:00 CET, 35 hours earlier.
		{"spring 1d12h before Monday 10:00 is Saturday 22:00 CET", springMonday, loc, 36 * time.Hour, tlUTC(2027, time.March, 27, 21, 0)},
		// The same on the autumn side: Saturday 22:00 CEST, 37 hours earlier.
		{"autumn 1d12h before Monday 10:00 is Saturday 22:00 CEST", autumnMonday, loc, 36 * time.Hour, tlUTC(2027, time.October, 30, 20, 0)},
		// When the elapsed part itself spans the change, the wall clock shows it.
		{"12h before Sunday 10:00 CEST is Saturday 21:00 CET", local(time.March, 28, 10, 0), loc, 12 * time.Hour, tlUTC(2027, time.March, 27, 20, 0)},
		{"7d after Tuesday 10:00 CET is Tuesday 10:00 CEST", local(time.March, 23, 10, 0), loc, -7 * tlDay, tlUTC(2027, time.March, 30, 8, 0)},
		{"1d12h after Saturday 22:00 CET is Monday 11:00 CEST", local(time.March, 27, 22, 0), loc, -36 * time.Hour, tlUTC(2027, time.March, 29, 9, 0)},
		{"zero offset is the start", springMonday, loc, 0, tlUTC(2027, time.March, 29, 8, 0)},
		{"skipped 02:30 on the spring night becomes 03:30 CEST", local(time.March, 29, 2, 30), loc, tlDay, tlUTC(2027, time.March, 28, 1, 30)},
		{"repeated 02:30 on the autumn night is the CET one", local(time.November, 1, 2, 30), loc, tlDay, tlUTC(2027, time.October, 31, 1, 30)},
		{"in UTC a day is 24 hours", tlUTC(2027, time.March, 29, 8, 0), time.UTC, tlDay, tlUTC(2027, time.March, 28, 8, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DueAt(tt.start, tt.loc, tt.before)
			if !got.Equal(tt.want) {
				t.Errorf("DueAt(%v, %v) = %v (%v), want %v", tt.start, tt.before, got.UTC(), got, tt.want)
			}
			if got.Location() != tt.loc {
				t.Errorf("DueAt(%v, %v) is in %v, want %v", tt.start, tt.before, got.Location(), tt.loc)
			}
		})
	}
}

func TestDueAtKeepsWallClockAllYear(t *testing.T) {
	loc := tlPrague(t)
	for d := time.Date(2027, time.January, 1, 10, 0, 0, 0, loc); d.Year() == 2027; d = d.AddDate(0, 0, 1) {
		for _, before := range []time.Duration{tlDay, 3 * tlDay, 7 * tlDay, 14 * tlDay, -7 * tlDay} {
			got := DueAt(d, loc, before)
			if got.Hour() != 10 || got.Minute() != 0 || !got.Equal(d.AddDate(0, 0, -int(before/tlDay))) {
				t.Fatalf("DueAt(%v, %v) = %v, want 10:00 local %d days away", d, before, got, -before/tlDay)
			}
		}
	}
}

func TestTimelineCancellationNotice(t *testing.T) {
	loc := tlPrague(t)
	now := time.Date(2027, time.March, 10, 15, 4, 5, 0, loc)
	m := tlMeeting(time.Date(2027, time.March, 23, 10, 0, 0, 0, loc))
	m.Status = store.MeetingCancelled

	t.Run("notice is due now in the channel with the cancellation key", func(t *testing.T) {
		g := tlGroup()
		ns := CancellationNotices(g, m, now)
		if len(ns) != 1 {
			t.Fatalf("CancellationNotices = %d rows, want 1", len(ns))
		}
		n := ns[0]
		want := store.Notification{
			GroupID: 3, MeetingID: 12, Kind: KindCancellation, Due: now.UTC(), ChannelID: "111",
			IdempotencyKey: "m12:s1805792400:cancellation", Payload: "{}",
		}
		if *n != want {
			t.Errorf("CancellationNotice =\n %+v\nwant\n %+v", *n, want)
		}
		if n.Due.Location() != time.UTC {
			t.Errorf("due %v is not in UTC", n.Due)
		}
	})
	t.Run("key does not depend on now", func(t *testing.T) {
		a := CancellationNotices(tlGroup(), m, now)[0]
		b := CancellationNotices(tlGroup(), m, now.Add(time.Hour))[0]
		if a.IdempotencyKey != b.IdempotencyKey {
			t.Errorf("keys %q and %q differ", a.IdempotencyKey, b.IdempotencyKey)
		}
	})
	t.Run("no channel gives no notice", func(t *testing.T) {
		g := tlGroup()
		g.DiscordChannelID = ""
		if ns := CancellationNotices(g, m, now); len(ns) != 0 {
			t.Errorf("CancellationNotices = %+v, want none", ns)
		}
	})
	t.Run("a group reached by e-mail gets the CANCEL fan-out with the raised sequence", func(t *testing.T) {
		g := tlGroup()
		g.DiscordChannelID = ""
		g.EmailEnabled = true
		mm := *m
		mm.Sequence = 3
		ns := CancellationNotices(g, &mm, now)
		if len(ns) != 1 {
			t.Fatalf("CancellationNotices = %d rows, want 1", len(ns))
		}
		n := ns[0]
		if n.Channel != store.ChannelEmail || n.ChannelID != "group:3" || n.IdempotencyKey != "m12:cancellation:q3:mail" ||
			Sequence(n) != 3 {
			t.Errorf("mail cancellation = %+v", *n)
		}
		if k, ok := FanOut(n); !ok || k != KindCancellation {
			t.Errorf("FanOut = %v, %v; want cancellation, true", k, ok)
		}
	})
}

func TestTimelineEmail(t *testing.T) {
	loc := tlPrague(t)
	now := time.Date(2027, time.March, 1, 9, 0, 0, 0, loc)
	m := tlMeeting(time.Date(2027, time.March, 23, 10, 0, 0, 0, loc))
	m.Sequence = 2
	g := tlGroup()
	g.EmailEnabled = true
	g.EmailReminders = []time.Duration{7 * tlDay, tlDay}
	rows, err := Timeline(g, m, now)
	if err != nil {
		t.Fatal(err)
	}
	var mail []string
	for _, n := range rows {
		if n.Channel == store.ChannelEmail {
			mail = append(mail, n.IdempotencyKey)
			if n.ChannelID != "group:3" || n.MemberID != 0 {
				t.Errorf("mail row %s targets %q/%d, want the group", n.IdempotencyKey, n.ChannelID, n.MemberID)
			}
		}
	}
	want := []string{"m12:invitation:q2:mail", "m12:s1805792400:agenda_call:14d:mail",
		"m12:s1805792400:reminder:7d:mail", "m12:s1805792400:agenda_deadline:3d:mail", "m12:s1805792400:reminder:1d:mail"}
	if !slices.Equal(mail, want) {
		t.Errorf("mail rows = %q\nwant %q", mail, want)
	}

	// Without a channel, only the nudges and the mail rows remain.
	g.DiscordChannelID = ""
	rows, err = Timeline(g, m, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range rows {
		if n.ChannelID != "group:3" {
			t.Errorf("row %s targets %q without a channel", n.IdempotencyKey, n.ChannelID)
		}
		if n.Channel == store.ChannelDiscord && n.Kind != KindNudge && n.Kind != KindMinutesNudge {
			t.Errorf("chat row %s without a channel", n.IdempotencyKey)
		}
	}
	if len(rows) != len(want)+2 {
		t.Errorf("%d rows without a channel, want %d", len(rows), len(want)+2)
	}
}

func TestTimelineOffsetFormat(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{7 * tlDay, "7d"},
		{14 * tlDay, "14d"},
		{tlDay, "1d"},
		{time.Hour, "1h"},
		{30 * time.Minute, "30m"},
		{36 * time.Hour, "1d12h"},
		{90 * time.Minute, "1h30m"},
		{tlDay + 45*time.Second, "1d45s"},
		{1500 * time.Millisecond, "1.5s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatTimelineOffset(tt.in); got != tt.want {
				t.Errorf("formatTimelineOffset(%v) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
