package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Meeting statuses.
const (
	MeetingScheduled = "scheduled"
	MeetingCancelled = "cancelled"
	MeetingHeld      = "held"
)

// Meeting is one meeting of a group.
type Meeting struct {
	ID      int64
	GroupID int64
	Title   string
	// Start is the instant the meeting begins (UTC in the database).
	Start time.Time
	// TimeZone is the IANA zone its wall-clock time was planned in.
	TimeZone  string
	Duration  time.Duration
	Place     string
	OnlineURL string
	Status    string
	// CoordinatorID is the member who runs it; 0 means the group's coordinators.
	CoordinatorID         int64
	DiscordEventID        string
	AnnouncementChannelID string
	AnnouncementMessageID string
	// Reminders overrides the group's reminder offsets when non-nil (an empty
	// non-nil slice means no reminders).
	Reminders []time.Duration
	// AgendaCall and AgendaDeadline override the group's when non-nil.
	AgendaCall     *time.Duration
	AgendaDeadline *time.Duration
	// Sequence is the iCalendar SEQUENCE of the meeting's invitation: the
	// core raises it when the time or the place changes and when the
	// meeting is cancelled.
	Sequence  int
	CreatedAt time.Time
	UpdatedAt time.Time
}

// End is when the meeting is planned to finish.
func (m *Meeting) End() time.Time { return m.Start.Add(m.Duration) }

// LocalStart is the start in the meeting's zone.
func (m *Meeting) LocalStart() (time.Time, error) {
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: meeting %d: %w", m.ID, err)
	}
	return m.Start.In(loc), nil
}

const meetingColumns = `id, group_id, title, starts_at, time_zone, duration_minutes, place, online_url, status,
	coalesce(coordinator_id, 0), discord_event_id, announcement_channel_id, announcement_message_id,
	reminder_offsets, agenda_call_offset, agenda_deadline_offset, sequence, created_at, updated_at`

func scanMeeting(sc scanner) (*Meeting, error) {
	var m Meeting
	var start, minutes, created, updated int64
	var reminders sql.NullString
	var call, deadline sql.NullInt64
	if err := sc.Scan(&m.ID, &m.GroupID, &m.Title, &start, &m.TimeZone, &minutes, &m.Place, &m.OnlineURL,
		&m.Status, &m.CoordinatorID, &m.DiscordEventID, &m.AnnouncementChannelID, &m.AnnouncementMessageID,
		&reminders, &call, &deadline, &m.Sequence, &created, &updated); err != nil {
		return nil, err
	}
	m.Start = fromUnix(start)
	m.Duration = time.Duration(minutes) * time.Minute
	if reminders.Valid {
		ds, err := decodeOffsets(reminders.String)
		if err != nil {
			return nil, err
		}
		m.Reminders = ds
	}
	if call.Valid {
		d := fromSeconds(call.Int64)
		m.AgendaCall = &d
	}
	if deadline.Valid {
		d := fromSeconds(deadline.Int64)
		m.AgendaDeadline = &d
	}
	m.CreatedAt, m.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &m, nil
}

// meetingArgs are the editable columns, in the order of the INSERT below.
func meetingArgs(m *Meeting) []any {
	var reminders, call, deadline any
	if m.Reminders != nil {
		reminders = encodeOffsets(m.Reminders)
	}
	if m.AgendaCall != nil {
		call = seconds(*m.AgendaCall)
	}
	if m.AgendaDeadline != nil {
		deadline = seconds(*m.AgendaDeadline)
	}
	var coordinator any
	if m.CoordinatorID != 0 {
		coordinator = m.CoordinatorID
	}
	return []any{m.Title, unix(m.Start), m.TimeZone, int64(m.Duration / time.Minute), m.Place, m.OnlineURL,
		m.Status, coordinator, reminders, call, deadline, m.Sequence}
}

func validateMeeting(m *Meeting) error {
	if strings.TrimSpace(m.Title) == "" {
		return fmt.Errorf("store: meeting: empty title: %w", ErrInvalid)
	}
	if m.Start.IsZero() {
		return fmt.Errorf("store: meeting: no start: %w", ErrInvalid)
	}
	if _, err := time.LoadLocation(m.TimeZone); err != nil || m.TimeZone == "" {
		return fmt.Errorf("store: meeting: time zone %q: %w", m.TimeZone, ErrInvalid)
	}
	if m.Duration < time.Minute {
		return fmt.Errorf("store: meeting: duration %v: %w", m.Duration, ErrInvalid)
	}
	return nil
}

// CreateMeeting inserts m, setting its ID and stamps. Status defaults to
// scheduled, the zone to the group's, the duration to two hours.
func (s *Store) CreateMeeting(ctx context.Context, m *Meeting) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.CreateMeeting(m) })
}

// CreateMeeting inserts m in the transaction; see [Store.CreateMeeting].
func (t *Tx) CreateMeeting(m *Meeting) error {
	ctx, tx := t.ctx, t.tx
	if m.Status == "" {
		m.Status = MeetingScheduled
	}
	if m.Duration == 0 {
		m.Duration = 2 * time.Hour
	}
	if m.TimeZone == "" {
		if err := tx.QueryRowContext(ctx, `SELECT time_zone FROM groups WHERE id = ?`, m.GroupID).Scan(&m.TimeZone); err != nil {
			return dbError(fmt.Sprintf("meeting: group %d", m.GroupID), err)
		}
	}
	if err := validateMeeting(m); err != nil {
		return err
	}
	now := t.now
	args := append(meetingArgs(m), m.DiscordEventID, m.AnnouncementChannelID, m.AnnouncementMessageID, m.GroupID, now, now)
	err := tx.QueryRowContext(ctx, `
		INSERT INTO meetings (title, starts_at, time_zone, duration_minutes, place, online_url, status,
			coordinator_id, reminder_offsets, agenda_call_offset, agenda_deadline_offset, sequence,
			discord_event_id, announcement_channel_id, announcement_message_id, group_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&m.ID)
	if err != nil {
		return dbError("create meeting", err)
	}
	m.Start = m.Start.UTC().Truncate(time.Second)
	m.CreatedAt, m.UpdatedAt = fromUnix(now), fromUnix(now)
	return nil
}

// UpdateMeeting saves the editable fields of m: not its group, and not the
// Discord ids the bot records with SetMeetingAnnouncement and
// SetMeetingEvent (a stale copy must not erase them).
func (s *Store) UpdateMeeting(ctx context.Context, m *Meeting) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.UpdateMeeting(m) })
}

// UpdateMeeting saves m in the transaction; see [Store.UpdateMeeting].
func (t *Tx) UpdateMeeting(m *Meeting) error {
	if err := validateMeeting(m); err != nil {
		return err
	}
	args := append(meetingArgs(m), t.now, m.ID)
	res, err := t.ExecContext(t.ctx, `
		UPDATE meetings SET title = ?, starts_at = ?, time_zone = ?, duration_minutes = ?, place = ?,
			online_url = ?, status = ?, coordinator_id = ?, reminder_offsets = ?,
			agenda_call_offset = ?, agenda_deadline_offset = ?, sequence = ?, updated_at = ?
		WHERE id = ?`, args...)
	if err != nil {
		return dbError("update meeting", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: meeting %d: %w", m.ID, ErrNotFound)
	}
	m.Start = m.Start.UTC().Truncate(time.Second)
	m.UpdatedAt = fromUnix(t.now)
	return nil
}

// CancelMeeting marks the meeting cancelled and, in the same transaction,
// cancels its messages that have not been sent yet (pending, or claimed by
// a sender that will then find them cancelled when it reports back).
// Cancelling a cancelled meeting is a no-op; a held meeting cannot be
// cancelled (ErrInvalid).
func (s *Store) CancelMeeting(ctx context.Context, id int64) (*Meeting, error) {
	var m *Meeting
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		m, err = tx.CancelMeeting(id)
		return err
	})
	return m, err
}

// CancelMeeting cancels the meeting in the transaction; see
// [Store.CancelMeeting].
func (t *Tx) CancelMeeting(id int64) (*Meeting, error) {
	m, err := t.Meeting(id)
	if err != nil {
		return nil, err
	}
	switch m.Status {
	case MeetingCancelled:
		return m, nil
	case MeetingHeld:
		return nil, fmt.Errorf("store: meeting %d was already held: %w", id, ErrInvalid)
	}
	// The CANCEL of the invitation must carry a SEQUENCE above the last
	// REQUEST's.
	if _, err := t.ExecContext(t.ctx, `UPDATE meetings SET status = 'cancelled', sequence = sequence + 1, updated_at = ?
		WHERE id = ?`, t.now, id); err != nil {
		return nil, dbError("cancel meeting", err)
	}
	if _, err := t.ExecContext(t.ctx, `
		UPDATE notifications SET state = 'cancelled', claimed_until = NULL, updated_at = ?
		WHERE meeting_id = ? AND state IN ('pending', 'claimed')`, t.now, id); err != nil {
		return nil, dbError("cancel meeting notifications", err)
	}
	m.Status, m.UpdatedAt = MeetingCancelled, fromUnix(t.now)
	m.Sequence++
	return m, nil
}

// Meeting returns the meeting with that id, or ErrNotFound.
func (s *Store) Meeting(ctx context.Context, id int64) (*Meeting, error) {
	return meetingByID(ctx, s.rdb, id)
}

// Meeting reads the meeting in the transaction, or ErrNotFound.
func (t *Tx) Meeting(id int64) (*Meeting, error) { return meetingByID(t.ctx, t, id) }

func meetingByID(ctx context.Context, q querier, id int64) (*Meeting, error) {
	m, err := scanMeeting(q.QueryRowContext(ctx, `SELECT `+meetingColumns+` FROM meetings WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(fmt.Sprintf("meeting %d", id), err)
	}
	return m, nil
}

// MeetingFilter selects meetings. Zero fields do not filter.
type MeetingFilter struct {
	GroupID int64
	// From and To bound the start: From <= start < To.
	From, To time.Time
	Status   []string
	// Limit caps the result; 0 means no cap.
	Limit int
	// Descending orders latest first.
	Descending bool
}

// Meetings lists meetings matching f, by start.
func (s *Store) Meetings(ctx context.Context, f MeetingFilter) ([]*Meeting, error) {
	var where []string
	var args []any
	if f.GroupID != 0 {
		where, args = append(where, "group_id = ?"), append(args, f.GroupID)
	}
	if !f.From.IsZero() {
		where, args = append(where, "starts_at >= ?"), append(args, unix(f.From))
	}
	if !f.To.IsZero() {
		where, args = append(where, "starts_at < ?"), append(args, unix(f.To))
	}
	if len(f.Status) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Status)-1)+")")
		for _, st := range f.Status {
			args = append(args, st)
		}
	}
	q := `SELECT ` + meetingColumns + ` FROM meetings`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Descending {
		q += " ORDER BY starts_at DESC, id DESC"
	} else {
		q += " ORDER BY starts_at, id"
	}
	if f.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	return queryAll(ctx, s.rdb, "list meetings", scanMeeting, q, args...)
}

// SetMeetingAnnouncement records the bot's announcement message of a
// meeting, leaving every other field alone.
func (s *Store) SetMeetingAnnouncement(ctx context.Context, id int64, channelID, messageID string) error {
	return s.setMeetingColumns(ctx, id, `announcement_channel_id = ?, announcement_message_id = ?`, channelID, messageID)
}

// SetMeetingEvent records the Discord scheduled event of a meeting.
func (s *Store) SetMeetingEvent(ctx context.Context, id int64, eventID string) error {
	return s.setMeetingColumns(ctx, id, `discord_event_id = ?`, eventID)
}

func (s *Store) setMeetingColumns(ctx context.Context, id int64, set string, args ...any) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE meetings SET `+set+`, updated_at = ? WHERE id = ?`, append(args, s.now(), id)...)
		if err != nil {
			return dbError("update meeting", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: meeting %d: %w", id, ErrNotFound)
		}
		return nil
	})
}

// ScheduledAfter lists the group's scheduled meetings that start after
// from, by start, in the transaction.
func (t *Tx) ScheduledAfter(groupID int64, from time.Time) ([]*Meeting, error) {
	return queryAll(t.ctx, t, "scheduled meetings", scanMeeting, `SELECT `+meetingColumns+` FROM meetings
		WHERE group_id = ? AND status = 'scheduled' AND starts_at > ? ORDER BY starts_at, id`, groupID, unix(from))
}
