package mailer_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

var update = flag.Bool("update", false, "rewrite testdata/invitation.eml")

// TestSampleInvitation keeps testdata/invitation.eml, a whole invitation
// as a member receives it (the README shows it), equal to what the sender
// writes: the same row and state give the same bytes. After a deliberate
// change of the text, run go test ./mailer -run SampleInvitation -update.
func TestSampleInvitation(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr.dvorak@obec-lhota.example.cz")
	if err := e.store.AddAgendaItem(e.ctx(), &store.AgendaItem{MeetingID: e.meeting.ID, Title: "Rozpočet na rok 2028",
		Details: "Návrh rozpočtu k připomínkám", Status: store.AgendaAccepted}); err != nil {
		t.Fatal(err)
	}
	n := &store.Notification{GroupID: e.group.ID, MeetingID: e.meeting.ID, Kind: outbox.KindInvitation, Due: e.clock.Now(),
		Channel: store.ChannelEmail, MemberID: m.ID, Payload: `{"sequence":0}`,
		IdempotencyKey: outbox.MailKey(e.meeting.ID, e.meeting.Start, outbox.KindInvitation, "") + ":u1"}
	if err := e.store.EnqueueNotification(e.ctx(), n); err != nil {
		t.Fatal(err)
	}
	e.deliver(n)
	e.deliver(n) // a retry writes the same bytes
	msgs := e.smtp.Messages()
	if len(msgs) != 2 || !bytes.Equal(msgs[0].Data, msgs[1].Data) {
		t.Fatal("two deliveries of one row at one instant differ")
	}
	path := filepath.Join("testdata", "invitation.eml")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, msgs[0].Data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (write it with -update)", err)
	}
	if !bytes.Equal(msgs[0].Data, want) {
		t.Errorf("the invitation differs from %s; if the change is meant, run with -update\ngot:\n%s", path, msgs[0].Data)
	}
}
