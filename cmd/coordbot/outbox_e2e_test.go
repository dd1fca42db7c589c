package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/config"
	"coordbot/internal/testutil"
	"coordbot/store"
)

// fakeTOML is a configuration for serve and the shell against the Discord
// fake, both on the database in dir.
func fakeTOML(dir string, fake *discordtest.Server) string {
	return `
[database]
path = "` + filepath.Join(dir, "coordbot.db") + `"

[discord]
guild_id = "` + fake.GuildID + `"
api_url = "` + fake.URL + `"

[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = "5001"
coordinator_role_id = "7001"
`
}

// cards are the channel's messages that are meeting cards (an embed with
// buttons), as opposed to text notices.
func cards(ms []*discordgo.Message) []*discordgo.Message {
	var out []*discordgo.Message
	for _, m := range ms {
		if len(m.Embeds) == 1 && len(m.Components) == 1 {
			out = append(out, m)
		}
	}
	return out
}

func embedField(m *discordgo.Message, name string) string {
	for _, f := range m.Embeds[0].Fields {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

// TestShellCommandsReachDiscordThroughARunningServe runs the real serve
// against the Discord fake and a coordinator at the shell beside it, on
// the same database: `meeting add` is announced with a card and a
// scheduled event, answers given with `rsvp` change the card's counts in
// one coalesced edit, `meeting cancel` cancels the event and posts the
// notice. The shell's commits reach serve through the store's commit
// watcher, not the one-minute safety wake: the waits below are far
// shorter than a minute.
func TestShellCommandsReachDiscordThroughARunningServe(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "coordbot.toml", fakeTOML(dir, fake))
	cfg, err := config.Load(cfgPath, true, func(k string) string {
		return map[string]string{"COORDBOT_DISCORD_TOKEN": fake.Token}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs testutil.SyncBuffer
	m := NewMain(cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatalf("run: %v\n%s", err, logs.String())
	}
	defer m.Close()
	wait := func(what string, d time.Duration, pred func([]*discordgo.Message) bool) []*discordgo.Message {
		t.Helper()
		wctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		start := time.Now()
		ms, err := fake.WaitMessages(wctx, "5001", pred)
		if err != nil {
			t.Fatalf("%s: %v\nmessages: %d\nlogs:\n%s", what, err, len(fake.Messages("5001")), logs.String())
		}
		t.Logf("%s after %v", what, time.Since(start).Round(time.Millisecond))
		return ms
	}
	// The shell needs no token: it never talks to Discord.
	cli := func(args ...string) result {
		t.Helper()
		r := runCLIClock(t, time.Now, dir, nil, args...)
		if r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
		return r
	}
	for i, email := range []string{"jana@sumperk.example", "petr@zabreh.example", "eva@mohelnice.example"} {
		cli("member", "add", "-group", "pracovni-skupina", "-email", email, "-name", fmt.Sprintf("Člen %d", i+1))
	}
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	cli("meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání pracovní skupiny", "-start", start,
		"-place", "Krajský úřad")

	ms := wait("card posted", 10*time.Second, func(ms []*discordgo.Message) bool { return len(cards(ms)) == 1 })
	card := cards(ms)[0]
	if buttons := card.Components[0].(*discordgo.ActionsRow).Components; len(buttons) != 4 {
		t.Errorf("card has %d buttons, want 4", len(buttons))
	}
	evctx, evcancel := context.WithTimeout(ctx, 10*time.Second)
	defer evcancel()
	// WaitRequests runs its predicate under the fake's lock: look at the
	// requests only, and at the events once it returns.
	eventCall := func(method string) func([]discordtest.Request) bool {
		return func(rs []discordtest.Request) bool {
			for _, r := range rs {
				if r.Method == method && strings.HasPrefix(r.Path, "/api/v9/guilds/"+fake.GuildID+"/scheduled-events") &&
					r.Status >= 200 && r.Status < 300 {
					return true
				}
			}
			return false
		}
	}
	if _, err := fake.WaitRequests(evctx, eventCall("POST")); err != nil {
		t.Fatalf("no scheduled event: %v\n%s", err, logs.String())
	}
	if n := len(fake.ScheduledEvents()); n != 1 {
		t.Fatalf("%d scheduled events, want 1", n)
	}

	// An answer given at the shell: the card is edited once, after the
	// edit delay (coalescing of many answers is tested in the core).
	patches := func(from int) int {
		n := 0
		for _, r := range fake.Requests()[from:] {
			if r.Method == "PATCH" && strings.HasPrefix(r.Path, "/api/v9/channels/5001/messages/") {
				n++
			}
		}
		return n
	}
	before := len(fake.Requests())
	cli("rsvp", "1", "jana@sumperk.example", "yes")
	wait("one answer on the card", 15*time.Second, func(ms []*discordgo.Message) bool {
		c := cards(ms)
		return len(c) == 1 && strings.Contains(embedField(c[0], "Odpovědi"), "Přijdu: 1")
	})
	if n := patches(before); n != 1 {
		t.Errorf("%d card edits for one answer, want 1", n)
	}
	cli("rsvp", "1", "petr@zabreh.example", "yes")
	cli("rsvp", "-note", "dovolená", "1", "eva@mohelnice.example", "no")
	wait("three answers on the card", 15*time.Second, func(ms []*discordgo.Message) bool {
		c := cards(ms)
		return len(c) == 1 && strings.Contains(embedField(c[0], "Odpovědi"), "Přijdu: 2") &&
			strings.Contains(embedField(c[0], "Odpovědi"), "Nepřijdu: 1")
	})

	cli("meeting", "cancel", "1")
	wait("cancellation notice", 10*time.Second, func(ms []*discordgo.Message) bool {
		for _, m := range ms {
			if strings.HasPrefix(m.Content, "❌ Schůzka „Jednání pracovní skupiny“") {
				return true
			}
		}
		return false
	})
	if _, err := fake.WaitRequests(evctx, eventCall("PATCH")); err != nil {
		t.Fatalf("the scheduled event was not changed: %v", err)
	}
	if evs := fake.ScheduledEvents(); len(evs) != 1 || evs[0].Status != discordgo.GuildScheduledEventStatusCanceled {
		t.Errorf("the scheduled event was not cancelled: %+v", evs)
	}
	wait("card shows the cancellation", 10*time.Second, func(ms []*discordgo.Message) bool {
		c := cards(ms)
		return len(c) == 1 && strings.HasPrefix(c[0].Embeds[0].Title, "ZRUŠENO")
	})
}

// serveProcess is coordbot serve in a child process (the test binary
// acting as coordbot, see TestMain), logging JSON lines.
type serveProcess struct {
	cmd   *exec.Cmd
	lines chan map[string]any
	// raw has the log's lines undecoded instead of lines, when asked
	// for (startServeRaw).
	raw chan []byte
}

func startServe(t *testing.T, dir, cfgPath, token string) *serveProcess {
	t.Helper()
	return startServeEnv(t, dir, cfgPath, "COORDBOT_DISCORD_TOKEN="+token)
}

// startServeEnv starts serve with environ added to the environment.
func startServeEnv(t testing.TB, dir, cfgPath string, environ ...string) *serveProcess {
	t.Helper()
	return launchServe(t, dir, cfgPath, false, environ...)
}

// startServeRaw is startServeEnv with the log's lines handed over as they
// are, for a benchmark that must not spend CPU decoding them while it
// measures.
func startServeRaw(t testing.TB, dir, cfgPath string, environ ...string) *serveProcess {
	t.Helper()
	return launchServe(t, dir, cfgPath, true, environ...)
}

func launchServe(t testing.TB, dir, cfgPath string, raw bool, environ ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "COORDBOT_TEST_RUN_MAIN=1",
		"COORDBOT_TEST_ARGS=-config "+cfgPath+" -log-format json serve"), environ...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd}
	if raw {
		p.raw = make(chan []byte, 1000)
		go func() {
			defer close(p.raw)
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				p.raw <- bytes.Clone(sc.Bytes())
			}
			io.Copy(io.Discard, stderr)
		}()
		return p
	}
	p.lines = make(chan map[string]any, 1000)
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) == nil {
				p.lines <- rec
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	return p
}

// waitLog waits for a log record with msg whose fields include want.
func (p *serveProcess) waitLog(t *testing.T, msg string, want map[string]any) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case rec, ok := <-p.lines:
			if !ok {
				t.Fatalf("serve ended before logging %q %v", msg, want)
			}
			if rec["msg"] != msg {
				continue
			}
			match := true
			for k, v := range want {
				if rec[k] != v {
					match = false
				}
			}
			if match {
				return
			}
		case <-timeout:
			p.cmd.Process.Kill()
			t.Fatalf("serve did not log %q %v in time", msg, want)
		}
	}
}

// kill ends the process the hard way: no shutdown, no deferred work.
func (p *serveProcess) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	for range p.lines {
	}
}

// TestKilledMidDeliveryAnnouncesOnceWithOneEvent kills serve (SIGKILL, a
// real child process) at each point between the use case's commit and the
// end of its Discord calls: before the card's POST takes effect, after the
// card is posted but before its id is recorded, and after the scheduled
// event is created but before its id is recorded. After the last restart
// there is exactly one card and one scheduled event.
func TestKilledMidDeliveryAnnouncesOnceWithOneEvent(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "coordbot.toml", fakeTOML(dir, fake))
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	// The use case commits while no serve runs: the card and the event
	// are rows in the outbox, nothing else.
	if r := runCLIClock(t, time.Now, dir, nil, "meeting", "add", "-group", "pracovni-skupina", "-title", "Jednání pracovní skupiny",
		"-start", start); r.code != 0 {
		t.Fatalf("meeting add: %+v", r)
	}
	postCard := "/api/v9/channels/5001/messages"
	postEvent := "/api/v9/guilds/" + fake.GuildID + "/scheduled-events"

	// 1. Killed while the card's POST is on its way, before it takes effect.
	arrived, release := fake.Hold("POST", postCard, false)
	p := startServe(t, dir, cfgPath, fake.Token)
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		p.kill(t)
		t.Fatal("the card was never posted")
	}
	p.kill(t)
	release()
	if n := len(fake.Messages("5001")); n != 0 {
		t.Fatalf("%d messages after a POST that never took effect", n)
	}

	// 2. Killed after Discord created the card, before its answer came back.
	arrived, release = fake.Hold("POST", postCard, true)
	p = startServe(t, dir, cfgPath, fake.Token)
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		p.kill(t)
		t.Fatal("the card was never posted again")
	}
	p.kill(t)
	release()
	if n := len(cards(fake.Messages("5001"))); n != 1 {
		t.Fatalf("%d cards after the second run", n)
	}

	// 3. The card is re-sent with its nonce (Discord answers with the card
	// it has) and recorded; killed after the event is created, before its
	// id is recorded.
	arrived, release = fake.Hold("POST", postEvent, true)
	p = startServe(t, dir, cfgPath, fake.Token)
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		p.kill(t)
		t.Fatal("the scheduled event was never created")
	}
	p.kill(t)
	release()
	if n := len(fake.ScheduledEvents()); n != 1 {
		t.Fatalf("%d events after the third run", n)
	}

	// 4. The event sync finds the event it made and records it.
	p = startServe(t, dir, cfgPath, fake.Token)
	p.waitLog(t, "message sent", map[string]any{"kind": "event_sync"})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "coordbot stopped", nil)
	for range p.lines {
	}
	p.cmd.Wait()

	if n := len(cards(fake.Messages("5001"))); n != 1 {
		t.Errorf("%d cards, want 1", n)
	}
	if ms := fake.Messages("5001"); len(ms) != 1 {
		t.Errorf("%d messages in the channel, want the one card: %s", len(ms), func() string {
			var b strings.Builder
			for _, m := range ms {
				fmt.Fprintf(&b, "\n%q", m.Content)
			}
			return b.String()
		}())
	}
	if n := len(fake.ScheduledEvents()); n != 1 {
		t.Errorf("%d scheduled events, want 1", n)
	}
	s, err := store.Open(context.Background(), filepath.Join(dir, "coordbot.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	m, err := s.Meeting(context.Background(), 1)
	if err != nil {
		t.Fatal(err)
	}
	if m.AnnouncementMessageID != cards(fake.Messages("5001"))[0].ID || m.DiscordEventID != fake.ScheduledEvents()[0].ID {
		t.Errorf("recorded card %q and event %q do not match Discord's", m.AnnouncementMessageID, m.DiscordEventID)
	}
	open, err := s.Notifications(context.Background(), store.NotificationFilter{MeetingID: 1,
		States: []string{store.NotificationClaimed, store.NotificationFailed}})
	if err != nil {
		t.Fatal(err)
	}
	{
		for _, n := range open {
			t.Errorf("row left %s: %s %s due %v key %s", n.State, n.Kind, n.LastError, n.Due, n.IdempotencyKey)
		}
	}
}
