package meeting_test

import (
	"sync"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/store"
)

// answerInOrder holds the store's write lock while the calls are submitted
// one after the other, each once the one before it waits, so that they
// queue in this order (after the first, which the drainer may take alone)
// and are committed together; then it lets them go.
func answerInOrder(t *testing.T, e *env, m *store.Meeting, calls []*answerCall, notes []string) {
	t.Helper()
	ctx := e.ctx()
	release, held, lockDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		lockDone <- e.store.Write(ctx, func(*store.Tx) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c.err = e.core.Answer(ctx, c.a, m.ID, c.inGroup, c.answer, notes[i], "")
		}()
		for meeting.AnswersWaiting(e.core) < i+1 {
			select {
			case <-tick.C:
			case <-ctx.Done():
				t.Fatalf("answer %d not submitted", i)
			}
		}
	}
	close(release)
	wg.Wait()
	if err := <-lockDone; err != nil {
		t.Fatal(err)
	}
}

// TestAnswersOfABatchAreWrittenInOrder: answers committed together end as
// if each had been written alone, in order. A user met for the first time
// who answers twice in one batch is created once, keeps the later answer
// and has both in the history; the second answer needs no role from the
// door, as the first recorded them as a member; notes with quotes and
// non-ASCII letters arrive intact.
func TestAnswersOfABatchAreWrittenInOrder(t *testing.T) {
	e := newEnv(t)
	m := e.create(start)
	newcomer := meeting.Actor{Via: store.ViaDiscord, DiscordUserID: "5151", DiscordName: "Nový Člen", DoorRole: store.RoleMember}
	bare := newcomer
	bare.DoorRole = "" // the door no longer vouches: the store knows them by now
	calls := []*answerCall{
		{a: member2, inGroup: e.group.ID, answer: store.AnswerYes},
		{a: member, inGroup: e.group.ID, answer: store.AnswerYes},
		{a: newcomer, inGroup: e.group.ID, answer: store.AnswerYes},
		{a: member, inGroup: e.group.ID, answer: store.AnswerMaybe},
		{a: bare, inGroup: e.group.ID, answer: store.AnswerNo},
	}
	notes := []string{"", "", `první "odpověď"`, "", "Přijdu později\\n, možná"}
	answerInOrder(t, e, m, calls, notes)
	for i, c := range calls {
		if c.err != nil {
			t.Errorf("answer %d: %v", i, c.err)
		}
	}
	id := e.memberID(newcomer)
	if role := e.role(e.group, id); role != store.RoleMember {
		t.Errorf("newcomer's role %q, want member", role)
	}
	got, err := e.store.RSVP(e.ctx(), m.ID, id)
	if err != nil || got.Answer != store.AnswerNo || got.Note != notes[4] || got.Via != store.ViaDiscord {
		t.Errorf("newcomer's answer %+v %v, want no with note %q", got, err, notes[4])
	}
	hist, err := e.store.RSVPHistory(e.ctx(), m.ID, id)
	if err != nil || len(hist) != 2 || hist[0].Answer != store.AnswerYes || hist[0].Note != notes[2] || hist[1].Answer != store.AnswerNo {
		t.Errorf("newcomer's history %v %v, want yes (%q) then no", hist, err, notes[2])
	}
	if got, err := e.store.RSVP(e.ctx(), m.ID, e.memberID(member)); err != nil || got.Answer != store.AnswerMaybe {
		t.Errorf("member's answer %+v %v, want the later maybe", got, err)
	}
	if counts, err := e.store.CountRSVPs(e.ctx(), m.ID); err != nil || counts.Yes != 1 || counts.Maybe != 1 || counts.No != 1 {
		t.Errorf("stored answers %+v %v, want 1 yes, 1 maybe, 1 no", counts, err)
	}
	if rows := e.rows(); rows["rsvp_history"] != 5 {
		t.Errorf("%d history rows, want 5", rows["rsvp_history"])
	}
}
