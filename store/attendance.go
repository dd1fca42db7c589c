package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Attendance records whether a member actually came to a meeting. A
// coordinator enters it after the meeting; RSVPs only say who meant to.
type Attendance struct {
	MeetingID int64
	MemberID  int64
	// Attended reports that the member's seat was taken: by the member, or
	// by Substitute when that is set.
	Attended bool
	// Substitute names the deputy who came instead ("" for none). It
	// requires Attended.
	Substitute string
	// RecordedAt is when the record was last written (the store's clock).
	RecordedAt time.Time
}

// SetAttendance records a member's attendance at a meeting, replacing an
// earlier record, and sets a.RecordedAt. A substitute for someone who did
// not attend, an unknown meeting or member, and a cancelled meeting give
// ErrInvalid.
func (s *Store) SetAttendance(ctx context.Context, a *Attendance) error {
	return s.SetAttendances(ctx, []*Attendance{a})
}

// SetAttendances records several members' attendance, as SetAttendance
// would, in one transaction: a coordinator's whole list is saved or, on an
// error, none of it, so a meeting never looks recorded with half a list.
func (s *Store) SetAttendances(ctx context.Context, as []*Attendance) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetAttendances(as) })
}

// SetAttendances records the list in the transaction; see
// [Store.SetAttendances].
func (t *Tx) SetAttendances(as []*Attendance) error {
	ctx, tx := t.ctx, t.tx
	for _, a := range as {
		a.Substitute = strings.TrimSpace(a.Substitute)
		if a.Substitute != "" && !a.Attended {
			return fmt.Errorf("store: attendance: substitute %q for a member who did not attend: %w", a.Substitute, ErrInvalid)
		}
	}
	checked := map[int64]bool{}
	stmt, err := tx.PrepareContext(ctx, `
		INSERT INTO attendance (meeting_id, member_id, attended, substitute, recorded_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (meeting_id, member_id) DO UPDATE SET
			attended = excluded.attended, substitute = excluded.substitute,
			recorded_at = excluded.recorded_at`)
	if err != nil {
		return dbError("set attendance", err)
	}
	defer stmt.Close()
	for _, a := range as {
		if !checked[a.MeetingID] {
			if err := attendableTx(ctx, tx, a.MeetingID); err != nil {
				return err
			}
			checked[a.MeetingID] = true
		}
		if _, err := stmt.ExecContext(ctx, a.MeetingID, a.MemberID, a.Attended, a.Substitute, t.now); err != nil {
			return dbError("set attendance", err)
		}
	}
	for _, a := range as {
		a.RecordedAt = fromUnix(t.now)
	}
	return nil
}

// attendableTx checks that the meeting exists and was not cancelled: a
// cancelled meeting has nobody to record.
func attendableTx(ctx context.Context, tx *sql.Tx, meetingID int64) error {
	var status string
	err := tx.QueryRowContext(ctx, `SELECT status FROM meetings WHERE id = ?`, meetingID).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: attendance: meeting %d: %w", meetingID, ErrInvalid)
	}
	if err != nil {
		return dbError("attendance", err)
	}
	if status == MeetingCancelled {
		return fmt.Errorf("store: attendance: meeting %d was cancelled: %w", meetingID, ErrInvalid)
	}
	return nil
}

// AttendanceOf lists the attendance recorded for a meeting, by member id;
// none recorded gives an empty list, not an error.
func (s *Store) AttendanceOf(ctx context.Context, meetingID int64) ([]*Attendance, error) {
	var out []*Attendance
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT meeting_id, member_id, attended, substitute, recorded_at FROM attendance
			WHERE meeting_id = ? ORDER BY member_id`, meetingID)
		if err != nil {
			return dbError("attendance", err)
		}
		defer rows.Close()
		for rows.Next() {
			var a Attendance
			var at int64
			if err := rows.Scan(&a.MeetingID, &a.MemberID, &a.Attended, &a.Substitute, &at); err != nil {
				return dbError("attendance", err)
			}
			a.RecordedAt = fromUnix(at)
			out = append(out, &a)
		}
		return dbError("attendance", rows.Err())
	})
	return out, err
}

// MarkHeld records that a scheduled meeting took place. Marking a held
// meeting again is a no-op; a cancelled meeting gives ErrInvalid and an
// unknown one ErrNotFound.
func (s *Store) MarkHeld(ctx context.Context, meetingID int64) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.MarkHeld(meetingID) })
}

// MarkHeld marks the meeting held in the transaction; see [Store.MarkHeld].
func (t *Tx) MarkHeld(meetingID int64) error {
	var status string
	err := t.QueryRowContext(t.ctx, `SELECT status FROM meetings WHERE id = ?`, meetingID).Scan(&status)
	if err != nil {
		return dbError(fmt.Sprintf("meeting %d", meetingID), err)
	}
	switch status {
	case MeetingHeld:
		return nil
	case MeetingCancelled:
		return fmt.Errorf("store: meeting %d was cancelled: %w", meetingID, ErrInvalid)
	}
	if _, err := t.ExecContext(t.ctx, `UPDATE meetings SET status = 'held', updated_at = ? WHERE id = ?`,
		t.now, meetingID); err != nil {
		return dbError("mark meeting held", err)
	}
	return nil
}
