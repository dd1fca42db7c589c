package mail

import (
	"cmp"
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

// Intake moves mail from the IMAP mailbox into the archive, in batches of
// up to 100 messages: each message is filed first and only then moved out
// of the mailbox, so a crash in between leaves it in place to be recognised
// as a duplicate on the next pass.
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

	// batchCount and batchBytes bound a batch: at most batchCount messages
	// and batchBytes of message data in memory (see batchLen). Tests set
	// them small.
	batchCount int
	batchBytes int64

	// Test hooks.
	// afterFile is called for each UID after filing succeeded (after
	// FileBatch returned, or after each File) and before any move, to
	// simulate a crash between the two.
	afterFile func(uid imap.UID)
	// onIdle is called each time the server has accepted the long IDLE
	// (the one after the short settle IDLE, see session.idle).
	onIdle func()
	// beforeIdle is called after a pass, before IDLE is sent (a test
	// delivers mail in that gap).
	beforeIdle func()
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
	waitIdleSettle                      // first, short IDLE after a pass
)

// Tunables of the intake.
const (
	// defaultBatchCount is the most messages handled as one batch: their
	// sizes and bodies are fetched with one command each, they are filed
	// with one FileBatch (one transaction) and moved with one UID MOVE per
	// target mailbox. Servers handle a set per command far faster than
	// one command per message (Dovecot's Maildir: 12–16 ms per UID MOVE at
	// 10,000 messages, whether it moves one message or a hundred).
	defaultBatchCount = 100
	// defaultBatchBytes bounds the message data of a batch held in memory
	// at once; a message larger than this (but within MaxMessageSize)
	// forms a batch alone.
	defaultBatchBytes = 32 << 20
	// maxHeaderBytes caps the header section kept for an oversized message.
	maxHeaderBytes = 1 << 20
	// idleRefresh ends IDLE and starts a fresh pass before servers drop the
	// idle connection: RFC 2177 lets them log out a client after 30
	// minutes, and asks clients to re-issue IDLE at least every 29.
	idleRefresh = 25 * time.Minute
	// idleSettle is how long the first IDLE after a pass lasts (see
	// session.idle).
	idleSettle = 2 * time.Second
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

		batchCount: defaultBatchCount,
		batchBytes: defaultBatchBytes,
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
// order, batch by batch (see handleBatch).
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

	count := max(s.in.batchCount, 1)
	// pending holds messages whose size is known, in UID order; uids[next:]
	// have not been asked yet.
	var pending []sizedUID
	next := 0
	for {
		// Top pending up to a full batch: UID FETCH <set> (UID
		// RFC822.SIZE), sizes first, so that an oversized message is never
		// downloaded whole. A message missing from the answer was expunged
		// meanwhile by another client.
		for len(pending) < count && next < len(uids) {
			ask := uids[next:min(next+count-len(pending), len(uids))]
			next += len(ask)
			msgs, err := s.c.Fetch(imap.UIDSetNum(ask...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
			if err != nil {
				return sum, s.fail(ctx, "uid fetch sizes", err)
			}
			sizes := make(map[imap.UID]int64, len(msgs))
			for _, m := range msgs {
				sizes[m.UID] = m.RFC822Size
			}
			for _, uid := range ask {
				if size, ok := sizes[uid]; ok {
					pending = append(pending, sizedUID{uid: uid, size: size})
				}
			}
		}
		if len(pending) == 0 {
			return sum, nil
		}
		n := s.in.batchLen(pending)
		if err := s.handleBatch(ctx, pending[:n], &sum); err != nil {
			return sum, err
		}
		pending = pending[n:]
	}
}

// sizedUID is a message of the mailbox with its RFC822.SIZE.
type sizedUID struct {
	uid  imap.UID
	size int64
}

// oversized says whether a message of size bytes is over MaxMessageSize,
// so that only its header section is fetched.
func (in *Intake) oversized(size int64) bool {
	return in.cfg.MaxMessageSize > 0 && size > in.cfg.MaxMessageSize
}

// batchLen returns how many of pending (at least one) form the next batch:
// at most batchCount messages and at most batchBytes of data to hold in
// memory. An oversized message counts only for its header section (at most
// maxHeaderBytes are kept); a message larger than batchBytes forms a batch
// alone.
func (in *Intake) batchLen(pending []sizedUID) int {
	var total int64
	for i, m := range pending {
		if i >= max(in.batchCount, 1) {
			return i
		}
		cost := m.size
		if in.oversized(m.size) {
			cost = min(m.size, maxHeaderBytes)
		}
		if i > 0 && total+cost > in.batchBytes {
			return i
		}
		total += cost
	}
	return len(pending)
}

// handleBatch fetches a batch of messages, files them and moves each to the
// mailbox matching its outcome. Every message is filed before it is moved,
// so a crash in between leaves it in the mailbox, to be recognised as a
// duplicate on the next pass.
func (s *session) handleBatch(ctx context.Context, batch []sizedUID, sum *Summary) error {
	in := s.in
	uids, msgs, err := s.fetchBatch(ctx, batch)
	if err != nil || len(msgs) == 0 {
		return err
	}

	outs, fileErr := s.file(ctx, uids, msgs, sum)
	// Only the messages filed are moved; after a failure the rest stays
	// for the next pass.
	uids = uids[:len(outs)]
	if err := ctx.Err(); err != nil {
		// Shutting down between filing and moving is safe: the messages
		// stay and the next pass finds them duplicates and moves them.
		if fileErr != nil || len(uids) == 0 {
			return cmp.Or(fileErr, err)
		}
		return fmt.Errorf("mail: imap uids %s filed but not moved: %w", imap.UIDSetNum(uids...), err)
	}

	// One move per target mailbox, archive first.
	dests := make([]string, len(outs))
	for i, out := range outs {
		dests[i] = in.cfg.ArchiveMailbox
		if out.Disposition != Archived {
			dests[i] = in.cfg.QuarantineMailbox
		}
	}
	moved := make(map[string]bool, 2)
	var moveErr error
	for _, dest := range []string{in.cfg.ArchiveMailbox, in.cfg.QuarantineMailbox} {
		if moved[dest] {
			continue // the two mailboxes are the same
		}
		var set []imap.UID
		for i, d := range dests {
			if d == dest {
				set = append(set, uids[i])
			}
		}
		if len(set) == 0 {
			continue
		}
		if moveErr = s.move(ctx, set, dest); moveErr != nil {
			break
		}
		moved[dest] = true
	}

	// One line per message, once it is where the log says.
	for i, out := range outs {
		if !moved[dests[i]] {
			continue
		}
		attrs := []any{
			"mailbox", in.cfg.Mailbox, "uid", uint32(uids[i]), "disposition", out.Disposition.String(),
			"duplicate", out.Duplicate, "archive_id", out.ID, "moved_to", dests[i], "size", msgs[i].Size,
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
	}
	if moveErr != nil {
		return moveErr
	}
	return fileErr
}

// fetchBatch downloads the messages of a batch, in UID order: the bodies of
// those within MaxMessageSize with one UID FETCH (BODY.PEEK[]), the header
// section of each oversized one with its own UID FETCH (BODY.PEEK[HEADER]).
// Messages expunged meanwhile by another client are left out.
func (s *session) fetchBatch(ctx context.Context, batch []sizedUID) ([]imap.UID, []Incoming, error) {
	in := s.in
	var whole []imap.UID
	for _, m := range batch {
		if !in.oversized(m.size) {
			whole = append(whole, m.uid)
		}
	}
	var bodies map[imap.UID]fetchedBody
	if len(whole) > 0 {
		var err error
		if bodies, err = s.fetchBodies(ctx, whole); err != nil {
			return nil, nil, err
		}
	}

	uids := make([]imap.UID, 0, len(batch))
	msgs := make([]Incoming, 0, len(batch))
	for _, m := range batch {
		var raw []byte
		size := m.size
		headerOnly := in.oversized(size)
		if !headerOnly {
			b, ok := bodies[m.uid]
			switch {
			case !ok:
				continue // expunged meanwhile
			case b.tooBig:
				// RFC822.SIZE understated the size: the literal is over
				// the limit. Fall back to the header alone.
				headerOnly, size = true, b.n
			default:
				raw, size = b.raw, int64(len(b.raw))
			}
		}
		if headerOnly {
			header, n, found, err := s.fetchHeader(ctx, m.uid)
			if err != nil {
				return nil, nil, err
			}
			if !found {
				continue // expunged meanwhile
			}
			raw, size = header, max(size, n)
		}
		uids = append(uids, m.uid)
		msgs = append(msgs, Incoming{
			Raw:    raw,
			Size:   size,
			Source: "imap:" + in.cfg.Mailbox + "/" + strconv.FormatUint(uint64(m.uid), 10),
			// A quarantined message is moved there, whole.
			QuarantineMailbox: in.cfg.QuarantineMailbox,
		})
	}
	return uids, msgs, nil
}

// fetchedBody is one message of a UID FETCH (BODY.PEEK[]).
type fetchedBody struct {
	raw []byte
	// n is the literal's size as announced by the server.
	n int64
	// tooBig is set when n is over MaxMessageSize: raw is nil, the literal
	// was skipped unread.
	tooBig bool
}

// fetchBodies downloads whole messages with one UID FETCH <set> (UID
// BODY.PEEK[]), streaming the answers and reading each literal into memory
// (a batch is bounded by batchBytes). PEEK keeps the server from setting
// \Seen. A literal larger than MaxMessageSize (RFC822.SIZE understated) is
// not read. Messages missing from the result no longer exist.
func (s *session) fetchBodies(ctx context.Context, uids []imap.UID) (map[imap.UID]fetchedBody, error) {
	set := imap.UIDSetNum(uids...)
	cmd := s.c.Fetch(set, &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true}},
	})
	// The command must be consumed fully; Close discards what is left.
	defer cmd.Close()

	what := fmt.Sprintf("uid fetch %s", set)
	limit := s.in.cfg.MaxMessageSize
	got := make(map[imap.UID]fetchedBody, len(uids))
	for m := cmd.Next(); m != nil; m = cmd.Next() {
		var (
			uid   imap.UID
			body  fetchedBody
			found bool
		)
		// Next discards whatever of the previous item's literal is unread.
		for item := m.Next(); item != nil; item = m.Next() {
			switch item := item.(type) {
			case imapclient.FetchItemDataUID:
				uid = item.UID
			case imapclient.FetchItemDataBodySection:
				if item.Literal == nil {
					continue
				}
				found = true
				body.n = item.Literal.Size()
				if limit > 0 && body.n > limit {
					body.tooBig, body.raw = true, nil
					continue
				}
				body.tooBig = false
				body.raw = make([]byte, body.n)
				if _, err := io.ReadFull(item.Literal, body.raw); err != nil {
					return nil, s.fail(ctx, what, err)
				}
			}
		}
		// imapclient hands this command only answers for UIDs of set.
		if found && uid != 0 {
			got[uid] = body
		}
	}
	if err := cmd.Close(); err != nil {
		return nil, s.fail(ctx, what, err)
	}
	return got, nil
}

// fetchHeader downloads the header section of one message with UID FETCH
// (BODY.PEEK[HEADER]), keeping at most maxHeaderBytes. found is false when
// the message no longer exists; n is the section's size as the server
// announced it.
func (s *session) fetchHeader(ctx context.Context, uid imap.UID) (raw []byte, n int64, found bool, err error) {
	cmd := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{
		UID:         true,
		BodySection: []*imap.FetchItemBodySection{{Peek: true, Specifier: imap.PartSpecifierHeader}},
	})
	// The command must be consumed fully; Close discards what is left.
	defer cmd.Close()

	what := fmt.Sprintf("uid fetch %d header", uid)
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
		if raw, err = io.ReadAll(io.LimitReader(body.Literal, maxHeaderBytes)); err != nil {
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

// file hands msgs (with their uids) to the filer: with one FileBatch when
// the filer is a BatchFiler, else with File for each in order. It returns
// the outcomes of the messages filed, a prefix of msgs: all of them, or
// with a BatchFiler none when the batch failed, or with File those before
// the first failure. A filing error is returned wrapped; the caller moves
// the messages filed, then returns it. The afterFile hook runs for each
// filed UID; after a cancellation it returns at once (the caller checks
// ctx before moving).
func (s *session) file(ctx context.Context, uids []imap.UID, msgs []Incoming, sum *Summary) ([]Outcome, error) {
	in := s.in
	if bf, ok := in.filer.(BatchFiler); ok {
		outs, err := bf.FileBatch(ctx, msgs)
		if err == nil && len(outs) != len(msgs) {
			err = fmt.Errorf("filer returned %d outcomes for %d messages", len(outs), len(msgs))
		}
		if err != nil {
			// Nothing was stored: the whole batch stays in the mailbox and
			// is tried again on the next pass; stop here so the database
			// is not hammered.
			sum.Failed += len(msgs)
			return nil, fmt.Errorf("mail: filing imap uids %s of %q: %w", imap.UIDSetNum(uids...), in.cfg.Mailbox, err)
		}
		for _, out := range outs {
			sum.Add(out)
		}
		if in.afterFile != nil {
			for _, uid := range uids {
				in.afterFile(uid)
			}
		}
		return outs, nil
	}

	outs := make([]Outcome, 0, len(msgs))
	for i, msg := range msgs {
		out, err := in.filer.File(ctx, msg)
		if err != nil {
			// This message and the rest of the batch stay in the mailbox
			// and are tried again on the next pass; stop here so the
			// database is not hammered. Those filed before are committed
			// and are moved.
			sum.Failed++
			return outs, fmt.Errorf("mail: filing imap uid %d of %q: %w", uids[i], in.cfg.Mailbox, err)
		}
		sum.Add(out)
		outs = append(outs, out)
		if in.afterFile != nil {
			in.afterFile(uids[i])
		}
		if ctx.Err() != nil {
			return outs, nil
		}
	}
	return outs, nil
}

// move moves messages to dest. Nothing is ever expunged that was not
// copied first.
func (s *session) move(ctx context.Context, uids []imap.UID, dest string) error {
	set := imap.UIDSetNum(uids...)
	what := fmt.Sprintf("move uids %s to %q", set, dest)
	if s.caps.Has(imap.CapMove) && !s.in.noMove {
		// UID MOVE (RFC 6851) copies and expunges atomically, and only
		// these messages.
		if _, err := s.c.Move(set, dest).Wait(); err != nil {
			return s.fail(ctx, what, err)
		}
		return nil
	}

	// Without MOVE: UID COPY, then flag the originals \Deleted, then
	// expunge them. imapclient's own fallback would use a plain EXPUNGE
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
	s.deleted.AddSet(set)
	data, err := s.c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagDeleted}}, nil).Wait()
	if err != nil {
		return s.fail(ctx, what+": uid search deleted", err)
	}
	for _, u := range data.AllUIDs() {
		if !s.deleted.Contains(u) {
			if !s.warnedForeignDeleted {
				s.warnedForeignDeleted = true
				s.in.logger.Warn("mail: imap server lacks MOVE and UIDPLUS and other messages are flagged \\Deleted; copied messages are left flagged \\Deleted in the mailbox",
					"mailbox", s.in.cfg.Mailbox, "uids", set.String())
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
// refresh interval passes or ctx is done. The first IDLE after a pass
// lasts only idleSettle: some servers (go-imap's imapserver, Cyrus before
// 3.4) announce only what happens once IDLE has begun, so mail delivered
// between the pass and IDLE would wait for the refresh, 25 minutes.
// Ending that IDLE makes the server report what it holds back (a server
// sends pending EXISTS before the tagged OK of a command, IDLE included);
// if nothing came, a second IDLE lasts up to idleRefresh. Mail delivered
// in the instant before that second IDLE begins can still wait for the
// refresh on such servers; the protocol gives a client no way to close
// that gap, but it is no longer the moment right after a pass, when the
// rest of a burst of mail arrives.
func (s *session) idle(ctx context.Context) error {
	if s.in.beforeIdle != nil {
		s.in.beforeIdle()
	}
	select {
	case <-s.newMail:
		return nil // mail arrived during the pass: go again at once
	default:
	}
	if mail, err := s.idleFor(ctx, waitIdleSettle, idleSettle); err != nil || mail {
		return err
	}
	_, err := s.idleFor(ctx, waitIdleRefresh, idleRefresh)
	return err
}

// idleFor runs one IDLE command for up to d (waited for as why), or until
// the server reports new mail or ctx is done. mail says whether new mail
// was reported, also with the tagged OK that ends IDLE.
func (s *session) idleFor(ctx context.Context, why waitKind, d time.Duration) (mail bool, err error) {
	// Idle blocks until the server's continuation request ("+ idling");
	// from then on the server pushes untagged EXISTS as mail arrives.
	cmd, err := s.c.Idle()
	if err != nil {
		return false, s.fail(ctx, "idle", err)
	}
	if s.in.onIdle != nil && why == waitIdleRefresh {
		s.in.onIdle()
	}

	timerCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	timeUp := make(chan struct{})
	go func() {
		if s.in.wait(timerCtx, why, d) == nil {
			close(timeUp)
		}
	}()

	select {
	case <-s.newMail:
		mail = true
	case <-timeUp:
		// Re-issue IDLE before the server's inactivity timeout (or
		// after the settle time); the pass in between is cheap and
		// catches anything missed.
	case <-s.c.Closed():
		s.dead = true
		return false, s.fail(ctx, "idle", errors.New("connection closed by server"))
	case <-ctx.Done():
		// Close at once rather than end IDLE politely: the client accepts
		// no other command while IDLE is pending.
		s.dead = true
		_ = s.c.Close()
		return false, ctx.Err()
	}
	// Close sends DONE; Wait reads the tagged OK that ends IDLE. Only then
	// may other commands be sent.
	if err := cmd.Close(); err != nil {
		return false, s.fail(ctx, "idle done", err)
	}
	if err := cmd.Wait(); err != nil {
		return false, s.fail(ctx, "idle done", err)
	}
	// EXISTS sent before the tagged OK has been handled by now: the
	// client's reader runs the handler before it reads the OK.
	select {
	case <-s.newMail:
		mail = true
	default:
	}
	return mail, nil
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
