package main

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"coordbot/config"
	"coordbot/mail"
	"coordbot/store"
)

// newPipeline builds the filing pipeline from the [mail] section, or from
// the section's defaults when there is none (import works without an IMAP
// server).
func newPipeline(cfg *config.Config, s *store.Store, logger *slog.Logger) *mail.Pipeline {
	p := mail.NewPipeline(s, logger.With("component", "mail"))
	p.MaxMessageSize = config.DefaultMaxMessageSize
	p.MatchWindow = config.DefaultMatchWindow
	p.ParseOptions.Extractor = newExtractor(logger) // PDFs in a child process
	if mc := cfg.Mail; mc != nil {
		p.AllowedSenders = mc.AllowedSenders
		p.MaxMessageSize = mc.MaxMessageSize
		p.MatchWindow = mc.MatchWindow
	}
	return p
}

func (e *env) cmdImport(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("import", "PATH...")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usagef("import: give .eml files, mbox files or Maildir folders to import")
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	p := newPipeline(g.cfg, s, g.logger)
	p.Now = e.now
	core := e.core(s)
	p.Notifier = core // minutes filed here are announced by a running serve
	p.Actions = core  // and answers by mail are recorded
	im := mail.NewImporter(p, g.logger.With("component", "import"))
	im.MaxMessageSize = p.MaxMessageSize
	// The whole bytes of a message over the limit are kept beside the
	// database (the database stores its header); from IMAP they stay in
	// the quarantine mailbox instead.
	im.SpoolDir = quarantineDir(g.cfg.Database.Path)
	sum, err := im.Import(ctx, fs.Args())
	fmt.Fprintln(e.stdout, sum)
	compactAfterIntake(ctx, s, sum, g.logger)
	if sum.Skipped > 0 {
		g.logger.Info("import: skipped files that are not mail (each is in the log)", "skipped", sum.Skipped)
	}
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("import: %d messages could not be read (see the log)", sum.Failed)
	}
	if sum.Unreadable > 0 {
		return fmt.Errorf("import: %d files or folders could not be read and were skipped (see the log)", sum.Unreadable)
	}
	return nil
}

// compactAfter is how many new messages make an import or fetch-mail
// compact the full-text index at its end.
const compactAfter = 100

// compactAfterIntake merges the full-text index's segments after a large
// intake: each batch filed adds small segments, which every search seeks,
// until the nightly optimize (on 10,000 mails: 16 segments into 1, 2 s; a
// search that finds nothing then takes half as long in the index). A
// failure is logged, not returned: the mail is filed.
func compactAfterIntake(ctx context.Context, s *store.Store, sum mail.Summary, logger *slog.Logger) {
	if sum.Archived+sum.Quarantined < compactAfter || ctx.Err() != nil {
		return
	}
	start := time.Now()
	steps, err := s.CompactIndex(ctx)
	if err != nil {
		logger.Warn("compacting the full-text index failed; the nightly optimize will do it", "err", err)
		return
	}
	logger.Info("full-text index compacted", "steps", steps, "ms", time.Since(start).Milliseconds())
}

// quarantineDir is where an import keeps the whole raw bytes of messages
// over mail.max_message_size: DB.d/quarantine/, files named by their
// SHA-256. It is absolute: the path is written into the quarantine
// reason and read later from anywhere.
func quarantineDir(dbPath string) string {
	if abs, err := filepath.Abs(dbPath); err == nil {
		dbPath = abs
	}
	return filepath.Join(dbPath+".d", "quarantine")
}

// imapConfig converts the [mail] section for the IMAP intake.
func imapConfig(mc *config.Mail) mail.IMAPConfig {
	return mail.IMAPConfig{
		Addr: mc.IMAPAddr, TLS: mc.TLS, Username: mc.Username, Password: mc.Password.Reveal(),
		Mailbox: mc.Mailbox, ArchiveMailbox: mc.ArchiveMailbox, QuarantineMailbox: mc.QuarantineMailbox,
		MaxMessageSize: mc.MaxMessageSize, PollInterval: mc.PollInterval,
	}
}

func (e *env) cmdFetchMail(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("fetch-mail", "")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("fetch-mail takes no arguments")
	}
	if g.cfg.Mail == nil {
		return usagef("fetch-mail: the configuration (%s) has no [mail] section", fileName(g.cfg))
	}
	if err := g.cfg.RequireSecrets("mail"); err != nil {
		return err
	}
	s, err := openStore(ctx, g)
	if err != nil {
		return err
	}
	defer s.Close()
	p := newPipeline(g.cfg, s, g.logger)
	p.Now = e.now
	core := e.core(s)
	p.Notifier = core // minutes filed here are announced by a running serve
	p.Actions = core  // and answers by mail are recorded
	in := mail.NewIntake(imapConfig(g.cfg.Mail), p, g.logger.With("component", "imap"))
	sum, err := in.FetchOnce(ctx)
	fmt.Fprintln(e.stdout, sum)
	compactAfterIntake(ctx, s, sum, g.logger)
	if err != nil {
		return fmt.Errorf("fetch-mail: %w", err)
	}
	if sum.Failed > 0 {
		return fmt.Errorf("fetch-mail: %d messages could not be filed (see the log)", sum.Failed)
	}
	return nil
}
