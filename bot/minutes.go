package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"coordbot/i18n"
	"coordbot/search"
	"coordbot/store"
)

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

func (b *Bot) minutesCommand(r *request, sub string, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	switch sub {
	case "search":
		q, err := search.Parse(o.str("query"), r.loc)
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
		if _, err := b.needCoordinator(r); err != nil {
			return nil, err
		}
		id, _ := o.int("message")
		meeting, err := b.meetingArg(r, o.str("meeting"))
		if err != nil {
			return nil, err
		}
		m, err := b.store.ArchiveMessageByID(r.ctx, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && m.State != store.ArchiveArchived) {
			return nil, refuse(msgMinutesNoMessage, id)
		}
		if err != nil {
			return nil, err
		}
		if err := b.store.AssignMinutes(r.ctx, id, meeting.ID); err != nil {
			return nil, err
		}
		return private(tr(r.lang, msgMinutesAssigned, id, meeting.Title)), nil
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

// MinutesArchived implements mail.MinutesNotifier: it announces filed
// minutes in the meeting's group channel.
func (b *Bot) MinutesArchived(ctx context.Context, meetingID, archiveID int64) error {
	if !b.begin() {
		return errors.New("bot: stopping")
	}
	defer b.inflight.Done()
	m, err := b.store.Meeting(ctx, meetingID)
	if err != nil {
		return err
	}
	g, err := b.store.Group(ctx, m.GroupID)
	if err != nil {
		return err
	}
	if g.DiscordChannelID == "" {
		return nil
	}
	a, err := b.store.ArchiveMessageByID(ctx, archiveID)
	if err != nil {
		return err
	}
	what := escape(a.Subject)
	var names []string
	for _, at := range a.Attachments {
		names = append(names, at.Filename)
	}
	if len(names) > 0 {
		what += " 📎 " + escape(strings.Join(names, ", "))
	}
	lang := i18n.Lang(g.Locale)
	_, err = b.session.ChannelMessageSend(g.DiscordChannelID, tr(lang, msgMinutesArchived, escape(m.Title), what))
	if err != nil {
		return fmt.Errorf("bot: announce minutes: %w", err)
	}
	return nil
}
