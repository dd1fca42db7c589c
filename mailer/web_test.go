package mailer_test

import (
	"bytes"
	"context"
	"errors"
	"html"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"coordbot/i18n"
	"coordbot/links"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

const publicURL = "https://schuzky.kraj.example.cz"

var linkKey = bytes.Repeat([]byte{0x5a}, 32)

// link is a link found in a mail part: what it says and where it goes.
type link struct{ text, url string }

var (
	// A line "Text: URL" of the text part.
	plainLink = regexp.MustCompile(`(?m)^(.+): (https://\S+)$`)
	// An anchor of the HTML part (html/template writes them this way).
	htmlLink = regexp.MustCompile(`<a href="([^"]+)">([^<]+)</a>`)
)

// linksIn returns the links of both text parts of a parsed mail, checking
// that both carry the same ones.
func linksIn(t *testing.T, p *parsed) []link {
	t.Helper()
	var plain, rich []link
	for _, m := range plainLink.FindAllStringSubmatch(p.Parts["text/plain"], -1) {
		plain = append(plain, link{m[1], m[2]})
	}
	for _, m := range htmlLink.FindAllStringSubmatch(p.Parts["text/html"], -1) {
		rich = append(rich, link{html.UnescapeString(m[2]), html.UnescapeString(m[1])})
	}
	if len(plain) != len(rich) {
		t.Fatalf("text part has links %q, HTML part %q", plain, rich)
	}
	for i := range plain {
		if plain[i] != rich[i] {
			t.Errorf("link %d: text part %q, HTML part %q", i, plain[i], rich[i])
		}
	}
	return plain
}

// TestOneClickAnswerLinks: with a signer, the invitation, the reminder and
// the nudge carry "Přijdu / Nepřijdu / Možná" in the text and the HTML
// part, each a token that parses back to this member, this meeting and
// that answer; other kinds, and every kind without a signer, carry none.
func TestOneClickAnswerLinks(t *testing.T) {
	for _, lang := range []i18n.Lang{i18n.Czech, i18n.English} {
		t.Run(string(lang), func(t *testing.T) {
			e := newEnv(t, lang)
			m := e.member("Petr Dvořák", "petr@obec.example.cz")
			signer := links.New(linkKey, publicURL+"/")
			e.sender.Links = signer
			labels := []string{"Přijdu", "Nepřijdu", "Možná"}
			if lang == i18n.English {
				labels = []string{"I'll come", "I can't come", "Maybe"}
			}
			answers := []string{store.AnswerYes, store.AnswerNo, store.AnswerMaybe}
			for _, c := range []struct {
				kind    outbox.Kind
				payload string
			}{{outbox.KindInvitation, `{"sequence":0}`}, {outbox.KindReminder, `{"offset":"7d"}`}, {outbox.KindNudgeDM, ""}} {
				e.deliver(e.row(c.kind, m, c.payload))
				msgs := e.smtp.Messages()
				p := parse(t, msgs[len(msgs)-1].Data)
				got := linksIn(t, p)
				if len(got) != 3 {
					t.Fatalf("%s: links %q, want three answers", c.kind, got)
				}
				for i, l := range got {
					token, ok := strings.CutPrefix(l.url, publicURL+"/a/")
					if !ok || l.text != labels[i] {
						t.Errorf("%s: link %d = %q, want %q at %s/a/…", c.kind, i, l, labels[i], publicURL)
						continue
					}
					member, mt, answer, err := signer.ParseAnswer(token)
					if err != nil || member != m.ID || mt != e.meeting.ID || answer != answers[i] {
						t.Errorf("%s: %q parses to member %d, meeting %d, %q, %v; want %d, %d, %q",
							c.kind, l.text, member, mt, answer, err, m.ID, e.meeting.ID, answers[i])
					}
				}
			}
			// The call for agenda items asks for no answer.
			e.deliver(e.row(outbox.KindAgendaCall, m, ""))
			msgs := e.smtp.Messages()
			if got := linksIn(t, parse(t, msgs[len(msgs)-1].Data)); len(got) != 0 {
				t.Errorf("agenda call has links %q", got)
			}
			// Without a signer (no public_url), no links.
			e.sender.Links = nil
			e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
			msgs = e.smtp.Messages()
			if raw := msgs[len(msgs)-1].Data; bytes.Contains(raw, []byte("/a/")) {
				t.Errorf("an invitation without a signer has answer links:\n%s", raw)
			}
		})
	}
}

// requestSignIn asks the core for a sign-in link to address and returns
// the outbox row it wrote.
func (e *env) requestSignIn(address string) *store.Notification {
	e.t.Helper()
	if err := e.core.RequestSignIn(e.ctx(), address); err != nil {
		e.t.Fatal(err)
	}
	rows, err := e.store.Notifications(e.ctx(), store.NotificationFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Kind == outbox.KindSignIn {
			return rows[i]
		}
	}
	e.t.Fatalf("no sign-in row for %s", address)
	return nil
}

func TestSignInMail(t *testing.T) {
	for _, tt := range []struct {
		lang              i18n.Lang
		subject, valid    string
		label, notAskedTo string
	}{
		{i18n.Czech, "Přihlášení na stránky schůzek", "platí jen jednou a jen 15 minut, do 1. 3. 2027 11:15", "Přihlásit se",
			"Pokud jste o přihlášení nežádali, tento e-mail ignorujte"},
		{i18n.English, "Sign in to the meeting pages", "works once and only for 15 minutes, until 1 Mar 2027, 11:15", "Sign in",
			"If you did not ask to sign in, ignore this e-mail"},
	} {
		t.Run(string(tt.lang), func(t *testing.T) {
			e := newEnv(t, tt.lang)
			signer := links.New(linkKey, publicURL)
			e.sender.Links = signer
			// The link goes to the address it was asked for, not to the
			// member's first one.
			m := e.member("Petr Dvořák", "petr@obec.example.cz")
			m.Emails = append(m.Emails, "dvorak@obec.example.cz")
			if err := e.store.UpdateMember(e.ctx(), m); err != nil {
				t.Fatal(err)
			}
			n := e.requestSignIn("Petr@Obec.example.cz")
			id := e.deliver(n)
			msgs := e.smtp.Messages()
			if len(msgs) != 1 || len(msgs[0].To) != 1 || msgs[0].To[0] != "petr@obec.example.cz" {
				t.Fatalf("messages %+v, want one to petr@obec.example.cz", msgs)
			}
			p := parse(t, msgs[0].Data)
			if s := p.subject(t); s != tt.subject {
				t.Errorf("Subject = %q, want %q", s, tt.subject)
			}
			if got, _ := p.Header.MessageID(); got != id || id != mailer.MessageID(n.IdempotencyKey, senderDomain) {
				t.Errorf("Message-ID %q, sent id %q", got, id)
			}
			plain := p.Parts["text/plain"]
			for _, w := range []string{tt.valid, tt.notAskedTo, "petr@obec.example.cz"} {
				if !strings.Contains(plain, w) {
					t.Errorf("text lacks %q:\n%s", w, plain)
				}
			}
			if _, ok := p.Parts["text/calendar"]; ok {
				t.Error("a calendar part in a sign-in mail")
			}
			got := linksIn(t, p)
			if len(got) != 1 || got[0].text != tt.label {
				t.Fatalf("links %q, want one %q", got, tt.label)
			}
			token, ok := strings.CutPrefix(got[0].url, publicURL+"/login/")
			want, err := outbox.SignInLink(n)
			if err != nil {
				t.Fatal(err)
			}
			if linkID, err := signer.ParseSignIn(token); !ok || err != nil || linkID != want {
				t.Errorf("link %q parses to %d, %v; want link %d", got[0].url, linkID, err, want)
			}
		})
	}
}

// TestSignInMailThatCannotHelpFailsForGood: a sign-in row is not sent
// (and not retried) once its link has expired, without a signer, or when
// its address is no longer the member's.
func TestSignInMailThatCannotHelpFailsForGood(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	e.sender.Links = links.New(linkKey, publicURL)

	expired := e.requestSignIn("petr@obec.example.cz")
	e.clock.Set(t0.Add(meeting.SignInTTL))
	if _, err := e.sender.Deliver(e.ctx(), expired); !errors.Is(err, scheduler.ErrPermanent) {
		t.Errorf("expired link: %v, want a permanent failure", err)
	}

	fresh := e.requestSignIn("petr@obec.example.cz")
	e.sender.Links = nil
	if _, err := e.sender.Deliver(e.ctx(), fresh); !errors.Is(err, scheduler.ErrPermanent) {
		t.Errorf("no signer: %v, want a permanent failure", err)
	}
	e.sender.Links = links.New(linkKey, publicURL)
	m.Emails = []string{"novy@obec.example.cz"}
	if err := e.store.UpdateMember(e.ctx(), m); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sender.Deliver(e.ctx(), fresh); !errors.Is(err, scheduler.ErrPermanent) {
		t.Errorf("address changed since: %v, want a permanent failure", err)
	}
	if got := len(e.smtp.Messages()); got != 0 {
		t.Errorf("%d messages sent, want none", got)
	}
}

// TestSignInThroughTheScheduler runs the whole path: the core's
// RequestSignIn wakes the real scheduler, which hands the row (no fan-out,
// not stale although it has no meeting) to the mailer, which submits it to
// the SMTP server; the link in the received mail parses to a link id that
// SignIn accepts once and refuses the second time. The member's invitation,
// sent in the same run, carries answer links that parse back.
func TestSignInThroughTheScheduler(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	signer := links.New(linkKey, publicURL)
	e.sender.Links = signer
	sc := scheduler.New(e.store, map[string]scheduler.Sender{store.ChannelEmail: e.sender}, e.clock, discardLogger())
	idle := make(chan time.Time, 100)
	sc.Idle = func(now time.Time) {
		select {
		case idle <- now:
		default:
		}
	}
	e.core.Changed = sc.Wake
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sc.Run(ctx) }()
	defer func() { cancel(); <-done }()

	if err := e.core.RequestSignIn(e.ctx(), "petr@obec.example.cz"); err != nil {
		t.Fatal(err)
	}
	// The invitation (the meeting's timeline, due now) and the sign-in.
	msgs, err := e.smtp.WaitFor(e.ctx(), 2)
	if err != nil {
		t.Fatalf("mail: %v", err)
	}
	waitIdle(t, e, sc, idle)
	var signInURL, answerURL string
	for _, msg := range msgs {
		if len(msg.To) != 1 || msg.To[0] != "petr@obec.example.cz" {
			t.Errorf("a mail to %q", msg.To)
		}
		p := parse(t, msg.Data)
		for _, l := range linksIn(t, p) {
			switch {
			case strings.HasPrefix(l.url, publicURL+"/login/"):
				signInURL = l.url
			case l.text == "Možná":
				answerURL = l.url
			}
		}
	}
	linkID, err := signer.ParseSignIn(strings.TrimPrefix(signInURL, publicURL+"/login/"))
	if err != nil {
		t.Fatalf("sign-in link %q: %v", signInURL, err)
	}
	if member, mt, answer, err := signer.ParseAnswer(strings.TrimPrefix(answerURL, publicURL+"/a/")); err != nil ||
		member != m.ID || mt != e.meeting.ID || answer != store.AnswerMaybe {
		t.Errorf("the invitation's maybe link %q: %d, %d, %q, %v", answerURL, member, mt, answer, err)
	}

	// The row is sent, under its Message-ID, and nothing else was written
	// for it (no fan-out, no failure report).
	rows, err := e.store.Notifications(e.ctx(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	signIns := 0
	for _, r := range rows {
		if r.MeetingID == 0 {
			if r.Kind != outbox.KindSignIn || r.State != store.NotificationSent ||
				r.DiscordMessageID != mailer.MessageID(r.IdempotencyKey, senderDomain) {
				t.Errorf("row without meeting: %s, %s, %q", r.Kind, r.State, r.DiscordMessageID)
			}
			signIns++
		}
	}
	if signIns != 1 {
		t.Errorf("%d rows without a meeting, want the one sign-in row", signIns)
	}

	e.clock.Set(t0.Add(5 * time.Minute))
	cookie, who, err := e.core.SignIn(e.ctx(), linkID)
	if err != nil || who.ID != m.ID || cookie == "" {
		t.Fatalf("SignIn = %q, %+v, %v", cookie, who, err)
	}
	if got, _, err := e.store.SessionMember(e.ctx(), cookie, e.clock.Now()); err != nil || got.ID != m.ID {
		t.Errorf("session: %+v, %v", got, err)
	}
	_, _, err = e.core.SignIn(e.ctx(), linkID)
	if r, ok := meeting.IsRefusal(err); !ok || !strings.Contains(r.Message(i18n.Czech), "už byl použit") {
		t.Errorf("second SignIn: %v, want the refusal of a used link", err)
	}
}

// TestFailedSignInMailIsNotReported: a sign-in mail that fails for good
// after its attempts concerns one person, who asks again; the scheduler
// tells the group's coordinators nothing (that would say who tried to
// sign in), unlike other failed mail.
func TestFailedSignInMailIsNotReported(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	m.Emails = append(m.Emails, "zz.dvorak@obec.example.cz")
	if err := e.store.UpdateMember(e.ctx(), m); err != nil {
		t.Fatal(err)
	}
	boss := e.member("Jana Nováková", "jana@obec.example.cz")
	if err := e.store.SetMembership(e.ctx(), e.group.ID, boss.ID, store.RoleCoordinator); err != nil {
		t.Fatal(err)
	}
	e.sender.Links = links.New(linkKey, publicURL)
	// The address the sign-in goes to is down for now (451: try later);
	// the invitations go to the members' first addresses.
	e.smtp.RefuseRcpt = func(to string) *smtp.SMTPError {
		if to == "zz.dvorak@obec.example.cz" {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 2, 0}, Message: "Try later"}
		}
		return nil
	}
	sc := scheduler.New(e.store, map[string]scheduler.Sender{store.ChannelEmail: e.sender}, e.clock, discardLogger())
	sc.MaxAttempts = 1
	idle := make(chan time.Time, 100)
	sc.Idle = func(now time.Time) {
		select {
		case idle <- now:
		default:
		}
	}
	e.core.Changed = sc.Wake
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = sc.Run(ctx) }()
	defer func() { cancel(); <-done }()

	n := e.requestSignIn("zz.dvorak@obec.example.cz")
	if _, err := e.smtp.WaitFor(e.ctx(), 2); err != nil { // the two invitations
		t.Fatal(err)
	}
	waitIdle(t, e, sc, idle)
	rows, err := e.store.Notifications(e.ctx(), store.NotificationFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		switch {
		case r.ID == n.ID:
			if r.State != store.NotificationFailed || r.Attempts != 1 {
				t.Errorf("the sign-in row: %s after %d attempts, want failed after 1", r.State, r.Attempts)
			}
		case r.Kind == outbox.KindNotice || r.Kind == outbox.KindNoticeDM || r.Kind == outbox.KindDeliveryFailed:
			t.Errorf("a failure report %s (%s): the failed sign-in was told to the group", r.Kind, r.IdempotencyKey)
		}
	}
	if got := len(e.smtp.Messages()); got != 2 {
		t.Errorf("%d messages, want the two invitations", got)
	}
}
