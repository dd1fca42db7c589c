package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"coordbot/i18n"
)

// Group is a coordinator group that meets: the regional working group, the
// municipal coordinators, a round table.
type Group struct {
	ID                int64
	Slug              string
	Name              string
	DiscordChannelID  string
	CoordinatorRoleID string
	// MemberRoleID is the Discord role of the group's members; "" means
	// everyone who can use the channel.
	MemberRoleID string
	// TimeZone is an IANA zone name; meetings are planned in it.
	TimeZone string
	// Locale is the language of the group's messages: i18n.Czech or
	// i18n.English.
	Locale i18n.Lang
	// Reminders are offsets before a meeting, longest first.
	Reminders      []time.Duration
	AgendaCall     time.Duration
	AgendaDeadline time.Duration
	Nudge          time.Duration
	// MinutesNudge is an offset after the meeting's start.
	MinutesNudge time.Duration
	// EmailReminders are the offsets of the e-mail reminders, longest
	// first (fewer than in chat; nil is stored as the default 7d, 1d).
	EmailReminders []time.Duration
	// EmailEnabled says the group's members are reached by e-mail too
	// (the [smtp] section is configured).
	EmailEnabled bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Location loads the group's time zone.
func (g *Group) Location() (*time.Location, error) {
	loc, err := time.LoadLocation(g.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("store: group %s: %w", g.Slug, err)
	}
	return loc, nil
}

// encodeOffsets stores offsets as a JSON array of seconds.
func encodeOffsets(ds []time.Duration) string {
	secs := make([]int64, len(ds))
	for i, d := range ds {
		secs[i] = int64(d / time.Second)
	}
	b, _ := json.Marshal(secs) // a slice of int64 always marshals
	return string(b)
}

// decodeOffsets reads a JSON array of seconds.
func decodeOffsets(s string) ([]time.Duration, error) {
	var secs []int64
	if err := json.Unmarshal([]byte(s), &secs); err != nil {
		return nil, fmt.Errorf("store: bad offsets %q: %w", s, err)
	}
	ds := make([]time.Duration, len(secs))
	for i, v := range secs {
		ds[i] = time.Duration(v) * time.Second
	}
	return ds, nil
}

func seconds(d time.Duration) int64 { return int64(d / time.Second) }

func fromSeconds(v int64) time.Duration { return time.Duration(v) * time.Second }

const groupColumns = `id, slug, name, discord_channel_id, coordinator_role_id, member_role_id, time_zone, locale,
	reminder_offsets, agenda_call_offset, agenda_deadline_offset, nudge_offset, minutes_nudge_offset,
	email_reminder_offsets, email_enabled, created_at, updated_at`

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface{ Scan(dest ...any) error }

func scanGroup(sc scanner) (*Group, error) {
	var g Group
	var offsets, mailOffsets string
	var call, deadline, nudge, minutes, created, updated int64
	if err := sc.Scan(&g.ID, &g.Slug, &g.Name, &g.DiscordChannelID, &g.CoordinatorRoleID, &g.MemberRoleID, &g.TimeZone,
		&g.Locale, &offsets, &call, &deadline, &nudge, &minutes, &mailOffsets, &g.EmailEnabled, &created, &updated); err != nil {
		return nil, err
	}
	var err error
	if g.Reminders, err = decodeOffsets(offsets); err != nil {
		return nil, err
	}
	if g.EmailReminders, err = decodeOffsets(mailOffsets); err != nil {
		return nil, err
	}
	g.AgendaCall, g.AgendaDeadline, g.Nudge, g.MinutesNudge = fromSeconds(call), fromSeconds(deadline), fromSeconds(nudge), fromSeconds(minutes)
	g.CreatedAt, g.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &g, nil
}

// UpsertGroup creates the group with g.Slug or updates its settings (the
// configuration file is the source of truth for groups). It sets g.ID,
// g.CreatedAt and g.UpdatedAt.
func (s *Store) UpsertGroup(ctx context.Context, g *Group) error {
	return s.update(ctx, func(tx *sql.Tx) error { return s.upsertGroupTx(ctx, tx, g) })
}

func (s *Store) upsertGroupTx(ctx context.Context, tx *sql.Tx, g *Group) error {
	if err := g.normalize(); err != nil {
		return err
	}
	now := s.now()
	// ON CONFLICT keeps id and created_at of an existing group.
	row := tx.QueryRowContext(ctx, `
		INSERT INTO groups (slug, name, discord_channel_id, coordinator_role_id, member_role_id, time_zone, locale,
			reminder_offsets, agenda_call_offset, agenda_deadline_offset, nudge_offset, minutes_nudge_offset,
			email_reminder_offsets, email_enabled, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (slug) DO UPDATE SET
			name = excluded.name, discord_channel_id = excluded.discord_channel_id,
			coordinator_role_id = excluded.coordinator_role_id, member_role_id = excluded.member_role_id,
			time_zone = excluded.time_zone,
			locale = excluded.locale, reminder_offsets = excluded.reminder_offsets,
			agenda_call_offset = excluded.agenda_call_offset,
			agenda_deadline_offset = excluded.agenda_deadline_offset,
			nudge_offset = excluded.nudge_offset, minutes_nudge_offset = excluded.minutes_nudge_offset,
			email_reminder_offsets = excluded.email_reminder_offsets, email_enabled = excluded.email_enabled,
			updated_at = excluded.updated_at
		-- Leave an unchanged group alone, so syncing the config at every
		-- start writes nothing; RETURNING then yields no row.
		WHERE (name, discord_channel_id, coordinator_role_id, member_role_id, time_zone, locale, reminder_offsets,
			agenda_call_offset, agenda_deadline_offset, nudge_offset, minutes_nudge_offset,
			email_reminder_offsets, email_enabled)
			IS NOT (excluded.name, excluded.discord_channel_id, excluded.coordinator_role_id, excluded.member_role_id,
			excluded.time_zone, excluded.locale, excluded.reminder_offsets, excluded.agenda_call_offset,
			excluded.agenda_deadline_offset, excluded.nudge_offset, excluded.minutes_nudge_offset,
			excluded.email_reminder_offsets, excluded.email_enabled)
		RETURNING id, created_at, updated_at`,
		g.Slug, g.Name, g.DiscordChannelID, g.CoordinatorRoleID, g.MemberRoleID, g.TimeZone, g.Locale,
		encodeOffsets(g.Reminders), seconds(g.AgendaCall), seconds(g.AgendaDeadline), seconds(g.Nudge),
		seconds(g.MinutesNudge), encodeOffsets(g.EmailReminders), g.EmailEnabled, now, now)
	var created, updated int64
	err := row.Scan(&g.ID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.QueryRowContext(ctx, `SELECT id, created_at, updated_at FROM groups WHERE slug = ?`, g.Slug).
			Scan(&g.ID, &created, &updated)
	}
	if err != nil {
		return dbError("upsert group "+g.Slug, err)
	}
	g.CreatedAt, g.UpdatedAt = fromUnix(created), fromUnix(updated)
	return nil
}

// GroupBySlug returns the group with that slug, or ErrNotFound.
func (s *Store) GroupBySlug(ctx context.Context, slug string) (*Group, error) {
	return groupWhere(ctx, s.rdb, "group "+slug, `slug = ?`, slug)
}

// GroupBySlug reads the group with that slug in the transaction.
func (t *Tx) GroupBySlug(slug string) (*Group, error) {
	return groupWhere(t.ctx, t, "group "+slug, `slug = ?`, slug)
}

// Group returns the group with that id, or ErrNotFound.
func (s *Store) Group(ctx context.Context, id int64) (*Group, error) {
	return groupWhere(ctx, s.rdb, fmt.Sprintf("group %d", id), `id = ?`, id)
}

// Group reads the group with that id in the transaction.
func (t *Tx) Group(id int64) (*Group, error) {
	return groupWhere(t.ctx, t, fmt.Sprintf("group %d", id), `id = ?`, id)
}

func groupWhere(ctx context.Context, q querier, op, where string, args ...any) (*Group, error) {
	g, err := scanGroup(q.QueryRowContext(ctx, `SELECT `+groupColumns+` FROM groups WHERE `+where, args...))
	if err != nil {
		return nil, dbError(op, err)
	}
	return g, nil
}

// GroupByChannel returns the group that lives in a Discord channel, or
// ErrNotFound.
func (s *Store) GroupByChannel(ctx context.Context, channelID string) (*Group, error) {
	var g *Group
	err := s.view(ctx, func(tx *sql.Tx) error {
		var err error
		g, err = scanGroup(tx.QueryRowContext(ctx,
			`SELECT `+groupColumns+` FROM groups WHERE discord_channel_id = ? AND discord_channel_id <> ''`, channelID))
		return dbError("group in channel "+channelID, err)
	})
	return g, err
}

// Groups lists all groups by slug.
func (s *Store) Groups(ctx context.Context) ([]*Group, error) {
	var gs []*Group
	err := s.view(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+groupColumns+` FROM groups ORDER BY slug`)
		if err != nil {
			return dbError("list groups", err)
		}
		defer rows.Close()
		for rows.Next() {
			g, err := scanGroup(rows)
			if err != nil {
				return dbError("list groups", err)
			}
			gs = append(gs, g)
		}
		return dbError("list groups", rows.Err())
	})
	return gs, err
}
