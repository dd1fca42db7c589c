package meeting

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"coordbot/i18n"
	"coordbot/outbox"
	"coordbot/store"
)

// MailAction carries out what a stored message asks (its
// store.MailAction): record an answer, propose an agenda item, mark a
// bouncing address, or tell the coordinators that a reply could not be
// read. The effect and the mark on the message (done, or refused with the
// reason) commit in one transaction, so a message's action happens exactly
// once however often this runs; a message whose action is no longer
// pending is left alone. A refusal by the core (the meeting was cancelled
// or has started, the member left the group) is not an error: the message
// stays kept, its action is marked refused and the coordinators are told.
// An error means nothing changed and the action is still pending.
func (s *Service) MailAction(ctx context.Context, archiveID int64) error {
	err := s.write(ctx, func(tx *store.Tx) error {
		row, err := tx.ArchiveAction(archiveID)
		if err != nil {
			return err
		}
		if row.ActionState != store.ActionPending {
			return nil
		}
		act, err := store.DecodeMailAction(row.Action)
		if err != nil {
			return tx.SetActionState(row.ID, store.ActionRefused, "unreadable action: "+err.Error())
		}
		a := Actor{Via: store.ViaEmail, MemberID: act.MemberID}
		switch act.Type {
		case store.MailAnswer:
			_, err = s.answerTx(tx, a, act.MeetingID, 0, act.Answer, act.Note, act.Substitute)
		case store.MailPropose:
			_, err = s.proposeTx(tx, a, act.MeetingID, 0, act.Title, act.Details)
		case store.MailBounce:
			if PermanentFailure(act.Status) {
				reason := strings.TrimSpace(act.Status + " " + act.Diagnostic)
				_, err = s.addressBouncedTx(tx, act.Address, reason, act.MeetingID, mailKey(row))
			}
		case store.MailUnreadable:
			err = s.tellAboutMail(tx, row, act, outbox.NoticeUnreadableAnswer, nil)
		default:
			return tx.SetActionState(row.ID, store.ActionRefused, "unknown action "+strconv.Quote(act.Type))
		}
		if r, ok := IsRefusal(err); ok {
			if err := s.tellAboutMail(tx, row, act, outbox.NoticeRefusedAnswer, r); err != nil {
				return err
			}
			return tx.SetActionState(row.ID, store.ActionRefused, act.Type+" refused: "+r.Message(i18n.English))
		}
		if err != nil {
			return err
		}
		return tx.SetActionState(row.ID, store.ActionDone, "")
	})
	if err != nil {
		return errorf("mail action "+strconv.FormatInt(archiveID, 10), err)
	}
	return nil
}

// PermanentFailure reports whether an RFC 3463 status code ("5.1.1") is a
// permanent failure; "4.x.x" (delayed, will be retried) is not.
func PermanentFailure(status string) bool { return strings.HasPrefix(strings.TrimSpace(status), "5") }

// mailKey is the idempotency key of what a stored message causes: its
// Message-ID, else its archive id.
func mailKey(row *store.ArchiveMessage) string {
	if row.MessageID != "" {
		return "mail:" + row.MessageID
	}
	return "archive:" + strconv.FormatInt(row.ID, 10)
}

// tellAboutMail tells the coordinators of the group the message is about
// (its meeting's, else the one it was filed under) that it could not be
// read or was refused (then r says why, in the group's language). A
// message about no known group tells nobody; it stays in the archive.
func (s *Service) tellAboutMail(tx *store.Tx, row *store.ArchiveMessage, act *store.MailAction, subject string, r *Refusal) error {
	meetingID, groupID := act.MeetingID, row.GroupID
	if meetingID != 0 {
		m, err := tx.Meeting(meetingID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if m != nil {
			groupID = m.GroupID
		} else {
			meetingID = 0
		}
	}
	if groupID == 0 {
		return nil
	}
	g, err := tx.Group(groupID)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	n := outbox.Notice{Subject: subject, MemberID: act.MemberID, ArchiveID: row.ID, Address: row.FromAddr}
	if r != nil {
		n.Detail = r.Message(Lang(g))
	}
	return outbox.Tell(tx, g, meetingID, subject+":"+mailKey(row), n, s.Now())
}
