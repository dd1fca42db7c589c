package bot_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot"
	"coordbot/bot/discordtest"
	"coordbot/i18n"
	"coordbot/internal/testutil"
	"coordbot/meeting"
	"coordbot/scheduler"
	"coordbot/store"
)

const (
	channelID  = "5001"
	coordRole  = "7001"
	memberRole = "7002"
)

var (
	coordinator = discordtest.User{ID: "100", Username: "jana", GlobalName: "Jana Nováková", Roles: []string{coordRole, memberRole}}
	member      = discordtest.User{ID: "200", Username: "petr", GlobalName: "Petr Dvořák", Roles: []string{memberRole}}
	outsider    = discordtest.User{ID: "300", Username: "host", GlobalName: "Host"}
	// now is the bot's clock in the tests: 1 March 2027, 11:00 in Prague.
	now = time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
)

// env is a running bot on a real database, connected to the fake Discord,
// with the core it acts through and the scheduler that delivers the
// outbox through it, as serve wires them.
type env struct {
	t     testing.TB
	fake  *discordtest.Server
	store *store.Store
	core  *meeting.Service
	sched *scheduler.Scheduler
	bot   *bot.Bot
	group *store.Group
	logs  *testutil.SyncBuffer
	clock *testutil.Clock
	// idle hears each time the scheduler has handled every due row.
	idle chan struct{}
}

// settled waits until the outbox has no row left that is due at the
// clock's time: every card, edit and event sync the test caused is out.
func (e *env) settled() {
	e.t.Helper()
	c := ctx(e.t)
	for {
		open, err := e.store.Notifications(c, store.NotificationFilter{States: []string{store.NotificationPending, store.NotificationClaimed}})
		if err != nil {
			e.t.Fatal(err)
		}
		due := 0
		for _, n := range open {
			if !n.Due.After(e.clock.Now()) && (n.RetryAt.IsZero() || !n.RetryAt.After(e.clock.Now())) {
				due++
			}
		}
		if due == 0 {
			return
		}
		e.sched.Wake()
		select {
		case <-e.idle:
		case <-c.Done():
			e.t.Fatalf("the outbox did not settle: %d rows due\nlogs:\n%s", due, e.logs.String())
		}
	}
}

func newEnv(t testing.TB, locale string) *env {
	t.Helper()
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	// The fake drops a connection (CloseGateway, SendReconnect) only
	// after its first heartbeat, which the bot sends at a random point of
	// the first interval.
	fake.HeartbeatInterval = 100 * time.Millisecond
	s, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	g := &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky", DiscordChannelID: channelID,
		CoordinatorRoleID: coordRole, MemberRoleID: memberRole, Locale: i18n.Lang(locale),
		AgendaDeadline: 3 * 24 * time.Hour}
	if err := s.UpsertGroup(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, fake: fake, store: s, group: g, logs: &testutil.SyncBuffer{}, clock: testutil.NewClock(now)}
	s.Now = e.clock.Now
	e.core = meeting.New(s)
	e.core.Now = e.clock.Now
	// Card edits fall due at once on the driven clock; coalescing still
	// folds the changes made while one is pending.
	e.core.EditDelay = 0
	e.bot = e.startBot()
	return e
}

func (e *env) startBot() *bot.Bot {
	e.t.Helper()
	logger := slog.New(slog.NewTextHandler(e.logs, nil))
	b, err := bot.New(bot.Config{Token: e.fake.Token, GuildID: e.fake.GuildID, APIURL: e.fake.URL}, e.core, logger)
	if err != nil {
		e.t.Fatal(err)
	}
	b.Now = e.clock.Now
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := b.Start(ctx); err != nil {
		e.t.Fatal(err)
	}
	e.sched = scheduler.New(e.store, map[string]scheduler.Sender{store.ChannelDiscord: b}, e.clock, logger)
	e.core.Changed = e.sched.Wake
	// The hook keeps its own channel: a restart replaces e.idle while the
	// earlier scheduler still runs until cleanup.
	idle := make(chan struct{}, 1)
	e.idle = idle
	e.sched.Idle = func(time.Time) {
		select {
		case idle <- struct{}{}:
		default:
		}
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		e.sched.Run(sctx)
	}()
	e.t.Cleanup(func() {
		stop()
		<-done
		b.Stop(context.Background())
	})
	return b
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// do sends an interaction and returns the bot's answer.
func (e *env) do(in *discordgo.Interaction) *discordgo.InteractionResponse {
	e.t.Helper()
	resp, _, err := e.fake.Interact(ctx(e.t), in)
	if err != nil {
		e.t.Fatalf("interaction: %v\nlogs:\n%s", err, e.logs.String())
	}
	return resp
}

// text returns the answer's content, failing unless it is ephemeral when
// private says so.
func (e *env) text(resp *discordgo.InteractionResponse, private bool) string {
	e.t.Helper()
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data == nil {
		e.t.Fatalf("answer type %d, want a message: %+v", resp.Type, resp.Data)
	}
	if got := resp.Data.Flags&discordgo.MessageFlagsEphemeral != 0; got != private {
		e.t.Errorf("ephemeral = %v, want %v: %q", got, private, resp.Data.Content)
	}
	return resp.Data.Content
}

func str(name, value string) *discordgo.ApplicationCommandInteractionDataOption {
	return discordtest.StringOpt(name, value)
}

func (e *env) createMeeting(when string) *store.Meeting {
	e.t.Helper()
	resp := e.do(e.fake.SlashCommand(coordinator, channelID, "meeting", discordtest.SubCommand("create",
		str("title", "Jednání pracovní skupiny"), str("when", when), str("place", "Krajský úřad, Velká Hradební 3118/48"))))
	text := e.text(resp, true)
	if !strings.Contains(text, "je naplánována") {
		e.t.Fatalf("create: %q", text)
	}
	ms, err := e.store.Meetings(context.Background(), store.MeetingFilter{GroupID: e.group.ID, Descending: true, Limit: 1})
	if err != nil || len(ms) != 1 {
		e.t.Fatalf("meeting not stored: %v", err)
	}
	return ms[0]
}

// announcement waits until the meeting's announcement satisfies pred.
func (e *env) announcement(pred func(embed *discordgo.MessageEmbed) bool) *discordgo.Message {
	e.t.Helper()
	msgs, err := e.fake.WaitMessages(ctx(e.t), channelID, func(ms []*discordgo.Message) bool {
		for _, m := range ms {
			if len(m.Embeds) > 0 && pred(m.Embeds[0]) {
				return true
			}
		}
		return false
	})
	if err != nil {
		e.t.Fatalf("announcement never matched: %v; messages: %s", err, dump(e.fake.Messages(channelID)))
	}
	for _, m := range msgs {
		if len(m.Embeds) > 0 && pred(m.Embeds[0]) {
			return m
		}
	}
	return nil
}

func dump(ms []*discordgo.Message) string {
	var sb strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&sb, "\n- %s %q", m.ID, m.Content)
		for _, em := range m.Embeds {
			fmt.Fprintf(&sb, " [%s", em.Title)
			for _, f := range em.Fields {
				fmt.Fprintf(&sb, " | %s: %s", f.Name, f.Value)
			}
			sb.WriteString("]")
		}
	}
	return sb.String()
}

// dumpEvents shows scheduled events by value (their fields, not pointers).
func dumpEvents(evs []*discordgo.GuildScheduledEvent) string {
	var sb strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&sb, "\n- %s %q status %d start %s", ev.ID, ev.Name, ev.Status, ev.ScheduledStartTime.UTC().Format(time.RFC3339))
	}
	return sb.String()
}

func field(em *discordgo.MessageEmbed, name string) string {
	for _, f := range em.Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func TestStartRefusedTokenOrIntentIsAnError(t *testing.T) {
	e := newEnv(t, "cs")
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	b, err := bot.New(bot.Config{Token: "wrong", GuildID: e.fake.GuildID, APIURL: e.fake.URL}, e.core, logger)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = b.Start(ctx)
	if err == nil || !strings.Contains(err.Error(), "4004") || !strings.Contains(err.Error(), "COORDBOT_DISCORD_TOKEN") {
		t.Errorf("wrong token: %v", err)
	}
	b.Stop(ctx)
}
