package mailer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"coordbot/calendar"
	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"
)

// The texts of the mail, Czech first. Paragraphs after the greeting start
// in lower case where they continue "Dobrý den,".
var (
	txtHello     = i18n.Text{CS: "Dobrý den,", EN: "Hello,"}
	txtSignature = i18n.Text{CS: "Tuto zprávu poslal coordbot za skupinu %s.", EN: "Sent by coordbot for %s."}
	txtWhen      = i18n.Text{CS: "Kdy: %s", EN: "When: %s"}
	txtEnds      = i18n.Text{CS: "Konec: %s", EN: "Ends: %s"}
	txtWhere     = i18n.Text{CS: "Kde: %s", EN: "Where: %s"}
	txtOnline    = i18n.Text{CS: "Online: %s", EN: "Online: %s"}

	txtInviteSubject = i18n.Text{CS: "Pozvánka: %s %s", EN: "Invitation: %s, %s"}
	txtChangeSubject = i18n.Text{CS: "Změna: %s %s", EN: "Changed: %s, %s"}
	txtInvite        = i18n.Text{CS: "zveme vás na schůzku „%s“ skupiny %s.", EN: "you are invited to “%s” of %s."}
	txtChanged       = i18n.Text{CS: "čas nebo místo schůzky „%s“ skupiny %s se změnily. Platí tyto údaje:", EN: "the time or place of “%s” of %s has changed. These are the current details:"}
	txtHowCalendar   = i18n.Text{
		CS: "Odpovědět můžete tlačítkem v kalendáři (Přijmout, Nezávazně, Odmítnout), nebo odpovědí na tento e-mail: na první řádek napište Přijdu, Nepřijdu nebo Možná, na další řádky můžete připsat poznámku.",
		EN: "Answer with your calendar's buttons (Accept, Tentative, Decline), or reply to this e-mail with yes, no or maybe on the first line; you may add a note on the following lines."}
	txtHowReply = i18n.Text{
		CS: "Odpovězte prosím na tento e-mail: na první řádek napište Přijdu, Nepřijdu nebo Možná, na další řádky můžete připsat poznámku.",
		EN: "Please reply to this e-mail with yes, no or maybe on the first line; you may add a note on the following lines."}

	txtCancelSubject = i18n.Text{CS: "Zrušeno: %s %s", EN: "Cancelled: %s, %s"}
	txtCancelled     = i18n.Text{CS: "schůzka „%s“ skupiny %s, plánovaná na %s, je zrušena. Kalendář, který pozvánku přijal, ji odstraní.",
		EN: "“%s” of %s, planned for %s, is cancelled. A calendar that took the invitation removes it."}

	txtCallSubject = i18n.Text{CS: "Návrhy bodů programu: %s %s", EN: "Agenda items wanted: %s, %s"}
	txtCall        = i18n.Text{CS: "posílejte prosím body programu schůzky „%s“ skupiny %s (%s) do %s.",
		EN: "please send agenda items for “%s” of %s (%s) until %s."}
	txtCallHow = i18n.Text{
		CS: "Stačí odpovědět na tento e-mail: první řádek odpovědi je název bodu, další řádky jeho podrobnosti. Každý bod pošlete v samostatné odpovědi.",
		EN: "Just reply to this e-mail: the first line of your reply is the item's title, the rest its details. Send each item in a reply of its own."}

	txtAgendaSubject  = i18n.Text{CS: "Program: %s %s", EN: "Agenda: %s, %s"}
	txtAgendaIntro    = i18n.Text{CS: "program schůzky „%s“ skupiny %s (%s):", EN: "the agenda of “%s” of %s (%s):"}
	txtAgendaEmpty    = i18n.Text{CS: "Program zatím nemá žádný přijatý bod.", EN: "The agenda has no accepted items yet."}
	txtAgendaProposed = i18n.Text{CS: "Navržené body, o kterých se ještě nerozhodlo:", EN: "Proposed items not decided yet:"}

	txtReminderSubject = i18n.Text{CS: "Připomínka: %s %s", EN: "Reminder: %s, %s"}
	txtReminder        = i18n.Text{CS: "připomínáme schůzku „%s“ skupiny %s.", EN: "a reminder of “%s” of %s."}
	txtCounts          = i18n.Text{CS: "Zatím odpověděli: přijde %d, možná %d, nepřijde %d.", EN: "Answers so far: %d yes, %d maybe, %d no."}
	txtYourAnswer      = i18n.Text{CS: "Vaše odpověď: %s. Změnit ji můžete odpovědí na tento e-mail se slovem Přijdu, Nepřijdu nebo Možná na prvním řádku.",
		EN: "Your answer: %s. To change it, reply to this e-mail with yes, no or maybe on the first line."}
	txtAnswerYes   = i18n.Text{CS: "Přijdu", EN: "yes"}
	txtAnswerNo    = i18n.Text{CS: "Nepřijdu", EN: "no"}
	txtAnswerMaybe = i18n.Text{CS: "Možná", EN: "maybe"}

	txtNudgeSubject = i18n.Text{CS: "Přijdete? %s %s", EN: "Will you come? %s, %s"}
	txtNudge        = i18n.Text{CS: "ještě nevíme, zda přijdete na schůzku „%s“ skupiny %s (%s).", EN: "we do not know yet whether you will come to “%s” of %s (%s)."}

	txtMinutesSubject = i18n.Text{CS: "Zápis: %s %s", EN: "Minutes: %s, %s"}
	txtMinutes        = i18n.Text{CS: "ke schůzce „%s“ skupiny %s (%s) zatím v archivu není zápis.", EN: "there are no minutes of “%s” of %s (%s) in the archive yet."}
	txtMinutesSend    = i18n.Text{CS: "Pošlete ho prosím na %s.", EN: "Please send them to %s."}

	txtBounceSubject     = i18n.Text{CS: "Nedoručitelná adresa: %s", EN: "Undeliverable address: %s"}
	txtUnreadableSubject = i18n.Text{CS: "Nečitelná odpověď: %s", EN: "Answer could not be read: %s"}
	txtRefusedSubject    = i18n.Text{CS: "Odpověď nebyla zapsána: %s", EN: "Answer not recorded: %s"}
	txtNoticeOther       = i18n.Text{CS: "Upozornění coordbotu", EN: "Notice from coordbot"}
	txtSomeone           = i18n.Text{CS: "neznámý odesílatel", EN: "an unknown sender"}

	txtSignInSubject = i18n.Text{CS: "Přihlášení na stránky schůzek", EN: "Sign in to the meeting pages"}
	txtSignIn        = i18n.Text{CS: "někdo (nejspíš vy) požádal o přihlášení na stránky schůzek adresou %s. Přihlásíte se tímto odkazem:",
		EN: "someone (most likely you) asked to sign in to the meeting pages with the address %s. This link signs you in:"}
	txtSignInLink  = i18n.Text{CS: "Přihlásit se", EN: "Sign in"}
	txtSignInValid = i18n.Text{CS: "Odkaz platí jen jednou a jen %d minut, do %s. Pokud jste o přihlášení nežádali, tento e-mail ignorujte; bez odkazu se nikdo nepřihlásí.",
		EN: "The link works once and only for %d minutes, until %s. If you did not ask to sign in, ignore this e-mail; nobody signs in without the link."}

	txtOneClick   = i18n.Text{CS: "Odpovědět můžete jedním kliknutím:", EN: "Answer with one click:"}
	txtClickYes   = i18n.Text{CS: "Přijdu", EN: "I'll come"}
	txtClickNo    = i18n.Text{CS: "Nepřijdu", EN: "I can't come"}
	txtClickMaybe = i18n.Text{CS: "Možná", EN: "Maybe"}

	txtFailedSubject = i18n.Text{CS: "Nedoručeno: %s", EN: "Not delivered: %s"}
	txtFailedNotice  = i18n.Text{CS: "Zprávu se nepodařilo doručit: %s", EN: "A message could not be delivered: %s"}
	txtFailed        = i18n.Text{CS: "zprávu „%s“ ke schůzce „%s“ se nepodařilo doručit ani po několika pokusech; podrobnosti jsou v logu.", EN: "the “%s” message for “%s” could not be delivered after several attempts; the log has the details."}
)

// errPayload marks a row whose payload cannot be read: retrying cannot
// help.
var errPayload = errors.New("unreadable payload")

// view is what a row renders from: the store's state at delivery time.
type view struct {
	n         *store.Notification
	g         *store.Group
	m         *store.Meeting // nil for a notice about no meeting
	member    *store.Member
	lang      i18n.Lang
	loc       *time.Location
	signIn    *store.LoginLink // the link of a sign-in row, else nil
	organizer string           // the address answers go to
	archive   string           // mail.address, "" when unset
	now       time.Time
}

func (v *view) tr(t i18n.Text, args ...any) string { return t.In(v.lang, args...) }

// when is the meeting's start with the weekday, for the text.
func (v *view) when() string { return i18n.FormatWeekdayDateTime(v.m.Start, v.loc, v.lang) }

// subject formats a subject from the meeting's title and start.
func (v *view) subject(t i18n.Text) string {
	return v.tr(t, oneLine(v.m.Title), i18n.FormatDateTime(v.m.Start, v.loc, v.lang))
}

// details are the lines that say when and where.
func (v *view) details() string {
	lines := []string{v.tr(txtWhen, v.when()), v.tr(txtEnds, i18n.FormatDateTime(v.m.End(), v.loc, v.lang))}
	if p := oneLine(v.m.Place); p != "" {
		lines = append(lines, v.tr(txtWhere, p))
	}
	if u := oneLine(v.m.OnlineURL); u != "" {
		lines = append(lines, v.tr(txtOnline, u))
	}
	return strings.Join(lines, "\n")
}

func (v *view) signature() string { return v.tr(txtSignature, oneLine(v.g.Name)) }

// render builds the row's content from the store's state.
func (s *Sender) render(ctx context.Context, v *view) (*content, error) {
	n := v.n
	if n.Kind == outbox.KindSignIn {
		return s.renderSignIn(v), nil
	}
	if v.m == nil && n.Kind != outbox.KindNoticeDM {
		return nil, fmt.Errorf("mailer: %s row %d has no meeting: %w", n.Kind, n.ID, errPayload)
	}
	hello := v.tr(txtHello)
	switch n.Kind {
	case outbox.KindInvitation, outbox.KindCancellation:
		items, err := s.store.Agenda(ctx, v.m.ID)
		if err != nil {
			return nil, err
		}
		method := calendar.MethodRequest
		if n.Kind == outbox.KindCancellation {
			method = calendar.MethodCancel
		}
		cal, err := calendar.Invitation(calendar.Invite{Method: method, Group: v.g, Meeting: v.m, Agenda: items,
			Organizer: v.organizer, AttendeeName: v.member.DisplayName, AttendeeAddr: v.member.MailAddress(), Stamp: v.now})
		if err != nil {
			return nil, fmt.Errorf("mailer: %w", err)
		}
		c := &content{Calendar: cal, Method: method}
		title, group := oneLine(v.m.Title), oneLine(v.g.Name)
		switch {
		case method == calendar.MethodCancel:
			c.Subject = v.subject(txtCancelSubject)
			c.Paragraphs = []string{hello + "\n" + v.tr(txtCancelled, title, group, v.when())}
		case v.m.Sequence > 0:
			c.Subject = v.subject(txtChangeSubject)
			c.Paragraphs = []string{hello + "\n" + v.tr(txtChanged, title, group), v.details(), agendaText(v, items), v.tr(txtHowCalendar)}
		default:
			c.Subject = v.subject(txtInviteSubject)
			c.Paragraphs = []string{hello + "\n" + v.tr(txtInvite, title, group), v.details(), agendaText(v, items), v.tr(txtHowCalendar)}
		}
		if method == calendar.MethodRequest {
			// Before the paragraph on the calendar's buttons.
			s.answerLinks(c, v, len(c.Paragraphs)-1)
		}
		c.Paragraphs = append(c.Paragraphs, v.signature())
		return c, nil
	case outbox.KindAgendaCall:
		deadline := i18n.FormatDateTime(meeting.AgendaDeadline(v.g, v.m), v.loc, v.lang)
		return &content{Subject: v.subject(txtCallSubject), Paragraphs: []string{
			hello + "\n" + v.tr(txtCall, oneLine(v.m.Title), oneLine(v.g.Name), v.when(), deadline),
			v.tr(txtCallHow), v.signature()}}, nil
	case outbox.KindAgendaDeadline:
		items, err := s.store.Agenda(ctx, v.m.ID)
		if err != nil {
			return nil, err
		}
		return &content{Subject: v.subject(txtAgendaSubject), Paragraphs: []string{
			hello + "\n" + v.tr(txtAgendaIntro, oneLine(v.m.Title), oneLine(v.g.Name), v.when()),
			agendaText(v, items), v.details(), v.signature()}}, nil
	case outbox.KindReminder:
		counts, err := s.store.CountRSVPs(ctx, v.m.ID)
		if err != nil {
			return nil, err
		}
		answer := v.tr(txtHowReply)
		r, err := s.store.RSVP(ctx, v.m.ID, v.member.ID)
		switch {
		case err == nil && r.Answer != "":
			answer = v.tr(txtYourAnswer, answerWord(v, r.Answer))
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
		c := &content{Subject: v.subject(txtReminderSubject), Paragraphs: []string{
			hello + "\n" + v.tr(txtReminder, oneLine(v.m.Title), oneLine(v.g.Name)), v.details(),
			v.tr(txtCounts, counts.Yes, counts.Maybe, counts.No), answer, v.signature()}}
		s.answerLinks(c, v, 3) // before the paragraph on the answer
		return c, nil
	case outbox.KindNudgeDM:
		c := &content{Subject: v.subject(txtNudgeSubject), Paragraphs: []string{
			hello + "\n" + v.tr(txtNudge, oneLine(v.m.Title), oneLine(v.g.Name), v.when()), v.details(),
			v.tr(txtHowReply), v.signature()}}
		s.answerLinks(c, v, 2) // before the paragraph on replying
		return c, nil
	case outbox.KindMinutesNudgeDM:
		text := hello + "\n" + v.tr(txtMinutes, oneLine(v.m.Title), oneLine(v.g.Name), v.when())
		if v.archive != "" {
			text += " " + v.tr(txtMinutesSend, v.archive)
		}
		return &content{Subject: v.subject(txtMinutesSubject), Paragraphs: []string{text, v.signature()}}, nil
	case outbox.KindNoticeDM:
		return s.renderNotice(ctx, v)
	case outbox.KindDeliveryFailed:
		var p struct {
			FailedKind string `json:"failed_kind"`
		}
		_ = json.Unmarshal([]byte(n.Payload), &p) // a bad payload only loses the kind's name
		return &content{Subject: v.tr(txtFailedSubject, oneLine(v.m.Title)), Paragraphs: []string{
			hello + "\n" + v.tr(txtFailed, p.FailedKind, oneLine(v.m.Title)), v.signature()}}, nil
	}
	return nil, fmt.Errorf("mailer: row %d: kind %q is not sent by e-mail: %w", n.ID, n.Kind, errPayload)
}

// answerLinks adds the one-click answers ("Přijdu / Nepřijdu / Možná")
// before paragraph at, when the sender signs links: each opens the web
// page that confirms that answer of this member to this meeting.
func (s *Sender) answerLinks(c *content, v *view, at int) {
	if s.Links == nil {
		return
	}
	c.LinksIntro, c.LinksAt = v.tr(txtOneClick), at
	for _, a := range []struct {
		answer string
		text   i18n.Text
	}{{store.AnswerYes, txtClickYes}, {store.AnswerNo, txtClickNo}, {store.AnswerMaybe, txtClickMaybe}} {
		c.Links = append(c.Links, anchor{Text: v.tr(a.text), URL: s.Links.AnswerURL(v.member.ID, v.m.ID, a.answer)})
	}
}

// renderSignIn is the mail with a sign-in link: whom it signs in where,
// the link, how long it works, and what to do when it was not asked for.
func (s *Sender) renderSignIn(v *view) *content {
	l := v.signIn
	minutes := int(l.Expires.Sub(l.Created) / time.Minute)
	return &content{Subject: v.tr(txtSignInSubject), Paragraphs: []string{
		v.tr(txtHello) + "\n" + v.tr(txtSignIn, l.Address),
		v.tr(txtSignInValid, minutes, i18n.FormatDateTime(l.Expires, v.loc, v.lang)), v.signature()},
		Links: []anchor{{Text: v.tr(txtSignInLink), URL: s.Links.SignInURL(l.ID)}}, LinksAt: 1}
}

// renderNotice tells a coordinator what happened (outbox.Notice): the
// sentence every channel uses (outbox.Notice.Text), under a subject that
// names the case and whom it concerns.
func (s *Sender) renderNotice(ctx context.Context, v *view) (*content, error) {
	p, err := outbox.ParseNotice(v.n.Payload)
	if err != nil {
		return nil, fmt.Errorf("mailer: notice row %d: %w: %v", v.n.ID, errPayload, err)
	}
	name := ""
	if p.MemberID != 0 {
		mem, err := s.store.Member(ctx, p.MemberID)
		switch {
		case err == nil:
			name = oneLine(mem.DisplayName)
		case !errors.Is(err, store.ErrNotFound):
			return nil, err
		}
	}
	who := name
	switch {
	case who != "" && p.Address != "":
		who += " <" + oneLine(p.Address) + ">"
	case who == "":
		who = oneLine(p.Address)
	}
	if who == "" {
		who = v.tr(txtSomeone)
	}
	title := ""
	if v.m != nil {
		title = oneLine(v.m.Title)
	}
	c := &content{}
	switch p.Subject {
	case outbox.NoticeBounce:
		c.Subject = v.tr(txtBounceSubject, oneLine(p.Address))
	case outbox.NoticeUnreadableAnswer:
		c.Subject = v.tr(txtUnreadableSubject, who)
	case outbox.NoticeRefusedAnswer:
		c.Subject = v.tr(txtRefusedSubject, who)
	case outbox.NoticeDeliveryFailed:
		c.Subject = v.tr(txtFailedNotice, title)
	default:
		c.Subject = v.tr(txtNoticeOther)
	}
	c.Paragraphs = []string{v.tr(txtHello) + "\n" + oneLine(p.Text(v.lang, name, title)), v.signature()}
	return c, nil
}

// agendaText is the compiled agenda: the accepted items numbered in
// order, each with its details indented, then the proposed ones not
// decided yet; withdrawn items are left out.
func agendaText(v *view, items []*store.AgendaItem) string {
	var accepted, proposed []string
	for _, it := range items {
		switch it.Status {
		case store.AgendaAccepted:
			line := fmt.Sprintf("%d. %s", len(accepted)+1, oneLine(it.Title))
			for _, d := range strings.Split(strings.TrimSpace(normalise(it.Details)), "\n") {
				if d = strings.TrimSpace(d); d != "" {
					line += "\n   " + d
				}
			}
			accepted = append(accepted, line)
		case store.AgendaProposed:
			proposed = append(proposed, "– "+oneLine(it.Title))
		}
	}
	out := v.tr(txtAgendaEmpty)
	if len(accepted) > 0 {
		out = strings.Join(accepted, "\n")
	}
	if len(proposed) > 0 {
		out += "\n\n" + v.tr(txtAgendaProposed) + "\n" + strings.Join(proposed, "\n")
	}
	return out
}

// answerWord is an RSVP answer as the member would write it back.
func answerWord(v *view, answer string) string {
	switch answer {
	case store.AnswerYes:
		return v.tr(txtAnswerYes)
	case store.AnswerNo:
		return v.tr(txtAnswerNo)
	}
	return v.tr(txtAnswerMaybe)
}

// normalise turns CRLF and CR into LF.
func normalise(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// oneLine makes a stored field one line of plain text: line breaks and
// tabs become spaces, other control characters go.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
			return ' '
		case r < 0x20 || r == 0x7f:
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
