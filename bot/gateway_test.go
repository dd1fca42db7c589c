package bot

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"coordbot/bot/discordtest"
)

// event is one dispatch the gateway handed on.
type event struct {
	t string
	d json.RawMessage
}

// newTestGateway returns a gateway to fake's gateway that sends every
// dispatch to the returned channel.
func newTestGateway(t *testing.T, fake *discordtest.Server, token string) (*gateway, chan event) {
	t.Helper()
	events := make(chan event, 100)
	g := &gateway{
		token:            token,
		intents:          discordgo.IntentsGuilds,
		logger:           slog.New(slog.NewTextHandler(io.Discard, nil)),
		url:              func() (string, error) { return fake.GatewayURL, nil },
		dispatch:         func(t string, d json.RawMessage) { events <- event{t, d} },
		dialer:           websocket.DefaultDialer,
		invalidDelay:     func() time.Duration { return 0 },
		handshakeTimeout: 10 * time.Second,
	}
	t.Cleanup(func() { g.close() })
	return g, events
}

// next returns the next dispatch other than READY, RESUMED and
// GUILD_CREATE.
func next(t *testing.T, events chan event) event {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.t == "READY" || ev.t == "RESUMED" || ev.t == "GUILD_CREATE" {
				continue
			}
			return ev
		case <-timeout:
			t.Fatal("no dispatch within 10 s")
		}
	}
}

// send dispatches a MESSAGE_CREATE whose content is text.
func send(t *testing.T, fake *discordtest.Server, text string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fake.Dispatch(ctx, "MESSAGE_CREATE", map[string]string{"content": text}); err != nil {
		t.Fatal(err)
	}
}

func content(t *testing.T, ev event) string {
	t.Helper()
	var m struct {
		Content string `json:"content"`
	}
	if ev.t != "MESSAGE_CREATE" || json.Unmarshal(ev.d, &m) != nil {
		t.Fatalf("dispatch %s %s", ev.t, ev.d)
	}
	return m.Content
}

func TestGatewayIdentifiesAndDispatchesInOrder(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	g, events := newTestGateway(t, fake, fake.Token)
	g.intents |= discordgo.IntentGuildMembers
	if err := g.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	user, app := g.self()
	if user == nil || user.ID != fake.BotUserID || app != fake.AppID {
		t.Errorf("self %+v %q, want user %s app %s", user, app, fake.BotUserID, fake.AppID)
	}
	if got := fake.Intents(); got != discordgo.IntentsGuilds|discordgo.IntentGuildMembers {
		t.Errorf("intents %d", got)
	}
	for _, text := range []string{"a", "b", "c"} {
		send(t, fake, text)
	}
	for _, want := range []string{"a", "b", "c"} {
		if got := content(t, next(t, events)); got != want {
			t.Fatalf("dispatch %q, want %q", got, want)
		}
	}
}

// TestGatewayResumesAndLosesNothing drops the connection, asks for a
// reconnect and invalidates the session (resumable and not): every
// dispatch sent meanwhile arrives once, in order.
func TestGatewayResumesAndLosesNothing(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	// The fake drops a connection only after its first heartbeat.
	fake.HeartbeatInterval = 50 * time.Millisecond
	g, events := newTestGateway(t, fake, fake.Token)
	if err := g.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	steps := []struct {
		name              string
		do                func()
		identify, resumes int
	}{
		{"dropped", fake.CloseGateway, 1, 1},
		{"op 7", fake.SendReconnect, 1, 2},
		{"op 9 resumable", func() { fake.SendInvalidSession(true) }, 1, 3},
		{"op 9 not resumable", func() { fake.SendInvalidSession(false) }, 2, 3},
	}
	for i, st := range steps {
		// The fake drops only a connection it counts as current, from
		// its first heartbeat on.
		if err := fake.WaitHeartbeat(ctx); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		st.do()
		// Sent while the client is away: buffered by the fake and replayed
		// on RESUME (after a new IDENTIFY the session is new, and the
		// fake sends to it once READY).
		text := string(rune('a' + i))
		send(t, fake, text)
		if got := content(t, next(t, events)); got != text {
			t.Fatalf("%s: dispatch %q, want %q", st.name, got, text)
		}
		if err := fake.WaitGatewayOp(ctx, discordtest.OpResume, st.resumes); err != nil {
			t.Fatalf("%s: %d resumes: %v", st.name, fake.CountGatewayOp(discordtest.OpResume), err)
		}
		if n := fake.CountGatewayOp(discordtest.OpIdentify); n != st.identify {
			t.Errorf("%s: %d identifies, want %d", st.name, n, st.identify)
		}
	}
	select {
	case ev := <-events:
		if ev.t == "MESSAGE_CREATE" {
			t.Errorf("a dispatch twice: %s", ev.d)
		}
	default:
	}
}

func TestGatewayHeartbeats(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	fake.HeartbeatInterval = 20 * time.Millisecond
	g, _ := newTestGateway(t, fake, fake.Token)
	if err := g.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := fake.WaitGatewayOp(ctx, discordtest.OpHeartbeat, 5); err != nil {
		t.Fatal(err)
	}
	// Acknowledged heartbeats keep the one connection.
	if n := fake.CountGatewayOp(discordtest.OpIdentify) + fake.CountGatewayOp(discordtest.OpResume); n != 1 {
		t.Errorf("%d identifies and resumes, want 1", n)
	}
}

func TestGatewayRefusalsAreErrors(t *testing.T) {
	fake, err := discordtest.New()
	if err != nil {
		t.Fatal(err)
	}
	defer fake.Close()
	g, _ := newTestGateway(t, fake, "wrong")
	err = g.open(context.Background())
	if err == nil || !strings.Contains(err.Error(), "4004") {
		t.Errorf("wrong token: %v", err)
	}
	fake.DisallowedIntents = discordgo.IntentGuildMembers
	g, _ = newTestGateway(t, fake, fake.Token)
	g.intents |= discordgo.IntentGuildMembers
	err = g.open(context.Background())
	var ce *gatewayCloseError
	if !errors.As(err, &ce) || ce.code != 4014 || !ce.fatal() || !strings.Contains(ce.explain(), "Server Members Intent") {
		t.Errorf("disallowed intents: %v", err)
	}
}

// TestGatewayReconnectsAZombie serves a gateway that never acknowledges a
// heartbeat: the client must close that connection and come back.
func TestGatewayReconnectsAZombie(t *testing.T) {
	conns := make(chan struct{}, 10)
	resumed := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		conns <- struct{}{}
		_ = ws.WriteJSON(map[string]any{"op": 10, "d": map[string]any{"heartbeat_interval": 20}})
		for {
			var p struct {
				Op int `json:"op"`
			}
			if err := ws.ReadJSON(&p); err != nil {
				return
			}
			switch p.Op {
			case gwIdentify:
				_ = ws.WriteJSON(map[string]any{"op": 0, "s": 1, "t": "READY", "d": map[string]any{
					"session_id": "s1", "resume_gateway_url": "ws" + strings.TrimPrefix(srvURL(r), "http"),
					"user": map[string]any{"id": "1"}, "application": map[string]any{"id": "2"}}})
			case gwResume:
				resumed <- "resumed"
				_ = ws.WriteJSON(map[string]any{"op": 0, "s": 2, "t": "RESUMED", "d": map[string]any{}})
			}
		}
	}))
	defer srv.Close()
	g := &gateway{
		token: "t", logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		url:      func() (string, error) { return "ws" + strings.TrimPrefix(srv.URL, "http"), nil },
		dispatch: func(string, json.RawMessage) {}, dialer: websocket.DefaultDialer,
		invalidDelay: func() time.Duration { return 0 }, handshakeTimeout: 10 * time.Second,
	}
	defer g.close()
	if err := g.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		select {
		case <-conns:
		case <-time.After(10 * time.Second):
			t.Fatalf("connection %d never came", i+1)
		}
	}
	// The second connection resumed the session.
	select {
	case <-resumed:
	case <-time.After(10 * time.Second):
		t.Fatal("no RESUME after the zombie connection")
	}
}

func srvURL(r *http.Request) string { return "http://" + r.Host }

// FuzzEnvelope checks the single-pass envelope reader against
// json.Unmarshal: whenever json reads a payload, envelope reads the same
// op, s, t and the same bytes of d.
func FuzzEnvelope(f *testing.F) {
	for _, seed := range []string{
		`{"op":0,"s":42,"t":"INTERACTION_CREATE","d":{"id":"1","data":{"custom_id":"rsvp:1:yes"},"message":{"content":"a \"quoted\" {brace} [x]","embeds":[{"title":"Jednání"}]}}}`,
		`{"t":null,"s":null,"op":11,"d":null}`,
		`{"op":10,"d":{"heartbeat_interval":41250,"_trace":["[\"gateway\"]"]}}`,
		`{"op":9,"d":false}`,
		` { "op" : 1 , "d" : 251 } `,
		`{"OP":7,"d":null}`,
		`{"op":0,"t":"X\u0041","s":1,"d":[1,2,{"a":"}"}]}`,
		`{"op":1.5}`,
		`{"op":0,"d":"\\"}`,
		`{}`,
		`[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var want payload
		wantErr := json.Unmarshal(data, &want)
		got, err := envelope(data)
		if wantErr != nil {
			return // envelope may read what json refuses inside values it skips
		}
		if err != nil {
			t.Fatalf("envelope(%q): %v; json read it", data, err)
		}
		if got.Op != want.Op || got.S != want.S || got.T != want.T || string(got.D) != string(want.D) {
			t.Fatalf("envelope(%q) = %d %d %q %q, json %d %d %q %q", data, got.Op, got.S, got.T, got.D, want.Op, want.S, want.T, want.D)
		}
	})
}

// BenchmarkEnvelope compares the envelope reader with json.Unmarshal on a
// click's payload as the fake sends it (the card the button sits on
// included).
func BenchmarkEnvelope(b *testing.B) {
	d, _ := json.Marshal(map[string]any{"id": "1", "type": 3, "token": "x", "data": map[string]any{"custom_id": "rsvp:1:yes", "component_type": 2},
		"message": map[string]any{"content": "", "embeds": []any{map[string]any{"title": "Jednání pracovní skupiny", "description": strings.Repeat("Program jednání, místo a čas. ", 40),
			"fields": []any{map[string]any{"name": "Odpovědi", "value": "Přijdu: 120 · Možná: 30 · Nepřijdu: 50"}}}},
			"components": []any{map[string]any{"type": 1, "components": []any{map[string]any{"type": 2, "custom_id": "rsvp:1:yes", "label": "Přijdu"}}}}},
		"member": map[string]any{"user": map[string]any{"id": "2", "username": "jana"}, "roles": []string{"3"}}})
	frame, _ := json.Marshal(map[string]any{"op": 0, "s": 1234, "t": "INTERACTION_CREATE", "d": json.RawMessage(d)})
	b.Run("envelope", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			if p, err := envelope(frame); err != nil || p.S != 1234 {
				b.Fatal(p, err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		for b.Loop() {
			var p payload
			if err := json.Unmarshal(frame, &p); err != nil || p.S != 1234 {
				b.Fatal(p, err)
			}
		}
	})
}
