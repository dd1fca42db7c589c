// Package discordtest is a fake Discord: gateway websocket and REST API on a
// loopback port, for tests of package bot with the unmodified discordgo client.
//
// A test starts a fake with New, points a discordgo.Session at it (see
// HTTPClient and NewSession, or rewrite the REST host the same way in the
// code under test), opens the session and then drives it: Interact sends an
// INTERACTION_CREATE over the gateway and waits for the bot's callback;
// Messages, DMs, Commands, ScheduledEvents and Requests show what the bot did
// through the REST API; CloseGateway, SendReconnect, SendInvalidSession and
// Inject produce the faults a real Discord produces, and Hold keeps a REST
// call in flight (before or after its effect) for tests that kill the client
// meanwhile. AddMemberAndDispatch, UpdateMember, SetMemberRoles and
// RemoveMember change the guild's members and send the GUILD_MEMBER_* events
// to a client that identified with the GUILD_MEMBERS intent.
//
// The fake answers like Discord API v9 as spoken by discordgo v0.29.0: JSON
// payloads, snowflake ids, 204 for interaction callbacks, Discord's error
// bodies ({"message": ..., "code": ...}, 50035 "Invalid Form Body" with an
// errors tree for payloads Discord would refuse), rate-limit bodies and
// headers for injected 429s, and nonce deduplication for messages sent with
// enforce_nonce.
package discordtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
)

// ErrClosed is returned by the Wait functions and Interact when the Server
// is closed while they wait.
var ErrClosed = errors.New("discordtest: server closed")

// discordEpoch is the first millisecond of 2015, Discord's snowflake epoch.
const discordEpoch = 1420070400000

// nonceWindow is how long Discord remembers a nonce sent with enforce_nonce.
const nonceWindow = 5 * time.Minute

// Server is a fake Discord listening on 127.0.0.1. Its exported fields are
// set by New; HeartbeatInterval and GuildName may be changed before the first
// client connects. All methods are safe for concurrent use.
type Server struct {
	// URL is the fake's REST base, "http://127.0.0.1:PORT", to use as
	// discord.api_url: requests arrive under /api/v9/.
	URL string
	// GatewayURL is the websocket address that GET /api/v9/gateway returns,
	// "ws://127.0.0.1:PORT/ws"; discordgo dials it with "/?v=9&encoding=json".
	GatewayURL string
	// AppID is the application id (a snowflake), sent in READY's
	// application.id and used in interactions and webhook paths.
	AppID string
	// GuildID is the id of the one guild the bot is in.
	GuildID string
	// GuildName is the guild's name in GUILD_CREATE and GET /guilds/{id}.
	GuildName string
	// BotUserID is the bot user's id, sent in READY's user.id and used as
	// the author of every message the bot sends.
	BotUserID string
	// BotUsername is the bot user's username ("coordbot").
	BotUsername string
	// Token is the bot token the fake accepts: REST calls must carry
	// "Authorization: Bot " + Token (otherwise 401), and IDENTIFY or RESUME
	// must carry Token or "Bot " + Token (otherwise close code 4004).
	Token string
	// HeartbeatInterval is sent in HELLO; 41.25 s by default, like Discord.
	// Set it before a client connects.
	HeartbeatInterval time.Duration
	// DisallowedIntents are the privileged gateway intents the application
	// is not approved for (in the developer portal), none by default. An
	// IDENTIFY asking for one of them is refused with close code 4014
	// "Disallowed intent(s).", and with discordgo.IntentGuildMembers among
	// them GET /guilds/{guild}/members answers 403 Missing Access (50001).
	// Set it before a client connects.
	DisallowedIntents discordgo.Intent

	ln        net.Listener
	hs        *http.Server
	wg        sync.WaitGroup
	done      chan struct{}
	closeOnce sync.Once

	idMu   sync.Mutex
	lastID uint64

	mu sync.Mutex
	// changed is closed at every change of state when someone waits for
	// one (waitFor makes it); nil while nobody waits, so that a change
	// nobody waits for costs no channel.
	changed chan struct{}

	// botAuthor is the bot user as a message's author, encoded, for
	// botAuthorKey (BotUserID and BotUsername when it was encoded).
	botAuthor    json.RawMessage
	botAuthorKey [2]string

	conns    map[*gwConn]struct{}
	current  *gwConn // the connection that last got READY or RESUMED, nil while none is usable
	sessions map[string]*gwSession
	gwLog    []GatewayOp
	connSeq  int

	requests []Request
	faults   []*Fault
	holds    []*hold

	// lastSess is the session of the latest IDENTIFY or RESUME, which gets
	// member events (buffered while its client is between connections).
	lastSess    *gwSession
	lastIntents discordgo.Intent
	// memberMu keeps member changes and their events in the same order.
	memberMu sync.Mutex

	msgs       map[string]*message
	channels   map[string]*channel
	chanOrder  []string
	dms        map[string]string // user id → DM channel id
	blockedDMs map[string]bool

	members     map[string]User
	memberOrder []string
	roles       map[string]string // id → name
	roleOrder   []string

	cmds         map[string][]*discordgo.ApplicationCommand // scope ("" = global, else guild id) → commands
	cmdIDs       map[string]string                          // scope + "\x00" + name → id, kept across overwrites
	lastCmdScope string

	events     map[string]map[string]json.RawMessage
	eventOrder []string

	interactions map[string]*interaction // by id
	byToken      map[string]*interaction
}

// New starts a fake Discord on 127.0.0.1 with a random port and fresh ids
// and token.
func New() (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{
		HeartbeatInterval: 41250 * time.Millisecond,
		BotUsername:       "coordbot",
		GuildName:         "Coordbot Test Guild",
		ln:                ln,
		done:              make(chan struct{}),
		conns:             map[*gwConn]struct{}{},
		sessions:          map[string]*gwSession{},
		msgs:              map[string]*message{},
		channels:          map[string]*channel{},
		dms:               map[string]string{},
		blockedDMs:        map[string]bool{},
		members:           map[string]User{},
		roles:             map[string]string{},
		cmds:              map[string][]*discordgo.ApplicationCommand{},
		cmdIDs:            map[string]string{},
		events:            map[string]map[string]json.RawMessage{},
		interactions:      map[string]*interaction{},
		byToken:           map[string]*interaction{},
	}
	addr := ln.Addr().String()
	s.URL = "http://" + addr
	s.GatewayURL = "ws://" + addr + "/ws"
	s.AppID = s.newID()
	s.BotUserID = s.AppID // like a real bot: the bot user's id is the application's id
	s.GuildID = s.newID()
	s.Token = base64.RawStdEncoding.EncodeToString([]byte(s.BotUserID)) + "." + randString(6) + "." + randString(27)
	s.roles[s.GuildID] = "@everyone"
	s.roleOrder = append(s.roleOrder, s.GuildID)
	s.addMemberLocked(User{ID: s.BotUserID, Username: s.BotUsername, Bot: true})

	mux := http.NewServeMux()
	mux.HandleFunc("/ws", s.serveGateway)
	mux.HandleFunc("/ws/", s.serveGateway)
	mux.HandleFunc("/", s.serveREST)
	s.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.hs.Serve(ln)
	}()
	return s, nil
}

// Close stops the fake: it closes the listener, every gateway connection and
// every REST connection, drops the requests held by Hold (waiting until they
// are marked Dropped), and wakes every waiter with ErrClosed.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		_ = s.hs.Close()
		s.mu.Lock()
		var conns []*gwConn
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.current = nil
		s.broadcastLocked()
		s.mu.Unlock()
		for _, c := range conns {
			_ = c.ws.Close()
		}
		s.wg.Wait()
	})
}

// HTTPClient returns an http.Client whose transport sends every request to
// the fake whatever its URL says (scheme and host are rewritten, the Host
// header too), which is how an unmodified discordgo.Session reaches it.
func (s *Server) HTTPClient() *http.Client {
	base := http.DefaultTransport.(*http.Transport).Clone()
	return &http.Client{Transport: &rewriteTransport{host: s.ln.Addr().String(), base: base}, Timeout: 30 * time.Second}
}

// NewSession returns a discordgo.Session for the fake's bot token whose REST
// calls go to the fake (see HTTPClient). Its Open connects to the fake's
// gateway.
func (s *Server) NewSession() (*discordgo.Session, error) {
	dg, err := discordgo.New("Bot " + s.Token)
	if err != nil {
		return nil, err
	}
	dg.Client = s.HTTPClient()
	return dg, nil
}

type rewriteTransport struct {
	host string
	base http.RoundTripper
}

// RoundTrip sends req to the fake.
func (t *rewriteTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.URL.Scheme = "http"
	r.URL.Host = t.host
	r.Host = t.host
	return t.base.RoundTrip(r)
}

// broadcastLocked wakes everything waiting for a change. s.mu must be held.
func (s *Server) broadcastLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// waitFor calls cond under s.mu until it reports true, re-checking after
// every change of state, and fails when ctx ends or the server closes.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		if cond() {
			s.mu.Unlock()
			return nil
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-s.done:
			return ErrClosed
		}
	}
}

// newID returns a fresh snowflake, greater than every earlier one.
func (s *Server) newID() string {
	s.idMu.Lock()
	defer s.idMu.Unlock()
	id := uint64(time.Now().UnixMilli()-discordEpoch) << 22
	if id <= s.lastID {
		id = s.lastID + 1
	}
	s.lastID = id
	return strconv.FormatUint(id, 10)
}

func randString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

func randHex(n int) string {
	b := make([]byte, (n+1)/2)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// User is a guild member as the builders put it into interactions and as GET
// /guilds/{guild}/members/{user} returns it.
type User struct {
	// ID is the user's snowflake.
	ID string
	// Username is the unique Discord username.
	Username string
	// GlobalName is the display name ("" for none).
	GlobalName string
	// Roles are the ids of the member's guild roles.
	Roles []string
	// Locale is the user's client locale in interactions; "cs" if empty.
	Locale string
	// Nick is the member's guild nickname ("" for none).
	Nick string
	// JoinedAt is when the user joined the guild; 2024-01-01 UTC if zero.
	JoinedAt time.Time
	// Bot marks a bot account, like the fake's own bot, which is a member
	// of the guild from the start (id BotUserID).
	Bot bool
}

// defaultJoinedAt is the JoinedAt of members added without one.
var defaultJoinedAt = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func (u User) joinedAt() time.Time {
	if u.JoinedAt.IsZero() {
		return defaultJoinedAt
	}
	return u.JoinedAt
}

func (u User) locale() string {
	if u.Locale == "" {
		return "cs"
	}
	return u.Locale
}

func (u User) dgUser() *discordgo.User {
	name := u.Username
	if name == "" {
		name = "user" + u.ID
	}
	return &discordgo.User{ID: u.ID, Username: name, GlobalName: u.GlobalName, Discriminator: "0", Bot: u.Bot}
}

func (u User) dgMember(guildID string, withUser bool) *discordgo.Member {
	m := &discordgo.Member{
		GuildID:     guildID,
		JoinedAt:    u.joinedAt(),
		Nick:        u.Nick,
		Roles:       append([]string{}, u.Roles...),
		Permissions: 0,
	}
	if m.Roles == nil {
		m.Roles = []string{}
	}
	if withUser {
		m.User = u.dgUser()
	}
	return m
}

// AddMember makes u a member of the guild (replacing an earlier member with
// the same id), for GET /guilds/{guild}/members[/{user}], GET /users/{user}
// and GUILD_CREATE, without telling a connected client (see
// AddMemberAndDispatch and UpdateMember for that). Role ids it names that
// AddRole did not name are added as roles named after their id. The
// interaction builders add their user this way unless the user is already a
// member.
func (s *Server) AddMember(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addMemberLocked(u)
}

func (s *Server) addMemberLocked(u User) {
	if _, ok := s.members[u.ID]; !ok {
		s.memberOrder = append(s.memberOrder, u.ID)
	}
	u.Roles = append([]string(nil), u.Roles...)
	s.members[u.ID] = u
	for _, r := range u.Roles {
		if _, ok := s.roles[r]; !ok {
			s.roles[r] = r
			s.roleOrder = append(s.roleOrder, r)
		}
	}
	s.broadcastLocked()
}

// AddRole adds (or renames) a guild role, for GET /guilds/{guild}/roles and
// GUILD_CREATE.
func (s *Server) AddRole(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.roles[id]; !ok {
		s.roleOrder = append(s.roleOrder, id)
	}
	s.roles[id] = name
	s.broadcastLocked()
}

// AddChannel adds a guild text channel (type 0) for GUILD_CREATE and GET
// /channels/{id}. Messages may be posted to any channel id even without it.
func (s *Server) AddChannel(id, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.channelLocked(id)
	c.name = name
	s.broadcastLocked()
}

// BlockDMs makes Discord refuse messages to the DM channel of userID, as it
// does for a user who does not accept DMs from the guild's members: 403
// {"message": "Cannot send messages to this user", "code": 50007}.
func (s *Server) BlockDMs(userID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blockedDMs[userID] = true
}

func (s *Server) rolesLocked() []*discordgo.Role {
	var out []*discordgo.Role
	for i, id := range s.roleOrder {
		out = append(out, &discordgo.Role{ID: id, Name: s.roles[id], Position: i, Permissions: 0})
	}
	return out
}

func (s *Server) membersLocked() []*discordgo.Member {
	ids := append([]string(nil), s.memberOrder...)
	sort.Slice(ids, func(i, j int) bool { return snowLess(ids[i], ids[j]) })
	var out []*discordgo.Member
	for _, id := range ids {
		out = append(out, s.members[id].dgMember(s.GuildID, true))
	}
	return out
}

// snowLess orders snowflakes numerically (and other strings after them).
func snowLess(a, b string) bool {
	x, errA := strconv.ParseUint(a, 10, 64)
	y, errB := strconv.ParseUint(b, 10, 64)
	switch {
	case errA == nil && errB == nil:
		return x < y
	case errA == nil:
		return true
	case errB == nil:
		return false
	}
	return a < b
}

func (s *Server) guildLocked() *discordgo.Guild {
	g := &discordgo.Guild{
		ID:          s.GuildID,
		Name:        s.GuildName,
		OwnerID:     s.BotUserID,
		JoinedAt:    time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		MemberCount: len(s.members),
		Roles:       s.rolesLocked(),
		Members:     s.membersLocked(),
	}
	for _, id := range s.chanOrder {
		c := s.channels[id]
		if c.typ == discordgo.ChannelTypeGuildText {
			g.Channels = append(g.Channels, c.dg(s.GuildID))
		}
	}
	if g.Channels == nil {
		g.Channels = []*discordgo.Channel{}
	}
	return g
}
