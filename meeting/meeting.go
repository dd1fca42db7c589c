// Package meeting is coordbot's core: the use cases of a coordinator
// group's meetings and members (create, edit, cancel, record a past
// meeting, answer, propose and order agenda items, record attendance, file
// minutes, add and remove members).
//
// The doors around it (the Discord bot, the command line, and later e-mail
// and web pages) only parse input, call a use case and render its result.
// The rules live here once: who may do what, until when, what is refused
// and with which sentence (a [*Refusal] the door shows in the group's
// language). Each use case is one store transaction that writes the domain
// rows and the outbox rows they cause (package outbox), so a crash after
// the commit loses nothing and a crash before it leaves nothing half done.
package meeting

import (
	"context"
	"errors"
	"fmt"
	"time"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

// Service runs the use cases over one store.
type Service struct {
	store *store.Store
	// Now is the clock that decides "in the past", "has started" and when
	// outbox rows are due; tests replace it.
	Now func() time.Time
	// Changed, when set, is called after every commit that added outbox
	// rows; serve wakes the scheduler with it. Another process's commits
	// are noticed by the scheduler itself.
	Changed func()
	// EditDelay is how long a card edit waits for more changes to ride
	// along (default outbox.EditDelay, 2 s).
	EditDelay time.Duration

	// answers commits concurrent answers together; see answerBatcher.
	answers answerBatcher
}

// New returns the core over s, on the wall clock.
func New(s *store.Store) *Service {
	return &Service{store: s, Now: time.Now, EditDelay: outbox.EditDelay}
}

// Store returns the store the core works on, for the doors' read-only
// queries.
func (s *Service) Store() *store.Store { return s.store }

// Actor is who acts, as the door knows them.
type Actor struct {
	// Via names the door: store.ViaDiscord, ViaCLI, ViaEmail or ViaWeb.
	Via string
	// Operator is the person at the shell: trusted with every group, and
	// acting for the member named by MemberID when a use case needs one.
	Operator bool
	// MemberID is the acting member when the door knows them by id.
	MemberID int64
	// DiscordUserID and DiscordName identify a Discord user; the member is
	// found, or created on first contact, in the use case's transaction.
	DiscordUserID, DiscordName string
	// DoorRole is the role in the group the door vouches for from outside
	// the store (the group's Discord member or coordinator role):
	// store.RoleMember, store.RoleCoordinator or "". A member the door
	// vouches for is recorded as one on first contact.
	DoorRole string
}

// Operator returns the actor of the command line.
func Operator() Actor { return Actor{Via: store.ViaCLI, Operator: true} }

// write runs fn in one store transaction and, when it added outbox rows,
// tells Changed after the commit. Most clicks add none (their card edit is
// already pending), and do not wake the scheduler for nothing.
func (s *Service) write(ctx context.Context, fn func(tx *store.Tx) error) error {
	added := 0
	err := s.store.Write(ctx, func(tx *store.Tx) error {
		err := fn(tx)
		added = tx.Enqueued()
		return err
	})
	if err != nil {
		return err
	}
	if added > 0 && s.Changed != nil {
		s.Changed()
	}
	return nil
}

// actorIn resolves the actor in group g inside tx and checks they hold at
// least role need (store.RoleMember or store.RoleCoordinator). It returns
// the member id (0 for an operator acting for nobody) and the role they
// hold. A member vouched for by the door and not yet in the group is
// recorded as one, so they count in attendance lists and get nudges.
func actorIn(tx *store.Tx, g *store.Group, a Actor, need string) (int64, string, error) {
	p, err := resolveActor(tx, g, a, need, nil)
	if err != nil {
		return 0, "", err
	}
	return p.record(tx)
}

// actorPlan is an actor resolved in a group by reading only: what
// actorIn writes for them (the member on first contact, their role) is
// left to record, so that a use case can finish its checks before it
// writes anything. The answers of a batch rely on that: a refused answer
// has written nothing, and needs no savepoint to be undone.
type actorPlan struct {
	g *store.Group
	a Actor
	// id is the member, 0 when they are to be created (or for an operator
	// acting for nobody).
	id int64
	// role is the role they hold once recorded; stored the one the store
	// has now.
	role, stored string
}

// resolveActor is actorIn's reading half: it looks the actor up and
// refuses one without role need, writing nothing. known, when not nil,
// holds what a batch of answers has read already of its Discord users in
// g (see [store.Tx.DiscordMemberRoles]) and kept up to date with what it
// wrote since: a Discord user missing from it is met for the first time.
func resolveActor(tx *store.Tx, g *store.Group, a Actor, need string, known map[string]store.DiscordRole) (*actorPlan, error) {
	if a.Operator {
		return &actorPlan{g: g, a: a, id: a.MemberID, role: store.RoleCoordinator, stored: store.RoleCoordinator}, nil
	}
	p := &actorPlan{g: g, a: a, id: a.MemberID}
	switch {
	case p.id == 0 && a.DiscordUserID != "" && known != nil:
		k := known[a.DiscordUserID] // a user not in it: first contact
		p.id, p.stored = k.MemberID, k.Role
	case p.id == 0 && a.DiscordUserID != "":
		var err error
		p.id, p.stored, err = tx.DiscordMemberRole(g.ID, a.DiscordUserID)
		if errors.Is(err, store.ErrNotFound) {
			p.id, p.stored = 0, "" // first contact: created by record
		} else if err != nil {
			return nil, err
		}
	case p.id != 0:
		ms, err := tx.MembershipOf(g.ID, p.id)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if ms != nil {
			p.stored = ms.Role
		}
	default:
		return nil, refuse(textNotMember)
	}
	p.role = a.role(p.stored)
	if err := permit(p.role, need); err != nil {
		return nil, err
	}
	return p, nil
}

// record is actorIn's writing half: it creates a Discord user met for the
// first time as a member and records the role the door vouches for. It
// returns the member id and role.
func (p *actorPlan) record(tx *store.Tx) (int64, string, error) {
	if p.a.Operator {
		return p.id, p.role, nil
	}
	if p.id == 0 {
		id, err := tx.EnsureDiscordMemberID(p.a.DiscordUserID, p.a.DiscordName)
		if err != nil {
			return 0, "", err
		}
		p.id = id
	}
	if p.role != p.stored {
		if err := tx.SetMembership(p.g.ID, p.id, p.role); err != nil {
			return 0, "", err
		}
		p.stored = p.role
	}
	return p.id, p.role, nil
}

// role is the role the actor holds in a group where the store records
// stored for them: the door's coordinator role wins, the door's member
// role counts for someone the store does not know yet.
func (a Actor) role(stored string) string {
	switch {
	case a.DoorRole == store.RoleCoordinator:
		return store.RoleCoordinator
	case stored == "":
		return a.DoorRole
	}
	return stored
}

// permit refuses a role that falls short of need.
func permit(role, need string) error {
	switch {
	case need == store.RoleCoordinator && role != store.RoleCoordinator:
		return refuse(textNotCoordinator)
	case role == "":
		return refuse(textNotMember)
	}
	return nil
}

// meetingIn loads a meeting and its group in tx; an unknown meeting is a
// refusal. inGroup, when not 0, is the group the door acts in (a Discord
// channel's): a meeting of another group is unknown there.
func meetingIn(tx *store.Tx, id, inGroup int64) (*store.Meeting, *store.Group, error) {
	m, g, err := tx.MeetingWithGroup(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && inGroup != 0 && m.GroupID != inGroup) {
		return nil, nil, refuse(textNoMeeting)
	}
	if err != nil {
		return nil, nil, err
	}
	return m, g, nil
}

// coordinatorOn loads a meeting and its group in tx and checks that a
// coordinator of that group acts: the prologue of every use case that
// changes a meeting.
func coordinatorOn(tx *store.Tx, a Actor, meetingID, inGroup int64) (*store.Meeting, *store.Group, error) {
	m, g, err := meetingIn(tx, meetingID, inGroup)
	if err != nil {
		return nil, nil, err
	}
	if _, _, err := actorIn(tx, g, a, store.RoleCoordinator); err != nil {
		return nil, nil, err
	}
	return m, g, nil
}

// Location loads the zone a meeting's times are shown in: its own, else
// its group's.
func Location(g *store.Group, m *store.Meeting) *time.Location {
	zone := g.TimeZone
	if m != nil && m.TimeZone != "" {
		zone = m.TimeZone
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// Lang is the language of a group's messages.
func Lang(g *store.Group) i18n.Lang { return g.Locale }

// Refusal is a use case's "no": bad input, a missing permission, a meeting
// that is over. The door shows Message in the user's language; nothing is
// logged as an error.
type Refusal struct {
	Text i18n.Text
	Args []any
}

// Error implements error, in English (for logs and tests).
func (r *Refusal) Error() string { return "meeting: " + r.Message(i18n.English) }

// Message is the sentence in lang.
func (r *Refusal) Message(lang i18n.Lang) string {
	args := make([]any, len(r.Args))
	for i, a := range r.Args {
		switch v := a.(type) {
		case i18n.Text:
			args[i] = v.In(lang)
		case when:
			args[i] = i18n.FormatDateTime(v.t, v.loc, lang)
		default:
			args[i] = a
		}
	}
	return r.Text.In(lang, args...)
}

// when is an instant shown in the reader's language.
type when struct {
	t   time.Time
	loc *time.Location
}

func refuse(t i18n.Text, args ...any) error { return &Refusal{Text: t, Args: args} }

// IsRefusal reports whether err is a refusal and returns it.
func IsRefusal(err error) (*Refusal, bool) {
	var r *Refusal
	ok := errors.As(err, &r)
	return r, ok
}

// StatusName names a meeting status.
func StatusName(status string) i18n.Text {
	switch status {
	case store.MeetingCancelled:
		return textStatusCancelled
	case store.MeetingHeld:
		return textStatusHeld
	}
	return textStatusScheduled
}

func notOpen(m *store.Meeting) error {
	return refuse(textMeetingNotOpen, m.Title, StatusName(m.Status))
}

// errorf wraps a store error with the use case's name.
func errorf(op string, err error) error { return fmt.Errorf("meeting: %s: %w", op, err) }

// Can checks, without writing anything, that a holds at least role need
// (store.RoleMember or store.RoleCoordinator) in group groupID: the check
// of actions that only read, such as a coordinator's attendance prompt or
// the year's report. It returns a refusal when they do not.
func (s *Service) Can(ctx context.Context, a Actor, groupID int64, need string) error {
	if a.Operator {
		return nil
	}
	stored := ""
	switch {
	case a.MemberID != 0:
		ms, err := s.store.MembershipOf(ctx, groupID, a.MemberID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if ms != nil {
			stored = ms.Role
		}
	case a.DiscordUserID != "":
		_, role, err := s.store.DiscordMemberRole(ctx, groupID, a.DiscordUserID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		stored = role
	}
	return permit(a.role(stored), need)
}
