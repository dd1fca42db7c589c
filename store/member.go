package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Roles of a member in a group.
const (
	RoleMember      = "member"
	RoleCoordinator = "coordinator"
)

// Member is a person: usually a Discord user, sometimes known only by the
// e-mail addresses minutes come from.
type Member struct {
	ID int64
	// DiscordUserID is "" for a person without Discord.
	DiscordUserID string
	DisplayName   string
	// Organisation is the body they represent (a municipality, a service).
	Organisation string
	// Emails are lower-case addresses, sorted.
	Emails    []string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Membership is a member's place in a group.
type Membership struct {
	GroupID  int64
	MemberID int64
	Role     string
	JoinedAt time.Time
}

func normaliseEmails(in []string) []string {
	seen := make(map[string]bool, len(in))
	var out []string
	for _, e := range in {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" || seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	sort.Strings(out)
	return out
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// CreateMember inserts m and its e-mail addresses, setting m.ID. A Discord
// user or an address that already belongs to someone gives ErrConflict.
func (s *Store) CreateMember(ctx context.Context, m *Member) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		now := s.now()
		m.Emails = normaliseEmails(m.Emails)
		err := tx.QueryRowContext(ctx, `
			INSERT INTO members (discord_user_id, display_name, organisation, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`,
			nullString(m.DiscordUserID), m.DisplayName, m.Organisation, now, now).Scan(&m.ID)
		if err != nil {
			return dbError("create member", err)
		}
		m.CreatedAt, m.UpdatedAt = fromUnix(now), fromUnix(now)
		return setEmailsTx(ctx, tx, m.ID, m.Emails)
	})
}

// UpdateMember saves m's name, organisation and e-mail addresses.
func (s *Store) UpdateMember(ctx context.Context, m *Member) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		now := s.now()
		m.Emails = normaliseEmails(m.Emails)
		res, err := tx.ExecContext(ctx, `
			UPDATE members SET discord_user_id = ?, display_name = ?, organisation = ?, updated_at = ?
			WHERE id = ?`, nullString(m.DiscordUserID), m.DisplayName, m.Organisation, now, m.ID)
		if err != nil {
			return dbError("update member", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: member %d: %w", m.ID, ErrNotFound)
		}
		m.UpdatedAt = fromUnix(now)
		if _, err := tx.ExecContext(ctx, `DELETE FROM member_emails WHERE member_id = ?`, m.ID); err != nil {
			return dbError("update member emails", err)
		}
		return setEmailsTx(ctx, tx, m.ID, m.Emails)
	})
}

func setEmailsTx(ctx context.Context, tx *sql.Tx, memberID int64, emails []string) error {
	for _, e := range emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO member_emails (address, member_id) VALUES (?, ?)`, e, memberID); err != nil {
			return dbError("member email "+e, err)
		}
	}
	return nil
}

const memberColumns = `m.id, coalesce(m.discord_user_id, ''), m.display_name, m.organisation, m.created_at, m.updated_at`

func scanMember(sc scanner) (*Member, error) {
	var m Member
	var created, updated int64
	if err := sc.Scan(&m.ID, &m.DiscordUserID, &m.DisplayName, &m.Organisation, &created, &updated); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &m, nil
}

func loadEmailsTx(ctx context.Context, tx *sql.Tx, m *Member) error {
	rows, err := tx.QueryContext(ctx, `SELECT address FROM member_emails WHERE member_id = ? ORDER BY address`, m.ID)
	if err != nil {
		return dbError("member emails", err)
	}
	defer rows.Close()
	m.Emails = nil
	for rows.Next() {
		var e string
		if err := rows.Scan(&e); err != nil {
			return dbError("member emails", err)
		}
		m.Emails = append(m.Emails, e)
	}
	return dbError("member emails", rows.Err())
}

func (s *Store) memberWhere(ctx context.Context, op, where string, args ...any) (*Member, error) {
	var m *Member
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = scanMember(tx.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members m WHERE `+where, args...))
		if err != nil {
			return dbError(op, err)
		}
		return loadEmailsTx(ctx, tx, m)
	})
	return m, err
}

// Member returns the member with that id, or ErrNotFound.
func (s *Store) Member(ctx context.Context, id int64) (*Member, error) {
	return s.memberWhere(ctx, fmt.Sprintf("member %d", id), `m.id = ?`, id)
}

// MemberByDiscordID returns the member with that Discord user id, or ErrNotFound.
func (s *Store) MemberByDiscordID(ctx context.Context, userID string) (*Member, error) {
	return s.memberWhere(ctx, "member with discord id "+userID, `m.discord_user_id = ?`, userID)
}

// MemberByEmail returns the member who owns the address (any case), or
// ErrNotFound.
func (s *Store) MemberByEmail(ctx context.Context, address string) (*Member, error) {
	return s.memberWhere(ctx, "member with e-mail "+address,
		`m.id = (SELECT member_id FROM member_emails WHERE address = ?)`, strings.ToLower(strings.TrimSpace(address)))
}

// SetMembership adds the member to the group with role, or changes the
// role of an existing membership.
func (s *Store) SetMembership(ctx context.Context, groupID, memberID int64, role string) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO memberships (group_id, member_id, role, joined_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (group_id, member_id) DO UPDATE SET role = excluded.role`,
			groupID, memberID, role, s.now())
		return dbError("set membership", err)
	})
}

// RemoveMembership takes the member out of the group. Their past RSVPs stay.
func (s *Store) RemoveMembership(ctx context.Context, groupID, memberID int64) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM memberships WHERE group_id = ? AND member_id = ?`, groupID, memberID)
		if err != nil {
			return dbError("remove membership", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: membership: %w", ErrNotFound)
		}
		return nil
	})
}

// MembershipOf returns the member's membership in the group, or ErrNotFound.
func (s *Store) MembershipOf(ctx context.Context, groupID, memberID int64) (*Membership, error) {
	ms := Membership{GroupID: groupID, MemberID: memberID}
	var joined int64
	err := s.rdb.QueryRowContext(ctx, `SELECT role, joined_at FROM memberships WHERE group_id = ? AND member_id = ?`,
		groupID, memberID).Scan(&ms.Role, &joined)
	if err != nil {
		return nil, dbError("membership", err)
	}
	ms.JoinedAt = fromUnix(joined)
	return &ms, nil
}

// GroupMember is a member as seen from one group.
type GroupMember struct {
	Member
	Role string
}

// GroupMembers lists the group's members by organisation, then name.
func (s *Store) GroupMembers(ctx context.Context, groupID int64) ([]*GroupMember, error) {
	var out []*GroupMember
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT `+memberColumns+`, ms.role FROM members m
			JOIN memberships ms ON ms.member_id = m.id
			WHERE ms.group_id = ?
			ORDER BY m.organisation, m.display_name, m.id`, groupID)
		if err != nil {
			return dbError("group members", err)
		}
		defer rows.Close()
		for rows.Next() {
			var gm GroupMember
			var created, updated int64
			if err := rows.Scan(&gm.ID, &gm.DiscordUserID, &gm.DisplayName, &gm.Organisation, &created, &updated, &gm.Role); err != nil {
				return dbError("group members", err)
			}
			gm.CreatedAt, gm.UpdatedAt = fromUnix(created), fromUnix(updated)
			out = append(out, &gm)
		}
		if err := rows.Err(); err != nil {
			return dbError("group members", err)
		}
		rows.Close()
		for _, gm := range out {
			if err := loadEmailsTx(ctx, tx, &gm.Member); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// IsKnownSender reports whether address belongs to any member.
func (s *Store) IsKnownSender(ctx context.Context, address string) (bool, error) {
	var one int
	err := s.rdb.QueryRowContext(ctx, `SELECT 1 FROM member_emails WHERE address = ?`,
		strings.ToLower(strings.TrimSpace(address))).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, dbError("known sender", err)
	}
	return true, nil
}

// EnsureDiscordMember returns the member with that Discord user id,
// creating it with displayName when it does not exist yet. An existing
// member keeps the name they have.
func (s *Store) EnsureDiscordMember(ctx context.Context, userID, displayName string) (*Member, error) {
	if userID == "" {
		return nil, fmt.Errorf("store: member without discord id: %w", ErrInvalid)
	}
	if strings.TrimSpace(displayName) == "" {
		displayName = userID
	}
	// Most calls find the member: read first, so a click does not queue
	// for the write lock just to learn that.
	if m, err := s.MemberByDiscordID(ctx, userID); err == nil || !errors.Is(err, ErrNotFound) {
		return m, err
	}
	err := s.update(ctx, func(tx *sql.Tx) error {
		now := s.now()
		// DO NOTHING keeps an existing member untouched; the SELECT below
		// reads whichever row is there.
		_, err := tx.ExecContext(ctx, `
			INSERT INTO members (discord_user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (discord_user_id) DO NOTHING`, userID, displayName, now, now)
		return dbError("ensure member", err)
	})
	if err != nil {
		return nil, err
	}
	return s.MemberByDiscordID(ctx, userID)
}

// DiscordMemberRole looks up, in one query, the member with a Discord user
// id and their role in a group: role is "" when they are not in it. A
// user never seen gives ErrNotFound. This is the bot's per-click check.
func (s *Store) DiscordMemberRole(ctx context.Context, groupID int64, userID string) (memberID int64, role string, err error) {
	err = s.rdb.QueryRowContext(ctx, `
		SELECT m.id, coalesce(ms.role, '') FROM members m
		LEFT JOIN memberships ms ON ms.member_id = m.id AND ms.group_id = ?
		WHERE m.discord_user_id = ?`, groupID, userID).Scan(&memberID, &role)
	if err != nil {
		return 0, "", dbError("member with discord id "+userID, err)
	}
	return memberID, role, nil
}
