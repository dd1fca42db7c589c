package mail

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-ical"

	"coordbot/calendar"
	"coordbot/store"
)

// calendarReply is what an iMIP REPLY (RFC 6047, RFC 5546 section 3.2.3)
// says: which event, who answers and how.
type calendarReply struct {
	UID       string
	Attendees []replyAttendee
	// Comment is the VEVENT's COMMENT, the answer's note.
	Comment string
}

// replyAttendee is one ATTENDEE of a REPLY.
type replyAttendee struct {
	Address  string // lower-case, without "mailto:"
	PartStat string // upper-case: ACCEPTED, DECLINED, TENTATIVE, DELEGATED...
	// DelegatedTo names whom the attendee sends instead: the delegate's
	// name when the calendar gives one, else the address.
	DelegatedTo string
}

// parseCalendarReply reads a calendar part and returns its REPLY, or nil
// when it is no REPLY (a REQUEST forwarded, a CANCEL, a broken file).
// methodParam is the Content-Type's method parameter: clients set it on
// the part (Outlook, Thunderbird), or only inside the calendar (Gmail's
// attachment); either says REPLY.
func parseCalendarReply(data []byte, methodParam string) *calendarReply {
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil
	}
	method := strings.ToUpper(strings.TrimSpace(methodParam))
	if p := cal.Props.Get(ical.PropMethod); p != nil && p.Value != "" {
		method = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if method != "REPLY" {
		return nil
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompEvent {
			continue
		}
		r := &calendarReply{}
		if p := c.Props.Get(ical.PropUID); p != nil {
			r.UID = strings.TrimSpace(p.Value)
		}
		if p := c.Props.Get(ical.PropComment); p != nil {
			r.Comment, _ = p.Text()
		}
		for _, p := range c.Props.Values(ical.PropAttendee) {
			a := replyAttendee{Address: calAddress(p.Value), PartStat: strings.ToUpper(p.Params.Get(ical.ParamParticipationStatus))}
			if to := p.Params.Get(ical.ParamDelegatedTo); to != "" {
				a.DelegatedTo = delegateName(cal, c, to)
			}
			if a.Address != "" {
				r.Attendees = append(r.Attendees, a)
			}
		}
		return r
	}
	return nil
}

// delegateName is how the answer names a delegate: the CN of the
// delegate's own ATTENDEE line if the REPLY has one (RFC 5546 section
// 2.1.5 asks the delegator to include it), else the address.
func delegateName(_ *ical.Calendar, ev *ical.Component, to string) string {
	addr := calAddress(to)
	for _, p := range ev.Props.Values(ical.PropAttendee) {
		if calAddress(p.Value) == addr {
			if cn := strings.TrimSpace(p.Params.Get(ical.ParamCommonName)); cn != "" {
				return cn + " <" + addr + ">"
			}
		}
	}
	return addr
}

// calAddress turns a CAL-ADDRESS ("mailto:Jana@Example.org", sometimes
// "MAILTO:" or quoted) into a lower-case address.
func calAddress(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `"`)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// answerOfPartStat maps an iCalendar PARTSTAT to an answer; "" for one
// that is not an answer (NEEDS-ACTION).
func answerOfPartStat(ps string) string {
	switch ps {
	case "ACCEPTED":
		return store.AnswerYes
	case "DECLINED", "DELEGATED":
		// A delegating attendee does not come; the delegate does.
		return store.AnswerNo
	case "TENTATIVE":
		return store.AnswerMaybe
	}
	return ""
}

// MeetingOfUID is the inverse of calendar.UID: the meeting id of a UID
// the calendar feed and the invitations use, false for any other UID.
func MeetingOfUID(uid string) (int64, bool) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(uid), "meeting-")
	if !ok {
		return 0, false
	}
	num, _, ok := strings.Cut(rest, "@")
	if !ok {
		return 0, false
	}
	id, err := strconv.ParseInt(num, 10, 64)
	if err != nil || id <= 0 || calendar.UID(id) != strings.TrimSpace(uid) {
		return 0, false
	}
	return id, true
}

// refusedAttendee is the quarantine reason of a REPLY whose sender is not
// the attendee it answers for.
func refusedAttendee(from, attendee string) string {
	return fmt.Sprintf("%s: From %s is not an address of the attendee %s", ReasonAnswerRefused, orNone(from), attendee)
}
