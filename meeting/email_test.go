package meeting_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"
)

// emailGroup turns the quiet group (no Discord channel) into one reached
// by e-mail.
func (e *env) emailGroup() *store.Group {
	e.t.Helper()
	e.quiet.EmailEnabled = true
	if err := e.store.UpsertGroup(e.ctx(), e.quiet); err != nil {
		e.t.Fatal(err)
	}
	return e.quiet
}

func TestSequenceRisesWithTimeAndPlaceAndCancellation(t *testing.T) {
	e := newEnv(t)
	g := e.emailGroup()
	res, err := e.core.Create(e.ctx(), meeting.Operator(), g.ID, meeting.Draft{Title: title, Start: start, Place: "Krajský úřad"})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Meeting
	if m.Sequence != 0 || e.count(m.ID, outbox.KindInvitation, store.NotificationPending) != 1 {
		t.Fatalf("new meeting: sequence %d, %d pending invitations; want 0 and 1", m.Sequence,
			e.count(m.ID, outbox.KindInvitation, store.NotificationPending))
	}
	newTitle := "Jiný název"
	res, err = e.core.Edit(e.ctx(), meeting.Operator(), m.ID, 0, meeting.Changes{Title: &newTitle})
	if err != nil {
		t.Fatal(err)
	}
	if res.Meeting.Sequence != 0 {
		t.Errorf("a new title raised the sequence to %d", res.Meeting.Sequence)
	}
	place := "Magistrát, zasedačka 2"
	res, err = e.core.Edit(e.ctx(), meeting.Operator(), m.ID, 0, meeting.Changes{Place: &place})
	if err != nil {
		t.Fatal(err)
	}
	if res.Meeting.Sequence != 1 {
		t.Fatalf("a new place: sequence %d, want 1", res.Meeting.Sequence)
	}
	// The first invitation (sequence 0) is replaced by the one of sequence 1.
	if got := e.plannedKeys(m.ID, store.NotificationPending); !slices.Contains(got, "m1:invitation:q1:mail") ||
		slices.Contains(got, "m1:invitation:q0:mail") {
		t.Errorf("pending keys after the move: %q", got)
	}
	later := start.Add(24 * time.Hour)
	if res, err = e.core.Edit(e.ctx(), meeting.Operator(), m.ID, 0, meeting.Changes{Start: &later}); err != nil {
		t.Fatal(err)
	}
	if res.Meeting.Sequence != 2 {
		t.Errorf("a new time: sequence %d, want 2", res.Meeting.Sequence)
	}
	res, err = e.core.Cancel(e.ctx(), meeting.Operator(), m.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Meeting.Sequence != 3 {
		t.Errorf("cancelled: sequence %d, want 3 (above the last REQUEST's)", res.Meeting.Sequence)
	}
	var cancels []*store.Notification
	for _, n := range e.notes(m.ID) {
		if n.Kind == outbox.KindCancellation {
			cancels = append(cancels, n)
		}
	}
	if len(cancels) != 1 || cancels[0].Channel != store.ChannelEmail || outbox.Sequence(cancels[0]) != 3 {
		t.Errorf("cancellation rows = %+v, want one e-mail CANCEL of sequence 3", cancels)
	}
}

func TestAddressBouncedTellsTheCoordinatorsOnce(t *testing.T) {
	e := newEnv(t)
	g := e.emailGroup()
	id, err := e.core.AddMember(e.ctx(), meeting.Operator(), g.ID, meeting.MemberInput{Name: "Jana Nováková",
		Emails: []string{"jana@obec.example"}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		got, err := e.core.AddressBounced(e.ctx(), "JANA@obec.example", "550 5.1.1 <jana@obec.example>: no such user", 0, "k1")
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || got.ID != id.Member.ID || !slices.Equal(got.Bounced, []string{"jana@obec.example"}) {
			t.Fatalf("AddressBounced = %+v", got)
		}
	}
	notices, err := e.store.Notifications(e.ctx(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, row := range notices {
		if row.Kind == outbox.KindNotice {
			n++
			p, err := outbox.ParseNotice(row.Payload)
			if err != nil || p.Subject != outbox.NoticeBounce || p.Address != "jana@obec.example" || p.MemberID != id.Member.ID {
				t.Errorf("notice payload %q: %+v, %v", row.Payload, p, err)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d notices for one bounce reported twice, want 1", n)
	}
	if m, err := e.core.AddressBounced(e.ctx(), "stranger@elsewhere.example", "550", 0, "k2"); err != nil || m != nil {
		t.Errorf("bounce of a stranger's address = %+v, %v; want nil, nil", m, err)
	}
}

func TestMemberWhoJoinsLateIsInvitedOnce(t *testing.T) {
	e := newEnv(t)
	g := e.emailGroup()
	res, err := e.core.Create(e.ctx(), meeting.Operator(), g.ID, meeting.Draft{Title: title, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	in := meeting.MemberInput{Name: "Jana Nováková", Emails: []string{"jana@obec.example"}}
	added, err := e.core.AddMember(e.ctx(), meeting.Operator(), g.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	// Registering her again (an update) adds nothing.
	if _, err := e.core.AddMember(e.ctx(), meeting.Operator(), g.ID, in); err != nil {
		t.Fatal(err)
	}
	var mine []*store.Notification
	for _, n := range e.notes(res.Meeting.ID) {
		if n.Kind == outbox.KindInvitation && n.MemberID == added.Member.ID {
			mine = append(mine, n)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("%d invitation rows for the late member, want 1", len(mine))
	}
	want := "m1:invitation:q0:mail:u" + fmt.Sprint(added.Member.ID)
	if n := mine[0]; n.Channel != store.ChannelEmail || n.IdempotencyKey != want || outbox.Sequence(n) != 0 {
		t.Errorf("late invitation = %+v, want key %s on e-mail", n, want)
	}
	// A Discord member (auto, with a Discord id) gets none by mail.
	d, err := e.core.AddMember(e.ctx(), meeting.Operator(), g.ID, meeting.MemberInput{Name: "Petr", DiscordID: "123456789012345678"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range e.notes(res.Meeting.ID) {
		if n.MemberID == d.Member.ID {
			t.Errorf("a Discord member got %s %s", n.Kind, n.IdempotencyKey)
		}
	}
}
