// Package scheduler delivers each meeting's messages (calls for agenda
// items, the compiled agenda, reminders, nudges, the cancellation notice)
// once and on time.
//
// Due messages live in the store's outbox, never only in memory. The
// scheduler sleeps until the earliest due row (a timer re-armed whenever
// the outbox changes, not a poll), claims due rows in a transaction with a
// lease, hands each to a Sender (the Discord bot) and records the result.
// A row whose sender died is claimed again when its lease runs out; the
// Discord message carries a nonce derived from the row's idempotency key
// with enforce_nonce, so the retry cannot post twice. Periodic jobs run on
// robfig/cron/v3.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"coordbot/store"
)

// Sender delivers one message and returns its Discord message id. It
// renders the message from the store's current state (counts, agenda) and
// must send it idempotently: the same notification delivered twice posts
// once (Discord's nonce with enforce_nonce).
type Sender interface {
	Deliver(ctx context.Context, n *store.Notification) (messageID string, err error)
}

// Clock is the scheduler's time; tests drive a fake one instead of sleeping.
type Clock interface {
	Now() time.Time
	// After fires once d has passed.
	After(d time.Duration) <-chan time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now implements Clock.
func (RealClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (RealClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Kind of the report to the coordinators that a message could not be sent.
const KindDeliveryFailed = "delivery_failed"

// Scheduler is the delivery loop.
type Scheduler struct {
	store  *store.Store
	sender Sender
	clock  Clock
	logger *slog.Logger

	// Lease is how long a claimed row is reserved for its sender (default 2 min).
	Lease time.Duration
	// MaxAttempts before a row is marked failed (default 5).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after n failed ones.
	Backoff func(attempts int) time.Duration
	// Idle, when set, is called each time the loop has handled every row
	// due at now and goes to sleep; tests wait on it instead of sleeping.
	Idle func(now time.Time)

	wake chan struct{}
	cron *cron.Cron
}

// New returns a scheduler that sends through sender.
func New(s *store.Store, sender Sender, clock Clock, logger *slog.Logger) *Scheduler {
	return &Scheduler{store: s, sender: sender, clock: clock, logger: logger,
		Lease: 2 * time.Minute, MaxAttempts: 5,
		Backoff: func(n int) time.Duration { return min(time.Duration(1<<min(n, 10))*15*time.Second, time.Hour) },
		wake:    make(chan struct{}, 1)}
}

// Wake makes the loop look at the outbox again (it changed).
func (sc *Scheduler) Wake() {
	select {
	case sc.wake <- struct{}{}:
	default:
	}
}

// MeetingChanged plans a created or edited meeting and wakes the loop.
func (sc *Scheduler) MeetingChanged(ctx context.Context, meetingID int64) error {
	if err := Plan(ctx, sc.store, meetingID, sc.clock.Now()); err != nil {
		return err
	}
	sc.Wake()
	return nil
}

// MeetingCancelled enqueues the cancellation notice (the store cancelled
// the meeting's pending rows with it) and wakes the loop.
func (sc *Scheduler) MeetingCancelled(ctx context.Context, meetingID int64) error {
	if err := PlanCancellation(ctx, sc.store, meetingID, sc.clock.Now()); err != nil {
		return err
	}
	sc.Wake()
	return nil
}

// Plan brings a meeting's pending messages in line with its current time
// and settings: rows of an earlier plan (another start, another offset) are
// cancelled, missing rows are enqueued. Sent rows are left alone. It only
// writes the store, so the command line can plan while serve delivers.
func Plan(ctx context.Context, s *store.Store, meetingID int64, now time.Time) error {
	m, g, err := meetingAndGroup(ctx, s, meetingID)
	if err != nil {
		return err
	}
	want, err := Timeline(g, m, now)
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(want))
	for _, n := range want {
		keep[n.IdempotencyKey] = true
	}
	pending, err := s.Notifications(ctx, store.NotificationFilter{MeetingID: meetingID, States: []string{store.NotificationPending}})
	if err != nil {
		return err
	}
	for _, n := range pending {
		if !keep[n.IdempotencyKey] && isPlanned(n.Kind) {
			if err := s.SkipNotification(ctx, n.ID, "replanned: the meeting changed"); err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
	}
	_, err = s.EnqueueNotifications(ctx, want)
	return err
}

// meetingAndGroup loads a meeting and its group.
func meetingAndGroup(ctx context.Context, s *store.Store, meetingID int64) (*store.Meeting, *store.Group, error) {
	m, err := s.Meeting(ctx, meetingID)
	if err != nil {
		return nil, nil, err
	}
	g, err := s.Group(ctx, m.GroupID)
	if err != nil {
		return nil, nil, err
	}
	return m, g, nil
}

// isPlanned says whether a kind comes from Timeline (and is replaced when
// the meeting changes).
func isPlanned(kind string) bool {
	switch kind {
	case KindAgendaCall, KindAgendaDeadline, KindReminder, KindNudge, KindMinutesNudge:
		return true
	}
	return false
}

// PlanCancellation enqueues a cancelled meeting's one notice.
func PlanCancellation(ctx context.Context, s *store.Store, meetingID int64, now time.Time) error {
	m, g, err := meetingAndGroup(ctx, s, meetingID)
	if err != nil {
		return err
	}
	if n := CancellationNotice(g, m, now); n != nil {
		_, err = s.EnqueueNotifications(ctx, []*store.Notification{n})
	}
	return err
}

// Run delivers due messages until ctx ends, and runs the periodic jobs.
func (sc *Scheduler) Run(ctx context.Context) error {
	loc, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		loc = time.UTC
	}
	sc.cron = cron.New(cron.WithLocation(loc))
	// A safety net: rows written by another process (the command line)
	// do not wake this one; look at the outbox every minute anyway.
	if _, err := sc.cron.AddFunc("@every 1m", sc.Wake); err != nil {
		return fmt.Errorf("scheduler: cron: %w", err)
	}
	// Nightly, when nobody meets: merge the full-text index's segments.
	if _, err := sc.cron.AddFunc("30 3 * * *", func() {
		if err := sc.store.Optimize(ctx); err != nil {
			sc.logger.Error("nightly optimize", "err", err)
		}
	}); err != nil {
		return fmt.Errorf("scheduler: cron: %w", err)
	}
	sc.cron.Start()
	defer func() { <-sc.cron.Stop().Done() }()

	for {
		now := sc.clock.Now()
		if err := sc.deliverDue(ctx); err != nil && ctx.Err() == nil {
			sc.logger.Error("delivering due messages", "err", err)
		}
		if sc.Idle != nil {
			sc.Idle(now)
		}
		var timer <-chan time.Time
		next, ok, err := sc.store.NextNotificationDue(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			sc.logger.Error("next due message", "err", err)
			timer = sc.clock.After(time.Minute)
		case ok:
			timer = sc.clock.After(max(next.Sub(sc.clock.Now()), 0))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-timer:
		case <-sc.wake:
		}
	}
}

// deliverDue claims and delivers every row due now, in due order.
func (sc *Scheduler) deliverDue(ctx context.Context) error {
	for {
		now := sc.clock.Now()
		rows, err := sc.store.ClaimDueNotifications(ctx, now, sc.Lease, 50)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		for _, n := range rows {
			if ctx.Err() != nil {
				return nil // the lease brings the rest back after a restart
			}
			sc.deliver(ctx, n)
		}
	}
}

// deliver handles one claimed row: skip it when its moment has passed,
// expand a fan-out, or send it.
func (sc *Scheduler) deliver(ctx context.Context, n *store.Notification) {
	log := sc.logger.With("notification_id", n.ID, "meeting_id", n.MeetingID, "kind", n.Kind)
	if reason, err := sc.stale(ctx, n); err != nil {
		log.Error("checking message", "err", err)
		sc.retry(ctx, n, err)
		return
	} else if reason != "" {
		if err := sc.store.SkipNotification(ctx, n.ID, reason); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("skip", "err", err)
		}
		log.Info("message skipped", "reason", reason)
		return
	}
	switch n.Kind {
	case KindNudge, KindMinutesNudge:
		if err := sc.fanOut(ctx, n); err != nil {
			sc.retry(ctx, n, err)
			return
		}
		if err := sc.store.MarkNotificationSent(ctx, n.ID, "", sc.clock.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("mark fan-out done", "err", err)
		}
		return
	}
	msgID, err := sc.sender.Deliver(ctx, n)
	if err != nil {
		sc.retry(ctx, n, err)
		return
	}
	if err := sc.store.MarkNotificationSent(ctx, n.ID, msgID, sc.clock.Now()); err != nil {
		// ErrNotFound: cancelled while it was being sent. The message is
		// out; the row keeps saying cancelled.
		if !errors.Is(err, store.ErrNotFound) {
			log.Error("mark sent", "err", err)
		}
		return
	}
	target := "channel:" + n.ChannelID
	if n.MemberID != 0 {
		target = fmt.Sprintf("member:%d", n.MemberID)
	}
	log.Info("message sent", "target", target, "message_id", msgID, "late_ms", sc.clock.Now().Sub(n.Due).Milliseconds())
}

// retry records a failed attempt; after MaxAttempts the row fails and the
// group's coordinators are told in the group's channel.
func (sc *Scheduler) retry(ctx context.Context, n *store.Notification, cause error) {
	log := sc.logger.With("notification_id", n.ID, "meeting_id", n.MeetingID, "kind", n.Kind, "attempts", n.Attempts)
	if n.Attempts < sc.MaxAttempts {
		at := sc.clock.Now().Add(sc.Backoff(n.Attempts))
		if err := sc.store.RetryNotification(ctx, n.ID, cause.Error(), at); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("record retry", "err", err)
		}
		log.Warn("message not sent, will retry", "err", cause, "retry_at", at)
		return
	}
	if err := sc.store.FailNotification(ctx, n.ID, cause.Error()); err != nil && !errors.Is(err, store.ErrNotFound) {
		log.Error("record failure", "err", err)
	}
	log.Error("message failed for good", "err", cause)
	if n.Kind == KindDeliveryFailed {
		return // do not report the failure of a report
	}
	g, err := sc.store.Group(ctx, n.GroupID)
	if err != nil || g.DiscordChannelID == "" {
		return
	}
	report := &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: KindDeliveryFailed,
		Due: sc.clock.Now(), ChannelID: g.DiscordChannelID, IdempotencyKey: n.IdempotencyKey + ":failed",
		Payload: fmt.Sprintf(`{"failed_kind":%q}`, n.Kind)}
	if _, err := sc.store.EnqueueNotifications(ctx, []*store.Notification{report}); err != nil {
		log.Error("enqueue failure report", "err", err)
	}
}

// stale says why a row should not be sent any more: its meeting was
// cancelled or has started (a reminder after the start is noise), or its
// minutes arrived. "" means send it.
func (sc *Scheduler) stale(ctx context.Context, n *store.Notification) (string, error) {
	if n.MeetingID == 0 || n.Kind == KindCancellation || n.Kind == KindDeliveryFailed {
		return "", nil
	}
	m, err := sc.store.Meeting(ctx, n.MeetingID)
	if errors.Is(err, store.ErrNotFound) {
		return "meeting deleted", nil
	}
	if err != nil {
		return "", err
	}
	switch n.Kind {
	case KindMinutesNudge, KindMinutesNudgeDM:
		if m.Status == store.MeetingCancelled {
			return "meeting cancelled", nil
		}
		msgs, err := sc.store.ArchiveMessages(ctx, store.ArchiveFilter{MeetingID: m.ID, State: store.ArchiveArchived, Limit: 1})
		if err != nil {
			return "", err
		}
		if len(msgs) > 0 {
			return "minutes archived", nil
		}
		return "", nil
	}
	if m.Status != store.MeetingScheduled {
		return "meeting " + m.Status, nil
	}
	if !sc.clock.Now().Before(m.Start) {
		return "meeting already started", nil
	}
	return "", nil
}

// fanOut turns a nudge row into one DM row per recipient, due now.
func (sc *Scheduler) fanOut(ctx context.Context, n *store.Notification) error {
	m, err := sc.store.Meeting(ctx, n.MeetingID)
	if err != nil {
		return err
	}
	members, err := sc.store.GroupMembers(ctx, n.GroupID)
	if err != nil {
		return err
	}
	var to []int64
	switch n.Kind {
	case KindNudge:
		rsvps, err := sc.store.RSVPs(ctx, m.ID)
		if err != nil {
			return err
		}
		answered := map[int64]string{}
		for _, r := range rsvps {
			answered[r.MemberID] = r.Answer
		}
		for _, gm := range members {
			if a := answered[gm.ID]; a == "" || a == store.AnswerMaybe {
				to = append(to, gm.ID)
			}
		}
	case KindMinutesNudge:
		if m.CoordinatorID != 0 {
			to = append(to, m.CoordinatorID)
		} else {
			for _, gm := range members {
				if gm.Role == store.RoleCoordinator {
					to = append(to, gm.ID)
				}
			}
		}
	}
	kind := KindNudgeDM
	if n.Kind == KindMinutesNudge {
		kind = KindMinutesNudgeDM
	}
	now := sc.clock.Now()
	dms := make([]*store.Notification, 0, len(to))
	for _, id := range to {
		dms = append(dms, &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: kind, Due: now,
			MemberID: id, IdempotencyKey: FanOutKey(n.IdempotencyKey, id), Payload: n.Payload})
	}
	_, err = sc.store.EnqueueNotifications(ctx, dms)
	return err
}
