package discordtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// rewrite sends every request to the fake, as package bot does with
// discord.api_url.
type rewrite struct{ base *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme = r.base.Scheme
	req.URL.Host = r.base.Host
	req.Host = r.base.Host
	return http.DefaultTransport.RoundTrip(req)
}

func newServer(t testing.TB) *Server {
	t.Helper()
	srv, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// session returns an unopened discordgo session for srv, pointed at it the
// way package bot does it.
func session(t testing.TB, srv *Server) *discordgo.Session {
	t.Helper()
	dg, err := discordgo.New("Bot " + srv.Token)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(srv.URL)
	dg.Client = &http.Client{Transport: rewrite{base: base}, Timeout: 10 * time.Second}
	return dg
}

func open(t *testing.T, srv *Server, dg *discordgo.Session) {
	t.Helper()
	if err := dg.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.WaitHeartbeat(ctx); err != nil {
			t.Errorf("no heartbeat before Close: %v", err)
		}
		_ = dg.Close()
	})
}

// started is a fake with an opened session whose InteractionCreate events
// go to handle.
func started(t *testing.T, handle func(*discordgo.Session, *discordgo.InteractionCreate)) (*Server, *discordgo.Session) {
	t.Helper()
	srv := newServer(t)
	dg := session(t, srv)
	if handle != nil {
		dg.AddHandler(handle)
	}
	open(t, srv, dg)
	if err := srv.WaitReady(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	return srv, dg
}

var alice = User{ID: "300000000000000001", Username: "alice", GlobalName: "Alice", Roles: []string{"400000000000000001"}}

func TestOpenReady(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	guilds := make(chan *discordgo.GuildCreate, 1)
	dg.AddHandler(func(_ *discordgo.Session, g *discordgo.GuildCreate) { guilds <- g })
	srv.AddRole("400000000000000001", "Koordinátor")
	srv.AddChannel("500000000000000001", "obecne")
	open(t, srv, dg)
	ctx := testCtx(t)
	if err := srv.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if dg.State.User.ID != srv.BotUserID || !dg.State.User.Bot {
		t.Errorf("State.User = %+v, want id %s and bot", dg.State.User, srv.BotUserID)
	}
	if dg.State.Ready.Application == nil || dg.State.Ready.Application.ID != srv.AppID {
		t.Errorf("READY application = %+v, want id %s", dg.State.Ready.Application, srv.AppID)
	}
	if dg.State.Ready.SessionID == "" {
		t.Error("READY has no session id")
	}
	select {
	case g := <-guilds:
		if g.ID != srv.GuildID || len(g.Roles) != 2 || len(g.Channels) != 1 || g.Channels[0].Name != "obecne" {
			t.Errorf("GUILD_CREATE = id %s, %d roles, channels %+v", g.ID, len(g.Roles), g.Channels)
		}
	case <-ctx.Done():
		t.Fatal("no GUILD_CREATE")
	}
	if n := srv.CountGatewayOp(OpIdentify); n != 1 {
		t.Errorf("IDENTIFY count = %d, want 1", n)
	}
	reqs := srv.Requests()
	if len(reqs) == 0 || reqs[0].Method != "GET" || reqs[0].Path != "/api/v9/gateway" || reqs[0].Status != 200 {
		t.Errorf("first request = %+v, want GET /api/v9/gateway 200", reqs)
	}
}

func TestHeartbeatAck(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	srv.HeartbeatInterval = 50 * time.Millisecond
	dg := session(t, srv)
	// With heartbeats this frequent, one can race Close (which waits a
	// second) and make discordgo reconnect to a closed fake.
	dg.ShouldReconnectOnError = false
	open(t, srv, dg)
	if err := srv.WaitGatewayOp(testCtx(t), OpHeartbeat, 3); err != nil {
		t.Fatal(err)
	}
	// discordgo measures the latency from the ACK (op 11).
	dg.RLock()
	acked := dg.LastHeartbeatAck
	dg.RUnlock()
	if acked.IsZero() {
		t.Error("no heartbeat ACK recorded by discordgo")
	}
}

func TestWrongToken(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	dg := session(t, srv)
	dg.Token = "Bot not-the-token"
	dg.Identify.Token = dg.Token
	err := dg.Open()
	if err == nil {
		_ = dg.Close()
		t.Fatal("Open with a wrong token succeeded")
	}
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != 4004 {
		t.Errorf("Open error = %v, want close 4004", err)
	}
	_, err = dg.User("@me")
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response.StatusCode != http.StatusUnauthorized {
		t.Errorf("REST with a wrong token: %v, want 401", err)
	}
}

func TestSlashCommand(t *testing.T) {
	t.Parallel()
	type seen struct {
		sub, topic    string
		minutes       int64
		who           string
		roles         []string
		locale        discordgo.Locale
		resolvedAlice bool
	}
	got := make(chan seen, 1)
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		d := i.ApplicationCommandData()
		sub := d.Options[0]
		var v seen
		v.sub = sub.Name
		v.topic = sub.GetOption("topic").StringValue()
		v.minutes = sub.GetOption("minutes").IntValue()
		v.who = sub.GetOption("who").Value.(string)
		v.roles = i.Member.Roles
		v.locale = i.Locale
		v.resolvedAlice = d.Resolved != nil && d.Resolved.Users[alice.ID] != nil && d.Resolved.Members[alice.ID] != nil
		got <- v
		err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{
				Content: "Schůze: " + v.topic,
				Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
					discordgo.Button{Label: "Přijdu", Style: discordgo.SuccessButton, CustomID: "rsvp:yes"},
				}}},
			},
		})
		if err != nil {
			t.Error(err)
		}
	})
	ctx := testCtx(t)
	in := srv.SlashCommand(alice, "500000000000000001", "meeting",
		SubCommand("create", StringOpt("topic", "Rozpočet"), IntOpt("minutes", 90), UserOpt("who", alice.ID)))
	resp, lat, err := srv.Interact(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	v := <-got
	if v.sub != "create" || v.topic != "Rozpočet" || v.minutes != 90 || v.who != alice.ID || !v.resolvedAlice {
		t.Errorf("bot saw %+v", v)
	}
	if len(v.roles) != 1 || v.roles[0] != alice.Roles[0] || v.locale != "cs" {
		t.Errorf("bot saw roles %v locale %q", v.roles, v.locale)
	}
	if resp.Type != discordgo.InteractionResponseChannelMessageWithSource || resp.Data.Content != "Schůze: Rozpočet" {
		t.Errorf("response = %+v", resp)
	}
	if len(resp.Data.Components) != 1 {
		t.Errorf("response components = %#v", resp.Data.Components)
	} else if row, ok := resp.Data.Components[0].(*discordgo.ActionsRow); !ok || row.Components[0].(*discordgo.Button).CustomID != "rsvp:yes" {
		t.Errorf("response components = %#v", resp.Data.Components)
	}
	if lat <= 0 || lat > 10*time.Second {
		t.Errorf("latency = %v", lat)
	}
	orig, err := srv.WaitOriginal(ctx, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	if orig.Content != "Schůze: Rozpočet" || orig.WebhookID != srv.AppID || len(orig.Components) != 1 {
		t.Errorf("original = %+v", orig)
	}
	msgs := srv.Messages("500000000000000001")
	if len(msgs) != 1 || msgs[0].ID != orig.ID || msgs[0].Type != discordgo.MessageTypeChatInputCommand {
		t.Errorf("channel messages = %+v", msgs)
	}
}

func TestDeferredThenEdit(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseDeferredChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral},
		}); err != nil {
			t.Error(err)
			return
		}
		content := "Hotovo."
		if _, err := s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &content}); err != nil {
			t.Error(err)
		}
		if _, err := s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "Další krok"}); err != nil {
			t.Error(err)
		}
	})
	ctx := testCtx(t)
	in := srv.SlashCommand(alice, "500000000000000002", "agenda")
	resp, _, err := srv.Interact(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != discordgo.InteractionResponseDeferredChannelMessageWithSource {
		t.Errorf("response type = %d", resp.Type)
	}
	orig, err := srv.WaitOriginal(ctx, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	if orig.Content != "Hotovo." || orig.Flags&discordgo.MessageFlagsEphemeral == 0 || orig.Flags&discordgo.MessageFlagsLoading != 0 {
		t.Errorf("original = %q flags %d", orig.Content, orig.Flags)
	}
	f, err := srv.WaitFollowups(ctx, in.Token, func(m []*discordgo.Message) bool { return len(m) == 1 })
	if err != nil {
		t.Fatal(err)
	}
	if f[0].Content != "Další krok" {
		t.Errorf("follow-up = %q", f[0].Content)
	}
	// The ephemeral original is not in the channel; the follow-up is.
	msgs := srv.Messages("500000000000000002")
	if len(msgs) != 1 || msgs[0].Content != "Další krok" {
		t.Errorf("channel messages = %+v", msgs)
	}
}

func TestDeferredThenFollowupReplacesThinking(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}); err != nil {
			t.Error(err)
			return
		}
		if _, err := s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "první"}); err != nil {
			t.Error(err)
		}
		if _, err := s.FollowupMessageCreate(i.Interaction, true, &discordgo.WebhookParams{Content: "druhá"}); err != nil {
			t.Error(err)
		}
	})
	ctx := testCtx(t)
	in := srv.SlashCommand(alice, "500000000000000003", "status")
	if _, _, err := srv.Interact(ctx, in); err != nil {
		t.Fatal(err)
	}
	orig, err := srv.WaitOriginal(ctx, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := srv.WaitMessages(ctx, "500000000000000003", func(m []*discordgo.Message) bool { return len(m) == 2 })
	if err != nil {
		t.Fatal(err)
	}
	if orig.Content != "první" || msgs[0].ID != orig.ID || msgs[1].Content != "druhá" {
		t.Errorf("original %q, messages %q %q", orig.Content, msgs[0].Content, msgs[1].Content)
	}
}

func TestChannelMessageSendAndEdit(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	ch := "500000000000000004"
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Content: "Pozvánka",
		Embeds:  []*discordgo.MessageEmbed{{Title: "Schůze", Description: "Úterý 18:00"}},
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ano", Style: discordgo.SuccessButton, CustomID: "rsvp:yes"},
			discordgo.Button{Label: "Ne", Style: discordgo.DangerButton, CustomID: "rsvp:no"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == "" || m.ChannelID != ch || m.Author.ID != srv.BotUserID || len(m.Components) != 1 || len(m.Embeds) != 1 {
		t.Fatalf("created message = %+v", m)
	}
	content := "Pozvánka (upraveno)"
	if _, err := dg.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: m.ID, Channel: ch, Content: &content}); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages(ch)
	if len(msgs) != 1 || msgs[0].Content != content || msgs[0].EditedTimestamp == nil || len(msgs[0].Components) != 1 || len(msgs[0].Embeds) != 1 {
		t.Fatalf("messages after edit = %+v", msgs)
	}
	got, err := dg.ChannelMessage(ch, m.ID)
	if err != nil || got.Content != content {
		t.Fatalf("GET message = %+v, %v", got, err)
	}
	if _, err := dg.ChannelMessageSend(ch, strings.Repeat("x", 2001)); !isCode(err, 50035) {
		t.Errorf("2001-character message: %v, want 50035", err)
	}
	if _, err := dg.ChannelMessageSend(ch, ""); !isCode(err, 50006) {
		t.Errorf("empty message: %v, want 50006", err)
	}
	dup := []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "A", Style: discordgo.PrimaryButton, CustomID: "same"},
		discordgo.Button{Label: "B", Style: discordgo.PrimaryButton, CustomID: "same"},
	}}}
	if _, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{Content: "x", Components: dup}); !isCode(err, 50035) {
		t.Errorf("duplicate custom ids: %v, want 50035", err)
	}
	if err := dg.ChannelMessageDelete(ch, m.ID); err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(ch); len(msgs) != 0 {
		t.Errorf("messages after delete = %d", len(msgs))
	}
}

func isCode(err error, code int) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Message != nil && rest.Message.Code == code
}

func TestBulkOverwrite(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	cmds := []*discordgo.ApplicationCommand{
		{Name: "meeting", Description: "Schůze", Options: []*discordgo.ApplicationCommandOption{
			{Type: discordgo.ApplicationCommandOptionSubCommand, Name: "create", Description: "Založit", Options: []*discordgo.ApplicationCommandOption{
				{Type: discordgo.ApplicationCommandOptionString, Name: "topic", Description: "Téma", Required: true},
			}},
		}},
		{Name: "agenda", Description: "Program"},
	}
	out, err := dg.ApplicationCommandBulkOverwrite(srv.AppID, srv.GuildID, cmds)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].ID == "" || out[0].ApplicationID != srv.AppID || out[0].GuildID != srv.GuildID {
		t.Fatalf("created = %+v", out)
	}
	stored := srv.Commands()
	if len(stored) != 2 || stored[0].Name != "meeting" || stored[0].ID != out[0].ID || stored[0].Options[0].Options[0].Name != "topic" {
		t.Fatalf("Commands() = %+v", stored)
	}
	again, err := dg.ApplicationCommandBulkOverwrite(srv.AppID, srv.GuildID, cmds[:1])
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 1 || again[0].ID != out[0].ID || len(srv.Commands()) != 1 {
		t.Errorf("overwrite = %+v; ids must stay and agenda go", again)
	}
	// The slash command builder uses the registered id.
	if d := srv.SlashCommand(alice, "500000000000000005", "meeting").ApplicationCommandData(); d.ID != out[0].ID {
		t.Errorf("builder command id = %s, want %s", d.ID, out[0].ID)
	}
	bad := []*discordgo.ApplicationCommand{{Name: "Meeting", Description: "x"}}
	if _, err := dg.ApplicationCommandBulkOverwrite(srv.AppID, srv.GuildID, bad); !isCode(err, 50035) {
		t.Errorf("upper-case name: %v, want 50035", err)
	}
}

// echo answers every slash command with its name.
func echo(t *testing.T) func(*discordgo.Session, *discordgo.InteractionCreate) {
	return func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: "ok " + i.ApplicationCommandData().Name},
		}); err != nil {
			t.Error(err)
		}
	}
}

func interactOK(t *testing.T, srv *Server, name string) {
	t.Helper()
	resp, _, err := srv.Interact(testCtx(t), srv.SlashCommand(alice, "500000000000000006", name))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Data.Content != "ok "+name {
		t.Errorf("response = %q", resp.Data.Content)
	}
}

func TestCloseGatewayResumes(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, echo(t))
	interactOK(t, srv, "before")
	srv.CloseGateway()
	if err := srv.WaitGatewayOp(testCtx(t), OpResume, 1); err != nil {
		t.Fatal(err)
	}
	interactOK(t, srv, "after")
	if n := srv.CountGatewayOp(OpIdentify); n != 1 {
		t.Errorf("IDENTIFY count = %d, want 1 (the reconnect must RESUME)", n)
	}
	log := srv.GatewayLog()
	if last := log[len(log)-1]; last.Conn < 2 {
		t.Errorf("last payload on connection %d, want a new connection", last.Conn)
	}
}

func TestResumeReplaysMissedDispatches(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, echo(t))
	ctx := testCtx(t)
	srv.mu.Lock()
	sess := srv.current.sess
	sess.conn = nil // dispatches are now only buffered, as if lost in flight
	srv.mu.Unlock()
	done := make(chan error, 1)
	go func() {
		resp, _, err := srv.Interact(ctx, srv.SlashCommand(alice, "500000000000000016", "missed"))
		if err == nil && resp.Data.Content != "ok missed" {
			err = fmt.Errorf("response %q", resp.Data.Content)
		}
		done <- err
	}()
	// READY is 1, GUILD_CREATE 2, the interaction 3.
	if err := srv.waitFor(ctx, func() bool { return sess.seq >= 3 }); err != nil {
		t.Fatal(err)
	}
	srv.CloseGateway()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if srv.CountGatewayOp(OpResume) != 1 {
		t.Errorf("RESUME count = %d", srv.CountGatewayOp(OpResume))
	}
}

func TestSendReconnectResumes(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, echo(t))
	interactOK(t, srv, "before")
	srv.SendReconnect()
	// Interact waits for the RESUMED connection.
	interactOK(t, srv, "after")
	if srv.CountGatewayOp(OpResume) != 1 || srv.CountGatewayOp(OpIdentify) != 1 {
		t.Errorf("RESUME %d, IDENTIFY %d; want 1 and 1", srv.CountGatewayOp(OpResume), srv.CountGatewayOp(OpIdentify))
	}
}

func TestInvalidSessionIdentifiesAgain(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, echo(t))
	dg.State.RLock()
	first := dg.State.Ready.SessionID
	dg.State.RUnlock()
	srv.SendInvalidSession(false)
	if err := srv.WaitGatewayOp(testCtx(t), OpIdentify, 2); err != nil {
		t.Fatal(err)
	}
	interactOK(t, srv, "after")
	if srv.CountGatewayOp(OpResume) != 0 {
		t.Error("discordgo resumed an invalidated session")
	}
	dg.State.RLock()
	second := dg.State.Ready.SessionID
	dg.State.RUnlock()
	if second == first || second == "" {
		t.Errorf("session after op 9 = %q, before %q; want a new one", second, first)
	}
}

func TestResumeUnknownSessionGetsInvalidSession(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, echo(t))
	// Forget the session behind the client's back, then drop the
	// connection: its RESUME gets op 9 and it identifies again.
	srv.mu.Lock()
	for id := range srv.sessions {
		delete(srv.sessions, id)
	}
	srv.mu.Unlock()
	srv.CloseGateway()
	if err := srv.WaitGatewayOp(testCtx(t), OpIdentify, 2); err != nil {
		t.Fatal(err)
	}
	interactOK(t, srv, "after")
	if srv.CountGatewayOp(OpResume) != 1 {
		t.Errorf("RESUME count = %d, want 1", srv.CountGatewayOp(OpResume))
	}
}

func TestRateLimitRetried(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	ch := "500000000000000007"
	srv.Inject(Fault{Method: "POST", PathPrefix: "/channels/", Status: 429, RetryAfter: 0.05})
	limited := make(chan *discordgo.RateLimit, 1)
	dg.AddHandler(func(_ *discordgo.Session, r *discordgo.RateLimit) { limited <- r })
	m, err := dg.ChannelMessageSend(ch, "Po limitu")
	if err != nil {
		t.Fatal(err)
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].ID != m.ID {
		t.Fatalf("messages = %+v", msgs)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/api/v9/channels/"+ch+"/messages" {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[429 200]" {
		t.Errorf("statuses = %v, want [429 200]", statuses)
	}
	select {
	case r := <-limited:
		if r.RetryAfter != 50*time.Millisecond {
			t.Errorf("retry after = %v", r.RetryAfter)
		}
	default:
		t.Error("no RateLimit event")
	}
}

func TestServerErrors(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	ch := "500000000000000008"
	// discordgo v0.29.0 does not retry a 500: the call fails.
	srv.Inject(Fault{Method: "POST", PathPrefix: "/api/v9/channels/" + ch, Status: 500})
	_, err := dg.ChannelMessageSend(ch, "x")
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response.StatusCode != 500 || rest.Message == nil || rest.Message.Message != "500: Internal Server Error" {
		t.Fatalf("send after 500: %v", err)
	}
	if n := len(srv.Messages(ch)); n != 0 {
		t.Errorf("%d messages after a 500", n)
	}
	// It retries a 502 up to MaxRestRetries (3) times.
	srv.Inject(Fault{Method: "POST", PathPrefix: "/channels/" + ch, Status: 502, Times: 2})
	if _, err := dg.ChannelMessageSend(ch, "y"); err != nil {
		t.Fatalf("send after two 502s: %v", err)
	}
	var statuses []int
	for _, r := range srv.Requests() {
		if r.Method == "POST" && strings.HasPrefix(r.Path, "/api/v9/channels/"+ch) {
			statuses = append(statuses, r.Status)
		}
	}
	if fmt.Sprint(statuses) != "[500 502 502 200]" {
		t.Errorf("statuses = %v", statuses)
	}
}

type nonceMessage struct {
	Content      string `json:"content"`
	Nonce        string `json:"nonce"`
	EnforceNonce bool   `json:"enforce_nonce"`
}

func TestEnforceNonce(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	ch := "500000000000000009"
	send := func(m nonceMessage) string {
		t.Helper()
		ep := discordgo.EndpointChannelMessages(ch)
		body, err := dg.RequestWithBucketID("POST", ep, m, ep)
		if err != nil {
			t.Fatal(err)
		}
		var out discordgo.Message
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatal(err)
		}
		return out.ID
	}
	a := send(nonceMessage{Content: "připomínka", Nonce: "rem-42", EnforceNonce: true})
	b := send(nonceMessage{Content: "připomínka", Nonce: "rem-42", EnforceNonce: true})
	if a != b || len(srv.Messages(ch)) != 1 {
		t.Errorf("enforced nonce: ids %s %s, %d messages; want one message", a, b, len(srv.Messages(ch)))
	}
	c := send(nonceMessage{Content: "připomínka", Nonce: "rem-42"})
	if c == a || len(srv.Messages(ch)) != 2 {
		t.Errorf("nonce without enforce_nonce must create a new message")
	}
	if got := srv.MessageNonce(a); got != "rem-42" {
		t.Errorf("MessageNonce = %q, want rem-42", got)
	}
	if got := srv.MessageNonce("1"); got != "" {
		t.Errorf("MessageNonce of an unknown id = %q, want none", got)
	}
}

func TestButtonUpdateMessage(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		d := i.MessageComponentData()
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseUpdateMessage,
			Data: &discordgo.InteractionResponseData{Content: "Odpověď: " + d.CustomID + " od " + i.Member.User.Username + " k " + i.Message.Content},
		}); err != nil {
			t.Error(err)
		}
	})
	ch := "500000000000000010"
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Content: "Pozvánka",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ano", Style: discordgo.SuccessButton, CustomID: "rsvp:yes"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	in := srv.Button(alice, ch, m.ID, "rsvp:yes")
	if len(in.Message.Components) != 1 {
		t.Errorf("button interaction message has %d components", len(in.Message.Components))
	}
	if _, _, err := srv.Interact(ctx, in); err != nil {
		t.Fatal(err)
	}
	orig, err := srv.WaitOriginal(ctx, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	want := "Odpověď: rsvp:yes od alice k Pozvánka"
	if orig.ID != m.ID || orig.Content != want {
		t.Errorf("original = %s %q", orig.ID, orig.Content)
	}
	// discordgo sends "components": null in an UPDATE_MESSAGE without
	// components, which clears them, as it does on Discord.
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].Content != want || len(msgs[0].Components) != 0 {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestButtonDeferredUpdateThenEdit(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredMessageUpdate}); err != nil {
			t.Error(err)
			return
		}
		content := "Přijdou: " + i.Member.User.Username
		if _, err := s.InteractionResponseEdit(i.Interaction, &discordgo.WebhookEdit{Content: &content}); err != nil {
			t.Error(err)
		}
	})
	ch := "500000000000000014"
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Content: "Pozvánka",
		Components: []discordgo.MessageComponent{discordgo.ActionsRow{Components: []discordgo.MessageComponent{
			discordgo.Button{Label: "Ano", Style: discordgo.SuccessButton, CustomID: "rsvp:yes"},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	in := srv.Button(alice, ch, m.ID, "rsvp:yes")
	if _, _, err := srv.Interact(ctx, in); err != nil {
		t.Fatal(err)
	}
	orig, err := srv.WaitOriginal(ctx, in.Token)
	if err != nil {
		t.Fatal(err)
	}
	// WebhookEdit leaves out components, so the button stays.
	if orig.ID != m.ID || orig.Content != "Přijdou: alice" || len(orig.Components) != 1 {
		t.Errorf("original = %s %q %d components", orig.ID, orig.Content, len(orig.Components))
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].Content != "Přijdou: alice" {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestMultipartFile(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	ch := "500000000000000015"
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Content: "Zápis",
		Files:   []*discordgo.File{{Name: "zapis.txt", ContentType: "text/plain", Reader: strings.NewReader("obsah zápisu")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "zapis.txt" || m.Attachments[0].Size != len("obsah zápisu") {
		t.Errorf("attachments = %+v", m.Attachments)
	}
	if msgs := srv.Messages(ch); len(msgs) != 1 || msgs[0].Content != "Zápis" {
		t.Errorf("messages = %+v", msgs)
	}
}

func TestModalSubmit(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		d := i.ModalSubmitData()
		var parts []string
		for _, row := range d.Components {
			ti := row.(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput)
			parts = append(parts, ti.CustomID+"="+ti.Value)
		}
		if err := s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{
			Type: discordgo.InteractionResponseChannelMessageWithSource,
			Data: &discordgo.InteractionResponseData{Content: d.CustomID + ": " + strings.Join(parts, ", "), Flags: discordgo.MessageFlagsEphemeral},
		}); err != nil {
			t.Error(err)
		}
	})
	resp, _, err := srv.Interact(testCtx(t), srv.ModalSubmit(alice, "500000000000000011", "agenda:add", map[string]string{"title": "Rozpočet", "detail": "návrh"}))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Data.Content != "agenda:add: detail=návrh, title=Rozpočet" {
		t.Errorf("response = %q", resp.Data.Content)
	}
	if n := len(srv.Messages("500000000000000011")); n != 0 {
		t.Errorf("ephemeral reply listed in the channel (%d messages)", n)
	}
}

func TestModalResponseAndAutocomplete(t *testing.T) {
	t.Parallel()
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		var resp *discordgo.InteractionResponse
		switch i.Type {
		case discordgo.InteractionApplicationCommandAutocomplete:
			opt := i.ApplicationCommandData().Options[0]
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionApplicationCommandAutocompleteResult,
				Data: &discordgo.InteractionResponseData{Choices: []*discordgo.ApplicationCommandOptionChoice{
					{Name: "focused " + fmt.Sprint(opt.Focused) + " " + opt.StringValue(), Value: "1"},
				}}}
		default:
			resp = &discordgo.InteractionResponse{Type: discordgo.InteractionResponseModal,
				Data: &discordgo.InteractionResponseData{CustomID: "agenda:add", Title: "Bod programu", Components: []discordgo.MessageComponent{
					discordgo.ActionsRow{Components: []discordgo.MessageComponent{
						discordgo.TextInput{CustomID: "title", Label: "Název", Style: discordgo.TextInputShort, Required: true},
					}},
				}}}
		}
		if err := s.InteractionRespond(i.Interaction, resp); err != nil {
			t.Error(err)
		}
	})
	ctx := testCtx(t)
	resp, _, err := srv.Interact(ctx, srv.Autocomplete(alice, "500000000000000012", "meeting", StringOpt("topic", "Roz")))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Data.Choices) != 1 || resp.Data.Choices[0].Name != "focused true Roz" {
		t.Errorf("choices = %+v", resp.Data.Choices)
	}
	resp, _, err = srv.Interact(ctx, srv.SlashCommand(alice, "500000000000000012", "agenda"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Type != discordgo.InteractionResponseModal || resp.Data.Title != "Bod programu" {
		t.Fatalf("modal response = %+v", resp)
	}
	ti := resp.Data.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.TextInput)
	if ti.CustomID != "title" || ti.Label != "Název" {
		t.Errorf("modal text input = %+v", ti)
	}
}

func TestRefusedCallbacks(t *testing.T) {
	t.Parallel()
	second := make(chan error, 1)
	srv, _ := started(t, func(s *discordgo.Session, i *discordgo.InteractionCreate) {
		switch i.ApplicationCommandData().Name {
		case "twice":
			r := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource, Data: &discordgo.InteractionResponseData{Content: "1"}}
			if err := s.InteractionRespond(i.Interaction, r); err != nil {
				t.Error(err)
			}
			second <- s.InteractionRespond(i.Interaction, r)
		case "long":
			_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
				Data: &discordgo.InteractionResponseData{Content: strings.Repeat("ž", 2001)}})
		case "update":
			_ = s.InteractionRespond(i.Interaction, &discordgo.InteractionResponse{Type: discordgo.InteractionResponseUpdateMessage,
				Data: &discordgo.InteractionResponseData{Content: "x"}})
		}
	})
	ctx := testCtx(t)
	if _, _, err := srv.Interact(ctx, srv.SlashCommand(alice, "500000000000000013", "twice")); err != nil {
		t.Fatal(err)
	}
	if err := <-second; !isCode(err, 40060) {
		t.Errorf("second callback: %v, want 40060", err)
	}
	var ce *CallbackError
	if _, _, err := srv.Interact(ctx, srv.SlashCommand(alice, "500000000000000013", "long")); !errors.As(err, &ce) || ce.Status != 400 {
		t.Errorf("2001-character reply: %v, want a 400 CallbackError", err)
	}
	if _, _, err := srv.Interact(ctx, srv.SlashCommand(alice, "500000000000000013", "update")); !errors.As(err, &ce) || ce.Status != 400 {
		t.Errorf("UPDATE_MESSAGE for a slash command: %v, want a 400 CallbackError", err)
	}
}

func TestDMs(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	srv.AddMember(alice)
	ch, err := dg.UserChannelCreate(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Type != discordgo.ChannelTypeDM || len(ch.Recipients) != 1 || ch.Recipients[0].Username != "alice" {
		t.Fatalf("DM channel = %+v", ch)
	}
	again, err := dg.UserChannelCreate(alice.ID)
	if err != nil || again.ID != ch.ID {
		t.Fatalf("second DM channel = %+v, %v; want the same id", again, err)
	}
	if _, err := dg.ChannelMessageSend(ch.ID, "Ahoj"); err != nil {
		t.Fatal(err)
	}
	if dms := srv.DMs(alice.ID); len(dms) != 1 || dms[0].Content != "Ahoj" {
		t.Errorf("DMs = %+v", dms)
	}
	srv.BlockDMs(alice.ID)
	if _, err := dg.ChannelMessageSend(ch.ID, "Ahoj?"); !isCode(err, 50007) {
		t.Errorf("blocked DM: %v, want 50007", err)
	}
}

func TestMembersAndRoles(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	srv.AddRole("400000000000000001", "Koordinátor")
	srv.AddMember(alice)
	m, err := dg.GuildMember(srv.GuildID, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.User.ID != alice.ID || len(m.Roles) != 1 || m.Roles[0] != alice.Roles[0] {
		t.Errorf("member = %+v", m)
	}
	roles, err := dg.GuildRoles(srv.GuildID)
	if err != nil {
		t.Fatal(err)
	}
	if len(roles) != 2 || roles[1].Name != "Koordinátor" {
		t.Errorf("roles = %+v", roles)
	}
	if _, err := dg.GuildMember(srv.GuildID, "399999999999999999"); !isCode(err, 10007) {
		t.Errorf("unknown member: %v, want 10007", err)
	}
}

func TestScheduledEvents(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	start := time.Date(2030, 3, 3, 18, 0, 0, 0, time.FixedZone("CET", 3600))
	end := start.Add(2 * time.Hour)
	e, err := dg.GuildScheduledEventCreate(srv.GuildID, &discordgo.GuildScheduledEventParams{
		Name: "Schůze", Description: "Měsíční", ScheduledStartTime: &start, ScheduledEndTime: &end,
		EntityType: discordgo.GuildScheduledEventEntityTypeExternal, PrivacyLevel: discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
		EntityMetadata: &discordgo.GuildScheduledEventEntityMetadata{Location: "Praha"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.ID == "" || !e.ScheduledStartTime.Equal(start) || e.EntityMetadata.Location != "Praha" || e.Status != discordgo.GuildScheduledEventStatusScheduled {
		t.Fatalf("created event = %+v", e)
	}
	if _, err := dg.GuildScheduledEventEdit(srv.GuildID, e.ID, &discordgo.GuildScheduledEventParams{Name: "Schůze výboru"}); err != nil {
		t.Fatal(err)
	}
	evs := srv.ScheduledEvents()
	if len(evs) != 1 || evs[0].Name != "Schůze výboru" || evs[0].Description != "Měsíční" {
		t.Errorf("events = %+v", evs)
	}
	if _, err := dg.GuildScheduledEventCreate(srv.GuildID, &discordgo.GuildScheduledEventParams{
		Name: "Bez místa", ScheduledStartTime: &start, ScheduledEndTime: &end,
		EntityType: discordgo.GuildScheduledEventEntityTypeExternal, PrivacyLevel: discordgo.GuildScheduledEventPrivacyLevelGuildOnly,
	}); !isCode(err, 50035) {
		t.Errorf("external event without location: %v, want 50035", err)
	}
	if err := dg.GuildScheduledEventDelete(srv.GuildID, e.ID); err != nil {
		t.Fatal(err)
	}
	if evs := srv.ScheduledEvents(); len(evs) != 0 {
		t.Errorf("events after delete = %d", len(evs))
	}
}

func TestUnknownRouteRecorded(t *testing.T) {
	t.Parallel()
	srv, dg := started(t, nil)
	_, err := dg.Request("POST", discordgo.EndpointAPI+"stage-instances", map[string]string{"channel_id": "1"})
	var rest *discordgo.RESTError
	if !errors.As(err, &rest) || rest.Response.StatusCode != 404 || rest.Message == nil || rest.Message.Message != "404: Not Found" {
		t.Fatalf("unknown route: %v", err)
	}
	reqs := srv.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != "/api/v9/stage-instances" || last.Status != 404 || !strings.Contains(string(last.Body), "channel_id") {
		t.Errorf("recorded %+v", last)
	}
}

func TestWaitGivesUpWithContext(t *testing.T) {
	t.Parallel()
	srv := newServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := srv.WaitReady(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitReady = %v", err)
	}
	if _, _, err := srv.Interact(ctx, srv.SlashCommand(alice, "1", "x")); !errors.Is(err, context.Canceled) {
		t.Errorf("Interact = %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := srv.WaitOriginal(context.Background(), "nope"); done <- err }()
	srv.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Errorf("WaitOriginal after Close = %v", err)
	}
}
