package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"coordbot/bot/discordtest"
	"coordbot/internal/testutil"
)

// forward accepts on ln and pipes each connection to target, until the
// test ends.
func forward(t *testing.T, ln net.Listener, target string) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				d, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer d.Close()
				go func() { _, _ = io.Copy(d, c); d.Close() }()
				_, _ = io.Copy(c, d)
			}()
		}
	}()
}

// TestServeWaitsForAnUnreachableDiscord: serve with discord.api_url on a
// port where nothing listens yet starts anyway, logs one warning that
// names that URL (not discord.com), keeps trying with backoff and answers
// interactions once the API listens; the token never reaches the log.
// (It replaces TestServeFailsClearlyWhenDiscordIsUnreachable..., which
// expected serve to exit.)
func TestServeWaitsForAnUnreachableDiscord(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	// A port with nothing behind it, for now.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := discordConfig(t, fake, "")
	cfg.Discord.APIURL = "http://" + addr

	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run with Discord unreachable: %v\n%s", err, logs.String())
	}
	defer m.Close()
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "http://"+addr) || strings.Contains(out, "discord.com") {
		t.Errorf("no warning naming http://%s (and not discord.com):\n%s", addr, out)
	}

	// Now the API listens: the bot connects and answers.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	forward(t, ln, strings.TrimPrefix(fake.URL, "http://"))
	for !strings.Contains(logs.String(), "slash commands registered") {
		if ctx.Err() != nil {
			t.Fatalf("the bot never connected:\n%s", logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	coordinator := discordtest.User{ID: "100", Username: "jana", GlobalName: "Jana", Roles: []string{"7001"}}
	start := time.Now().Add(48 * time.Hour).In(time.UTC).Format("2006-01-02T15:04:05Z")
	resp, _, err := fake.Interact(ctx, fake.SlashCommand(coordinator, "5001", "meeting", discordtest.SubCommand("create",
		discordtest.StringOpt("title", "Jednání"), discordtest.StringOpt("when", start))))
	if err != nil || resp.Data == nil || !strings.Contains(resp.Data.Content, "je naplánována") {
		t.Fatalf("answer %+v %v\nlogs:\n%s", resp, err, logs.String())
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), fake.Token) {
		t.Error("the token reached the log")
	}
	if n := strings.Count(logs.String(), "discord unreachable"); n != 1 {
		t.Errorf("%d outage warnings, want one:\n%s", n, logs.String())
	}
}
