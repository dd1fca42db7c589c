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
// and are committed together; then it lets them go. Call i answers
// meeting ms[i], or m when ms is shorter.
func answerInOrder(t *testing.T, e *env, m *store.Meeting, calls []*answerCall, notes []string, ms ...*store.Meeting) {
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
		to := m
		if i < len(ms) {
			to = ms[i]
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, c.err = e.core.Answer(ctx, c.a, to.ID, c.inGroup, c.answer, notes[i], "")
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

// TestNewcomersOfABatchRefusedWriteNothing: users met for the first time
// in one batch are created together, each with the role the door vouches
// for, except those whose answer is refused (a meeting that has started,
// another group's meeting, no role from the door): they leave no member
// behind.
func TestNewcomersOfABatchRefusedWriteNothing(t *testing.T) {
	e := newEnv(t)
	early := e.create(t0.Add(day))
	m := e.create(start)
	e.clock.Set(t0.Add(2 * day))
	user := func(id, role string) meeting.Actor {
		return meeting.Actor{Via: store.ViaDiscord, DiscordUserID: id, DiscordName: "Nováček " + id, DoorRole: role}
	}
	calls := []*answerCall{
		{a: member2, inGroup: e.group.ID, answer: store.AnswerYes},
		{a: user("6001", store.RoleMember), inGroup: e.group.ID, answer: store.AnswerYes},
		{a: user("6002", store.RoleCoordinator), inGroup: e.group.ID, answer: store.AnswerNo},
		{a: user("6003", ""), inGroup: e.group.ID, answer: store.AnswerYes},
		{a: user("6004", store.RoleMember), inGroup: e.quiet.ID, answer: store.AnswerYes},
		{a: user("6005", store.RoleMember), inGroup: e.group.ID, answer: store.AnswerYes}, // to early
	}
	answerInOrder(t, e, m, calls, make([]string, len(calls)), m, m, m, m, m, early)
	for i, want := range []string{"", store.RoleMember, store.RoleCoordinator} {
		if calls[i].err != nil {
			t.Errorf("answer %d: %v", i, calls[i].err)
			continue
		}
		if role := e.role(e.group, e.memberID(calls[i].a)); want != "" && role != want {
			t.Errorf("answer %d: role %q, want %q", i, role, want)
		}
	}
	for _, c := range calls[3:] {
		if _, ok := meeting.IsRefusal(c.err); !ok {
			t.Errorf("answer by %s: %v, want a refusal", c.a.DiscordUserID, c.err)
		}
		if _, err := e.store.MemberByDiscordID(e.ctx(), c.a.DiscordUserID); err == nil {
			t.Errorf("refused %s was recorded as a member", c.a.DiscordUserID)
		}
	}
	if rows := e.rows(); rows["rsvps"] != 3 || rows["rsvp_history"] != 3 {
		t.Errorf("%d answers, %d history rows, want 3 and 3", rows["rsvps"], rows["rsvp_history"])
	}
}
