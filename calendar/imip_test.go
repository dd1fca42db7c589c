package calendar

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"coordbot/i18n"
	"coordbot/store"
)

// imipFixture is a Prague group and a meeting in summer time with one
// accepted and one withdrawn agenda item.
func imipFixture() (*store.Group, *store.Meeting, []*store.AgendaItem) {
	g := &store.Group{ID: 1, Slug: "ps", Name: `Pracovní skupina "drogy"; kraj`, TimeZone: "Europe/Prague", Locale: i18n.Czech}
	m := &store.Meeting{ID: 42, GroupID: 1, Title: "Jednání skupiny", TimeZone: "Europe/Prague",
		Start: time.Date(2027, 6, 23, 8, 0, 0, 0, time.UTC), Duration: 2 * time.Hour, Place: "Krajský úřad, zasedačka 3",
		Status: store.MeetingScheduled, Sequence: 1,
		CreatedAt: time.Date(2027, 5, 1, 9, 0, 0, 0, time.UTC), UpdatedAt: time.Date(2027, 5, 3, 9, 0, 0, 0, time.UTC)}
	agenda := []*store.AgendaItem{
		{ID: 1, MeetingID: 42, Title: "Rozpočet 2028", Status: store.AgendaAccepted},
		{ID: 2, MeetingID: 42, Title: "Staženo", Status: store.AgendaWithdrawn},
	}
	return g, m, agenda
}

func TestInvitationRequestProperties(t *testing.T) {
	g, m, agenda := imipFixture()
	now := time.Date(2027, 5, 10, 7, 30, 0, 0, time.UTC)
	b, err := Invitation(Invite{Method: MethodRequest, Group: g, Meeting: m, Agenda: agenda,
		Organizer: "archiv@example.cz", AttendeeName: "Petr Dvořák", AttendeeAddr: "petr@obec.example.cz", Stamp: now})
	if err != nil {
		t.Fatal(err)
	}
	cal := decode(t, b)
	if got := text(t, cal.Component, ical.PropMethod); got != "REQUEST" {
		t.Errorf("METHOD = %q", got)
	}
	if got := text(t, cal.Component, ical.PropProductID); got != ProductID {
		t.Errorf("PRODID = %q", got)
	}
	if tz := timezones(cal); tz["Europe/Prague"] == nil {
		t.Errorf("no VTIMEZONE Europe/Prague, have %v", sortedKeys(tz))
	}
	events := cal.Events()
	if len(events) != 1 {
		t.Fatalf("%d events, want 1", len(events))
	}
	ev := events[0].Component
	for name, want := range map[string]string{
		ical.PropUID:      UID(42),
		ical.PropSummary:  "Jednání skupiny",
		ical.PropLocation: "Krajský úřad, zasedačka 3",
		ical.PropStatus:   "CONFIRMED",
	} {
		if got := text(t, ev, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if d := text(t, ev, ical.PropDescription); !strings.Contains(d, "1. Rozpočet 2028") || strings.Contains(d, "Staženo") {
		t.Errorf("DESCRIPTION = %q", d)
	}
	if seq, err := ev.Props.Get(ical.PropSequence).Int(); err != nil || seq != 1 {
		t.Errorf("SEQUENCE = %d, %v; want the meeting's 1", seq, err)
	}
	if st, err := ev.Props.DateTime(ical.PropDateTimeStamp, nil); err != nil || !st.Equal(now) {
		t.Errorf("DTSTAMP = %v, %v; want %v", st, err, now)
	}
	start := ev.Props.Get(ical.PropDateTimeStart)
	if tzid := start.Params.Get(ical.ParamTimezoneID); tzid != "Europe/Prague" || start.Value != "20270623T100000" {
		t.Errorf("DTSTART;TZID=%s:%s, want Europe/Prague 10:00", tzid, start.Value)
	}
	if got := resolveProp(t, cal, ev.Props.Get(ical.PropDateTimeEnd)); !got.Equal(m.End()) {
		t.Errorf("DTEND resolves to %v, want %v", got, m.End())
	}
	org := ev.Props.Get(ical.PropOrganizer)
	if org.Value != "mailto:archiv@example.cz" || org.Params.Get(ical.ParamCommonName) != `Pracovní skupina 'drogy'; kraj` {
		t.Errorf("ORGANIZER = %v %q", org.Params, org.Value)
	}
	atts := ev.Props.Values(ical.PropAttendee)
	if len(atts) != 1 {
		t.Fatalf("%d ATTENDEEs, want 1", len(atts))
	}
	a := atts[0]
	for param, want := range map[string]string{ical.ParamCommonName: "Petr Dvořák", ical.ParamRole: "REQ-PARTICIPANT",
		ical.ParamParticipationStatus: "NEEDS-ACTION", ical.ParamRSVP: "TRUE"} {
		if got := a.Params.Get(param); got != want {
			t.Errorf("ATTENDEE %s = %q, want %q", param, got, want)
		}
	}
	if a.Value != "mailto:petr@obec.example.cz" {
		t.Errorf("ATTENDEE = %q", a.Value)
	}
	for _, line := range strings.Split(string(b), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line longer than 75 octets: %q", line)
		}
	}
}

func TestInvitationCancelFollowsRequest(t *testing.T) {
	g, m, agenda := imipFixture()
	inv := Invite{Method: MethodRequest, Group: g, Meeting: m, Agenda: agenda, Organizer: "archiv@example.cz",
		AttendeeAddr: "petr@obec.example.cz", Stamp: time.Date(2027, 5, 10, 7, 30, 0, 0, time.UTC)}
	req, err := Invitation(inv)
	if err != nil {
		t.Fatal(err)
	}
	// The store's CancelMeeting raises the sequence, as the core's cancel does.
	cancelled := *m
	cancelled.Status = store.MeetingCancelled
	cancelled.Sequence++
	inv.Method, inv.Meeting, inv.Stamp = MethodCancel, &cancelled, inv.Stamp.Add(time.Hour)
	cnl, err := Invitation(inv)
	if err != nil {
		t.Fatal(err)
	}
	seq := func(b []byte) int {
		ev := decode(t, b).Events()[0]
		n, err := ev.Props.Get(ical.PropSequence).Int()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	reqCal, cnlCal := decode(t, req), decode(t, cnl)
	if got := text(t, cnlCal.Component, ical.PropMethod); got != "CANCEL" {
		t.Errorf("METHOD = %q, want CANCEL", got)
	}
	if got := text(t, cnlCal.Events()[0].Component, ical.PropStatus); got != "CANCELLED" {
		t.Errorf("STATUS = %q, want CANCELLED", got)
	}
	if a, b := text(t, reqCal.Events()[0].Component, ical.PropUID), text(t, cnlCal.Events()[0].Component, ical.PropUID); a != b {
		t.Errorf("UIDs differ: %q, %q", a, b)
	}
	if r, c := seq(req), seq(cnl); c <= r {
		t.Errorf("CANCEL SEQUENCE %d is not above the REQUEST's %d", c, r)
	}
	if cn := decode(t, cnl).Events()[0].Props.Get(ical.PropAttendee).Params.Get(ical.ParamCommonName); cn != "" {
		t.Errorf("attendee without a name got CN %q", cn)
	}
}

func TestInvitationRefusesIncompleteInput(t *testing.T) {
	g, m, _ := imipFixture()
	for name, inv := range map[string]Invite{
		"no method":    {Group: g, Meeting: m, Organizer: "a@b.cz", AttendeeAddr: "c@d.cz"},
		"no attendee":  {Method: MethodRequest, Group: g, Meeting: m, Organizer: "a@b.cz"},
		"no organizer": {Method: MethodRequest, Group: g, Meeting: m, AttendeeAddr: "c@d.cz"},
		"no meeting":   {Method: MethodRequest, Group: g, Organizer: "a@b.cz", AttendeeAddr: "c@d.cz"},
	} {
		if _, err := Invitation(inv); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}
