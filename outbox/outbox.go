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
	"encoding/json"
	"fmt"
	"strconv"
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
	// KindInvitation is the e-mail invitation to a meeting (an iMIP
	// REQUEST). Like every e-mail kind it is first a fan-out row of the
	// group (channel email, no member) that expands into one row per
	// recipient; its payload carries the meeting's SEQUENCE, and a change
	// of time or place plans a new one.
	KindInvitation Kind = "invitation"
	// KindNotice is a fan-out row that tells the group's coordinators
	// something on their own channel (Discord DM or e-mail): a bounce, a
	// refused recipient, an answer that could not be read. It expands into
	// KindNoticeDM rows; the payload is a [Notice].
	KindNotice Kind = "notice"
	// KindNoticeDM is one coordinator's copy of a KindNotice.
	KindNoticeDM Kind = "notice_dm"
	// KindSignIn is the e-mail with a sign-in link to the web pages: one
	// member, no meeting (the group is the member's first, for the row's
	// required group and the mail's language), channel email, never a
	// fan-out and never stale. The payload names the login_links row
	// ([SignInPayload]); the mail goes to the address that row was made
	// for, which the member asked with.
	KindSignIn Kind = "sign_in"
)

// SignInKey is the idempotency key of the sign-in mail of login link
// linkID.
func SignInKey(linkID int64) string { return "signin:" + strconv.FormatInt(linkID, 10) }

// SignInPayload is the payload of a KindSignIn row: {"link":linkID}.
func SignInPayload(linkID int64) string { return fmt.Sprintf(`{"link":%d}`, linkID) }

// SignInLink reads the login link's id from a KindSignIn row's payload.
func SignInLink(n *store.Notification) (int64, error) {
	var p struct {
		Link int64 `json:"link"`
	}
	if err := json.Unmarshal([]byte(n.Payload), &p); err != nil || p.Link <= 0 {
		return 0, fmt.Errorf("outbox: sign-in row %d: payload %q names no link", n.ID, n.Payload)
	}
	return p.Link, nil
}

// Planned reports whether rows of kind come from [Timeline] and are
// replaced when the meeting changes.
func Planned(kind Kind) bool {
	switch kind {
	case KindAgendaCall, KindAgendaDeadline, KindReminder, KindNudge, KindMinutesNudge, KindInvitation:
		return true
	}
	return false
}

// FanOut returns the kind of the one-recipient rows that row n expands
// into, and false for a row that is sent as it is. The nudges and notices
// expand into direct messages on each recipient's channels; an e-mail row
// of the group (channel email, no member: the invitation, the call for
// agenda items, the agenda, a reminder, the cancellation) expands into
// rows of the same kind, one per e-mail recipient.
func FanOut(n *store.Notification) (Kind, bool) {
	if n.MemberID != 0 {
		return "", false
	}
	switch n.Kind {
	case KindNudge:
		return KindNudgeDM, true
	case KindMinutesNudge:
		return KindMinutesNudgeDM, true
	case KindNotice:
		return KindNoticeDM, true
	}
	if n.Channel == store.ChannelEmail {
		return n.Kind, true
	}
	return "", false
}

// GroupTarget is the channel_id of a group's rows that no Discord channel
// carries (e-mail fan-outs, and nudges of a group without a channel): the
// outbox needs a target, and these rows are expanded, never sent as they
// are.
func GroupTarget(g *store.Group) string { return "group:" + strconv.FormatInt(g.ID, 10) }

// MailKey returns the idempotency key of a meeting's e-mail fan-out row:
// [Key] + ":mail", so it never meets the chat row of the same kind and
// offset.
func MailKey(meetingID int64, start time.Time, kind Kind, offset string) string {
	return Key(meetingID, start, kind, offset) + ":mail"
}

// Notice is the payload of a KindNotice row: what the coordinators are
// told. Subject names the case; the other fields say whom and what it
// concerns, and are empty when they do not apply.
type Notice struct {
	// Subject is one of the Notice* constants.
	Subject   string `json:"subject"`
	MemberID  int64  `json:"member_id,omitempty"`
	Address   string `json:"address,omitempty"`
	ArchiveID int64  `json:"archive_id,omitempty"`
	// Detail is the server's answer or the reason, for the coordinator.
	Detail string `json:"detail,omitempty"`
}

// Subjects of a [Notice].
const (
	// NoticeBounce: mail to a member's address failed for good (a
	// delivery status report, or the server refused the recipient); the
	// address gets no more mail.
	NoticeBounce = "bounce"
	// NoticeUnreadableAnswer: a reply to coordbot's mail was kept but
	// could not be read as an answer or an agenda item.
	NoticeUnreadableAnswer = "unreadable_answer"
	// NoticeRefusedAnswer: an answer by mail was read but the core
	// refused it (the meeting was cancelled or has started, the sender is
	// not the member the answer names...).
	NoticeRefusedAnswer = "refused_answer"
	// NoticeDeliveryFailed: a message failed for good in a group without
	// a Discord channel to say so in; Detail names its kind.
	NoticeDeliveryFailed = "delivery_failed"
)

// Tell adds a notice to the group's coordinators, due now. key makes it
// idempotent (the same bounce reported twice tells them once).
func Tell(tx *store.Tx, g *store.Group, meetingID int64, key string, notice Notice, now time.Time) error {
	payload, err := json.Marshal(notice)
	if err != nil {
		return fmt.Errorf("outbox: notice: %w", err)
	}
	channel, target := store.ChannelDiscord, g.DiscordChannelID
	if target == "" {
		channel, target = store.ChannelEmail, GroupTarget(g)
	}
	_, err = tx.Enqueue(&store.Notification{GroupID: g.ID, MeetingID: meetingID, Kind: KindNotice, Due: now.UTC(),
		Channel: channel, ChannelID: target, IdempotencyKey: "notice:" + key, Payload: string(payload)})
	return err
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
		// A one-recipient row was expanded from a row already sent; it
		// goes out (or is found stale when it is due).
		if n.MemberID != 0 {
			continue
		}
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

// InviteLate adds, for a member who joins group g after its meetings were
// planned, the e-mail invitation to each scheduled meeting still ahead,
// due now, when the member is reached by e-mail. The row's key is the one
// the invitation's fan-out gives this member, so a member the fan-out
// reaches too (it had not run yet) gets one invitation, not two.
func InviteLate(tx *store.Tx, g *store.Group, member *store.Member, now time.Time) error {
	if !g.EmailEnabled {
		return nil
	}
	if _, email := member.Reach(); !email {
		return nil
	}
	meetings, err := tx.ScheduledAfter(g.ID, now)
	if err != nil {
		return err
	}
	for _, m := range meetings {
		parent := MailKey(m.ID, time.Time{}, KindInvitation, "q"+strconv.Itoa(m.Sequence))
		if _, err := tx.Enqueue(&store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindInvitation,
			Due: now.UTC(), Channel: store.ChannelEmail, MemberID: member.ID,
			IdempotencyKey: FanOutKey(parent, member.ID), Payload: sequencePayload(m.Sequence)}); err != nil {
			return err
		}
	}
	return nil
}
