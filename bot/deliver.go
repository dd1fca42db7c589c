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
	"coordbot/store"
)

// Planner hears about meeting changes so that their messages are
// (re)scheduled; the scheduler implements it.
type Planner interface {
	MeetingChanged(ctx context.Context, meetingID int64) error
	MeetingCancelled(ctx context.Context, meetingID int64) error
}

// Kinds of scheduled messages the bot renders (the scheduler's names).
const (
	kindAgendaCall     = "agenda_call"
	kindAgendaDeadline = "agenda_deadline"
	kindReminder       = "reminder"
	kindNudgeDM        = "nudge_dm"
	kindMinutesNudgeDM = "minutes_nudge_dm"
	kindCancellation   = "cancellation"
	kindDeliveryFailed = "delivery_failed"
)

var (
	msgCallText      = msg{"📝 Posílejte body programu schůzky „%s“ (%s) do %s. Navrhnete je tlačítkem níže nebo příkazem /program add.", "📝 Send agenda items for “%s” (%s) until %s, with the button below or /agenda add."}
	msgDeadlineText  = msg{"📋 Program schůzky „%s“ (%s):", "📋 Agenda of “%s” (%s):"}
	msgDeadlineEmpty = msg{"📋 Schůzka „%s“ (%s) zatím nemá žádný navržený bod programu.", "📋 No agenda items have been proposed for “%s” (%s)."}
	msgReminderText  = msg{"⏰ Připomínka: schůzka „%s“ začíná %s%s. %s: %d · %s: %d · %s: %d", "⏰ Reminder: “%s” starts %s%s. %s: %d · %s: %d · %s: %d"}
	msgReminderWhere = msg{", místo: %s", ", place: %s"}
	msgNudgeText     = msg{"Dobrý den, ještě nevíme, zda přijdete na schůzku „%s“ skupiny %s (%s). Odpovězte prosím tlačítkem.", "Hello, we do not know yet whether you will come to “%s” of %s (%s). Please answer with a button."}
	msgMinutesNudge  = msg{"Dobrý den, ke schůzce „%s“ (%s) zatím v archivu není zápis.%s", "Hello, there are no minutes of “%s” (%s) in the archive yet.%s"}
	msgMinutesSendIt = msg{" Pošlete ho prosím na %s.", " Please send them to %s."}
	msgCancelText    = msg{"❌ Schůzka „%s“ (%s) je zrušena.", "❌ “%s” (%s) is cancelled."}
	msgFailedText    = msg{"⚠️ Zprávu „%s“ ke schůzce „%s“ se nepodařilo doručit ani po několika pokusech; podrobnosti jsou v logu.", "⚠️ The “%s” message for “%s” could not be delivered after several attempts; the log has the details."}
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
	Content         string                            `json:"content"`
	Components      []discordgo.MessageComponent      `json:"components,omitempty"`
	AllowedMentions *discordgo.MessageAllowedMentions `json:"allowed_mentions"`
	Nonce           string                            `json:"nonce"`
	EnforceNonce    bool                              `json:"enforce_nonce"`
}

// Deliver implements the scheduler's Sender: it renders a scheduled message
// from the store's current state and posts it once.
func (b *Bot) Deliver(ctx context.Context, n *store.Notification) (string, error) {
	m, err := b.store.Meeting(ctx, n.MeetingID)
	if err != nil {
		return "", err
	}
	g, err := b.store.Group(ctx, n.GroupID)
	if err != nil {
		return "", err
	}
	lang := i18n.Lang(g.Locale)
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
	case kindAgendaCall:
		out.Content = tr(lang, msgCallText, escape(m.Title), when, i18n.FormatDateTime(agendaDeadline(g, m), loc, lang))
		out.Components = []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: tr(lang, msgPropose), Style: discordgo.PrimaryButton, CustomID: customID(idPropose, m.ID)}}}}
	case kindAgendaDeadline:
		items, err := b.store.Agenda(ctx, m.ID)
		if err != nil {
			return "", err
		}
		if lines := agendaLines(lang, g, m, items); len(lines) > 0 {
			out.Content = truncate(tr(lang, msgDeadlineText, escape(m.Title), when)+"\n"+strings.Join(lines, "\n"), 2000)
		} else {
			out.Content = tr(lang, msgDeadlineEmpty, escape(m.Title), when)
		}
	case kindReminder:
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
	case kindNudgeDM:
		out.Content = tr(lang, msgNudgeText, escape(m.Title), escape(g.Name), when)
		out.Components = []discordgo.MessageComponent{rsvpButtons}
	case kindMinutesNudgeDM:
		send := ""
		if b.cfg.ArchiveAddress != "" {
			send = tr(lang, msgMinutesSendIt, b.cfg.ArchiveAddress)
		}
		out.Content = tr(lang, msgMinutesNudge, escape(m.Title), when, send)
	case kindCancellation:
		out.Content = tr(lang, msgCancelText, escape(m.Title), when)
	case kindDeliveryFailed:
		var p struct {
			FailedKind string `json:"failed_kind"`
		}
		_ = json.Unmarshal([]byte(n.Payload), &p) // a bad payload only loses the kind's name
		out.Content = tr(lang, msgFailedText, p.FailedKind, escape(m.Title))
	default:
		return "", fmt.Errorf("bot: unknown message kind %q", n.Kind)
	}
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
	endpoint := discordgo.EndpointChannelMessages(channel)
	body, err := b.session.RequestWithBucketID("POST", endpoint, out, endpoint, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("bot: send %s: %w", n.Kind, err)
	}
	var sent discordgo.Message
	if err := json.Unmarshal(body, &sent); err != nil {
		return "", fmt.Errorf("bot: read sent message: %w", err)
	}
	return sent.ID, nil
}
