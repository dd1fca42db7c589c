package store

import (
	"context"
	"fmt"
	"strings"
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
	// Via is the door the answer came through: ViaDiscord (the default),
	// ViaCLI, ViaEmail or ViaWeb.
	Via       string
	UpdatedAt time.Time
}

// Doors an answer can come through (RSVP.Via).
const (
	ViaDiscord = "discord"
	ViaCLI     = "cli"
	ViaEmail   = "email"
	ViaWeb     = "web"
)

// SetRSVP records the member's current answer, replacing an earlier one,
// and appends it to the history, in one transaction. It sets r.UpdatedAt.
func (s *Store) SetRSVP(ctx context.Context, r *RSVP) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetRSVP(r) })
}

// SetRSVP records the answer in the transaction; see [Store.SetRSVP].
func (t *Tx) SetRSVP(r *RSVP) error {
	if r.Via == "" {
		r.Via = ViaDiscord
	}
	// The primary key (meeting_id, member_id) keeps one current answer.
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO rsvps (meeting_id, member_id, answer, substitute, note, via, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (meeting_id, member_id) DO UPDATE SET
			answer = excluded.answer, substitute = excluded.substitute,
			note = excluded.note, via = excluded.via, updated_at = excluded.updated_at`,
		r.MeetingID, r.MemberID, r.Answer, r.Substitute, r.Note, r.Via, t.now); err != nil {
		return dbError("set rsvp", err)
	}
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO rsvp_history (meeting_id, member_id, answer, substitute, note, via, answered_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, r.MeetingID, r.MemberID, r.Answer, r.Substitute, r.Note, r.Via, t.now); err != nil {
		return dbError("rsvp history", err)
	}
	r.UpdatedAt = fromUnix(t.now)
	return nil
}

// SetRSVPs records many answers in the transaction, in their order (a
// member who answers twice ends with the later answer and two history
// rows), as SetRSVP would one by one, in two statements per chunk of up
// to maxRSVPRows answers instead of two per answer: a burst of clicks
// committed together costs the single writer per batch about what one
// answer costs. It sets each UpdatedAt.
func (t *Tx) SetRSVPs(rs []*RSVP) error {
	for _, r := range rs {
		if r.Via == "" {
			r.Via = ViaDiscord
		}
	}
	for rest := rs; len(rest) > 0; {
		// Chunks of a power of two rows: a few statement texts, each
		// prepared once by the statement cache.
		n := maxRSVPRows
		for n > len(rest) {
			n /= 2
		}
		if err := t.setRSVPRows(rest[:n]); err != nil {
			return err
		}
		rest = rest[n:]
	}
	at := fromUnix(t.now)
	for _, r := range rs {
		r.UpdatedAt = at
	}
	return nil
}

// maxRSVPRows is the most answers one statement of SetRSVPs writes (7
// parameters each, far below SQLite's limit of 32,766).
const maxRSVPRows = 64

// setRSVPRows writes answers with one multi-row statement per table.
// SQLite inserts the rows of a VALUES list in their order, and an upsert
// row that conflicts with one inserted earlier by the same statement
// updates it, so the later of two answers of a member wins, as one by one.
// (The answers used to travel as one JSON array read by json_each: every
// row's six ->> extractions parsed its element again, 50 µs a row.)
func (t *Tx) setRSVPRows(rs []*RSVP) error {
	args := make([]any, 0, 7*len(rs))
	for _, r := range rs {
		args = append(args, r.MeetingID, r.MemberID, r.Answer, r.Substitute, r.Note, r.Via, t.now)
	}
	values := strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(rs)-1) + "(?, ?, ?, ?, ?, ?, ?)"
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO rsvps (meeting_id, member_id, answer, substitute, note, via, updated_at)
		VALUES `+values+`
		ON CONFLICT (meeting_id, member_id) DO UPDATE SET
			answer = excluded.answer, substitute = excluded.substitute,
			note = excluded.note, via = excluded.via, updated_at = excluded.updated_at`, args...); err != nil {
		return dbError("set rsvps", err)
	}
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO rsvp_history (meeting_id, member_id, answer, substitute, note, via, answered_at)
		VALUES `+values, args...); err != nil {
		return dbError("rsvp history", err)
	}
	return nil
}

// meetingWithGroup reads a meeting and its group in one row. The two
// subqueries keep each table's column list as it is elsewhere (the
// meeting's has an expression, and both have id and time_zone); SQLite
// flattens them into one join on the two primary keys.
const meetingWithGroup = `SELECT mm.*, gg.* FROM (SELECT ` + meetingColumns + ` FROM meetings WHERE id = ?) mm
	JOIN (SELECT ` + groupColumns + ` FROM groups) gg ON gg.id = mm.group_id`

// MeetingWithGroup reads a meeting and its group in the transaction, in
// one query instead of two: the read every batch of answers begins with.
// An unknown meeting is ErrNotFound.
func (t *Tx) MeetingWithGroup(id int64) (*Meeting, *Group, error) {
	row := t.QueryRowContext(t.ctx, meetingWithGroup, id)
	var g *Group
	// scanMeeting's Scan hands its destinations on to scanGroup's, which
	// scans the row into both; each then converts its own.
	m, err := scanMeeting(scanFunc(func(md ...any) error {
		var err error
		g, err = scanGroup(scanFunc(func(gd ...any) error { return row.Scan(append(md, gd...)...) }))
		return err
	}))
	if err != nil {
		return nil, nil, dbError(fmt.Sprintf("meeting %d with its group", id), err)
	}
	return m, g, nil
}

// scanFunc is a scanner made of a function.
type scanFunc func(dest ...any) error

// Scan implements scanner.
func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// RSVP returns the member's current answer, or ErrNotFound.
func (s *Store) RSVP(ctx context.Context, meetingID, memberID int64) (*RSVP, error) {
	r := RSVP{MeetingID: meetingID, MemberID: memberID}
	var updated int64
	err := s.rdb.QueryRowContext(ctx, `
		SELECT answer, substitute, note, via, updated_at FROM rsvps WHERE meeting_id = ? AND member_id = ?`,
		meetingID, memberID).Scan(&r.Answer, &r.Substitute, &r.Note, &r.Via, &updated)
	if err != nil {
		return nil, dbError(fmt.Sprintf("rsvp of member %d to meeting %d", memberID, meetingID), err)
	}
	r.UpdatedAt = fromUnix(updated)
	return &r, nil
}

func scanRSVP(sc scanner) (*RSVP, error) {
	var r RSVP
	var at int64
	if err := sc.Scan(&r.MeetingID, &r.MemberID, &r.Answer, &r.Substitute, &r.Note, &r.Via, &at); err != nil {
		return nil, err
	}
	r.UpdatedAt = fromUnix(at)
	return &r, nil
}

// RSVPs lists the current answers to a meeting, oldest answer first.
func (s *Store) RSVPs(ctx context.Context, meetingID int64) ([]*RSVP, error) {
	return queryAll(ctx, s.rdb, "rsvps", scanRSVP, `
		SELECT meeting_id, member_id, answer, substitute, note, via, updated_at FROM rsvps
		WHERE meeting_id = ? ORDER BY updated_at, member_id`, meetingID)
}

// RSVPHistory lists every answer the member gave to the meeting, oldest first.
func (s *Store) RSVPHistory(ctx context.Context, meetingID, memberID int64) ([]*RSVP, error) {
	return queryAll(ctx, s.rdb, "rsvp history", scanRSVP, `
		SELECT meeting_id, member_id, answer, substitute, note, via, answered_at FROM rsvp_history
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

// RSVPs lists the current answers to a meeting in the transaction.
func (t *Tx) RSVPs(meetingID int64) ([]*RSVP, error) {
	return queryAll(t.ctx, t, "rsvps", scanRSVP, `
		SELECT meeting_id, member_id, answer, substitute, note, via, updated_at FROM rsvps
		WHERE meeting_id = ? ORDER BY updated_at, member_id`, meetingID)
}
