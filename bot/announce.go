package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/store"
)

// card renders a meeting as the announcement's embed and buttons, from
// what the store holds now.
func (b *Bot) card(ctx context.Context, g *store.Group, m *store.Meeting) (*discordgo.MessageSend, error) {
	lang := g.Locale
	loc, err := g.Location()
	if err != nil {
		return nil, err
	}
	c, err := b.store.CountRSVPs(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	items, err := b.store.Agenda(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	title := m.Title
	if m.Status == store.MeetingCancelled {
		title = tr(lang, msgCancelledAd) + ": " + title
	}
	when := i18n.FormatWeekdayDateTime(m.Start, loc, lang) + "–" + m.End().In(loc).Format("15:04")
	fields := []*discordgo.MessageEmbedField{{Name: tr(lang, msgWhen), Value: when}}
	if m.Place != "" {
		fields = append(fields, &discordgo.MessageEmbedField{Name: tr(lang, msgWhere), Value: truncate(escape(m.Place), 1024)})
	}
	if m.OnlineURL != "" {
		fields = append(fields, &discordgo.MessageEmbedField{Name: tr(lang, msgOnline), Value: truncate(m.OnlineURL, 1024)})
	}
	fields = append(fields, &discordgo.MessageEmbedField{Name: tr(lang, msgAnswers), Value: fmt.Sprintf("%s: %d · %s: %d · %s: %d",
		tr(lang, msgYes), c.Yes, tr(lang, msgMaybe), c.Maybe, tr(lang, msgNo), c.No)})
	if lines := agendaLines(lang, g, m, items); len(lines) > 0 {
		fields = append(fields, &discordgo.MessageEmbedField{Name: tr(lang, msgAgenda), Value: truncate(strings.Join(lines, "\n"), 1024)})
	}
	open := m.Status == store.MeetingScheduled && b.Now().Before(m.Start)
	buttons := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: tr(lang, msgYes), Style: discordgo.SuccessButton, CustomID: customID(idYes, m.ID), Disabled: !open},
		discordgo.Button{Label: tr(lang, msgNo), Style: discordgo.DangerButton, CustomID: customID(idNo, m.ID), Disabled: !open},
		discordgo.Button{Label: tr(lang, msgMaybe), Style: discordgo.SecondaryButton, CustomID: customID(idMaybe, m.ID), Disabled: !open},
		discordgo.Button{Label: tr(lang, msgPropose), Style: discordgo.PrimaryButton, CustomID: customID(idPropose, m.ID), Disabled: !open},
	}}
	return &discordgo.MessageSend{
		Embeds: []*discordgo.MessageEmbed{{Title: truncate(title, 256), Description: escape(g.Name), Fields: fields,
			Color: 0x2e7d32}},
		Components:      []discordgo.MessageComponent{buttons},
		AllowedMentions: &discordgo.MessageAllowedMentions{},
	}, nil
}

// postAnnouncement posts a meeting's card in its group's channel with the
// outbox row's nonce and records it, so later changes edit it. A retry
// after a crash gets the message the first attempt posted (enforce_nonce),
// rendered then, so it is brought up to date at once.
func (b *Bot) postAnnouncement(ctx context.Context, n *store.Notification, g *store.Group, m *store.Meeting) (string, error) {
	if m.AnnouncementMessageID != "" {
		return m.AnnouncementMessageID, nil
	}
	card, err := b.card(ctx, g, m)
	if err != nil {
		return "", err
	}
	sent, err := b.post(ctx, n.ChannelID, outgoing{Embeds: card.Embeds, Components: card.Components,
		AllowedMentions: card.AllowedMentions, Nonce: nonce(n.IdempotencyKey), EnforceNonce: true})
	if err != nil {
		return "", fmt.Errorf("bot: post announcement: %w", err)
	}
	if err := b.store.SetMeetingAnnouncement(ctx, m.ID, sent.ChannelID, sent.ID); err != nil {
		return "", err
	}
	if n.Attempts > 1 {
		if _, err := b.editAnnouncement(ctx, g, m.ID); err != nil {
			b.logger.Warn("announcement: bringing a re-sent card up to date", "meeting_id", m.ID, "err", err)
		}
	}
	b.logger.Info("meeting announced", "meeting_id", m.ID, "channel_id", sent.ChannelID, "message_id", sent.ID)
	return sent.ID, nil
}

// editAnnouncement brings a meeting's card up to date with the store. A
// meeting whose card is not posted yet needs no edit: the card renders the
// state of its moment when it is posted, and the scheduler sends rows one
// after another in due order, the card's first.
func (b *Bot) editAnnouncement(ctx context.Context, g *store.Group, meetingID int64) (string, error) {
	m, err := b.store.Meeting(ctx, meetingID)
	if err != nil {
		return "", err
	}
	if m.AnnouncementMessageID == "" {
		return "", nil
	}
	card, err := b.card(ctx, g, m)
	if err != nil {
		return "", err
	}
	_, err = b.session.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.AnnouncementMessageID,
		Channel: m.AnnouncementChannelID, Embeds: &card.Embeds, Components: &card.Components,
		AllowedMentions: card.AllowedMentions}, discordgo.WithContext(ctx))
	if isUnknown(err) {
		// Deleted by someone in Discord: nothing to edit, nothing to retry.
		b.logger.Warn("announcement edit: the card is gone", "meeting_id", m.ID, "message_id", m.AnnouncementMessageID)
		return m.AnnouncementMessageID, nil
	}
	if err != nil {
		return "", fmt.Errorf("bot: edit announcement: %w", err)
	}
	return m.AnnouncementMessageID, nil
}

// isUnknown reports a Discord 404: the message or event no longer exists.
func isUnknown(err error) bool {
	var re *discordgo.RESTError
	return errors.As(err, &re) && re.Response != nil && re.Response.StatusCode == http.StatusNotFound
}

// syncEvent makes the meeting's Discord scheduled event match the meeting:
// created for a scheduled meeting without one, edited when it changed,
// cancelled with the meeting. The scheduler runs one row at a time, so two
// syncs never race. A create whose answer was lost (a crash before the id
// was recorded) is found again among the guild's events by its creator,
// name and start, so a retry does not make a second event.
func (b *Bot) syncEvent(ctx context.Context, g *store.Group, m *store.Meeting) (string, error) {
	guild := b.cfg.GuildID
	if guild == "" {
		return "", nil // scheduled events belong to a guild
	}
	lang := g.Locale
	start, end := m.Start, m.End()
	location := m.Place
	if location == "" {
		location = m.OnlineURL
	}
	if location == "" {
		location = g.Name
	}
	params := &discordgo.GuildScheduledEventParams{
		Name: truncate(m.Title, 100), Description: truncate(tr(lang, msgEventDescription, g.Name), 1000),
		ScheduledStartTime: &start, ScheduledEndTime: &end,
		EntityType:     discordgo.GuildScheduledEventEntityTypeExternal,
		EntityMetadata: &discordgo.GuildScheduledEventEntityMetadata{Location: truncate(location, 100)},
		PrivacyLevel:   discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
	}
	switch {
	case m.DiscordEventID == "" && m.Status == store.MeetingScheduled && m.Start.After(b.Now()):
		id, err := b.findEvent(ctx, guild, params)
		if err != nil {
			return "", err
		}
		if id == "" {
			ev, err := b.session.GuildScheduledEventCreate(guild, params, discordgo.WithContext(ctx))
			if err != nil {
				return "", fmt.Errorf("bot: create scheduled event: %w", err)
			}
			id = ev.ID
		}
		if err := b.store.SetMeetingEvent(ctx, m.ID, id); err != nil {
			return "", err
		}
		return id, nil
	case m.DiscordEventID != "" && m.Status == store.MeetingCancelled:
		_, err := b.session.GuildScheduledEventEdit(guild, m.DiscordEventID,
			&discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled}, discordgo.WithContext(ctx))
		if err != nil && !isUnknown(err) {
			return "", fmt.Errorf("bot: cancel scheduled event: %w", err)
		}
	case m.DiscordEventID != "" && m.Status == store.MeetingScheduled:
		if _, err := b.session.GuildScheduledEventEdit(guild, m.DiscordEventID, params, discordgo.WithContext(ctx)); err != nil && !isUnknown(err) {
			return "", fmt.Errorf("bot: edit scheduled event: %w", err)
		}
	}
	return m.DiscordEventID, nil
}

// findEvent looks among the guild's scheduled events for one this bot
// created with the same name and start: the event of an earlier attempt.
func (b *Bot) findEvent(ctx context.Context, guild string, p *discordgo.GuildScheduledEventParams) (string, error) {
	events, err := b.session.GuildScheduledEvents(guild, false, discordgo.WithContext(ctx))
	if err != nil {
		return "", fmt.Errorf("bot: list scheduled events: %w", err)
	}
	self := ""
	if user, _ := b.gw.self(); user != nil {
		self = user.ID
	}
	for _, ev := range events {
		if ev.Name == p.Name && ev.ScheduledStartTime.Equal(*p.ScheduledStartTime) && (self == "" || ev.CreatorID == self) &&
			ev.Status == discordgo.GuildScheduledEventStatusScheduled {
			return ev.ID, nil
		}
	}
	return "", nil
}
