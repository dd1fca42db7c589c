package bot

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

var (
	msgCallText      = i18n.Text{CS: "📝 Posílejte body programu schůzky „%s“ (%s) do %s. Navrhnete je tlačítkem níže nebo příkazem /program add.", EN: "📝 Send agenda items for “%s” (%s) until %s, with the button below or /agenda add."}
	msgDeadlineText  = i18n.Text{CS: "📋 Program schůzky „%s“ (%s):", EN: "📋 Agenda of “%s” (%s):"}
	msgDeadlineEmpty = i18n.Text{CS: "📋 Schůzka „%s“ (%s) zatím nemá žádný navržený bod programu.", EN: "📋 No agenda items have been proposed for “%s” (%s)."}
	msgReminderText  = i18n.Text{CS: "⏰ Připomínka: schůzka „%s“ začíná %s%s. %s: %d · %s: %d · %s: %d", EN: "⏰ Reminder: “%s” starts %s%s. %s: %d · %s: %d · %s: %d"}
	msgReminderWhere = i18n.Text{CS: ", místo: %s", EN: ", place: %s"}
	msgNudgeText     = i18n.Text{CS: "Dobrý den, ještě nevíme, zda přijdete na schůzku „%s“ skupiny %s (%s). Odpovězte prosím tlačítkem.", EN: "Hello, we do not know yet whether you will come to “%s” of %s (%s). Please answer with a button."}
	msgMinutesNudge  = i18n.Text{CS: "Dobrý den, ke schůzce „%s“ (%s) zatím v archivu není zápis.%s", EN: "Hello, there are no minutes of “%s” (%s) in the archive yet.%s"}
	msgMinutesSendIt = i18n.Text{CS: " Pošlete ho prosím na %s.", EN: " Please send them to %s."}
	msgCancelText    = i18n.Text{CS: "❌ Schůzka „%s“ (%s) je zrušena.", EN: "❌ “%s” (%s) is cancelled."}
	msgMinutesFiled  = i18n.Text{CS: "📄 Zápis ze schůzky „%s“ je v archivu: %s", EN: "📄 The minutes of “%s” are in the archive: %s"}
	msgFailedText    = i18n.Text{CS: "⚠️ Zprávu „%s“ ke schůzce „%s“ se nepodařilo doručit ani po několika pokusech; podrobnosti jsou v logu.", EN: "⚠️ The “%s” message for “%s” could not be delivered after several attempts; the log has the details."}
)

// nonce derives Discord's message nonce (at most 25 characters) from an
// outbox idempotency key: with enforce_nonce, Discord returns the message
// already created with that nonce instead of posting it again.
func nonce(key string) string {
	sum := sha256.Sum256([]byte(key))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// outgoing is a message with the nonce fields discordgo's MessageSend lacks.
type outgoing struct {
	Content         string                            `json:"content,omitempty"`
	Embeds          []*discordgo.MessageEmbed         `json:"embeds,omitempty"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

// Deliver implements the scheduler's Sender for the Discord channel: it
// renders an outbox row from the store's current state and delivers it
// once (messages carry a nonce from the row's key with enforce_nonce; the
// card and the scheduled event are recorded on the meeting).
func (b *Bot) Deliver(ctx context.Context, n *store.Notification) (string, error) {
	id, err := b.deliver(ctx, n)
	// The error is kept on the row and logged: it names the server that
	// was really dialled, not discord.com.
	return id, b.dialled(err)
}

// deliver is Deliver before its error is given the real server's name.
func (b *Bot) deliver(ctx context.Context, n *store.Notification) (string, error) {
	g, err := b.store.Group(ctx, n.GroupID)
	if err != nil {
		return "", err
	}
	if n.Kind == outbox.KindNoticeDM {
		return b.deliverNotice(ctx, n, g)
	}
	m, err := b.store.Meeting(ctx, n.MeetingID)
	if err != nil {
		return "", err
	}
	switch n.Kind {
	case outbox.KindAnnouncement:
		return b.postAnnouncement(ctx, n, g, m)
	case outbox.KindAnnouncementEdit:
		return b.editAnnouncement(ctx, g, m.ID)
	case outbox.KindEventSync:
		return b.syncEvent(ctx, g, m)
	}
	lang := g.Locale
	loc, err := g.Location()
	if err != nil {
		return "", err
	}
	when := i18n.FormatWeekdayDateTime(m.Start, loc, lang)
	out := outgoing{AllowedMentions: &discordgo.MessageAllowedMentions{}, Nonce: nonce(n.IdempotencyKey), EnforceNonce: true}
	rsvpButtons := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: tr(lang, msgYes), Style: discordgo.SuccessButton, CustomID: customID(idYes, m.ID)},
		discordgo.Button{Label: tr(lang, msgNo), Style: discordgo.DangerButton, CustomID: customID(idNo, m.ID)},
		discordgo.Button{Label: tr(lang, msgMaybe), Style: discordgo.SecondaryButton, CustomID: customID(idMaybe, m.ID)},
	}}
	switch n.Kind {
	case outbox.KindAgendaCall:
		out.Content = tr(lang, msgCallText, escape(m.Title), when, i18n.FormatDateTime(agendaDeadline(g, m), loc, lang))
		out.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: tr(lang, msgPropose), Style: discordgo.PrimaryButton, CustomID: customID(idPropose, m.ID)}}}}
	case outbox.KindAgendaDeadline:
		items, err := b.store.Agenda(ctx, m.ID)
		if err != nil {
			return "", err
		}
		if lines := agendaLines(lang, g, m, items); len(lines) > 0 {
			out.Content = truncate(tr(lang, msgDeadlineText, escape(m.Title), when)+"\n"+strings.Join(lines, "\n"), 2000)
		} else {
			out.Content = tr(lang, msgDeadlineEmpty, escape(m.Title), when)
		}
	case outbox.KindReminder:
		c, err := b.store.CountRSVPs(ctx, m.ID)
		if err != nil {
			return "", err
		}
		where := ""
		if m.Place != "" {
			where = tr(lang, msgReminderWhere, escape(m.Place))
		}
		out.Content = tr(lang, msgReminderText, escape(m.Title), when, where, tr(lang, msgYes), c.Yes, tr(lang, msgMaybe), c.Maybe, tr(lang, msgNo), c.No)
		out.Components = []discordgo.MessageComponent{rsvpButtons}
	case outbox.KindNudgeDM:
		out.Content = tr(lang, msgNudgeText, escape(m.Title), escape(g.Name), when)
		out.Components = []discordgo.MessageComponent{rsvpButtons}
	case outbox.KindMinutesNudgeDM:
		send := ""
		if b.cfg.ArchiveAddress != "" {
			send = tr(lang, msgMinutesSendIt, b.cfg.ArchiveAddress)
		}
		out.Content = tr(lang, msgMinutesNudge, escape(m.Title), when, send)
	case outbox.KindCancellation:
		out.Content = tr(lang, msgCancelText, escape(m.Title), when)
	case outbox.KindMinutesFiled:
		var p struct {
			MessageID int64 `json:"message_id"`
		}
		if err := json.Unmarshal([]byte(n.Payload), &p); err != nil {
			return "", fmt.Errorf("bot: minutes notice payload: %w", err)
		}
		a, err := b.store.ArchiveMessageByID(ctx, p.MessageID)
		if err != nil {
			return "", err
		}
		what := escape(a.Subject)
		var names []string
		for _, at := range a.Attachments {
			names = append(names, at.Filename)
		}
		if len(names) > 0 {
			what += " 📎 " + escape(strings.Join(names, ", "))
		}
		out.Content = truncate(tr(lang, msgMinutesFiled, escape(m.Title), what), 2000)
	case outbox.KindDeliveryFailed:
		var p struct {
			FailedKind string `json:"failed_kind"`
		}
		_ = json.Unmarshal([]byte(n.Payload), &p) // a bad payload only loses the kind's name
		out.Content = tr(lang, msgFailedText, p.FailedKind, escape(m.Title))
	default:
		return "", fmt.Errorf("bot: unknown message kind %q", n.Kind)
	}
	return b.send(ctx, n, out)
}

// send posts out to the row's channel, or to its member's direct messages.
func (b *Bot) send(ctx context.Context, n *store.Notification, out outgoing) (string, error) {
	channel := n.ChannelID
	if n.MemberID != 0 {
		member, err := b.store.Member(ctx, n.MemberID)
		if err != nil {
			return "", err
		}
		if member.DiscordUserID == "" {
			return "", fmt.Errorf("bot: member %d has no Discord account", member.ID)
		}
		dm, err := b.session.UserChannelCreate(member.DiscordUserID, discordgo.WithContext(ctx))
		if err != nil {
			return "", fmt.Errorf("bot: open direct messages: %w", err)
		}
		channel = dm.ID
	}
	sent, err := b.post(ctx, channel, out)
	if err != nil {
		return "", fmt.Errorf("bot: send %s: %w", n.Kind, err)
	}
	return sent.ID, nil
}

// deliverNotice tells one coordinator, in a direct message, what a
// KindNotice row says (a bounce, an answer by mail that could not be read
// or was refused).
func (b *Bot) deliverNotice(ctx context.Context, n *store.Notification, g *store.Group) (string, error) {
	notice, err := outbox.ParseNotice(n.Payload)
	if err != nil {
		return "", err
	}
	name, title := "", ""
	if notice.MemberID != 0 {
		if m, err := b.store.Member(ctx, notice.MemberID); err == nil {
			name = m.DisplayName
		}
	}
	if n.MeetingID != 0 {
		if m, err := b.store.Meeting(ctx, n.MeetingID); err == nil {
			title = m.Title
		}
	}
	out := outgoing{AllowedMentions: &discordgo.MessageAllowedMentions{}, Nonce: nonce(n.IdempotencyKey), EnforceNonce: true,
		Content: truncate("⚠️ "+escape(notice.Text(g.Locale, name, title)), 2000)}
	return b.send(ctx, n, out)
}

// post sends a message with its nonce (discordgo's MessageSend has no
// nonce fields, so the request is made with a struct of our own).
func (b *Bot) post(ctx context.Context, channelID string, out outgoing) (*discordgo.Message, error) {
	endpoint := discordgo.EndpointChannelMessages(channelID)
	body, err := b.session.RequestWithBucketID("POST", endpoint, out, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	var sent discordgo.Message
	if err := json.Unmarshal(body, &sent); err != nil {
		return nil, fmt.Errorf("bot: read sent message: %w", err)
	}
	return &sent, nil
}
