package web

import (
	"errors"
	"net/http"
	"sort"
	"strconv"
	"time"

	"coordbot/i18n"
	"coordbot/store"
)

// homeGroup is one of the member's groups on the home page.
type homeGroup struct {
	Group       *store.Group
	Coordinator bool
	// ReportURL is the current year's report, for coordinators.
	ReportURL string
	Upcoming  []homeMeeting
	Recent    []homeMeeting
}

// homeMeeting is a meeting in a list, with the member's answer.
type homeMeeting struct {
	ID    int64
	Title string
	When  string
	// Answer is the member's answer in words, "" when none.
	Answer string
	Status string
}

// upcomingSlack keeps a meeting that has just begun among the upcoming.
const upcomingSlack = 12 * time.Hour

// home lists the member's groups with their upcoming meetings (and the
// member's answer to each) and the last few that took place.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
	ctx, v, lang, now := r.Context(), visitorOf(r), langOf(r), s.now()
	var groups []*homeGroup
	for id, role := range v.roles {
		g, err := s.store.Group(ctx, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		loc := location(g)
		hg := &homeGroup{Group: g, Coordinator: role == store.RoleCoordinator}
		if hg.Coordinator {
			hg.ReportURL = "/groups/" + g.Slug + "/report/" + strconv.Itoa(now.In(loc).Year())
		}
		upcoming, err := s.store.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, From: now.Add(-upcomingSlack),
			Status: []string{store.MeetingScheduled}, Limit: 10})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, m := range upcoming {
			hm := homeMeeting{ID: m.ID, Title: m.Title, When: i18n.FormatWeekdayDateTime(m.Start, loc, lang)}
			rs, err := s.store.RSVP(ctx, m.ID, v.member.ID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				s.fail(w, r, err)
				return
			}
			if rs != nil {
				hm.Answer = tr(lang, "answer_"+rs.Answer)
			}
			hg.Upcoming = append(hg.Upcoming, hm)
		}
		recent, err := s.store.Meetings(ctx, store.MeetingFilter{GroupID: g.ID, To: now, Descending: true, Limit: 5,
			Status: []string{store.MeetingScheduled, store.MeetingHeld}})
		if err != nil {
			s.fail(w, r, err)
			return
		}
		for _, m := range recent {
			hg.Recent = append(hg.Recent, homeMeeting{ID: m.ID, Title: m.Title,
				When: i18n.FormatDateTime(m.Start, loc, lang), Status: statusText(lang, m.Status)})
		}
		groups = append(groups, hg)
	}
	sort.Slice(groups, func(i, j int) bool { return groups[i].Group.Name < groups[j].Group.Name })
	s.render(w, r, http.StatusOK, "home", &page{Lang: lang, Title: tr(lang, "homeTitle"), Member: v.member,
		Data: groups})
}

// statusText names a meeting's status.
func statusText(lang i18n.Lang, status string) string { return tr(lang, "status_"+status) }
