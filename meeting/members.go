package meeting

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

// Sentences of the member rules (the rest are in texts.go).
var (
	textEmailAlone = i18n.Text{CS: "„%s“: zapište jen adresu, např. %s.",
		EN: "“%s”: write the address alone, e.g. %s."}
	textEmailNoDomain = i18n.Text{CS: "Adresa „%s“ není platný e-mail (za @ nenásleduje doména).",
		EN: "“%s” is not a valid e-mail address (the part after @ is not a domain)."}
	textBadNotify = i18n.Text{CS: "Kanál oznámení „%s“ neznám: zadejte auto, discord, email nebo both.",
		EN: "Unknown notification channel “%s”: give auto, discord, email or both."}
	textNotifyNoEmail = i18n.Text{CS: "%s nemá e-mailovou adresu, na kterou lze psát (žádnou nebo se vrací); zadejte ji, nebo zvolte jiný kanál.",
		EN: "%s has no e-mail address mail can go to (none, or it bounces); give one or choose another channel."}
	textNotifyNoDiscord = i18n.Text{CS: "%s nemá Discord účet; zadejte ho, nebo zvolte jiný kanál.",
		EN: "%s has no Discord account; give it or choose another channel."}
)

// MemberInput is a member as a coordinator registers them.
type MemberInput struct {
	Name         string
	Organisation string
	// Emails are bare addresses; any case.
	Emails []string
	// DiscordID is the member's Discord user id (a snowflake), or "".
	DiscordID string
	// Role is store.RoleMember, store.RoleCoordinator, or "" to keep an
	// existing member's role (member for a new one).
	Role string
	// Notify is the channel preference (store.NotifyAuto, NotifyDiscord,
	// NotifyEmail, NotifyBoth), or "" to keep an existing member's
	// (NotifyAuto for a new one).
	Notify string
}

// AddedMember is a member as AddMember left them.
type AddedMember struct {
	Member  *store.Member
	Role    string
	Created bool
}

// AddMember registers a person in group groupID, or updates the person
// already known by one of the e-mail addresses or the Discord id (their
// addresses are added to, their name and organisation replaced when
// given). A coordinator acts.
func (s *Service) AddMember(ctx context.Context, a Actor, groupID int64, in MemberInput) (*AddedMember, error) {
	var res *AddedMember
	err := s.write(ctx, func(tx *store.Tx) error {
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		if _, _, err := actorIn(tx, g, a, store.RoleCoordinator); err != nil {
			return err
		}
		if res, err = addMember(tx, g, in); err != nil {
			return err
		}
		return outbox.InviteLate(tx, g, res.Member, s.Now())
	})
	if err != nil {
		return nil, errorf("add member", err)
	}
	return res, nil
}

// ImportMembers registers every person of a list in one transaction:
// all of them, or (on any refusal) none. It returns how many were new.
func (s *Service) ImportMembers(ctx context.Context, a Actor, groupID int64, list []MemberInput) (added, updated int, err error) {
	err = s.write(ctx, func(tx *store.Tx) error {
		added, updated = 0, 0
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		if _, _, err := actorIn(tx, g, a, store.RoleCoordinator); err != nil {
			return err
		}
		for i, in := range list {
			res, err := addMember(tx, g, in)
			if err != nil {
				return &RowError{Row: i + 1, Err: err}
			}
			if err := outbox.InviteLate(tx, g, res.Member, s.Now()); err != nil {
				return err
			}
			if res.Created {
				added++
			} else {
				updated++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, errorf("import members", err)
	}
	return added, updated, nil
}

// RowError says which entry of an imported list was refused (1 is the
// first).
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }

// Unwrap returns the refusal or store error of the row.
func (e *RowError) Unwrap() error { return e.Err }

// ParseEmails reads addresses separated by commas or semicolons (or spaces,
// when every word is an address); each must be a bare address, see
// [CheckEmail]. They come back lower-cased.
func ParseEmails(text string) ([]string, error) {
	var out []string
	for _, piece := range strings.FieldsFunc(text, func(c rune) bool { return c == ',' || c == ';' }) {
		piece = strings.TrimSpace(piece)
		if piece == "" {
			continue
		}
		addr, err := CheckEmail(piece)
		if err == nil {
			out = append(out, addr)
			continue
		}
		// "a@x.cz b@y.cz" is a list; "jana obec.cz" and "Jana <j@x.cz>"
		// are refused whole, so the message shows what was typed.
		words := strings.Fields(piece)
		if len(words) < 2 || strings.ContainsAny(piece, "<>\"") {
			return nil, err
		}
		var list []string
		for _, w := range words {
			a, werr := CheckEmail(w)
			if werr != nil {
				return nil, err
			}
			list = append(list, a)
		}
		out = append(out, list...)
	}
	return out, nil
}

// CheckEmail is the rule every door applies to a member's address: s must
// be one bare address (no display name, angle brackets or comment), whose
// part after @ is an Internet domain. It returns the address lower-cased,
// or a refusal that says what is wrong ("jana@", "jana obec.cz", "a@b@c",
// "Jana <jana@obec.cz>", "jana@obeccz").
func CheckEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	if err != nil || len(s) > 254 {
		return "", refuse(textBadEmail, s)
	}
	at := strings.LastIndexByte(a.Address, '@')
	domainOK := at > 0 && isMailDomain(a.Address[at+1:])
	if a.Address != s {
		// A display name, <brackets>, a comment or a quoted local part.
		if domainOK && !strings.ContainsAny(a.Address, " \"\\") {
			return "", refuse(textEmailAlone, s, strings.ToLower(a.Address))
		}
		return "", refuse(textBadEmail, s)
	}
	if !domainOK {
		return "", refuse(textEmailNoDomain, s)
	}
	return strings.ToLower(s), nil
}

// isMailDomain reports whether s looks like an Internet domain: at least
// two dot-separated labels of letters, digits and inner hyphens. It catches
// "jana@obeccz" and "jana@[10.0.0.1]", which net/mail accepts.
func isMailDomain(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return false
		}
		for _, c := range l {
			if c != '-' && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
				return false
			}
		}
	}
	return true
}

// checkNotify refuses a preference that is not one, and one that cannot
// reach the member: e-mail only without an address that works, Discord
// only without a Discord id. "both" and "auto" reach whatever is known.
func checkNotify(m *store.Member, notify string) error {
	switch {
	case !store.ValidNotify(notify):
		return refuse(textBadNotify, notify)
	case notify == store.NotifyEmail && m.MailAddress() == "":
		return refuse(textNotifyNoEmail, m.DisplayName)
	case notify == store.NotifyDiscord && m.DiscordUserID == "":
		return refuse(textNotifyNoDiscord, m.DisplayName)
	}
	return nil
}

func addMember(tx *store.Tx, g *store.Group, in MemberInput) (*AddedMember, error) {
	in.Name, in.Organisation, in.DiscordID = singleLine(in.Name), singleLine(in.Organisation), strings.TrimSpace(in.DiscordID)
	emails, err := ParseEmails(strings.Join(in.Emails, ","))
	if err != nil {
		return nil, err
	}
	if len(emails) == 0 && in.DiscordID == "" {
		return nil, refuse(textNoContact)
	}
	switch in.Role {
	case "", store.RoleMember, store.RoleCoordinator:
	default:
		return nil, refuse(textBadRole)
	}
	in.Notify = strings.ToLower(strings.TrimSpace(in.Notify))
	if in.Notify != "" && !store.ValidNotify(in.Notify) {
		return nil, refuse(textBadNotify, in.Notify)
	}
	// Find the one person these details point at.
	var found *store.Member
	take := func(m *store.Member, err error, conflict error) error {
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if found != nil && found.ID != m.ID {
			return conflict
		}
		found = m
		return nil
	}
	if in.DiscordID != "" {
		m, err := tx.MemberByDiscordID(in.DiscordID)
		if err := take(m, err, refuse(textDiscordTaken, in.DiscordID)); err != nil {
			return nil, err
		}
	}
	for _, e := range emails {
		m, err := tx.MemberByEmail(e)
		if err := take(m, err, refuse(textEmailTaken, e)); err != nil {
			return nil, err
		}
	}
	res := &AddedMember{Member: found}
	if found == nil {
		if in.Name == "" {
			return nil, refuse(textNoName)
		}
		res.Member = &store.Member{DisplayName: in.Name, Organisation: in.Organisation, Emails: emails,
			DiscordUserID: in.DiscordID, Notify: store.NotifyAuto}
		if in.Notify != "" {
			if err := checkNotify(res.Member, in.Notify); err != nil {
				return nil, err
			}
			res.Member.Notify = in.Notify
		}
		if err := tx.CreateMember(res.Member); err != nil {
			return nil, err
		}
		res.Created = true
	} else {
		m := found
		if in.DiscordID != "" && m.DiscordUserID != "" && m.DiscordUserID != in.DiscordID {
			return nil, refuse(textDiscordTaken, m.DiscordUserID)
		}
		if in.DiscordID != "" {
			m.DiscordUserID = in.DiscordID
		}
		if in.Name != "" {
			m.DisplayName = in.Name
		}
		if in.Organisation != "" {
			m.Organisation = in.Organisation
		}
		for _, e := range emails {
			if !slices.Contains(m.Emails, e) {
				m.Emails = append(m.Emails, e)
			}
		}
		if in.Notify != "" {
			if err := checkNotify(m, in.Notify); err != nil {
				return nil, err
			}
			m.Notify = in.Notify
		}
		if err := tx.UpdateMember(m); err != nil {
			return nil, err
		}
	}
	role := in.Role
	if role == "" {
		role = store.RoleMember
		if ms, err := tx.MembershipOf(g.ID, res.Member.ID); err == nil {
			role = ms.Role
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
	}
	if err := tx.SetMembership(g.ID, res.Member.ID, role); err != nil {
		return nil, err
	}
	res.Role = role
	return res, nil
}

// RemoveMember takes a member out of group groupID; their past answers and
// attendance stay. A coordinator acts.
func (s *Service) RemoveMember(ctx context.Context, a Actor, groupID, memberID int64) error {
	err := s.write(ctx, func(tx *store.Tx) error {
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		if _, _, err := actorIn(tx, g, a, store.RoleCoordinator); err != nil {
			return err
		}
		if err := tx.RemoveMembership(g.ID, memberID); errors.Is(err, store.ErrNotFound) {
			m, err := tx.Member(memberID)
			if err != nil {
				return err
			}
			return refuse(textNotInGroup, m.DisplayName, g.Name)
		} else if err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return errorf("remove member", err)
	}
	return nil
}

// Details are a member's own details; nil fields stay as they are.
type Details struct {
	Organisation *string
	// Emails replace the member's addresses.
	Emails *[]string
	// Notify is the channel preference: store.NotifyAuto, NotifyDiscord,
	// NotifyEmail or NotifyBoth.
	Notify *string
}

// SetDetails records a member's organisation, e-mail addresses and channel
// preference. A member
// sets their own (target nil); a coordinator may set someone else's (target
// names them by Discord id and name), which adds them to the group.
func (s *Service) SetDetails(ctx context.Context, a Actor, groupID int64, target *Actor, d Details) (*store.Member, error) {
	var out *store.Member
	err := s.write(ctx, func(tx *store.Tx) error {
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		var id int64
		if target != nil {
			if _, _, err := actorIn(tx, g, a, store.RoleCoordinator); err != nil {
				return err
			}
			t := *target
			if t.DoorRole == "" {
				t.DoorRole = store.RoleMember
			}
			if id, _, err = actorIn(tx, g, t, store.RoleMember); err != nil {
				return err
			}
		} else if id, _, err = actorIn(tx, g, a, store.RoleMember); err != nil {
			return err
		}
		m, err := tx.Member(id)
		if err != nil {
			return err
		}
		if d.Organisation != nil {
			m.Organisation = cut(singleLine(*d.Organisation), 200)
		}
		if d.Emails != nil {
			emails, err := ParseEmails(strings.Join(*d.Emails, ","))
			if err != nil {
				return err
			}
			m.Emails = emails
		}
		if d.Notify != nil {
			notify := strings.ToLower(strings.TrimSpace(*d.Notify))
			if notify == "" {
				notify = store.NotifyAuto
			}
			// m.Bounced still holds the marks read before: a kept address
			// keeps its mark, a new one has none, so MailAddress is right.
			if err := checkNotify(m, notify); err != nil {
				return err
			}
			m.Notify = notify
		}
		if err := tx.UpdateMember(m); errors.Is(err, store.ErrConflict) {
			return refuse(textEmailTaken, strings.Join(m.Emails, ", "))
		} else if err != nil {
			return err
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, errorf("member details", err)
	}
	return out, nil
}

// RoleHolder is a Discord user and the group roles they hold there.
type RoleHolder struct {
	DiscordID, Name string
	// Role is store.RoleCoordinator or store.RoleMember: the strongest of
	// the group's roles they hold; "" when they hold none.
	Role string
}

// SyncRoleHolders records the holders of a group's Discord roles as its
// members (creating unknown people, recording coordinators as such), so
// reminders count them and nudges reach them before they ever click. A
// holder with Role "" lost the group's roles and leaves a group whose
// membership is its member role. With
// complete (the door read the whole member list), Discord-linked members
// whose role was taken away are removed from the group; members added by
// e-mail and coordinators recorded by hand stay. It returns how many
// memberships it added or changed.
func (s *Service) SyncRoleHolders(ctx context.Context, groupID int64, holders []RoleHolder, complete bool) (int, error) {
	changed := 0
	err := s.write(ctx, func(tx *store.Tx) error {
		changed = 0
		g, err := tx.Group(groupID)
		if err != nil {
			return err
		}
		if g.MemberRoleID == "" && g.CoordinatorRoleID == "" {
			return nil
		}
		holding := map[string]bool{}
		for _, h := range holders {
			if h.Role == "" {
				// Lost the roles: out of a group whose membership is the role.
				id, stored, err := tx.DiscordMemberRole(g.ID, h.DiscordID)
				if err == nil && stored == store.RoleMember && g.MemberRoleID != "" {
					if err := tx.RemoveMembership(g.ID, id); err != nil {
						return err
					}
					changed++
				} else if err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				continue
			}
			holding[h.DiscordID] = true
			id, stored, err := tx.DiscordMemberRole(g.ID, h.DiscordID)
			if errors.Is(err, store.ErrNotFound) {
				m, err := tx.EnsureDiscordMember(h.DiscordID, singleLine(h.Name))
				if err != nil {
					return err
				}
				id, stored = m.ID, ""
			} else if err != nil {
				return err
			}
			role := h.Role
			if stored == store.RoleCoordinator {
				role = stored // a coordinator recorded by hand keeps it
			}
			if role != stored {
				if err := tx.SetMembership(g.ID, id, role); err != nil {
					return err
				}
				changed++
			}
		}
		if !complete || g.MemberRoleID == "" {
			return nil
		}
		members, err := tx.GroupMembers(g.ID)
		if err != nil {
			return err
		}
		for _, gm := range members {
			if gm.DiscordUserID != "" && gm.Role == store.RoleMember && !holding[gm.DiscordUserID] {
				if err := tx.RemoveMembership(g.ID, gm.ID); err != nil {
					return err
				}
				changed++
			}
		}
		return nil
	})
	if err != nil {
		return 0, errorf("sync role holders", err)
	}
	return changed, nil
}
