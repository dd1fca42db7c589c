package bot

import (
	"fmt"
	"sort"
	"strings"

	"coordbot/i18n"
	"coordbot/store"
)

// attendance answers who comes, who not, who may, and who has not
// answered, grouped by organisation, with Czech plurals.
func (b *Bot) attendance(r *request, o options) (*reply, error) {
	if err := r.needGroup(); err != nil {
		return nil, err
	}
	meeting, err := b.meetingArg(r, o.str("meeting"))
	if err != nil {
		return nil, err
	}
	members, err := b.store.GroupMembers(r.ctx, r.group.ID)
	if err != nil {
		return nil, err
	}
	rsvps, err := b.store.RSVPs(r.ctx, meeting.ID)
	if err != nil {
		return nil, err
	}
	byMember := map[int64]*store.RSVP{}
	for _, rs := range rsvps {
		byMember[rs.MemberID] = rs
	}
	type entry struct{ yes, no, maybe, none []string }
	orgs := map[string]*entry{}
	counts := map[string]int{}
	add := func(org, answer, name string) {
		e := orgs[org]
		if e == nil {
			e = &entry{}
			orgs[org] = e
		}
		switch answer {
		case store.AnswerYes:
			e.yes = append(e.yes, name)
		case store.AnswerNo:
			e.no = append(e.no, name)
		case store.AnswerMaybe:
			e.maybe = append(e.maybe, name)
		default:
			e.none = append(e.none, name)
		}
		counts[answer]++
	}
	seen := map[int64]bool{}
	for _, gm := range members {
		seen[gm.ID] = true
		name := escape(gm.DisplayName)
		answer := ""
		if rs := byMember[gm.ID]; rs != nil {
			answer = rs.Answer
			if rs.Substitute != "" {
				name += " (" + tr(r.lang, msgInstead, escape(rs.Substitute)) + ")"
			}
		}
		add(gm.Organisation, answer, name)
	}
	// Someone who answered and has left the group still counts.
	for _, rs := range rsvps {
		if seen[rs.MemberID] {
			continue
		}
		m, err := b.store.Member(r.ctx, rs.MemberID)
		if err != nil {
			return nil, err
		}
		add(m.Organisation, rs.Answer, escape(m.DisplayName))
	}
	var sb strings.Builder
	sb.WriteString(tr(r.lang, msgAttendanceHeader, meeting.Title, i18n.FormatDateTime(meeting.Start, r.loc, r.lang),
		tr(r.lang, msgAttComing)+": "+people(r.lang, counts[store.AnswerYes]),
		tr(r.lang, msgAttMaybe)+": "+people(r.lang, counts[store.AnswerMaybe]),
		tr(r.lang, msgAttNotComing)+": "+people(r.lang, counts[store.AnswerNo]),
		tr(r.lang, msgAttNoAnswer)+": "+people(r.lang, counts[""])))
	names := make([]string, 0, len(orgs))
	for org := range orgs {
		names = append(names, org)
	}
	sort.Strings(names)
	for _, org := range names {
		e := orgs[org]
		label := org
		if label == "" {
			label = tr(r.lang, msgNoOrganisation)
		}
		fmt.Fprintf(&sb, "\n**%s**", escape(label))
		for _, part := range []struct {
			m     i18n.Text
			names []string
		}{{msgAttComing, e.yes}, {msgAttMaybe, e.maybe}, {msgAttNotComing, e.no}, {msgAttNoAnswer, e.none}} {
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
