package store

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Notification states. pending → claimed → sent is the normal path;
// claimed → pending again after a failed attempt that will be retried.
const (
	NotificationPending   = "pending"
	NotificationClaimed   = "claimed"
	NotificationSent      = "sent"
	NotificationFailed    = "failed"
	NotificationSkipped   = "skipped"
	NotificationCancelled = "cancelled"
)

// NotificationKind is what an outbox row delivers. The kinds themselves
// are named once, in package outbox; the store only keeps them.
type NotificationKind string

// Channels a notification leaves by.
const (
	ChannelDiscord = "discord"
	ChannelEmail   = "email"
)

// Notification is one message in the outbox: a reminder, a call for agenda
// items, a nudge. It targets either a channel or a member's direct messages.
type Notification struct {
	ID        int64
	GroupID   int64
	MeetingID int64 // 0 for group-level messages
	// Kind says what the row delivers; package outbox names the kinds.
	Kind NotificationKind
	Due  time.Time
	// Channel is how the row leaves: ChannelDiscord (the default) or
	// ChannelEmail; the scheduler hands it to that channel's sender.
	Channel   string
	ChannelID string // set for channel messages
	MemberID  int64  // set for direct messages
	// IdempotencyKey is unique across the outbox; the same key is never
	// enqueued twice and is sent to Discord as the message nonce.
	IdempotencyKey string
	// Payload is a kind-specific JSON object.
	Payload          string
	State            string
	Attempts         int
	ClaimedUntil     time.Time
	RetryAt          time.Time
	LastError        string
	SentAt           time.Time
	DiscordMessageID string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

const notificationColumns = `id, group_id, coalesce(meeting_id, 0), kind, due_at, channel_id, coalesce(member_id, 0),
	idempotency_key, payload, state, attempts, claimed_until, retry_at, last_error, sent_at, discord_message_id,
	created_at, updated_at, channel`

func scanNotification(sc scanner) (*Notification, error) {
	var n Notification
	var due, created, updated int64
	var claimed, retry, sent sql.NullInt64
	if err := sc.Scan(&n.ID, &n.GroupID, &n.MeetingID, &n.Kind, &due, &n.ChannelID, &n.MemberID,
		&n.IdempotencyKey, &n.Payload, &n.State, &n.Attempts, &claimed, &retry, &n.LastError, &sent,
		&n.DiscordMessageID, &created, &updated, &n.Channel); err != nil {
		return nil, err
	}
	n.Due = fromUnix(due)
	n.ClaimedUntil, n.RetryAt, n.SentAt = nullTime(claimed), nullTime(retry), nullTime(sent)
	n.CreatedAt, n.UpdatedAt = fromUnix(created), fromUnix(updated)
	return &n, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// EnqueueNotification adds n to the outbox as pending, setting its ID. A
// notification with the same idempotency key gives ErrConflict.
func (s *Store) EnqueueNotification(ctx context.Context, n *Notification) error {
	return s.Write(ctx, func(tx *Tx) error {
		_, err := tx.enqueue(n, false)
		return err
	})
}

// EnqueueNotifications adds several notifications in one transaction,
// skipping those whose idempotency key is already in the outbox (whatever
// its state), and returns how many it added.
func (s *Store) EnqueueNotifications(ctx context.Context, ns []*Notification) (int, error) {
	added := 0
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		added, err = tx.Enqueue(ns...)
		return err
	})
	return added, err
}

// Enqueue adds notifications in the transaction, skipping those whose
// idempotency key is already in the outbox (whatever its state), and
// returns how many it added.
func (t *Tx) Enqueue(ns ...*Notification) (int, error) {
	added := 0
	for _, n := range ns {
		ok, err := t.enqueue(n, true)
		if err != nil {
			return added, err
		}
		if ok {
			added++
		}
	}
	return added, nil
}

// EnqueuePlan adds a meeting's planned rows like Enqueue, and brings back
// a row of the same key that an earlier replanning skipped: a meeting
// moved away and back to its first start gets its messages again. Rows
// sent, failed or cancelled stay as they are. It returns how many rows it
// added or brought back.
func (t *Tx) EnqueuePlan(ns ...*Notification) (int, error) {
	n := 0
	for _, row := range ns {
		row.setDefaults()
		// A skipped row was never sent, so its key may travel as a nonce
		// again.
		err := t.QueryRowContext(t.ctx, `
			INSERT INTO notifications (group_id, meeting_id, kind, due_at, channel, channel_id, member_id,
				idempotency_key, payload, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)
			ON CONFLICT (idempotency_key) DO UPDATE SET state = 'pending', due_at = excluded.due_at,
				payload = excluded.payload, last_error = '', retry_at = NULL, attempts = 0,
				claimed_until = NULL, updated_at = excluded.updated_at
			WHERE notifications.state = 'skipped'
			RETURNING id`,
			row.GroupID, nullID(row.MeetingID), row.Kind, unix(row.Due), row.Channel, row.ChannelID, nullID(row.MemberID),
			row.IdempotencyKey, row.Payload, t.now, t.now).Scan(&row.ID)
		if err == sql.ErrNoRows {
			continue // there already, and not skipped
		}
		if err != nil {
			return n, dbError("plan notification "+row.IdempotencyKey, err)
		}
		n++
		t.enqueued++
	}
	return n, nil
}

// EnqueueCoalesced adds n unless a pending row of the same meeting and
// kind exists: that row, when it runs, renders the state of its moment, so
// it covers this change too. A row already claimed does not count (it may
// have rendered before the change). n.IdempotencyKey is set here, from the
// meeting, the kind and a sequence number. It reports whether it added n.
func (t *Tx) EnqueueCoalesced(n *Notification) (bool, error) {
	// Uses notifications_meeting: a meeting has a few dozen rows at most.
	var seq, pending int64
	if err := t.QueryRowContext(t.ctx, `
		SELECT count(*), count(*) FILTER (WHERE state = 'pending')
		FROM notifications WHERE meeting_id = ? AND kind = ?`,
		n.MeetingID, n.Kind).Scan(&seq, &pending); err != nil {
		return false, dbError("coalesce "+string(n.Kind), err)
	}
	if pending > 0 {
		return false, nil
	}
	n.IdempotencyKey = fmt.Sprintf("m%d:%s:%d", n.MeetingID, n.Kind, seq+1)
	return t.enqueue(n, false)
}

// setDefaults fills what a new row leaves out: an empty payload, the
// Discord channel, and the pending state.
func (n *Notification) setDefaults() {
	if n.Payload == "" {
		n.Payload = "{}"
	}
	if n.Channel == "" {
		n.Channel = ChannelDiscord
	}
	n.State = NotificationPending
}

func (t *Tx) enqueue(n *Notification, skipExisting bool) (bool, error) {
	n.setDefaults()
	q := `INSERT INTO notifications (group_id, meeting_id, kind, due_at, channel, channel_id, member_id, idempotency_key,
			payload, state, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`
	if skipExisting {
		q += ` ON CONFLICT (idempotency_key) DO NOTHING`
	}
	q += ` RETURNING id`
	err := t.QueryRowContext(t.ctx, q, n.GroupID, nullID(n.MeetingID), n.Kind, unix(n.Due), n.Channel, n.ChannelID,
		nullID(n.MemberID), n.IdempotencyKey, n.Payload, t.now, t.now).Scan(&n.ID)
	if skipExisting && err == sql.ErrNoRows {
		// DO NOTHING returns no row: the key was there already.
		return false, nil
	}
	if err != nil {
		return false, dbError("enqueue notification "+n.IdempotencyKey, err)
	}
	n.CreatedAt, n.UpdatedAt = fromUnix(t.now), fromUnix(t.now)
	t.enqueued++
	return true, nil
}

// PendingNotifications lists the meeting's pending rows in the
// transaction, by due instant.
func (t *Tx) PendingNotifications(meetingID int64) ([]*Notification, error) {
	return queryAll(t.ctx, t, "pending notifications", scanNotification,
		`SELECT `+notificationColumns+` FROM notifications WHERE meeting_id = ? AND state = 'pending' ORDER BY due_at, id`,
		meetingID)
}

// SkipNotification marks a pending row skipped with the reason, in the
// transaction.
func (t *Tx) SkipNotification(id int64, reason string) error {
	_, err := t.ExecContext(t.ctx, `
		UPDATE notifications SET state = 'skipped', last_error = ?, claimed_until = NULL, updated_at = ?
		WHERE id = ? AND state = 'pending'`, reason, t.now, id)
	return dbError("skip notification", err)
}

// ClaimDueNotifications claims up to limit notifications that are due at
// now, oldest first, for lease: they become claimed with attempts+1, and
// no other caller gets them until the lease runs out. A sender that crashed
// after claiming thus has its rows claimed again once the lease expires.
func (s *Store) ClaimDueNotifications(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*Notification, error) {
	return s.ClaimDueNotificationsIn(ctx, ChannelFilter{}, now, lease, limit)
}

// ChannelFilter narrows the outbox rows ClaimDueNotificationsIn and
// NextNotificationDueIn look at by the channel they leave by: Only, when
// not empty, keeps the rows of those channels; Except leaves out the rows
// of those. The zero filter keeps every row. The scheduler gives each
// channel's sender its own worker and claims per channel with it.
type ChannelFilter struct {
	Only   []string
	Except []string
}

// sql returns the filter as " AND ..." conditions on the channel column,
// with their arguments ("" when it keeps every row).
func (f ChannelFilter) sql() (string, []any) {
	var cond string
	var args []any
	in := func(op string, chans []string) {
		cond += " AND channel " + op + " (?" + strings.Repeat(", ?", len(chans)-1) + ")"
		for _, c := range chans {
			args = append(args, c)
		}
	}
	if len(f.Only) > 0 {
		in("IN", f.Only)
	}
	if len(f.Except) > 0 {
		in("NOT IN", f.Except)
	}
	return cond, args
}

// ClaimDueNotificationsIn is ClaimDueNotifications for the rows the
// filter keeps: up to limit rows of those channels due at now, oldest
// first, claimed for lease.
func (s *Store) ClaimDueNotificationsIn(ctx context.Context, f ChannelFilter, now time.Time, lease time.Duration, limit int) ([]*Notification, error) {
	var out []*Notification
	cond, condArgs := f.sql()
	err := s.update(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		t := unix(now)
		// The inner SELECT walks the partial index on open rows in due
		// order (the channel is checked on each row; due_at <= now bounds
		// the walk to what is due); max() is SQLite's scalar max: a retry
		// may not happen before retry_at.
		args := append([]any{unix(now.Add(lease)), s.now(), t, t, t}, condArgs...)
		rows, err := tx.QueryContext(ctx, `
			UPDATE notifications
			SET state = 'claimed', attempts = attempts + 1, claimed_until = ?, updated_at = ?
			WHERE id IN (
				SELECT id FROM notifications
				WHERE state IN ('pending', 'claimed') AND due_at <= ?
				  AND ((state = 'pending' AND coalesce(retry_at, 0) <= ?)
				    OR (state = 'claimed' AND claimed_until <= ?))`+cond+`
				ORDER BY due_at, id LIMIT ?)
			RETURNING `+notificationColumns,
			append(args, limit)...)
		if err != nil {
			return dbError("claim notifications", err)
		}
		defer rows.Close()
		for rows.Next() {
			n, err := scanNotification(rows)
			if err != nil {
				return dbError("claim notifications", err)
			}
			out = append(out, n)
		}
		return dbError("claim notifications", rows.Err())
	})
	// RETURNING yields rows in no promised order; callers want due order.
	sortNotifications(out)
	return out, err
}

func sortNotifications(ns []*Notification) {
	sort.Slice(ns, func(i, j int) bool {
		if !ns[i].Due.Equal(ns[j].Due) {
			return ns[i].Due.Before(ns[j].Due)
		}
		return ns[i].ID < ns[j].ID
	})
}

// finish moves a claimed notification to its next state.
func (s *Store) finish(ctx context.Context, op string, id int64, set string, args ...any) error {
	return s.update(ctx, func(tx *sql.Tx) error {
		args = append(args, s.now(), id)
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET `+set+`, updated_at = ?
			WHERE id = ? AND state IN ('pending', 'claimed')`, args...)
		if err != nil {
			return dbError(op, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("store: %s: notification %d is not open: %w", op, id, ErrNotFound)
		}
		return nil
	})
}

// MarkNotificationSent records a successful delivery.
func (s *Store) MarkNotificationSent(ctx context.Context, id int64, discordMessageID string, at time.Time) error {
	return s.finish(ctx, "mark sent", id,
		`state = 'sent', sent_at = ?, discord_message_id = ?, claimed_until = NULL, last_error = ''`,
		unix(at), discordMessageID)
}

// RetryNotification records a failed attempt that will be tried again, not
// before retryAt.
func (s *Store) RetryNotification(ctx context.Context, id int64, lastError string, retryAt time.Time) error {
	return s.finish(ctx, "retry", id, `state = 'pending', retry_at = ?, last_error = ?, claimed_until = NULL`,
		unix(retryAt), lastError)
}

// FailNotification gives up on a notification after its last attempt.
func (s *Store) FailNotification(ctx context.Context, id int64, lastError string) error {
	return s.finish(ctx, "fail", id, `state = 'failed', last_error = ?, claimed_until = NULL`, lastError)
}

// SkipNotification marks an open notification skipped (its moment passed
// while the service was down), with the reason.
func (s *Store) SkipNotification(ctx context.Context, id int64, reason string) error {
	return s.finish(ctx, "skip", id, `state = 'skipped', last_error = ?, claimed_until = NULL`, reason)
}

// NextNotificationDue returns the earliest instant at which some open
// notification can be claimed, and false when there is none.
func (s *Store) NextNotificationDue(ctx context.Context) (time.Time, bool, error) {
	return s.NextNotificationDueIn(ctx, ChannelFilter{})
}

// NextNotificationDueIn is NextNotificationDue for the rows the filter
// keeps. The scheduler leaves out the channels whose worker is busy: their
// due rows wait for it, and counting them would wake the loop for rows it
// cannot claim yet.
func (s *Store) NextNotificationDueIn(ctx context.Context, f ChannelFilter) (time.Time, bool, error) {
	var next sql.NullInt64
	cond, args := f.sql()
	// A pending row can be claimed at its due instant or its retry_at,
	// whichever is later; a claimed one when its lease runs out. No row
	// due after the first pending row without a later retry_at (found by
	// walking the partial index on open rows in due order) can be
	// claimed before that one, so only rows due up to it are read: a
	// full pass over tens of thousands of planned rows at every wake is
	// what this avoids.
	err := s.rdb.QueryRowContext(ctx, `
		SELECT min(CASE state WHEN 'pending' THEN max(due_at, coalesce(retry_at, 0))
		                      ELSE max(due_at, claimed_until) END)
		FROM notifications
		WHERE state IN ('pending', 'claimed')`+cond+` AND due_at <= coalesce((
			SELECT due_at FROM notifications
			WHERE state IN ('pending', 'claimed') AND state = 'pending' AND coalesce(retry_at, 0) <= due_at`+cond+`
			ORDER BY due_at LIMIT 1), 9223372036854775807)`, append(args, args...)...).Scan(&next)
	if err != nil {
		return time.Time{}, false, dbError("next due", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromUnix(next.Int64), true, nil
}

// NotificationFilter selects outbox rows. Zero fields do not filter.
type NotificationFilter struct {
	MeetingID int64
	States    []string
}

// Notifications lists outbox rows by due instant.
func (s *Store) Notifications(ctx context.Context, f NotificationFilter) ([]*Notification, error) {
	var where []string
	var args []any
	if f.MeetingID != 0 {
		where, args = append(where, "meeting_id = ?"), append(args, f.MeetingID)
	}
	if len(f.States) > 0 {
		where = append(where, "state IN (?"+strings.Repeat(", ?", len(f.States)-1)+")")
		for _, st := range f.States {
			args = append(args, st)
		}
	}
	q := `SELECT ` + notificationColumns + ` FROM notifications`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.rdb.QueryContext(ctx, q+" ORDER BY due_at, id", args...)
	if err != nil {
		return nil, dbError("list notifications", err)
	}
	defer rows.Close()
	var out []*Notification
	for rows.Next() {
		n, err := scanNotification(rows)
		if err != nil {
			return nil, dbError("list notifications", err)
		}
		out = append(out, n)
	}
	return out, dbError("list notifications", rows.Err())
}

// ReleaseClaims makes every claimed row claimable again at once, and
// returns how many there were. The scheduler calls it when it starts: one
// serve runs per database, so a claim still open then was left by a run
// that died mid-delivery, and waiting out its lease would only delay the
// message (the sender's nonce keeps the retry from posting twice).
func (s *Store) ReleaseClaims(ctx context.Context) (int, error) {
	var n int64
	err := s.Write(ctx, func(tx *Tx) error {
		res, err := tx.tx.ExecContext(ctx, `
			UPDATE notifications SET state = 'pending', claimed_until = NULL, updated_at = ?
			WHERE state = 'claimed'`, tx.now)
		if err != nil {
			return dbError("release claims", err)
		}
		n, _ = res.RowsAffected()
		return nil
	})
	return int(n), err
}
