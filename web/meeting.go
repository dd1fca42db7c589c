package web

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"coordbot/i18n"
	"coordbot/meeting"
	"coordbot/store"
)

// meetingData is what the meeting page shows.
type meetingData struct {
	ID        int64
	Group     *store.Group
	When      string
	Place     string
	OnlineURL string
	Status    string
	// Open says answers and proposals are taken (scheduled, not begun).
	Open bool
	// CanPropose is Open, or a coordinator writing up a meeting that
	// took place.
	CanPropose  bool
	Coordinator bool
	// CanRecord says a coordinator may confirm attendance now (the
	// meeting has begun and was not cancelled).
	CanRecord bool
	Deadline  string
	// Mine is the member's answer (yes, no, maybe or "") with its note
	// and deputy.
	Mine, MyNote, MySubstitute string
	Agenda                     []agendaRow
	Counts                     map[string]int
	Orgs                       []orgRow
	Attendance                 []attendanceRow
	Recorded                   bool
	Guests                     []string
	Minutes                    []messageRow
}

// agendaRow is an agenda item as the page lists it.
type agendaRow struct {
	ID       int64
	Position int
	Title    string
	Details  string
	By       string
	Status   string
	// StatusText names Status; Proposed and Withdrawn select the buttons.
	StatusText          string
	Proposed, Withdrawn bool
	// CanWithdraw is the author's or a coordinator's.
	CanWithdraw bool
}

// orgRow is one organisation's answers, as /attendance show lists them.
type orgRow struct {
	Name                 string
	Yes, Maybe, No, None []string
}

// attendanceRow is one member in the coordinator's attendance form.
type attendanceRow struct {
	MemberID     int64
	Name         string
	Organisation string
	Came         bool
	Substitute   string
}

// messageRow is an archived message in a list.
type messageRow struct {
	ID          int64
	Subject     string
	From        string
	When        string
	Attachments []attachmentRow
	// Snippet is a search hit's text, in parts: Hit marks the words
	// found.
	Snippet []snippetPart
	Meeting string
	State   string
}

// attachmentRow is a file to download.
type attachmentRow struct {
	URL  string
	Name string
	Size int64
	Type string
}

// loadMeeting reads a meeting the visitor may see: one of another group,
// or none, is a 404 (nothing tells the two apart).
func (s *server) loadMeeting(w http.ResponseWriter, r *http.Request) (*store.Meeting, bool) {
	id, ok := pathID(r, "id")
	if !ok {
		s.errorPage(w, r, http.StatusNotFound, "")
		return nil, false
	}
	m, err := s.store.Meeting(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !visitorOf(r).in(m.GroupID)) {
		s.errorPage(w, r, http.StatusNotFound, "")
		return nil, false
	}
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return m, true
}

// notices are the sentences a form's redirect asks the page to show
// (?ok=key); only these keys are shown.
var notices = []string{"answered", "proposed", "accepted", "withdrawn", "ordered", "recorded", "filed"}

func (s *server) meetingPage(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	notice := ""
	if k := r.URL.Query().Get("ok"); slices.Contains(notices, k) {
		notice = "ok_" + k
	}
	s.showMeeting(w, r, m.ID, http.StatusOK, notice, nil)
}

// showMeeting renders the meeting page with a notice key, or with the
// refusal of a form that was sent.
func (s *server) showMeeting(w http.ResponseWriter, r *http.Request, id int64, status int, notice string, refusal *meeting.Refusal) {
	ctx, vis := r.Context(), visitorOf(r)
	view, members, err := s.view(ctx, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	g, m := view.Group, view.Meeting
	lang, loc, now := groupLang(g), location(g), s.now()
	d := &meetingData{ID: m.ID, Group: g, When: when(m, loc, lang), Place: m.Place, OnlineURL: m.OnlineURL,
		Status: statusText(lang, m.Status), Coordinator: vis.coordinates(g.ID), Counts: map[string]int{}}
	d.Open = m.Status == store.MeetingScheduled && now.Before(m.Start)
	begun := m.Status != store.MeetingCancelled && !now.Before(m.Start)
	d.CanPropose = d.Open || (d.Coordinator && begun)
	d.CanRecord = d.Coordinator && begun
	if d.Open {
		d.Deadline = i18n.FormatDateTime(meeting.AgendaDeadline(g, m), loc, lang)
	}
	for _, a := range view.Answers {
		if a.Member.ID == vis.member.ID {
			d.Mine, d.MyNote, d.MySubstitute = a.RSVP.Answer, a.RSVP.Note, a.RSVP.Substitute
		}
	}
	for _, it := range view.Agenda {
		d.Agenda = append(d.Agenda, agendaRow{ID: it.ID, Position: it.Position, Title: it.Title, Details: it.Details,
			By: it.By, Status: it.Status, StatusText: tr(lang, "agenda_"+it.Status),
			Proposed: it.Status == store.AgendaProposed, Withdrawn: it.Status == store.AgendaWithdrawn,
			CanWithdraw: it.Status != store.AgendaWithdrawn && (d.Coordinator || it.AuthorID == vis.member.ID)})
	}
	d.Orgs = attendanceByOrg(lang, members, view.Answers, d.Counts)
	if d.CanRecord {
		if d.Attendance, d.Recorded, err = s.attendanceForm(r, m.ID, members, view.Answers); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	for _, gu := range view.Guests {
		d.Guests = append(d.Guests, personName(gu.Name, gu.Organisation))
	}
	for _, msg := range view.Minutes {
		d.Minutes = append(d.Minutes, messageRowOf(msg, loc, lang))
	}
	p := &page{Lang: lang, Title: m.Title, Member: vis.member, Data: d}
	if notice != "" {
		p.Notice = tr(lang, notice)
	}
	if refusal != nil {
		p.Error = refusal.Message(lang)
	}
	s.render(w, r, status, "meeting", p)
}

// view reads a meeting as meeting.View does, with the group's members,
// in fewer queries: the answers' and items' authors are looked up among
// the members (only former members one by one), and the minutes are
// listed without their text, which the page does not show.
func (s *server) view(ctx context.Context, id int64) (*meeting.View, []*store.GroupMember, error) {
	st := s.store
	m, err := st.Meeting(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	v := &meeting.View{Meeting: m}
	if v.Group, err = st.Group(ctx, m.GroupID); err != nil {
		return nil, nil, err
	}
	members, err := st.GroupMembers(ctx, m.GroupID)
	if err != nil {
		return nil, nil, err
	}
	known := make(map[int64]*store.Member, len(members))
	for _, gm := range members {
		known[gm.ID] = &gm.Member
	}
	member := func(id int64) (*store.Member, error) {
		if mem, ok := known[id]; ok {
			return mem, nil
		}
		mem, err := st.Member(ctx, id)
		if err != nil {
			return nil, err
		}
		known[id] = mem
		return mem, nil
	}
	rsvps, err := st.RSVPs(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, rs := range rsvps {
		mem, err := member(rs.MemberID)
		if err != nil {
			return nil, nil, err
		}
		v.Answers = append(v.Answers, meeting.Answer{Member: mem, RSVP: rs})
	}
	items, err := st.Agenda(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		item := meeting.Item{AgendaItem: it}
		if it.AuthorID != 0 {
			mem, err := member(it.AuthorID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, nil, err
			}
			if mem != nil {
				item.By = mem.DisplayName
			}
		}
		v.Agenda = append(v.Agenda, item)
	}
	if v.Guests, err = st.Guests(ctx, id); err != nil {
		return nil, nil, err
	}
	if v.Minutes, err = st.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: id, State: store.ArchiveArchived,
		WithoutBody: true}); err != nil {
		return nil, nil, err
	}
	return v, members, nil
}

// when writes a meeting's time the Czech (or English) way, with its end:
// "út 23. 3. 2027 10:00–12:00".
func when(m *store.Meeting, loc *time.Location, lang i18n.Lang) string {
	start, end := m.Start.In(loc), m.End().In(loc)
	s := i18n.FormatWeekdayDateTime(start, loc, lang)
	if m.Duration <= 0 {
		return s
	}
	if start.YearDay() != end.YearDay() || start.Year() != end.Year() {
		return s + " – " + i18n.FormatDateTime(end, loc, lang)
	}
	if lang == i18n.English {
		return s + "–" + fmt.Sprintf("%02d:%02d", end.Hour(), end.Minute())
	}
	return s + "–" + fmt.Sprintf("%d:%02d", end.Hour(), end.Minute())
}

// personName is "Name (Organisation)", or the name alone.
func personName(name, org string) string {
	if org == "" {
		return name
	}
	return name + " (" + org + ")"
}

// attendanceByOrg lists the meeting's people by organisation with their
// answers (meeting.ByOrganisation, as the bot's /attendance show), adding
// each answer's count to counts ("" for none).
func attendanceByOrg(lang i18n.Lang, members []*store.GroupMember, answers []meeting.Answer, counts map[string]int) []orgRow {
	orgs, n := meeting.ByOrganisation(members, answers)
	maps.Copy(counts, n)
	names := func(list []meeting.Answering) []string {
		out := make([]string, len(list))
		for i, a := range list {
			out[i] = a.Member.DisplayName
			if a.Substitute != "" {
				out[i] += " (" + tr(lang, "instead", a.Substitute) + ")"
			}
		}
		return out
	}
	rows := make([]orgRow, len(orgs))
	for i, o := range orgs {
		rows[i] = orgRow{Name: o.Organisation, Yes: names(o.Yes), Maybe: names(o.Maybe), No: names(o.No), None: names(o.None)}
		if o.Organisation == "" {
			rows[i].Name = tr(lang, "noOrganisation")
		}
	}
	return rows
}

// attendanceForm lists the group's members for the coordinator to tick:
// as recorded when attendance was recorded, else ticked when they said
// yes (or maybe), with the deputy they named.
func (s *server) attendanceForm(r *http.Request, meetingID int64, members []*store.GroupMember, answers []meeting.Answer) ([]attendanceRow, bool, error) {
	recorded, err := s.store.AttendanceOf(r.Context(), meetingID)
	if err != nil {
		return nil, false, err
	}
	rec := map[int64]*store.Attendance{}
	for _, a := range recorded {
		rec[a.MemberID] = a
	}
	ans := map[int64]*store.RSVP{}
	for _, a := range answers {
		ans[a.Member.ID] = a.RSVP
	}
	var rows []attendanceRow
	for _, gm := range members {
		row := attendanceRow{MemberID: gm.ID, Name: gm.DisplayName, Organisation: gm.Organisation}
		if a := rec[gm.ID]; a != nil {
			row.Came, row.Substitute = a.Attended, a.Substitute
		} else if a := ans[gm.ID]; a != nil && len(recorded) == 0 {
			row.Came = a.Answer == store.AnswerYes
			if row.Came {
				row.Substitute = a.Substitute
			}
		}
		rows = append(rows, row)
	}
	return rows, len(recorded) > 0, nil
}

// afterForm ends a meeting form: back to the page with a notice when the
// core did it, the page with the refusal when it said no.
func (s *server) afterForm(w http.ResponseWriter, r *http.Request, m *store.Meeting, err error, ok string) {
	if ref, isRefusal := meeting.IsRefusal(err); isRefusal {
		s.showMeeting(w, r, m.ID, http.StatusUnprocessableEntity, "", ref)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	seeOther(w, r, "/meetings/"+strconv.FormatInt(m.ID, 10)+"?ok="+ok)
}

// answer records the member's answer with its note and deputy.
func (s *server) answer(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	_, err := s.core.Answer(r.Context(), visitorOf(r).actor(), m.ID, m.GroupID, r.PostFormValue("answer"),
		r.PostFormValue("note"), r.PostFormValue("substitute"))
	s.afterForm(w, r, m, err, "answered")
}

// propose adds an agenda item.
func (s *server) propose(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	_, err := s.core.Propose(r.Context(), visitorOf(r).actor(), m.ID, m.GroupID, r.PostFormValue("title"),
		r.PostFormValue("details"))
	s.afterForm(w, r, m, err, "proposed")
}

// agenda accepts (a coordinator) or withdraws (its author or a
// coordinator) one item: fields item and action (accept or withdraw).
func (s *server) agenda(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	itemID, err := strconv.ParseInt(r.PostFormValue("item"), 10, 64)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	status, notice := store.AgendaAccepted, "accepted"
	switch r.PostFormValue("action") {
	case "accept":
	case "withdraw":
		status, notice = store.AgendaWithdrawn, "withdrawn"
	default:
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	it, err := s.store.AgendaItem(r.Context(), itemID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && it.MeetingID != m.ID) {
		s.errorPage(w, r, http.StatusNotFound, "")
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, err = s.core.SetAgendaStatus(r.Context(), visitorOf(r).actor(), itemID, m.GroupID, status)
	s.afterForm(w, r, m, err, notice)
}

// order reorders the agenda: a field pos-<item id> with a number per item;
// items go by those numbers (ties and items left out keep their order).
func (s *server) order(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	items, err := s.store.Agenda(r.Context(), m.ID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	type ranked struct {
		id  int64
		pos float64
	}
	var rs []ranked
	for i, it := range items {
		pos := float64(i + 1)
		if v := strings.TrimSpace(r.PostFormValue("pos-" + strconv.FormatInt(it.ID, 10))); v != "" {
			f, err := strconv.ParseFloat(strings.Replace(v, ",", ".", 1), 64)
			if err != nil {
				s.afterForm(w, r, m, meetingRefusal(i18n.Text{CS: "Pořadí zadejte čísly.", EN: "Give the order as numbers."}), "")
				return
			}
			pos = f
		}
		rs = append(rs, ranked{it.ID, pos})
	}
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].pos < rs[j].pos })
	ids := make([]int64, len(rs))
	for i, x := range rs {
		ids[i] = x.id
	}
	_, err = s.core.Reorder(r.Context(), visitorOf(r).actor(), m.ID, m.GroupID, ids)
	s.afterForm(w, r, m, err, "ordered")
}

// meetingRefusal is a refusal of the web's own, shown like the core's.
func meetingRefusal(t i18n.Text) error { return &meeting.Refusal{Text: t} }

// attendance records who came: a checkbox came=<member id> per member who
// came, sub-<member id> the deputy who came instead, guests the guests
// ("Name=Organisation" per line). Members not ticked are recorded absent.
func (s *server) attendance(w http.ResponseWriter, r *http.Request) {
	m, ok := s.loadMeeting(w, r)
	if !ok {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "")
		return
	}
	came := map[int64]bool{}
	for _, v := range r.PostForm["came"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			came[id] = true
		}
	}
	members, err := s.store.GroupMembers(r.Context(), m.GroupID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var list []meeting.Presence
	for _, gm := range members {
		p := meeting.Presence{MemberID: gm.ID, Attended: came[gm.ID]}
		if p.Attended {
			p.Substitute = strings.TrimSpace(r.PostFormValue("sub-" + strconv.FormatInt(gm.ID, 10)))
		}
		list = append(list, p)
	}
	guests, err := meeting.ParseGuests(r.PostFormValue("guests"))
	if err != nil {
		s.afterForm(w, r, m, err, "")
		return
	}
	_, err = s.core.RecordAttendance(r.Context(), visitorOf(r).actor(), m.ID, m.GroupID, list, true, guests...)
	s.afterForm(w, r, m, err, "recorded")
}
