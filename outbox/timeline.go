package outbox

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"coordbot/store"
)

// Timeline returns the messages of meeting m of group g that are due at or
// after now, in due order; messages due at the same instant keep the order
// agenda call, agenda deadline, reminders (in their listed order), nudge,
// minutes nudge, then the e-mail rows (invitation, agenda call, agenda,
// e-mail reminders). Offsets whose moment has passed are skipped rather
// than sent in a burst, so a meeting planned two days ahead gets no 7-day
// reminder.
//
// The meeting's overrides win over the group's settings: m.Reminders when
// non-nil (an empty slice means no reminders), m.AgendaCall and
// m.AgendaDeadline when non-nil. A zero offset means that message is
// disabled; a negative one is an error. Due instants are computed with
// [DueAt] in the meeting's zone (the group's when the meeting has none).
//
// Chat rows target g.DiscordChannelID and exist only when the group has a
// channel. The nudges are fan-out rows that reach members on their own
// channels; they target the channel, or [GroupTarget] in a group without
// one. When g.EmailEnabled, e-mail fan-out rows (channel email, keys from
// [MailKey]) add the invitation (due now; its key names the meeting's
// SEQUENCE, so a change of time or place plans a new one), the call for
// agenda items, the compiled agenda and the e-mail reminders
// (g.EmailReminders). Only scheduled meetings have a timeline: a cancelled
// or held meeting gets nil. The rows are ready for store.EnqueueNotifications;
// enqueueing the same plan twice adds nothing.
func Timeline(g *store.Group, m *store.Meeting, now time.Time) ([]*store.Notification, error) {
	chat := g.DiscordChannelID != ""
	if m.Status != store.MeetingScheduled || (!chat && !g.EmailEnabled) {
		return nil, nil
	}
	loc, err := meetingLocation(g, m)
	if err != nil {
		return nil, err
	}
	agendaCall, agendaDeadline, reminders := g.AgendaCall, g.AgendaDeadline, g.Reminders
	if m.AgendaCall != nil {
		agendaCall = *m.AgendaCall
	}
	if m.AgendaDeadline != nil {
		agendaDeadline = *m.AgendaDeadline
	}
	if m.Reminders != nil {
		reminders = m.Reminders
	}

	// plan is the timeline before filtering, in tie-break order.
	type planned struct {
		kind   Kind
		offset time.Duration
		before time.Duration // the argument to DueAt: negative after the start
		mail   bool
	}
	var plan []planned
	if chat {
		plan = append(plan,
			planned{kind: KindAgendaCall, offset: agendaCall, before: agendaCall},
			planned{kind: KindAgendaDeadline, offset: agendaDeadline, before: agendaDeadline})
		for _, d := range reminders {
			plan = append(plan, planned{kind: KindReminder, offset: d, before: d})
		}
	}
	plan = append(plan,
		planned{kind: KindNudge, offset: g.Nudge, before: g.Nudge},
		planned{kind: KindMinutesNudge, offset: g.MinutesNudge, before: -g.MinutesNudge},
	)
	if g.EmailEnabled {
		plan = append(plan,
			planned{kind: KindAgendaCall, offset: agendaCall, before: agendaCall, mail: true},
			planned{kind: KindAgendaDeadline, offset: agendaDeadline, before: agendaDeadline, mail: true})
		for _, d := range g.EmailReminders {
			plan = append(plan, planned{kind: KindReminder, offset: d, before: d, mail: true})
		}
	}

	var out []*store.Notification
	if g.EmailEnabled {
		out = append(out, &store.Notification{GroupID: g.ID, MeetingID: m.ID, Kind: KindInvitation, Due: now.UTC(),
			Channel: store.ChannelEmail, ChannelID: GroupTarget(g),
			IdempotencyKey: MailKey(m.ID, time.Time{}, KindInvitation, "q"+strconv.Itoa(m.Sequence)),
			Payload:        sequencePayload(m.Sequence)})
	}
	seen := make(map[string]bool, len(plan))
	for _, p := range plan {
		if p.offset < 0 {
			return nil, fmt.Errorf("scheduler: meeting %d: negative %s offset %v", m.ID, p.kind, p.offset)
		}
		if p.offset == 0 {
			continue
		}
		offset := formatTimelineOffset(p.offset)
		key := Key(m.ID, m.Start, p.kind, offset)
		channel, target := store.ChannelDiscord, g.DiscordChannelID
		switch {
		case p.mail:
			key = MailKey(m.ID, m.Start, p.kind, offset)
			channel, target = store.ChannelEmail, GroupTarget(g)
		case !chat:
			channel, target = store.ChannelEmail, GroupTarget(g)
		}
		// A reminder listed twice would be a duplicate key in the outbox.
		if seen[key] {
			continue
		}
		seen[key] = true
		due := DueAt(m.Start, loc, p.before)
		if due.Before(now) {
			continue
		}
		payload := "{}"
		if p.kind == KindReminder {
			payload = reminderPayload(offset)
		}
		out = append(out, &store.Notification{
			GroupID:        g.ID,
			MeetingID:      m.ID,
			Kind:           p.kind,
			Due:            due.UTC(),
			Channel:        channel,
			ChannelID:      target,
			IdempotencyKey: key,
			Payload:        payload,
		})
	}
	slices.SortStableFunc(out, func(a, b *store.Notification) int { return a.Due.Compare(b.Due) })
	return out, nil
}

// CancellationNotices returns the messages announcing that meeting m of
// group g is cancelled, due now: the channel notice when the group has a
// channel, and when it is reached by e-mail the fan-out of the iMIP CANCEL
// (to those who were sent an invitation; its key and payload name the
// SEQUENCE the cancellation raised). Their keys do not depend on now, so a
// retried cancellation enqueues nothing new. It does not look at
// m.Status: the caller decides when a meeting is cancelled.
func CancellationNotices(g *store.Group, m *store.Meeting, now time.Time) []*store.Notification {
	var out []*store.Notification
	if g.DiscordChannelID != "" {
		out = append(out, &store.Notification{
			GroupID:        g.ID,
			MeetingID:      m.ID,
			Kind:           KindCancellation,
			Due:            now.UTC(),
			ChannelID:      g.DiscordChannelID,
			IdempotencyKey: Key(m.ID, m.Start, KindCancellation, ""),
			Payload:        "{}",
		})
	}
	if g.EmailEnabled {
		out = append(out, &store.Notification{
			GroupID:        g.ID,
			MeetingID:      m.ID,
			Kind:           KindCancellation,
			Due:            now.UTC(),
			Channel:        store.ChannelEmail,
			ChannelID:      GroupTarget(g),
			IdempotencyKey: MailKey(m.ID, time.Time{}, KindCancellation, "q"+strconv.Itoa(m.Sequence)),
			Payload:        sequencePayload(m.Sequence),
		})
	}
	return out
}

// Sequence reads the SEQUENCE an invitation or cancellation row was
// planned with (0 when its payload has none).
func Sequence(n *store.Notification) int {
	var p struct {
		Sequence int `json:"sequence"`
	}
	_ = json.Unmarshal([]byte(n.Payload), &p) // a payload without it is sequence 0
	return p.Sequence
}

// sequencePayload is the JSON payload of an invitation or cancellation.
func sequencePayload(seq int) string { return `{"sequence":` + strconv.Itoa(seq) + `}` }

// Key returns the idempotency key of a meeting's message, such as
// "m12:s1805792400:reminder:1d": the meeting id, its start instant in Unix
// seconds, the kind and the offset ("" for none, which leaves out the last
// part); a zero start leaves out the start (a message sent once per
// meeting, wherever it moves). Computing the same plan twice gives the same keys; moving the
// meeting or changing an offset gives new ones, so the outbox sends the
// messages of the new plan even when the old plan's were sent already.
func Key(meetingID int64, start time.Time, kind Kind, offset string) string {
	k := "m" + strconv.FormatInt(meetingID, 10)
	if !start.IsZero() {
		k += ":s" + strconv.FormatInt(start.Unix(), 10)
	}
	k += ":" + string(kind)
	if offset != "" {
		k += ":" + offset
	}
	return k
}

// FanOutKey returns the idempotency key of the direct message to a member
// that a fan-out row with key parentKey creates: parentKey + ":u" + the
// member's id.
func FanOutKey(parentKey string, memberID int64) string {
	return parentKey + ":u" + strconv.FormatInt(memberID, 10)
}

// DueAt returns when a message is due that is sent the offset before before
// the meeting starting at start (after it when before is negative), reckoned
// on the wall clock of loc: the whole days of the offset count as calendar
// days ([time.Time.AddDate] in loc), the rest as elapsed time. A "1d"
// reminder of a Monday 10:00 meeting thus fires on Sunday at 10:00 local
// time even when the clocks changed in between (23 or 25 hours earlier), and
// "7d" is the same wall-clock time a week earlier.
//
// The elapsed rest is taken first, next to the meeting, and the calendar
// days after that: "1d12h" before Monday 10:00 is Sunday 22:00 moved one
// calendar day back, Saturday 22:00, whatever the clocks did on Sunday
// night. Only when the rest itself spans the change does the wall clock
// show it (12 hours before Sunday 10:00 CEST, the morning of the spring
// change, is Saturday 21:00 CET). A calendar-day step that lands on a wall
// time the change skips or repeats is resolved by [time.Date]; in
// Europe/Prague the skipped 02:30 becomes 03:30 CEST and the repeated 02:30
// is the second one, CET.
func DueAt(start time.Time, loc *time.Location, before time.Duration) time.Time {
	const day = 24 * time.Hour
	days := before / day // truncates towards zero, so negative offsets mirror positive ones
	rest := before - days*day
	return start.In(loc).Add(-rest).AddDate(0, 0, -int(days))
}

// meetingLocation loads the zone the meeting was planned in, or the group's
// when the meeting has none (time.LoadLocation would read "" as UTC).
func meetingLocation(g *store.Group, m *store.Meeting) (*time.Location, error) {
	if m.TimeZone == "" {
		loc, err := g.Location()
		if err != nil {
			return nil, fmt.Errorf("scheduler: meeting %d: %w", m.ID, err)
		}
		return loc, nil
	}
	loc, err := time.LoadLocation(m.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("scheduler: meeting %d: %w", m.ID, err)
	}
	return loc, nil
}

// reminderPayload is the JSON payload of a reminder row.
func reminderPayload(offset string) string {
	b, _ := json.Marshal(struct {
		Offset string `json:"offset"`
	}{offset}) // a struct of one string always marshals
	return string(b)
}

// formatTimelineOffset writes an offset the way the configuration file does
// ("7d", "1h", "30m", "1d12h"), so keys and payloads read like the setting
// that produced them. It mirrors config.FormatOffset, which the scheduler
// does not import: packages meet only in cmd/coordbot.
func formatTimelineOffset(d time.Duration) string {
	if d <= 0 || d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	for _, u := range []struct {
		sym  string
		unit time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if n := d / u.unit; n > 0 {
			b.WriteString(strconv.FormatInt(int64(n), 10) + u.sym)
			d -= n * u.unit
		}
	}
	return b.String()
}
