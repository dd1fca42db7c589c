package calendar

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"coordbot/store"
)

// iTIP methods (RFC 5546) of the invitations coordbot mails.
const (
	// MethodRequest invites the attendee to the meeting, or updates an
	// invitation already sent (a higher SEQUENCE).
	MethodRequest = "REQUEST"
	// MethodCancel tells the attendee the meeting is cancelled.
	MethodCancel = "CANCEL"
)

// Invite is one attendee's copy of a meeting's invitation or cancellation:
// what [Invitation] needs to write it.
type Invite struct {
	// Method is MethodRequest or MethodCancel.
	Method  string
	Group   *store.Group
	Meeting *store.Meeting
	// Agenda is the meeting's items as store.Agenda returns them; they
	// make the description, as in the feed.
	Agenda []*store.AgendaItem
	// Organizer is the address answers go to (mail.address); the group's
	// name is its CN.
	Organizer string
	// AttendeeName and AttendeeAddr are the recipient.
	AttendeeName, AttendeeAddr string
	// Stamp is the DTSTAMP: when this copy is made (the send time).
	Stamp time.Time
}

// Invitation writes an iMIP (RFC 6047) calendar object for one attendee:
// METHOD REQUEST or CANCEL, the VTIMEZONE of the meeting's zone and one
// VEVENT with the feed's UID, so a client that subscribed to the feed and
// got the invitation sees one event.
//
// The VEVENT is the feed's (see event) with the iTIP properties on top:
// ORGANIZER (the group at Organizer), one ATTENDEE with RSVP=TRUE and
// PARTSTAT=NEEDS-ACTION, DTSTAMP = Stamp, and SEQUENCE = Meeting.Sequence.
// The feed's SEQUENCE is the meeting's updated_at in seconds, which fits a
// subscription that only needs "newer"; an invitation needs the iTIP
// ordering instead, where the core raises Meeting.Sequence on every change
// of time or place and on cancellation, so a REQUEST after a move and the
// CANCEL each carry a higher SEQUENCE than what the attendee already has.
// A CANCEL carries STATUS:CANCELLED.
func Invitation(inv Invite) ([]byte, error) {
	g, m := inv.Group, inv.Meeting
	if g == nil || m == nil {
		return nil, fmt.Errorf("calendar: invitation: no group or meeting")
	}
	if inv.Method != MethodRequest && inv.Method != MethodCancel {
		return nil, fmt.Errorf("calendar: invitation: unknown method %q", inv.Method)
	}
	if inv.Organizer == "" || inv.AttendeeAddr == "" {
		return nil, fmt.Errorf("calendar: invitation: organizer and attendee addresses are required")
	}
	name := m.TimeZone
	if name == "" {
		name = g.TimeZone
	}
	zones := newZoneSet()
	loc, err := zones.load(name)
	if err != nil {
		return nil, fmt.Errorf("calendar: meeting %d: %w", m.ID, err)
	}
	zones.cover(name, m.Start, m.End())

	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, ProductID)
	cal.Props.SetText(ical.PropCalendarScale, "GREGORIAN")
	cal.Props.SetText(ical.PropMethod, inv.Method)
	if vtz := zones.vtimezone(name); vtz != nil {
		cal.Children = append(cal.Children, vtz)
	}

	ev := event(g, m, loc, inv.Agenda)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, stamp(inv.Stamp).UTC())
	seq := ical.NewProp(ical.PropSequence)
	seq.Value = strconv.Itoa(max(m.Sequence, 0))
	ev.Props.Set(seq)
	if inv.Method == MethodCancel {
		ev.Props.SetText(ical.PropStatus, string(ical.EventCancelled))
	} else {
		ev.Props.SetText(ical.PropStatus, string(ical.EventConfirmed))
	}
	org := ical.NewProp(ical.PropOrganizer)
	org.Params.Set(ical.ParamCommonName, paramText(g.Name))
	org.Value = "mailto:" + inv.Organizer
	ev.Props.Set(org)
	att := ical.NewProp(ical.PropAttendee)
	if cn := paramText(inv.AttendeeName); cn != "" {
		att.Params.Set(ical.ParamCommonName, cn)
	}
	att.Params.Set(ical.ParamRole, "REQ-PARTICIPANT")
	att.Params.Set(ical.ParamParticipationStatus, "NEEDS-ACTION")
	att.Params.Set(ical.ParamRSVP, "TRUE")
	att.Value = "mailto:" + inv.AttendeeAddr
	ev.Props.Set(att)
	cal.Children = append(cal.Children, ev)

	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("calendar: encode invitation: %w", err)
	}
	return fold(buf.Bytes()), nil
}

// paramText makes text safe for a parameter value such as CN: one line,
// and no double quote, which RFC 5545 (3.2) cannot carry even quoted.
func paramText(s string) string {
	return strings.ReplaceAll(cleanLine(s), `"`, "'")
}
