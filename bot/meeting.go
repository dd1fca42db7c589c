package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/store"
)

// handleCommand routes a slash command.
func (b *Bot) handleCommand(r *request) (*reply, error) {
	d := r.ic.ApplicationCommandData()
	sub, opts := commandOptions(d)
	switch d.Name {
	case "meeting":
		switch sub {
		case "create":
			return b.meetingCreate(r, opts)
		case "edit":
			return b.meetingEdit(r, opts)
		case "cancel":
			return b.meetingCancel(r, opts)
		case "list":
			return b.meetingList(r)
		case "show":
			return b.meetingShow(r, opts)
		}
	case "rsvp":
		return b.rsvpCommand(r, opts)
	case "agenda":
		return b.agendaCommand(r, sub, opts)
	case "attendance":
		if sub == "confirm" {
			return b.attendanceConfirm(r, opts)
		}
		return b.attendance(r, opts)
	case "report":
		return b.yearReport(r, opts)
	case "minutes":
		return b.minutesCommand(r, sub, opts)
	case "member":
		return b.memberSet(r, opts)
	}
	return nil, refuse(msgUnknownCommand)
}

// parseWhen reads a typed date and time in the group's zone and refuses
// impossible or past ones with a precise sentence.
func (b *Bot) parseWhen(r *request, s string) (time.Time, error) {
	t, err := i18n.ParseDateTime(s, r.loc)
	if err != nil {
		var pe *i18n.ParseError
		if errors.As(err, &pe) {
			return time.Time{}, refuse(msg{pe.Message(i18n.Czech), pe.Message(i18n.English)})
		}
		return time.Time{}, err
	}
	if !t.After(b.Now()) {
		return time.Time{}, refuse(msgInPast, i18n.FormatDateTime(t, r.loc, r.lang))
	}
	return t, nil
}

func checkTitle(title string) error {
	if strings.TrimSpace(title) == "" {
		return refuse(msgEmptyTitle)
	}
	if n := len([]rune(title)); n > store.MaxAgendaTitle {
		return refuse(msgTitleTooLong, store.MaxAgendaTitle)
	}
	return nil
}

func (b *Bot) meetingCreate(r *request, o options) (*reply, error) {
	coord, err := b.needCoordinator(r)
	if err != nil {
		return nil, err
	}
	title := o.str("title")
	if err := checkTitle(title); err != nil {
		return nil, err
	}
	start, err := b.parseWhen(r, o.str("when"))
	if err != nil {
		return nil, err
	}
	dur := int64(120)
	if v, ok := o.int("duration"); ok {
		dur = v
	}
	if dur < 1 || dur > 1440 {
		return nil, refuse(msgBadDuration)
	}
	m := &store.Meeting{GroupID: r.group.ID, Title: title, Start: start, TimeZone: r.group.TimeZone,
		Duration: time.Duration(dur) * time.Minute, Place: o.str("place"), OnlineURL: o.str("link"), CoordinatorID: coord.ID}
	if err := b.store.CreateMeeting(r.ctx, m); err != nil {
		return nil, err
	}
	b.plan(r.ctx, m.ID, false)
	rep := private(tr(r.lang, msgMeetingCreated, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang)))
	group := r.group
	rep.after = func(ctx context.Context) {
		b.announce(ctx, group, m.ID)
		b.syncEvent(ctx, group, m.ID)
	}
	return rep, nil
}

// scheduledMeetingForCoordinator checks that a coordinator acts and that
// the meeting named by the option is still scheduled (edit, cancel).
func (b *Bot) scheduledMeetingForCoordinator(r *request, o options) (*store.Meeting, error) {
	if _, err := b.needCoordinator(r); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	if m.Status != store.MeetingScheduled {
		return nil, refuse(msgMeetingNotOpen, m.Title, statusName(r.lang, m.Status))
	}
	return m, nil
}

func (b *Bot) meetingEdit(r *request, o options) (*reply, error) {
	m, err := b.scheduledMeetingForCoordinator(r, o)
	if err != nil {
		return nil, err
	}
	if _, ok := o["title"]; ok {
		if err := checkTitle(o.str("title")); err != nil {
			return nil, err
		}
		m.Title = o.str("title")
	}
	if s := o.str("when"); s != "" {
		if m.Start, err = b.parseWhen(r, s); err != nil {
			return nil, err
		}
	}
	if _, ok := o["place"]; ok {
		m.Place = o.str("place")
	}
	if _, ok := o["link"]; ok {
		m.OnlineURL = o.str("link")
	}
	if v, ok := o.int("duration"); ok {
		if v < 1 || v > 1440 {
			return nil, refuse(msgBadDuration)
		}
		m.Duration = time.Duration(v) * time.Minute
	}
	if err := b.store.UpdateMeeting(r.ctx, m); err != nil {
		return nil, err
	}
	b.plan(r.ctx, m.ID, false)
	rep := private(tr(r.lang, msgMeetingUpdated, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang)))
	group := r.group
	rep.after = func(ctx context.Context) {
		b.ann.refresh(group, m.ID)
		b.syncEvent(ctx, group, m.ID)
	}
	return rep, nil
}

func (b *Bot) meetingCancel(r *request, o options) (*reply, error) {
	m, err := b.scheduledMeetingForCoordinator(r, o)
	if err != nil {
		return nil, err
	}
	if m, err = b.store.CancelMeeting(r.ctx, m.ID); err != nil {
		return nil, err
	}
	b.plan(r.ctx, m.ID, true)
	rep := public(tr(r.lang, msgMeetingCancelled, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang)))
	group := r.group
	rep.after = func(ctx context.Context) {
		b.ann.refresh(group, m.ID)
		b.syncEvent(ctx, group, m.ID)
	}
	return rep, nil
}

// plan has the meeting's messages (re)scheduled before the answer, so a
// crash right after cannot leave a meeting without its reminders. A
// failure is logged: the meeting itself is saved.
func (b *Bot) plan(ctx context.Context, meetingID int64, cancelled bool) {
	if b.Planner == nil {
		return
	}
	var err error
	if cancelled {
		err = b.Planner.MeetingCancelled(ctx, meetingID)
	} else {
		err = b.Planner.MeetingChanged(ctx, meetingID)
	}
	if err != nil {
		b.logger.Error("scheduling the meeting's messages", "meeting_id", meetingID, "err", err)
	}
}

// statusName names a meeting status in the group's language.
func statusName(lang i18n.Lang, status string) string {
	names := strings.Split(tr(lang, msgStatusNames), "|")
	switch status {
	case store.MeetingCancelled:
		return names[1]
	case store.MeetingHeld:
		return names[2]
	}
	return names[0]
}

func (b *Bot) meetingList(r *request) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	ms, err := b.store.Meetings(r.ctx, store.MeetingFilter{GroupID: r.group.ID, From: b.Now(),
		Status: []string{store.MeetingScheduled}, Limit: 10})
	if err != nil {
		return nil, err
	}
	if len(ms) == 0 {
		return private(tr(r.lang, msgNoUpcoming)), nil
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, msgMeetingListHeader, r.group.Name))
	for _, m := range ms {
		c, err := b.store.CountRSVPs(r.ctx, m.ID)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&sb, "\n• #%d **%s** – %s (%s: %d, %s: %d, %s: %d)", m.ID, escape(m.Title),
			i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang), tr(r.lang, msgYes), c.Yes, tr(r.lang, msgMaybe), c.Maybe,
			tr(r.lang, msgNo), c.No)
	}
	return private(sb.String()), nil
}

func (b *Bot) meetingShow(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	card, err := b.card(r.ctx, r.group, m)
	if err != nil {
		return nil, err
	}
	return &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Embeds: card.Embeds, Components: card.Components,
			Flags: discordgo.MessageFlagsEphemeral}}}, nil
}

// escape keeps user text from being read as Markdown or mentions.
func escape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, "`", "\\`", `~`, `\~`, `|`, `\|`, `>`, `\>`, `@`, "@\u200b")
	return r.Replace(s)
}

// handleAutocomplete offers the group's upcoming meetings for a meeting
// option, filtered by what was typed.
func (b *Bot) handleAutocomplete(r *request) (*reply, error) {
	_, opts := commandOptions(r.ic.ApplicationCommandData())
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	if f := opts.focused(); f != nil && f.Name == "meeting" && r.group != nil {
		typed := strings.ToLower(fmt.Sprint(f.Value))
		ms, err := b.store.Meetings(r.ctx, store.MeetingFilter{GroupID: r.group.ID, From: b.Now().Add(-30 * 24 * time.Hour),
			Status: []string{store.MeetingScheduled, store.MeetingHeld}, Limit: 50})
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			label := fmt.Sprintf("%s – %s", i18n.FormatDateTime(m.Start, r.loc, r.lang), m.Title)
			if typed != "" && !strings.Contains(strings.ToLower(label), typed) && fmt.Sprint(m.ID) != typed {
				continue
			}
			if len([]rune(label)) > 100 {
				label = string([]rune(label)[:99]) + "…"
			}
			choices = append(choices, &discordgo.ApplicationCommandOptionChoice{Name: label, Value: fmt.Sprint(m.ID)})
			if len(choices) == 25 { // Discord's limit
				break
			}
		}
	}
	return &reply{resp: &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices}}}, nil
}
