package meeting

import (
	"context"
	"errors"
	"time"

	"coordbot/outbox"
	"coordbot/store"
)

// Limits on what an answer carries; longer text is cut, not refused (a
// Discord modal enforces them already).
const (
	MaxNote       = 1000
	MaxSubstitute = 200
)

// Answered is an answer as recorded.
type Answered struct {
	Result
	RSVP *store.RSVP
}

// Answer records a member's answer (store.AnswerYes, AnswerNo or
// AnswerMaybe) to a scheduled meeting that has not started, with an
// optional note and the deputy who comes instead. A member acts for
// themselves; the operator for the member in a.MemberID, who must be in
// the group. The card's counts are refreshed by a coalesced edit.
func (s *Service) Answer(ctx context.Context, a Actor, meetingID, inGroup int64, answer, note, substitute string) (*Answered, error) {
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return nil, refuse(textBadAnswer)
	}
	var res *Answered
	err := s.write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.answerTx(tx, a, meetingID, inGroup, answer, note, substitute)
		return err
	})
	if err != nil {
		return nil, errorf("answer", err)
	}
	return res, nil
}

// answerTx is Answer inside a transaction the caller owns: a mail answer
// records it in the transaction that marks the message's action done.
func (s *Service) answerTx(tx *store.Tx, a Actor, meetingID, inGroup int64, answer, note, substitute string) (*Answered, error) {
	if answer != store.AnswerYes && answer != store.AnswerNo && answer != store.AnswerMaybe {
		return nil, refuse(textBadAnswer)
	}
	note, substitute = cut(multiLine(note), MaxNote), cut(singleLine(substitute), MaxSubstitute)
	m, g, err := meetingIn(tx, meetingID, inGroup)
	if err != nil {
		return nil, err
	}
	who, err := s.respondent(tx, g, a)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	if err := open(m, now); err != nil {
		return nil, err
	}
	rs := &store.RSVP{MeetingID: m.ID, MemberID: who, Answer: answer, Note: note, Substitute: substitute, Via: a.Via}
	if err := tx.SetRSVP(rs); err != nil {
		return nil, err
	}
	return &Answered{Result: Result{Meeting: m, Group: g}, RSVP: rs}, outbox.Refresh(tx, g, m, now, s.EditDelay)
}

// respondent is the member a member's action is for: the actor, or for
// the operator the member in a.MemberID, who must belong to the group.
func (s *Service) respondent(tx *store.Tx, g *store.Group, a Actor) (int64, error) {
	if !a.Operator {
		id, _, err := actorIn(tx, g, a, store.RoleMember)
		return id, err
	}
	if a.MemberID == 0 {
		return 0, refuse(textNoContact)
	}
	if _, err := tx.MembershipOf(g.ID, a.MemberID); errors.Is(err, store.ErrNotFound) {
		m, err := tx.Member(a.MemberID)
		if err != nil {
			return 0, err
		}
		return 0, refuse(textNotInGroup, m.DisplayName, g.Name)
	} else if err != nil {
		return 0, err
	}
	return a.MemberID, nil
}

// open refuses a meeting that no longer takes answers or proposals.
func open(m *store.Meeting, now time.Time) error {
	if m.Status != store.MeetingScheduled {
		return notOpen(m)
	}
	if !now.Before(m.Start) {
		return refuse(textMeetingStarted, m.Title)
	}
	return nil
}

func cut(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}

// Proposed is an agenda item as recorded.
type Proposed struct {
	Result
	Item *store.AgendaItem
	// Late reports that it came after the agenda deadline (it is kept,
	// marked late).
	Late bool
}

// AgendaDeadline is when proposals for the meeting close.
func AgendaDeadline(g *store.Group, m *store.Meeting) time.Time {
	d := g.AgendaDeadline
	if m.AgendaDeadline != nil {
		d = *m.AgendaDeadline
	}
	if d <= 0 {
		return m.Start
	}
	return m.Start.Add(-d)
}

// Propose adds an item to a scheduled meeting's agenda that has not
// started. A member proposes; the operator may name the author in
// a.MemberID or leave it 0. A coordinator may also add items to a meeting
// that took place, to record its topics: those are accepted at once and
// not marked late.
func (s *Service) Propose(ctx context.Context, a Actor, meetingID, inGroup int64, title, details string) (*Proposed, error) {
	title, details = singleLine(title), multiLine(details)
	if err := checkProposal(title, details); err != nil {
		return nil, err
	}
	var res *Proposed
	err := s.write(ctx, func(tx *store.Tx) error {
		var err error
		res, err = s.proposeTx(tx, a, meetingID, inGroup, title, details)
		return err
	})
	if err != nil {
		return nil, errorf("propose", err)
	}
	return res, nil
}

// checkProposal refuses an empty or too long title and too long details.
func checkProposal(title, details string) error {
	if err := checkTitle(title); err != nil {
		return err
	}
	if len([]rune(details)) > store.MaxAgendaDetails {
		return refuse(textDetailsTooLong, store.MaxAgendaDetails)
	}
	return nil
}

// proposeTx is Propose inside a transaction the caller owns: an agenda
// item sent by mail is added in the transaction that marks the message's
// action done, so it is added exactly once.
func (s *Service) proposeTx(tx *store.Tx, a Actor, meetingID, inGroup int64, title, details string) (*Proposed, error) {
	title, details = singleLine(title), multiLine(details)
	if err := checkProposal(title, details); err != nil {
		return nil, err
	}
	m, g, err := meetingIn(tx, meetingID, inGroup)
	if err != nil {
		return nil, err
	}
	author := a.MemberID
	if !a.Operator || a.MemberID != 0 {
		if author, err = s.respondent(tx, g, a); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	// A coordinator writing a meeting up afterwards records what was
	// discussed: items may be added to a meeting that took place.
	writeUp := false
	if m.Status == store.MeetingHeld || (m.Status == store.MeetingScheduled && !now.Before(m.Start)) {
		_, role, err := actorIn(tx, g, a, store.RoleMember)
		writeUp = err == nil && role == store.RoleCoordinator
	}
	if err := open(m, now); err != nil && !writeUp {
		return nil, err
	}
	it := &store.AgendaItem{MeetingID: m.ID, AuthorID: author, Title: title, Details: details}
	if writeUp {
		it.Status = store.AgendaAccepted // what was discussed, not a proposal
	}
	if err := tx.AddAgendaItem(it); err != nil {
		return nil, err
	}
	res := &Proposed{Result: Result{Meeting: m, Group: g}, Item: it, Late: !writeUp && now.After(AgendaDeadline(g, m))}
	return res, outbox.Refresh(tx, g, m, now, s.EditDelay)
}

// SetAgendaStatus withdraws (store.AgendaWithdrawn: its author or a
// coordinator) or accepts (store.AgendaAccepted: a coordinator) an agenda
// item. inGroup, when not 0, is the group the door acts in: an item of
// another group is unknown there.
func (s *Service) SetAgendaStatus(ctx context.Context, a Actor, itemID, inGroup int64, status string) (*Proposed, error) {
	if status != store.AgendaWithdrawn && status != store.AgendaAccepted {
		return nil, errorf("agenda status", store.ErrInvalid)
	}
	var res Proposed
	err := s.write(ctx, func(tx *store.Tx) error {
		it, err := tx.AgendaItem(itemID)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(textAgendaNoItem, itemID)
		}
		if err != nil {
			return err
		}
		m, g, err := meetingIn(tx, it.MeetingID, inGroup)
		if _, ok := IsRefusal(err); ok {
			return refuse(textAgendaNoItem, itemID)
		}
		if err != nil {
			return err
		}
		need := store.RoleCoordinator
		if status == store.AgendaWithdrawn {
			need = store.RoleMember
		}
		who, role, err := actorIn(tx, g, a, need)
		if err != nil {
			return err
		}
		if status == store.AgendaWithdrawn && role != store.RoleCoordinator && it.AuthorID != who {
			return refuse(textAgendaNotAuthor)
		}
		if err := tx.SetAgendaStatus(it.ID, status); err != nil {
			return err
		}
		it.Status = status
		res = Proposed{Result: Result{Meeting: m, Group: g}, Item: it}
		return outbox.Refresh(tx, g, m, s.Now(), s.EditDelay)
	})
	if err != nil {
		return nil, errorf("agenda status", err)
	}
	return &res, nil
}

// Reorder orders a meeting's agenda: ids first, in that order, the rest
// after them as they were. A coordinator acts.
func (s *Service) Reorder(ctx context.Context, a Actor, meetingID, inGroup int64, ids []int64) (*Result, error) {
	if len(ids) == 0 {
		return nil, refuse(textAgendaBadOrder)
	}
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if err := tx.ReorderAgenda(m.ID, ids); errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			return refuse(textAgendaBadOrder)
		} else if err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		return outbox.Refresh(tx, g, m, s.Now(), s.EditDelay)
	})
	if err != nil {
		return nil, errorf("reorder agenda", err)
	}
	return &res, nil
}

// CheckOpen reads a meeting and refuses, as Answer and Propose would, one
// that no longer takes answers or proposals: a door asks before it shows a
// form, so nobody types into one that is then refused.
func (s *Service) CheckOpen(ctx context.Context, meetingID, inGroup int64) (*store.Meeting, error) {
	m, err := s.store.Meeting(ctx, meetingID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inGroup != 0 && m.GroupID != inGroup) {
		return nil, refuse(textNoMeeting)
	}
	if err != nil {
		return nil, errorf("check open", err)
	}
	return m, open(m, s.Now())
}
