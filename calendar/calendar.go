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
// its items as store.Agenda returns them; withdrawn items are left out. now
// becomes the DTSTAMP of every event. The calendar is rendered in memory and
// written to w in one piece, so nothing is written when it fails.
func Write(w io.Writer, g *store.Group, meetings []*store.Meeting, agendas map[int64][]*store.AgendaItem, now time.Time) error {
	if g == nil {
		return fmt.Errorf("calendar: no group")
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProductID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, "PUBLISH")
	cal.Props.SetText(ical.PropName, clean(g.Name))
	// The X-WR- and X-PUBLISHED-TTL properties are what Google Calendar and
	// Apple Calendar read for a subscribed calendar's name, default zone and
	// polling interval; RFC 7986 NAME and REFRESH-INTERVAL are their
	// standard twins.
	cal.Props.Set(xText("X-WR-CALNAME", clean(g.Name)))
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
		events = append(events, event(g, m, loc, agendas[m.ID], now))
	}
	if len(events) == 0 {
		// RFC 5545 wants at least one component, and a subscriber's client
		// may as well learn the group's zone.
		zones.cover(g.TimeZone, now, now)
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

// Feed loads the group with that slug, its meetings of every status that
// start at most a year before now, and their agendas, and writes them with
// Write. An unknown group gives an error wrapping store.ErrNotFound.
func Feed(ctx context.Context, w io.Writer, s *store.Store, groupSlug string, now time.Time) error {
	g, err := s.GroupBySlug(ctx, groupSlug)
	if err != nil {
		return fmt.Errorf("calendar: group %q: %w", groupSlug, err)
	}
	// A year of past meetings keeps recent history in people's calendars
	// without the feed growing forever.
	meetings, err := s.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, From: now.AddDate(-1, 0, 0)})
	if err != nil {
		return fmt.Errorf("calendar: group %q: %w", groupSlug, err)
	}
	agendas := make(map[int64][]*store.AgendaItem, len(meetings))
	for _, m := range meetings {
		items, err := s.Agenda(ctx, m.ID)
		if err != nil {
			return fmt.Errorf("calendar: meeting %d: %w", m.ID, err)
		}
		agendas[m.ID] = items
	}
	return Write(w, g, meetings, agendas, now)
}

// event builds the VEVENT of one meeting.
func event(g *store.Group, m *store.Meeting, loc *time.Location, agenda []*store.AgendaItem, now time.Time) *ical.Component {
	ev := ical.NewEvent()
	ev.Props.SetText(ical.PropUID, UID(m.ID))
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	ev.Props.Set(dateTime(ical.PropDateTimeStart, m.Start, loc))
	ev.Props.Set(dateTime(ical.PropDateTimeEnd, m.End(), loc))
	ev.Props.SetText(ical.PropSummary, clean(m.Title))
	// Any edit bumps updated_at, and a client only replaces its copy of an
	// event when SEQUENCE grows; Unix seconds fit an int32 until 2038.
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.FormatInt(max(m.UpdatedAt.Unix(), 0), 10)
	ev.Props.Set(seq)
	if !m.CreatedAt.IsZero() {
		ev.Props.SetDateTime(ical.PropCreated, m.CreatedAt.UTC())
	}
	if !m.UpdatedAt.IsZero() {
		ev.Props.SetDateTime(ical.PropLastModified, m.UpdatedAt.UTC())
	}
	if m.Status == store.MeetingCancelled {
		ev.SetStatus(ical.EventCancelled)
	} else {
		ev.SetStatus(ical.EventConfirmed)
	}
	switch {
	case strings.TrimSpace(m.Place) != "":
		ev.Props.SetText(ical.PropLocation, clean(m.Place))
	case m.OnlineURL != "":
		ev.Props.SetText(ical.PropLocation, clean(m.OnlineURL))
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
			accepted = append(accepted, clean(it.Title))
		case store.AgendaProposed:
			proposed = append(proposed, clean(it.Title))
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
		b.WriteString("\n\n" + txtOnline.In(lang) + " " + clean(m.OnlineURL))
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
