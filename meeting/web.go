package meeting

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"coordbot/outbox"
	"coordbot/store"
)

// Lifetimes of the web pages' sign-in.
const (
	// SignInTTL is how long a mailed sign-in link works (once).
	SignInTTL = 15 * time.Minute
	// SessionTTL is how long a session opened by a sign-in lives; it is
	// not extended by use.
	SessionTTL = 30 * 24 * time.Hour
	// SignInLimit is how many sign-in links a member can be sent within
	// SignInWindow; further requests send nothing.
	SignInLimit  = 3
	SignInWindow = time.Hour
)

// RequestSignIn mails a sign-in link to address when it is a member's
// address that does not bounce: in one transaction, a login_links row and
// an outbox row of kind outbox.KindSignIn (channel e-mail, to the member,
// due now, payload {"link":ID}, key "signin:<ID>") that the mailer sends to
// that very address. For an address that is no member's, one that
// bounces, a member in no group (the outbox row needs a group), or past
// SignInLimit links in SignInWindow, it does nothing and returns nil: the
// page says the same either way, so nobody learns who is a member. A
// malformed address is a refusal (it tells nothing about members).
func (s *Service) RequestSignIn(ctx context.Context, address string) error {
	addr, err := CheckEmail(address)
	if err != nil {
		return err
	}
	now := s.Now()
	err = s.write(ctx, func(tx *store.Tx) error {
		// Cheap housekeeping on the way: expired sessions, old links.
		if err := tx.PruneWeb(now); err != nil {
			return err
		}
		m, err := tx.MemberByEmail(addr)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if slices.Contains(m.Bounced, addr) {
			return nil
		}
		// The limit counts per member (all their addresses together), so
		// a member with two addresses gets no more mail than one with one.
		n, err := tx.CountLoginLinks(m.ID, now.Add(-SignInWindow))
		if err != nil {
			return err
		}
		if n >= SignInLimit {
			return nil
		}
		groups, err := tx.MemberGroups(m.ID)
		if err != nil {
			return err
		}
		if len(groups) == 0 {
			return nil
		}
		link, err := tx.CreateLoginLink(m.ID, addr, now.Add(SignInTTL))
		if err != nil {
			return err
		}
		// The group only gives the row its required group and the mail its
		// language and sender name: the member's first group by slug.
		_, err = tx.Enqueue(&store.Notification{GroupID: groups[0].ID, Kind: outbox.KindSignIn, Due: now.UTC(),
			Channel: store.ChannelEmail, MemberID: m.ID, IdempotencyKey: outbox.SignInKey(link.ID),
			Payload: outbox.SignInPayload(link.ID)})
		return err
	})
	if err != nil {
		return errorf("request sign-in", err)
	}
	return nil
}

// SignIn uses up sign-in link linkID (once, before it expires) and opens
// a session of SessionTTL for its member, in one transaction: it returns
// the session cookie's value and the member. A link that is unknown, used
// already or expired is a refusal; so is a link mailed to an address the
// member no longer has or that bounces since.
func (s *Service) SignIn(ctx context.Context, linkID int64) (cookie string, m *store.Member, err error) {
	now := s.Now()
	err = s.write(ctx, func(tx *store.Tx) error {
		if err := tx.PruneWeb(now); err != nil {
			return err
		}
		link, err := tx.UseLoginLink(linkID, now)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return refuse(textSignInUnknown)
		case errors.Is(err, store.ErrLinkUsed):
			return refuse(textSignInUsed)
		case errors.Is(err, store.ErrLinkExpired):
			return refuse(textSignInExpired, int(SignInTTL/time.Minute))
		case err != nil:
			return err
		}
		m, err = tx.Member(link.MemberID)
		if err != nil {
			return err
		}
		// The address was checked at the request; the member's addresses
		// may have changed in the minutes since.
		if !slices.Contains(m.Emails, link.Address) || slices.Contains(m.Bounced, link.Address) {
			return refuse(textSignInUnknown)
		}
		cookie, err = tx.CreateSession(m.ID, now, now.Add(SessionTTL))
		return err
	})
	if _, ok := IsRefusal(err); ok {
		return "", nil, err
	}
	if err != nil {
		return "", nil, errorf(fmt.Sprintf("sign in with link %d", linkID), err)
	}
	return cookie, m, nil
}

// SignOut ends the session the cookie's value opens; signing out of a
// session that has ended already is not an error.
func (s *Service) SignOut(ctx context.Context, cookie string) error {
	if err := s.store.EndSession(ctx, cookie); err != nil {
		return errorf("sign out", err)
	}
	return nil
}
