package mailer

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/mail"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"coordbot/config"
	"coordbot/links"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

// Defaults of a Sender's tunables.
const (
	// DefaultTimeout bounds dialling (with the TLS handshake and the
	// greeting) and each SMTP command.
	DefaultTimeout = 30 * time.Second
	// DefaultIdleTimeout is how long an unused connection stays open for
	// the next message of a fan-out.
	DefaultIdleTimeout = 10 * time.Second
	// DefaultDownPause is how long deliveries fail at once, without
	// dialling, after connecting failed.
	DefaultDownPause = time.Minute
)

// Sender delivers e-mail outbox rows; it implements scheduler.Sender. It
// is safe for concurrent use, but sends one message at a time over one
// connection.
type Sender struct {
	store   *store.Store
	cfg     config.SMTP
	archive string
	core    *meeting.Service
	now     func() time.Time
	log     *slog.Logger

	// TLSConfig, when set, is the TLS configuration for "tls" and
	// "starttls" (tests trust their own certificate with RootCAs); its
	// ServerName defaults to the host of smtp.addr.
	TLSConfig *tls.Config
	// Timeout bounds dialling and each SMTP command (DefaultTimeout).
	Timeout time.Duration
	// IdleTimeout closes the connection once no message has been sent
	// for that long (DefaultIdleTimeout).
	IdleTimeout time.Duration
	// Links, when set, signs the links in the mail: the one-click answers
	// ("Přijdu / Nepřijdu / Možná") of invitations, reminders and nudges,
	// and the sign-in links (outbox.KindSignIn), all under http.public_url.
	// nil (no public_url) leaves the answer links out and fails sign-in
	// rows for good.
	Links *links.Signer
	// DownPause is how long, after connecting failed (the server is down,
	// stalls or refuses the login), deliveries fail at once instead of
	// dialling again (DefaultDownPause, measured on the Now clock): a dead
	// server costs the e-mail worker one Timeout, not one per recipient
	// of a fan-out; Discord has its own worker and is not held up.
	DownPause time.Duration

	mu        sync.Mutex
	conn      *conn // nil when closed
	idle      *time.Timer
	closed    bool
	downUntil time.Time // no dialling before
	downErr   error     // why
}

// conn is an open, authenticated SMTP session.
type conn struct {
	client *smtp.Client
	raw    net.Conn // the TCP connection under any TLS, closed to abort
	used   bool     // carried a message already: RSET before the next
}

// New returns a Sender that submits through the server of cfg. archive is
// mail.address ("" when unset): Reply-To of every message and the
// ORGANIZER of invitations. core marks addresses the server refuses as
// bouncing; now gives the Date header and DTSTAMP.
func New(s *store.Store, cfg config.SMTP, archive string, core *meeting.Service, now func() time.Time, logger *slog.Logger) *Sender {
	if now == nil {
		now = time.Now
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Sender{store: s, cfg: cfg, archive: strings.ToLower(strings.TrimSpace(archive)), core: core, now: now,
		log: logger, Timeout: DefaultTimeout, IdleTimeout: DefaultIdleTimeout,
		DownPause: DefaultDownPause}
}

// Deliver renders one e-mail row (one recipient) from the store's current
// state and submits it; it implements scheduler.Sender. It returns the
// Message-ID without angle brackets. See the package documentation for
// which errors wrap scheduler.ErrPermanent.
func (s *Sender) Deliver(ctx context.Context, n *store.Notification) (string, error) {
	if n.MemberID == 0 {
		return "", fmt.Errorf("mailer: row %d (%s) has no recipient: %w", n.ID, n.Kind, scheduler.ErrPermanent)
	}
	v, err := s.load(ctx, n)
	if err != nil {
		return "", err
	}
	to := v.member.MailAddress()
	if v.signIn != nil {
		// The sign-in link goes to the address it was asked for.
		to = v.signIn.Address
	}
	if to == "" {
		return "", fmt.Errorf("mailer: member %d has no address mail can go to: %w", v.member.ID, scheduler.ErrPermanent)
	}
	from := s.from(v.g)
	if from.Address == "" {
		return "", fmt.Errorf("mailer: no sender address (smtp.from or mail.address): %w", scheduler.ErrPermanent)
	}
	c, err := s.render(ctx, v)
	if errors.Is(err, errPayload) {
		return "", fmt.Errorf("%w: %w", err, scheduler.ErrPermanent)
	}
	if err != nil {
		return "", err
	}
	env := envelope{From: from, To: &mail.Address{Name: oneLine(v.member.DisplayName), Address: to},
		MessageID: MessageID(n.IdempotencyKey, domainOf(from.Address)), Date: v.now, Lang: v.lang}
	if s.archive != "" {
		env.ReplyTo = &mail.Address{Address: s.archive}
	}
	msg, err := compose(env, c)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, scheduler.ErrPermanent)
	}
	err = s.send(ctx, from.Address, to, msg)
	if err == nil {
		return env.MessageID, nil
	}
	log := s.log.With("notification_id", n.ID, "meeting_id", n.MeetingID, "kind", n.Kind, "member_id", v.member.ID, "message_id", env.MessageID)
	var refused *refusal
	// A refused login or greeting is the configuration's or the server's
	// state, not this message's: retried like a 4xx.
	if !errors.As(err, &refused) || refused.reply.Code < 500 || refused.stage == stageConnect {
		return "", err
	}
	if refused.stage == stageRcpt {
		log.Warn("the mail server refused the recipient; the address is marked bouncing", "address", to, "reply", refused.reply.Error())
		if _, berr := s.core.AddressBounced(ctx, to, refused.reply.Error(), n.MeetingID, n.IdempotencyKey); berr != nil {
			// Not marked: let the scheduler try again, which asks the
			// server again and records the bounce then.
			return "", fmt.Errorf("mailer: recipient refused (%w), and marking it failed: %w", err, berr)
		}
	} else {
		log.Error("the mail server refused the message for good", "stage", refused.stage, "reply", refused.reply.Error())
	}
	return "", fmt.Errorf("%w: %w", err, scheduler.ErrPermanent)
}

// load reads what the row renders from.
func (s *Sender) load(ctx context.Context, n *store.Notification) (*view, error) {
	g, err := s.store.Group(ctx, n.GroupID)
	if err != nil {
		return nil, notFoundIsPermanent(err)
	}
	v := &view{n: n, g: g, lang: g.Locale, archive: s.archive, now: s.now()}
	v.member, err = s.store.Member(ctx, n.MemberID)
	if err != nil {
		return nil, notFoundIsPermanent(err)
	}
	if n.Kind == outbox.KindSignIn {
		if v.signIn, err = s.loadSignIn(ctx, v); err != nil {
			return nil, err
		}
	}
	if n.MeetingID != 0 {
		v.m, err = s.store.Meeting(ctx, n.MeetingID)
		if err != nil {
			return nil, notFoundIsPermanent(err)
		}
	}
	zone := g.TimeZone
	if v.m != nil && v.m.TimeZone != "" {
		zone = v.m.TimeZone
	}
	if v.loc, err = time.LoadLocation(zone); err != nil {
		return nil, fmt.Errorf("mailer: zone %q: %w: %w", zone, err, scheduler.ErrPermanent)
	}
	v.organizer = s.archive
	if v.organizer == "" {
		v.organizer = s.from(g).Address
	}
	return v, nil
}

// loadSignIn reads the login link a sign-in row names and checks that
// mailing it still makes sense: the link is the member's, unused, not
// expired, and its address is still theirs and does not bounce. Anything
// else fails the row for good (no retry can mend it; the member asks for
// a new link).
func (s *Sender) loadSignIn(ctx context.Context, v *view) (*store.LoginLink, error) {
	if s.Links == nil {
		return nil, fmt.Errorf("mailer: sign-in row %d: no http.public_url to link to: %w", v.n.ID, scheduler.ErrPermanent)
	}
	id, err := outbox.SignInLink(v.n)
	if err != nil {
		return nil, fmt.Errorf("mailer: %w: %w", err, scheduler.ErrPermanent)
	}
	link, err := s.store.LoginLink(ctx, id)
	if err != nil {
		return nil, notFoundIsPermanent(err)
	}
	switch {
	case link.MemberID != v.member.ID:
		return nil, fmt.Errorf("mailer: sign-in row %d: link %d is member %d's, not %d's: %w",
			v.n.ID, id, link.MemberID, v.member.ID, scheduler.ErrPermanent)
	case !link.Used.IsZero() || !v.now.Before(link.Expires):
		return nil, fmt.Errorf("mailer: sign-in row %d: link %d was used or expired before it could be sent: %w",
			v.n.ID, id, scheduler.ErrPermanent)
	case !slices.Contains(v.member.Emails, link.Address) || slices.Contains(v.member.Bounced, link.Address):
		return nil, fmt.Errorf("mailer: sign-in row %d: the address of link %d is no longer the member's, or bounces: %w",
			v.n.ID, id, scheduler.ErrPermanent)
	}
	return link, nil
}

// notFoundIsPermanent: a group, member or meeting that is gone will not
// come back on a retry.
func notFoundIsPermanent(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("mailer: %w: %w", err, scheduler.ErrPermanent)
	}
	return fmt.Errorf("mailer: %w", err)
}

// from is the sender: smtp.from (with the group's name when it names
// nobody), else the group's name at mail.address.
func (s *Sender) from(g *store.Group) *mail.Address {
	if s.cfg.FromAddress != "" {
		name := s.cfg.FromName
		if name == "" {
			name = oneLine(g.Name)
		}
		return &mail.Address{Name: name, Address: s.cfg.FromAddress}
	}
	return &mail.Address{Name: oneLine(g.Name), Address: s.archive}
}

// Stages of a mail transaction, for errors and logs.
const (
	stageConnect = "connect"
	stageMail    = "MAIL FROM"
	stageRcpt    = "RCPT TO"
	stageData    = "DATA"
)

// refusal is an SMTP error reply at a stage of the transaction.
type refusal struct {
	stage string
	reply *smtp.SMTPError
}

func (r *refusal) Error() string { return "mailer: " + r.stage + ": " + r.reply.Error() }
func (r *refusal) Unwrap() error { return r.reply }

// stageError wraps err with the stage; an SMTP reply becomes a *refusal.
func stageError(stage string, err error) error {
	var reply *smtp.SMTPError
	if errors.As(err, &reply) {
		return &refusal{stage: stage, reply: reply}
	}
	return fmt.Errorf("mailer: %s: %w", stage, err)
}

// send submits one message over the shared connection, dialling when
// there is none. A connection that carried a message before is RSET first;
// when that fails (the server dropped it while idle), nothing was sent,
// and one fresh connection is tried.
func (s *Sender) send(ctx context.Context, from, to string, msg []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("mailer: sender closed")
	}
	if s.idle != nil {
		s.idle.Stop()
	}
	err := s.transaction(ctx, from, to, msg)
	if s.conn != nil {
		s.idle = time.AfterFunc(s.IdleTimeout, s.closeIdle(s.conn))
	}
	return err
}

// transaction runs MAIL, RCPT and DATA, under s.mu.
func (s *Sender) transaction(ctx context.Context, from, to string, msg []byte) error {
	c, err := s.ready(ctx)
	if err != nil {
		return err
	}
	// Closing the socket is the one way to interrupt go-smtp mid-command.
	stop := context.AfterFunc(ctx, func() { c.raw.Close() })
	defer stop()
	c.used = true
	var opts *smtp.MailOptions
	if !isASCII(from) || !isASCII(to) {
		opts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.client.Mail(from, opts); err != nil {
		return s.fail(ctx, stageMail, err)
	}
	if err := c.client.Rcpt(to, nil); err != nil {
		return s.fail(ctx, stageRcpt, err)
	}
	w, err := c.client.Data()
	if err != nil {
		return s.fail(ctx, stageData, err)
	}
	// go-smtp sets no deadline while the body is written; a server that
	// stops reading must not block us forever.
	_ = c.raw.SetDeadline(time.Now().Add(s.Timeout))
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, stageData, err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, stageData, err)
	}
	return nil
}

// fail classifies a failed command: after an SMTP reply the connection is
// still good once RSET clears the transaction; after anything else it is
// dropped.
func (s *Sender) fail(ctx context.Context, stage string, err error) error {
	var reply *smtp.SMTPError
	if errors.As(err, &reply) && ctx.Err() == nil {
		if s.conn != nil && s.conn.client.Reset() != nil {
			s.drop()
		}
		return stageError(stage, err)
	}
	s.drop()
	if ctx.Err() != nil {
		return fmt.Errorf("mailer: %s: %w", stage, ctx.Err())
	}
	return stageError(stage, err)
}

// ready returns a connection ready for a new transaction, under s.mu: a
// used one after RSET (which also finds out that the server dropped it
// while idle; nothing was sent then, so a fresh one is dialled), or a new
// one.
func (s *Sender) ready(ctx context.Context) (*conn, error) {
	if c := s.conn; c != nil && c.used {
		stop := context.AfterFunc(ctx, func() { c.raw.Close() })
		err := c.client.Reset()
		stop()
		if err == nil {
			return c, nil
		}
		s.drop()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("mailer: %w", ctx.Err())
		}
	}
	return s.connect(ctx)
}

// connect returns the open connection or dials a new one, under s.mu.
func (s *Sender) connect(ctx context.Context) (*conn, error) {
	if s.conn != nil {
		return s.conn, nil
	}
	if now := s.now(); now.Before(s.downUntil) {
		return nil, fmt.Errorf("mailer: not connecting to %s again before %s: %w", s.cfg.Addr,
			s.downUntil.Format(time.RFC3339), s.downErr)
	}
	c, err := s.dial(ctx)
	if err != nil {
		if ctx.Err() == nil {
			s.downUntil, s.downErr = s.now().Add(s.DownPause), err
			s.log.Warn("cannot reach the mail server; e-mail waits", "addr", s.cfg.Addr, "err", err,
				"pause", s.DownPause.String())
		}
		return nil, err
	}
	s.downUntil, s.downErr = time.Time{}, nil
	s.conn = c
	return c, nil
}

// dial opens, secures and authenticates a connection. The dial, the TLS
// handshake and the greeting are bounded by Timeout (go-smtp's
// constructors read the greeting before its per-command timeout can be
// set, so a watchdog closes the socket instead).
func (s *Sender) dial(ctx context.Context) (*conn, error) {
	host, _, err := net.SplitHostPort(s.cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mailer: smtp.addr %q: %w: %w", s.cfg.Addr, err, scheduler.ErrPermanent)
	}
	dctx, cancel := context.WithTimeout(ctx, s.Timeout)
	defer cancel()
	raw, err := (&net.Dialer{}).DialContext(dctx, "tcp", s.cfg.Addr)
	if err != nil {
		return nil, stageError(stageConnect, err)
	}
	stop := context.AfterFunc(dctx, func() { raw.Close() })
	defer stop()
	tlsConfig := &tls.Config{}
	if s.TLSConfig != nil {
		tlsConfig = s.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	var client *smtp.Client
	switch s.cfg.TLS {
	case "tls":
		tc := tls.Client(raw, tlsConfig)
		if err = tc.HandshakeContext(dctx); err == nil {
			client = smtp.NewClient(tc)
		}
	case "none":
		client = smtp.NewClient(raw)
	default: // starttls, the default of config
		client, err = smtp.NewClientStartTLS(raw, tlsConfig)
	}
	if err != nil {
		raw.Close()
		return nil, s.dialError(dctx, ctx, err)
	}
	client.CommandTimeout = s.Timeout
	client.SubmissionTimeout = s.Timeout
	// Greets and says EHLO on a plain connection (NewClientStartTLS did
	// both already).
	if err := client.Noop(); err != nil {
		client.Close()
		return nil, s.dialError(dctx, ctx, err)
	}
	if s.cfg.Username != "" {
		if err := client.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password.Reveal())); err != nil {
			client.Close()
			s.log.Error("the mail server refused coordbot's login", "username", s.cfg.Username, "err", err)
			return nil, s.dialError(dctx, ctx, err)
		}
	}
	s.log.Debug("connected to the mail server", "addr", s.cfg.Addr, "tls", s.cfg.TLS)
	return &conn{client: client, raw: raw}, nil
}

// dialError says why connecting failed, naming the timeout when the
// watchdog cut it.
func (s *Sender) dialError(dctx, ctx context.Context, err error) error {
	if ctx.Err() == nil && dctx.Err() != nil {
		return fmt.Errorf("mailer: connect to %s: no answer within %s: %w", s.cfg.Addr, s.Timeout, err)
	}
	return stageError(stageConnect, err)
}

// drop closes the connection without QUIT (it is broken or aborted),
// under s.mu.
func (s *Sender) drop() {
	if s.conn != nil {
		s.conn.client.Close()
		s.conn = nil
	}
}

// closeIdle returns the idle timer's function: it says QUIT on c unless c
// has been replaced or closed in the meantime.
func (s *Sender) closeIdle(c *conn) func() {
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.conn != c {
			return
		}
		s.quit()
	}
}

// quit ends the session politely, under s.mu.
func (s *Sender) quit() {
	c := s.conn
	s.conn = nil
	_ = c.raw.SetDeadline(time.Now().Add(s.Timeout))
	if err := c.client.Quit(); err != nil {
		c.client.Close()
	}
}

// Close ends the connection, if one is open; later deliveries fail.
func (s *Sender) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.conn != nil {
		s.quit()
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
