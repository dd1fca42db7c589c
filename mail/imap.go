package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// IMAPConfig is how to reach the archive mailbox.
type IMAPConfig struct {
	// Addr is the server as host:port.
	Addr string
	// TLS is "tls" (implicit TLS), "starttls" or "none" (plain text; config
	// validation restricts it to loopback addresses).
	TLS string
	// Username and Password are the IMAP login. The password is never
	// logged.
	Username, Password string
	// Mailbox is where new mail arrives, e.g. "INBOX".
	Mailbox string
	// ArchiveMailbox is where archived mail is moved; created if missing.
	ArchiveMailbox string
	// QuarantineMailbox is where quarantined mail is moved; created if
	// missing.
	QuarantineMailbox string
	// MaxMessageSize is the largest message downloaded whole, in bytes (0
	// means no limit). Of a larger message only the header section is
	// fetched and handed to the Filer as Incoming{Raw: header, Size: full
	// size}; the Filer quarantines it.
	MaxMessageSize int64
	// PollInterval is how often the mailbox is checked when the server
	// lacks IDLE (0 means one minute).
	PollInterval time.Duration
	// TLSConfig is optional (tests with self-signed certificates); nil
	// means system defaults with ServerName taken from Addr.
	TLSConfig *tls.Config
}

// Intake moves mail from the IMAP mailbox into the archive: each message is
// filed first and only then moved out of the mailbox, so a crash in between
// leaves it in place to be recognised as a duplicate on the next pass.
type Intake struct {
	cfg    IMAPConfig
	filer  Filer
	logger *slog.Logger

	// wait blocks for d or until ctx is done (backoff, poll interval, IDLE
	// refresh); tests replace it so that nothing really sleeps.
	wait func(ctx context.Context, why waitKind, d time.Duration) error
	// jitter turns a backoff step into the actual delay.
	jitter func(d time.Duration) time.Duration
	// now is the clock used to measure outages.
	now func() time.Time

	// Test hooks.
	// afterFile is called after File succeeded and before the move, to
	// simulate a crash between the two.
	afterFile func(uid imap.UID)
	// onIdle is called each time the server has accepted IDLE.
	onIdle func()
	// noMove forces the COPY + STORE + EXPUNGE fallback even when the
	// server advertises MOVE.
	noMove bool
	// noIdle forces polling even when the server advertises IDLE.
	noIdle bool
}

// waitKind says what Intake.wait is waiting for (tests tell them apart).
type waitKind int

const (
	waitBackoff     waitKind = iota + 1 // before reconnecting
	waitPoll                            // between passes without IDLE
	waitIdleRefresh                     // longest time one IDLE may last
)

// Tunables of the intake.
const (
	// fetchBatch is how many UIDs are asked for sizes at once; bodies are
	// fetched one message at a time, so memory stays bounded.
	fetchBatch = 100
	// maxHeaderBytes caps the header section kept for an oversized message.
	maxHeaderBytes = 1 << 20
	// idleRefresh ends IDLE and starts a fresh pass before servers drop the
	// idle connection: RFC 2177 lets them log out a client after 30
	// minutes, and asks clients to re-issue IDLE at least every 29.
	idleRefresh = 25 * time.Minute
	// backoffMin and backoffMax bound the reconnect delay.
	backoffMin = time.Second
	backoffMax = 5 * time.Minute
	// defaultPollInterval is used when IMAPConfig.PollInterval is 0.
	defaultPollInterval = time.Minute
	// dialTimeout bounds connecting to the server.
	dialTimeout = 30 * time.Second
)

// NewIntake returns an intake that files the messages of cfg.Mailbox with
// filer and logs to logger (nil means slog.Default()).
func NewIntake(cfg IMAPConfig, filer Filer, logger *slog.Logger) *Intake {
	if logger == nil {
		logger = slog.Default()
	}
	return &Intake{
		cfg:    cfg,
		filer:  filer,
		logger: logger,
		wait:   sleepCtx,
		jitter: equalJitter,
		now:    time.Now,
	}
}

// sleepCtx waits for d or until ctx is done.
func sleepCtx(ctx context.Context, _ waitKind, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// equalJitter returns a random delay in [d/2, d], so that many clients
// cut off together do not reconnect in lockstep.
func equalJitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}

// FetchOnce connects, does one pass over the mailbox and disconnects. It
// returns the summary; an error means the pass could not complete
// (connection, login, database failure). Messages not yet moved stay in the
// mailbox for the next pass.
func (in *Intake) FetchOnce(ctx context.Context) (Summary, error) {
	s, err := in.connect(ctx)
	if err != nil {
		return Summary{}, err
	}
	defer s.close(ctx)
	return s.pass(ctx)
}

// Run watches the mailbox until ctx is done: a pass at start, then IDLE
// when the server advertises it (ended and re-issued at least every 25
// minutes, RFC 2177), else a pass every PollInterval. When the connection
// is lost, or a pass fails, it reconnects with exponential backoff with
// jitter (1 s doubling up to 5 min), logging one warning when the outage
// starts and one info line when it ends. Run returns nil when ctx is
// cancelled.
func (in *Intake) Run(ctx context.Context) error {
	var (
		downSince time.Time // zero while healthy
		attempts  int
		step      = backoffMin
	)
	healthy := func() {
		step = backoffMin
		if downSince.IsZero() {
			return
		}
		in.logger.Info("mail: imap intake restored",
			"mailbox", in.cfg.Mailbox,
			"outage", in.now().Sub(downSince).Round(time.Millisecond),
			"attempts", attempts)
		downSince, attempts = time.Time{}, 0
	}
	for {
		err := in.watch(ctx, healthy)
		if ctx.Err() != nil {
			return nil
		}
		attempts++
		if downSince.IsZero() {
			downSince = in.now()
			in.logger.Warn("mail: imap intake interrupted, reconnecting with backoff",
				"mailbox", in.cfg.Mailbox, "error", err)
		} else {
			in.logger.Debug("mail: imap reconnect failed",
				"mailbox", in.cfg.Mailbox, "attempt", attempts, "error", err)
		}
		if in.wait(ctx, waitBackoff, in.jitter(step)) != nil {
			return nil
		}
		step = min(step*2, backoffMax)
	}
}

// watch connects and keeps passing over the mailbox until the connection
// fails or ctx is done. healthy is called after each successful pass. It
// always returns a non-nil error.
func (in *Intake) watch(ctx context.Context, healthy func()) error {
	s, err := in.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close(ctx)

	useIdle := s.caps.Has(imap.CapIdle) && !in.noIdle
	for {
		sum, err := s.pass(ctx)
		if err != nil {
			return err
		}
		healthy()
		if sum != (Summary{}) {
			in.logger.Info("mail: imap pass done", "mailbox", in.cfg.Mailbox,
				"archived", sum.Archived, "quarantined", sum.Quarantined,
				"duplicates", sum.Duplicates)
		}
		if useIdle {
			err = s.idle(ctx)
		} else {
			err = s.poll(ctx)
		}
		if err != nil {
			return err
		}
	}
}

// session is one logged-in connection with the mailbox selected.
type session struct {
	in   *Intake
	c    *imapclient.Client
	caps imap.CapSet
	// newMail receives a token when the server reports new messages
	// (untagged EXISTS); buffered, never blocks the client's reader.
	newMail chan struct{}
	// stopAfter cancels the context watcher that closes the connection.
	stopAfter func() bool
	// deleted holds the UIDs this session copied away and flagged
	// \Deleted without being able to expunge them one by one (no UIDPLUS).
	deleted imap.UIDSet
	// warnedForeignDeleted avoids repeating the "left flagged" warning.
	warnedForeignDeleted bool
	// dead is set once the connection was closed deliberately (an IDLE
	// may still be pending in the client, so no further commands).
	dead bool
}

// connect dials, logs in, makes sure the target mailboxes exist and
// selects the incoming mailbox.
func (in *Intake) connect(ctx context.Context) (*session, error) {
	cfg := &in.cfg
	s := &session{in: in, newMail: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// The server announces new mail with an untagged EXISTS
			// carrying the new message count, during IDLE or after any
			// command. This runs on the client's reader goroutine, so it
			// must not block.
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages == nil {
					return
				}
				select {
				case s.newMail <- struct{}{}:
				default:
				}
			},
		},
	}

	host, _, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("mail: imap address %q: %w", cfg.Addr, err)
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}

	// Dial ourselves rather than with imapclient.Dial*, so that dialling
	// and the TLS handshake honour ctx.
	dialer := &net.Dialer{Timeout: dialTimeout}
	var c *imapclient.Client
	switch cfg.TLS {
	case "tls":
		if tlsConfig.NextProtos == nil {
			tlsConfig.NextProtos = []string{"imap"} // ALPN, RFC 7301
		}
		td := &tls.Dialer{NetDialer: dialer, Config: tlsConfig}
		conn, err := td.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("mail: imap connect %s: %w", cfg.Addr, err)
		}
		c = imapclient.New(conn, opts)
	case "starttls":
		conn, err := dialer.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("mail: imap connect %s: %w", cfg.Addr, err)
		}
		// Guard the STARTTLS exchange and handshake, which do not take a
		// context, by closing the socket when ctx ends.
		stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
		opts.TLSConfig = tlsConfig
		// NewStartTLS sends STARTTLS, upgrades the connection and refuses
		// a PREAUTH greeting on the clear-text connection.
		c, err = imapclient.NewStartTLS(conn, opts)
		stop()
		if err != nil {
			return nil, fmt.Errorf("mail: imap starttls %s: %w", cfg.Addr, ctxOr(ctx, err))
		}
	case "none":
		conn, err := dialer.DialContext(ctx, "tcp", cfg.Addr)
		if err != nil {
			return nil, fmt.Errorf("mail: imap connect %s: %w", cfg.Addr, err)
		}
		c = imapclient.New(conn, opts)
	default:
		return nil, fmt.Errorf("mail: imap tls mode %q: want tls, starttls or none", cfg.TLS)
	}
	s.c = c
	// imapclient commands do not take a context: closing the connection
	// when ctx ends makes every pending command fail at once.
	s.stopAfter = context.AfterFunc(ctx, func() { _ = c.Close() })

	if err := s.setUp(ctx); err != nil {
		s.close(ctx)
		return nil, err
	}
	return s, nil
}

// setUp logs in, creates the target mailboxes and selects the incoming one.
func (s *session) setUp(ctx context.Context) error {
	cfg := &s.in.cfg
	if err := s.c.WaitGreeting(); err != nil {
		return s.fail(ctx, "greeting", err)
	}
	if s.c.State() == imap.ConnStateNotAuthenticated {
		// LOGINDISABLED (RFC 3501 §6.2.3) means the server refuses LOGIN
		// on this connection, typically because it is not encrypted.
		if s.c.Caps().Has(imap.CapLoginDisabled) {
			return fmt.Errorf("mail: imap login as %q: server has LOGINDISABLED on this connection", cfg.Username)
		}
		if err := s.c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
			return s.fail(ctx, fmt.Sprintf("login as %q", cfg.Username), err)
		}
	}
	// Capabilities change after login (MOVE, UIDPLUS, IDLE are often only
	// announced to authenticated clients), so ask again now.
	caps, err := s.c.Capability().Wait()
	if err != nil {
		return s.fail(ctx, "capability", err)
	}
	s.caps = caps

	for _, name := range []string{cfg.ArchiveMailbox, cfg.QuarantineMailbox} {
		if err := s.ensureMailbox(ctx, name); err != nil {
			return err
		}
	}

	// SELECT (not EXAMINE): moving messages out needs a read-write mailbox.
	if _, err := s.c.Select(cfg.Mailbox, nil).Wait(); err != nil {
		return s.fail(ctx, fmt.Sprintf("select %q", cfg.Mailbox), err)
	}
	return nil
}

// ensureMailbox creates the mailbox unless LIST shows it exists.
func (s *session) ensureMailbox(ctx context.Context, name string) error {
	// LIST "" name: with an empty reference the pattern is the full
	// mailbox name. It may contain the wildcards % and *, so the
	// answers are compared exactly (INBOX is case-insensitive).
	list, err := s.c.List("", name, nil).Collect()
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("list %q", name), err)
	}
	for _, l := range list {
		if l.Mailbox == name || strings.EqualFold(name, "INBOX") && strings.EqualFold(l.Mailbox, "INBOX") {
			return nil
		}
	}
	err = s.c.Create(name, nil).Wait()
	var imapErr *imap.Error
	if errors.As(err, &imapErr) && imapErr.Code == imap.ResponseCodeAlreadyExists {
		// Another client created it between our LIST and CREATE.
		return nil
	}
	if err != nil {
		return s.fail(ctx, fmt.Sprintf("create %q", name), err)
	}
	s.in.logger.Info("mail: imap mailbox created", "mailbox", name)
	return nil
}

// close logs out (when the connection is still usable) and closes it.
func (s *session) close(ctx context.Context) {
	defer s.c.Close()
	if !s.stopAfter() || s.dead || ctx.Err() != nil {
		return // closed already, or shutting down: no goodbye
	}
	// LOGOUT is polite; a hung server must not hold up shutdown, so ctx
	// still closes the connection under it.
	stop := context.AfterFunc(ctx, func() { _ = s.c.Close() })
	defer stop()
	_ = s.c.Logout().Wait()
}

// fail wraps err, preferring the context's error when ctx ended (the
// connection was closed because of it).
func (s *session) fail(ctx context.Context, what string, err error) error {
	return fmt.Errorf("mail: imap %s: %w", what, ctxOr(ctx, err))
}

// ctxOr returns ctx's error if ctx is done, else err.
func ctxOr(ctx context.Context, err error) error {
	if ctxErr := ctx.Err(); ctxErr != nil {
		return ctxErr
	}
	return err
}

// pass files and moves every message now in the selected mailbox, in UID
// order.
func (s *session) pass(ctx context.Context) (Summary, error) {
	var sum Summary
	// Drain the new-mail signal: this pass sees everything that arrived
	// before the SEARCH below.
	select {
	case <-s.newMail:
	default:
	}

	// UID SEARCH UNDELETED lists every message still to be handled.
	// Messages flagged \Deleted are skipped: either an earlier fallback
	// move already copied them away and could not expunge them, or
	// someone else deleted them.
	data, err := s.c.UIDSearch(&imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return sum, s.fail(ctx, "uid search", err)
	}
	uids := data.AllUIDs()
	slices.Sort(uids)

	for batch := range slices.Chunk(uids, fetchBatch) {
		// UID FETCH <batch> (UID RFC822.SIZE): sizes first, so that an
		// oversized message is never downloaded whole.
		msgs, err := s.c.Fetch(imap.UIDSetNum(batch...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
		if err != nil {
			return sum, s.fail(ctx, "uid fetch sizes", err)
		}
		sizes := make(map[imap.UID]int64, len(msgs))
		for _, m := range msgs {
			sizes[m.UID] = m.RFC822Size
		}
		for _, uid := range batch {
			size, ok := sizes[uid]
			if !ok {
				continue // expunged meanwhile by another client
			}
			if err := s.handle(ctx, uid, size, &sum); err != nil {
				return sum, err
			}
		}
	}
	return sum, nil
}

// handle files one message and moves it to the mailbox matching the
// outcome.
func (s *session) handle(ctx context.Context, uid imap.UID, size int64, sum *Summary) error {
	in := s.in
	limit := in.cfg.MaxMessageSize
	headerOnly := limit > 0 && size > limit
	raw, n, found, err := s.fetch(ctx, uid, headerOnly, limit)
	if err != nil {
		return err
	}
	if found && raw == nil && !headerOnly {
		// RFC822.SIZE understated the size: the literal is over the
		// limit. Fall back to the header alone.
		headerOnly, size = true, n
		raw, n, found, err = s.fetch(ctx, uid, true, limit)
		if err != nil {
			return err
		}
	}
	if !found {
		return nil // expunged meanwhile by another client
	}
	if headerOnly {
		size = max(size, n)
	} else {
		size = int64(len(raw))
	}

	msg := Incoming{
		Raw:    raw,
		Size:   size,
		Source: "imap:" + in.cfg.Mailbox + "/" + strconv.FormatUint(uint64(uid), 10),
	}
	out, err := in.filer.File(ctx, msg)
	if err != nil {
		// The message stays in the mailbox and is tried again on the next
		// pass; stop here so the database is not hammered.
		sum.Failed++
		return fmt.Errorf("mail: filing imap uid %d of %q: %w", uid, in.cfg.Mailbox, err)
	}
	sum.Add(out)
	if in.afterFile != nil {
		in.afterFile(uid)
	}
	if err := ctx.Err(); err != nil {
		// Shutting down between filing and moving is safe: the message
		// stays and the next pass finds it a duplicate and moves it.
		return fmt.Errorf("mail: imap uid %d filed but not moved: %w", uid, err)
	}

	dest := in.cfg.ArchiveMailbox
	if out.Disposition != Archived {
		dest = in.cfg.QuarantineMailbox
	}
	if err := s.move(ctx, uid, dest); err != nil {
		return err
	}

	attrs := []any{
		"mailbox", in.cfg.Mailbox, "uid", uint32(uid), "disposition", out.Disposition.String(),
		"duplicate", out.Duplicate, "archive_id", out.ID, "moved_to", dest, "size", size,
	}
	if out.MeetingID != 0 {
		attrs = append(attrs, "meeting_id", out.MeetingID)
	}
	if out.Disposition == Archived {
		in.logger.Info("mail: imap message filed", attrs...)
	} else {
		attrs = append(attrs, "reason", out.Reason)
		in.logger.Warn("mail: imap message quarantined", attrs...)
	}
	return nil
}

// fetch downloads one message with BODY.PEEK[] or, when headerOnly, its
// header section with BODY.PEEK[HEADER]. PEEK keeps the server from
// setting \Seen. found is false when the message no longer exists. When
// the whole message turns out larger than limit, raw is nil and n is its
// size; otherwise n is the size of the returned section as the server
// announced it.
func (s *session) fetch(ctx context.Context, uid imap.UID, headerOnly bool, limit int64) (raw []byte, n int64, found bool, err error) {
	section := &imap.FetchItemBodySection{Peek: true}
	if headerOnly {
		section.Specifier = imap.PartSpecifierHeader
	}
	cmd := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{section},
	})
	// The command must be consumed fully; Close discards what is left.
	defer cmd.Close()

	what := fmt.Sprintf("uid fetch %d", uid)
	m := cmd.Next()
	if m == nil {
		// No FETCH response: the message is gone.
		return nil, 0, false, s.failIf(ctx, what, cmd.Close())
	}
	for item := m.Next(); item != nil; item = m.Next() {
		body, ok := item.(imapclient.FetchItemDataBodySection)
		if !ok || body.Literal == nil {
			continue
		}
		found = true
		n = body.Literal.Size()
		switch {
		case headerOnly:
			raw, err = io.ReadAll(io.LimitReader(body.Literal, maxHeaderBytes))
		case limit > 0 && n > limit:
			raw = nil // the reader discards the literal unread
		default:
			raw = make([]byte, n)
			_, err = io.ReadFull(body.Literal, raw)
		}
		if err != nil {
			return nil, 0, false, s.fail(ctx, what, err)
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, 0, false, s.fail(ctx, what, err)
	}
	return raw, n, found, nil
}

// failIf is fail for a possibly nil error.
func (s *session) failIf(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	return s.fail(ctx, what, err)
}

// move moves one message to dest. Nothing is ever expunged that was not
// copied first.
func (s *session) move(ctx context.Context, uid imap.UID, dest string) error {
	set := imap.UIDSetNum(uid)
	what := fmt.Sprintf("move uid %d to %q", uid, dest)
	if s.caps.Has(imap.CapMove) && !s.in.noMove {
		// UID MOVE (RFC 6851) copies and expunges atomically, and only
		// this message.
		if _, err := s.c.Move(set, dest).Wait(); err != nil {
			return s.fail(ctx, what, err)
		}
		return nil
	}

	// Without MOVE: UID COPY, then flag the original \Deleted, then
	// expunge it. imapclient's own fallback would use a plain EXPUNGE
	// without UIDPLUS, which removes every \Deleted message in the
	// mailbox, so it is done by hand here.
	if _, err := s.c.Copy(set, dest).Wait(); err != nil {
		return s.fail(ctx, what+": uid copy", err)
	}
	// +FLAGS.SILENT: the server need not echo the new flags back.
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := s.c.Store(set, store, nil).Close(); err != nil {
		return s.fail(ctx, what+": uid store", err)
	}
	if s.caps.Has(imap.CapUIDPlus) {
		// UID EXPUNGE (RFC 4315) removes only the listed UIDs.
		if err := s.c.UIDExpunge(set).Close(); err != nil {
			return s.fail(ctx, what+": uid expunge", err)
		}
		return nil
	}

	// Neither MOVE nor UIDPLUS: a plain EXPUNGE removes every message
	// flagged \Deleted. Do it only when all of them are messages this
	// session has copied away; otherwise leave ours flagged (the next
	// passes skip \Deleted messages) rather than expunge someone else's.
	// Another client flagging a message between this SEARCH and the
	// EXPUNGE is a race the protocol gives no means to close.
	s.deleted.AddNum(uid)
	data, err := s.c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return s.fail(ctx, what+": uid search deleted", err)
	}
	for _, u := range data.AllUIDs() {
		if !s.deleted.Contains(u) {
			if !s.warnedForeignDeleted {
				s.warnedForeignDeleted = true
				s.in.logger.Warn("mail: imap server lacks MOVE and UIDPLUS and other messages are flagged \\Deleted; copied messages are left flagged \\Deleted in the mailbox",
					"mailbox", s.in.cfg.Mailbox, "uid", uint32(uid))
			}
			return nil
		}
	}
	if err := s.c.Expunge().Close(); err != nil {
		return s.fail(ctx, what+": expunge", err)
	}
	return nil
}

// idle waits in IDLE (RFC 2177) until the server reports new mail, the
// refresh interval passes or ctx is done.
func (s *session) idle(ctx context.Context) error {
	select {
	case <-s.newMail:
		return nil // mail arrived during the pass: go again at once
	default:
	}

	// Idle blocks until the server's continuation request ("+ idling");
	// from then on the server pushes untagged EXISTS as mail arrives.
	cmd, err := s.c.Idle()
	if err != nil {
		return s.fail(ctx, "idle", err)
	}
	if s.in.onIdle != nil {
		s.in.onIdle()
	}

	refreshCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	refresh := make(chan struct{})
	go func() {
		if s.in.wait(refreshCtx, waitIdleRefresh, idleRefresh) == nil {
			close(refresh)
		}
	}()

	select {
	case <-s.newMail:
	case <-refresh:
		// Re-issue IDLE before the server's inactivity timeout; the
		// pass in between is cheap and catches anything missed.
	case <-s.c.Closed():
		s.dead = true
		return s.fail(ctx, "idle", errors.New("connection closed by server"))
	case <-ctx.Done():
		// Close at once rather than end IDLE politely: the client accepts
		// no other command while IDLE is pending.
		s.dead = true
		_ = s.c.Close()
		return ctx.Err()
	}
	// Close sends DONE; Wait reads the tagged OK that ends IDLE. Only then
	// may other commands be sent.
	if err := cmd.Close(); err != nil {
		return s.fail(ctx, "idle done", err)
	}
	if err := cmd.Wait(); err != nil {
		return s.fail(ctx, "idle done", err)
	}
	return nil
}

// poll waits PollInterval between passes on a server without IDLE.
func (s *session) poll(ctx context.Context) error {
	d := s.in.cfg.PollInterval
	if d <= 0 {
		d = defaultPollInterval
	}
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- s.in.wait(pollCtx, waitPoll, d) }()
	select {
	case err := <-done:
		return err
	case <-s.c.Closed():
		return s.fail(ctx, "poll", errors.New("connection closed by server"))
	}
}
