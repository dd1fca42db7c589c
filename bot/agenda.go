package bot

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/i18n"
	"coordbot/store"
)

func (b *Bot) agendaCommand(r *request, sub string, o options) (*reply, error) {
	switch sub {
	case "add":
		if _, err := b.needMember(r); err != nil {
			return nil, err
		}
		meeting, err := b.meetingArg(r, o.str("meeting"))
		if err != nil {
			return nil, err
		}
		if meeting.Status != store.MeetingScheduled {
			return nil, refuse(msgMeetingNotOpen, meeting.Title, statusName(r.lang, meeting.Status))
		}
		return modal(customID(idProposeModal, meeting.ID), tr(r.lang, msgModalAgenda),
			textInput("title", tr(r.lang, msgModalTitle), discordgo.TextInputShort, true, store.MaxAgendaTitle),
			textInput("details", tr(r.lang, msgModalDetails), discordgo.TextInputParagraph, false, store.MaxAgendaDetails)), nil
	case "list":
		if err := r.needGroup(); err != nil {
			return nil, err
		}
		meeting, err := b.meetingArg(r, o.str("meeting"))
		if err != nil {
			return nil, err
		}
		return b.agendaList(r, meeting)
	case "withdraw", "accept":
		return b.agendaStatus(r, sub, o)
	case "reorder":
		return b.agendaReorder(r, o)
	}
	return nil, refuse(msgUnknownCommand)
}

// agendaDeadline is when proposals for the meeting close.
func agendaDeadline(g *store.Group, m *store.Meeting) time.Time {
	d := g.AgendaDeadline
	if m.AgendaDeadline != nil {
		d = *m.AgendaDeadline
	}
	if d <= 0 {
		return m.Start
	}
	return m.Start.Add(-d)
}

func (b *Bot) addAgendaItem(r *request, author *store.Member, meeting *store.Meeting, title, details string) (*reply, error) {
	title, details = strings.TrimSpace(title), strings.TrimSpace(details)
	if err := checkTitle(title); err != nil {
		return nil, err
	}
	if len([]rune(details)) > store.MaxAgendaDetails {
		return nil, refuse(msgDetailsTooLong, store.MaxAgendaDetails)
	}
	if meeting.Status != store.MeetingScheduled {
		return nil, refuse(msgMeetingNotOpen, meeting.Title, statusName(r.lang, meeting.Status))
	}
	if !b.Now().Before(meeting.Start) {
		return nil, refuse(msgMeetingStarted, meeting.Title)
	}
	it := &store.AgendaItem{MeetingID: meeting.ID, AuthorID: author.ID, Title: title, Details: details}
	if err := b.store.AddAgendaItem(r.ctx, it); err != nil {
		return nil, err
	}
	b.ann.refresh(r.group, meeting.ID)
	text := tr(r.lang, msgAgendaAdded, escape(title), meeting.Title, it.ID)
	if b.Now().After(agendaDeadline(r.group, meeting)) {
		text += tr(r.lang, msgAgendaLate)
	}
	return private(text), nil
}

func (b *Bot) agendaList(r *request, meeting *store.Meeting) (*reply, error) {
	items, err := b.store.Agenda(r.ctx, meeting.ID)
	if err != nil {
		return nil, err
	}
	lines := agendaLines(r.lang, r.group, meeting, items)
	if len(lines) == 0 {
		return private(tr(r.lang, msgAgendaEmpty, meeting.Title)), nil
	}
	return private(tr(r.lang, msgAgendaHeader, meeting.Title, i18n.FormatDateTime(meeting.Start, r.loc, r.lang)) +
		"\n" + strings.Join(lines, "\n")), nil
}

// agendaLines numbers the items that are not withdrawn, marking proposed
// and late ones; the item id is shown for /agenda accept and withdraw.
func agendaLines(lang i18n.Lang, g *store.Group, m *store.Meeting, items []*store.AgendaItem) []string {
	deadline := agendaDeadline(g, m)
	var lines []string
	n := 0
	for _, it := range items {
		if it.Status == store.AgendaWithdrawn {
			continue
		}
		n++
		var marks []string
		if it.Status == store.AgendaProposed {
			marks = append(marks, tr(lang, msgProposed))
		}
		if it.CreatedAt.After(deadline) {
			marks = append(marks, tr(lang, msgLateMark))
		}
		line := fmt.Sprintf("%d. %s", n, escape(it.Title))
		if len(marks) > 0 {
			line += " _(" + strings.Join(marks, ", ") + ")_"
		}
		lines = append(lines, line+fmt.Sprintf(" `#%d`", it.ID))
	}
	return lines
}

// agendaItemOfGroup loads an item and checks it belongs to the channel's group.
func (b *Bot) agendaItemOfGroup(r *request, id int64) (*store.AgendaItem, *store.Meeting, error) {
	it, err := b.store.AgendaItem(r.ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, refuse(msgAgendaNoItem, id)
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := b.store.Meeting(r.ctx, it.MeetingID)
	if err != nil {
		return nil, nil, err
	}
	if m.GroupID != r.group.ID {
		return nil, nil, refuse(msgAgendaNoItem, id)
	}
	return it, m, nil
}

func (b *Bot) agendaStatus(r *request, sub string, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	id, _ := o.int("item")
	me, err := b.member(r)
	if err != nil {
		return nil, err
	}
	coordinator, err := b.isCoordinator(r, me)
	if err != nil {
		return nil, err
	}
	it, m, err := b.agendaItemOfGroup(r, id)
	if err != nil {
		return nil, err
	}
	status, text := store.AgendaAccepted, msgAgendaAccepted
	if sub == "withdraw" {
		if it.AuthorID != me.ID && !coordinator {
			return nil, refuse(msgAgendaNotAuthor)
		}
		status, text = store.AgendaWithdrawn, msgAgendaWithdrawn
	} else if !coordinator {
		return nil, refuse(msgNotCoordinator)
	}
	if err := b.store.SetAgendaStatus(r.ctx, it.ID, status); err != nil {
		return nil, err
	}
	b.ann.refresh(r.group, m.ID)
	return private(tr(r.lang, text, escape(it.Title))), nil
}

func (b *Bot) agendaReorder(r *request, o options) (*reply, error) {
	if _, err := b.needCoordinator(r); err != nil {
		return nil, err
	}
	meeting, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, f := range strings.FieldsFunc(o.str("order"), func(c rune) bool { return c == ',' || c == ' ' || c == ';' }) {
		id, err := strconv.ParseInt(strings.TrimPrefix(f, "#"), 10, 64)
		if err != nil {
			return nil, refuse(msgAgendaBadOrder)
		}
		ids = append(ids, id)
	}
	if len(ids) == 0 {
		return nil, refuse(msgAgendaBadOrder)
	}
	if err := b.store.ReorderAgenda(r.ctx, meeting.ID, ids); err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return nil, refuse(msgAgendaBadOrder)
		}
		return nil, err
	}
	b.ann.refresh(r.group, meeting.ID)
	return b.agendaList(r, meeting)
}
