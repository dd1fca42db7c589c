package scheduler_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot"
	"coordbot/bot/discordtest"
	"coordbot/internal/testutil"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

const channelID = "5001"

type env struct {
	t     *testing.T
	fake  *discordtest.Server
	store *store.Store
	bot   *bot.Bot
	core  *meeting.Service
	sched *scheduler.Scheduler
	clock *testutil.Clock
	group *store.Group
	logs  *testutil.SyncBuffer
	stop  func()
	idle  chan time.Time
}

var prague, _ = time.LoadLocation("Europe/Prague")

// meetingStart is Tuesday 23 March 2027, 10:00 in Prague.
var meetingStart = time.Date(2027, 3, 23, 10, 0, 0, 0, prague)

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e := &env{t: t, fake: fake, store: s, clock: testutil.NewClock(start), logs: &testutil.SyncBuffer{}}
	s.Now = e.clock.Now
	e.group = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina", DiscordChannelID: channelID,
		Reminders: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour}, AgendaCall: 14 * 24 * time.Hour,
		AgendaDeadline: 3 * 24 * time.Hour, Nudge: 3 * 24 * time.Hour, MinutesNudge: 7 * 24 * time.Hour}
	if err := s.UpsertGroup(context.Background(), e.group); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	e.core = meeting.New(s)
	e.core.Now = e.clock.Now
	b, err := bot.New(bot.Config{Token: fake.Token, GuildID: fake.GuildID, APIURL: fake.URL,
		ArchiveAddress: "archiv@kr-ustecky.example"}, e.core, logger)
	if err != nil {
		t.Fatal(err)
	}
	b.Now = e.clock.Now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Stop(context.Background()) })
	e.bot = b
	e.sched = scheduler.New(s, map[string]scheduler.Sender{store.ChannelDiscord: b}, e.clock, logger)
	e.core.Changed = e.sched.Wake
	e.sched.Backoff = func(int) time.Duration { return time.Minute }
	e.idle = make(chan time.Time, 1000)
	e.sched.Idle = func(now time.Time) {
		select {
		case e.idle <- now:
		default:
		}
	}
	return e
}

// run starts the delivery loop; stop ends it and waits.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := e.sched.Run(ctx); err != nil {
			e.t.Error(err)
		}
	}()
	e.stop = func() { cancel(); <-done }
	e.t.Cleanup(func() { e.stop() })
}

func (e *env) meeting(start time.Time) *store.Meeting {
	e.t.Helper()
	// The meeting and its timeline, without the announcement card the
	// core would add: these tests count the timeline's messages.
	m := &store.Meeting{GroupID: e.group.ID, Title: "Jednání pracovní skupiny", Start: start, Place: "Krajský úřad"}
	err := e.store.Write(context.Background(), func(tx *store.Tx) error {
		if err := tx.CreateMeeting(m); err != nil {
			return err
		}
		return outbox.Plan(tx, e.group, m, e.clock.Now())
	})
	if err != nil {
		e.t.Fatal(err)
	}
	e.sched.Wake()
	return m
}

func ctxT(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// channelTexts waits until the channel holds n messages and returns their
// first lines.
func (e *env) channelTexts(n int) []string {
	e.t.Helper()
	msgs, err := e.fake.WaitMessages(ctxT(e.t), channelID, func(ms []*discordgo.Message) bool { return len(ms) >= n })
	if err != nil {
		e.t.Fatalf("waiting for %d messages: %v; have %d\nlogs:\n%s", n, err, len(e.fake.Messages(channelID)), e.logs.String())
	}
	var out []string
	for _, m := range msgs {
		line, _, _ := strings.Cut(m.Content, "\n")
		out = append(out, line)
	}
	return out
}

// outboxSettled wakes the loop and waits until it has handled every row
// due at the clock's time (the scheduler's Idle hook), without sleeping.
func (e *env) outboxSettled() {
	e.t.Helper()
	target := e.clock.Now()
	// Forget earlier rounds: only a round that starts after this call
	// counts (rows may have been added since).
	for len(e.idle) > 0 {
		<-e.idle
	}
	e.sched.Wake()
	ctx := ctxT(e.t)
	for {
		select {
		case now := <-e.idle:
			if !now.Before(target) {
				return
			}
		case <-ctx.Done():
			e.t.Fatalf("the loop did not settle at %v\nlogs:\n%s", target, e.logs.String())
		}
	}
}

func TestTimelineArrivesInOrderOnceAtItsInstants(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	e.run()
	m := e.meeting(meetingStart)
	type step struct {
		at   time.Time
		want string // the newest channel message's start
	}
	steps := []step{
		{time.Date(2027, 3, 9, 10, 0, 0, 0, prague), "📝 Posílejte body programu"},
		{time.Date(2027, 3, 16, 10, 0, 0, 0, prague), "⏰ Připomínka"},
		{time.Date(2027, 3, 20, 10, 0, 0, 0, prague), "📋 Schůzka „Jednání pracovní skupiny“"},
		{time.Date(2027, 3, 22, 10, 0, 0, 0, prague), "⏰ Připomínka"},
		{time.Date(2027, 3, 23, 9, 0, 0, 0, prague), "⏰ Připomínka"},
	}
	for i, st := range steps {
		// A second before its instant nothing new has been sent.
		e.clock.Set(st.at.Add(-time.Second))
		e.outboxSettled()
		if n := len(e.fake.Messages(channelID)); n != i {
			t.Fatalf("before %v: %d messages, want %d", st.at, n, i)
		}
		e.clock.Set(st.at)
		texts := e.channelTexts(i + 1)
		if !strings.HasPrefix(texts[i], st.want) {
			t.Errorf("message %d at %v = %q, want %q…", i, st.at, texts[i], st.want)
		}
	}
	// Sending again changes nothing: every key went out once.
	e.clock.Set(time.Date(2027, 3, 23, 9, 30, 0, 0, prague))
	e.outboxSettled()
	if n := len(e.fake.Messages(channelID)); n != len(steps) {
		t.Errorf("%d channel messages, want %d", n, len(steps))
	}
	sent, _ := e.store.Notifications(context.Background(), store.NotificationFilter{MeetingID: m.ID, States: []string{store.NotificationSent}})
	if len(sent) != 6 { // five channel messages and the nudge fan-out
		t.Errorf("%d sent rows, want 6", len(sent))
	}
}

func TestEditRecomputesAndCancelSendsOneNotice(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	e.run()
	m := e.meeting(meetingStart)
	// Moved a week later: the plan follows the new date.
	later := meetingStart.AddDate(0, 0, 7)
	if _, err := e.core.Edit(context.Background(), meeting.Operator(), m.ID, 0, meeting.Changes{Start: &later}); err != nil {
		t.Fatal(err)
	}
	pending, _ := e.store.Notifications(context.Background(), store.NotificationFilter{MeetingID: m.ID, States: []string{store.NotificationPending}})
	for _, n := range pending {
		if outbox.Planned(n.Kind) && n.Due.Before(time.Date(2027, 3, 16, 0, 0, 0, 0, prague)) {
			t.Errorf("%s still due %v after the meeting moved to 30. 3.", n.Kind, n.Due)
		}
	}
	e.clock.Set(time.Date(2027, 3, 16, 10, 0, 0, 0, prague)) // the old 7d reminder instant; now the agenda call
	texts := e.channelTexts(1)
	if !strings.HasPrefix(texts[0], "📝 Posílejte body programu schůzky „Jednání pracovní skupiny“ (út 30. 3. 2027 10:00)") {
		t.Errorf("after the move: %q", texts[0])
	}
	if _, err := e.core.Cancel(context.Background(), meeting.Operator(), m.ID, 0); err != nil {
		t.Fatal(err)
	}
	texts = e.channelTexts(2)
	if !strings.HasPrefix(texts[1], "❌ Schůzka „Jednání pracovní skupiny“ (út 30. 3. 2027 10:00) je zrušena") {
		t.Errorf("cancellation: %q", texts[1])
	}
	e.clock.Set(time.Date(2027, 4, 30, 10, 0, 0, 0, prague))
	e.outboxSettled()
	if n := len(e.fake.Messages(channelID)); n != 2 {
		t.Errorf("%d messages after the cancellation, want 2", n)
	}
}

func TestRestartAfterDowntimeCatchesUpAndSkipsThePast(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	m := e.meeting(meetingStart)
	// Down from 1 March until 23 March 9:30: the meeting is still ahead.
	e.clock.Set(time.Date(2027, 3, 23, 9, 30, 0, 0, prague))
	e.run()
	texts := e.channelTexts(5)
	if len(texts) != 5 || !strings.HasPrefix(texts[0], "📝") || !strings.HasPrefix(texts[4], "⏰") {
		t.Errorf("caught up: %q", texts)
	}
	e.stop()

	// A second meeting, and a downtime across its start: the reminders'
	// moment has passed, so they are skipped with the reason.
	m2 := e.meeting(time.Date(2027, 3, 25, 10, 0, 0, 0, prague))
	e.clock.Set(time.Date(2027, 3, 25, 10, 5, 0, 0, prague))
	e.run()
	e.outboxSettled()
	rows, _ := e.store.Notifications(context.Background(), store.NotificationFilter{MeetingID: m2.ID})
	for _, n := range rows {
		if n.Kind == outbox.KindMinutesNudge {
			if n.State != store.NotificationPending {
				t.Errorf("minutes nudge %s", n.State)
			}
			continue
		}
		if n.State != store.NotificationSkipped || n.LastError != "meeting already started" {
			t.Errorf("%s: %s %q, want skipped because the meeting started", n.Kind, n.State, n.LastError)
		}
	}
	if n := len(e.fake.Messages(channelID)); n != 5 {
		t.Errorf("%d messages, want the 5 of the first meeting", n)
	}
	_ = m
}

func TestCrashAfterSendBeforeMarkPostsOnce(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	e.meeting(meetingStart)
	e.clock.Set(time.Date(2027, 3, 9, 10, 0, 0, 0, prague))
	// A sender claims the agenda call, posts it, and dies before recording it.
	rows, err := e.store.ClaimDueNotifications(context.Background(), e.clock.Now(), 2*time.Minute, 10)
	if err != nil || len(rows) != 1 {
		t.Fatalf("claim: %v %v", rows, err)
	}
	if _, err := e.bot.Deliver(context.Background(), rows[0]); err != nil {
		t.Fatal(err)
	}
	// While the lease holds, the restarted service does not touch it.
	e.run()
	e.outboxSettled()
	if n := len(e.fake.Messages(channelID)); n != 1 {
		t.Fatalf("%d messages", n)
	}
	// After the lease it is sent again; Discord's nonce makes it the same message.
	e.clock.Set(e.clock.Now().Add(3 * time.Minute))
	e.outboxSettled()
	got, _ := e.store.Notifications(context.Background(), store.NotificationFilter{States: []string{store.NotificationSent}})
	if len(got) != 1 || got[0].Attempts != 2 {
		t.Fatalf("sent rows %+v", got)
	}
	msgs := e.fake.Messages(channelID)
	if len(msgs) != 1 || got[0].DiscordMessageID != msgs[0].ID {
		t.Errorf("%d messages (want 1), recorded id %s", len(msgs), got[0].DiscordMessageID)
	}
}

func TestNudgeDMsOnlyThoseWhoHaveNotAnswered(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	e.run()
	m := e.meeting(meetingStart)
	answers := map[string]string{"901": "yes", "902": "maybe", "903": "", "904": "no"}
	for uid, a := range answers {
		mem, err := e.store.EnsureDiscordMember(context.Background(), uid, "Člen "+uid)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.store.SetMembership(context.Background(), e.group.ID, mem.ID, store.RoleMember); err != nil {
			t.Fatal(err)
		}
		if a != "" {
			if err := e.store.SetRSVP(context.Background(), &store.RSVP{MeetingID: m.ID, MemberID: mem.ID, Answer: a}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.clock.Set(time.Date(2027, 3, 20, 10, 0, 0, 0, prague))
	for _, uid := range []string{"902", "903"} {
		dms, err := e.fake.WaitDMs(ctxT(t), uid, func(ms []*discordgo.Message) bool { return len(ms) == 1 })
		if err != nil {
			t.Fatalf("no nudge for %s: %v\n%s", uid, err, e.logs.String())
		}
		if !strings.Contains(dms[0].Content, "ještě nevíme, zda přijdete") || len(dms[0].Components) != 1 {
			t.Errorf("nudge %q", dms[0].Content)
		}
	}
	e.outboxSettled()
	for _, uid := range []string{"901", "904"} {
		if n := len(e.fake.DMs(uid)); n != 0 {
			t.Errorf("%s answered but got %d nudges", uid, n)
		}
	}
	// The button in the DM answers for the meeting's group.
	dm := e.fake.DMs("903")[0]
	resp, _, err := e.fake.Interact(ctxT(t), e.fake.Button(discordtest.User{ID: "903", Username: "u903"}, dm.ChannelID, dm.ID, fmt.Sprintf("rsvp-yes:%d", m.ID)))
	if err != nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "Přijdu") {
		t.Errorf("DM button: %+v %v", resp, err)
	}
}

func TestFailuresAreRetriedThenReported(t *testing.T) {
	e := newEnv(t, time.Date(2027, 3, 1, 9, 0, 0, 0, prague))
	e.sched.MaxAttempts = 3
	e.run()
	e.meeting(meetingStart)
	e.fake.Inject(discordtest.Fault{Method: "POST", PathPrefix: "/api/v9/channels/" + channelID + "/messages", Status: 500, Times: 3})
	at := time.Date(2027, 3, 9, 10, 0, 0, 0, prague)
	for i := 0; i < 3; i++ {
		e.clock.Set(at.Add(time.Duration(i) * time.Minute))
		e.outboxSettled()
	}
	texts := e.channelTexts(1)
	if !strings.HasPrefix(texts[0], "⚠️ Zprávu „agenda_call“") {
		t.Errorf("report %q", texts[0])
	}
	failed, _ := e.store.Notifications(context.Background(), store.NotificationFilter{States: []string{store.NotificationFailed}})
	if len(failed) != 1 || failed[0].Attempts != 3 || failed[0].Kind != outbox.KindAgendaCall {
		t.Errorf("failed rows %+v", failed)
	}
}
