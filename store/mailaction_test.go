package store_test

import (
	"context"
	"errors"
	"testing"

	"coordbot/store"
)

func TestMailActionLifecycle(t *testing.T) {
	ctx := context.Background()
	s, _ := MustOpenStore(t)
	act := &store.MailAction{Type: store.MailAnswer, MeetingID: 7, MemberID: 3, Answer: store.AnswerNo, Note: "omlouvám se"}
	msgs := []*store.ArchiveMessage{
		{MessageID: "a@x", ContentHash: "a", Raw: []byte("a"), Kind: store.ArchiveReply, Action: act.Encode()},
		{MessageID: "b@x", ContentHash: "b", Raw: []byte("b")},
		{MessageID: "c@x", ContentHash: "c", Raw: []byte("c"), Kind: store.ArchiveBounce, Action: (&store.MailAction{Type: store.MailBounce}).Encode()},
	}
	if _, err := s.AddArchiveMessages(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	ids, err := s.PendingMailActions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 2 || ids[0] != msgs[0].ID || ids[1] != msgs[2].ID {
		t.Fatalf("pending %v, want [%d %d]", ids, msgs[0].ID, msgs[2].ID)
	}
	err = s.Write(ctx, func(tx *store.Tx) error {
		m, err := tx.ArchiveAction(msgs[0].ID)
		if err != nil {
			return err
		}
		if m.ActionState != store.ActionPending || m.Kind != store.ArchiveReply {
			t.Errorf("read kind %q state %q, want reply pending", m.Kind, m.ActionState)
		}
		got, err := store.DecodeMailAction(m.Action)
		if err != nil {
			return err
		}
		if *got != *act {
			t.Errorf("decoded %+v, want %+v", got, act)
		}
		if err := tx.SetActionState(msgs[0].ID, store.ActionDone, ""); err != nil {
			return err
		}
		if err := tx.SetActionState(msgs[2].ID, store.ActionRefused, "bounce refused: test"); err != nil {
			return err
		}
		if err := tx.SetActionState(msgs[1].ID, store.ActionDone, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("marking a message without action: %v, want ErrNotFound", err)
		}
		if err := tx.SetActionState(msgs[0].ID, "bogus", ""); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("bogus state: %v, want ErrInvalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if ids, err := s.PendingMailActions(ctx); err != nil || len(ids) != 0 {
		t.Errorf("pending after marking: %v, %v", ids, err)
	}
	refused, err := s.ArchiveMessageByID(ctx, msgs[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if refused.ActionState != store.ActionRefused || refused.Reason != "bounce refused: test" {
		t.Errorf("refused row: state %q reason %q", refused.ActionState, refused.Reason)
	}
	if _, err := store.DecodeMailAction("{"); err == nil {
		t.Error("broken JSON decoded")
	}
}
