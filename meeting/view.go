package meeting

import (
	"context"
	"errors"

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
