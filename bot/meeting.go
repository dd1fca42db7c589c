package bot

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/meeting"
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
		return b.memberSetCommand(r, opts)
	}
	return nil, refuse(msgUnknownCommand)
}

// parseWhen reads a typed date and time in the group's zone; the core
// decides whether it may lie in the past. note is "" or, when the hour
// happens twice (the clocks go back), a sentence saying which was taken,
// to be shown beside the answer.
func (b *Bot) parseWhen(r *request, s string) (t time.Time, note string, err error) {
	t, amb, err := i18n.ParseDateTimeNote(s, r.loc)
	if err != nil {
		var pe *i18n.ParseError
		if errors.As(err, &pe) {
			return time.Time{}, "", refuse(i18n.Text{CS: pe.Message(i18n.Czech), EN: pe.Message(i18n.English)})
		}
		return time.Time{}, "", err
	}
	if amb != nil {
		note = "\n" + escape(amb.Note(r.lang))
	}
	return t, note, nil
}

// minutesOption reads a duration in minutes; false when it was not given.
func minutesOption(o options) (time.Duration, bool) {
	v, ok := o.int("duration")
	return time.Duration(v) * time.Minute, ok
}

func (b *Bot) meetingCreate(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	start, note, err := b.parseWhen(r, o.str("when"))
	if err != nil {
		return nil, err
	}
	d := meeting.Draft{Title: o.str("title"), Start: start, Place: o.str("place"), OnlineURL: o.str("link")}
	if dur, ok := minutesOption(o); ok {
		if dur <= 0 {
			dur = -1 // zero typed is refused, not the default
		}
		d.Duration = dur
	}
	res, err := b.core.Create(r.ctx, r.actor(), r.group.ID, d)
	if err != nil {
		return nil, err
	}
	m := res.Meeting
	return private(tr(r.lang, msgMeetingCreated, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang)) + note), nil
}

func (b *Bot) meetingEdit(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	var c meeting.Changes
	if _, ok := o["title"]; ok {
		t := o.str("title")
		c.Title = &t
	}
	var note string
	if s := o.str("when"); s != "" {
		start, n, err := b.parseWhen(r, s)
		note = n
		if err != nil {
			return nil, err
		}
		c.Start = &start
	}
	if _, ok := o["place"]; ok {
		p := o.str("place")
		c.Place = &p
	}
	if _, ok := o["link"]; ok {
		u := o.str("link")
		c.OnlineURL = &u
	}
	if dur, ok := minutesOption(o); ok {
		c.Duration = &dur
	}
	res, err := b.core.Edit(r.ctx, r.actor(), m.ID, r.group.ID, c)
	if err != nil {
		return nil, err
	}
	m = res.Meeting
	return private(tr(r.lang, msgMeetingUpdated, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang)) + note), nil
}

func (b *Bot) meetingCancel(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	res, err := b.core.Cancel(r.ctx, r.actor(), m.ID, r.group.ID)
	if err != nil {
		return nil, err
	}
	m = res.Meeting
	return public(tr(r.lang, msgMeetingCancelled, m.Title, i18n.FormatWeekdayDateTime(m.Start, r.loc, r.lang))), nil
}

// statusName names a meeting status in the group's language.
func statusName(lang i18n.Lang, status string) string { return meeting.StatusName(status).In(lang) }

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
