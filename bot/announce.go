package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/store"
)

// card renders a meeting as the announcement's embed and buttons, from
// what the store holds now.
func (b *Bot) card(ctx context.Context, g *store.Group, m *store.Meeting) (*discordgo.MessageSend, error) {
	lang := i18n.Lang(g.Locale)
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

// announce posts a new meeting's announcement in the group's channel and
// records it, so later changes edit it.
func (b *Bot) announce(ctx context.Context, g *store.Group, meetingID int64) {
	if g.DiscordChannelID == "" {
		return
	}
	m, err := b.store.Meeting(ctx, meetingID)
	if err != nil {
		b.logger.Error("announcement: load meeting", "meeting_id", meetingID, "err", err)
		return
	}
	card, err := b.card(ctx, g, m)
	if err != nil {
		b.logger.Error("announcement: render", "meeting_id", meetingID, "err", err)
		return
	}
	msg, err := b.session.ChannelMessageSendComplex(g.DiscordChannelID, card, discordgo.WithContext(ctx))
	if err != nil {
		b.logger.Error("announcement: post", "meeting_id", meetingID, "channel_id", g.DiscordChannelID, "err", err)
		return
	}
	if err := b.store.SetMeetingAnnouncement(ctx, m.ID, msg.ChannelID, msg.ID); err != nil {
		b.logger.Error("announcement: record", "meeting_id", meetingID, "err", err)
		return
	}
	// Changes made while the post was on its way (an edit, the first
	// answers) found no announcement to edit; one refresh catches them up.
	b.ann.refresh(g, m.ID)
	b.logger.Info("meeting announced", "meeting_id", m.ID, "channel_id", msg.ChannelID, "message_id", msg.ID)
}

// editAnnouncement brings a meeting's announcement up to date.
func (b *Bot) editAnnouncement(ctx context.Context, g *store.Group, meetingID int64) {
	m, err := b.store.Meeting(ctx, meetingID)
	if err != nil {
		b.logger.Error("announcement edit: load meeting", "meeting_id", meetingID, "err", err)
		return
	}
	if m.AnnouncementMessageID == "" {
		return
	}
	card, err := b.card(ctx, g, m)
	if err != nil {
		b.logger.Error("announcement edit: render", "meeting_id", meetingID, "err", err)
		return
	}
	_, err = b.session.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.AnnouncementMessageID,
		Channel: m.AnnouncementChannelID, Embeds: &card.Embeds, Components: &card.Components,
		AllowedMentions: card.AllowedMentions}, discordgo.WithContext(ctx))
	if err != nil {
		b.logger.Error("announcement edit", "meeting_id", meetingID, "err", err)
	}
}

// announcer coalesces announcement edits: the first change of a meeting
// schedules one edit EditDelay later; changes until then ride along, as
// the edit renders what the store holds when it runs.
type announcer struct {
	b       *Bot
	mu      sync.Mutex
	pending map[int64]*pendingEdit
	stopped bool
	wg      sync.WaitGroup
}

type pendingEdit struct {
	timer *time.Timer
	group *store.Group
}

func newAnnouncer(b *Bot) *announcer {
	return &announcer{b: b, pending: map[int64]*pendingEdit{}}
}

// refresh asks for the meeting's announcement to be brought up to date.
func (a *announcer) refresh(g *store.Group, meetingID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.stopped || a.pending[meetingID] != nil {
		return
	}
	p := &pendingEdit{group: g}
	a.wg.Add(1)
	p.timer = time.AfterFunc(a.b.cfg.EditDelay, func() { a.run(meetingID, p) })
	a.pending[meetingID] = p
}

func (a *announcer) run(meetingID int64, p *pendingEdit) {
	defer a.wg.Done()
	a.mu.Lock()
	if a.pending[meetingID] == p {
		delete(a.pending, meetingID)
	}
	a.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a.b.safely("announcement edit", func() { a.b.editAnnouncement(ctx, p.group, meetingID) })
}

// flush runs pending edits now and waits for them; later refreshes are
// ignored. Used at shutdown.
func (a *announcer) flush() {
	a.mu.Lock()
	a.stopped = true
	var due []int64
	for id, p := range a.pending {
		if p.timer.Stop() {
			due = append(due, id)
		}
	}
	pending := a.pending
	a.mu.Unlock()
	for _, id := range due {
		a.run(id, pending[id])
	}
	a.wg.Wait()
}

// syncEvent keeps the meeting's Discord scheduled event in step: created
// for a new meeting, edited on change, cancelled with the meeting.
func (b *Bot) syncEvent(ctx context.Context, g *store.Group, meetingID int64) {
	guild := b.cfg.GuildID
	if guild == "" {
		return // scheduled events belong to a guild
	}
	b.eventMu.Lock()
	defer b.eventMu.Unlock()
	m, err := b.store.Meeting(ctx, meetingID)
	if err != nil {
		b.logger.Error("scheduled event: load meeting", "meeting_id", meetingID, "err", err)
		return
	}
	lang := i18n.Lang(g.Locale)
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
	case m.DiscordEventID == "" && m.Status == store.MeetingScheduled:
		ev, err := b.session.GuildScheduledEventCreate(guild, params, discordgo.WithContext(ctx))
		if err != nil {
			b.logger.Error("scheduled event: create", "meeting_id", m.ID, "err", err)
			return
		}
		if err := b.store.SetMeetingEvent(ctx, m.ID, ev.ID); err != nil {
			b.logger.Error("scheduled event: record", "meeting_id", m.ID, "err", err)
		}
	case m.DiscordEventID != "" && m.Status == store.MeetingCancelled:
		if _, err := b.session.GuildScheduledEventEdit(guild, m.DiscordEventID,
			&discordgo.GuildScheduledEventParams{Status: discordgo.GuildScheduledEventStatusCanceled}, discordgo.WithContext(ctx)); err != nil {
			b.logger.Error("scheduled event: cancel", "meeting_id", m.ID, "err", err)
		}
	case m.DiscordEventID != "":
		if _, err := b.session.GuildScheduledEventEdit(guild, m.DiscordEventID, params, discordgo.WithContext(ctx)); err != nil {
			b.logger.Error("scheduled event: edit", "meeting_id", m.ID, "err", err)
		}
	}
}
