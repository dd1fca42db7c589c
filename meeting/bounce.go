package meeting

import (
	"context"
	"errors"
	"strings"

	"coordbot/outbox"
	"coordbot/store"
)

// AddressBounced records that mail to address failed for good (a delivery
// status report said so, or the server refused the recipient) and tells
// the coordinators of each group the address's member belongs to, in one
// transaction. The address gets no more mail until the member's addresses
// change; their other addresses still do. meetingID (0 for none) is the
// meeting the failed mail was about; key makes the report idempotent (the
// failed row's key, or the report's Message-ID). An address that is no
// member's is reported as (nil, nil): there is nobody to stop mailing.
func (s *Service) AddressBounced(ctx context.Context, address, reason string, meetingID int64, key string) (*store.Member, error) {
	var member *store.Member
	err := s.write(ctx, func(tx *store.Tx) error {
		var err error
		member, err = s.addressBouncedTx(tx, address, reason, meetingID, key)
		return err
	})
	if err != nil {
		return nil, errorf("address bounced", err)
	}
	return member, nil
}

// addressBouncedTx is AddressBounced inside a transaction the caller owns:
// a delivery status report marks the address in the transaction that
// marks the report's action done.
func (s *Service) addressBouncedTx(tx *store.Tx, address, reason string, meetingID int64, key string) (*store.Member, error) {
	address = strings.ToLower(strings.TrimSpace(address))
	reason = cut(singleLine(reason), 500)
	m, err := tx.MarkBounced(address, reason)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	groups, err := tx.MemberGroups(m.ID)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		onMeeting := int64(0)
		if meetingID != 0 {
			if mt, err := tx.Meeting(meetingID); err == nil && mt.GroupID == g.ID {
				onMeeting = meetingID
			}
		}
		if err := outbox.Tell(tx, g, onMeeting, "bounce:"+key+":"+g.Slug, outbox.Notice{
			Subject: outbox.NoticeBounce, MemberID: m.ID, Address: address, Detail: reason}, s.Now()); err != nil {
			return nil, err
		}
	}
	return m, nil
}
