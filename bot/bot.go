// Package bot is coordbot's Discord bot: slash commands, buttons and modals
// with which coordinators plan meetings and members answer invitations and
// propose agenda items, in Czech or English.
//
// The bot is a door: it parses an interaction, calls a use case of the
// core (package meeting) and renders the result. Every interaction is
// answered within Discord's 3-second limit: a handler only touches the
// local store. What a use case causes on Discord (the announcement card,
// its coalesced edits, the scheduled event, reminders) is an outbox row,
// delivered later by the scheduler through [Bot.Deliver]. The bot also
// keeps the store's members in step with the holders of each group's
// Discord roles.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"coordbot/meeting"
	"coordbot/store"
)

// Config is what the bot needs from the configuration.
type Config struct {
	Token string
	// GuildID is the Discord server whose commands are registered; ""
	// registers global commands.
	GuildID string
	// ApplicationID is taken from READY when empty.
	ApplicationID string
	// APIURL is the base URL of a Discord-compatible API; "" is Discord.
	APIURL string
	// ArchiveAddress is where minutes are mailed, shown in messages.
	ArchiveAddress string
}

// Bot is the running Discord bot.
type Bot struct {
	cfg     Config
	core    *meeting.Service
	store   *store.Store
	logger  *slog.Logger
	session *discordgo.Session
	// gw is the gateway connection (events); session serves REST.
	gw *gateway
	// Now is the clock; tests replace it.
	Now func() time.Time

	appID string
	// ctx ends when Stop begins; handlers derive their contexts from it.
	ctx    context.Context
	cancel context.CancelFunc
	// inflight counts handlers and after-response work still running.
	inflight sync.WaitGroup
	mu       sync.Mutex
	stopping bool

	// groups maps channel ids to their groups; read-only after Start.
	groups map[string]*groupInfo

	// apiURL is the configured API server, nil for Discord itself.
	apiURL *url.URL
	// reconnecting is closed when the background connection attempts
	// started by Start end (nil when Start connected at once).
	reconnecting chan struct{}
}

// New returns a bot that acts through core. It does not connect; Start
// does.
func New(cfg Config, core *meeting.Service, logger *slog.Logger) (*Bot, error) {
	if cfg.Token == "" {
		return nil, errors.New("bot: no token")
	}
	session, err := discordgo.New("Bot " + cfg.Token)
	if err != nil {
		return nil, fmt.Errorf("bot: %w", err)
	}
	var apiURL *url.URL
	if cfg.APIURL != "" {
		u, err := url.Parse(cfg.APIURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("bot: api url %q: want http(s)://host[:port]", cfg.APIURL)
		}
		// discordgo builds every REST URL from discord.com at init; send
		// them to the configured server instead. The gateway URL comes
		// from that server's GET /gateway, so it follows too.
		// Keep connections for bursts of answers: the default of two idle
		// connections per host would open and close one per answer when
		// many people click at once (Discord itself speaks HTTP/2).
		base := http.DefaultTransport.(*http.Transport).Clone()
		base.MaxIdleConnsPerHost = 256
		// At most 16 at once: against an HTTP/1.1 server (the fake) the
		// first burst otherwise dialled one per concurrent callback.
		base.MaxConnsPerHost = 16
		session.Client = &http.Client{Timeout: 20 * time.Second, Transport: &rewrite{target: u, base: base}}
		apiURL = u
	}
	// discordgo serves REST only (see gateway): no state to keep.
	session.StateEnabled = false
	// discordgo logs through the standard logger only at its own levels;
	// keep it quiet and log what matters ourselves.
	session.LogLevel = discordgo.LogError
	b := &Bot{cfg: cfg, core: core, store: core.Store(), logger: logger, session: session, Now: time.Now, apiURL: apiURL}
	b.gw = &gateway{
		token:   cfg.Token,
		intents: discordgo.IntentsGuilds,
		logger:  logger,
		url: func() (string, error) {
			u, err := session.Gateway()
			if err != nil {
				return "", fmt.Errorf("bot: discord gateway url from %s: %w", b.apiBase(), b.dialled(err))
			}
			return u, nil
		},
		dispatch: b.dispatch,
		dialer:   &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 45 * time.Second},
		// Discord asks for a random wait of 1 to 5 s before a new
		// IDENTIFY after an invalid session.
		invalidDelay:     func() time.Duration { return time.Second + rand.N(4*time.Second) },
		handshakeTimeout: 30 * time.Second,
	}
	b.ctx, b.cancel = context.WithCancel(context.Background())
	return b, nil
}

// rewrite sends each request to target, keeping path and query.
type rewrite struct {
	target *url.URL
	base   http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (r *rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.URL.Scheme, out.URL.Host, out.Host = r.target.Scheme, r.target.Host, r.target.Host
	return r.base.RoundTrip(out)
}

// Start connects to the gateway, registers the slash commands if they
// changed since the last start, and begins answering interactions. When
// Discord cannot be reached, Start logs one warning naming the API it
// dialled and returns nil: the bot keeps trying in the background with
// exponential backoff with jitter (1 s doubling up to 5 min), like the
// IMAP intake, and logs when it is connected. Only errors that no retry
// can mend (the store, the groups, a token or intents Discord refuses)
// are returned.
func (b *Bot) Start(ctx context.Context) error {
	if err := b.loadGroups(ctx); err != nil {
		return err
	}
	if b.cfg.GuildID != "" && len(b.roleGroups()) > 0 {
		// GUILD_MEMBERS is privileged (the "Server Members Intent" switch
		// in the developer portal): it lets the bot read who holds each
		// group's roles and hear when that changes. Asked for only when a
		// group's membership follows a role.
		b.gw.intents |= discordgo.IntentsGuildMembers
	}
	err := b.connect(ctx)
	if err == nil || ctx.Err() != nil {
		return err
	}
	if ce := (*gatewayCloseError)(nil); errors.As(err, &ce) && ce.fatal() {
		// No retry mends a wrong token or a switched-off intent.
		return fmt.Errorf("bot: discord refused the bot (gateway close code %d): %s", ce.code, ce.explain())
	}
	b.logger.Warn("bot: discord unreachable, retrying with backoff", "api_url", b.apiBase(), "error", err)
	b.reconnecting = make(chan struct{})
	go b.retry()
	return nil
}

// connect opens the gateway, registers the commands and syncs role
// holders.
func (b *Bot) connect(ctx context.Context) error {
	// open returns once READY has arrived.
	if err := b.gw.open(ctx); err != nil {
		return fmt.Errorf("bot: connect to discord at %s: %w", b.apiBase(), b.dialled(err))
	}
	user, app := b.gw.self()
	b.appID = b.cfg.ApplicationID
	if b.appID == "" {
		b.appID = app
	}
	if b.appID == "" && user != nil {
		b.appID = user.ID // a bot's application id equals its user id
	}
	if err := b.registerCommands(ctx); err != nil {
		b.gw.close()
		return b.dialled(err)
	}
	b.syncRoleHolders(ctx)
	return nil
}

// retry connects in the background until it succeeds or Stop begins.
func (b *Bot) retry() {
	defer close(b.reconnecting)
	since, attempts, step := time.Now(), 1, backoffMin
	for {
		// Equal jitter: a delay in [step/2, step], so that many clients
		// cut off together do not come back in lockstep.
		d := step/2 + rand.N(step-step/2+1)
		t := time.NewTimer(d)
		select {
		case <-b.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		attempts++
		err := b.connect(b.ctx)
		if err == nil {
			b.logger.Info("bot: connected to discord", "api_url", b.apiBase(),
				"outage", time.Since(since).Round(time.Millisecond), "attempts", attempts)
			return
		}
		if b.ctx.Err() != nil {
			return
		}
		b.logger.Debug("bot: discord reconnect failed", "attempt", attempts, "error", err)
		step = min(step*2, backoffMax)
	}
}

// Reconnect delays while Discord is unreachable at start.
const (
	backoffMin = time.Second
	backoffMax = 5 * time.Minute
)

// apiBase is the API server requests go to.
func (b *Bot) apiBase() string {
	if b.apiURL != nil {
		return b.apiURL.Scheme + "://" + b.apiURL.Host
	}
	return "https://discord.com"
}

// dialled makes an HTTP error name the server really dialled: discordgo
// builds its URLs from discord.com and the rewrite transport sends them to
// the configured API, but http.Client reports the URL it was given. The
// text of every error wrapping it was made from that URL too, so the
// message is rewritten whole; errors.Is and errors.As still see the
// original.
func (b *Bot) dialled(err error) error {
	var ue *url.Error
	if err == nil || b.apiURL == nil || !errors.As(err, &ue) {
		return err
	}
	const discord = "https://discord.com"
	return &renamed{msg: strings.ReplaceAll(err.Error(), discord, b.apiBase()), err: err}
}

// renamed is an error with its message rewritten; see dialled.
type renamed struct {
	msg string
	err error
}

func (r *renamed) Error() string { return r.msg }
func (r *renamed) Unwrap() error { return r.err }

// Stop stops answering new interactions, waits for those in flight and
// pending announcement edits until ctx ends, and disconnects.
func (b *Bot) Stop(ctx context.Context) error {
	b.mu.Lock()
	b.stopping = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = fmt.Errorf("bot: interactions still running at shutdown: %w", ctx.Err())
	}
	b.cancel()
	if b.reconnecting != nil {
		// A connection attempt in progress does not take a context; it
		// ends within the HTTP client's timeout.
		select {
		case <-b.reconnecting:
		case <-ctx.Done():
			err = errors.Join(err, fmt.Errorf("bot: still connecting at shutdown: %w", ctx.Err()))
		}
	}
	return errors.Join(err, b.gw.close())
}

// dispatch handles a gateway event, on the gateway's reading goroutine:
// it decodes nothing big there. An interaction is decoded and answered in
// a goroutine of its own, counted for Stop before the reading goroutine
// moves on.
func (b *Bot) dispatch(t string, d json.RawMessage) {
	switch t {
	case "READY":
		var r struct {
			User struct {
				ID string `json:"id"`
			} `json:"user"`
			Guilds []json.RawMessage `json:"guilds"`
		}
		_ = json.Unmarshal(d, &r)
		b.logger.Info("discord gateway ready", "session_user", r.User.ID, "guilds", len(r.Guilds))
	case "RESUMED":
		b.logger.Info("discord gateway resumed")
	case "INTERACTION_CREATE":
		if !b.begin() {
			return // stopping: Discord shows the user that the bot did not answer
		}
		go func() {
			defer b.inflight.Done()
			ic, err := decodeInteraction(d)
			if err != nil {
				b.logger.Error("bot: undecodable interaction", "err", err)
				return
			}
			b.onInteraction(ic)
		}()
	case "GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE":
		if !b.begin() {
			return
		}
		go func() {
			defer b.inflight.Done()
			b.onMemberEvent(t, d)
		}()
	}
}

// begin registers work that Stop waits for; false means the bot is stopping.
func (b *Bot) begin() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopping {
		return false
	}
	b.inflight.Add(1)
	return true
}
