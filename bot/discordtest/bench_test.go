package discordtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// benchBurst is how many clicks a benchmark burst holds, as in the
// 200-member click benchmark of cmd/coordbot.
const benchBurst = 200

// benchWorkers is how many connections post callbacks at once.
const benchWorkers = 8

// benchCard posts a meeting card like the bot's (an embed with fields, a
// row of four buttons) and returns its channel and id.
func benchCard(tb testing.TB, srv *Server) (string, string) {
	tb.Helper()
	dg := session(tb, srv)
	ch := "500000000000000077"
	fields := []*discordgo.MessageEmbedField{
		{Name: "Kdy", Value: "pondělí 23. 3. 2027 10:00"},
		{Name: "Kde", Value: "zasedačka ve 3. patře"},
		{Name: "Odpovědi", Value: "Přijdu: 0 · Možná: 0 · Nepřijdu: 0"},
		{Name: "Program", Value: "1. Rozpočet\n2. Různé"},
	}
	row := discordgo.ActionsRow{Components: []discordgo.MessageComponent{
		discordgo.Button{Label: "Přijdu", Style: discordgo.SuccessButton, CustomID: "rsvp-yes:1"},
		discordgo.Button{Label: "Nepřijdu", Style: discordgo.DangerButton, CustomID: "rsvp-no:1"},
		discordgo.Button{Label: "Možná", Style: discordgo.SecondaryButton, CustomID: "rsvp-maybe:1"},
		discordgo.Button{Label: "Navrhnout bod", Style: discordgo.PrimaryButton, CustomID: "propose:1"},
	}}
	m, err := dg.ChannelMessageSendComplex(ch, &discordgo.MessageSend{
		Embeds:     []*discordgo.MessageEmbed{{Title: "Jednání pracovní skupiny", Description: "Pracovní skupina", Fields: fields}},
		Components: []discordgo.MessageComponent{row},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return ch, m.ID
}

// benchUsers are burst members.
func benchUsers() []User {
	users := make([]User, benchBurst)
	for i := range users {
		users[i] = User{ID: strconv.Itoa(900000000000000000 + i), Username: fmt.Sprint("clen", i), GlobalName: fmt.Sprint("Člen ", i)}
	}
	return users
}

// cpuMeter adds up this process's CPU time (user and system) over the
// timed parts of a benchmark: on a loaded machine it is steadier than the
// wall time per op, and with several goroutines at once it is the cost.
type cpuMeter struct {
	total time.Duration
	from  time.Duration
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func (m *cpuMeter) start() { m.from = processCPU() }
func (m *cpuMeter) stop()  { m.total += processCPU() - m.from }

// report reports the CPU time per op as cpu-ns/op.
func (m *cpuMeter) report(b *testing.B) {
	b.ReportMetric(float64(m.total.Nanoseconds())/float64(b.N), "cpu-ns/op")
}

// rsvpAnswer is a callback body as the bot sends it for a click: an
// ephemeral type 4 answer, encoded by discordgo.
func rsvpAnswer(tb testing.TB) []byte {
	b, err := json.Marshal(discordgo.InteractionResponse{Type: discordgo.InteractionResponseChannelMessageWithSource,
		Data: &discordgo.InteractionResponseData{Content: "Odpověď zaznamenána: přijdu.", Flags: discordgo.MessageFlagsEphemeral,
			AllowedMentions: &discordgo.MessageAllowedMentions{}}})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// rawPoster posts callbacks over one keep-alive connection with a
// hand-written HTTP/1.1 request, so that the client's own cost per
// callback stays small beside the fake's.
type rawPoster struct {
	conn net.Conn
	r    *bufio.Reader
	auth string
	buf  []byte
}

func dialPoster(tb testing.TB, srv *Server) *rawPoster {
	tb.Helper()
	c, err := net.Dial("tcp", srv.ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = c.Close() })
	return &rawPoster{conn: c, r: bufio.NewReader(c), auth: "Bot " + srv.Token}
}

// post sends body to the callback of interaction id/token and returns the
// status the fake answered.
func (p *rawPoster) post(id, token string, body []byte) (int, error) {
	p.buf = fmt.Appendf(p.buf[:0], "POST /api/v9/interactions/%s/%s/callback HTTP/1.1\r\nHost: discord.com\r\n"+
		"Authorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", id, token, p.auth, len(body))
	p.buf = append(p.buf, body...)
	if _, err := p.conn.Write(p.buf); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(p.r, nil)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// postAll posts body to the callbacks of ins (id and token) from every
// poster at once and fails tb unless each is answered 204.
func postAll(tb testing.TB, posters []*rawPoster, ids, tokens []string, body []byte) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, len(posters))
	for _, p := range posters {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ids) {
					return
				}
				status, err := p.post(ids[i], tokens[i], body)
				if err == nil && status != http.StatusNoContent {
					err = fmt.Errorf("callback answered %d", status)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		tb.Fatal(err)
	}
}

// BenchmarkCallback measures what the fake spends on one interaction
// callback of a click burst: bursts of 200 button clicks on a meeting card
// are registered (untimed), then their callbacks, each an ephemeral type 4
// answer as the bot sends it, are posted over real HTTP from 8 keep-alive
// connections at once. The client writes requests by hand, so ns/op is
// mostly the fake's serving, validation and storing of the callback.
//
//	go test -run '^$' -bench Callback -count 5 ./bot/discordtest/
func BenchmarkCallback(b *testing.B) {
	srv := newServer(b)
	ch, card := benchCard(b, srv)
	users := benchUsers()
	body := rsvpAnswer(b)
	posters := make([]*rawPoster, benchWorkers)
	for i := range posters {
		posters[i] = dialPoster(b, srv)
	}
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(benchBurst, b.N-done)
		b.StopTimer()
		ids, tokens := make([]string, n), make([]string, n)
		for i := range n {
			in := srv.Button(users[i], ch, card, "rsvp-yes:1")
			if _, _, _, err := srv.register(in); err != nil {
				b.Fatal(err)
			}
			ids[i], tokens[i] = in.ID, in.Token
		}
		b.StartTimer()
		cpu.start()
		postAll(b, posters, ids, tokens, body)
		cpu.stop()
		done += n
	}
	cpu.report(b)
}

// BenchmarkInteractAll measures the fake's side of a whole click burst per
// click: InteractAll registers 200 button clicks, writes them back to back
// on the gateway to a client that posts each callback as it reads its
// frame (8 connections at once), and waits for every callback. The client
// is a bare websocket and hand-written HTTP that knows the clicks' ids and
// tokens in advance (they come in order), so ns/op is mostly the fake's.
// Building the clicks (Button) is not timed.
//
//	go test -run '^$' -bench InteractAll -count 5 ./bot/discordtest/
func BenchmarkInteractAll(b *testing.B) {
	srv := newServer(b)
	ch, card := benchCard(b, srv)
	users := benchUsers()
	body := rsvpAnswer(b)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	ws, _, err := websocket.DefaultDialer.Dial(srv.GatewayURL+"/?v=9&encoding=json", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer ws.Close()
	if err := ws.WriteJSON(map[string]any{"op": opIdentify, "d": map[string]any{"token": "Bot " + srv.Token, "intents": 0}}); err != nil {
		b.Fatal(err)
	}
	type job struct{ id, token string }
	pending := make(chan job, benchBurst) // the clicks of the burst, in order
	jobs := make(chan job, benchBurst)
	go func() {
		defer close(jobs)
		for {
			_, data, err := ws.ReadMessage()
			if err != nil {
				return
			}
			if bytes.Contains(data, []byte(`"t":"INTERACTION_CREATE"`)) {
				jobs <- <-pending
			}
		}
	}()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer ws.Close()
	for range benchWorkers {
		p := dialPoster(b, srv)
		wg.Go(func() {
			for j := range jobs {
				if status, err := p.post(j.id, j.token, body); err != nil || status != http.StatusNoContent {
					b.Errorf("callback: %d %v", status, err)
				}
			}
		})
	}
	if err := srv.WaitReady(ctx); err != nil {
		b.Fatal(err)
	}
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		n := min(benchBurst, b.N-done)
		b.StopTimer()
		ins := make([]*discordgo.Interaction, n)
		for i := range ins {
			in := srv.Button(users[i], ch, card, "rsvp-yes:1")
			in.ID = srv.newID()
			in.Token = interactionToken(in.ID)
			pending <- job{in.ID, in.Token}
			ins[i] = in
		}
		b.StartTimer()
		cpu.start()
		out, err := srv.InteractAll(ctx, ins)
		cpu.stop()
		if err != nil {
			b.Fatal(err)
		}
		for i, a := range out {
			if a.Err != nil || a.Response.Type != discordgo.InteractionResponseChannelMessageWithSource || a.Response.Data.Flags != discordgo.MessageFlagsEphemeral {
				b.Fatalf("click %d: %v %+v", i, a.Err, a.Response)
			}
		}
		done += n
	}
	cpu.report(b)
}

// BenchmarkButton measures building one click (Button) on a meeting card,
// which the fake does before a burst.
func BenchmarkButton(b *testing.B) {
	srv := newServer(b)
	ch, card := benchCard(b, srv)
	users := benchUsers()
	var cpu cpuMeter
	b.ReportAllocs()
	b.ResetTimer()
	cpu.start()
	for i := range b.N {
		in := srv.Button(users[i%len(users)], ch, card, "rsvp-yes:1")
		if in.Message == nil || len(in.Message.Components) != 1 {
			b.Fatalf("click without the card: %+v", in.Message)
		}
	}
	cpu.stop()
	cpu.report(b)
}
