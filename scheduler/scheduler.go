// Package scheduler delivers each meeting's messages (calls for agenda
// items, the compiled agenda, reminders, nudges, the cancellation notice)
// once and on time.
//
// Due messages live in the store's outbox, never only in memory. The
// scheduler sleeps until the earliest due row (a timer re-armed whenever
// the outbox changes, not a poll), claims due rows in a transaction with a
// lease, hands each to the Sender of its channel (the Discord bot, the
// e-mail sender) and records the result. A row whose sender died is
// claimed again when its lease runs out; the Discord message carries a
// nonce derived from the row's idempotency key with enforce_nonce, so the
// retry cannot post twice. Periodic jobs run on robfig/cron/v3.
//
// Goroutines: Run's loop owns the timer, all claiming and the Idle hook.
// Each channel with a sender has one worker goroutine that delivers the
// batches the loop hands it, one row after another, and reports back when
// done; the loop claims a channel's rows only while its worker is idle, so
// no row is in two hands, and a slow channel (an SMTP server that does not
// answer) delays only its own rows, never Discord's. Rows of a channel
// with no sender in this run are claimed and handled by the loop itself
// (skipped, or a fan-out expanded: no network). A store watcher goroutine
// wakes the loop on commits by another process.
package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

// Sender delivers one outbox row of its channel and returns the id of
// what it sent (a Discord message id, a Message-ID). It renders the row
// from the store's current state (counts, agenda) and must deliver
// idempotently: the same row delivered twice reaches people once
// (Discord's nonce with enforce_nonce, a stored event id, a Message-ID
// derived from the row's idempotency key).
type Sender interface {
	Deliver(ctx context.Context, n *store.Notification) (sentID string, err error)
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

// Scheduler is the delivery loop.
type Scheduler struct {
	store *store.Store
	// senders by channel (store.ChannelDiscord, store.ChannelEmail).
	senders map[string]Sender
	clock   Clock
	logger  *slog.Logger

	// Lease is how long a claimed row is reserved for its sender (default 2 min).
	Lease time.Duration
	// MaxAttempts before a row is marked failed (default 5).
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after n failed ones.
	Backoff func(attempts int) time.Duration
	// Idle, when set, is called by the loop each time every row due at
	// now has been handled (none is left to claim and no channel's worker
	// is busy delivering) and the loop goes to sleep; tests wait on it
	// instead of sleeping. It runs on the loop's goroutine: it must not
	// block.
	Idle func(now time.Time)
	// WatchEvery is how often the loop looks for commits by another
	// process (the command line), which do not call Wake (default 1 s).
	WatchEvery time.Duration

	wake chan struct{}
	cron *cron.Cron
}

// New returns a scheduler that hands each row to the sender of its
// channel.
func New(s *store.Store, senders map[string]Sender, clock Clock, logger *slog.Logger) *Scheduler {
	return &Scheduler{store: s, senders: senders, clock: clock, logger: logger,
		Lease: 2 * time.Minute, MaxAttempts: 5, WatchEvery: time.Second,
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

// Run delivers due messages until ctx ends, and runs the periodic jobs.
func (sc *Scheduler) Run(ctx context.Context) error {
	loc, err := time.LoadLocation(i18n.DefaultTimeZone)
	if err != nil {
		loc = time.UTC
	}
	// Rows written by another process (the command line) reach this one
	// within WatchEvery: the store reports every commit it did not make
	// through this watcher.
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		if err := sc.store.WatchCommits(watchCtx, sc.WatchEvery, sc.Wake); err != nil {
			sc.logger.Error("watching the database for other writers", "err", err)
		}
	}()
	defer func() { stopWatch(); <-watched }()
	if n, err := sc.store.ReleaseClaims(ctx); err != nil {
		return fmt.Errorf("scheduler: %w", err)
	} else if n > 0 {
		sc.logger.Warn("taking over messages an earlier run claimed but did not finish", "rows", n)
	}
	sc.cron = cron.New(cron.WithLocation(loc))
	// A safety net behind the watcher: look at the outbox every minute.
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

	// One worker per channel with a sender. On shutdown the loop returns
	// (no more claiming) and then waits here for the workers: each
	// finishes the row it is delivering, bounded by its sender's timeouts
	// and ctx, and records the outcome.
	var workers []*worker
	done := make(chan *worker, len(sc.senders)) // one report per worker at most: never blocks
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, ch := range slices.Sorted(maps.Keys(sc.senders)) {
		if sc.senders[ch] == nil {
			continue
		}
		w := &worker{channel: ch, rows: make(chan []*store.Notification, 1)}
		workers = append(workers, w)
		wg.Go(func() { sc.work(ctx, w, done) })
	}
	inline := store.ChannelFilter{}
	for _, w := range workers {
		inline.Except = append(inline.Except, w.channel)
	}

	for {
		// Workers that finished since the last round take rows again.
		for finished := true; finished; {
			select {
			case w := <-done:
				w.busy = false
			default:
				finished = false
			}
		}
		now := sc.clock.Now()
		if err := sc.dispatch(ctx, now, workers, inline); err != nil && ctx.Err() == nil {
			sc.logger.Error("delivering due messages", "err", err)
		}
		busy := busyChannels(workers)
		if len(busy) == 0 && sc.Idle != nil {
			sc.Idle(now)
		}
		// A busy channel's due rows wait for its worker's report, not for
		// the timer: counting them would spin the loop on rows it cannot
		// claim yet.
		var timer <-chan time.Time
		next, ok, err := sc.store.NextNotificationDueIn(ctx, store.ChannelFilter{Except: busy})
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
		case w := <-done:
			w.busy = false
		}
	}
}

// worker delivers the rows of one channel in its own goroutine, so that
// a slow channel holds up only itself. The loop hands it a batch only
// while it is idle.
type worker struct {
	channel string
	// rows carries the next batch (buffered: handing one over never
	// blocks the loop).
	rows chan []*store.Notification
	// busy: a batch was handed over and its report has not come back.
	// Read and written by the loop only.
	busy bool
}

// busyChannels lists the channels whose worker is delivering.
func busyChannels(workers []*worker) []string {
	var busy []string
	for _, w := range workers {
		if w.busy {
			busy = append(busy, w.channel)
		}
	}
	return busy
}

// work delivers each batch handed to w in order and reports back on done,
// until ctx ends. Rows of a batch left when ctx ends stay claimed: the
// next run releases them when it starts (store.ReleaseClaims).
func (sc *Scheduler) work(ctx context.Context, w *worker, done chan<- *worker) {
	for {
		select {
		case <-ctx.Done():
			return
		case rows := <-w.rows:
			for _, n := range rows {
				if ctx.Err() != nil {
					break
				}
				sc.deliver(ctx, n)
			}
			done <- w
		}
	}
}

// dispatch claims what is due at now: first the rows of channels without
// a sender (inline keeps those), handled here at once since that is fast
// (a skip, or a fan-out expanded into rows of the running channels), then
// a batch of up to 50 rows for each idle worker, oldest first.
func (sc *Scheduler) dispatch(ctx context.Context, now time.Time, workers []*worker, inline store.ChannelFilter) error {
	// A read first: most wakes find nothing due, and claiming takes the
	// write lock that clicks are waiting for.
	next, ok, err := sc.store.NextNotificationDueIn(ctx, store.ChannelFilter{Except: busyChannels(workers)})
	if err != nil {
		return err
	}
	if !ok || next.After(now) {
		return nil
	}
	for {
		rows, err := sc.store.ClaimDueNotificationsIn(ctx, inline, now, sc.Lease, 50)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, n := range rows {
			if ctx.Err() != nil {
				return nil // the next run releases the rest
			}
			sc.deliver(ctx, n)
		}
	}
	for _, w := range workers {
		if w.busy || ctx.Err() != nil {
			continue
		}
		rows, err := sc.store.ClaimDueNotificationsIn(ctx, store.ChannelFilter{Only: []string{w.channel}}, now, sc.Lease, 50)
		if err != nil {
			return err
		}
		if len(rows) > 0 {
			w.busy = true
			w.rows <- rows
		}
	}
	return nil
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
	if _, ok := outbox.FanOut(n); ok {
		if err := sc.fanOut(ctx, n); err != nil {
			sc.retry(ctx, n, err)
			return
		}
		if err := sc.store.MarkNotificationSent(ctx, n.ID, "", sc.clock.Now()); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("mark fan-out done", "err", err)
		}
		// The new rows may be another channel's: the loop looks again
		// (a worker's report would make it look too).
		sc.Wake()
		return
	}
	sender := sc.senders[n.Channel]
	if sender == nil {
		// The channel is not configured in this run ([discord] or [smtp]
		// missing): retrying cannot help, and a pending row would be
		// claimed again at every wake.
		reason := fmt.Sprintf("no sender for channel %s (not configured)", n.Channel)
		if err := sc.store.SkipNotification(ctx, n.ID, reason); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("skip", "err", err)
		}
		log.Warn("message skipped", "reason", reason)
		return
	}
	msgID, err := sender.Deliver(ctx, n)
	// What happened is recorded even when shutdown began meanwhile: a
	// message that went out and is not marked would go out again after
	// the restart.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err != nil {
		sc.retry(rctx, n, err)
		return
	}
	if err := sc.store.MarkNotificationSent(rctx, n.ID, msgID, sc.clock.Now()); err != nil {
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

// ErrPermanent, wrapped into a sender's error, says that trying again
// cannot help (the mail server refused the recipient for good): the row
// fails at once, and the sender has told whom it concerns.
var ErrPermanent = errors.New("permanent failure")

// retry records a failed attempt; after MaxAttempts the row fails and the
// group's coordinators are told in the group's channel.
func (sc *Scheduler) retry(ctx context.Context, n *store.Notification, cause error) {
	log := sc.logger.With("notification_id", n.ID, "meeting_id", n.MeetingID, "kind", n.Kind, "attempts", n.Attempts)
	if errors.Is(cause, ErrPermanent) {
		if err := sc.store.FailNotification(ctx, n.ID, cause.Error()); err != nil && !errors.Is(err, store.ErrNotFound) {
			log.Error("record failure", "err", err)
		}
		log.Warn("message failed for good", "err", cause)
		return
	}
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
	switch n.Kind {
	case outbox.KindDeliveryFailed, outbox.KindNotice, outbox.KindNoticeDM:
		return // do not report the failure of a report
	case outbox.KindSignIn:
		// A sign-in link concerns one person, who asks again when no mail
		// comes; telling the group would only say who tried to sign in.
		return
	}
	g, err := sc.store.Group(ctx, n.GroupID)
	if err != nil {
		return
	}
	report := &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: outbox.KindDeliveryFailed,
		Due: sc.clock.Now(), ChannelID: g.DiscordChannelID, IdempotencyKey: n.IdempotencyKey + ":failed",
		Payload: fmt.Sprintf(`{"failed_kind":%q}`, n.Kind)}
	if g.DiscordChannelID == "" {
		// No channel to say it in: the coordinators are told on their own
		// channels.
		payload, _ := json.Marshal(outbox.Notice{Subject: outbox.NoticeDeliveryFailed, MemberID: n.MemberID,
			Detail: string(n.Kind)}) // a struct of strings and ints always marshals
		report = &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: outbox.KindNotice,
			Due: sc.clock.Now(), Channel: store.ChannelEmail, ChannelID: outbox.GroupTarget(g),
			IdempotencyKey: "notice:" + n.IdempotencyKey + ":failed", Payload: string(payload)}
	}
	if _, err := sc.store.EnqueueNotifications(ctx, []*store.Notification{report}); err != nil {
		log.Error("enqueue failure report", "err", err)
	}
}

// stale says why a row should not be sent any more: its meeting was
// cancelled or has started (a reminder after the start is noise), or its
// minutes arrived. "" means send it. Rows that follow the meeting's state
// whatever it is (card edits, event syncs, the cancellation) are never
// stale.
func (sc *Scheduler) stale(ctx context.Context, n *store.Notification) (string, error) {
	switch n.Kind {
	case outbox.KindCancellation, outbox.KindDeliveryFailed, outbox.KindAnnouncementEdit, outbox.KindEventSync,
		outbox.KindMinutesFiled, outbox.KindNotice, outbox.KindNoticeDM:
		return "", nil
	}
	if n.MeetingID == 0 {
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
	case outbox.KindMinutesNudge, outbox.KindMinutesNudgeDM:
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
	if n.Kind == outbox.KindInvitation && outbox.Sequence(n) < m.Sequence {
		return "superseded: the meeting's time or place changed", nil
	}
	if !sc.clock.Now().Before(m.Start) {
		return "meeting already started", nil
	}
	return "", nil
}

// fanOut turns a fan-out row into one row per recipient and channel, due
// now: nudges to members who have not answered (or said maybe), minutes
// nudges and notices to the coordinators, on each member's own channels
// (store.Member.Reach); an e-mail row of the group to every member reached
// by e-mail (the cancellation only to those who were sent an invitation).
// E-mail recipients are left out when no e-mail sender runs or the group
// is not reached by e-mail; members with no channel at all are counted in
// the log.
func (sc *Scheduler) fanOut(ctx context.Context, n *store.Notification) error {
	m, err := sc.store.Meeting(ctx, n.MeetingID)
	if err != nil && !(errors.Is(err, store.ErrNotFound) && n.MeetingID == 0) {
		return err
	}
	g, err := sc.store.Group(ctx, n.GroupID)
	if err != nil {
		return err
	}
	members, err := sc.store.GroupMembers(ctx, n.GroupID)
	if err != nil {
		return err
	}
	coordinators := func() (to []*store.GroupMember) {
		for _, gm := range members {
			if m != nil && m.CoordinatorID != 0 {
				if gm.ID == m.CoordinatorID {
					to = append(to, gm)
				}
			} else if gm.Role == store.RoleCoordinator {
				to = append(to, gm)
			}
		}
		return to
	}
	var to []*store.GroupMember
	mailOnly := n.Channel == store.ChannelEmail && !slices.Contains([]outbox.Kind{outbox.KindNudge,
		outbox.KindMinutesNudge, outbox.KindNotice}, n.Kind)
	switch {
	case n.Kind == outbox.KindNudge:
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
				to = append(to, gm)
			}
		}
	case n.Kind == outbox.KindMinutesNudge:
		to = coordinators()
	case n.Kind == outbox.KindNotice:
		// A notice about no meeting goes to the group's coordinators.
		to = coordinators()
	case n.Kind == outbox.KindCancellation:
		invited, err := sc.store.MailRecipients(ctx, n.MeetingID, outbox.KindInvitation)
		if err != nil {
			return err
		}
		for _, gm := range members {
			if slices.Contains(invited, gm.ID) {
				to = append(to, gm)
			}
		}
	default:
		to = members
	}
	kind, _ := outbox.FanOut(n)
	mail := g.EmailEnabled && sc.senders[store.ChannelEmail] != nil
	chat := sc.senders[store.ChannelDiscord] != nil
	now := sc.clock.Now()
	rows := make([]*store.Notification, 0, len(to))
	unreachable := 0
	for _, gm := range to {
		discord, email := gm.Reach()
		if discord && !email && !chat && gm.Notify == store.NotifyAuto && gm.MailAddress() != "" {
			// "auto" means the channel that works: no bot runs here.
			email = true
		}
		// The group's own e-mail rows reach members by e-mail only: a
		// Discord member has the channel's posts.
		discord = discord && chat && !mailOnly
		email = email && mail
		if discord {
			rows = append(rows, &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: kind, Due: now,
				Channel: store.ChannelDiscord, MemberID: gm.ID, IdempotencyKey: outbox.FanOutKey(n.IdempotencyKey, gm.ID),
				Payload: n.Payload})
		}
		if email {
			key := outbox.FanOutKey(n.IdempotencyKey, gm.ID)
			if !mailOnly {
				key += ":mail"
			}
			rows = append(rows, &store.Notification{GroupID: n.GroupID, MeetingID: n.MeetingID, Kind: kind, Due: now,
				Channel: store.ChannelEmail, MemberID: gm.ID, IdempotencyKey: key, Payload: n.Payload})
		}
		if !discord && !email {
			unreachable++
		}
	}
	if unreachable > 0 && !mailOnly {
		sc.logger.Info("members without a channel to reach them", "notification_id", n.ID, "kind", n.Kind, "members", unreachable)
	}
	_, err = sc.store.EnqueueNotifications(ctx, rows)
	return err
}
