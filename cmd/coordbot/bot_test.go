package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/config"
	"coordbot/internal/testutil"
)

// discordConfig is a configuration for serve against the Discord fake, with
// one group in channel 5001 whose coordinators have role 7001; groupExtra
// adds keys to that group.
func discordConfig(t *testing.T, fake *discordtest.Server, groupExtra string) *config.Config {
	t.Helper()
	toml := `
[database]
path = "` + filepath.Join(t.TempDir(), "c.db") + `"

[discord]
guild_id = "` + fake.GuildID + `"
api_url = "` + fake.URL + `"

[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = "5001"
coordinator_role_id = "7001"
` + groupExtra
	cfg, err := config.Parse("test.toml", []byte(toml), func(k string) string {
		return map[string]string{"COORDBOT_DISCORD_TOKEN": fake.Token}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestServeRunsTheBotAgainstADiscordCompatibleAPI runs the real Main with
// discord.api_url pointing at the protocol-level fake.
func TestServeRunsTheBotAgainstADiscordCompatibleAPI(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg := discordConfig(t, fake, "")
	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	m.BotEditDelay = 20 * time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	defer m.Close()
	coordinator := discordtest.User{ID: "100", Username: "jana", GlobalName: "Jana", Roles: []string{"7001"}}
	start := time.Now().Add(48 * time.Hour).In(time.UTC).Format("2006-01-02T15:04:05Z")
	resp, _, err := fake.Interact(ctx, fake.SlashCommand(coordinator, "5001", "meeting", discordtest.SubCommand("create",
		discordtest.StringOpt("title", "Jednání pracovní skupiny"), discordtest.StringOpt("when", start))))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Data == nil || !strings.Contains(resp.Data.Content, "je naplánována") {
		t.Fatalf("answer %+v\nlogs:\n%s", resp.Data, logs.String())
	}
	if _, err := fake.WaitMessages(ctx, "5001", func(ms []*discordgo.Message) bool { return len(ms) == 1 && len(ms[0].Embeds) == 1 }); err != nil {
		t.Fatalf("no announcement: %v", err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"parts=bot", "slash commands registered", "interaction answered", "coordbot stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q", want)
		}
	}
	if strings.Contains(logs.String(), fake.Token) {
		t.Error("the token reached the log")
	}
}

// TestServeSendsAMeetingsRemindersInOrderOnce runs the real Main against
// the Discord fake: a meeting created by slash command, with reminders a
// few seconds before it, gets each reminder once, in order, at its second.
func TestServeSendsAMeetingsRemindersInOrderOnce(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	cfg := discordConfig(t, fake, `reminders = ["5s", "3s", "1s"]
agenda_call = "off"
agenda_deadline = "off"
nudge = "off"
minutes_nudge = "off"
`)
	prague, _ := time.LoadLocation("Europe/Prague")
	start := time.Date(2027, 3, 23, 10, 0, 0, 0, prague)
	clock := testutil.NewClock(start.Add(-10 * time.Second))
	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	m.Now, m.Clock, m.BotEditDelay = clock.Now, clock, 20*time.Millisecond
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	defer m.Close()
	coordinator := discordtest.User{ID: "100", Username: "jana", GlobalName: "Jana", Roles: []string{"7001"}}
	resp, _, err := fake.Interact(ctx, fake.SlashCommand(coordinator, "5001", "meeting", discordtest.SubCommand("create",
		discordtest.StringOpt("title", "Jednání pracovní skupiny"), discordtest.StringOpt("when", "23. 3. 2027 10:00"))))
	if err != nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "je naplánována") {
		t.Fatalf("create: %+v %v\n%s", resp, err, logs.String())
	}
	reminders := func(ms []*discordgo.Message) int {
		n := 0
		for _, msg := range ms {
			if strings.HasPrefix(msg.Content, "⏰ Připomínka") {
				n++
			}
		}
		return n
	}
	for i, at := range []time.Time{start.Add(-5 * time.Second), start.Add(-3 * time.Second), start.Add(-time.Second)} {
		clock.Set(at.Add(-500 * time.Millisecond))
		if n := reminders(fake.Messages("5001")); n != i {
			t.Fatalf("%d reminders before %v, want %d", n, at, i)
		}
		clock.Set(at)
		if _, err := fake.WaitMessages(ctx, "5001", func(ms []*discordgo.Message) bool { return reminders(ms) == i+1 }); err != nil {
			t.Fatalf("reminder %d at %v: %v\n%s", i+1, at, err, logs.String())
		}
	}
	clock.Set(start.Add(time.Hour))
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if n := reminders(fake.Messages("5001")); n != 3 {
		t.Errorf("%d reminders in the end, want 3", n)
	}
	if !strings.Contains(logs.String(), "parts=bot,scheduler") {
		t.Errorf("serve did not run the scheduler:\n%s", logs.String())
	}
}
