// Package outbox says what coordbot sends and when: the one set of message
// kinds, their idempotency keys, a meeting's timeline (a pure function of
// the meeting, its group and now), and the functions with which a use case
// writes the outbox rows it causes inside its own store transaction.
//
// Every outbound effect is a row: channel posts (the announcement card, the
// call for agenda items, the compiled agenda, reminders, the cancellation),
// announcement edits (one pending per meeting, coalesced), Discord
// scheduled-event syncs and direct messages. Package scheduler delivers the
// rows; the sender of each row's channel (the Discord bot now, e-mail next)
// renders them from the store's state at delivery time.
package outbox

import (
	"fmt"
	"time"

	"coordbot/store"
)

// Kind is what an outbox row delivers.
type Kind = store.NotificationKind

// The kinds, in one place.
const (
	// KindAnnouncement posts the meeting's card (details, answer counts,
	// agenda, buttons) in the group's channel and records it, so later
	// changes edit it.
	KindAnnouncement Kind = "announcement"
	// KindAnnouncementEdit brings the card up to date. At most one is
	// pending per meeting: changes while it waits ride along, because it
	// renders the store's state when it runs.
	KindAnnouncementEdit Kind = "announcement_edit"
	// KindEventSync makes the meeting's Discord scheduled event match the
	// meeting: created when missing, edited, or cancelled with it. At most
	// one is pending per meeting.
	KindEventSync Kind = "event_sync"
	// KindAgendaCall asks the channel for agenda items until the deadline,
	// with the propose button.
	KindAgendaCall Kind = "agenda_call"
	// KindAgendaDeadline posts the compiled, numbered agenda to the channel.
	KindAgendaDeadline Kind = "agenda_deadline"
	// KindReminder reminds the channel of the meeting, with RSVP counts and
	// buttons; its payload names the offset.
	KindReminder Kind = "reminder"
	// KindNudge is a fan-out row targeting the channel: when due, it expands
	// into one KindNudgeDM per member who has not answered or answered maybe.
	KindNudge Kind = "nudge"
	// KindNudgeDM is one direct message created by a KindNudge fan-out.
	KindNudgeDM Kind = "nudge_dm"
	// KindMinutesNudge is a fan-out row due after the meeting: if no minutes
	// are archived by then, it expands into a KindMinutesNudgeDM to each of
	// the meeting's coordinators.
	KindMinutesNudge Kind = "minutes_nudge"
	// KindMinutesNudgeDM is one direct message created by a KindMinutesNudge
	// fan-out.
	KindMinutesNudgeDM Kind = "minutes_nudge_dm"
	// KindCancellation is the one channel notice that a meeting is
	// cancelled; see [CancellationNotice].
	KindCancellation Kind = "cancellation"
	// KindMinutesFiled tells the channel that minutes of a meeting are in
	// the archive; its payload names the archive message.
	KindMinutesFiled Kind = "minutes_filed"
	// KindDeliveryFailed tells the group's channel that a row failed for
	// good; its payload names the failed kind.
	KindDeliveryFailed Kind = "delivery_failed"
)

// Planned reports whether rows of kind come from [Timeline] and are
// replaced when the meeting changes.
func Planned(kind Kind) bool {
	switch kind {
	case KindAgendaCall, KindAgendaDeadline, KindReminder, KindNudge, KindMinutesNudge:
		return true
	}
	return false
}

// FanOut returns the kind of the direct messages a fan-out row expands
// into, and false for a row that is sent as it is.
func FanOut(kind Kind) (Kind, bool) {
	switch kind {
	case KindNudge:
		return KindNudgeDM, true
	case KindMinutesNudge:
		return KindMinutesNudgeDM, true
	}
	return "", false
}

// EditDelay is how long an announcement edit waits, by default, for more
// changes to ride along: a burst of clicks becomes one edit.
const EditDelay = 2 * time.Second

// Plan brings a meeting's pending timeline rows in line with its current
// time and settings, in the use case's transaction: rows of an earlier plan
// (another start, another offset) are skipped, missing rows are added.
// Sent rows are left alone. A cancelled or held meeting has no timeline, so
// Plan then only skips what is left.
func Plan(tx *store.Tx, g *store.Group, m *store.Meeting, now time.Time) error {
	want, err := Timeline(g, m, now)
	if err != nil {
		return err
	}
	keep := make(map[string]bool, len(want))
	for _, n := range want {
		keep[n.IdempotencyKey] = true
	}
	pending, err := tx.PendingNotifications(m.ID)
	if err != nil {
		return err
	}
	for _, n := range pending {
		if Planned(n.Kind) && !keep[n.IdempotencyKey] {
			if err := tx.SkipNotification(n.ID, "replanned: the meeting changed"); err != nil {
				return err
			}
		}
	}
	_, err = tx.EnqueuePlan(want...)
	return err
}

// Announce adds the rows that present a new meeting in its group's
// channel: the announcement card and the scheduled event, both due now. A
// group without a Discord channel gets none.
func Announce(tx *store.Tx, g *store.Group, m *store.Meeting, now time.Time) error {
	if g.DiscordChannelID == "" {
		return nil
	}
	_, err := tx.Enqueue(
		&store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindAnnouncement, Due: now.UTC(),
			ChannelID: g.DiscordChannelID, IdempotencyKey: Key(m.ID, time.Time{}, KindAnnouncement, "")},
	)
	if err != nil {
		return err
	}
	return SyncEvent(tx, g, m, now)
}

// Refresh asks for the meeting's card to be edited delay from now (see
// EditDelay), unless an edit is pending already: it will show this change
// too.
func Refresh(tx *store.Tx, g *store.Group, m *store.Meeting, now time.Time, delay time.Duration) error {
	if g.DiscordChannelID == "" {
		return nil
	}
	_, err := tx.EnqueueCoalesced(&store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindAnnouncementEdit,
		Due: now.Add(delay).UTC(), ChannelID: g.DiscordChannelID})
	return err
}

// SyncEvent asks for the meeting's scheduled event to be brought in line
// with the meeting, now, unless a sync is pending already.
func SyncEvent(tx *store.Tx, g *store.Group, m *store.Meeting, now time.Time) error {
	if g.DiscordChannelID == "" {
		return nil
	}
	_, err := tx.EnqueueCoalesced(&store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindEventSync,
		Due: now.UTC(), ChannelID: g.DiscordChannelID})
	return err
}

// MinutesFiled adds the channel notice that archive message messageID was
// filed as minutes of meeting m.
func MinutesFiled(tx *store.Tx, g *store.Group, m *store.Meeting, messageID int64, now time.Time) error {
	if g.DiscordChannelID == "" {
		return nil
	}
	_, err := tx.Enqueue(&store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindMinutesFiled, Due: now.UTC(),
		ChannelID: g.DiscordChannelID, IdempotencyKey: fmt.Sprintf("m%d:%s:a%d", m.ID, KindMinutesFiled, messageID),
		Payload: fmt.Sprintf(`{"message_id":%d}`, messageID)})
	return err
}
