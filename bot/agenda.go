package bot

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

func (b *Bot) agendaCommand(r *request, sub string, o options) (*reply, error) {
	switch sub {
	case "add":
		if err := b.need(r, store.RoleMember); err != nil {
			return nil, err
		}
		m, err := b.meetingArg(r, o.str("meeting"))
		if err != nil {
			return nil, err
		}
		if _, err := b.core.CheckOpen(r.ctx, m.ID, r.group.ID); err != nil {
			return nil, err
		}
		return agendaModal(r, m.ID), nil
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
func agendaDeadline(g *store.Group, m *store.Meeting) time.Time { return meeting.AgendaDeadline(g, m) }

func (b *Bot) addAgendaItem(r *request, meetingID int64, title, details string) (*reply, error) {
	res, err := b.core.Propose(r.ctx, r.actor(), meetingID, r.inGroup(), title, details)
	if err != nil {
		return nil, err
	}
	b.inGroupOf(r, res.Group)
	text := tr(r.lang, msgAgendaAdded, escape(res.Item.Title), res.Meeting.Title, res.Item.ID)
	if res.Late {
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

func (b *Bot) agendaStatus(r *request, sub string, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	id, _ := o.int("item")
	status, text := store.AgendaAccepted, msgAgendaAccepted
	if sub == "withdraw" {
		status, text = store.AgendaWithdrawn, msgAgendaWithdrawn
	}
	res, err := b.core.SetAgendaStatus(r.ctx, r.actor(), id, r.group.ID, status)
	if err != nil {
		return nil, err
	}
	return private(tr(r.lang, text, escape(res.Item.Title))), nil
}

func (b *Bot) agendaReorder(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	m, err := b.meetingArg(r, o.str("meeting"))
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
	if _, err := b.core.Reorder(r.ctx, r.actor(), m.ID, r.group.ID, ids); err != nil {
		return nil, err
	}
	return b.agendaList(r, m)
}
