// Command coordbot runs the coordbot service and its command-line tools.
//
// This package only wires: it reads the configuration, sets up logging once,
// opens the store and hands each part its dependencies. The work itself is
// done in store/, bot/, scheduler/ and mail/.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	_ "time/tzdata" // zone data inside the binary: Europe/Prague must work on any machine

	"coordbot/config"
	"coordbot/i18n"
	"coordbot/store"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the command failed
	exitUsage = 2 // bad command line or configuration
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise
// the module version from the build info is used.
var version = ""

func main() {
	e := &env{getenv: os.Getenv, stdout: os.Stdout, stderr: os.Stderr, now: time.Now, signals: func(ctx context.Context) (context.Context, context.CancelFunc) {
		return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	}, setGCPercent: debug.SetGCPercent}
	os.Exit(e.run(context.Background(), os.Args[1:]))
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return &usageError{fmt.Sprintf(format, args...)} }

const usageText = `coordbot keeps a coordinator network's meetings: Discord bot, reminders, minutes archive.

Usage:
  coordbot [-config FILE] [-db FILE] [-log-level LEVEL] [-log-format text|json] COMMAND [ARGS]

Commands:
  serve [-debug-addr ADDR]           run every configured part (bot, smtp, scheduler, mail, http) until SIGINT/SIGTERM
  migrate                            create or upgrade the database, then exit
  import PATH...                     file .eml files, mbox files or Maildir folders into the archive
  fetch-mail                         one pass over the IMAP archive mailbox, then exit
  search [-json] [-limit N] QUERY    full-text search of the archive
  meeting add|list|show|edit|cancel|attended ...
                                     plan, change, cancel and write up meetings (add -past for one already held)
  member add|list|remove|import ...  the group's members and their organisations (import: CSV from Excel)
  rsvp MEETING PERSON yes|no|maybe   record an answer received by phone or in person
  agenda add|list|accept ...         agenda items of a meeting
  minutes list|assign ...            list archived, unfiled or quarantined minutes; file minutes under a meeting
  report -group SLUG -year YYYY [-format md|html|csv|xlsx] [-excel]
                                     the year's meetings, attendance and topics for the annual report
  ics -group SLUG [-from DATE] [-to DATE]
                                     the group's meetings as iCalendar (default: a year back and all ahead)
  backup FILE                        write a consistent copy of the database (also while serve runs); never overwrites
  version                            print the version

Global flags:
`

// env is what a command needs from the process: the environment, output
// streams and the clock.
type env struct {
	getenv func(string) string
	stdout io.Writer
	stderr io.Writer
	now    func() time.Time
	// signals, if set, makes ctx end on SIGINT and SIGTERM. It is called
	// only once a command needs it, after version and help: starting the
	// signal handler is part of what a hello-world program does not do
	// (issue 14).
	signals func(context.Context) (context.Context, context.CancelFunc)
	// setGCPercent, if set, is debug.SetGCPercent: the process is
	// coordbot's own and serve may tune its garbage collector (see
	// serveGCPercent). Tests that call run leave it nil: the setting is
	// the whole process's.
	setGCPercent func(int) int
}

// run is main without os.Exit, so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr, now: time.Now}
	return e.run(ctx, args)
}

// run runs the command line args and returns the exit code.
func (e *env) run(ctx context.Context, args []string) int {
	err := e.dispatch(ctx, args)
	code := exitCode(err)
	if code != exitOK {
		fmt.Fprintf(e.stderr, "coordbot: %v\n", err)
	}
	return code
}

// exitCode maps a command's error to the process exit code.
func exitCode(err error) int {
	var ue *usageError
	var ce *config.Error
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.As(err, &ue), errors.As(err, &ce):
		return exitUsage
	default:
		return exitError
	}
}

// globals are the flags before the command.
type globals struct {
	configPath string
	dbPath     string
	logLevel   string
	logFormat  string
	cfg        *config.Config
	logger     *slog.Logger
	// readOnly is set for commands that only read: they refuse a missing
	// database instead of creating one.
	readOnly bool
	// stderr is where a command says that it waits for the database.
	stderr io.Writer
}

// commandBusyTimeout is how long a command waits for another process's
// write lock: as long as a person would, not serve's few seconds. After
// store.Options.LockWaitNotice the command says what it waits for.
const commandBusyTimeout = time.Minute

// storeOptions are the store options of a command-line command.
func (g *globals) storeOptions() store.Options {
	path := g.cfg.Database.Path
	return store.Options{
		MustExist:   g.readOnly,
		BusyTimeout: commandBusyTimeout,
		OnLockWait: func() {
			fmt.Fprintf(g.stderr, "coordbot: waiting for the database: another coordbot process is writing to %s "+
				"(serve, an import, or another command); waiting up to %v\n", path, commandBusyTimeout)
		},
	}
}

// readOnlyCommands are the commands (and subcommands) that only read. Any
// other command may create the database.
var readOnlyCommands = map[string]bool{
	"search": true, "report": true, "ics": true,
	"meeting list": true, "meeting show": true, "member list": true,
	"agenda list": true, "minutes list": true, "backup": true,
}

// readsOnly reports whether the command line cmd args only reads.
func readsOnly(cmd string, args []string) bool {
	if readOnlyCommands[cmd] {
		return true
	}
	return len(args) > 0 && readOnlyCommands[cmd+" "+args[0]]
}

func (e *env) dispatch(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("coordbot", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned and printed once by run
	var g globals
	fs.StringVar(&g.configPath, "config", "coordbot.toml", "configuration `file` (TOML)")
	fs.StringVar(&g.dbPath, "db", "", "database `file` (overrides database.path)")
	fs.StringVar(&g.logLevel, "log-level", "", "log `level`: debug, info, warn, error (overrides log.level)")
	fs.StringVar(&g.logFormat, "log-format", "", "log `format`: text or json (overrides log.format)")
	// Help asked for goes to stdout; a mistake gets one line on stderr.
	fs.Usage = func() {}
	printUsage := func() {
		fs.SetOutput(e.stdout)
		fmt.Fprint(e.stdout, usageText)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printUsage()
			return err
		}
		return usagef("%v (see coordbot -h)", err)
	}
	if fs.NArg() == 0 {
		return usagef("no command given (see coordbot -h)")
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	if cmd == "help" {
		printUsage()
		return nil
	}
	if cmd == "version" {
		return e.cmdVersion()
	}
	if cmd == "extract" { // hidden: the child process of attachment text extraction (extractcmd.go)
		return e.cmdExtract(rest, os.Stdin)
	}
	if e.signals != nil {
		var stop context.CancelFunc
		ctx, stop = e.signals(ctx)
		defer stop()
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "config" {
			explicit = true
		}
	})
	cfg, err := config.Load(g.configPath, explicit, e.getenv)
	if err != nil {
		return err
	}
	if g.dbPath != "" {
		cfg.Database.Path = g.dbPath
	}
	if g.logLevel != "" {
		cfg.Log.Level = g.logLevel
	}
	if g.logFormat != "" {
		cfg.Log.Format = g.logFormat
	}
	logger, err := newLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	if err != nil {
		return err
	}
	g.cfg, g.logger = cfg, logger
	g.readOnly = readsOnly(cmd, rest)
	g.stderr = e.stderr

	switch cmd {
	case "serve":
		return e.cmdServe(ctx, &g, rest)
	case "migrate":
		return e.cmdMigrate(ctx, &g, rest)
	case "search":
		return e.cmdSearch(ctx, &g, rest)
	case "meeting":
		return e.cmdMeeting(ctx, &g, rest)
	case "member":
		return e.cmdMember(ctx, &g, rest)
	case "rsvp":
		return e.cmdRSVP(ctx, &g, rest)
	case "agenda":
		return e.cmdAgenda(ctx, &g, rest)
	case "import":
		return e.cmdImport(ctx, &g, rest)
	case "minutes":
		return e.cmdMinutes(ctx, &g, rest)
	case "fetch-mail":
		return e.cmdFetchMail(ctx, &g, rest)
	case "report":
		return e.cmdReport(ctx, &g, rest)
	case "ics":
		return e.cmdICS(ctx, &g, rest)
	case "backup":
		return e.cmdBackup(ctx, &g, rest)
	default:
		return usagef("unknown command %q (see coordbot -h)", cmd)
	}
}

// newLogger builds the one slog logger of the process.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if level == "" {
		level = "info"
	}
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("log level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, usagef("log format %q: want text or json", format)
	}
}

// buildVersion returns the program's version.
func buildVersion() string {
	v, _ := versions()
	return v
}

// versions returns the program's version and the Go version it was built
// with, from one reading of the build info.
func versions() (string, string) {
	v, goVersion := version, "unknown"
	bi, ok := debug.ReadBuildInfo()
	if ok {
		goVersion = bi.GoVersion
	}
	if v == "" {
		v = "dev"
		if ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return v, goVersion
}

// cmdVersion prints the versions and does nothing else: no configuration,
// no database. It is what start-up time is measured by
// (BenchmarkStartupProcess).
func (e *env) cmdVersion() error {
	v, goVersion := versions()
	fmt.Fprintf(e.stdout, "coordbot %s (%s, database schema %d)\n", v, goVersion, store.SchemaVersion())
	return nil
}

// openStore opens the database for a command. A command that writes
// applies pending migrations and brings the groups in line with the
// configuration, which is their source of truth. A command that only reads
// does neither (issue 14): it refuses a database that does not exist yet
// or whose schema is not this program's, and reads the groups as serve,
// migrate or the last writing command stored them, so it never asks for
// the write lock another process may hold.
func openStore(ctx context.Context, g *globals) (*store.Store, error) {
	if g.readOnly {
		return openReader(ctx, g)
	}
	s, err := store.Open(ctx, g.cfg.Database.Path, g.storeOptions())
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, noDatabase(g.cfg.Database.Path)
	}
	if err != nil {
		return nil, err
	}
	if err := s.SyncGroups(ctx, storeGroups(g.cfg)); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// openReader opens the database of a command that only reads: without
// migrating, and only if its schema is the one this program writes.
func openReader(ctx context.Context, g *globals) (*store.Store, error) {
	path := g.cfg.Database.Path
	s, err := store.OpenNoMigrate(ctx, path, g.storeOptions())
	if errors.Is(err, store.ErrNoDatabase) {
		return nil, noDatabase(path)
	}
	if err != nil {
		return nil, err
	}
	// OpenNoMigrate with MustExist has read the version already.
	switch v, want := s.OpenedVersion(), store.SchemaVersion(); {
	case v > want:
		s.Close()
		return nil, fmt.Errorf("%w: database %s has schema version %d, this coordbot knows %d", store.ErrSchemaTooNew, path, v, want)
	case v < want:
		s.Close()
		return nil, fmt.Errorf("database %s has schema version %d, older than this coordbot's %d: run coordbot migrate first", path, v, want)
	}
	return s, nil
}

// noDatabase is the error of a command that needs an existing database.
func noDatabase(path string) error {
	return fmt.Errorf("no database at %s (run coordbot migrate to create one, or check -db)", path)
}

// storeGroups converts the configured groups for the store.
func storeGroups(cfg *config.Config) []*store.Group {
	out := make([]*store.Group, 0, len(cfg.Groups))
	for _, cg := range cfg.Groups {
		out = append(out, &store.Group{
			Slug: cg.Slug, Name: cg.Name, DiscordChannelID: cg.DiscordChannelID,
			CoordinatorRoleID: cg.CoordinatorRoleID, MemberRoleID: cg.MemberRoleID, TimeZone: cg.TimeZone, Locale: i18n.Lang(cg.Locale),
			Reminders: cg.Reminders, AgendaCall: cg.AgendaCall, AgendaDeadline: cg.AgendaDeadline,
			Nudge: cg.Nudge, MinutesNudge: cg.MinutesNudge,
			EmailReminders: cg.EmailReminders, EmailEnabled: cfg.SMTP != nil,
		})
	}
	return out
}

// noArgs parses a command that takes no arguments: -h prints its usage.
func (e *env) noArgs(name, what string, args []string) error {
	fs := e.newFlagSet(name, "("+what+")")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("%s takes no arguments", name)
	}
	return nil
}

func (e *env) cmdMigrate(ctx context.Context, g *globals, args []string) error {
	if err := e.noArgs("migrate", "create or upgrade the database, then exit", args); err != nil {
		return err
	}
	s, err := store.OpenNoMigrate(ctx, g.cfg.Database.Path, g.storeOptions())
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := s.Migrate(ctx)
	if err != nil {
		return err
	}
	// The groups of the configuration go in too, so that commands that
	// only read (and do not sync them) find them after a first migrate.
	if err := s.SyncGroups(ctx, storeGroups(g.cfg)); err != nil {
		return err
	}
	v, err := s.Version(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintf(e.stdout, "database %s is up to date (schema version %d)\n", g.cfg.Database.Path, v)
	} else {
		fmt.Fprintf(e.stdout, "database %s migrated to schema version %d (%d migrations applied)\n", g.cfg.Database.Path, v, n)
	}
	return nil
}
