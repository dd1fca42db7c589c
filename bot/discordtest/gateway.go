package discordtest

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"
)

// Gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
const (
	opDispatch       = 0
	opHeartbeat      = 1
	opIdentify       = 2
	opPresenceUpdate = 3
	opVoiceState     = 4
	opResume         = 6
	opReconnect      = 7
	opRequestMembers = 8
	opInvalidSession = 9
	opHello          = 10
	opHeartbeatACK   = 11
)

// Gateway opcodes a client sends, for GatewayLog and WaitGatewayOp.
const (
	// OpHeartbeat is a client's heartbeat (op 1).
	OpHeartbeat = opHeartbeat
	// OpIdentify is a client's IDENTIFY (op 2), which starts a new session.
	OpIdentify = opIdentify
	// OpResume is a client's RESUME (op 6), which continues a session.
	OpResume = opResume
)

// replayLimit is how many sent dispatches a session keeps for RESUME.
const replayLimit = 1000

// GatewayOp is one payload a client sent to the fake's gateway.
type GatewayOp struct {
	// Conn numbers the websocket connections from 1 in the order they were
	// accepted.
	Conn int
	// Op is the payload's opcode (OpIdentify, OpResume, OpHeartbeat, ...).
	Op int
	// At is when the fake read it.
	At time.Time
}

type gwConn struct {
	id  int
	ws  *websocket.Conn
	wmu sync.Mutex
	// sess is the session this connection serves; guarded by Server.mu.
	sess *gwSession
}

func (c *gwConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *gwConn) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.write(b)
}

// closeWith sends a close frame with code and waits (briefly) for the client
// to close its end. It must run on the connection's reading goroutine.
func (c *gwConn) closeWith(code int, text string) {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.wmu.Unlock()
	_ = c.ws.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			return
		}
	}
}

type sentDispatch struct {
	seq int64
	raw []byte
}

type gwSession struct {
	id string
	// intents are the intents of the IDENTIFY that started the session.
	intents discordgo.Intent
	// sendMu serialises sequence numbering and writing, so that a client
	// sees dispatches in sequence order; taken before Server.mu, never while
	// holding it.
	sendMu sync.Mutex
	// Guarded by Server.mu:
	seq  int64
	buf  []sentDispatch
	conn *gwConn
}

type gwPayload struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s"`
	T  *string         `json:"t"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		_ = ws.Close()
		return
	default:
	}
	s.connSeq++
	c := &gwConn{id: s.connSeq, ws: ws}
	s.conns[c] = struct{}{}
	interval := s.HeartbeatInterval
	s.wg.Add(1)
	s.broadcastLocked()
	s.mu.Unlock()
	defer s.wg.Done()
	defer s.dropConn(c)

	if err := c.writeJSON(map[string]any{"op": opHello, "d": map[string]any{"heartbeat_interval": interval.Milliseconds(), "_trace": []string{`["discordtest"]`}}, "s": nil, "t": nil}); err != nil {
		return
	}
	for {
		_, data, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var p gwPayload
		if err := json.Unmarshal(data, &p); err != nil {
			c.closeWith(4002, "Error while decoding payload.")
			return
		}
		s.mu.Lock()
		s.gwLog = append(s.gwLog, GatewayOp{Conn: c.id, Op: p.Op, At: time.Now()})
		s.broadcastLocked()
		s.mu.Unlock()
		switch p.Op {
		case opHeartbeat:
			if err := c.writeJSON(map[string]any{"op": opHeartbeatACK, "d": nil}); err != nil {
				return
			}
		case opIdentify:
			if !s.identify(c, p.D) {
				return
			}
		case opResume:
			if !s.resume(c, p.D) {
				return
			}
		case opPresenceUpdate, opVoiceState, opRequestMembers:
			// Accepted and ignored.
		default:
			c.closeWith(4001, "Unknown opcode.")
			return
		}
	}
}

func (s *Server) dropConn(c *gwConn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	if s.current == c {
		s.current = nil
	}
	s.broadcastLocked()
	s.mu.Unlock()
	_ = c.ws.Close()
}

func (s *Server) tokenOK(tok string) bool {
	return tok == s.Token || tok == "Bot "+s.Token
}

func (s *Server) identify(c *gwConn, d json.RawMessage) bool {
	var id struct {
		Token   string           `json:"token"`
		Intents discordgo.Intent `json:"intents"`
	}
	_ = json.Unmarshal(d, &id)
	if !s.tokenOK(id.Token) {
		c.closeWith(4004, "Authentication failed.")
		return false
	}
	if id.Intents&s.DisallowedIntents != 0 {
		c.closeWith(4014, "Disallowed intent(s).")
		return false
	}
	sess := &gwSession{id: randHex(32), intents: id.Intents}
	s.mu.Lock()
	s.lastSess = sess
	s.lastIntents = id.Intents
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	c.sess = sess
	sess.conn = c
	s.sessions[sess.id] = sess
	ready := map[string]any{
		"v": 9,
		"user": map[string]any{
			"id": s.BotUserID, "username": s.BotUsername, "discriminator": "0", "global_name": nil,
			"avatar": nil, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0,
		},
		"session_id":         sess.id,
		"session_type":       "normal",
		"resume_gateway_url": s.GatewayURL,
		"guilds":             []any{map[string]any{"id": s.GuildID, "unavailable": true}},
		"private_channels":   []any{},
		"relationships":      []any{},
		"application":        map[string]any{"id": s.AppID, "flags": 0},
		"_trace":             []string{`["discordtest"]`},
	}
	guild := s.guildLocked()
	if id.Intents&discordgo.IntentGuildPresences == 0 {
		// Without GUILD_PRESENCES Discord lists only the bot itself (and
		// members in voice channels, which the fake has none of).
		guild.Members = []*discordgo.Member{s.members[s.BotUserID].dgMember(s.GuildID, true)}
	}
	s.mu.Unlock()

	sess.sendMu.Lock()
	s.dispatchLocked(sess, "READY", ready)
	s.dispatchLocked(sess, "GUILD_CREATE", guild)
	sess.sendMu.Unlock()

	s.mu.Lock()
	if _, ok := s.conns[c]; ok && c.sess == sess {
		s.current = c
	}
	s.broadcastLocked()
	s.mu.Unlock()
	return true
}

func (s *Server) resume(c *gwConn, d json.RawMessage) bool {
	var rp struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	_ = json.Unmarshal(d, &rp)
	if !s.tokenOK(rp.Token) {
		c.closeWith(4004, "Authentication failed.")
		return false
	}
	invalid := func() bool {
		return c.writeJSON(map[string]any{"op": opInvalidSession, "d": false}) == nil
	}
	s.mu.Lock()
	sess := s.sessions[rp.SessionID]
	s.mu.Unlock()
	if sess == nil {
		return invalid()
	}

	sess.sendMu.Lock()
	s.mu.Lock()
	if _, ok := s.sessions[rp.SessionID]; !ok || rp.Seq > sess.seq {
		s.mu.Unlock()
		sess.sendMu.Unlock()
		return invalid()
	}
	old := sess.conn
	if old == c {
		old = nil
	}
	if old != nil && s.current == old {
		s.current = nil
	}
	if c.sess != nil && c.sess != sess && c.sess.conn == c {
		c.sess.conn = nil
	}
	sess.conn = c
	c.sess = sess
	s.lastSess = sess
	var replay [][]byte
	for _, d := range sess.buf {
		if d.seq > rp.Seq {
			replay = append(replay, d.raw)
		}
	}
	s.mu.Unlock()
	for _, raw := range replay {
		_ = c.write(raw)
	}
	s.dispatchLocked(sess, "RESUMED", map[string]any{"_trace": []string{`["discordtest"]`}})
	sess.sendMu.Unlock()

	s.mu.Lock()
	if _, ok := s.conns[c]; ok && c.sess == sess {
		s.current = c
	}
	s.broadcastLocked()
	s.mu.Unlock()
	if old != nil {
		_ = old.ws.UnderlyingConn().Close()
	}
	return true
}

// dispatchFrame encodes an op 0 dispatch of type t, number seq, with data
// d, which must be JSON as json.Marshal makes it (valid, compact): it is
// spliced in, not encoded again. The keys are in json.Marshal's order for
// a map.
func dispatchFrame(t string, seq int64, d json.RawMessage) []byte {
	b := make([]byte, 0, len(d)+len(t)+48)
	b = append(b, `{"d":`...)
	b = append(b, d...)
	b = append(b, `,"op":`...)
	b = strconv.AppendInt(b, opDispatch, 10)
	b = append(b, `,"s":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"t":`...)
	b = append(b, jsonString(t)...)
	return append(b, '}')
}

// dispatchLocked numbers a dispatch, keeps it for RESUME and writes it to
// the session's connection, if it has one. sess.sendMu must be held.
func (s *Server) dispatchLocked(sess *gwSession, t string, d any) int64 {
	raw, err := json.Marshal(d)
	if err != nil {
		panic("discordtest: cannot encode " + t + ": " + err.Error())
	}
	return s.dispatchRawLocked(sess, t, raw)
}

// dispatchRawLocked is dispatchLocked for data d the fake encoded itself
// (see dispatchFrame). sess.sendMu must be held.
func (s *Server) dispatchRawLocked(sess *gwSession, t string, d json.RawMessage) int64 {
	s.mu.Lock()
	sess.seq++
	seq := sess.seq
	raw := dispatchFrame(t, seq, d)
	sess.buf = append(sess.buf, sentDispatch{seq: seq, raw: raw})
	if len(sess.buf) > replayLimit {
		sess.buf = append([]sentDispatch(nil), sess.buf[len(sess.buf)-replayLimit:]...)
	}
	c := sess.conn
	s.broadcastLocked()
	s.mu.Unlock()
	if c != nil {
		// A failed write leaves the dispatch in the buffer, to be replayed
		// when the client resumes.
		_ = c.write(raw)
	}
	return seq
}

// readySession waits until a client connection has got READY or RESUMED and
// returns its session.
func (s *Server) readySession(ctx context.Context) (*gwSession, error) {
	var sess *gwSession
	err := s.waitFor(ctx, func() bool {
		if s.current != nil {
			sess = s.current.sess
		}
		return sess != nil
	})
	return sess, err
}

// Dispatch sends an event of type eventType with data d (anything that
// encodes to the event's JSON) to the connected client as an op 0 dispatch,
// waiting with ctx for a client to be READY. Interact uses it for
// INTERACTION_CREATE; tests may send MESSAGE_CREATE, GUILD_MEMBER_UPDATE and
// the like.
func (s *Server) Dispatch(ctx context.Context, eventType string, d any) error {
	sess, err := s.readySession(ctx)
	if err != nil {
		return err
	}
	sess.sendMu.Lock()
	defer sess.sendMu.Unlock()
	s.dispatchLocked(sess, eventType, d)
	return nil
}

// WaitReady waits until a client connection has identified (or resumed) and
// got READY (or RESUMED) and is still connected. After CloseGateway,
// SendReconnect or SendInvalidSession it waits for the client to come back.
func (s *Server) WaitReady(ctx context.Context) error {
	_, err := s.readySession(ctx)
	return err
}

// detachCurrentLocked forgets the current connection: later dispatches are
// only buffered until the client resumes. s.mu must be held.
func (s *Server) detachCurrentLocked() *gwConn {
	c := s.current
	if c == nil {
		return nil
	}
	s.current = nil
	if c.sess != nil && c.sess.conn == c {
		c.sess.conn = nil
	}
	s.broadcastLocked()
	return c
}

// settleWait bounds how long CloseGateway and SendReconnect wait for the
// connection's first heartbeat.
const settleWait = 10 * time.Second

// detachSettled waits until the current connection has sent a heartbeat (or
// there is no current connection), then detaches it as detachCurrentLocked
// does. After settleWait it detaches the connection anyway.
//
// discordgo v0.29.0 starts a connection's heartbeat goroutine at the end of
// Open, and that goroutine writes its first heartbeat without looking
// whether the connection has meanwhile been closed. If the connection drops
// (or gets op 7) before that write, discordgo's reading goroutine closes it
// and reconnects, and then the heartbeat goroutine fails with "websocket:
// close sent", calls Session.Close too (which closes the new connection,
// often before its READY or a dispatch has been handled) and reconnects a
// second time. The client then RESUMEs again: the new session if it
// handled that session's READY in time, else the old one, which gets op 9
// and a third IDENTIFY, and what was sent to the new session is lost (tests
// saw a lost INTERACTION_CREATE, and two RESUMEs). Waiting for the first
// heartbeat makes CloseGateway and SendReconnect drop an established
// connection, which is what they model.
func (s *Server) detachSettled() *gwConn {
	ctx, cancel := context.WithTimeout(context.Background(), settleWait)
	defer cancel()
	var c *gwConn
	err := s.waitFor(ctx, func() bool {
		if s.current != nil && !s.heartbeatSeenLocked(s.current) {
			return false
		}
		c = s.detachCurrentLocked()
		return true
	})
	if err != nil {
		s.mu.Lock()
		c = s.detachCurrentLocked()
		s.mu.Unlock()
	}
	return c
}

// heartbeatSeenLocked reports whether connection c has sent a heartbeat.
// s.mu must be held.
func (s *Server) heartbeatSeenLocked(c *gwConn) bool {
	for i := len(s.gwLog) - 1; i >= 0; i-- {
		if g := s.gwLog[i]; g.Conn == c.id && g.Op == opHeartbeat {
			return true
		}
	}
	return false
}

// CloseGateway abruptly closes the current gateway connection, without a
// close frame (the client sees an unexpected EOF, like close code 1006).
// discordgo then reconnects and RESUMEs; dispatches sent meanwhile are
// replayed on RESUME. It does nothing when no client is connected.
//
// It first waits (up to 10 s) for the connection's first heartbeat: a
// connection dropped before discordgo v0.29.0 has sent it makes discordgo
// reconnect twice and lose dispatches (see detachSettled).
func (s *Server) CloseGateway() {
	c := s.detachSettled()
	if c != nil {
		_ = c.ws.UnderlyingConn().Close()
	}
}

// SendReconnect sends op 7 RECONNECT on the current gateway connection;
// discordgo closes it and reconnects with RESUME. Until then dispatches are
// only buffered for the resume. Like CloseGateway, it first waits (up to
// 10 s) for the connection's first heartbeat.
func (s *Server) SendReconnect() {
	c := s.detachSettled()
	if c != nil {
		_ = c.writeJSON(map[string]any{"op": opReconnect, "d": nil})
	}
}

// SendInvalidSession sends op 9 INVALID_SESSION with d = resumable on the
// current gateway connection. When resumable is false the session is
// forgotten, so a RESUME of it is refused. discordgo v0.29.0 answers op 9
// with a fresh IDENTIFY on the same connection either way.
func (s *Server) SendInvalidSession(resumable bool) {
	s.mu.Lock()
	var sess *gwSession
	if s.current != nil {
		sess = s.current.sess
	}
	c := s.detachCurrentLocked()
	if !resumable && sess != nil {
		delete(s.sessions, sess.id)
	}
	s.mu.Unlock()
	if c != nil {
		_ = c.writeJSON(map[string]any{"op": opInvalidSession, "d": resumable})
	}
}

// WaitHeartbeat waits until the current gateway connection has sent a
// heartbeat. discordgo v0.29.0 sends its first heartbeat from a goroutine
// right after Open; a Session.Close that wins that race makes the heartbeat
// fail and discordgo start a reconnect loop, so tests call WaitHeartbeat
// before closing a session. (CloseGateway and SendReconnect wait for it
// themselves.)
func (s *Server) WaitHeartbeat(ctx context.Context) error {
	return s.waitFor(ctx, func() bool {
		return s.current != nil && s.heartbeatSeenLocked(s.current)
	})
}

// Intents returns the gateway intents of the latest IDENTIFY (0 before the
// first), e.g. discordgo.IntentsGuilds | discordgo.IntentGuildMembers.
func (s *Server) Intents() discordgo.Intent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastIntents
}

// GatewayLog returns every payload clients sent to the gateway, in order.
func (s *Server) GatewayLog() []GatewayOp {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]GatewayOp(nil), s.gwLog...)
}

// CountGatewayOp returns how many payloads with opcode op clients have sent.
func (s *Server) CountGatewayOp(op int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.countOpLocked(op)
}

func (s *Server) countOpLocked(op int) int {
	n := 0
	for _, g := range s.gwLog {
		if g.Op == op {
			n++
		}
	}
	return n
}

// WaitGatewayOp waits until clients have sent at least n payloads with
// opcode op in all.
func (s *Server) WaitGatewayOp(ctx context.Context, op, n int) error {
	return s.waitFor(ctx, func() bool { return s.countOpLocked(op) >= n })
}
