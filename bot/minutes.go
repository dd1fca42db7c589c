package bot

import (
	"errors"
	"fmt"
	"strings"

	"coordbot/i18n"
	"coordbot/search"
	"coordbot/store"
)

func (b *Bot) minutesCommand(r *request, sub string, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	switch sub {
	case "search":
		q, err := search.Parse(o.str("query"), r.loc)
		if errors.Is(err, search.ErrNoWords) {
			return nil, refuse(msgSearchNoWords)
		}
		if err != nil {
			return nil, refuse(msgBadSearch, escape(err.Error()))
		}
		q.Limit = 5
		hits, err := b.store.SearchArchive(r.ctx, q)
		if err != nil {
			return nil, err
		}
		if len(hits) == 0 {
			return private(b.nothingFound(r.lang)), nil
		}
		var sb strings.Builder
		for _, h := range hits {
			fmt.Fprintf(&sb, "**#%d** %s — %s", h.ID, escape(h.Subject), escape(h.FromAddr))
			if !h.Sent.IsZero() {
				sb.WriteString(", " + i18n.FormatDate(h.Sent, r.loc, r.lang))
			}
			if len(h.Attachments) > 0 {
				sb.WriteString(" 📎 " + escape(strings.Join(h.Attachments, ", ")))
			}
			sb.WriteString("\n> " + escape(strings.Join(strings.Fields(h.Snippet), " ")) + "\n")
		}
		return private(truncate(sb.String(), 2000)), nil
	case "latest":
		msgs, err := b.store.ArchiveMessages(r.ctx, store.ArchiveFilter{State: store.ArchiveArchived, Limit: 50})
		if err != nil {
			return nil, err
		}
		var sb strings.Builder
		n := 0
		for _, m := range msgs {
			if m.GroupID != r.group.ID && m.GroupID != 0 {
				continue
			}
			n++
			fmt.Fprintf(&sb, "**#%d** %s — %s", m.ID, escape(m.Subject), escape(m.FromAddr))
			if m.MeetingID == 0 {
				sb.WriteString(" _(nepřiřazeno / unfiled)_")
			}
			sb.WriteString("\n")
			if n == 5 {
				break
			}
		}
		if n == 0 {
			return private(b.nothingFound(r.lang)), nil
		}
		return private(sb.String()), nil
	case "assign":
		id, _ := o.int("message")
		m, err := b.meetingArg(r, o.str("meeting"))
		if err != nil {
			return nil, err
		}
		if _, err := b.core.AssignMinutes(r.ctx, r.actor(), id, m.ID, r.group.ID); err != nil {
			return nil, err
		}
		return private(tr(r.lang, msgMinutesAssigned, id, m.Title)), nil
	}
	return nil, refuse(msgUnknownCommand)
}

// nothingFound says so, with where minutes go when the address is known.
func (b *Bot) nothingFound(lang i18n.Lang) string {
	text := tr(lang, msgMinutesNone)
	if b.cfg.ArchiveAddress != "" {
		text += tr(lang, msgMinutesSendTo, b.cfg.ArchiveAddress)
	}
	return text
}
