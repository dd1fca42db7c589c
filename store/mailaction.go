package store

import (
	"context"
	"encoding/json"
	"fmt"
)

// Types of a [MailAction].
const (
	// MailAnswer records a member's answer to a meeting (an iMIP REPLY or
	// a reply whose first line is a yes, a no or a maybe).
	MailAnswer = "answer"
	// MailPropose proposes an agenda item (a reply to the call for agenda
	// items).
	MailPropose = "propose"
	// MailBounce reports that mail to an address failed (a delivery
	// status notification).
	MailBounce = "bounce"
	// MailUnreadable is a reply to coordbot's mail that could not be read
	// as an answer: the coordinators are told, so no answer is lost.
	MailUnreadable = "unreadable"
)

// MailAction is what a stored message asks the core to do: the JSON in
// archive_messages.action. Package mail writes it when it files a reply or
// a bounce; the core carries it out and marks it done or refused in the
// same transaction. Fields that do not apply to the type stay empty.
type MailAction struct {
	Type      string `json:"type"`
	MeetingID int64  `json:"meeting_id,omitempty"`
	MemberID  int64  `json:"member_id,omitempty"`
	// Answer is AnswerYes, AnswerNo or AnswerMaybe; Note and Substitute
	// come with it.
	Answer     string `json:"answer,omitempty"`
	Note       string `json:"note,omitempty"`
	Substitute string `json:"substitute,omitempty"`
	// Title and Details are the proposed agenda item.
	Title   string `json:"title,omitempty"`
	Details string `json:"details,omitempty"`
	// Address, Status (an RFC 3463 code such as "5.1.1") and Diagnostic
	// describe a failed delivery.
	Address    string `json:"address,omitempty"`
	Status     string `json:"status,omitempty"`
	Diagnostic string `json:"diagnostic,omitempty"`
}

// Encode returns the action as the JSON stored in archive_messages.action.
func (a *MailAction) Encode() string {
	b, err := json.Marshal(a)
	if err != nil {
		panic("store: mail action: " + err.Error()) // plain strings and ints always marshal
	}
	return string(b)
}

// DecodeMailAction reads the JSON of archive_messages.action.
func DecodeMailAction(s string) (*MailAction, error) {
	var a MailAction
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("store: mail action: %w", err)
	}
	return &a, nil
}

// ArchiveAction reads a stored message without its raw bytes and
// attachments, inside the transaction that carries out its action: the
// action state read here is the one the same transaction then changes, so
// two runs cannot both see it pending.
func (t *Tx) ArchiveAction(id int64) (*ArchiveMessage, error) {
	m, err := scanArchiveMessage(t.QueryRowContext(t.ctx, `SELECT `+archiveColumns+` FROM archive_messages WHERE id = ?`, id))
	if err != nil {
		return nil, dbError(fmt.Sprintf("archive action %d", id), err)
	}
	return m, nil
}

// SetActionState marks a stored message's action ActionDone or
// ActionRefused; a refusal's reason goes into the message's reason.
func (t *Tx) SetActionState(id int64, state, reason string) error {
	if state != ActionDone && state != ActionRefused && state != ActionPending {
		return fmt.Errorf("store: set action state %q: %w", state, ErrInvalid)
	}
	res, err := t.ExecContext(t.ctx, `UPDATE archive_messages SET action_state = ?,
		reason = CASE WHEN ? = '' THEN reason ELSE ? END WHERE id = ? AND action <> ''`, state, reason, reason, id)
	if err != nil {
		return dbError("set action state", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("store: set action state of %d: %w", id, ErrNotFound)
	}
	return nil
}

// PendingMailActions returns the ids of stored messages whose action was
// not carried out yet, oldest first: what the intake finishes at start
// after a crash between storing a message and acting on it. The partial
// index archive_messages_action_pending keeps this cheap.
func (s *Store) PendingMailActions(ctx context.Context) ([]int64, error) {
	return queryAll(ctx, s.rdb, "pending mail actions", func(sc scanner) (int64, error) {
		var id int64
		return id, sc.Scan(&id)
	}, `SELECT id FROM archive_messages WHERE action_state = 'pending' ORDER BY id`)
}
