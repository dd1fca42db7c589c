package meeting

import (
	"context"
	"errors"
	"sort"

	"coordbot/store"
)

// View is one meeting as the doors show it: its answers with who gave
// them, its agenda with who proposed each item, and its minutes.
type View struct {
	Meeting *store.Meeting
	Group   *store.Group
	Answers []Answer
	Agenda  []Item
	Minutes []*store.ArchiveMessage
	Guests  []*store.Guest
}

// Answer is a member's current answer.
type Answer struct {
	Member *store.Member
	RSVP   *store.RSVP
}

// Item is an agenda item with its author's name ("" when unknown).
type Item struct {
	*store.AgendaItem
	By string
}

// View reads a meeting for showing; an unknown one is a refusal.
func (s *Service) View(ctx context.Context, meetingID int64) (*View, error) {
	st := s.store
	m, err := st.Meeting(ctx, meetingID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refuse(textNoMeeting)
	}
	if err != nil {
		return nil, errorf("view", err)
	}
	v := &View{Meeting: m}
	if v.Group, err = st.Group(ctx, m.GroupID); err != nil {
		return nil, errorf("view", err)
	}
	members := map[int64]*store.Member{}
	member := func(id int64) (*store.Member, error) {
		if mem, ok := members[id]; ok {
			return mem, nil
		}
		mem, err := st.Member(ctx, id)
		if err != nil {
			return nil, err
		}
		members[id] = mem
		return mem, nil
	}
	rsvps, err := st.RSVPs(ctx, m.ID)
	if err != nil {
		return nil, errorf("view", err)
	}
	for _, r := range rsvps {
		mem, err := member(r.MemberID)
		if err != nil {
			return nil, errorf("view", err)
		}
		v.Answers = append(v.Answers, Answer{Member: mem, RSVP: r})
	}
	items, err := st.Agenda(ctx, m.ID)
	if err != nil {
		return nil, errorf("view", err)
	}
	for _, it := range items {
		item := Item{AgendaItem: it}
		if it.AuthorID != 0 {
			mem, err := member(it.AuthorID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, errorf("view", err)
			}
			if mem != nil {
				item.By = mem.DisplayName
			}
		}
		v.Agenda = append(v.Agenda, item)
	}
	if v.Guests, err = st.Guests(ctx, m.ID); err != nil {
		return nil, errorf("view", err)
	}
	if v.Minutes, err = st.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: m.ID, State: store.ArchiveArchived}); err != nil {
		return nil, errorf("view", err)
	}
	return v, nil
}

// Answering is one person in a meeting's answer lists, with the deputy
// they named ("" for none).
type Answering struct {
	Member     *store.Member
	Substitute string
}

// OrgAnswers is one organisation's people by their answer to a meeting.
type OrgAnswers struct {
	// Organisation is "" for people who gave none.
	Organisation         string
	Yes, Maybe, No, None []Answering
}

// ByOrganisation groups a meeting's people by organisation, as every door
// lists who comes: the group's members (None for those who have not
// answered) and whoever else answered (someone who has left the group
// still counts). Organisations are sorted by name, "" last; people keep
// the order of members, then of answers. counts holds how many gave each
// answer, "" for none.
func ByOrganisation(members []*store.GroupMember, answers []Answer) (orgs []OrgAnswers, counts map[string]int) {
	byMember := map[int64]*store.RSVP{}
	for _, a := range answers {
		byMember[a.Member.ID] = a.RSVP
	}
	counts = map[string]int{}
	index := map[string]int{}
	add := func(m *store.Member, answer, substitute string) {
		i, ok := index[m.Organisation]
		if !ok {
			i = len(orgs)
			index[m.Organisation] = i
			orgs = append(orgs, OrgAnswers{Organisation: m.Organisation})
		}
		o, who := &orgs[i], Answering{Member: m, Substitute: substitute}
		switch answer {
		case store.AnswerYes:
			o.Yes = append(o.Yes, who)
		case store.AnswerNo:
			o.No = append(o.No, who)
		case store.AnswerMaybe:
			o.Maybe = append(o.Maybe, who)
		default:
			answer = ""
			o.None = append(o.None, who)
		}
		counts[answer]++
	}
	seen := map[int64]bool{}
	for _, gm := range members {
		seen[gm.ID] = true
		if r := byMember[gm.ID]; r != nil {
			add(&gm.Member, r.Answer, r.Substitute)
		} else {
			add(&gm.Member, "", "")
		}
	}
	for _, a := range answers {
		if !seen[a.Member.ID] {
			add(a.Member, a.RSVP.Answer, a.RSVP.Substitute)
		}
	}
	sort.SliceStable(orgs, func(i, j int) bool {
		a, b := orgs[i].Organisation, orgs[j].Organisation
		if (a == "") != (b == "") {
			return b == ""
		}
		return a < b
	})
	return orgs, counts
}
