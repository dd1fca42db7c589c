package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"coordbot/i18n"
)

// SyncGroups brings the stored groups in line with groups (the
// configuration is their source of truth) and sets each one's ID,
// CreatedAt and UpdatedAt. Every command calls it at start and nearly
// always finds nothing to change, so it compares first on the read pool
// and takes the write lock only when a group is new or differs: a command
// that only reads must not wait for another process's write.
func (s *Store) SyncGroups(ctx context.Context, groups []*Group) error {
	for _, g := range groups {
		if err := g.normalize(); err != nil {
			return err
		}
	}
	same, err := s.groupsStored(ctx, groups)
	if err != nil || same {
		return err
	}
	return s.update(ctx, func(tx *sql.Tx) error {
		for _, g := range groups {
			if err := s.upsertGroupTx(ctx, tx, g); err != nil {
				return err
			}
		}
		return nil
	})
}

// normalize fills in the defaults of an upserted group and checks its zone.
func (g *Group) normalize() error {
	if g.TimeZone == "" {
		g.TimeZone = i18n.DefaultTimeZone
	}
	if g.Locale == "" {
		g.Locale = i18n.Czech
	}
	if g.EmailReminders == nil {
		g.EmailReminders = DefaultEmailReminders()
	}
	if _, err := time.LoadLocation(g.TimeZone); err != nil {
		return fmt.Errorf("store: group %s: %w: %w", g.Slug, ErrInvalid, err)
	}
	return nil
}

// groupsStored reports whether every group is stored with exactly these
// settings, and if so sets their IDs and stamps from the stored rows.
func (s *Store) groupsStored(ctx context.Context, groups []*Group) (bool, error) {
	stored := make([]*Group, len(groups))
	err := s.view(ctx, func(tx *sql.Tx) error {
		for i, g := range groups {
			var err error
			stored[i], err = groupWhere(ctx, tx, "group "+g.Slug, `slug = ?`, g.Slug)
			if errors.Is(err, ErrNotFound) {
				return nil // stored[i] stays nil: the group is new
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	for i, g := range groups {
		if stored[i] == nil || !sameSettings(g, stored[i]) {
			return false, nil
		}
	}
	for i, g := range groups {
		g.ID, g.CreatedAt, g.UpdatedAt = stored[i].ID, stored[i].CreatedAt, stored[i].UpdatedAt
	}
	return true, nil
}

// sameSettings compares what upsertGroupTx writes, at the precision it
// is stored with (offsets in whole seconds); it must list the columns of
// the upsert's WHERE clause.
func sameSettings(a, b *Group) bool {
	return a.Name == b.Name && a.DiscordChannelID == b.DiscordChannelID &&
		a.CoordinatorRoleID == b.CoordinatorRoleID && a.MemberRoleID == b.MemberRoleID &&
		a.TimeZone == b.TimeZone && a.Locale == b.Locale &&
		encodeOffsets(a.Reminders) == encodeOffsets(b.Reminders) &&
		seconds(a.AgendaCall) == seconds(b.AgendaCall) && seconds(a.AgendaDeadline) == seconds(b.AgendaDeadline) &&
		seconds(a.Nudge) == seconds(b.Nudge) && seconds(a.MinutesNudge) == seconds(b.MinutesNudge) &&
		encodeOffsets(a.EmailReminders) == encodeOffsets(b.EmailReminders) && a.EmailEnabled == b.EmailEnabled
}

// DefaultEmailReminders are the e-mail reminders of a group that sets
// none: 7 days and 1 day before the meeting.
func DefaultEmailReminders() []time.Duration {
	return []time.Duration{7 * 24 * time.Hour, 24 * time.Hour}
}
