package mailer_test

import (
	"fmt"
	"testing"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

// BenchmarkInvitationFanOut2000 delivers an invitation to each of 2,000
// members, one row each as the scheduler's fan-out writes them, through
// the loopback go-smtp server with STARTTLS and AUTH PLAIN: the sender's
// own rate (rendering from the store, the iMIP calendar, MIME, SMTP), not
// the whole process's.
func BenchmarkInvitationFanOut2000(b *testing.B) {
	const recipients = 2000
	e := newEnv(b, i18n.Czech)
	rows := make([]*store.Notification, 0, recipients)
	err := e.store.Write(e.ctx(), func(tx *store.Tx) error {
		for i := range recipients {
			m := &store.Member{DisplayName: fmt.Sprintf("Člen Číslo %d", i+1), Notify: store.NotifyEmail,
				Emails: []string{fmt.Sprintf("clen%d@obec%d.example.cz", i+1, i%50)}}
			if err := tx.CreateMember(m); err != nil {
				return err
			}
			if err := tx.SetMembership(e.group.ID, m.ID, store.RoleMember); err != nil {
				return err
			}
			rows = append(rows, &store.Notification{GroupID: e.group.ID, MeetingID: e.meeting.ID, Kind: outbox.KindInvitation,
				Due: e.clock.Now(), Channel: store.ChannelEmail, MemberID: m.ID, Payload: `{"sequence":0}`,
				IdempotencyKey: fmt.Sprintf("m%d:bench:invitation:mail:u%d", e.meeting.ID, m.ID)})
		}
		_, err := tx.Enqueue(rows...)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		for _, n := range rows {
			if _, err := e.sender.Deliver(e.ctx(), n); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(recipients*b.N)/b.Elapsed().Seconds(), "msgs/s")
	if got := len(e.smtp.Messages()); got != recipients*b.N {
		b.Fatalf("%d messages arrived, want %d", got, recipients*b.N)
	}
	if got := e.smtp.Connections(); got != 1 {
		b.Errorf("%d connections, want 1", got)
	}
}
