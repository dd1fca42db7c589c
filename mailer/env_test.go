package mailer_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	"coordbot/config"
	"coordbot/i18n"
	"coordbot/internal/smtptest"
	"coordbot/internal/testutil"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"

	// The tests compute Prague wall-clock times wherever they run.
	_ "time/tzdata"
)

const (
	day          = 24 * time.Hour
	archiveAddr  = "archiv@kraj.example.cz"
	senderDomain = "kraj.example.cz"
	groupName    = "Pracovní skupina protidrogové politiky"
	meetingTitle = "Jednání pracovní skupiny"
)

var (
	// t0 is the tests' now: Monday 1 March 2027, 11:00 in Prague.
	t0 = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	// meetingStart: Wednesday 31 March 2027, 10:00 in Prague (summer time).
	meetingStart = time.Date(2027, 3, 31, 8, 0, 0, 0, time.UTC)
)

// env is a store with an e-mail group, a meeting, a test SMTP server and a
// Sender that submits to it over STARTTLS with AUTH PLAIN.
type env struct {
	t       testing.TB
	store   *store.Store
	core    *meeting.Service
	clock   *testutil.Clock
	group   *store.Group
	meeting *store.Meeting
	smtp    *smtptest.Server
	sender  *mailer.Sender
	logs    *testutil.SyncBuffer
	keys    int
}

// migrated is a database file with every migration applied, made once in
// TestMain: migrating costs most of a test's time under -race, copying a
// file almost nothing.
var migrated string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "coordbot-mailer-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	migrated = filepath.Join(dir, "migrated.db")
	s, err := store.Open(context.Background(), migrated, store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// Closing the last connection checkpoints the WAL into the file.
	if err := s.Close(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func newEnv(t testing.TB, lang i18n.Lang) *env {
	t.Helper()
	path := filepath.Join(t.TempDir(), "coordbot.db")
	b, err := os.ReadFile(migrated)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, store: s, clock: testutil.NewClock(t0), logs: &testutil.SyncBuffer{}}
	s.Now = e.clock.Now
	e.group = &store.Group{Slug: "pracovni-skupina", Name: groupName, TimeZone: "Europe/Prague", Locale: lang,
		Reminders: []time.Duration{day}, AgendaCall: 14 * day, AgendaDeadline: 3 * day, EmailEnabled: true,
		EmailReminders: []time.Duration{7 * day, day}}
	if err := s.UpsertGroup(e.ctx(), e.group); err != nil {
		t.Fatal(err)
	}
	e.core = meeting.New(s)
	e.core.Now = e.clock.Now
	res, err := e.core.Create(e.ctx(), meeting.Operator(), e.group.ID, meeting.Draft{Title: meetingTitle,
		Start: meetingStart, Place: "Krajský úřad, zasedačka 3"})
	if err != nil {
		t.Fatal(err)
	}
	e.meeting = res.Meeting
	e.smtp = startSMTP(t, smtptest.Options{})
	e.sender = e.newSender(e.smtp.Password)
	return e
}

// startSMTP starts the test SMTP server as o says; it stops when the test
// ends.
func startSMTP(t testing.TB, o smtptest.Options) *smtptest.Server {
	t.Helper()
	srv, err := smtptest.StartWith(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// newSender is a Sender for the env's server with that password.
func (e *env) newSender(password string) *mailer.Sender {
	cfg := config.SMTP{Addr: e.smtp.Addr, TLS: "starttls", Username: e.smtp.User, Password: config.Secret(password)}
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	snd := mailer.New(e.store, cfg, archiveAddr, e.core, e.clock.Now, logger)
	snd.TLSConfig = e.smtp.ClientTLS
	snd.Timeout = 5 * time.Second
	e.t.Cleanup(func() { snd.Close() })
	return snd
}

func (e *env) ctx() context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	e.t.Cleanup(cancel)
	return c
}

// member adds a member of the group reached by e-mail at address ("" for
// none).
func (e *env) member(name, address string) *store.Member {
	e.t.Helper()
	m := &store.Member{DisplayName: name, Notify: store.NotifyEmail}
	if address != "" {
		m.Emails = []string{address}
	}
	if err := e.store.CreateMember(e.ctx(), m); err != nil {
		e.t.Fatal(err)
	}
	if err := e.store.SetMembership(e.ctx(), e.group.ID, m.ID, store.RoleMember); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// members adds n members at distinct addresses.
func (e *env) members(n int) []*store.Member {
	out := make([]*store.Member, n)
	for i := range out {
		out[i] = e.member(fmt.Sprintf("Člen Číslo %d", i+1), fmt.Sprintf("clen%d@obec%d.example.cz", i+1, i%7))
	}
	return out
}

// row enqueues a one-recipient e-mail row of kind as the scheduler's
// fan-out writes it, and returns it.
func (e *env) row(kind outbox.Kind, to *store.Member, payload string) *store.Notification {
	e.t.Helper()
	e.keys++
	meetingID := e.meeting.ID
	if kind == outbox.KindNoticeDM && strings.Contains(payload, `"no_meeting"`) {
		meetingID = 0
	}
	n := &store.Notification{GroupID: e.group.ID, MeetingID: meetingID, Kind: kind, Due: e.clock.Now(),
		Channel: store.ChannelEmail, MemberID: to.ID,
		IdempotencyKey: fmt.Sprintf("m%d:test:%s:%d:mail:u%d", meetingID, kind, e.keys, to.ID), Payload: payload}
	if err := e.store.EnqueueNotification(e.ctx(), n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// deliver delivers n and fails the test on an error.
func (e *env) deliver(n *store.Notification) string {
	e.t.Helper()
	id, err := e.sender.Deliver(e.ctx(), n)
	if err != nil {
		e.t.Fatalf("deliver %s: %v\nlogs:\n%s", n.Kind, err, e.logs.String())
	}
	return id
}

// parsed is a received message taken apart.
type parsed struct {
	Header mail.Header
	// Parts by media type: the decoded body and the Content-Type params.
	Parts  map[string]string
	Params map[string]map[string]string
}

func parse(t testing.TB, raw []byte) *parsed {
	t.Helper()
	ent, err := message.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v", err)
	}
	p := &parsed{Header: mail.Header{Header: ent.Header}, Parts: map[string]string{}, Params: map[string]map[string]string{}}
	mr := ent.MultipartReader()
	if mr == nil {
		t.Fatalf("not multipart:\n%s", raw)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		mt, params, err := part.Header.ContentType()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(part.Body)
		if err != nil {
			t.Fatal(err)
		}
		if mt != "text/calendar" {
			// Text travels with CRLF line ends; the tests compare LF.
			b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
		}
		p.Parts[mt], p.Params[mt] = string(b), params
	}
	return p
}

// subject is the decoded Subject.
func (p *parsed) subject(t testing.TB) string {
	t.Helper()
	s, err := p.Header.Subject()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// address is the one address of an address header.
func (p *parsed) address(t testing.TB, key string) *mail.Address {
	t.Helper()
	l, err := p.Header.AddressList(key)
	if err != nil || len(l) != 1 {
		t.Fatalf("%s: %v, %v", key, l, err)
	}
	return l[0]
}

// event decodes the calendar part and returns the calendar and its one
// event.
func (p *parsed) event(t testing.TB) (*ical.Calendar, *ical.Component) {
	t.Helper()
	body, ok := p.Parts["text/calendar"]
	if !ok {
		t.Fatal("no text/calendar part")
	}
	cal, err := ical.NewDecoder(strings.NewReader(body)).Decode()
	if err != nil {
		t.Fatalf("decode calendar: %v\n%s", err, body)
	}
	evs := cal.Events()
	if len(evs) != 1 {
		t.Fatalf("%d events", len(evs))
	}
	return cal, evs[0].Component
}

// prop is a property's value ("" when missing).
func prop(c *ical.Component, name string) string {
	if p := c.Props.Get(name); p != nil {
		return p.Value
	}
	return ""
}
