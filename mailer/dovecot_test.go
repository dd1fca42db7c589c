package mailer_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"coordbot/calendar"
	"coordbot/i18n"
	"coordbot/internal/smtptest"
	"coordbot/internal/testutil"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/outbox"
)

// TestInvitationsReadBackOverIMAP sends invitations and a cancellation
// through the SMTP server, which delivers what it accepts into Dovecot,
// and reads them back over IMAP as a member's mail client would: each
// message once, with its Message-ID, and a calendar part go-ical parses.
func TestInvitationsReadBackOverIMAP(t *testing.T) {
	dv := testutil.Dovecot(t)
	e := newEnv(t, i18n.Czech)
	e.smtp.Deliver = func(m smtptest.Message) error { return dv.Deliver("INBOX", m.Data) }

	members := e.members(3)
	want := map[string]string{} // Message-ID → attendee address
	for _, m := range members {
		id := e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
		want[id] = m.Emails[0]
	}
	if _, err := e.core.Cancel(e.ctx(), meeting.Operator(), e.meeting.ID, 0); err != nil {
		t.Fatal(err)
	}
	cancelID := e.deliver(e.row(outbox.KindCancellation, members[0], `{"sequence":1}`))

	msgs := testutil.Mailbox(t, dv, "INBOX")
	if len(msgs) != 4 {
		t.Fatalf("%d messages in INBOX, want 4", len(msgs))
	}
	seen := map[string]int{}
	sequences := map[string]int{}
	for _, raw := range msgs {
		if !bytes.Equal(raw, msgBytes(e, raw)) {
			t.Error("the message read over IMAP differs from what the SMTP server accepted")
		}
		p := parse(t, raw)
		id, err := p.Header.MessageID()
		if err != nil {
			t.Fatal(err)
		}
		seen[id]++
		cal, ev := p.event(t)
		method := prop(cal.Component, ical.PropMethod)
		if uid := prop(ev, ical.PropUID); uid != calendar.UID(e.meeting.ID) {
			t.Errorf("%s: UID %q", id, uid)
		}
		seq, err := ev.Props.Get(ical.PropSequence).Int()
		if err != nil {
			t.Fatal(err)
		}
		sequences[method] = max(sequences[method], seq)
		att := ev.Props.Get(ical.PropAttendee)
		switch {
		case id == cancelID:
			if method != "CANCEL" || prop(ev, ical.PropStatus) != "CANCELLED" || att.Value != "mailto:"+members[0].Emails[0] {
				t.Errorf("cancellation: METHOD %s, STATUS %s, ATTENDEE %s", method, prop(ev, ical.PropStatus), att.Value)
			}
		case want[id] != "":
			if method != "REQUEST" || att.Value != "mailto:"+want[id] || !strings.HasPrefix(p.subject(t), "Pozvánka: ") {
				t.Errorf("invitation %s: METHOD %s, ATTENDEE %s, Subject %q", id, method, att.Value, p.subject(t))
			}
		default:
			t.Errorf("unexpected Message-ID %q", id)
		}
		if org := ev.Props.Get(ical.PropOrganizer); org == nil || org.Value != "mailto:"+archiveAddr {
			t.Errorf("%s: ORGANIZER %+v", id, org)
		}
	}
	for id := range want {
		if seen[id] != 1 {
			t.Errorf("invitation %s is in the mailbox %d times", id, seen[id])
		}
	}
	if seen[cancelID] != 1 {
		t.Errorf("the cancellation is in the mailbox %d times", seen[cancelID])
	}
	if sequences["CANCEL"] <= sequences["REQUEST"] {
		t.Errorf("CANCEL SEQUENCE %d is not above REQUEST's %d", sequences["CANCEL"], sequences["REQUEST"])
	}
	if !strings.HasSuffix(cancelID, "@"+senderDomain) || cancelID == mailer.MessageID("", senderDomain) {
		t.Errorf("cancellation Message-ID %q", cancelID)
	}
}

// msgBytes returns the accepted message whose Message-ID raw carries.
func msgBytes(e *env, raw []byte) []byte {
	id := parse(e.t, raw).Header.Get("Message-Id")
	for _, m := range e.smtp.Messages() {
		if parse(e.t, m.Data).Header.Get("Message-Id") == id {
			return m.Data
		}
	}
	return nil
}
