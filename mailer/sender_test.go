package mailer_test

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-smtp"

	"coordbot/calendar"
	"coordbot/config"
	"coordbot/i18n"
	"coordbot/internal/smtptest"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

const czWhen = "31. 3. 2027 10:00"

func TestInvitationFanOutOnOneConnection(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	members := e.members(5)
	ids := map[string]string{} // address → sent id
	keys := map[string]string{}
	for _, m := range members {
		n := e.row(outbox.KindInvitation, m, `{"sequence":0}`)
		ids[m.Emails[0]] = e.deliver(n)
		keys[m.Emails[0]] = n.IdempotencyKey
	}
	if got := e.smtp.Connections(); got != 1 {
		t.Errorf("%d SMTP connections for a fan-out of %d, want 1", got, len(members))
	}
	msgs := e.smtp.Messages()
	if len(msgs) != len(members) {
		t.Fatalf("%d messages, want %d", len(msgs), len(members))
	}
	for i, msg := range msgs {
		m := members[i]
		addr := m.Emails[0]
		if msg.From != archiveAddr || !slices.Equal(msg.To, []string{addr}) {
			t.Errorf("envelope %s → %v, want %s → %s", msg.From, msg.To, archiveAddr, addr)
		}
		p := parse(t, msg.Data)
		if from := p.address(t, "From"); from.Name != groupName || from.Address != archiveAddr {
			t.Errorf("From = %v", from)
		}
		if rt := p.address(t, "Reply-To"); rt.Address != archiveAddr {
			t.Errorf("Reply-To = %v", rt)
		}
		if to := p.address(t, "To"); to.Name != m.DisplayName || to.Address != addr {
			t.Errorf("To = %v, want %s <%s>", to, m.DisplayName, addr)
		}
		want := mailer.MessageID(keys[addr], senderDomain)
		if id, err := p.Header.MessageID(); err != nil || id != want || ids[addr] != want {
			t.Errorf("Message-ID = %q (sent id %q), want %q (%v)", id, ids[addr], want, err)
		}
		if date, err := p.Header.Date(); err != nil || !date.Equal(t0) {
			t.Errorf("Date = %v, %v; want %v", date, err, t0)
		}
		if s := p.subject(t); s != "Pozvánka: "+meetingTitle+" "+czWhen {
			t.Errorf("Subject = %q", s)
		}
		if raw := string(msg.Data); !strings.Contains(raw, "Subject: =?") {
			t.Errorf("the Czech subject is not RFC 2047 encoded:\n%s", raw[:min(len(raw), 600)])
		}
		plain := p.Parts["text/plain"]
		for _, want := range []string{"Přijmout", "Odmítnout", "Nezávazně", "Přijdu", "Nepřijdu", "Možná", "st " + czWhen, "Krajský úřad"} {
			if !strings.Contains(plain, want) {
				t.Errorf("text/plain lacks %q:\n%s", want, plain)
			}
		}
		if html := p.Parts["text/html"]; !strings.Contains(html, "<p>") || !strings.Contains(html, "Přijdu") {
			t.Errorf("text/html = %q", html)
		}
		if params := p.Params["text/calendar"]; params["method"] != "REQUEST" || !strings.EqualFold(params["charset"], "utf-8") {
			t.Errorf("text/calendar params %v", params)
		}
		cal, ev := p.event(t)
		if prop(cal.Component, ical.PropMethod) != "REQUEST" {
			t.Errorf("METHOD = %q", prop(cal.Component, ical.PropMethod))
		}
		if uid := prop(ev, ical.PropUID); uid != calendar.UID(e.meeting.ID) {
			t.Errorf("UID = %q, want the feed's %q", uid, calendar.UID(e.meeting.ID))
		}
		if seq := prop(ev, ical.PropSequence); seq != "0" {
			t.Errorf("SEQUENCE = %q, want 0", seq)
		}
		if org := ev.Props.Get(ical.PropOrganizer); org == nil || org.Value != "mailto:"+archiveAddr || org.Params.Get(ical.ParamCommonName) != groupName {
			t.Errorf("ORGANIZER = %+v", org)
		}
		att := ev.Props.Values(ical.PropAttendee)
		if len(att) != 1 || att[0].Value != "mailto:"+addr || att[0].Params.Get(ical.ParamRSVP) != "TRUE" ||
			att[0].Params.Get(ical.ParamParticipationStatus) != "NEEDS-ACTION" {
			t.Errorf("ATTENDEE = %+v", att)
		}
	}
}

func TestCancellationCarriesAHigherSequence(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	res, err := e.core.Cancel(e.ctx(), meeting.Operator(), e.meeting.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(e.row(outbox.KindCancellation, m, `{"sequence":1}`))
	msgs := e.smtp.Messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	req, cnl := parse(t, msgs[0].Data), parse(t, msgs[1].Data)
	_, reqEv := req.event(t)
	cnlCal, cnlEv := cnl.event(t)
	if prop(cnlCal.Component, ical.PropMethod) != "CANCEL" || cnl.Params["text/calendar"]["method"] != "CANCEL" {
		t.Errorf("cancellation METHOD %q, part method %q", prop(cnlCal.Component, ical.PropMethod), cnl.Params["text/calendar"]["method"])
	}
	if prop(cnlEv, ical.PropStatus) != "CANCELLED" {
		t.Errorf("STATUS = %q", prop(cnlEv, ical.PropStatus))
	}
	if prop(cnlEv, ical.PropUID) != prop(reqEv, ical.PropUID) {
		t.Error("the cancellation has another UID")
	}
	rs, _ := reqEv.Props.Get(ical.PropSequence).Int()
	cs, _ := cnlEv.Props.Get(ical.PropSequence).Int()
	if cs <= rs || cs != res.Meeting.Sequence {
		t.Errorf("SEQUENCE request %d, cancel %d (meeting %d): want cancel above request", rs, cs, res.Meeting.Sequence)
	}
	if s := cnl.subject(t); s != "Zrušeno: "+meetingTitle+" "+czWhen {
		t.Errorf("Subject = %q", s)
	}
}

func TestTemporaryFailureIsRetriedWithTheSameMessageID(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	// The server refuses the first message for now, and takes the next.
	var refused atomic.Bool
	e.smtp.Deliver = func(smtptest.Message) error {
		if refused.CompareAndSwap(false, true) {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Zkuste to později"}
		}
		return nil
	}
	n := e.row(outbox.KindInvitation, m, `{"sequence":0}`)
	_, err := e.sender.Deliver(e.ctx(), n)
	if err == nil || errors.Is(err, scheduler.ErrPermanent) || smtpCode(err) != 451 {
		t.Fatalf("first attempt: %v; want a temporary 451 error", err)
	}
	id := e.deliver(n)
	msgs := e.smtp.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages after the retry, want 1", len(msgs))
	}
	if got, _ := parse(t, msgs[0].Data).Header.MessageID(); got != id || id != mailer.MessageID(n.IdempotencyKey, senderDomain) {
		t.Errorf("Message-ID %q, sent id %q", got, id)
	}
	if got := e.smtp.Connections(); got != 1 {
		t.Errorf("%d connections: a 4xx reply must not cost the connection", got)
	}
}

func TestRefusedRecipientIsABounce(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	coord := e.member("Jana Nováková", "jana@kraj.example.cz")
	if err := e.store.SetMembership(e.ctx(), e.group.ID, coord.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	gone := e.member("Petr Dvořák", "petr@zruseno.example.cz")
	other := e.member("Lucie Černá", "lucie@obec.example.cz")
	e.smtp.RefuseRcpt = refuse("petr@zruseno.example.cz", "Mailbox neexistuje")
	n := e.row(outbox.KindInvitation, gone, `{"sequence":0}`)
	_, err := e.sender.Deliver(e.ctx(), n)
	if !errors.Is(err, scheduler.ErrPermanent) || smtpCode(err) != 550 {
		t.Fatalf("Deliver: %v; want a permanent 550 error", err)
	}
	mem, err := e.store.Member(e.ctx(), gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(mem.Bounced, "petr@zruseno.example.cz") || mem.MailAddress() != "" {
		t.Errorf("bounced %v, mail address %q: the refused address must be marked", mem.Bounced, mem.MailAddress())
	}
	rows, err := e.store.Notifications(e.ctx(), store.NotificationFilter{MeetingID: e.meeting.ID})
	if err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, r := range rows {
		if r.Kind == outbox.KindNotice && strings.Contains(r.Payload, `"bounce"`) && strings.Contains(r.Payload, "petr@zruseno.example.cz") {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d bounce notices for the coordinators, want 1", notices)
	}
	// The next recipient goes out over the same connection.
	e.deliver(e.row(outbox.KindInvitation, other, `{"sequence":0}`))
	if msgs := e.smtp.Messages(); len(msgs) != 1 || msgs[0].To[0] != "lucie@obec.example.cz" {
		t.Errorf("messages %v", msgs)
	}
	if got := e.smtp.Connections(); got != 1 {
		t.Errorf("%d connections, want 1", got)
	}
	// A later row for the bounced member has nowhere to go.
	if _, err := e.sender.Deliver(e.ctx(), e.row(outbox.KindReminder, gone, `{"offset":"1d"}`)); !errors.Is(err, scheduler.ErrPermanent) {
		t.Errorf("deliver to a bounced member: %v, want a permanent error", err)
	}
}

func TestMemberWithoutAddressIsPermanent(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Bez Adresy", "")
	_, err := e.sender.Deliver(e.ctx(), e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	if !errors.Is(err, scheduler.ErrPermanent) {
		t.Fatalf("Deliver: %v; want a permanent error", err)
	}
	if got := e.smtp.Connections(); got != 0 {
		t.Errorf("%d connections for nothing to send", got)
	}
}

func TestWrongPasswordIsRefused(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	snd := e.newSender("špatné heslo")
	_, err := snd.Deliver(e.ctx(), e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	if err == nil || smtpCode(err) != 535 {
		t.Fatalf("Deliver with a wrong password: %v; want a 535 refusal", err)
	}
	if errors.Is(err, scheduler.ErrPermanent) {
		t.Error("a refused login is the configuration's fault; the row must stay retryable")
	}
	if len(e.smtp.Messages()) != 0 {
		t.Error("a message went out without a login")
	}
	if strings.Contains(e.logs.String(), "špatné heslo") {
		t.Error("the password is in the log")
	}
}

func TestServerDownFailsWithinTheTimeout(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	n := e.row(outbox.KindInvitation, m, `{"sequence":0}`)

	// A server that accepts the connection and never says a word.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	defer func() {
		ln.Close()
		for c := range accepted {
			c.Close()
		}
	}()
	// A port where nothing listens.
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := closed.Addr().String()
	closed.Close()

	for name, addr := range map[string]string{"silent": ln.Addr().String(), "refused": deadAddr} {
		t.Run(name, func(t *testing.T) {
			snd := mailer.New(e.store, config.SMTP{Addr: addr, TLS: "starttls", Username: e.smtp.User,
				Password: config.Secret(e.smtp.Password)}, archiveAddr, e.core, e.clock.Now, nil)
			defer snd.Close()
			snd.Timeout = 300 * time.Millisecond
			began := time.Now()
			_, err := snd.Deliver(e.ctx(), n)
			took := time.Since(began)
			if err == nil || errors.Is(err, scheduler.ErrPermanent) {
				t.Fatalf("Deliver: %v; want a retryable error", err)
			}
			if took > 5*time.Second {
				t.Errorf("Deliver took %v with a 300 ms timeout", took)
			}
			// The next row of the fan-out does not wait again.
			began = time.Now()
			_, err = snd.Deliver(e.ctx(), n)
			if err == nil || errors.Is(err, scheduler.ErrPermanent) || !strings.Contains(err.Error(), "not connecting") {
				t.Errorf("second Deliver: %v; want a retryable error without dialling", err)
			}
			if took := time.Since(began); took >= snd.Timeout {
				t.Errorf("second Deliver took %v: it dialled again", took)
			}
			// Once the pause is over, it tries the server again.
			e.clock.Set(e.clock.Now().Add(snd.DownPause + time.Second))
			if _, err = snd.Deliver(e.ctx(), n); err == nil || strings.Contains(err.Error(), "not connecting") {
				t.Errorf("Deliver after the pause: %v; want a fresh attempt that fails", err)
			}
		})
	}
}

func TestCancelledContextAbortsTheDelivery(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.sender.Deliver(ctx, e.row(outbox.KindInvitation, m, `{"sequence":0}`)); err == nil {
		t.Fatal("Deliver with a cancelled context succeeded")
	}
	if len(e.smtp.Messages()) != 0 {
		t.Error("a message went out after its context ended")
	}
}

func TestDroppedConnectionIsRedialled(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	// The server drops the idle connection (as after its own timeout).
	e.smtp.DropAll()
	if err := e.smtp.WaitClosed(e.ctx(), 1); err != nil {
		t.Fatalf("the server did not close the connection: %v", err)
	}
	e.deliver(e.row(outbox.KindReminder, m, `{"offset":"7d"}`))
	if got := len(e.smtp.Messages()); got != 2 {
		t.Errorf("%d messages, want 2", got)
	}
	if got := e.smtp.Connections(); got != 2 {
		t.Errorf("%d connections, want 2 (one redial)", got)
	}
}

func TestIdleConnectionIsClosed(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	e.sender.IdleTimeout = 20 * time.Millisecond
	e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	if err := e.smtp.WaitClosed(e.ctx(), 1); err != nil {
		t.Fatalf("the idle connection was not closed: %v", err)
	}
	e.deliver(e.row(outbox.KindReminder, m, `{"offset":"7d"}`))
	if got := e.smtp.Connections(); got != 2 {
		t.Errorf("%d connections, want 2", got)
	}
}

func TestFanOutThroughTheScheduler(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	members := e.members(6)
	e.smtp.RefuseRcpt = refuse(members[2].Emails[0], "No such user")
	sc := scheduler.New(e.store, map[string]scheduler.Sender{store.ChannelEmail: e.sender}, e.clock, discardLogger())
	idle := make(chan time.Time, 100)
	sc.Idle = func(now time.Time) {
		select {
		case idle <- now:
		default:
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sc.Run(ctx) }()
	defer func() { cancel(); <-done }()
	// The meeting's timeline has the invitation fan-out due now.
	if _, err := e.smtp.WaitFor(e.ctx(), len(members)-1); err != nil {
		t.Fatalf("invitations: %v", err)
	}
	waitIdle(t, e, sc, idle)
	if got := e.smtp.Connections(); got != 1 {
		t.Errorf("%d connections for the fan-out, want 1", got)
	}
	rows, err := e.store.Notifications(e.ctx(), store.NotificationFilter{MeetingID: e.meeting.ID})
	if err != nil {
		t.Fatal(err)
	}
	sent, failed := 0, 0
	for _, r := range rows {
		if r.Kind != outbox.KindInvitation || r.MemberID == 0 {
			continue
		}
		switch {
		case r.State == store.NotificationSent && r.DiscordMessageID == mailer.MessageID(r.IdempotencyKey, senderDomain):
			sent++
		case r.MemberID == members[2].ID && r.State == store.NotificationFailed && r.Attempts == 1:
			failed++
		default:
			t.Errorf("row %d for member %d: %s, %d attempts, id %q", r.ID, r.MemberID, r.State, r.Attempts, r.DiscordMessageID)
		}
	}
	if sent != len(members)-1 || failed != 1 {
		t.Errorf("%d invitations sent with their Message-ID, %d failed once; want %d and 1", sent, failed, len(members)-1)
	}
}

// waitIdle waits until the scheduler has handled everything due: a round
// that starts after this call has gone idle.
func waitIdle(t *testing.T, e *env, sc *scheduler.Scheduler, idle chan time.Time) {
	t.Helper()
	for len(idle) > 0 {
		<-idle
	}
	sc.Wake()
	select {
	case <-idle:
	case <-e.ctx().Done():
		t.Fatal("the scheduler did not settle")
	}
}

// refuse refuses RCPT TO address with a 550 (a hard bounce).
func refuse(address, msg string) func(to string) *smtp.SMTPError {
	return func(to string) *smtp.SMTPError {
		if strings.EqualFold(to, address) {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: msg}
		}
		return nil
	}
}

// smtpCode is the code of an SMTP reply err carries (0 for none).
func smtpCode(err error) int {
	var e *smtp.SMTPError
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestImplicitTLSAndLoopbackWithoutTLS(t *testing.T) {
	for _, mode := range []string{"tls", "none"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, i18n.Czech)
			m := e.member("Petr Dvořák", "petr@obec.example.cz")
			// A loopback relay without TLS takes mail without a login.
			srv := startSMTP(t, smtptest.Options{TLS: mode, AuthOptional: mode == "none"})
			cfg := config.SMTP{Addr: srv.Addr, TLS: mode, From: "Koordinace <koordinace@mesto.example.cz>",
				FromName: "Koordinace", FromAddress: "koordinace@mesto.example.cz"}
			if mode == "tls" {
				cfg.Username, cfg.Password = srv.User, config.Secret(srv.Password)
			}
			snd := mailer.New(e.store, cfg, "", e.core, e.clock.Now, nil)
			defer snd.Close()
			snd.TLSConfig = srv.ClientTLS
			n := e.row(outbox.KindInvitation, m, `{"sequence":0}`)
			id, err := snd.Deliver(e.ctx(), n)
			if err != nil {
				t.Fatal(err)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 || msgs[0].From != "koordinace@mesto.example.cz" {
				t.Fatalf("messages %+v", msgs)
			}
			p := parse(t, msgs[0].Data)
			if from := p.address(t, "From"); from.Name != "Koordinace" || from.Address != "koordinace@mesto.example.cz" {
				t.Errorf("From = %v; want smtp.from", from)
			}
			if rt := p.Header.Get("Reply-To"); rt != "" {
				t.Errorf("Reply-To %q without mail.address", rt)
			}
			if id != mailer.MessageID(n.IdempotencyKey, "mesto.example.cz") {
				t.Errorf("Message-ID %q not at smtp.from's domain", id)
			}
			// Without mail.address, answers go to smtp.from: the organizer.
			if _, ev := p.event(t); prop(ev, ical.PropOrganizer) != "mailto:koordinace@mesto.example.cz" {
				t.Errorf("ORGANIZER %q", prop(ev, ical.PropOrganizer))
			}
		})
	}
}
