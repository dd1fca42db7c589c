package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/config"
)

// TestServeRunsTheBotAgainstADiscordCompatibleAPI runs the real Main with
// discord.api_url pointing at the protocol-level fake.
func TestServeRunsTheBotAgainstADiscordCompatibleAPI(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := t.TempDir()
	toml := `
[database]
path = "` + filepath.Join(dir, "c.db") + `"

[discord]
guild_id = "` + fake.GuildID + `"
api_url = "` + fake.URL + `"

[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = "5001"
coordinator_role_id = "7001"
`
	cfg, err := config.Parse("test.toml", []byte(toml), func(k string) string {
		return map[string]string{"COORDBOT_DISCORD_TOKEN": fake.Token}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
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

// syncBuffer is a log sink the bot's goroutines may write to concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
