package mailer_test

import (
	"encoding/json"
	"strings"
	"testing"

	"coordbot/i18n"
	"coordbot/mailer"
	"coordbot/outbox"
	"coordbot/store"
)

// TestEveryKindRenders delivers one row of each kind to a member and
// checks the subject, the words the text must carry, and that only the
// invitation and the cancellation have a calendar part.
func TestEveryKindRenders(t *testing.T) {
	e := newEnv(t, i18n.Czech)
	m := e.member("Petr Dvořák", "petr@obec.example.cz")
	other := e.member("Lucie Černá", "lucie@obec.example.cz")
	for _, it := range []*store.AgendaItem{
		{MeetingID: e.meeting.ID, Title: "Rozpočet na rok 2028", Details: "Návrh rozpočtu\nk připomínkám", Status: store.AgendaAccepted},
		{MeetingID: e.meeting.ID, Title: "Zpráva o činnosti <b>", Status: store.AgendaAccepted},
		{MeetingID: e.meeting.ID, Title: "Nápad bez rozhodnutí", Status: store.AgendaProposed},
		{MeetingID: e.meeting.ID, Title: "Stažený bod", Status: store.AgendaWithdrawn},
	} {
		if err := e.store.AddAgendaItem(e.ctx(), it); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*store.RSVP{
		{MeetingID: e.meeting.ID, MemberID: m.ID, Answer: store.AnswerMaybe, Via: store.ViaEmail},
		{MeetingID: e.meeting.ID, MemberID: other.ID, Answer: store.AnswerYes, Via: store.ViaEmail},
	} {
		if err := e.store.SetRSVP(e.ctx(), r); err != nil {
			t.Fatal(err)
		}
	}
	notice := func(n outbox.Notice) string {
		b, err := json.Marshal(n)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name    string
		kind    outbox.Kind
		payload string
		subject string
		want    []string
		unwant  []string
	}{
		{"agenda call", outbox.KindAgendaCall, "", "Návrhy bodů programu: " + meetingTitle + " " + czWhen,
			[]string{"do 28. 3. 2027 10:00", "první řádek odpovědi je název bodu"}, nil},
		{"agenda", outbox.KindAgendaDeadline, "", "Program: " + meetingTitle + " " + czWhen,
			[]string{"1. Rozpočet na rok 2028\n   Návrh rozpočtu\n   k připomínkám", "2. Zpráva o činnosti <b>", "– Nápad bez rozhodnutí"},
			[]string{"Stažený bod"}},
		{"reminder", outbox.KindReminder, `{"offset":"7d"}`, "Připomínka: " + meetingTitle + " " + czWhen,
			[]string{"přijde 1, možná 1, nepřijde 0", "Vaše odpověď: Možná", "Nepřijdu"}, nil},
		{"nudge", outbox.KindNudgeDM, "", "Přijdete? " + meetingTitle + " " + czWhen,
			[]string{"ještě nevíme", "Přijdu, Nepřijdu nebo Možná"}, nil},
		{"minutes nudge", outbox.KindMinutesNudgeDM, "", "Zápis: " + meetingTitle + " " + czWhen,
			[]string{"není zápis", "Pošlete ho prosím na " + archiveAddr}, nil},
		{"bounce notice", outbox.KindNoticeDM, notice(outbox.Notice{Subject: outbox.NoticeBounce, MemberID: other.ID,
			Address: "lucie@obec.example.cz", Detail: "550 5.1.1 Mailbox neexistuje"}),
			"Nedoručitelná adresa: lucie@obec.example.cz",
			[]string{"Lucie Černá", "lucie@obec.example.cz", "550 5.1.1 Mailbox neexistuje", meetingTitle}, nil},
		{"unreadable answer", outbox.KindNoticeDM, notice(outbox.Notice{Subject: outbox.NoticeUnreadableAnswer, MemberID: other.ID,
			Address: "lucie@obec.example.cz", ArchiveID: 77}),
			"Nečitelná odpověď: Lucie Černá <lucie@obec.example.cz>",
			[]string{"nepodařilo přečíst", "číslem 77", "coordbot minutes list -kind reply", meetingTitle}, nil},
		{"refused answer", outbox.KindNoticeDM, notice(outbox.Notice{Subject: outbox.NoticeRefusedAnswer,
			Address: "cizi@example.com", Detail: "Schůzka už je zrušena.", ArchiveID: 78}),
			"Odpověď nebyla zapsána: cizi@example.com",
			[]string{"nebyla zapsána", "Schůzka už je zrušena.", "číslem 78"}, nil},
		{"delivery failed, told to the coordinators", outbox.KindNoticeDM, notice(outbox.Notice{Subject: outbox.NoticeDeliveryFailed,
			Detail: "reminder"}),
			"Zprávu se nepodařilo doručit: " + meetingTitle,
			[]string{"„reminder“", meetingTitle, "nepodařilo doručit"}, nil},
		{"delivery failed", outbox.KindDeliveryFailed, `{"failed_kind":"reminder"}`, "Nedoručeno: " + meetingTitle,
			[]string{"„reminder“", "nepodařilo doručit"}, nil},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := e.row(c.kind, m, c.payload)
			id := e.deliver(n)
			msgs := e.smtp.Messages()
			if len(msgs) != i+1 {
				t.Fatalf("%d messages, want %d", len(msgs), i+1)
			}
			p := parse(t, msgs[i].Data)
			if s := p.subject(t); s != c.subject {
				t.Errorf("Subject = %q, want %q", s, c.subject)
			}
			if got, _ := p.Header.MessageID(); got != id || id != mailer.MessageID(n.IdempotencyKey, senderDomain) {
				t.Errorf("Message-ID %q, sent id %q", got, id)
			}
			plain := p.Parts["text/plain"]
			for _, w := range c.want {
				if !strings.Contains(plain, w) {
					t.Errorf("text lacks %q:\n%s", w, plain)
				}
			}
			for _, w := range c.unwant {
				if strings.Contains(plain, w) {
					t.Errorf("text has %q:\n%s", w, plain)
				}
			}
			if _, ok := p.Parts["text/calendar"]; ok {
				t.Error("a calendar part in a message that is no invitation")
			}
			if html := p.Parts["text/html"]; strings.Contains(html, "<b>") {
				t.Errorf("HTML not escaped: %s", html)
			}
		})
	}
}

func TestEnglishGroupGetsEnglishMail(t *testing.T) {
	e := newEnv(t, i18n.English)
	m := e.member("Peter Smith", "peter@example.org")
	e.deliver(e.row(outbox.KindInvitation, m, `{"sequence":0}`))
	p := parse(t, e.smtp.Messages()[0].Data)
	if s := p.subject(t); s != "Invitation: "+meetingTitle+", 31 Mar 2027, 10:00" {
		t.Errorf("Subject = %q", s)
	}
	plain := p.Parts["text/plain"]
	for _, w := range []string{"Hello,", "Accept, Tentative, Decline", "yes, no or maybe"} {
		if !strings.Contains(plain, w) {
			t.Errorf("text lacks %q:\n%s", w, plain)
		}
	}
	if lang := p.Header.Get("Content-Language"); lang != "en" {
		t.Errorf("Content-Language = %q", lang)
	}
}

func TestMessageIDIsDerivedFromTheKey(t *testing.T) {
	a := mailer.MessageID("m1:s1805792400:invitation:mail:u7", "Kraj.Example.cz")
	if a != mailer.MessageID("m1:s1805792400:invitation:mail:u7", "kraj.example.cz") {
		t.Error("the same key gave two Message-IDs")
	}
	if a == mailer.MessageID("m1:s1805792400:invitation:mail:u8", "kraj.example.cz") {
		t.Error("two keys gave one Message-ID")
	}
	local, domain, ok := strings.Cut(a, "@")
	if !ok || len(local) != 32 || domain != "kraj.example.cz" || strings.Trim(local, "0123456789abcdef") != "" {
		t.Errorf("Message-ID %q: want 32 hex digits at the domain", a)
	}
	if got := mailer.MessageID("k", ""); !strings.HasSuffix(got, "@coordbot.invalid") {
		t.Errorf("without a domain: %q", got)
	}
}
