// Package calendar publishes a group's meetings as an iCalendar (RFC 5545)
// feed that people subscribe to from Google Calendar, Outlook, Thunderbird
// or their phone.
//
// Times are written as wall-clock times in the meeting's IANA zone (TZID)
// together with a VTIMEZONE generated from Go's time package, so a client
// shows the meeting at the planned local time on both sides of a
// daylight-saving change without relying on its own zone database.
//
// The feed is served over HTTP by Handler at an unguessable URL
// (/calendar/<slug>.ics?token=<secret>): calendar clients cannot log in, so
// the secret token in the URL is the only access control.
package calendar

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/emersion/go-ical"

	"coordbot/i18n"
	"coordbot/store"
)

// ProductID is the PRODID of every calendar coordbot writes.
const ProductID = "-//coordbot//coordbot//CS"

// UID returns the stable iCalendar UID of a meeting. It depends on the id
// only, so a client updates the same event when the meeting is edited.
func UID(meetingID int64) string {
	return "meeting-" + strconv.FormatInt(meetingID, 10) + "@coordbot"
}

// Write writes the group's meetings as an RFC 5545 calendar: one VEVENT per
// meeting and one VTIMEZONE per zone the meetings use (the group's zone when
// there are none), covering the years the meetings span.
//
// A meeting's DTSTART and DTEND are local times with a TZID of the meeting's
// zone (the group's when the meeting has none). agendas maps a meeting id to
// its items as store.Agenda returns them; withdrawn items are left out.
//
// The output depends on the arguments only, never on the clock: DTSTAMP is
// each event's last change (see Changed) and the VTIMEZONEs span the
// meetings, so an unchanged store gives the same bytes at every poll and a
// subscriber's HTTP cache can validate them. The calendar is rendered in
// memory and written to w in one piece, so nothing is written when it fails.
func Write(w io.Writer, g *store.Group, meetings []*store.Meeting, agendas map[int64][]*store.AgendaItem) error {
	if g == nil {
		return fmt.Errorf("calendar: no group")
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProductID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, "PUBLISH")
	cal.Props.SetText(ical.PropName, cleanLine(g.Name))
	// The X-WR- and X-PUBLISHED-TTL properties are what Google Calendar and
	// Apple Calendar read for a subscribed calendar's name, default zone and
	// polling interval; RFC 7986 NAME and REFRESH-INTERVAL are their
	// standard twins.
	cal.Props.Set(xText("X-WR-CALNAME", cleanLine(g.Name)))
	cal.Props.Set(xText("X-WR-TIMEZONE", g.TimeZone))
	cal.Props.Set(xText("X-PUBLISHED-TTL", "PT1H"))
	// RFC 7986 makes VALUE=DURATION mandatory here, and go-ical leaves
	// out a VALUE that is the default.
	refresh := ical.NewProp(ical.PropRefreshInterval)
	refresh.Params.Set(ical.ParamValue, string(ical.ValueDuration))
	refresh.Value = "PT1H"
	cal.Props.Set(refresh)

	zones := newZoneSet()
	if _, err := zones.load(g.TimeZone); err != nil {
		return fmt.Errorf("calendar: group %s: %w", g.Slug, err)
	}
	var events []*ical.Component
	for _, m := range meetings {
		if m == nil {
			continue
		}
		name := m.TimeZone
		if name == "" {
			name = g.TimeZone
		}
		loc, err := zones.load(name)
		if err != nil {
			return fmt.Errorf("calendar: meeting %d: %w", m.ID, err)
		}
		zones.cover(name, m.Start, m.End())
		events = append(events, event(g, m, loc, agendas[m.ID]))
	}
	if len(events) == 0 {
		// RFC 5545 wants at least one component, and a subscriber's client
		// may as well learn the group's zone. Any year describes it; the
		// group's own stamp keeps the bytes independent of the clock.
		at := stamp(g.UpdatedAt, g.CreatedAt)
		zones.cover(g.TimeZone, at, at)
	}
	// VTIMEZONEs first: some clients resolve TZIDs in a single pass.
	for _, name := range zones.names {
		if vtz := zones.vtimezone(name); vtz != nil {
			cal.Children = append(cal.Children, vtz)
		}
	}
	cal.Children = append(cal.Children, events...)

	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return fmt.Errorf("calendar: encode: %w", err)
	}
	if _, err := w.Write(fold(buf.Bytes())); err != nil {
		return fmt.Errorf("calendar: write: %w", err)
	}
	return nil
}

// Window selects a calendar's meetings by their start: From <= start < To.
// A zero bound leaves that side open.
type Window struct {
	From, To time.Time
}

// Recent is the window of the subscribed feed: meetings that started at
// most a year before now, and everything ahead. A year of past meetings
// keeps recent history in people's calendars without the feed growing
// forever.
func Recent(now time.Time) Window {
	return Window{From: now.AddDate(-1, 0, 0)}
}

// Calendar is one group's calendar as loaded from the store by Load.
type Calendar struct {
	Group    *store.Group
	Meetings []*store.Meeting // by start
	// Agendas maps a meeting id to its items, withdrawn ones included.
	Agendas map[int64][]*store.AgendaItem
	// Earlier is the start of the group's latest meeting before the
	// window, zero when there is none or the window has no start: the
	// feed last changed no earlier than when that meeting left it.
	Earlier time.Time
}

// Load reads the group with that slug, its meetings of every status that
// start within win, and their agendas. An unknown group gives an error
// wrapping store.ErrNotFound.
func Load(ctx context.Context, s *store.Store, groupSlug string, win Window) (*Calendar, error) {
	g, err := s.GroupBySlug(ctx, groupSlug)
	if err != nil {
		return nil, fmt.Errorf("calendar: group %q: %w", groupSlug, err)
	}
	meetings, err := s.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, From: win.From, To: win.To})
	if err != nil {
		return nil, fmt.Errorf("calendar: group %q: %w", groupSlug, err)
	}
	c := &Calendar{Group: g, Meetings: meetings, Agendas: make(map[int64][]*store.AgendaItem, len(meetings))}
	for _, m := range meetings {
		items, err := s.Agenda(ctx, m.ID)
		if err != nil {
			return nil, fmt.Errorf("calendar: meeting %d: %w", m.ID, err)
		}
		c.Agendas[m.ID] = items
	}
	if !win.From.IsZero() {
		before, err := s.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, To: win.From, Descending: true, Limit: 1})
		if err != nil {
			return nil, fmt.Errorf("calendar: group %q: %w", groupSlug, err)
		}
		if len(before) > 0 {
			c.Earlier = before[0].Start
		}
	}
	return c, nil
}

// Write writes the calendar with the package's Write.
func (c *Calendar) Write(w io.Writer) error {
	return Write(w, c.Group, c.Meetings, c.Agendas)
}

// LastModified is the newest change to anything the calendar shows: the
// group (its name and language) and every event (see Changed). It does not
// see a meeting leave the window; Earlier tells when that can have happened.
func (c *Calendar) LastModified() time.Time {
	last := c.Group.UpdatedAt
	for _, m := range c.Meetings {
		last = later(last, Changed(m, c.Agendas[m.ID]))
	}
	return last
}

// Feed loads the group's meetings within win with Load and writes them with
// Write. An unknown group gives an error wrapping store.ErrNotFound.
func Feed(ctx context.Context, w io.Writer, s *store.Store, groupSlug string, win Window) error {
	c, err := Load(ctx, s, groupSlug, win)
	if err != nil {
		return err
	}
	return c.Write(w)
}

// Changed is the last change to what a meeting's event shows: the meeting
// itself or an item of its agenda (whose titles make the description).
// It is zero when neither carries a stamp.
func Changed(m *store.Meeting, agenda []*store.AgendaItem) time.Time {
	last := later(m.CreatedAt, m.UpdatedAt)
	for _, it := range agenda {
		last = later(last, later(it.CreatedAt, it.UpdatedAt))
	}
	return last
}

// later returns the later of two instants.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// stamp returns the first non-zero instant, or the Unix epoch: a DTSTAMP
// must be there, and a fixed one keeps the output independent of the clock.
func stamp(ts ...time.Time) time.Time {
	for _, t := range ts {
		if !t.IsZero() {
			return t
		}
	}
	return time.Unix(0, 0)
}

// event builds the VEVENT of one meeting.
func event(g *store.Group, m *store.Meeting, loc *time.Location, agenda []*store.AgendaItem) *ical.Component {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, UID(m.ID))
	// Under a METHOD, RFC 5545 (3.8.7.2) makes DTSTAMP the time the object
	// was created. An unchanged event is the object made at its last
	// change, and that instant keeps the feed byte-identical between
	// polls, where the request time made every poll of every subscriber
	// download a "changed" calendar.
	changed := Changed(m, agenda)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp(changed).UTC())
	ev.Props.Set(dateTime(ical.PropDateTimeStart, m.Start, loc))
	ev.Props.Set(dateTime(ical.PropDateTimeEnd, m.End(), loc))
	ev.Props.SetText(ical.PropSummary, cleanLine(m.Title))
	// Any edit bumps updated_at, and a client only replaces its copy of an
	// event when SEQUENCE grows; Unix seconds fit an int32 until 2038.
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.FormatInt(max(m.UpdatedAt.Unix(), 0), 10)
	ev.Props.Set(seq)
	if !m.CreatedAt.IsZero() {
		ev.Props.SetDateTime(ical.PropCreated, m.CreatedAt.UTC())
	}
	if !changed.IsZero() {
		ev.Props.SetDateTime(ical.PropLastModified, changed.UTC())
	}
	if m.Status == store.MeetingCancelled {
		ev.SetStatus(ical.EventCancelled)
	} else {
		ev.SetStatus(ical.EventConfirmed)
	}
	switch {
	case strings.TrimSpace(m.Place) != "":
		ev.Props.SetText(ical.PropLocation, cleanLine(m.Place))
	case m.OnlineURL != "":
		ev.Props.SetText(ical.PropLocation, cleanLine(m.OnlineURL))
	}
	// A link that does not parse still reaches people through LOCATION or
	// DESCRIPTION; only the URL property needs a valid URI.
	if u, err := url.Parse(m.OnlineURL); err == nil && m.OnlineURL != "" && u.Scheme != "" {
		ev.Props.SetURI(ical.PropURL, u)
	}
	ev.Props.SetText(ical.PropDescription, description(g.Locale, m, agenda))
	return ev.Component
}

// xText returns a TEXT property without the VALUE=TEXT parameter go-ical
// adds to properties it does not know.
func xText(name, text string) *ical.Prop {
	p := ical.NewProp(name)
	p.SetText(text)
	p.Params.Del(ical.ParamValue)
	return p
}

// dateTime returns a DATE-TIME property for t: local time with the zone's
// TZID, or UTC when the zone is UTC or when the local time is the second of
// two equal wall-clock times in an autumn overlap, which RFC 5545 (3.3.5)
// would resolve to the first.
func dateTime(name string, t time.Time, loc *time.Location) *ical.Prop {
	p := ical.NewProp(name)
	local := t.In(loc)
	if loc == time.UTC || repeatedWallClock(local) {
		p.SetDateTime(t.UTC())
	} else {
		p.SetDateTime(local)
	}
	return p
}

// repeatedWallClock reports whether t's wall-clock time already occurred
// earlier, just before the clocks were set back.
func repeatedWallClock(t time.Time) bool {
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return false
	}
	_, off := t.Zone()
	_, prev := start.Add(-time.Second).Zone()
	back := time.Duration(prev-off) * time.Second
	return back > 0 && t.Sub(start) < back
}

// Headings of the description.
var (
	txtAgenda   = i18n.Text{CS: "Program:", EN: "Agenda:"}
	txtProposed = i18n.Text{CS: "Navržené body:", EN: "Proposed items:"}
	txtNoAgenda = i18n.Text{CS: "Program zatím není.", EN: "No agenda yet."}
	txtOnline   = i18n.Text{CS: "Online:", EN: "Online:"}
)

// description is the event text: the accepted agenda items numbered in
// order, then the proposed ones, then the online link, in the group's
// language (Czech unless it is English).
func description(lang i18n.Lang, m *store.Meeting, agenda []*store.AgendaItem) string {
	var accepted, proposed []string
	for _, it := range agenda {
		switch it.Status {
		case store.AgendaAccepted:
			accepted = append(accepted, cleanLine(it.Title))
		case store.AgendaProposed:
			proposed = append(proposed, cleanLine(it.Title))
		}
	}
	var b strings.Builder
	if len(accepted) > 0 {
		b.WriteString(txtAgenda.In(lang))
		for i, title := range accepted {
			fmt.Fprintf(&b, "\n%d. %s", i+1, title)
		}
	}
	if len(proposed) > 0 {
		if b.Len() > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(txtProposed.In(lang))
		for _, title := range proposed {
			b.WriteString("\n– " + title)
		}
	}
	if b.Len() == 0 {
		b.WriteString(txtNoAgenda.In(lang))
	}
	if m.OnlineURL != "" {
		b.WriteString("\n\n" + txtOnline.In(lang) + " " + cleanLine(m.OnlineURL))
	}
	return b.String()
}

// clean makes text safe for an iCalendar TEXT value: line breaks become
// LF (which go-ical escapes as \n) and other control characters, which RFC
// 5545 forbids and go-ical would refuse, are dropped.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r':
			return '\n'
		case unicode.IsControl(r) || r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// cleanLine makes text safe for a one-line iCalendar TEXT value (a name,
// a summary, a location, an agenda title in the description's list): like
// clean, and each run of line breaks and tabs becomes one space, so rows
// stored before the core kept such fields on one line read as one line.
func cleanLine(s string) string {
	return strings.Join(strings.FieldsFunc(clean(s), func(r rune) bool { return r == '\n' || r == '\t' }), " ")
}

// fold breaks content lines longer than 75 octets (RFC 5545 3.1) with CRLF
// and a space, never inside a UTF-8 sequence; go-ical does not fold.
func fold(b []byte) []byte {
	const limit = 75
	out := make([]byte, 0, len(b)+len(b)/limit*3)
	for len(b) > 0 {
		line := b
		next := []byte(nil)
		if i := bytes.Index(b, []byte("\r\n")); i >= 0 {
			line, next = b[:i], b[i+2:]
		}
		width := limit
		for len(line) > width {
			cut := width
			for cut > 0 && !utf8.RuneStart(line[cut]) {
				cut--
			}
			out = append(out, line[:cut]...)
			out = append(out, "\r\n "...)
			line = line[cut:]
			width = limit - 1 // the leading space counts
		}
		out = append(out, line...)
		out = append(out, "\r\n"...)
		b = next
	}
	return out
}
