package store

import (
	"context"
	"database/sql"
	"slices"
	"time"
)

// ReportMember is a current member of a group with when they joined it.
type ReportMember struct {
	Member
	JoinedAt time.Time
}

// ReportMinutes is an archived message filed under a meeting as the year
// report sees it: its subject and attachment names, without text.
type ReportMinutes struct {
	ID        int64
	MeetingID int64
	Subject   string
	// Attachments are the file names, in the message's order.
	Attachments []string
}

// ReportReads is what a group's year report reads about the group and a
// set of its meetings, gathered in one read snapshot with a few queries
// instead of several per meeting. The maps are keyed by meeting id; a
// meeting without rows has no entry.
type ReportReads struct {
	// Members are the group's current members by organisation, name and
	// id, as GroupMembers lists them, without e-mail addresses.
	Members []*ReportMember
	// People are the members named by an attendance record or an answer
	// who are no longer members of the group (without e-mail addresses).
	People map[int64]*Member
	// Attendance is each meeting's recorded attendance by member id.
	Attendance map[int64][]*Attendance
	// RSVPs are each meeting's current answers, oldest answer first.
	RSVPs map[int64][]*RSVP
	// Guests are each meeting's guests by name.
	Guests map[int64][]*Guest
	// Agenda are each meeting's agenda items by position.
	Agenda map[int64][]*AgendaItem
	// Minutes are the archived messages of kind ArchiveMinutes filed
	// under each meeting, newest first (as ArchiveMessages lists them),
	// at most minutesLimit per meeting.
	Minutes map[int64][]*ReportMinutes
}

// ReadReport reads the group's current members and, for the meetings
// with meetingIDs (the group's meetings of a year), their attendance,
// answers, guests, agenda and at most minutesLimit archived minutes each,
// in one read transaction.
func (s *Store) ReadReport(ctx context.Context, groupID int64, meetingIDs []int64, minutesLimit int) (*ReportReads, error) {
	r := &ReportReads{People: map[int64]*Member{}, Attendance: map[int64][]*Attendance{}, RSVPs: map[int64][]*RSVP{},
		Guests: map[int64][]*Guest{}, Agenda: map[int64][]*AgendaItem{}, Minutes: map[int64][]*ReportMinutes{}}
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		if r.Members, err = reportMembersTx(ctx, tx, groupID); err != nil {
			return err
		}
		if len(meetingIDs) == 0 {
			return nil
		}
		in, args := inList("meeting_id", meetingIDs)
		atts, err := queryAll(ctx, tx, "report attendance", func(sc scanner) (*Attendance, error) {
			var a Attendance
			var at int64
			if err := sc.Scan(&a.MeetingID, &a.MemberID, &a.Attended, &a.Substitute, &at); err != nil {
				return nil, err
			}
			a.RecordedAt = fromUnix(at)
			return &a, nil
		}, `SELECT meeting_id, member_id, attended, substitute, recorded_at FROM attendance
			WHERE `+in+` ORDER BY meeting_id, member_id`, args...)
		if err != nil {
			return err
		}
		for _, a := range atts {
			r.Attendance[a.MeetingID] = append(r.Attendance[a.MeetingID], a)
		}
		rsvps, err := queryAll(ctx, tx, "report rsvps", scanRSVP, `
			SELECT meeting_id, member_id, answer, substitute, note, via, updated_at FROM rsvps
			WHERE `+in+` ORDER BY meeting_id, updated_at, member_id`, args...)
		if err != nil {
			return err
		}
		for _, rs := range rsvps {
			r.RSVPs[rs.MeetingID] = append(r.RSVPs[rs.MeetingID], rs)
		}
		guests, err := queryAll(ctx, tx, "report guests", scanGuest, `SELECT meeting_id, name, organisation, recorded_at FROM meeting_guests WHERE `+in+` ORDER BY meeting_id, name`, args...)
		if err != nil {
			return err
		}
		for _, g := range guests {
			r.Guests[g.MeetingID] = append(r.Guests[g.MeetingID], g)
		}
		items, err := queryAll(ctx, tx, "report agenda", scanAgendaItem,
			`SELECT `+agendaColumns+` FROM agenda_items WHERE `+in+` ORDER BY meeting_id, position, id`, args...)
		if err != nil {
			return err
		}
		for _, it := range items {
			r.Agenda[it.MeetingID] = append(r.Agenda[it.MeetingID], it)
		}
		if err := reportMinutesTx(ctx, tx, r, in, args, minutesLimit); err != nil {
			return err
		}
		return reportPeopleTx(ctx, tx, r)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// reportMembersTx lists the group's members with their joining time in
// GroupMembers' order, without the per-member query for addresses.
func reportMembersTx(ctx context.Context, tx *sql.Tx, groupID int64) ([]*ReportMember, error) {
	return queryAll(ctx, tx, "report members", func(sc scanner) (*ReportMember, error) {
		var rm ReportMember
		var created, updated, joined int64
		if err := sc.Scan(&rm.ID, &rm.DiscordUserID, &rm.DisplayName, &rm.Organisation, &rm.Notify, &created, &updated,
			&joined); err != nil {
			return nil, err
		}
		rm.CreatedAt, rm.UpdatedAt, rm.JoinedAt = fromUnix(created), fromUnix(updated), fromUnix(joined)
		return &rm, nil
	}, `SELECT `+memberColumns+`, ms.joined_at FROM members m
		JOIN memberships ms ON ms.member_id = m.id
		WHERE ms.group_id = ?
		ORDER BY m.organisation, m.display_name, m.id`, groupID)
}

// reportMinutesTx reads the minutes filed under the meetings (in is the
// meeting_id IN list with its args) with their attachments' names, one
// row per attachment (or one for a message without any), so each message
// row, a large one, is sought once. The rows come by meeting, newest
// first, so keeping the first limit messages of each meeting is what
// ArchiveMessages with that Limit returns for it.
func reportMinutesTx(ctx context.Context, tx *sql.Tx, r *ReportReads, in string, args []any, limit int) error {
	// The unary + on state and kind keeps SQLite, when it has no
	// statistics (before the nightly PRAGMA optimize), from walking the
	// index on kind, all the archive's minutes, instead of the one on
	// meeting_id.
	rows, err := tx.QueryContext(ctx, `SELECT am.id, am.meeting_id, am.subject, a.filename
		FROM archive_messages am LEFT JOIN archive_attachments a ON a.message_id = am.id
		WHERE am.`+in+` AND +am.state = ? AND +am.kind = ?
		ORDER BY am.meeting_id, coalesce(am.sent_at, am.received_at) DESC, am.id DESC, a.position`,
		append(slices.Clip(args), ArchiveArchived, ArchiveMinutes)...)
	if err != nil {
		return dbError("report minutes", err)
	}
	defer rows.Close()
	var last *ReportMinutes
	for rows.Next() {
		var m ReportMinutes
		var filename sql.NullString
		if err := rows.Scan(&m.ID, &m.MeetingID, &m.Subject, &filename); err != nil {
			return dbError("report minutes", err)
		}
		if last == nil || last.ID != m.ID {
			if limit > 0 && len(r.Minutes[m.MeetingID]) >= limit {
				last = nil
				continue
			}
			last = &m
			r.Minutes[m.MeetingID] = append(r.Minutes[m.MeetingID], last)
		}
		if filename.Valid {
			last.Attachments = append(last.Attachments, filename.String)
		}
	}
	return dbError("report minutes", rows.Err())
}

// reportPeopleTx reads the members named by attendance or answers who are
// not current members of the group.
func reportPeopleTx(ctx context.Context, tx *sql.Tx, r *ReportReads) error {
	current := make(map[int64]bool, len(r.Members))
	for _, m := range r.Members {
		current[m.ID] = true
	}
	var missing []int64
	need := func(id int64) {
		if !current[id] {
			current[id] = true // asked for once
			missing = append(missing, id)
		}
	}
	for _, as := range r.Attendance {
		for _, a := range as {
			need(a.MemberID)
		}
	}
	for _, rs := range r.RSVPs {
		for _, a := range rs {
			need(a.MemberID)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	in, args := inList("m.id", missing)
	people, err := queryAll(ctx, tx, "report people", scanMember, `SELECT `+memberColumns+` FROM members m WHERE `+in, args...)
	if err != nil {
		return err
	}
	for _, m := range people {
		r.People[m.ID] = m
	}
	return nil
}

// ReportTexts returns the texts of stored messages by id: each message's
// body, then the extracted text of each attachment in order, as
// ArchiveTexts does for one; unknown ids have no entry.
func (s *Store) ReportTexts(ctx context.Context, ids []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	err := s.view(ctx, func(tx *sql.Tx) error {
		in, args := inList("id", ids)
		rows, err := tx.QueryContext(ctx, `SELECT id, body_text FROM archive_messages WHERE `+in, args...)
		if err != nil {
			return dbError("report texts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var body string
			if err := rows.Scan(&id, &body); err != nil {
				return dbError("report texts", err)
			}
			out[id] = []string{body}
		}
		if err := rows.Err(); err != nil {
			return dbError("report texts", err)
		}
		rows.Close()
		in, args = inList("message_id", ids)
		rows, err = tx.QueryContext(ctx, `SELECT message_id, text FROM archive_attachments WHERE `+in+`
			ORDER BY message_id, position`, args...)
		if err != nil {
			return dbError("report texts", err)
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var text string
			if err := rows.Scan(&id, &text); err != nil {
				return dbError("report texts", err)
			}
			if _, ok := out[id]; ok {
				out[id] = append(out[id], text)
			}
		}
		return dbError("report texts", rows.Err())
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
