package store

import (
	"context"
	"database/sql"
	"errors"
)

// MailRecipients returns the members who were sent a mail of kind about
// the meeting (an e-mail row of theirs that was sent): the cancellation
// goes to those who got an invitation.
func (s *Store) MailRecipients(ctx context.Context, meetingID int64, kind NotificationKind) ([]int64, error) {
	return queryAll(ctx, s.rdb, "mail recipients", func(sc scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `
		SELECT DISTINCT member_id FROM notifications
		WHERE meeting_id = ? AND kind = ? AND channel = 'email' AND member_id IS NOT NULL AND state = 'sent'
		ORDER BY member_id`, meetingID, kind)
}

// SentMail returns the e-mail row that was sent with one of messageIDs
// (without angle brackets; a reply's In-Reply-To and References), the last
// one listed first, so the message a reply answers directly wins over the
// thread. ErrNotFound when none was coordbot's.
func (s *Store) SentMail(ctx context.Context, messageIDs []string) (*Notification, error) {
	for i := len(messageIDs) - 1; i >= 0; i-- {
		if messageIDs[i] == "" {
			continue
		}
		n, err := scanNotification(s.rdb.QueryRowContext(ctx, `SELECT `+notificationColumns+` FROM notifications
			WHERE channel = 'email' AND discord_message_id = ? AND discord_message_id <> ''`, messageIDs[i]))
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, dbError("sent mail", err)
		}
		return n, nil
	}
	return nil, ErrNotFound
}
