package web

import (
	"errors"
	"net/http"
	"strconv"

	"coordbot/meeting"
	"coordbot/store"
)

// oneClickData is what the one-click answer page shows.
type oneClickData struct {
	Action  string
	Member  string
	Meeting string
	When    string
	Place   string
	// Answer is the answer preselected: the link's, and after the POST
	// the one recorded.
	Answer     string
	Note       string
	Substitute string
	Done       bool
	MeetingURL string
}

// oneClickTarget is what a one-click token names, read and checked: a
// token that was altered is a 400 page, one whose meeting has begun (or
// was cancelled) a 410 page. ok is false when the page was written.
func (s *server) oneClickTarget(w http.ResponseWriter, r *http.Request) (mem *store.Member, m *store.Meeting, g *store.Group, answer string, ok bool) {
	lang := langOf(r)
	memberID, meetingID, answer, err := s.links.ParseAnswer(r.PathValue("token"))
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, tr(lang, "errBadAnswerLink"))
		return nil, nil, nil, "", false
	}
	ctx := r.Context()
	m, err = s.store.Meeting(ctx, meetingID)
	if err == nil {
		mem, err = s.store.Member(ctx, memberID)
	}
	if err == nil {
		g, err = s.store.Group(ctx, m.GroupID)
	}
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusGone, tr(lang, "errAnswerGone"))
		return nil, nil, nil, "", false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, nil, nil, "", false
	}
	if m.Status != store.MeetingScheduled || !s.now().Before(m.Start) {
		s.errorPage(w, r, http.StatusGone, tr(groupLang(g), "errAnswerExpired", m.Title))
		return nil, nil, nil, "", false
	}
	return mem, m, g, answer, true
}

// oneClickForm is what a one-click link opens: the answer preselected and
// one button. It records nothing: mail scanners open every link.
func (s *server) oneClickForm(w http.ResponseWriter, r *http.Request) {
	mem, m, g, answer, ok := s.oneClickTarget(w, r)
	if !ok {
		return
	}
	d := s.oneClickData(r, mem, m, g, answer)
	if rs, err := s.store.RSVP(r.Context(), m.ID, mem.ID); err == nil {
		d.Note, d.Substitute = rs.Note, rs.Substitute
	} else if !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	lang := groupLang(g)
	s.render(w, r, http.StatusOK, "oneclick", &page{Lang: lang, Title: tr(lang, "oneClickTitle"), Member: memberOf(r), Data: d})
}

func (s *server) oneClickData(r *http.Request, mem *store.Member, m *store.Meeting, g *store.Group, answer string) *oneClickData {
	lang, loc := groupLang(g), location(g)
	return &oneClickData{Action: "/a/" + r.PathValue("token"), Member: mem.DisplayName, Meeting: m.Title,
		When: when(m, loc, lang), Place: m.Place, Answer: answer, MeetingURL: "/meetings/" + strconv.FormatInt(m.ID, 10)}
}

// oneClick records the answer through the core, as the member the token
// names. The answer chosen on the page wins over the link's (all three
// links came in the same mail).
func (s *server) oneClick(w http.ResponseWriter, r *http.Request) {
	mem, m, g, answer, ok := s.oneClickTarget(w, r)
	if !ok {
		return
	}
	if a := r.PostFormValue("answer"); a == store.AnswerYes || a == store.AnswerNo || a == store.AnswerMaybe {
		answer = a
	}
	lang := groupLang(g)
	_, err := s.core.Answer(r.Context(), meeting.Actor{Via: store.ViaWeb, MemberID: mem.ID}, m.ID, m.GroupID, answer,
		r.PostFormValue("note"), r.PostFormValue("substitute"))
	if ref, isRefusal := meeting.IsRefusal(err); isRefusal {
		s.errorPage(w, r, http.StatusGone, ref.Message(lang))
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := s.oneClickData(r, mem, m, g, answer)
	d.Done = true
	s.render(w, r, http.StatusOK, "oneclick", &page{Lang: lang, Title: tr(lang, "oneClickDone"), Member: memberOf(r),
		Notice: tr(lang, "oneClickRecorded", tr(lang, "answer_"+answer)), Data: d})
}
