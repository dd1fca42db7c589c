package scheduler_test

import (
	"context"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"coordbot/config"
	"coordbot/mailer"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

// silentSMTP is a mail server that accepts connections and never says a
// word (no greeting): a client waits for it until its own timeout.
type silentSMTP struct {
	ln       net.Listener
	accepted chan struct{} // one value per accepted connection
	mu       sync.Mutex
	conns    []net.Conn
	done     chan struct{}
}

func newSilentSMTP(t *testing.T) *silentSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &silentSMTP{ln: ln, accepted: make(chan struct{}, 16), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			select {
			case s.accepted <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(s.release)
	return s
}

// release closes the listener and every connection: a client waiting for
// the greeting reads EOF.
func (s *silentSMTP) release() {
	s.ln.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
	s.conns = nil
}

// withMail gives the env's scheduler the real e-mail sender as well,
// submitting to addr with a long timeout, and returns a member reached by
// e-mail and a meeting (no timeline) to address rows to.
func (e *env) withMail(addr string) (*store.Member, *store.Meeting) {
	e.t.Helper()
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	ms := mailer.New(e.store, config.SMTP{Addr: addr, TLS: "none"}, "archiv@kr-ustecky.example", e.core, e.clock.Now, logger)
	ms.Timeout = 20 * time.Second // far longer than the test waits for Discord
	e.t.Cleanup(func() { ms.Close() })
	idle := e.sched.Idle
	e.sched = scheduler.New(e.store, map[string]scheduler.Sender{store.ChannelDiscord: e.bot, store.ChannelEmail: ms}, e.clock, logger)
	e.sched.Backoff = func(int) time.Duration { return time.Minute }
	e.sched.Idle = idle
	e.core.Changed = e.sched.Wake
	member := &store.Member{DisplayName: "Jana Nováková", Emails: []string{"jana@example.org"}, Notify: store.NotifyEmail}
	if err := e.store.CreateMember(ctx, member); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SetMembership(ctx, e.group.ID, member.ID, store.RoleMember); err != nil {
		e.t.Fatal(err)
	}
	m := &store.Meeting{GroupID: e.group.ID, Title: "Jednání pracovní skupiny", Start: meetingStart, Place: "Krajský úřad"}
	if err := e.store.CreateMeeting(ctx, m); err != nil {
		e.t.Fatal(err)
	}
	return member, m
}

// reminders enqueues two reminders due now: first one by e-mail to the
// member, then one in the group's Discord channel. Both are claimed in the
// same instant; the e-mail row is the older.
func (e *env) reminders(member *store.Member, m *store.Meeting) (mail, chat *store.Notification) {
	e.t.Helper()
	mail = &store.Notification{GroupID: e.group.ID, MeetingID: m.ID, Kind: outbox.KindReminder, Due: e.clock.Now(),
		Channel: store.ChannelEmail, MemberID: member.ID, IdempotencyKey: "test:reminder:7d:mail", Payload: `{"offset":"7d"}`}
	chat = &store.Notification{GroupID: e.group.ID, MeetingID: m.ID, Kind: outbox.KindReminder, Due: e.clock.Now(),
		Channel: store.ChannelDiscord, ChannelID: channelID, IdempotencyKey: "test:reminder:7d", Payload: `{"offset":"7d"}`}
	for _, n := range []*store.Notification{mail, chat} {
		if err := e.store.EnqueueNotification(context.Background(), n); err != nil {
			e.t.Fatal(err)
		}
	}
	return mail, chat
}

func (e *env) row(id int64) *store.Notification {
	e.t.Helper()
	rows, err := e.store.Notifications(context.Background(), store.NotificationFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, n := range rows {
		if n.ID == id {
			return n
		}
	}
	e.t.Fatalf("no row %d", id)
	return nil
}

func (e *env) waitAccepted(smtp *silentSMTP) {
	e.t.Helper()
	select {
	case <-smtp.accepted:
	case <-ctxT(e.t).Done():
		e.t.Fatalf("the e-mail sender did not connect\nlogs:\n%s", e.logs.String())
	}
}

func TestSilentMailServerDoesNotHoldUpDiscord(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 16, 10, 0, 0, 0, prague))
	smtp := newSilentSMTP(t)
	member, m := e.withMail(smtp.ln.Addr().String())
	mail, chat := e.reminders(member, m)
	e.run()

	// The e-mail reminder is stuck waiting for the greeting...
	e.waitAccepted(smtp)
	// ...and the Discord reminder, due at the same instant and newer, is
	// posted meanwhile (one loop delivering in due order would wait out
	// the mail server's 20 s first).
	texts := e.channelTexts(1)
	if !strings.HasPrefix(texts[0], "⏰ Připomínka") {
		t.Errorf("Discord message %q, want the reminder", texts[0])
	}
	if n := e.row(mail.ID); n.State != store.NotificationClaimed || n.Attempts != 1 {
		t.Errorf("e-mail row while the server is silent: %s, %d attempts; want claimed, 1", n.State, n.Attempts)
	}
	// Idle means everything due has been handled: not while the e-mail
	// worker still waits.
	if len(e.idle) != 0 {
		t.Error("the loop reported idle while the e-mail delivery was still under way")
	}

	// The server hangs up: the attempt fails and is retried later, and
	// only now is the loop idle.
	smtp.release()
	e.outboxSettled()
	if n := e.row(mail.ID); n.State != store.NotificationPending || n.Attempts != 1 ||
		!strings.Contains(n.LastError, "connect") || !n.RetryAt.Equal(e.clock.Now().Add(time.Minute)) {
		t.Errorf("e-mail row after the server hung up: %s, %d attempts, retry at %v, %q", n.State, n.Attempts, n.RetryAt, n.LastError)
	}
	if n := e.row(chat.ID); n.State != store.NotificationSent || n.DiscordMessageID != e.fake.Messages(channelID)[0].ID {
		t.Errorf("Discord row: %s, message %q", n.State, n.DiscordMessageID)
	}
}

func TestShutdownWaitsForTheDeliveryUnderWay(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 16, 10, 0, 0, 0, prague))
	smtp := newSilentSMTP(t)
	member, m := e.withMail(smtp.ln.Addr().String())
	mail, _ := e.reminders(member, m)
	e.run()
	e.waitAccepted(smtp)
	e.channelTexts(1)

	// Shutdown while the e-mail worker waits for the greeting: ctx cuts
	// the wait (long before the sender's 20 s), the worker records the
	// attempt, and Run returns only after it.
	stopped := make(chan struct{})
	go func() { defer close(stopped); e.stop() }()
	select {
	case <-stopped:
	case <-ctxT(t).Done():
		t.Fatalf("Run did not return after its context ended\nlogs:\n%s", e.logs.String())
	}
	n := e.row(mail.ID)
	if n.State != store.NotificationPending || n.Attempts != 1 || n.LastError == "" {
		t.Errorf("e-mail row after shutdown: %s, %d attempts, %q; want pending for a retry", n.State, n.Attempts, n.LastError)
	}
}
