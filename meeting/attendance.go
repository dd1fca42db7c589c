package meeting

import (
	"context"
	"errors"
	"strings"

	"coordbot/outbox"
	"coordbot/store"
)

// Presence is one member's record after a meeting.
type Presence struct {
	MemberID int64
	Attended bool
	// Substitute names the deputy who came instead; "" takes the deputy
	// named in the member's answer, if any.
	Substitute string
}

// Recorded is what RecordAttendance saved.
type Recorded struct {
	Result
	// Came and Of count the members recorded present and recorded at all.
	Came, Of int
}

// RecordAttendance records who actually came to a meeting that has
// started and was not cancelled, with guests who are not members, and
// marks it held. A coordinator acts. With othersAbsent, every member of
// the group not in list is recorded absent (a coordinator ticking who
// came). The whole list is saved or none of it.
func (s *Service) RecordAttendance(ctx context.Context, a Actor, meetingID, inGroup int64, list []Presence, othersAbsent bool, guests ...store.Guest) (*Recorded, error) {
	var res Recorded
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if m.Status == store.MeetingCancelled {
			return refuse(textCancelledNobody, m.Title)
		}
		if m.Start.After(s.Now()) {
			return refuse(textNotYetHeld, m.Title)
		}
		rsvps, err := tx.RSVPs(m.ID)
		if err != nil {
			return err
		}
		deputy := map[int64]string{}
		for _, r := range rsvps {
			if r.Answer != store.AnswerNo {
				deputy[r.MemberID] = r.Substitute
			}
		}
		named := map[int64]bool{}
		var rows []*store.Attendance
		add := func(p Presence) {
			if named[p.MemberID] {
				return
			}
			named[p.MemberID] = true
			at := &store.Attendance{MeetingID: m.ID, MemberID: p.MemberID, Attended: p.Attended, Substitute: p.Substitute}
			if at.Attended && at.Substitute == "" {
				at.Substitute = deputy[p.MemberID]
			}
			if !at.Attended {
				at.Substitute = ""
			}
			rows = append(rows, at)
		}
		for _, p := range list {
			add(p)
		}
		if othersAbsent {
			members, err := tx.GroupMembers(g.ID)
			if err != nil {
				return err
			}
			for _, gm := range members {
				add(Presence{MemberID: gm.ID})
			}
		}
		if err := tx.SetAttendances(rows); err != nil {
			return err
		}
		if err := tx.AddGuests(m.ID, cleanGuests(guests)); err != nil {
			return err
		}
		if m.Status == store.MeetingScheduled {
			if err := tx.MarkHeld(m.ID); err != nil {
				return err
			}
			m.Status = store.MeetingHeld
		}
		res = Recorded{Result: Result{Meeting: m, Group: g}, Of: len(rows)}
		for _, r := range rows {
			if r.Attended {
				res.Came++
			}
		}
		return nil
	})
	if err != nil {
		return nil, errorf("record attendance", err)
	}
	return &res, nil
}

// AddGuests records guests who are not members at a meeting that has
// started and was not cancelled. A coordinator acts.
func (s *Service) AddGuests(ctx context.Context, a Actor, meetingID, inGroup int64, guests []store.Guest) (*Result, error) {
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if m.Status == store.MeetingCancelled {
			return refuse(textCancelledNobody, m.Title)
		}
		if m.Start.After(s.Now()) {
			return refuse(textNotYetHeld, m.Title)
		}
		res = Result{Meeting: m, Group: g}
		return tx.AddGuests(m.ID, cleanGuests(guests))
	})
	if err != nil {
		return nil, errorf("add guests", err)
	}
	return &res, nil
}

// cleanGuests returns guests with their names and organisations on one
// line, whichever door built them.
func cleanGuests(guests []store.Guest) []store.Guest {
	out := make([]store.Guest, len(guests))
	for i, g := range guests {
		g.Name, g.Organisation = singleLine(g.Name), singleLine(g.Organisation)
		out[i] = g
	}
	return out
}

// ParseGuests reads guests typed as "Name=Organisation", separated by
// semicolons or new lines ("=Organisation" may be left out).
func ParseGuests(text string) ([]store.Guest, error) {
	var out []store.Guest
	for _, part := range strings.FieldsFunc(text, func(r rune) bool { return r == ';' || r == '\n' }) {
		name, org, _ := strings.Cut(part, "=")
		name, org = singleLine(name), singleLine(org)
		if name == "" && org == "" {
			continue
		}
		if name == "" || len([]rune(name)) > 200 || len([]rune(org)) > 200 {
			return nil, refuse(textBadGuest, strings.TrimSpace(part))
		}
		out = append(out, store.Guest{Name: name, Organisation: org})
	}
	return out, nil
}

// AssignMinutes files archived message messageID as the minutes of a
// meeting, and tells the group's channel. A coordinator acts.
func (s *Service) AssignMinutes(ctx context.Context, a Actor, messageID, meetingID, inGroup int64) (*Result, error) {
	msg, err := s.store.ArchiveMessageByID(ctx, messageID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && msg.State != store.ArchiveArchived) {
		return nil, refuse(textNoMessage, messageID)
	}
	if err != nil {
		return nil, errorf("assign minutes", err)
	}
	var res Result
	err = s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if err := tx.AssignMinutes(messageID, m.ID); err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		return outbox.MinutesFiled(tx, g, m, messageID, s.Now())
	})
	if err != nil {
		return nil, errorf("assign minutes", err)
	}
	return &res, nil
}

// MinutesArchived implements mail.MinutesNotifier: the mail intake filed
// minutes under a meeting (in its own transaction), and the group's
// channel is told through the outbox.
func (s *Service) MinutesArchived(ctx context.Context, meetingID, archiveID int64) error {
	return s.write(ctx, func(tx *store.Tx) error {
		m, err := tx.Meeting(meetingID)
		if err != nil {
			return err
		}
		g, err := tx.Group(m.GroupID)
		if err != nil {
			return err
		}
		return outbox.MinutesFiled(tx, g, m, archiveID, s.Now())
	})
}
