package bot

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"coordbot/internal/jsonscan"
)

// gateway is the bot's client of Discord's gateway, the websocket over
// which Discord sends events (a click is an INTERACTION_CREATE).
//
// discordgo has a gateway client too, but its single reading goroutine
// decodes every event into discordgo's typed structs before any handler
// runs (for a button click that is the whole message the button sits on:
// the card with its embeds and components), so when 200 people click at
// once the last click waited for 199 decodings (~0.3–0.5 ms each on two
// cores) before its handler began. This reader only reads the envelope of
// a payload ("op", "s", "t") and hands the event's raw JSON to dispatch;
// the bot decodes it in the handler's goroutine. discordgo stays for
// everything else: its REST client, rate limiting and types.
//
// The protocol (https://discord.com/developers/docs/topics/gateway): the
// server says HELLO (op 10) with a heartbeat interval; the client sends
// IDENTIFY (op 2, a new session) or RESUME (op 6, the session id and the
// last sequence number seen, after which the server replays what was
// missed and says RESUMED); dispatches (op 0) carry a sequence number s
// and an event name t; the client heartbeats (op 1 with the last s) every
// interval and the server acknowledges (op 11); the server may ask for a
// heartbeat (op 1), a reconnect (op 7) or invalidate the session (op 9, d
// = whether it may still be resumed).
type gateway struct {
	token   string
	intents discordgo.Intent
	logger  *slog.Logger
	// url returns the gateway's URL (GET /gateway), asked before each new
	// session.
	url func() (string, error)
	// dispatch gets each event's name and raw data, in the order Discord
	// sent them, on the connection's reading goroutine: it must not block.
	dispatch func(t string, d json.RawMessage)
	// dialer dials the websocket.
	dialer *websocket.Dialer
	// invalidDelay is how long to wait before a new IDENTIFY after op 9
	// (Discord asks for a random 1–5 s).
	invalidDelay func() time.Duration
	// handshakeTimeout bounds a connection's dial up to READY or RESUMED.
	handshakeTimeout time.Duration

	// seq is the last sequence number received, 0 before the first.
	seq atomic.Int64

	mu sync.Mutex
	// sessionID and resumeURL are from READY; "" when there is no session
	// to resume.
	sessionID, resumeURL string
	// user is the bot's own user from READY, app its application id.
	user *discordgo.User
	app  string
	// conn is the current connection, nil between connections.
	conn *gwConn
	// ctx ends when close begins (nil before open); cancel ends it.
	ctx    context.Context
	cancel context.CancelFunc
	// running is closed when the reconnecting goroutine has ended (nil
	// before open succeeded).
	running chan struct{}
}

// gwConn is one websocket connection of the gateway.
type gwConn struct {
	ws       *websocket.Conn
	interval time.Duration
	wmu      sync.Mutex // gorilla/websocket allows one writer at a time
	// acked is whether the last heartbeat has been acknowledged.
	acked atomic.Bool
	// beat asks the heartbeat goroutine for a heartbeat now (op 1 from the
	// server).
	beat chan struct{}
	// ready is closed at READY or RESUMED.
	ready     chan struct{}
	readyOnce sync.Once
	// done is closed when the reading goroutine has ended; cause says why.
	done  chan struct{}
	errMu sync.Mutex
	err   error
}

// fail records why c ends; the first reason is kept.
func (c *gwConn) fail(err error) {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	if c.err == nil {
		c.err = err
	}
}

// cause is why c ended.
func (c *gwConn) cause() error {
	c.errMu.Lock()
	defer c.errMu.Unlock()
	return c.err
}

// gatewayCloseError is a close frame the server sent.
type gatewayCloseError struct {
	code int
	text string
}

func (e *gatewayCloseError) Error() string {
	return fmt.Sprintf("gateway closed the connection: %d %s", e.code, e.text)
}

// fatal reports whether reconnecting cannot help: the token, the intents,
// the API version or sharding are wrong, which only the operator can mend.
func (e *gatewayCloseError) fatal() bool {
	switch e.code {
	case 4004, 4010, 4011, 4012, 4013, 4014:
		return true
	}
	return false
}

// explain adds what the operator should do for the fatal close codes.
func (e *gatewayCloseError) explain() string {
	switch e.code {
	case 4004:
		return "authentication failed: check the bot token (COORDBOT_DISCORD_TOKEN)"
	case 4014:
		return "disallowed intents: a group follows a Discord role, which needs the privileged Server Members Intent; switch it on for the bot in the developer portal"
	case 4013:
		return "invalid intents"
	case 4012:
		return "invalid API version"
	case 4010, 4011:
		return "sharding"
	}
	return e.text
}

// errReconnect ends a connection whose session is to be resumed on a new
// one (op 7, or op 9 with d true).
var errReconnect = errors.New("gateway asked for a reconnect")

// errZombie ends a connection whose heartbeat went unacknowledged.
var errZombie = errors.New("gateway did not acknowledge a heartbeat")

// payload is the envelope of every gateway payload; d stays raw.
type payload struct {
	Op int             `json:"op"`
	S  int64           `json:"s"`
	T  string          `json:"t"`
	D  json.RawMessage `json:"d"`
}

// Gateway opcodes.
const (
	gwDispatch       = 0
	gwHeartbeat      = 1
	gwIdentify       = 2
	gwResume         = 6
	gwReconnect      = 7
	gwInvalidSession = 9
	gwHello          = 10
	gwHeartbeatACK   = 11
)

// open connects and identifies, and returns once READY has arrived (or
// the connection failed); after that a goroutine keeps the bot connected,
// resuming the session after a drop, until close.
func (g *gateway) open(ctx context.Context) error {
	g.mu.Lock()
	if g.ctx == nil {
		g.ctx, g.cancel = context.WithCancel(context.Background())
	}
	life := g.ctx
	g.mu.Unlock()
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	defer context.AfterFunc(life, stop)()
	c, err := g.connect(ctx, life, false)
	if err != nil {
		return err
	}
	running := make(chan struct{})
	g.mu.Lock()
	g.running = running
	g.mu.Unlock()
	go g.run(life, c, running)
	return nil
}

// self returns the bot's user and application id from READY.
func (g *gateway) self() (*discordgo.User, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.user, g.app
}

// close disconnects with a normal closure, which ends the session, and
// waits for the gateway's goroutines. The gateway can be opened again.
func (g *gateway) close() error {
	g.mu.Lock()
	if g.ctx == nil {
		g.mu.Unlock()
		return nil
	}
	g.cancel()
	c, running := g.conn, g.running
	g.conn, g.running, g.ctx, g.cancel = nil, nil, nil, nil
	g.sessionID = ""
	g.mu.Unlock()
	if c != nil {
		c.shut(websocket.CloseNormalClosure)
	}
	if running != nil {
		<-running
	}
	return nil
}

// run keeps the gateway connected: when connection c ends it connects
// again (resuming the session when it can) with backoff, until life ends.
func (g *gateway) run(life context.Context, c *gwConn, running chan struct{}) {
	defer close(running)
	step := time.Duration(0)
	for {
		select {
		case <-c.done:
		case <-life.Done():
			<-c.done
			return
		}
		if life.Err() != nil {
			return
		}
		var ce *gatewayCloseError
		if errors.As(c.cause(), &ce) && ce.fatal() {
			g.logger.Error("bot: discord gateway refused the bot; not reconnecting", "code", ce.code, "reason", ce.explain())
			return
		}
		g.logger.Info("bot: discord gateway connection ended, reconnecting", "reason", c.cause())
		for {
			if step > 0 {
				// Equal jitter, as in Bot.retry.
				t := time.NewTimer(step/2 + rand.N(step-step/2+1))
				select {
				case <-life.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
			g.mu.Lock()
			resume := g.sessionID != ""
			g.mu.Unlock()
			nc, err := g.connect(life, life, resume)
			if err == nil {
				c, step = nc, 0
				break
			}
			if life.Err() != nil {
				return
			}
			if errors.As(err, &ce) && ce.fatal() {
				g.logger.Error("bot: discord gateway refused the bot; not reconnecting", "code", ce.code, "reason", ce.explain())
				return
			}
			g.logger.Debug("bot: discord gateway reconnect failed", "resume", resume, "error", err)
			step = min(max(2*step, backoffMin), backoffMax)
		}
	}
}

// connect dials the gateway, says IDENTIFY (or RESUME when resume is set
// and the session is known) and waits for READY (or RESUMED); ctx bounds
// the wait, life is the gateway's (the connection ends with it).
func (g *gateway) connect(ctx, life context.Context, resume bool) (*gwConn, error) {
	g.mu.Lock()
	base := g.resumeURL
	g.mu.Unlock()
	if !resume || base == "" {
		resume = false
		u, err := g.url()
		if err != nil {
			return nil, err
		}
		base = u
	}
	ctx, cancel := context.WithTimeout(ctx, g.handshakeTimeout)
	defer cancel()
	ws, _, err := g.dialer.DialContext(ctx, gatewayURL(base), nil)
	if err != nil {
		return nil, fmt.Errorf("bot: dial discord gateway: %w", err)
	}
	growReadBuffer(ws.UnderlyingConn())
	// HELLO comes first and says how often to heartbeat.
	deadline, _ := ctx.Deadline()
	_ = ws.SetReadDeadline(deadline)
	var hello struct {
		Op int `json:"op"`
		D  struct {
			Interval int64 `json:"heartbeat_interval"`
		} `json:"d"`
	}
	if err := readJSON(ws, &hello); err != nil || hello.Op != gwHello || hello.D.Interval <= 0 {
		ws.Close()
		if err == nil {
			err = fmt.Errorf("first payload op %d, want HELLO", hello.Op)
		}
		return nil, fmt.Errorf("bot: discord gateway hello: %w", err)
	}
	_ = ws.SetReadDeadline(time.Time{})
	c := &gwConn{ws: ws, interval: time.Duration(hello.D.Interval) * time.Millisecond,
		beat: make(chan struct{}, 1), ready: make(chan struct{}), done: make(chan struct{})}
	c.acked.Store(true)
	if resume {
		err = g.sendResume(c)
	} else {
		err = g.sendIdentify(c)
	}
	if err != nil {
		ws.Close()
		return nil, fmt.Errorf("bot: discord gateway: %w", err)
	}
	g.mu.Lock()
	if life.Err() != nil {
		g.mu.Unlock()
		ws.Close()
		return nil, errors.New("bot: discord gateway closed")
	}
	g.conn = c
	g.mu.Unlock()
	go g.heartbeat(c)
	go g.read(life, c)
	select {
	case <-c.ready:
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("bot: discord gateway: %w", c.cause())
	case <-ctx.Done():
		c.shut(4000)
		<-c.done
		return nil, fmt.Errorf("bot: discord gateway: no READY: %w", ctx.Err())
	}
}

// gatewayURL adds the API version and encoding to a gateway URL.
func gatewayURL(base string) string {
	if !strings.HasSuffix(base, "/") && !strings.Contains(base, "?") {
		base += "/"
	}
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "v=" + discordgo.APIVersion + "&encoding=json"
}

// gatewayReadBuffer is the receive buffer asked for the gateway's socket.
// 200 clicks at once arrive as 200 frames of 1.5-3.5 KiB written back to
// back; the kernel starts a connection with 128 KiB and grows it only as
// the reader proves fast. When the read loop lost the CPU for a moment at
// the start of such a burst, the buffer filled, the connection advertised
// a zero window, and the frames waited for the sender's next probe: every
// click of the round 200 ms late (issue 14: TCPToZeroWindowAdv counted
// during the benchmark's slow rounds). 4 MiB holds any burst; the kernel
// caps it at net.core.rmem_max.
const gatewayReadBuffer = 4 << 20

// growReadBuffer sets the gateway socket's receive buffer (under TLS, of
// the TCP connection beneath it).
func growReadBuffer(c net.Conn) {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if tcp, ok := c.(*net.TCPConn); ok {
		_ = tcp.SetReadBuffer(gatewayReadBuffer)
	}
}

// readJSON reads one payload into v.
func readJSON(ws *websocket.Conn, v any) error {
	data, err := readFrame(ws, new(bytes.Buffer))
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// maxScratch is the largest read buffer kept between frames: a READY of a
// large guild is read once, and its buffer is let go.
const maxScratch = 1 << 20

// readFrame reads one message; a binary one is zlib-compressed JSON
// (Discord's payload compression, which the bot does not ask for but
// accepts). The message is read into scratch, which the caller keeps from
// frame to frame, and returned as a copy of its own: websocket's
// ReadMessage grows a new buffer for each message, four allocations and
// twice the bytes for a 3 KiB click.
func readFrame(ws *websocket.Conn, scratch *bytes.Buffer) ([]byte, error) {
	scratch.Reset()
	kind, r, err := ws.NextReader()
	if err == nil {
		if kind == websocket.BinaryMessage {
			var z io.ReadCloser
			if z, err = zlib.NewReader(r); err != nil {
				return nil, fmt.Errorf("compressed payload: %w", err)
			}
			_, err = scratch.ReadFrom(z)
			z.Close()
		} else {
			_, err = scratch.ReadFrom(r)
		}
	}
	if err != nil {
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return nil, &gatewayCloseError{code: ce.Code, text: ce.Text}
		}
		return nil, err
	}
	data := bytes.Clone(scratch.Bytes())
	if scratch.Cap() > maxScratch {
		*scratch = bytes.Buffer{}
	}
	return data, nil
}

// write sends one payload.
func (c *gwConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// shut closes the connection with close code code (1000 ends the session
// at Discord; any other code keeps it resumable). The reading goroutine
// then ends.
func (c *gwConn) shut(code int) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.Close()
}

// sendIdentify starts a new session.
func (g *gateway) sendIdentify(c *gwConn) error {
	g.seq.Store(0)
	return c.write(map[string]any{"op": gwIdentify, "d": map[string]any{
		"token":      "Bot " + g.token,
		"intents":    g.intents,
		"properties": map[string]string{"os": "linux", "browser": "coordbot", "device": "coordbot"},
	}})
}

// sendResume continues the session after the last sequence number seen.
func (g *gateway) sendResume(c *gwConn) error {
	g.mu.Lock()
	id := g.sessionID
	g.mu.Unlock()
	return c.write(map[string]any{"op": gwResume, "d": map[string]any{
		"token": "Bot " + g.token, "session_id": id, "seq": g.seq.Load(),
	}})
}

// heartbeat sends heartbeats on c until it ends. A heartbeat not
// acknowledged by the time of the next one means the connection is dead
// without having said so (a "zombied" connection): it is closed, so that
// the bot reconnects and resumes.
func (g *gateway) heartbeat(c *gwConn) {
	// The first heartbeat waits a random part of the interval, so that
	// many clients reconnecting together do not beat together.
	t := time.NewTimer(time.Duration(rand.Int64N(int64(c.interval)) + 1))
	defer t.Stop()
	for {
		asked := false
		select {
		case <-c.done:
			return
		case <-c.beat:
			asked = true
		case <-t.C:
			t.Reset(c.interval)
		}
		if !asked && !c.acked.Swap(false) {
			c.fail(errZombie)
			c.shut(4000)
			return
		}
		var seq any
		if s := g.seq.Load(); s > 0 {
			seq = s
		}
		if err := c.write(map[string]any{"op": gwHeartbeat, "d": seq}); err != nil {
			c.shut(4000)
			return
		}
	}
}

// read reads c's payloads until it ends, handing dispatches on.
func (g *gateway) read(life context.Context, c *gwConn) {
	var err error
	defer func() {
		c.fail(err)
		_ = c.ws.Close()
		g.mu.Lock()
		if g.conn == c {
			g.conn = nil
		}
		g.mu.Unlock()
		close(c.done)
	}()
	var scratch bytes.Buffer
	for {
		var data []byte
		data, err = readFrame(c.ws, &scratch)
		if err != nil {
			return
		}
		var p payload
		if p, err = envelope(data); err != nil {
			err = fmt.Errorf("payload: %w", err)
			c.shut(4000)
			return
		}
		switch p.Op {
		case gwDispatch:
			if p.S > 0 {
				g.seq.Store(p.S)
			}
			g.onDispatch(c, p.T, p.D)
		case gwHeartbeat:
			select {
			case c.beat <- struct{}{}:
			default:
			}
		case gwHeartbeatACK:
			c.acked.Store(true)
		case gwReconnect:
			err = errReconnect
			c.shut(4000)
			return
		case gwInvalidSession:
			var resumable bool
			_ = json.Unmarshal(p.D, &resumable)
			if resumable {
				err = errReconnect
				c.shut(4000)
				return
			}
			// The session is gone: after a pause, a new one on this
			// connection.
			g.mu.Lock()
			g.sessionID = ""
			g.mu.Unlock()
			t := time.NewTimer(g.invalidDelay())
			select {
			case <-life.Done():
				t.Stop()
				err = life.Err()
				return
			case <-t.C:
			}
			if err = g.sendIdentify(c); err != nil {
				return
			}
		}
	}
}

// onDispatch handles the events that concern the connection itself and
// hands every event on.
func (g *gateway) onDispatch(c *gwConn, t string, d json.RawMessage) {
	switch t {
	case "READY":
		var r struct {
			SessionID string          `json:"session_id"`
			ResumeURL string          `json:"resume_gateway_url"`
			User      *discordgo.User `json:"user"`
			App       struct {
				ID string `json:"id"`
			} `json:"application"`
		}
		if err := json.Unmarshal(d, &r); err == nil {
			g.mu.Lock()
			g.sessionID, g.resumeURL, g.user, g.app = r.SessionID, r.ResumeURL, r.User, r.App.ID
			g.mu.Unlock()
		}
		g.dispatch(t, d)
		c.readyOnce.Do(func() { close(c.ready) })
		return
	case "RESUMED":
		g.dispatch(t, d)
		c.readyOnce.Do(func() { close(c.ready) })
		return
	}
	g.dispatch(t, d)
}

// envelope reads a payload's "op", "s" and "t" and returns "d" as a
// slice of data, in one pass that steps over "d" without decoding it
// (json.Unmarshal into payload would scan the whole payload twice: once
// to validate it, once to copy "d"). It does not validate "d": whoever
// decodes it does. A payload it cannot read this way (an escaped key or
// event name, broken JSON) goes through json.Unmarshal, which gives the
// error.
func envelope(data []byte) (payload, error) {
	var p payload
	if fastEnvelope(data, &p) {
		return p, nil
	}
	p = payload{}
	err := json.Unmarshal(data, &p)
	return p, err
}

// fastEnvelope is envelope's single pass; false means "use json".
func fastEnvelope(data []byte, p *payload) bool {
	return jsonscan.EachMember(data, func(key []byte, _, start, end int) bool {
		v := data[start:end]
		if !plainKey(key) {
			return false
		}
		switch string(key) {
		case "op":
			n, ok := plainInt(v)
			if !ok {
				return false
			}
			p.Op = int(n)
		case "s":
			if string(v) != "null" {
				n, ok := plainInt(v)
				if !ok {
					return false
				}
				p.S = n
			}
		case "t":
			if string(v) != "null" {
				if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 {
					return false
				}
				p.T = string(v[1 : len(v)-1])
			}
		case "d":
			p.D = json.RawMessage(v)
		}
		return true
	})
}

// plainKey reports whether key is one that json.Unmarshal would match to
// the same payload field as the exact comparison in fastEnvelope does:
// encoding/json also matches keys case-insensitively (with Unicode
// folding), so a key that differs from "op", "s", "t" or "d" only in case,
// or that is not ASCII, is left to it.
func plainKey(key []byte) bool {
	for _, c := range key {
		if c >= 0x80 {
			return false
		}
	}
	switch string(key) {
	case "op", "s", "t", "d":
		return true
	}
	for _, f := range []string{"op", "s", "t", "d"} {
		if strings.EqualFold(string(key), f) {
			return false
		}
	}
	return true
}

// plainInt reads a JSON integer without sign tricks: digits, perhaps a
// leading minus.
func plainInt(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	neg := v[0] == '-'
	if neg {
		v = v[1:]
		if len(v) == 0 {
			return 0, false
		}
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}
