package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Agenda item statuses.
const (
	AgendaProposed  = "proposed"
	AgendaAccepted  = "accepted"
	AgendaWithdrawn = "withdrawn"
)

// Limits on agenda text, matching what a Discord modal accepts.
const (
	MaxAgendaTitle   = 200
	MaxAgendaDetails = 4000
)

// AgendaItem is a point proposed for a meeting's agenda.
type AgendaItem struct {
	ID        int64
	MeetingID int64
	// AuthorID is the proposing member; 0 when unknown.
	AuthorID int64
	Title    string
	Details  string
	// Position orders the agenda, 1 first.
	Position  int
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

const agendaColumns = `id, meeting_id, coalesce(author_id, 0), title, details, position, status, created_at, updated_at`

func scanAgendaItem(sc scanner) (*AgendaItem, error) {
	var it AgendaItem
	var created, updated int64
	if err := sc.Scan(&it.ID, &it.MeetingID, &it.AuthorID, &it.Title, &it.Details, &it.Position, &it.Status,
		&created, &updated); err != nil {
		return nil, err
	}
	it.CreatedAt, it.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &it, nil
}

// AddAgendaItem appends it to its meeting's agenda (position = last + 1),
// setting ID, Position, Status and stamps. Empty titles and text longer than
// the limits give ErrInvalid.
func (s *Store) AddAgendaItem(ctx context.Context, it *AgendaItem) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.AddAgendaItem(it) })
}

// AddAgendaItem appends it in the transaction; see [Store.AddAgendaItem].
func (t *Tx) AddAgendaItem(it *AgendaItem) error {
	it.Title = strings.TrimSpace(it.Title)
	if it.Title == "" || len([]rune(it.Title)) > MaxAgendaTitle || len([]rune(it.Details)) > MaxAgendaDetails {
		return fmt.Errorf("store: agenda item: title must be 1-%d and details at most %d characters: %w",
			MaxAgendaTitle, MaxAgendaDetails, ErrInvalid)
	}
	if it.Status == "" {
		it.Status = AgendaProposed
	}
	// The position is computed inside the write transaction, so two
	// concurrent proposals cannot get the same one.
	err := t.QueryRowContext(t.ctx, `
		INSERT INTO agenda_items (meeting_id, author_id, title, details, position, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, (SELECT coalesce(max(position), 0) + 1 FROM agenda_items WHERE meeting_id = ?), ?, ?, ?)
		RETURNING id, position`,
		it.MeetingID, nullID(it.AuthorID), it.Title, it.Details, it.MeetingID, it.Status, t.now, t.now).Scan(&it.ID, &it.Position)
	if err != nil {
		return dbError("add agenda item", err)
	}
	it.CreatedAt, it.UpdatedAt = fromUnix(t.now), fromUnix(t.now)
	return nil
}

// AgendaItem returns one item, or ErrNotFound.
func (s *Store) AgendaItem(ctx context.Context, id int64) (*AgendaItem, error) {
	return agendaItemByID(ctx, s.rdb, id)
}

// AgendaItem reads one item in the transaction, or ErrNotFound.
func (t *Tx) AgendaItem(id int64) (*AgendaItem, error) { return agendaItemByID(t.ctx, t, id) }

func agendaItemByID(ctx context.Context, q querier, id int64) (*AgendaItem, error) {
	it, err := scanAgendaItem(q.QueryRowContext(ctx, `SELECT `+agendaColumns+` FROM agenda_items WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(fmt.Sprintf("agenda item %d", id), err)
	}
	return it, nil
}

// SetAgendaStatus changes an item's status.
func (s *Store) SetAgendaStatus(ctx context.Context, id int64, status string) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.SetAgendaStatus(id, status) })
}

// SetAgendaStatus changes an item's status in the transaction.
func (t *Tx) SetAgendaStatus(id int64, status string) error {
	res, err := t.ExecContext(t.ctx, `UPDATE agenda_items SET status = ?, updated_at = ? WHERE id = ?`, status, t.now, id)
	if err != nil {
		return dbError("set agenda status", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: agenda item %d: %w", id, ErrNotFound)
	}
	return nil
}

// ReorderAgenda gives the meeting's items the order of ids: the first gets
// position 1. Items not named keep their relative order after the named ones.
func (s *Store) ReorderAgenda(ctx context.Context, meetingID int64, ids []int64) error {
	return s.Write(ctx, func(tx *Tx) error { return tx.ReorderAgenda(meetingID, ids) })
}

// ReorderAgenda orders the agenda in the transaction; see
// [Store.ReorderAgenda].
func (t *Tx) ReorderAgenda(meetingID int64, ids []int64) error {
	items, err := t.Agenda(meetingID)
	if err != nil {
		return err
	}
	byID := make(map[int64]*AgendaItem, len(items))
	for _, it := range items {
		byID[it.ID] = it
	}
	order := make([]int64, 0, len(items))
	named := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if byID[id] == nil {
			return fmt.Errorf("store: agenda item %d is not on meeting %d: %w", id, meetingID, ErrNotFound)
		}
		if named[id] {
			return fmt.Errorf("store: agenda item %d named twice: %w", id, ErrInvalid)
		}
		named[id] = true
		order = append(order, id)
	}
	for _, it := range items {
		if !named[it.ID] {
			order = append(order, it.ID)
		}
	}
	stmt, err := t.tx.PrepareContext(t.ctx, `UPDATE agenda_items SET position = ?, updated_at = ? WHERE id = ?`)
	if err != nil {
		return dbError("reorder agenda", err)
	}
	defer stmt.Close()
	for i, id := range order {
		if _, err := stmt.ExecContext(t.ctx, i+1, t.now, id); err != nil {
			return dbError("reorder agenda", err)
		}
	}
	return nil
}

// Agenda lists the meeting's items by position, withdrawn ones included.
func (s *Store) Agenda(ctx context.Context, meetingID int64) ([]*AgendaItem, error) {
	return agendaOf(ctx, s.rdb, meetingID)
}

// Agenda lists the meeting's items in the transaction.
func (t *Tx) Agenda(meetingID int64) ([]*AgendaItem, error) { return agendaOf(t.ctx, t, meetingID) }

func agendaOf(ctx context.Context, q querier, meetingID int64) ([]*AgendaItem, error) {
	return queryAll(ctx, q, "agenda", scanAgendaItem,
		`SELECT `+agendaColumns+` FROM agenda_items WHERE meeting_id = ? ORDER BY position, id`, meetingID)
}
