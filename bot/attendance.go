package bot

import (
	"fmt"
	"strings"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// attendance answers who comes, who not, who may, and who has not
// answered, grouped by organisation, with Czech plurals.
func (b *Bot) attendance(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	mt, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	members, err := b.store.GroupMembers(r.ctx, r.group.ID)
	if err != nil {
		return nil, err
	}
	view, err := b.core.View(r.ctx, mt.ID)
	if err != nil {
		return nil, err
	}
	orgs, counts := meeting.ByOrganisation(members, view.Answers)
	var sb strings.Builder
	sb.WriteString(tr(r.lang, msgAttendanceHeader, mt.Title, i18n.FormatDateTime(mt.Start, r.loc, r.lang),
		tr(r.lang, msgAttComing)+": "+people(r.lang, counts[store.AnswerYes]),
		tr(r.lang, msgAttMaybe)+": "+people(r.lang, counts[store.AnswerMaybe]),
		tr(r.lang, msgAttNotComing)+": "+people(r.lang, counts[store.AnswerNo]),
		tr(r.lang, msgAttNoAnswer)+": "+people(r.lang, counts[""])))
	names := func(list []meeting.Answering) []string {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = escape(a.Member.DisplayName)
			if a.Substitute != "" {
				out[i] += " (" + tr(r.lang, msgInstead, escape(a.Substitute)) + ")"
			}
		}
		return out
	}
	for _, o := range orgs {
		label := o.Organisation
		if label == "" {
			label = tr(r.lang, msgNoOrganisation)
		}
		fmt.Fprintf(&sb, "\n**%s**", escape(label))
		for _, part := range []struct {
			m     i18n.Text
			names []string
		}{{msgAttComing, names(o.Yes)}, {msgAttMaybe, names(o.Maybe)}, {msgAttNotComing, names(o.No)}, {msgAttNoAnswer, names(o.None)}} {
			if len(part.names) > 0 {
				fmt.Fprintf(&sb, "\n  %s: %s", tr(r.lang, part.m), strings.Join(part.names, ", "))
			}
		}
	}
	return private(truncate(sb.String(), 2000)), nil
}

// truncate keeps a message within Discord's length limit.
func truncate(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
