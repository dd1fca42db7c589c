package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Guest is someone who came to a meeting without being a member of its
// group: a speaker, a guest invited for one topic.
type Guest struct {
	MeetingID    int64
	Name         string
	Organisation string
	RecordedAt   time.Time
}

// AddGuests records guests of a meeting in the transaction; a guest
// recorded again under the same name gets the new organisation. An empty
// name gives ErrInvalid.
func (t *Tx) AddGuests(meetingID int64, guests []Guest) error {
	for _, g := range guests {
		name, org := strings.TrimSpace(g.Name), strings.TrimSpace(g.Organisation)
		if name == "" {
			return fmt.Errorf("store: guest without a name: %w", ErrInvalid)
		}
		if _, err := t.ExecContext(t.ctx, `
			INSERT INTO meeting_guests (meeting_id, name, organisation, recorded_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (meeting_id, name) DO UPDATE SET organisation = excluded.organisation,
				recorded_at = excluded.recorded_at`, meetingID, name, org, t.now); err != nil {
			return dbError("add guest", err)
		}
	}
	return nil
}

// Guests lists a meeting's guests by name.
func (s *Store) Guests(ctx context.Context, meetingID int64) ([]*Guest, error) {
	return queryAll(ctx, s.rdb, "guests", scanGuest,
		`SELECT meeting_id, name, organisation, recorded_at FROM meeting_guests WHERE meeting_id = ? ORDER BY name`, meetingID)
}

// scanGuest reads a row of meeting_id, name, organisation, recorded_at.
func scanGuest(sc scanner) (*Guest, error) {
	var g Guest
	var at int64
	if err := sc.Scan(&g.MeetingID, &g.Name, &g.Organisation, &at); err != nil {
		return nil, err
	}
	g.RecordedAt = fromUnix(at)
	return &g, nil
}
