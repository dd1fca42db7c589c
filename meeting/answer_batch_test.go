package meeting_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/store"
)

// answerCall is one concurrent Answer of a test and what it returned.
type answerCall struct {
	a       meeting.Actor
	inGroup int64
	answer  string
	err     error
}

// answerAtOnce holds the store's write lock while every call is submitted,
// so that they pile up and are committed in one or two batches (the first
// drainer may have taken some before the rest came), then lets them go and
// waits for their results.
func answerAtOnce(t *testing.T, e *env, m *store.Meeting, calls []*answerCall) {
	t.Helper()
	ctx := e.ctx()
	release := make(chan struct{})
	held := make(chan struct{})
	lockDone := make(chan error, 1)
	go func() {
		lockDone <- e.store.Write(ctx, func(*store.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c.err = e.core.Answer(ctx, c.a, m.ID, c.inGroup, c.answer, "", "")
		}()
	}
	// The first batch waits for the lock; the answers after it queue.
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for meeting.AnswersWaiting(e.core) < len(calls) {
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("only %d of %d answers submitted", meeting.AnswersWaiting(e.core), len(calls))
		}
	}
	close(release)
	wg.Wait()
	if err := <-lockDone; err != nil {
		t.Fatal(err)
	}
}

// TestAnswersAtOnceCommitTogether has many people answer at once: their
// answers are committed in one batch, each exactly as if it had been
// alone. Members' answers are recorded (first contact creates them), the
// card gets one coalesced edit, outsiders are refused without a trace, and
// an answer to another group's meeting is refused.
func TestAnswersAtOnceCommitTogether(t *testing.T) {
	e := newEnv(t)
	m := e.create(start)
	var calls []*answerCall
	for i := range 40 {
		a := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: fmt.Sprint(1000 + i), DiscordName: fmt.Sprint("Člen ", i),
			DoorRole: store.RoleMember}
		calls = append(calls, &answerCall{a: a, inGroup: e.group.ID, answer: []string{store.AnswerYes, store.AnswerNo}[i%2]})
	}
	for i := range 3 {
		a := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: fmt.Sprint(3000 + i), DiscordName: "Host"}
		calls = append(calls, &answerCall{a: a, inGroup: e.group.ID, answer: store.AnswerYes})
	}
	calls = append(calls, &answerCall{a: member, inGroup: e.quiet.ID, answer: store.AnswerYes})
	answerAtOnce(t, e, m, calls)

	for i, c := range calls {
		switch {
		case i < 40:
			if c.err != nil {
				t.Errorf("member %d: %v", i, c.err)
			}
		case i < 43:
			if r, ok := meeting.IsRefusal(c.err); !ok || r.Message("cs") != czNotMember {
				t.Errorf("outsider %d: %v, want the refusal %q", i, c.err, czNotMember)
			}
			if _, err := e.store.MemberByDiscordID(e.ctx(), c.a.DiscordUserID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("outsider %d was recorded as a member: %v", i, err)
			}
		default:
			if _, ok := meeting.IsRefusal(c.err); !ok {
				t.Errorf("answer in another group's channel: %v, want a refusal", c.err)
			}
		}
	}
	counts, err := e.store.CountRSVPs(e.ctx(), m.ID)
	if err != nil || counts.Yes != 20 || counts.No != 20 {
		t.Errorf("stored answers %+v %v, want 20 yes and 20 no", counts, err)
	}
	for _, c := range calls[:40] {
		if role := e.role(e.group, e.memberID(c.a)); role != store.RoleMember {
			t.Errorf("%s has role %q in the group", c.a.DiscordUserID, role)
		}
	}
	if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
		t.Errorf("%d pending card edits, want 1", n)
	}
}

// TestAnswerFailingInABatchFailsAlone: when an answer of a batch fails for
// a reason other than a refusal (here a door the store's CHECK refuses,
// after the member's first contact was written), the batch is written
// again answer by answer: the others are recorded, the failing one leaves
// nothing behind.
func TestAnswerFailingInABatchFailsAlone(t *testing.T) {
	e := newEnv(t)
	m := e.create(start)
	var calls []*answerCall
	for i := range 10 {
		a := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: fmt.Sprint(1000 + i), DiscordName: fmt.Sprint("Člen ", i),
			DoorRole: store.RoleMember}
		if i == 4 {
			a.Via = "pigeon"
		}
		calls = append(calls, &answerCall{a: a, inGroup: e.group.ID, answer: store.AnswerMaybe})
	}
	answerAtOnce(t, e, m, calls)
	for i, c := range calls {
		if i == 4 {
			if !errors.Is(c.err, store.ErrInvalid) {
				t.Errorf("answer by pigeon: %v, want store.ErrInvalid", c.err)
			}
			if _, err := e.store.MemberByDiscordID(e.ctx(), c.a.DiscordUserID); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("the failed answer left its member behind: %v", err)
			}
			continue
		}
		if c.err != nil {
			t.Errorf("answer %d: %v", i, c.err)
		}
	}
	if counts, err := e.store.CountRSVPs(e.ctx(), m.ID); err != nil || counts.Maybe != 9 {
		t.Errorf("stored answers %+v %v, want 9 maybe", counts, err)
	}
	if n := e.count(m.ID, outbox.KindAnnouncementEdit, store.NotificationPending); n != 1 {
		t.Errorf("%d pending card edits, want 1", n)
	}
}

// TestAnswerGivenUpBeforeItsBatchWritesNothing: an answer whose caller's
// context ends while it waits for its batch is not written.
func TestAnswerGivenUpBeforeItsBatchWritesNothing(t *testing.T) {
	e := newEnv(t)
	m := e.create(start)
	before := e.rows()
	ctx, cancel := context.WithCancel(e.ctx())
	cancel()
	if _, err := e.core.Answer(ctx, member, m.ID, e.group.ID, store.AnswerYes, "", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("answer with an ended context: %v, want context.Canceled", err)
	}
	e.unchanged(t, before)
}

// TestEnsureDiscordMemberIDCreatesOnce: the one-statement first contact
// creates a member, and finds the same one when they exist already
// (store.Tx.EnsureDiscordMemberID, which the answers' batches use).
func TestEnsureDiscordMemberIDCreatesOnce(t *testing.T) {
	e := newEnv(t)
	var first, again int64
	if err := e.store.Write(e.ctx(), func(tx *store.Tx) error {
		var err error
		if first, err = tx.EnsureDiscordMemberID("4242", "Eva Malá"); err != nil {
			return err
		}
		again, err = tx.EnsureDiscordMemberID("4242", "Jiné jméno")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	m, err := e.store.MemberByDiscordID(e.ctx(), "4242")
	if err != nil || first == 0 || again != first || m.ID != first || m.DisplayName != "Eva Malá" {
		t.Errorf("ids %d and %d, member %+v %v: want one member named Eva Malá", first, again, m, err)
	}
}
