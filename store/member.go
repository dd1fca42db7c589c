package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	Emails []string
	// Bounced are the addresses of Emails that came back as a hard
	// failure: no mail goes to them (read-only: set by MarkBounced).
	Bounced []string
	// Notify is how the member wants to be reached: NotifyAuto (default),
	// NotifyDiscord, NotifyEmail or NotifyBoth.
	Notify    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Channel preferences of a member (members.notify).
const (
	// NotifyAuto is Discord when a Discord id is known, else e-mail.
	NotifyAuto    = "auto"
	NotifyDiscord = "discord"
	NotifyEmail   = "email"
	NotifyBoth    = "both"
)

// ValidNotify reports whether s is a channel preference.
func ValidNotify(s string) bool {
	switch s {
	case NotifyAuto, NotifyDiscord, NotifyEmail, NotifyBoth:
		return true
	}
	return false
}

// MailAddress is the address mail to the member goes to: the first of
// Emails that has not bounced, or "" when there is none.
func (m *Member) MailAddress() string {
	for _, e := range m.Emails {
		if !slices.Contains(m.Bounced, e) {
			return e
		}
	}
	return ""
}

// Reach says on which channels the member is reached, by their preference
// and what is known of them: Discord needs a Discord id, e-mail an address
// that has not bounced.
func (m *Member) Reach() (discord, email bool) {
	hasDiscord, hasMail := m.DiscordUserID != "", m.MailAddress() != ""
	switch m.Notify {
	case NotifyDiscord:
		return hasDiscord, false
	case NotifyEmail:
		return false, hasMail
	case NotifyBoth:
		return hasDiscord, hasMail
	}
	if hasDiscord {
		return true, false
	}
	return false, hasMail
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
	return s.Write(ctx, func(tx *Tx) error { return tx.CreateMember(m) })
}

// CreateMember inserts m in the transaction; see [Store.CreateMember].
func (t *Tx) CreateMember(m *Member) error {
	m.Emails = normaliseEmails(m.Emails)
	if m.Notify == "" {
		m.Notify = NotifyAuto
	}
	err := t.QueryRowContext(t.ctx, `
		INSERT INTO members (discord_user_id, display_name, organisation, notify, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		nullString(m.DiscordUserID), m.DisplayName, m.Organisation, m.Notify, t.now, t.now).Scan(&m.ID)
	if err != nil {
		return dbError("create member", err)
	}
	m.CreatedAt, m.UpdatedAt = fromUnix(t.now), fromUnix(t.now)
	return t.setEmails(m.ID, m.Emails)
}

// UpdateMember saves m's Discord id, name, organisation, channel preference
// and e-mail addresses. An address kept from before keeps its bounce mark.
func (s *Store) UpdateMember(ctx context.Context, m *Member) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.UpdateMember(m) })
}

// UpdateMember saves m in the transaction; see [Store.UpdateMember].
func (t *Tx) UpdateMember(m *Member) error {
	m.Emails = normaliseEmails(m.Emails)
	if m.Notify == "" {
		m.Notify = NotifyAuto
	}
	res, err := t.ExecContext(t.ctx, `
		UPDATE members SET discord_user_id = ?, display_name = ?, organisation = ?, notify = ?, updated_at = ?
		WHERE id = ?`, nullString(m.DiscordUserID), m.DisplayName, m.Organisation, m.Notify, t.now, m.ID)
	if err != nil {
		return dbError("update member", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: member %d: %w", m.ID, ErrNotFound)
	}
	m.UpdatedAt = fromUnix(t.now)
	keep, err := json.Marshal(m.Emails)
	if err != nil {
		return fmt.Errorf("store: update member emails: %w", err)
	}
	if _, err := t.ExecContext(t.ctx, `
		DELETE FROM member_emails WHERE member_id = ? AND address NOT IN (SELECT value FROM json_each(?))`,
		m.ID, string(keep)); err != nil {
		return dbError("update member emails", err)
	}
	if err := t.setEmails(m.ID, m.Emails); err != nil {
		return err
	}
	return loadEmails(t.ctx, t, m)
}

// setEmails adds the addresses the member does not have yet; one that
// belongs to another member gives ErrConflict.
func (t *Tx) setEmails(memberID int64, emails []string) error {
	for _, e := range emails {
		// DO UPDATE of the same owner is a no-op that keeps the bounce
		// mark; another owner fails the WHERE, so nothing is returned.
		var owner int64
		err := t.QueryRowContext(t.ctx, `
			INSERT INTO member_emails (address, member_id) VALUES (?, ?)
			ON CONFLICT (address) DO UPDATE SET member_id = member_id WHERE member_id = excluded.member_id
			RETURNING member_id`, e, memberID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: member email %s belongs to another member: %w", e, ErrConflict)
		}
		if err != nil {
			return dbError("member email "+e, err)
		}
	}
	return nil
}

// MarkBounced marks address as bouncing (a hard delivery failure) with the
// reason, and returns its member; ErrNotFound when it is no member's.
func (t *Tx) MarkBounced(address, reason string) (*Member, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	var memberID int64
	err := t.QueryRowContext(t.ctx, `
		UPDATE member_emails SET bounced_at = coalesce(bounced_at, ?), bounce_reason = ?
		WHERE address = ? RETURNING member_id`, t.now, reason, address).Scan(&memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: address %s: %w", address, ErrNotFound)
	}
	if err != nil {
		return nil, dbError("mark bounced "+address, err)
	}
	return t.Member(memberID)
}

const memberColumns = `m.id, coalesce(m.discord_user_id, ''), m.display_name, m.organisation, m.notify, m.created_at, m.updated_at`

func scanMember(sc scanner) (*Member, error) {
	var m Member
	var created, updated int64
	if err := sc.Scan(&m.ID, &m.DiscordUserID, &m.DisplayName, &m.Organisation, &m.Notify, &created, &updated); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &m, nil
}

func loadEmails(ctx context.Context, q querier, m *Member) error {
	type address struct {
		addr    string
		bounced bool
	}
	all, err := queryAll(ctx, q, "member emails", func(sc scanner) (address, error) {
		var a address
		return a, sc.Scan(&a.addr, &a.bounced)
	}, `SELECT address, bounced_at IS NOT NULL FROM member_emails WHERE member_id = ? ORDER BY address`, m.ID)
	if err != nil {
		return err
	}
	m.Emails, m.Bounced = nil, nil
	for _, a := range all {
		m.Emails = append(m.Emails, a.addr)
		if a.bounced {
			m.Bounced = append(m.Bounced, a.addr)
		}
	}
	return nil
}

func memberWhere(ctx context.Context, q querier, op, where string, args ...any) (*Member, error) {
	m, err := scanMember(q.QueryRowContext(ctx, `SELECT `+memberColumns+` FROM members m WHERE `+where, args...))
	if err != nil {
		return nil, dbError(op, err)
	}
	return m, loadEmails(ctx, q, m)
}

// memberRead runs a member lookup in one read snapshot.
func (s *Store) memberRead(ctx context.Context, fn func(q querier) (*Member, error)) (*Member, error) {
	var m *Member
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		m, err = fn(tx)
		return err
	})
	return m, err
}

// Member returns the member with that id, or ErrNotFound.
func (s *Store) Member(ctx context.Context, id int64) (*Member, error) {
	return s.memberRead(ctx, func(q querier) (*Member, error) { return memberByID(ctx, q, id) })
}

// Member reads the member with that id in the transaction.
func (t *Tx) Member(id int64) (*Member, error) { return memberByID(t.ctx, t, id) }

func memberByID(ctx context.Context, q querier, id int64) (*Member, error) {
	return memberWhere(ctx, q, fmt.Sprintf("member %d", id), `m.id = ?`, id)
}

// MemberByDiscordID returns the member with that Discord user id, or ErrNotFound.
func (s *Store) MemberByDiscordID(ctx context.Context, userID string) (*Member, error) {
	return s.memberRead(ctx, func(q querier) (*Member, error) { return memberByDiscordID(ctx, q, userID) })
}

// MemberByDiscordID reads the member with that Discord user id in the
// transaction.
func (t *Tx) MemberByDiscordID(userID string) (*Member, error) {
	return memberByDiscordID(t.ctx, t, userID)
}

func memberByDiscordID(ctx context.Context, q querier, userID string) (*Member, error) {
	return memberWhere(ctx, q, "member with discord id "+userID, `m.discord_user_id = ?`, userID)
}

// MemberByEmail returns the member who owns the address (any case), or
// ErrNotFound.
func (s *Store) MemberByEmail(ctx context.Context, address string) (*Member, error) {
	return s.memberRead(ctx, func(q querier) (*Member, error) { return memberByEmail(ctx, q, address) })
}

// MemberByEmail reads the member who owns the address in the transaction.
func (t *Tx) MemberByEmail(address string) (*Member, error) {
	return memberByEmail(t.ctx, t, address)
}

func memberByEmail(ctx context.Context, q querier, address string) (*Member, error) {
	return memberWhere(ctx, q, "member with e-mail "+address,
		`m.id = (SELECT member_id FROM member_emails WHERE address = ?)`, strings.ToLower(strings.TrimSpace(address)))
}

// SetMembership adds the member to the group with role, or changes the
// role of an existing membership.
func (s *Store) SetMembership(ctx context.Context, groupID, memberID int64, role string) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetMembership(groupID, memberID, role) })
}

// SetMembership sets the member's role in the group in the transaction.
func (t *Tx) SetMembership(groupID, memberID int64, role string) error {
	_, err := t.ExecContext(t.ctx, `
		INSERT INTO memberships (group_id, member_id, role, joined_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (group_id, member_id) DO UPDATE SET role = excluded.role`,
		groupID, memberID, role, t.now)
	return dbError("set membership", err)
}

// RemoveMembership takes the member out of the group. Their past RSVPs stay.
func (s *Store) RemoveMembership(ctx context.Context, groupID, memberID int64) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.RemoveMembership(groupID, memberID) })
}

// RemoveMembership takes the member out of the group in the transaction.
func (t *Tx) RemoveMembership(groupID, memberID int64) error {
	res, err := t.ExecContext(t.ctx, `DELETE FROM memberships WHERE group_id = ? AND member_id = ?`, groupID, memberID)
	if err != nil {
		return dbError("remove membership", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: membership: %w", ErrNotFound)
	}
	return nil
}

// MembershipOf returns the member's membership in the group, or ErrNotFound.
func (s *Store) MembershipOf(ctx context.Context, groupID, memberID int64) (*Membership, error) {
	return membershipOf(ctx, s.rdb, groupID, memberID)
}

// MembershipOf reads the member's membership in the transaction.
func (t *Tx) MembershipOf(groupID, memberID int64) (*Membership, error) {
	return membershipOf(t.ctx, t, groupID, memberID)
}

func membershipOf(ctx context.Context, q querier, groupID, memberID int64) (*Membership, error) {
	ms := Membership{GroupID: groupID, MemberID: memberID}
	var joined int64
	err := q.QueryRowContext(ctx, `SELECT role, joined_at FROM memberships WHERE group_id = ? AND member_id = ?`,
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
		var err error
		out, err = groupMembers(ctx, tx, groupID)
		return err
	})
	return out, err
}

// GroupMembers lists the group's members in the transaction.
func (t *Tx) GroupMembers(groupID int64) ([]*GroupMember, error) {
	return groupMembers(t.ctx, t, groupID)
}

func groupMembers(ctx context.Context, q querier, groupID int64) ([]*GroupMember, error) {
	out, err := queryAll(ctx, q, "group members", func(sc scanner) (*GroupMember, error) {
		var gm GroupMember
		var created, updated int64
		if err := sc.Scan(&gm.ID, &gm.DiscordUserID, &gm.DisplayName, &gm.Organisation, &gm.Notify, &created, &updated, &gm.Role); err != nil {
			return nil, err
		}
		gm.CreatedAt, gm.UpdatedAt = fromUnix(created), fromUnix(updated)
		return &gm, nil
	}, `
		SELECT `+memberColumns+`, ms.role FROM members m
		JOIN memberships ms ON ms.member_id = m.id
		WHERE ms.group_id = ?
		ORDER BY m.organisation, m.display_name, m.id`, groupID)
	if err != nil {
		return nil, err
	}
	for _, gm := range out {
		if err := loadEmails(ctx, q, &gm.Member); err != nil {
			return nil, err
		}
	}
	return out, nil
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
	// Most calls find the member: read first, so a click does not queue
	// for the write lock just to learn that.
	if m, err := s.MemberByDiscordID(ctx, userID); err == nil || !errors.Is(err, ErrNotFound) {
		return m, err
	}
	var m *Member
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		m, err = tx.EnsureDiscordMember(userID, displayName)
		return err
	})
	return m, err
}

// EnsureDiscordMember finds or creates the member in the transaction; see
// [Store.EnsureDiscordMember].
func (t *Tx) EnsureDiscordMember(userID, displayName string) (*Member, error) {
	if userID == "" {
		return nil, fmt.Errorf("store: member without discord id: %w", ErrInvalid)
	}
	if strings.TrimSpace(displayName) == "" {
		displayName = userID
	}
	// DO NOTHING keeps an existing member untouched; the SELECT below
	// reads whichever row is there.
	if _, err := t.ExecContext(t.ctx, `
		INSERT INTO members (discord_user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (discord_user_id) DO NOTHING`, userID, displayName, t.now, t.now); err != nil {
		return nil, dbError("ensure member", err)
	}
	return t.MemberByDiscordID(userID)
}

// EnsureDiscordMemberID is EnsureDiscordMember for a caller that needs only
// the member's id: the bot's first contact with someone who clicks, where
// one statement instead of three keeps the write lock short.
func (t *Tx) EnsureDiscordMemberID(userID, displayName string) (int64, error) {
	if userID == "" {
		return 0, fmt.Errorf("store: member without discord id: %w", ErrInvalid)
	}
	if strings.TrimSpace(displayName) == "" {
		displayName = userID
	}
	// DO NOTHING returns no row when the member exists already; then
	// their id is read.
	var id int64
	err := t.QueryRowContext(t.ctx, `
		INSERT INTO members (discord_user_id, display_name, created_at, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (discord_user_id) DO NOTHING RETURNING id`, userID, displayName, t.now, t.now).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = t.QueryRowContext(t.ctx, `SELECT id FROM members WHERE discord_user_id = ?`, userID).Scan(&id)
	}
	if err != nil {
		return 0, dbError("ensure member", err)
	}
	return id, nil
}

// DiscordMemberRole looks up, in one query, the member with a Discord user
// id and their role in a group: role is "" when they are not in it. A
// user never seen gives ErrNotFound. This is the bot's per-click check.
func (s *Store) DiscordMemberRole(ctx context.Context, groupID int64, userID string) (memberID int64, role string, err error) {
	return discordMemberRole(ctx, s.rdb, groupID, userID)
}

// DiscordMemberRole is [Store.DiscordMemberRole] in the transaction.
func (t *Tx) DiscordMemberRole(groupID int64, userID string) (memberID int64, role string, err error) {
	return discordMemberRole(t.ctx, t, groupID, userID)
}

func discordMemberRole(ctx context.Context, q querier, groupID int64, userID string) (memberID int64, role string, err error) {
	err = q.QueryRowContext(ctx, `
		SELECT m.id, coalesce(ms.role, '') FROM members m
		LEFT JOIN memberships ms ON ms.member_id = m.id AND ms.group_id = ?
		WHERE m.discord_user_id = ?`, groupID, userID).Scan(&memberID, &role)
	if err != nil {
		return 0, "", dbError("member with discord id "+userID, err)
	}
	return memberID, role, nil
}

// DiscordRole is a Discord user's member id and role in a group ("" when
// they are not in it), as [Tx.DiscordMemberRoles] finds them.
type DiscordRole struct {
	MemberID int64
	Role     string
}

// DiscordMemberRoles is [Tx.DiscordMemberRole] for many users in one
// query, the check of a batch of clicks: users never seen are missing
// from the map.
func (t *Tx) DiscordMemberRoles(groupID int64, userIDs []string) (map[string]DiscordRole, error) {
	ids, err := json.Marshal(userIDs)
	if err != nil {
		return nil, fmt.Errorf("store: members with discord ids: %w", err)
	}
	// The ids travel as one JSON array; the IN list uses the unique
	// index on discord_user_id.
	rows, err := t.QueryContext(t.ctx, `
		SELECT m.discord_user_id, m.id, coalesce(ms.role, '') FROM members m
		LEFT JOIN memberships ms ON ms.member_id = m.id AND ms.group_id = ?
		WHERE m.discord_user_id IN (SELECT value FROM json_each(?))`, groupID, string(ids))
	if err != nil {
		return nil, dbError("members with discord ids", err)
	}
	defer rows.Close()
	out := make(map[string]DiscordRole, len(userIDs))
	for rows.Next() {
		var user string
		var r DiscordRole
		if err := rows.Scan(&user, &r.MemberID, &r.Role); err != nil {
			return nil, dbError("members with discord ids", err)
		}
		out[user] = r
	}
	if err := rows.Err(); err != nil {
		return nil, dbError("members with discord ids", err)
	}
	return out, nil
}

// DiscordUser is a Discord user met for the first time: their id and the
// name they go by.
type DiscordUser struct{ ID, Name string }

// EnsureDiscordMemberIDs is [Tx.EnsureDiscordMemberID] for many users in
// one statement (and a second for any who existed already), in their
// order: the members of a batch of first clicks. It returns their member
// ids by Discord user id.
func (t *Tx) EnsureDiscordMemberIDs(users []DiscordUser) (map[string]int64, error) {
	rows := make([][2]string, len(users))
	for i, u := range users {
		if u.ID == "" {
			return nil, fmt.Errorf("store: member without discord id: %w", ErrInvalid)
		}
		rows[i] = [2]string{u.ID, u.Name}
		if strings.TrimSpace(u.Name) == "" {
			rows[i][1] = u.ID
		}
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return nil, fmt.Errorf("store: ensure members: %w", err)
	}
	ids := make(map[string]int64, len(users))
	// As EnsureDiscordMemberID: DO NOTHING returns no row for a member
	// who exists already; ORDER BY key creates them in the order given.
	if err := t.scanIDs(ids, `
		INSERT INTO members (discord_user_id, display_name, created_at, updated_at)
		SELECT value ->> 0, value ->> 1, ?, ? FROM json_each(?) WHERE true ORDER BY key
		ON CONFLICT (discord_user_id) DO NOTHING RETURNING discord_user_id, id`, t.now, t.now, string(data)); err != nil {
		return nil, err
	}
	if len(ids) < len(users) {
		if err := t.scanIDs(ids, `
			SELECT discord_user_id, id FROM members
			WHERE discord_user_id IN (SELECT value ->> 0 FROM json_each(?))`, string(data)); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// scanIDs adds the (discord user id, member id) rows of a query to ids.
func (t *Tx) scanIDs(ids map[string]int64, query string, args ...any) error {
	rows, err := t.QueryContext(t.ctx, query, args...)
	if err != nil {
		return dbError("ensure members", err)
	}
	defer rows.Close()
	for rows.Next() {
		var user string
		var id int64
		if err := rows.Scan(&user, &id); err != nil {
			return dbError("ensure members", err)
		}
		ids[user] = id
	}
	return dbError("ensure members", rows.Err())
}

// SetMemberships is [Tx.SetMembership] for many members of one group in
// one statement; roles maps member ids to roles.
func (t *Tx) SetMemberships(groupID int64, roles map[int64]string) error {
	rows := make([][2]any, 0, len(roles))
	for id, role := range roles {
		rows = append(rows, [2]any{id, role})
	}
	data, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("store: set memberships: %w", err)
	}
	_, err = t.ExecContext(t.ctx, `
		INSERT INTO memberships (group_id, member_id, role, joined_at)
		SELECT ?, value ->> 0, value ->> 1, ? FROM json_each(?) WHERE true
		ON CONFLICT (group_id, member_id) DO UPDATE SET role = excluded.role`, groupID, t.now, string(data))
	return dbError("set memberships", err)
}

// MemberGroups lists the groups the member belongs to, by slug.
func (t *Tx) MemberGroups(memberID int64) ([]*Group, error) {
	return queryAll(t.ctx, t, "member groups", scanGroup, `
		SELECT `+prefixed("g.", groupColumns)+` FROM groups g
		JOIN memberships ms ON ms.group_id = g.id
		WHERE ms.member_id = ? ORDER BY g.slug`, memberID)
}

// prefixed qualifies each column of a column list with prefix.
func prefixed(prefix, columns string) string {
	fields := strings.Split(columns, ",")
	for i, f := range fields {
		fields[i] = prefix + strings.TrimSpace(f)
	}
	return strings.Join(fields, ", ")
}
