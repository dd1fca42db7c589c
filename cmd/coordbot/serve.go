package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"coordbot/bot"
	"coordbot/config"
	"coordbot/links"
	"coordbot/mail"
	"coordbot/mailer"
	"coordbot/meeting"
	"coordbot/scheduler"
	"coordbot/store"
)

// Main is the running service. A test runs the real program through it:
// NewMain, Run, then Close.
type Main struct {
	Config *config.Config
	Logger *slog.Logger
	// Now is the clock handed to every part.
	Now func() time.Time
	// ShutdownTimeout bounds how long Close waits for in-flight work.
	ShutdownTimeout time.Duration
	// BotEditDelay is how long an announcement edit waits for more changes
	// (0: outbox.EditDelay, 2 s); tests shorten it.
	BotEditDelay time.Duration
	// Clock drives the scheduler; tests replace it.
	Clock scheduler.Clock
	// SMTPTLS, when set, is the TLS configuration of the e-mail sender
	// (tests trust their server's certificate with it).
	SMTPTLS *tls.Config
	// HTTPAddr is where the calendar feeds listen, once running.
	HTTPAddr string
	// DebugAddr, when set, is where the profiling endpoints listen
	// (loopback only; see startDebug); once running, the address taken.
	DebugAddr string

	// Store is open between Run and Close.
	Store *store.Store

	// links signs the links in e-mails and checks them on the web pages;
	// nil without http.public_url.
	links *links.Signer
	// parts are stopped by Close in reverse start order.
	parts []part
	mu    sync.Mutex
}

// The page caches of serve's store: the writer keeps the pages its
// transactions touch again and again (the RSVP, outbox and index pages);
// a reader's cache is discarded by every write in between, so a few pages
// for one read's b-tree descents are enough.
const (
	serveCacheKiB     = 1024
	serveReadCacheKiB = 64
)

// part is one running component of the service.
type part struct {
	name string
	// stop ends intake and waits for in-flight work until ctx is done.
	stop func(ctx context.Context) error
}

// NewMain returns a service for cfg that logs to logger.
func NewMain(cfg *config.Config, logger *slog.Logger) *Main {
	return &Main{Config: cfg, Logger: logger, Now: time.Now, ShutdownTimeout: 10 * time.Second, Clock: scheduler.RealClock{}}
}

// Run opens the store, syncs the configured groups and starts every
// configured part. It returns once they run; Close stops them.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	// serve runs for months: its page caches are bounded (see
	// store.Options), so that its memory stays flat once they are warm.
	s, err := store.Open(ctx, cfg.Database.Path, store.Options{CacheKiB: serveCacheKiB, ReadCacheKiB: serveReadCacheKiB})
	if err != nil {
		return err
	}
	s.Now = m.Now
	m.Store = s
	if err := s.SyncGroups(ctx, storeGroups(cfg)); err != nil {
		return err
	}
	v, err := s.Version(ctx)
	if err != nil {
		return err
	}
	core := meeting.New(s)
	core.Now = m.Now
	if m.BotEditDelay > 0 {
		core.EditDelay = m.BotEditDelay
	}
	// With a public address, e-mails carry sign-in and one-click answer
	// links and the web pages check them: one signer, its key kept in the
	// database so links survive restarts.
	if cfg.HTTP != nil && cfg.HTTP.PublicURL != "" {
		key, err := s.WebKey(ctx)
		if err != nil {
			return err
		}
		m.links = links.New(key, cfg.HTTP.PublicURL)
	}
	if m.DebugAddr != "" {
		if err := m.startDebug(s); err != nil {
			return err
		}
	}
	if err := m.startSenders(ctx, core); err != nil {
		return err
	}
	if cfg.Mail != nil {
		m.startMail(s, core)
	}
	if cfg.HTTP != nil {
		if err := m.startHTTP(core); err != nil {
			return err
		}
	}
	// Log the parts that really run, not the configured ones.
	var parts []string
	for _, p := range m.parts {
		parts = append(parts, p.name)
	}
	m.Logger.Info("coordbot running",
		"version", buildVersion(),
		"database", cfg.Database.Path,
		"schema_version", v,
		"groups", len(cfg.Groups),
		"parts", strings.Join(parts, ","))
	if len(parts) == 0 {
		m.Logger.Warn("no parts configured: add [discord] or [mail] to the configuration; only the database is open")
	}
	return nil
}

// Close stops the parts (intake first, in reverse start order), waits for
// their in-flight work up to ShutdownTimeout, and closes the store last.
// It is safe to call more than once.
func (m *Main) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), m.ShutdownTimeout)
	defer cancel()
	var errs []error
	for i := len(m.parts) - 1; i >= 0; i-- {
		p := m.parts[i]
		if err := p.stop(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop %s: %w", p.name, err))
			m.Logger.Error("part did not stop cleanly", "part", p.name, "err", err)
		}
	}
	m.parts = nil
	if m.Store != nil {
		if err := m.Store.Close(); err != nil {
			errs = append(errs, err)
		}
		m.Store = nil
		m.Logger.Info("coordbot stopped")
	}
	return errors.Join(errs...)
}

// startSenders starts what delivers the outbox: the Discord bot (when
// [discord] is configured), the e-mail sender (when [smtp] is) and the
// scheduler that hands each due row to the sender of its channel; they
// run until Close. When Discord is unreachable at start, the bot keeps
// trying in the background (see bot.Start) and serve runs meanwhile, as
// it does while IMAP or SMTP is down.
func (m *Main) startSenders(ctx context.Context, core *meeting.Service) error {
	s := core.Store()
	senders := map[string]scheduler.Sender{}
	var b *bot.Bot
	if dc := m.Config.Discord; dc != nil {
		cfg := bot.Config{Token: dc.Token.Reveal(), GuildID: dc.GuildID, ApplicationID: dc.ApplicationID, APIURL: dc.APIURL}
		if m.Config.Mail != nil {
			cfg.ArchiveAddress = m.Config.Mail.Address
		}
		var err error
		if b, err = bot.New(cfg, core, m.Logger.With("component", "bot")); err != nil {
			return err
		}
		b.Now = m.Now
		senders[store.ChannelDiscord] = b
	}
	var smtpSender *mailer.Sender
	if m.Config.SMTP != nil {
		smtpSender = m.newMailer(core)
		senders[store.ChannelEmail] = smtpSender
	}
	if len(senders) == 0 {
		return nil
	}
	sched := scheduler.New(s, senders, m.Clock, m.Logger.With("component", "scheduler"))
	// A use case that wrote outbox rows wakes the scheduler at once;
	// another process's commits reach it through the store's watcher.
	// Set before the bot takes its first click.
	core.Changed = sched.Wake
	if b != nil {
		if err := b.Start(ctx); err != nil {
			return err
		}
		m.parts = append(m.parts, part{name: "bot", stop: b.Stop})
	}
	if smtpSender != nil {
		m.parts = append(m.parts, part{name: "smtp", stop: func(context.Context) error { return smtpSender.Close() }})
	}

	// The scheduler sends through the others, so it stops first (parts
	// stop in reverse order).
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := sched.Run(sctx); err != nil {
			m.Logger.Error("scheduler stopped", "err", err)
		}
	}()
	m.parts = append(m.parts, part{name: "scheduler", stop: func(stopCtx context.Context) error {
		cancel()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("scheduler still sending: %w", stopCtx.Err())
		}
	}})
	return nil
}

// startMail runs the IMAP intake until Close: filed minutes are announced
// and answers by mail recorded through the core.
func (m *Main) startMail(s *store.Store, core *meeting.Service) {
	logger := m.Logger.With("component", "mail")
	p := newPipeline(m.Config, s, m.Logger)
	p.Now = m.Now
	p.Notifier = core
	p.Actions = core
	intake := mail.NewIntake(imapConfig(m.Config.Mail), p, logger)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Answers stored by a run that died before carrying them out.
		if err := p.FinishPending(ctx); err != nil && ctx.Err() == nil {
			logger.Error("finishing answers left by an earlier run", "err", err)
		}
		if err := intake.Run(ctx); err != nil {
			logger.Error("mail intake stopped", "err", err)
		}
	}()
	m.parts = append(m.parts, part{name: "mail", stop: func(stopCtx context.Context) error {
		// Cancelling ends IDLE and the pass in progress after the message
		// being filed; a message not yet moved is recognised next time.
		cancel()
		select {
		case <-done:
			return nil
		case <-stopCtx.Done():
			return fmt.Errorf("mail intake still busy: %w", stopCtx.Err())
		}
	}})
}

func fileName(cfg *config.Config) string {
	if cfg.File == "" {
		return "the configuration"
	}
	return cfg.File
}

// newMailer is the e-mail sender of the [smtp] section; replies go to the
// archive address of [mail].
func (m *Main) newMailer(core *meeting.Service) *mailer.Sender {
	archive := ""
	if m.Config.Mail != nil {
		archive = m.Config.Mail.Address
	}
	ms := mailer.New(core.Store(), *m.Config.SMTP, archive, core, m.Now, m.Logger.With("component", "smtp"))
	ms.TLSConfig = m.SMTPTLS
	ms.Links = m.links
	return ms
}
