package meeting

import (
	"context"
	"strings"
	"time"
	"unicode"

	"coordbot/outbox"
	"coordbot/store"
)

// Limits on what a meeting may be.
const (
	MaxTitle    = store.MaxAgendaTitle
	MinDuration = time.Minute
	MaxDuration = 24 * time.Hour
	// DefaultDuration is a meeting's length when none is given.
	DefaultDuration = 2 * time.Hour
)

// Draft is a meeting as a coordinator describes it.
type Draft struct {
	Title string
	// Start is the instant it begins (the door parses the typed date in
	// the group's zone).
	Start time.Time
	// Duration is DefaultDuration when zero.
	Duration  time.Duration
	Place     string
	OnlineURL string
	// Past records a meeting that already took place: it is stored as
	// held, with no announcement and no reminders, ready for attendance.
	Past bool
}

// Result is a meeting with its group, as a use case leaves it.
type Result struct {
	Meeting *store.Meeting
	Group   *store.Group
}

func checkTitle(title string) error {
	if strings.TrimSpace(title) == "" {
		return refuse(textEmptyTitle)
	}
	if len([]rune(title)) > MaxTitle {
		return refuse(textTitleTooLong, MaxTitle)
	}
	return nil
}

func checkDuration(d time.Duration) error {
	if d < MinDuration || d > MaxDuration {
		return refuse(textBadDuration)
	}
	return nil
}

// Create plans a meeting of group groupID. A coordinator acts. Unless the
// draft is Past, the start must be ahead; in the same transaction the
// meeting's timeline (agenda call, reminders, nudges), its announcement
// card and its Discord scheduled event are put in the outbox. A Past draft
// must lie behind and is stored as held, with nothing to send.
func (s *Service) Create(ctx context.Context, a Actor, groupID int64, d Draft) (*Result, error) {
	d.Title = singleLine(d.Title)
	if err := checkTitle(d.Title); err != nil {
		return nil, err
	}
	if d.Duration == 0 {
		d.Duration = DefaultDuration
	}
	if err := checkDuration(d.Duration); err != nil {
		return nil, err
	}
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		coordinator, _, err := actorIn(tx, g, a, store.RoleCoordinator)
		if err != nil {
			return err
		}
		now := s.Now()
		loc := Location(g, nil)
		switch {
		case !d.Past && !d.Start.After(now):
			return refuse(textInPast, when{d.Start, loc})
		case d.Past && d.Start.After(now):
			return refuse(textNotYetPast, when{d.Start, loc})
		}
		m := &store.Meeting{GroupID: g.ID, Title: d.Title, Start: d.Start, TimeZone: g.TimeZone, Duration: d.Duration,
			Place: singleLine(d.Place), OnlineURL: singleLine(d.OnlineURL), CoordinatorID: coordinator}
		if d.Past {
			m.Status = store.MeetingHeld
		}
		if err := tx.CreateMeeting(m); err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		if d.Past {
			return nil
		}
		if err := outbox.Plan(tx, g, m, now); err != nil {
			return err
		}
		return outbox.Announce(tx, g, m, now)
	})
	if err != nil {
		return nil, errorf("create", err)
	}
	return &res, nil
}

// Changes are the fields an edit sets; nil fields stay as they are.
type Changes struct {
	Title     *string
	Start     *time.Time
	Duration  *time.Duration
	Place     *string
	OnlineURL *string
}

// Edit changes a scheduled meeting. A coordinator acts; a new start must
// be ahead. The timeline is planned again (messages of the old time are
// skipped, those of the new one added), and the card and the scheduled
// event are brought up to date, in the same transaction. inGroup, when not
// 0, is the group the door acts in.
func (s *Service) Edit(ctx context.Context, a Actor, meetingID, inGroup int64, c Changes) (*Result, error) {
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if m.Status != store.MeetingScheduled {
			return notOpen(m)
		}
		now := s.Now()
		// The time and the place are what a calendar invitation is
		// about: changing them raises its SEQUENCE, so a new REQUEST goes
		// out and calendar clients take it over the old one.
		moved := func(old store.Meeting) bool {
			return !old.Start.Equal(m.Start) || old.Duration != m.Duration || old.Place != m.Place ||
				old.OnlineURL != m.OnlineURL
		}
		before := *m
		if c.Title != nil {
			t := singleLine(*c.Title)
			if err := checkTitle(t); err != nil {
				return err
			}
			m.Title = t
		}
		if c.Start != nil {
			if !c.Start.After(now) {
				return refuse(textInPast, when{*c.Start, Location(g, m)})
			}
			m.Start = *c.Start
		}
		if c.Duration != nil {
			if err := checkDuration(*c.Duration); err != nil {
				return err
			}
			m.Duration = *c.Duration
		}
		if c.Place != nil {
			m.Place = singleLine(*c.Place)
		}
		if c.OnlineURL != nil {
			m.OnlineURL = singleLine(*c.OnlineURL)
		}
		if moved(before) {
			m.Sequence++
		}
		if err := tx.UpdateMeeting(m); err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		if err := outbox.Plan(tx, g, m, now); err != nil {
			return err
		}
		if err := outbox.Refresh(tx, g, m, now, s.EditDelay); err != nil {
			return err
		}
		return outbox.SyncEvent(tx, g, m, now)
	})
	if err != nil {
		return nil, errorf("edit", err)
	}
	return &res, nil
}

// Cancel cancels a scheduled meeting. A coordinator acts. Its messages not
// yet sent are cancelled, and the cancellation notice, a card edit and the
// scheduled event's cancellation are put in the outbox, in the same
// transaction.
func (s *Service) Cancel(ctx context.Context, a Actor, meetingID, inGroup int64) (*Result, error) {
	var res Result
	err := s.write(ctx, func(tx *store.Tx) error {
		m, g, err := coordinatorOn(tx, a, meetingID, inGroup)
		if err != nil {
			return err
		}
		if m.Status != store.MeetingScheduled {
			return notOpen(m)
		}
		if m, err = tx.CancelMeeting(m.ID); err != nil {
			return err
		}
		res = Result{Meeting: m, Group: g}
		now := s.Now()
		if _, err := tx.Enqueue(outbox.CancellationNotices(g, m, now)...); err != nil {
			return err
		}
		if err := outbox.Refresh(tx, g, m, now, s.EditDelay); err != nil {
			return err
		}
		return outbox.SyncEvent(tx, g, m, now)
	})
	if err != nil {
		return nil, errorf("cancel", err)
	}
	return &res, nil
}

// singleLine trims text meant for one line (a title, a place, a name) and
// makes it safe for a terminal, a Discord card and an .ics file: a run of
// line breaks or tabs becomes one space, and every other control character
// (an ESC starting a terminal escape sequence, a bell, C1 controls, DEL) is
// dropped.
func singleLine(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	gap := false
	for _, r := range s {
		switch {
		case lineBreakOrTab(r):
			if !gap {
				b.WriteByte(' ')
			}
			gap = true
			continue
		case unicode.IsControl(r):
			continue
		}
		gap = false
		b.WriteRune(r)
	}
	return strings.TrimSpace(b.String())
}

// multiLine trims text that may hold several lines (agenda item details,
// a note): CRLF and CR become LF, tabs stay, every other control character
// is dropped.
func multiLine(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r == '\r' || r == '\u0085' || r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s))
}

// lineBreakOrTab reports whether r ends a line or is a tab.
func lineBreakOrTab(r rune) bool {
	switch r {
	case '\n', '\r', '\t', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}
