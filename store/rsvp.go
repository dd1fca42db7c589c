package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RSVP answers.
const (
	AnswerYes   = "yes"
	AnswerNo    = "no"
	AnswerMaybe = "maybe"
)

// RSVP is a member's answer to a meeting invitation.
type RSVP struct {
	MeetingID int64
	MemberID  int64
	Answer    string
	// Substitute names a deputy who attends instead ("" for none).
	Substitute string
	Note       string
	UpdatedAt  time.Time
}

// SetRSVP records the member's current answer, replacing an earlier one,
// and appends it to the history, in one transaction. It sets r.UpdatedAt.
func (s *Store) SetRSVP(ctx context.Context, r *RSVP) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		now := s.now()
		// The primary key (meeting_id, member_id) keeps one current answer.
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO rsvps (meeting_id, member_id, answer, substitute, note, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (meeting_id, member_id) DO UPDATE SET
				answer = excluded.answer, substitute = excluded.substitute,
				note = excluded.note, updated_at = excluded.updated_at`,
			r.MeetingID, r.MemberID, r.Answer, r.Substitute, r.Note, now); err != nil {
			return dbError("set rsvp", err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO rsvp_history (meeting_id, member_id, answer, substitute, note, answered_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.MeetingID, r.MemberID, r.Answer, r.Substitute, r.Note, now); err != nil {
			return dbError("rsvp history", err)
		}
		r.UpdatedAt = fromUnix(now)
		return nil
	})
}

// RSVP returns the member's current answer, or ErrNotFound.
func (s *Store) RSVP(ctx context.Context, meetingID, memberID int64) (*RSVP, error) {
	r := RSVP{MeetingID: meetingID, MemberID: memberID}
	var updated int64
	err := s.rdb.QueryRowContext(ctx, `
		SELECT answer, substitute, note, updated_at FROM rsvps WHERE meeting_id = ? AND member_id = ?`,
		meetingID, memberID).Scan(&r.Answer, &r.Substitute, &r.Note, &updated)
	if err != nil {
		return nil, dbError(fmt.Sprintf("rsvp of member %d to meeting %d", memberID, meetingID), err)
	}
	r.UpdatedAt = fromUnix(updated)
	return &r, nil
}

func (s *Store) rsvpList(ctx context.Context, op, q string, args ...any) ([]*RSVP, error) {
	rows, err := s.rdb.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, dbError(op, err)
	}
	defer rows.Close()
	var out []*RSVP
	for rows.Next() {
		var r RSVP
		var at int64
		if err := rows.Scan(&r.MeetingID, &r.MemberID, &r.Answer, &r.Substitute, &r.Note, &at); err != nil {
			return nil, dbError(op, err)
		}
		r.UpdatedAt = fromUnix(at)
		out = append(out, &r)
	}
	return out, dbError(op, rows.Err())
}

// RSVPs lists the current answers to a meeting, oldest answer first.
func (s *Store) RSVPs(ctx context.Context, meetingID int64) ([]*RSVP, error) {
	return s.rsvpList(ctx, "rsvps", `
		SELECT meeting_id, member_id, answer, substitute, note, updated_at FROM rsvps
		WHERE meeting_id = ? ORDER BY updated_at, member_id`, meetingID)
}

// RSVPHistory lists every answer the member gave to the meeting, oldest first.
func (s *Store) RSVPHistory(ctx context.Context, meetingID, memberID int64) ([]*RSVP, error) {
	return s.rsvpList(ctx, "rsvp history", `
		SELECT meeting_id, member_id, answer, substitute, note, answered_at FROM rsvp_history
		WHERE meeting_id = ? AND member_id = ? ORDER BY id`, meetingID, memberID)
}

// RSVPCounts is how many members gave each answer.
type RSVPCounts struct {
	Yes, No, Maybe int
	// Substitutes counts yes-or-maybe answers that send a deputy.
	Substitutes int
}

// CountRSVPs counts the current answers to a meeting.
func (s *Store) CountRSVPs(ctx context.Context, meetingID int64) (RSVPCounts, error) {
	var c RSVPCounts
	err := s.rdb.QueryRowContext(ctx, `
		SELECT count(*) FILTER (WHERE answer = 'yes'), count(*) FILTER (WHERE answer = 'no'),
		       count(*) FILTER (WHERE answer = 'maybe'), count(*) FILTER (WHERE substitute <> '' AND answer <> 'no')
		FROM rsvps WHERE meeting_id = ?`, meetingID).Scan(&c.Yes, &c.No, &c.Maybe, &c.Substitutes)
	if err != nil {
		return c, dbError("count rsvps", err)
	}
	return c, nil
}
