package calendar

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"coordbot/i18n"
	"coordbot/store"
)

// MustOpenStore opens a real store in a temporary directory with a fixed
// clock for its created/updated stamps.
func MustOpenStore(tb testing.TB) *store.Store {
	tb.Helper()
	s, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	s.Now = func() time.Time { return time.Date(2027, 2, 1, 12, 0, 0, 0, time.UTC) }
	return s
}

func mustLoad(tb testing.TB, name string) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// fixture is a Prague group with meetings on both sides of the 2027 DST
// changes, a cancelled one, one too old for the feed and one of another
// group.
type fixture struct {
	store    *store.Store
	group    *store.Group
	meetings []*store.Meeting // those the feed must contain
	titles   map[int64][]string
	now      time.Time
	// agendaAt is the store's clock when the agendas were written, after
	// the meetings were created.
	agendaAt time.Time
}

const (
	accepted1 = "Rozpočet na rok 2028"
	proposed1 = "Žádost o dotaci; různé, ostatní"
	// Long enough to be folded, with multi-byte letters around the fold.
	accepted2 = "Příliš žluťoučký kůň úpěl ďábelské ódy – čeština s diakritikou, která se musí zalomit"
	withdrawn = "Stažený bod"
)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	s := MustOpenStore(t)
	prague := mustLoad(t, "Europe/Prague")
	g := &store.Group{Slug: "kraj", Name: "Krajská skupina, Praha", TimeZone: "Europe/Prague", Locale: i18n.Czech}
	if err := s.UpsertGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	other := &store.Group{Slug: "jina", Name: "Jiná", TimeZone: "Europe/Prague", Locale: i18n.Czech}
	if err := s.UpsertGroup(ctx, other); err != nil {
		t.Fatal(err)
	}
	f := &fixture{store: s, group: g, titles: map[int64][]string{}, now: time.Date(2027, 3, 1, 8, 0, 0, 0, time.UTC)}
	create := func(g *store.Group, m *store.Meeting) *store.Meeting {
		t.Helper()
		m.GroupID = g.ID
		if err := s.CreateMeeting(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	before := create(g, &store.Meeting{Title: "Schůze před změnou času", Start: time.Date(2027, 3, 23, 10, 0, 0, 0, prague),
		Place: "Krajský úřad, zasedačka č. 3"})
	after := create(g, &store.Meeting{Title: "Porada – letní čas", Start: time.Date(2027, 3, 29, 10, 0, 0, 0, prague),
		OnlineURL: "https://meet.example.org/kraj?x=1;y=2", Duration: 90 * time.Minute})
	autumn := create(g, &store.Meeting{Title: "Listopadová schůze", Start: time.Date(2027, 11, 1, 10, 0, 0, 0, prague),
		Place: "Hospoda U Čápa", OnlineURL: "https://meet.example.org/listopad"})
	cancelled := create(g, &store.Meeting{Title: "Zrušená schůze", Start: time.Date(2027, 4, 15, 18, 0, 0, 0, prague)})
	create(g, &store.Meeting{Title: "Stará schůze", Start: time.Date(2025, 6, 1, 10, 0, 0, 0, prague)})
	create(other, &store.Meeting{Title: "Cizí schůze", Start: time.Date(2027, 3, 24, 10, 0, 0, 0, prague)})

	// The test data must really sit on both sides of the changes.
	for m, want := range map[*store.Meeting]string{before: "09:00", after: "08:00", autumn: "09:00"} {
		if got := m.Start.UTC().Format("15:04"); got != want {
			t.Fatalf("%s starts %s UTC, want %s", m.Title, got, want)
		}
	}

	f.agendaAt = time.Date(2027, 2, 10, 9, 30, 0, 0, time.UTC)
	s.Now = func() time.Time { return f.agendaAt }
	c, err := s.CancelMeeting(ctx, cancelled.ID)
	if err != nil {
		t.Fatal(err)
	}
	*cancelled = *c

	for _, it := range []struct {
		title, status string
	}{{accepted1, store.AgendaAccepted}, {proposed1, store.AgendaProposed}, {accepted2, store.AgendaAccepted}, {withdrawn, store.AgendaWithdrawn}} {
		item := &store.AgendaItem{MeetingID: before.ID, Title: it.title}
		if err := s.AddAgendaItem(ctx, item); err != nil {
			t.Fatal(err)
		}
		if it.status != store.AgendaProposed {
			if err := s.SetAgendaStatus(ctx, item.ID, it.status); err != nil {
				t.Fatal(err)
			}
		}
	}
	f.titles[before.ID] = []string{accepted1, accepted2, proposed1}
	if err := s.AddAgendaItem(ctx, &store.AgendaItem{MeetingID: autumn.ID, Title: "Volba předsedy"}); err != nil {
		t.Fatal(err)
	}
	f.titles[autumn.ID] = []string{"Volba předsedy"}
	f.meetings = []*store.Meeting{before, after, cancelled, autumn}
	return f
}

func (f *fixture) feed(t *testing.T, now time.Time) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Feed(context.Background(), &buf, f.store, f.group.Slug, Recent(now)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func decode(t *testing.T, b []byte) *ical.Calendar {
	t.Helper()
	cal, err := ical.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, b)
	}
	return cal
}

func text(t *testing.T, c *ical.Component, name string) string {
	t.Helper()
	p := c.Props.Get(name)
	if p == nil {
		t.Fatalf("%s has no %s", c.Name, name)
	}
	s, err := p.Text()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func eventsByUID(t *testing.T, cal *ical.Calendar) map[string]ical.Event {
	t.Helper()
	out := map[string]ical.Event{}
	for _, ev := range cal.Events() {
		uid := text(t, ev.Component, ical.PropUID)
		if _, dup := out[uid]; dup {
			t.Fatalf("UID %s twice", uid)
		}
		out[uid] = ev
	}
	return out
}

func timezones(cal *ical.Calendar) map[string]*ical.Component {
	out := map[string]*ical.Component{}
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			out[c.Props.Get(ical.PropTimezoneID).Value] = c
		}
	}
	return out
}

// tzObservance is one parsed STANDARD or DAYLIGHT component.
type tzObservance struct {
	onset    time.Time // UTC
	from, to int       // seconds east of UTC
}

func parseOffset(t *testing.T, s string) int {
	t.Helper()
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		t.Fatalf("bad UTC offset %q", s)
	}
	n := func(i int) int {
		v, err := strconv.Atoi(s[i : i+2])
		if err != nil {
			t.Fatalf("bad UTC offset %q", s)
		}
		return v
	}
	secs := n(1)*3600 + n(3)*60
	if len(s) == 7 {
		secs += n(5)
	}
	if s[0] == '-' {
		secs = -secs
	}
	return secs
}

// observances parses a VTIMEZONE the way a client without a zone database
// would, independently of Go's zone data.
func observances(t *testing.T, vtz *ical.Component) []tzObservance {
	t.Helper()
	var obs []tzObservance
	for _, c := range vtz.Children {
		if c.Name != ical.CompTimezoneStandard && c.Name != ical.CompTimezoneDaylight {
			t.Fatalf("unexpected %s in VTIMEZONE", c.Name)
		}
		if c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceDates) != nil {
			t.Fatal("resolver does not handle RRULE/RDATE")
		}
		local, err := time.Parse("20060102T150405", c.Props.Get(ical.PropDateTimeStart).Value)
		if err != nil {
			t.Fatal(err)
		}
		o := tzObservance{
			from: parseOffset(t, c.Props.Get(ical.PropTimezoneOffsetFrom).Value),
			to:   parseOffset(t, c.Props.Get(ical.PropTimezoneOffsetTo).Value),
		}
		o.onset = local.Add(-time.Duration(o.from) * time.Second)
		obs = append(obs, o)
	}
	sort.Slice(obs, func(i, j int) bool { return obs[i].onset.Before(obs[j].onset) })
	return obs
}

// resolve turns a wall-clock time (its fields read as UTC) into an instant
// with the observances: the observance in effect at the result must be the
// one whose offset was used, and of two candidates in an overlap the
// earlier wins (RFC 5545 3.3.5).
func resolve(obs []tzObservance, wall time.Time) (time.Time, error) {
	var best time.Time
	for i, o := range obs {
		u := wall.Add(-time.Duration(o.to) * time.Second)
		if u.Before(o.onset) || (i+1 < len(obs) && !u.Before(obs[i+1].onset)) {
			continue
		}
		if best.IsZero() || u.Before(best) {
			best = u
		}
	}
	if best.IsZero() {
		return best, fmt.Errorf("wall time %s not covered", wall.Format(time.DateTime))
	}
	return best, nil
}

// resolveProp resolves a DTSTART/DTEND through the calendar's VTIMEZONEs.
func resolveProp(t *testing.T, cal *ical.Calendar, p *ical.Prop) time.Time {
	t.Helper()
	if strings.HasSuffix(p.Value, "Z") {
		u, err := time.Parse("20060102T150405Z", p.Value)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tzid := p.Params.Get(ical.PropTimezoneID)
	vtz := timezones(cal)[tzid]
	if vtz == nil {
		t.Fatalf("%s:%s: no VTIMEZONE %q", p.Name, p.Value, tzid)
	}
	wall, err := time.Parse("20060102T150405", p.Value)
	if err != nil {
		t.Fatal(err)
	}
	u, err := resolve(observances(t, vtz), wall)
	if err != nil {
		t.Fatalf("%s:%s: %v", p.Name, p.Value, err)
	}
	return u
}

func TestFeedRoundTrip(t *testing.T) {
	f := newFixture(t)
	out := f.feed(t, f.now)
	cal := decode(t, out)
	events := eventsByUID(t, cal)

	t.Run("one_event_per_meeting", func(t *testing.T) {
		if len(events) != len(f.meetings) {
			t.Fatalf("%d events, want %d:\n%s", len(events), len(f.meetings), out)
		}
		for _, m := range f.meetings {
			if _, ok := events[fmt.Sprintf("meeting-%d@coordbot", m.ID)]; !ok {
				t.Errorf("no event for meeting %d %q", m.ID, m.Title)
			}
		}
	})

	t.Run("uids_stable_across_renders", func(t *testing.T) {
		again := eventsByUID(t, decode(t, f.feed(t, f.now.Add(36*time.Hour))))
		if !slices.Equal(sortedKeys(events), sortedKeys(again)) {
			t.Errorf("UIDs changed: %v vs %v", sortedKeys(events), sortedKeys(again))
		}
	})

	t.Run("calendar_properties", func(t *testing.T) {
		if got := text(t, cal.Component, ical.PropProductID); got != "-//coordbot//coordbot//CS" {
			t.Errorf("PRODID %q", got)
		}
		if got := text(t, cal.Component, ical.PropVersion); got != "2.0" {
			t.Errorf("VERSION %q", got)
		}
		if got := text(t, cal.Component, "X-WR-CALNAME"); got != f.group.Name {
			t.Errorf("X-WR-CALNAME %q", got)
		}
	})

	t.Run("vtimezone_for_group_zone", func(t *testing.T) {
		vtz := timezones(cal)["Europe/Prague"]
		if vtz == nil {
			t.Fatalf("no VTIMEZONE Europe/Prague:\n%s", out)
		}
		if len(timezones(cal)) != 1 {
			t.Errorf("VTIMEZONEs %v, want only Europe/Prague", timezones(cal))
		}
		var kinds []string
		for _, c := range vtz.Children {
			kinds = append(kinds, c.Name+" "+c.Props.Get(ical.PropDateTimeStart).Value+" "+c.Props.Get(ical.PropTimezoneName).Value)
		}
		// The meetings are all in 2027: the winter time in force on 1
		// January (since October 2026), then the two 2027 changes.
		want := []string{
			"STANDARD 20261025T030000 CET",
			"DAYLIGHT 20270328T020000 CEST", "STANDARD 20271031T030000 CET",
		}
		if !slices.Equal(kinds, want) {
			t.Errorf("observances\n%q\nwant\n%q", kinds, want)
		}
	})

	for _, m := range f.meetings {
		ev := events[fmt.Sprintf("meeting-%d@coordbot", m.ID)]
		if ev.Component == nil {
			continue
		}
		t.Run("meeting_"+strconv.FormatInt(m.ID, 10)+"_round_trips", func(t *testing.T) {
			for _, p := range []struct {
				name string
				want time.Time
			}{{ical.PropDateTimeStart, m.Start}, {ical.PropDateTimeEnd, m.End()}} {
				prop := ev.Props.Get(p.name)
				if tz := prop.Params.Get(ical.PropTimezoneID); tz != "Europe/Prague" || strings.HasSuffix(prop.Value, "Z") {
					t.Errorf("%s;TZID=%s:%s, want a Europe/Prague local time", p.name, tz, prop.Value)
				}
				if got := resolveProp(t, cal, prop); !got.Equal(p.want) {
					t.Errorf("%s via VTIMEZONE = %v, want %v", p.name, got.UTC(), p.want.UTC())
				}
				if got, err := prop.DateTime(nil); err != nil || !got.Equal(p.want) {
					t.Errorf("%s via go-ical DateTime = %v, %v, want %v", p.name, got.UTC(), err, p.want.UTC())
				}
			}
			if got := text(t, ev.Component, ical.PropSummary); got != m.Title {
				t.Errorf("SUMMARY %q, want %q", got, m.Title)
			}
			wantStatus := ical.EventConfirmed
			if m.Status == store.MeetingCancelled {
				wantStatus = ical.EventCancelled
			}
			if got, err := ev.Status(); err != nil || got != wantStatus {
				t.Errorf("STATUS %q, %v, want %q", got, err, wantStatus)
			}
			if got, err := ev.Props.Get(ical.PropSequence).Int(); err != nil || int64(got) != m.UpdatedAt.Unix() {
				t.Errorf("SEQUENCE %d, %v, want %d", got, err, m.UpdatedAt.Unix())
			}
			// DTSTAMP and LAST-MODIFIED are the event's last change: the
			// agenda items were added after the meetings were created.
			wantStamp := m.UpdatedAt
			if len(f.titles[m.ID]) > 0 {
				wantStamp = f.agendaAt
			}
			for _, name := range []string{ical.PropDateTimeStamp, ical.PropLastModified} {
				if got, err := ev.Props.DateTime(name, nil); err != nil || !got.Equal(wantStamp) {
					t.Errorf("%s %v, %v, want %v", name, got, err, wantStamp)
				}
			}
			desc := text(t, ev.Component, ical.PropDescription)
			last := -1
			for _, title := range f.titles[m.ID] {
				i := strings.Index(desc, title)
				if i < 0 || i < last {
					t.Errorf("DESCRIPTION %q lacks %q in order", desc, title)
				}
				last = i
			}
			if strings.Contains(desc, withdrawn) {
				t.Errorf("DESCRIPTION %q has the withdrawn item", desc)
			}
			if m.OnlineURL != "" {
				if got := ev.Props.Get(ical.PropURL); got == nil || got.Value != m.OnlineURL {
					t.Errorf("URL %v, want %s", got, m.OnlineURL)
				}
			}
			wantLoc := m.Place
			if wantLoc == "" {
				wantLoc = m.OnlineURL
			}
			if wantLoc != "" {
				if got := text(t, ev.Component, ical.PropLocation); got != wantLoc {
					t.Errorf("LOCATION %q, want %q", got, wantLoc)
				}
			}
		})
	}

	t.Run("agenda_numbered_then_proposed", func(t *testing.T) {
		ev := events[fmt.Sprintf("meeting-%d@coordbot", f.meetings[0].ID)]
		want := "Program:\n1. " + accepted1 + "\n2. " + accepted2 + "\n\nNavržené body:\n– " + proposed1
		if got := text(t, ev.Component, ical.PropDescription); got != want {
			t.Errorf("DESCRIPTION\n%q\nwant\n%q", got, want)
		}
	})

	t.Run("lines_folded_crlf_utf8", func(t *testing.T) {
		if !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Error("output does not end with CRLF")
		}
		folded := false
		for i, line := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
			if strings.Contains(line, "\n") {
				t.Errorf("line %d has a bare LF", i+1)
			}
			if len(line) > 75 {
				t.Errorf("line %d has %d octets: %q", i+1, len(line), line)
			}
			if !utf8.ValidString(line) {
				t.Errorf("line %d splits a UTF-8 sequence: %q", i+1, line)
			}
			folded = folded || strings.HasPrefix(line, " ")
		}
		if !folded {
			t.Error("no line was folded")
		}
		if !strings.Contains(string(out), "Příliš") || !strings.Contains(string(out), "Čápa") {
			t.Error("Czech diacritics lost")
		}
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestFeedUnknownGroupIsNotFound(t *testing.T) {
	s := MustOpenStore(t)
	err := Feed(context.Background(), io.Discard, s, "nikdo", Recent(time.Now()))
	if err == nil || !strings.HasPrefix(err.Error(), "calendar: ") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v, want store.ErrNotFound", err)
	}
}

// TestVTimezoneResolvesEveryWallClock checks the generated VTIMEZONE
// against Go's zone data for every quarter hour of several years, in zones
// with EU, US and southern-hemisphere rules, half-hour DST, no DST, an
// abolished DST and negative DST.
func TestVTimezoneResolvesEveryWallClock(t *testing.T) {
	zones := []string{
		"Europe/Prague", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "Asia/Kolkata",
		"Asia/Kathmandu", "America/Sao_Paulo", "Europe/Dublin", "Africa/Casablanca", "UTC", "Etc/GMT+5",
	}
	for _, name := range zones {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			loc := mustLoad(t, name)
			from := time.Date(2018, 1, 1, 0, 0, 0, 0, loc)
			to := time.Date(2028, 12, 31, 23, 45, 0, 0, loc)
			g := &store.Group{Slug: "z", Name: "Z", TimeZone: name, Locale: i18n.English}
			ms := []*store.Meeting{
				{ID: 1, Title: "first", Start: from, TimeZone: name, Duration: time.Hour},
				{ID: 2, Title: "last", Start: to.Add(-time.Hour), TimeZone: name, Duration: time.Hour},
			}
			var buf bytes.Buffer
			if err := Write(&buf, g, ms, nil); err != nil {
				t.Fatal(err)
			}
			cal := decode(t, buf.Bytes())
			vtz := timezones(cal)[name]
			if vtz == nil {
				t.Fatalf("no VTIMEZONE %s", name)
			}
			obs := observances(t, vtz)
			repeated := 0
			for u := from; !u.After(to); u = u.Add(15 * time.Minute) {
				local := u.In(loc)
				wall := time.Date(local.Year(), local.Month(), local.Day(), local.Hour(), local.Minute(), 0, 0, time.UTC)
				got, err := resolve(obs, wall)
				if err != nil {
					t.Fatal(err)
				}
				if repeatedWallClock(local) {
					repeated++
					if !got.Before(u) || got.In(loc).Format(time.DateTime) != local.Format(time.DateTime) {
						t.Fatalf("repeated %s resolved to %v, want the earlier same wall time", local, got.In(loc))
					}
					continue
				}
				if !got.Equal(u) {
					t.Fatalf("%s (%v) resolved to %v", local, u.UTC(), got.UTC())
				}
			}
			t.Logf("%d observances, %d repeated quarter hours", len(obs), repeated)
		})
	}
}

func TestWriteRepeatedWallClockUsesUTC(t *testing.T) {
	prague := mustLoad(t, "Europe/Prague")
	g := &store.Group{Slug: "kraj", Name: "Kraj", TimeZone: "Europe/Prague", Locale: i18n.Czech}
	first := time.Date(2027, 10, 31, 0, 30, 0, 0, time.UTC)  // 02:30 CEST
	second := time.Date(2027, 10, 31, 1, 30, 0, 0, time.UTC) // 02:30 CET
	if a, b := first.In(prague).Format("15:04"), second.In(prague).Format("15:04"); a != "02:30" || b != "02:30" {
		t.Fatalf("test instants are %s and %s in Prague", a, b)
	}
	ms := []*store.Meeting{
		{ID: 1, Title: "první", Start: first, TimeZone: "Europe/Prague", Duration: 30 * time.Minute},
		{ID: 2, Title: "druhá", Start: second, TimeZone: "Europe/Prague", Duration: 30 * time.Minute},
	}
	var buf bytes.Buffer
	if err := Write(&buf, g, ms, nil); err != nil {
		t.Fatal(err)
	}
	cal := decode(t, buf.Bytes())
	events := eventsByUID(t, cal)
	for _, m := range ms {
		p := events[UID(m.ID)].Props.Get(ical.PropDateTimeStart)
		if utc := strings.HasSuffix(p.Value, "Z"); utc != (m.ID == 2) {
			t.Errorf("meeting %d DTSTART %s;%v, UTC form %v", m.ID, p.Value, p.Params, utc)
		}
		if got := resolveProp(t, cal, p); !got.Equal(m.Start) {
			t.Errorf("meeting %d resolves to %v, want %v", m.ID, got, m.Start)
		}
	}
}

func TestWriteWithoutMeetings(t *testing.T) {
	g := &store.Group{Slug: "kraj", Name: "Kraj", TimeZone: "Europe/Prague", Locale: i18n.Czech}
	var buf bytes.Buffer
	if err := Write(&buf, g, nil, nil); err != nil {
		t.Fatal(err)
	}
	cal := decode(t, buf.Bytes())
	if n := len(cal.Events()); n != 0 {
		t.Errorf("%d events", n)
	}
	if timezones(cal)["Europe/Prague"] == nil {
		t.Errorf("no VTIMEZONE:\n%s", buf.Bytes())
	}
}

func TestWriteRejectsBadZone(t *testing.T) {
	g := &store.Group{Slug: "kraj", Name: "Kraj", TimeZone: "Europe/Prague"}
	ms := []*store.Meeting{{ID: 7, Title: "x", Start: time.Now(), TimeZone: "Mars/Olympus", Duration: time.Hour}}
	var buf bytes.Buffer
	err := Write(&buf, g, ms, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "calendar: meeting 7") {
		t.Fatalf("err = %v", err)
	}
	if buf.Len() != 0 {
		t.Error("wrote a partial calendar")
	}
}

func TestDescription(t *testing.T) {
	items := []*store.AgendaItem{
		{Title: "B", Status: store.AgendaProposed},
		{Title: "A", Status: store.AgendaAccepted},
		{Title: "W", Status: store.AgendaWithdrawn},
		{Title: "C\r\nD", Status: store.AgendaAccepted},
	}
	tests := []struct {
		name   string
		locale i18n.Lang
		online string
		items  []*store.AgendaItem
		want   string
	}{
		{"czech", i18n.Czech, "", items, "Program:\n1. A\n2. C D\n\nNavržené body:\n– B"},
		{"english", i18n.English, "", items, "Agenda:\n1. A\n2. C D\n\nProposed items:\n– B"},
		{"unknown_locale_is_czech", "de", "", items[:1], "Navržené body:\n– B"},
		{"empty_czech", i18n.Czech, "", nil, "Program zatím není."},
		{"empty_english_online", i18n.English, "https://x.example", items[2:3], "No agenda yet.\n\nOnline: https://x.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := description(tt.locale, &store.Meeting{OnlineURL: tt.online}, tt.items)
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestUTCOffset(t *testing.T) {
	for secs, want := range map[int]string{0: "+0000", 3600: "+0100", -18000: "-0500", 19800: "+0530", 20700: "+0545", 3600 + 1800 + 16: "+013016", -(3*3600 + 30*60): "-0330"} {
		if got := utcOffset(secs); got != want {
			t.Errorf("utcOffset(%d) = %q, want %q", secs, got, want)
		}
	}
}

// lockedBuffer is a log sink the server goroutines can share.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestHandler(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.store.UpsertGroup(ctx, &store.Group{Slug: "bez", Name: "Bez tokenu"}); err != nil {
		t.Fatal(err)
	}
	const (
		token      = "s3cret-token-0123456789abcdef"
		ghostToken = "ghost-token-0123456789abcdef"
	)
	tokens := map[string]string{"kraj": token, "bez": "", "duch": ghostToken}
	var logs lockedBuffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	mux := http.NewServeMux()
	mux.Handle("/calendar/", Handler(f.store, tokens, logger, func() time.Time { return f.now }))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	tokens["kraj"] = "changed-after-the-fact" // Handler keeps its own copy

	do := func(t *testing.T, method, path string) (*http.Response, []byte) {
		t.Helper()
		req, err := http.NewRequestWithContext(ctx, method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, body
	}

	t.Run("correct_token_serves_calendar", func(t *testing.T) {
		resp, body := do(t, http.MethodGet, "/calendar/kraj.ics?token="+token)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "private") {
			t.Errorf("Cache-Control %q", cc)
		}
		if n := len(decode(t, body).Events()); n != len(f.meetings) {
			t.Errorf("%d events, want %d", n, len(f.meetings))
		}
	})

	t.Run("head_has_headers_no_body", func(t *testing.T) {
		resp, body := do(t, http.MethodHead, "/calendar/kraj.ics?token="+token)
		if resp.StatusCode != http.StatusOK || len(body) != 0 {
			t.Fatalf("status %d, %d body bytes", resp.StatusCode, len(body))
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/calendar; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if resp.ContentLength <= 0 {
			t.Errorf("Content-Length %d", resp.ContentLength)
		}
	})

	var notFound []byte
	for _, tt := range []struct{ name, path string }{
		{"wrong_token", "/calendar/kraj.ics?token=" + token + "x"},
		{"wrong_token_same_length", "/calendar/kraj.ics?token=" + strings.ToUpper(token)},
		{"missing_token", "/calendar/kraj.ics"},
		{"empty_token", "/calendar/kraj.ics?token="},
		{"other_groups_token", "/calendar/kraj.ics?token=" + ghostToken},
		{"unknown_group", "/calendar/nikdo.ics?token=" + token},
		{"group_without_token_empty", "/calendar/bez.ics?token="},
		{"group_without_token_missing", "/calendar/bez.ics"},
		{"group_without_token_guess", "/calendar/bez.ics?token=" + token},
		{"token_but_group_not_in_store", "/calendar/duch.ics?token=" + ghostToken},
		{"no_ics_suffix", "/calendar/kraj?token=" + token},
		{"sub_path", "/calendar/kraj.ics/x?token=" + token},
		{"empty_slug", "/calendar/.ics?token="},
	} {
		t.Run(tt.name+"_is_404", func(t *testing.T) {
			resp, body := do(t, http.MethodGet, tt.path)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if notFound == nil {
				notFound = body
			}
			if !bytes.Equal(body, notFound) {
				t.Errorf("body %q differs from %q", body, notFound)
			}
			if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/calendar") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		t.Run(method+"_is_405", func(t *testing.T) {
			resp, _ := do(t, method, "/calendar/kraj.ics?token="+token)
			if resp.StatusCode != http.StatusMethodNotAllowed {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if allow := resp.Header.Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("Allow %q", allow)
			}
		})
	}

	t.Run("plain_client_get", func(t *testing.T) {
		// What `curl "$URL/calendar/kraj.ics?token=…"` does.
		resp, err := http.Get(srv.URL + "/calendar/kraj.ics?token=" + token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK || !bytes.HasPrefix(body, []byte("BEGIN:VCALENDAR\r\n")) {
			t.Fatalf("status %d, body %.40q", resp.StatusCode, body)
		}
	})

	srv.Close()
	log := logs.String()
	if !strings.Contains(log, "group_slug=duch") {
		t.Errorf("the configured group missing from the store was not logged:\n%s", log)
	}
	for _, secret := range []string{token, ghostToken} {
		if strings.Contains(log, secret) {
			t.Errorf("a token leaked into the log:\n%s", log)
		}
	}
}
