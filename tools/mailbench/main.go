// Command mailbench measures how fast `coordbot fetch-mail` files a large
// mailbox, and compares it with mbsync + notmuch on the same mail.
//
//	go run ./tools/mailbench -n 10000 -out /tmp/mailbench.md
//
// It builds the coordbot binary, starts a throwaway Dovecot on a loopback
// port (package coordbot/internal/dovecot; Debian: dovecot-imapd), generates
// N realistic Czech minutes mails (deterministic for a seed: 5–8 KB of text,
// every third in windows-1250 quoted-printable, the others UTF-8 base64,
// every fourth with a DOCX attachment with an RFC 2231 Czech file name),
// delivers them into INBOX and times `coordbot fetch-mail` as a whole
// process: wall clock, CPU and peak RSS. It then checks that all N are
// archived and INBOX is empty.
//
// When mbsync and notmuch are installed (Debian: isync, notmuch), the same
// mails, delivered to a second mailbox, are pulled into a Maildir with
// mbsync and indexed with `notmuch new`, and searches are timed on both
// archives (median of several runs). Without them the comparison is
// skipped, unless -require-compare is given.
//
// The results are printed as Markdown and written to -out. Every subprocess
// has a time limit; Dovecot is stopped and the work directory removed on
// exit or SIGINT/SIGTERM (kept with -keep).
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	_ "modernc.org/sqlite" // to count the archive

	"coordbot/internal/dovecot"
)

// options are the command-line flags.
type options struct {
	n              int
	out            string
	keep           bool
	requireCompare bool
	seed           uint64
	runs           int
	logLevel       string
	timeout        time.Duration
}

// Mailboxes: coordbot fetches INBOX and moves into Archive; mbsync pulls
// Compare, which holds the same mails.
const (
	archiveMailbox = "Archive"
	compareMailbox = "Compare"
)

func main() {
	var o options
	flag.IntVar(&o.n, "n", 10000, "number of `mails` to generate")
	flag.StringVar(&o.out, "out", "", "also write the Markdown report to `file`")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (mails, database, Maildir, logs)")
	flag.BoolVar(&o.requireCompare, "require-compare", false, "fail when mbsync or notmuch is missing instead of skipping the comparison")
	flag.Uint64Var(&o.seed, "seed", 1, "random `seed` of the generated mails")
	flag.IntVar(&o.runs, "runs", 7, "timed `runs` of each search (after one warm-up run)")
	flag.StringVar(&o.logLevel, "log-level", "info", "coordbot's log `level` (its log goes to a file in the work directory)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "time limit of each long step (build, fetch-mail, mbsync, notmuch new)")
	flag.Parse()
	if o.n < 1 || o.runs < 1 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "mailbench:", err)
		os.Exit(1)
	}
}

// bench is one benchmark run.
type bench struct {
	o        options
	work     string // work directory
	srv      *dovecot.Server
	coordbot string // the built binary
	config   string // coordbot.toml
	db       string
	env      []string // environment of the subprocesses
	report   *report
}

func run(ctx context.Context, o options) (err error) {
	work, err := os.MkdirTemp("", "mailbench-")
	if err != nil {
		return err
	}
	// Dovecot's mail user (not root) must be able to reach the Maildir.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	defer func() {
		if o.keep {
			logf("work directory kept: %s", work)
			return
		}
		if rerr := os.RemoveAll(work); rerr != nil && err == nil {
			err = rerr
		}
	}()
	b := &bench{o: o, work: work, report: &report{n: o.n, loadBefore: loadAvg()}}
	b.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Join(work, "home"), "LANG=C.UTF-8", "TZ=Europe/Prague"}
	if err := os.MkdirAll(filepath.Join(work, "home"), 0o755); err != nil {
		return err
	}

	if err := b.build(ctx); err != nil {
		return err
	}
	logf("starting Dovecot")
	b.srv, err = dovecot.Start(filepath.Join(work, "dovecot"))
	if err != nil {
		if errors.Is(err, dovecot.ErrNotInstalled) {
			return fmt.Errorf("%w: apt-get install dovecot-imapd", err)
		}
		return err
	}
	defer func() {
		if serr := b.srv.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()

	compare, missing := b.canCompare()
	if !compare {
		msg := fmt.Sprintf("%s not installed: skipping the mbsync + notmuch comparison (Debian: apt-get install -y isync notmuch)", strings.Join(missing, " and "))
		if o.requireCompare {
			return errors.New(msg)
		}
		logf("%s", msg)
		b.report.notes = append(b.report.notes, msg)
	}

	if err := b.generate(ctx, compare); err != nil {
		return err
	}
	if err := b.fetchMail(ctx); err != nil {
		return err
	}
	verr := b.verify(ctx)
	if verr != nil {
		b.report.notes = append(b.report.notes, "VERIFICATION FAILED: "+verr.Error())
	}
	if compare {
		if err := b.mbsync(ctx); err != nil {
			return err
		}
		if err := b.notmuchNew(ctx); err != nil {
			return err
		}
	}
	if err := b.searches(ctx, compare); err != nil {
		return err
	}
	if compare {
		if err := b.compareSearches(ctx); err != nil {
			return err
		}
	}
	b.report.machine = machineInfo(ctx, compare)
	b.report.machine.loadBefore, b.report.machine.loadAfter = b.report.loadBefore, loadAvg()
	md := b.report.markdown()
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
		logf("report written to %s", o.out)
	}
	return verr
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "mailbench: "+format+"\n", args...)
}

// build compiles coordbot from the module this tool is in.
func (b *bench) build(ctx context.Context) error {
	root, err := moduleRoot(ctx)
	if err != nil {
		return err
	}
	b.coordbot = filepath.Join(b.work, "coordbot")
	logf("building coordbot in %s", root)
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	// Built as the README says to install it: static, without the C
	// library (the dynamic loader would add a millisecond to every search).
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.coordbot, "./cmd/coordbot")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	cmd.Dir = root
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build ./cmd/coordbot: %v\n%s", err, out)
	}
	return nil
}

// moduleRoot is the directory of the coordbot go.mod.
func moduleRoot(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run mailbench inside the coordbot module (go run ./tools/mailbench)")
	}
	return filepath.Dir(gomod), nil
}

// canCompare reports whether mbsync and notmuch are installed.
func (b *bench) canCompare() (bool, []string) {
	var missing []string
	for _, tool := range []string{"mbsync", "notmuch"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, tool)
		}
	}
	return len(missing) == 0, missing
}

// generate makes the mails and delivers each to INBOX (and Compare), one
// at a time: the mailbox is never held in memory.
func (b *bench) generate(ctx context.Context, compare bool) error {
	logf("generating and delivering %d mails", b.o.n)
	g := newGenerator(b.o.seed)
	st := &b.report.gen
	start := time.Now()
	for i := range b.o.n {
		if i%1000 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		m := g.next(i)
		raw, err := g.encode(m)
		if err != nil {
			return fmt.Errorf("mail %d: %w", i, err)
		}
		st.count(m, len(raw))
		if err := b.srv.Deliver("INBOX", raw); err != nil {
			return err
		}
		if compare {
			if err := b.srv.Deliver(compareMailbox, raw); err != nil {
				return err
			}
		}
	}
	b.report.genTime = time.Since(start)
	b.report.deliveredTwice = compare
	return nil
}

// measurement is one timed subprocess.
type measurement struct {
	wall      time.Duration
	user, sys time.Duration
	maxRSSKiB int64
}

// timed runs cmd with a time limit and measures it. Output goes to files
// in the work directory (not pipes), named after step.
func (b *bench) timed(parent context.Context, step string, timeout time.Duration, name string, args ...string) (measurement, error) {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	logPath := filepath.Join(b.work, step+".log")
	lf, err := os.Create(logPath)
	if err != nil {
		return measurement{}, err
	}
	defer lf.Close()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = b.env
	cmd.Dir = b.work
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.WaitDelay = 5 * time.Second
	start := time.Now()
	err = cmd.Run()
	var m measurement
	m.wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		m.user, m.sys = ps.UserTime(), ps.SystemTime()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			m.maxRSSKiB = ru.Maxrss // KiB on Linux
		}
	}
	if err != nil {
		if parent.Err() != nil {
			return m, fmt.Errorf("%s: interrupted: %w", step, parent.Err())
		}
		if ctx.Err() == context.DeadlineExceeded {
			err = fmt.Errorf("timed out after %v", timeout)
		}
		return m, fmt.Errorf("%s: %w; the end of its output:\n%s", step, err, tail(logPath, 3000))
	}
	return m, nil
}

// tail is the end of a file.
func tail(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Size() > n {
		f.Seek(fi.Size()-n, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	return string(b)
}

// fetchMail writes coordbot.toml and times `coordbot fetch-mail`.
func (b *bench) fetchMail(ctx context.Context) error {
	b.db = filepath.Join(b.work, "coordbot.db")
	b.config = filepath.Join(b.work, "coordbot.toml")
	conf := fmt.Sprintf(`# Written by mailbench.
[log]
level = %q

[database]
path = %q

[mail]
imap_addr = %q
tls = "none"
username = %q
mailbox = "INBOX"
archive_mailbox = %q
quarantine_mailbox = "Quarantine"
allowed_senders = ["@%s"]
max_message_size = "25MiB"

[[groups]]
slug = "pracovni-skupina"
name = "Pracovní skupina protidrogové politiky"
`, b.o.logLevel, b.db, b.srv.Addr, b.srv.User, archiveMailbox, senderDomain)
	if err := os.WriteFile(b.config, []byte(conf), 0o600); err != nil {
		return err
	}
	// The password travels as the documented environment variable.
	b.env = append(b.env, "COORDBOT_IMAP_PASSWORD="+b.srv.Password)
	logf("timing coordbot fetch-mail")
	m, err := b.timed(ctx, "fetch-mail", b.o.timeout, b.coordbot, "-config", b.config, "fetch-mail")
	if err != nil {
		return err
	}
	b.report.fetch = m
	summary := strings.TrimSpace(tailLine(filepath.Join(b.work, "fetch-mail.log"), "archived "))
	b.report.fetchSummary = summary
	logf("fetch-mail: %v, %s", m.wall.Round(time.Millisecond), summary)
	return nil
}

// tailLine returns the last line of a file that starts with prefix.
func tailLine(path, prefix string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var last string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			last = sc.Text()
		}
	}
	return last
}

// verify checks the archive and the mailboxes after fetch-mail.
func (b *bench) verify(ctx context.Context) error {
	r := b.report
	db, err := sql.Open("sqlite", "file:"+(&url.URL{Path: b.db}).EscapedPath()+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	err = db.QueryRowContext(ctx, `SELECT
			count(*) FILTER (WHERE state = 'archived'),
			count(*) FILTER (WHERE state <> 'archived'),
			(SELECT count(DISTINCT message_id) FROM archive_attachments WHERE text <> '')
		FROM archive_messages`).Scan(&r.storeArchived, &r.storeOther, &r.withAttText)
	if err != nil {
		return fmt.Errorf("count the archive: %w", err)
	}
	if fi, err := os.Stat(b.db); err == nil {
		r.dbBytes = fi.Size()
	}
	counts, err := b.mailboxCounts("INBOX", archiveMailbox)
	if err != nil {
		return err
	}
	r.inbox, r.archive = counts[0], counts[1]
	var problems []string
	if r.storeArchived != b.o.n || r.storeOther != 0 {
		problems = append(problems, fmt.Sprintf("archive holds %d archived and %d other messages, want %d archived", r.storeArchived, r.storeOther, b.o.n))
	}
	if r.withAttText != r.gen.WithDOCX {
		problems = append(problems, fmt.Sprintf("%d messages have attachment text, want %d (one DOCX each)", r.withAttText, r.gen.WithDOCX))
	}
	if r.inbox != 0 || r.archive != uint32(b.o.n) {
		problems = append(problems, fmt.Sprintf("INBOX holds %d and %s %d messages, want 0 and %d", r.inbox, archiveMailbox, r.archive, b.o.n))
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	logf("verified: %d archived, %d with DOCX text, INBOX empty, %s holds %d", r.storeArchived, r.withAttText, archiveMailbox, r.archive)
	return nil
}

// mailboxCounts asks Dovecot how many messages the mailboxes hold.
func (b *bench) mailboxCounts(mailboxes ...string) ([]uint32, error) {
	c, err := imapclient.DialInsecure(b.srv.Addr, nil)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if err := c.Login(b.srv.User, b.srv.Password).Wait(); err != nil {
		return nil, err
	}
	var out []uint32
	for _, mb := range mailboxes {
		st, err := c.Status(mb, &imap.StatusOptions{NumMessages: true}).Wait()
		if err != nil {
			return nil, fmt.Errorf("STATUS %s: %w", mb, err)
		}
		out = append(out, *st.NumMessages)
	}
	return out, c.Logout().Wait()
}

// mbsync pulls the Compare mailbox into a local Maildir.
func (b *bench) mbsync(ctx context.Context) error {
	maildir := filepath.Join(b.work, "notmuch", "mail")
	if err := os.MkdirAll(maildir, 0o755); err != nil {
		return err
	}
	host, port, _ := strings.Cut(b.srv.Addr, ":")
	rc := fmt.Sprintf(`IMAPAccount bench
Host %s
Port %s
User %s
Pass %s
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path %s/
Inbox %s/INBOX

Channel bench
Far :far:%s
Near :near:
Sync Pull
Create Near
Expunge None
SyncState *
`, host, port, b.srv.User, b.srv.Password, maildir, maildir, compareMailbox)
	rcPath := filepath.Join(b.work, "mbsyncrc")
	if err := os.WriteFile(rcPath, []byte(rc), 0o600); err != nil {
		return err
	}
	logf("timing mbsync")
	m, err := b.timed(ctx, "mbsync", b.o.timeout, "mbsync", "-c", rcPath, "bench")
	if err != nil {
		return err
	}
	b.report.mbsync = m
	n, err := countFiles(filepath.Join(maildir, "INBOX", "new"), filepath.Join(maildir, "INBOX", "cur"))
	if err != nil {
		return err
	}
	b.report.mbsyncFiles = n
	logf("mbsync: %v, %d files", m.wall.Round(time.Millisecond), n)
	if n != b.o.n {
		return fmt.Errorf("mbsync stored %d messages, want %d", n, b.o.n)
	}
	return nil
}

func countFiles(dirs ...string) (int, error) {
	n := 0
	for _, d := range dirs {
		es, err := os.ReadDir(d)
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return 0, err
		}
		n += len(es)
	}
	return n, nil
}

// notmuchNew indexes the Maildir.
func (b *bench) notmuchNew(ctx context.Context) error {
	maildir := filepath.Join(b.work, "notmuch", "mail")
	cfg := filepath.Join(b.work, "notmuch", "config")
	conf := fmt.Sprintf("[database]\npath=%s\n\n[user]\nname=Mailbench\nprimary_email=mailbench@koordinace.example.cz\n\n"+
		"[new]\ntags=unread;inbox;\nignore=\n\n[search]\nexclude_tags=deleted;spam;\n\n[maildir]\nsynchronize_flags=true\n", maildir)
	if err := os.WriteFile(cfg, []byte(conf), 0o644); err != nil {
		return err
	}
	b.env = append(b.env, "NOTMUCH_CONFIG="+cfg)
	logf("timing notmuch new")
	m, err := b.timed(ctx, "notmuch-new", b.o.timeout, "notmuch", "new")
	if err != nil {
		return err
	}
	b.report.notmuch = m
	logf("notmuch new: %v", m.wall.Round(time.Millisecond))
	return nil
}

// searchRow is one timed search command.
type searchRow struct {
	tool, command string
	hits          int // -1: not counted
	expected      int // -1: not applicable
	runs          []time.Duration
}

func (r searchRow) median() time.Duration {
	s := slices.Clone(r.runs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// searches times coordbot search and, when compare, notmuch search on the
// same words.
func (b *bench) searches(ctx context.Context, compare bool) error {
	st := &b.report.gen
	cb := func(args ...string) []string {
		return append([]string{"-config", b.config, "search"}, args...)
	}
	type spec struct {
		tool     string
		args     []string
		countCmd []string // command whose output gives the hit count
		countBy  func(out string) (int, error)
		expected int
	}
	lines := func(out string) (int, error) { return strings.Count(out, "\n"), nil }
	number := func(out string) (int, error) { return strconv.Atoi(strings.TrimSpace(out)) }
	all := 1 << 30
	specs := []spec{
		{"coordbot", cb("financování"), cb("-json", "-limit", strconv.Itoa(all), "financování"), lines, st.WordAll["financování"]},
		{"coordbot", cb("financovani"), cb("-json", "-limit", strconv.Itoa(all), "financovani"), lines, st.WordAll["financování"]},
		{"coordbot", cb("veznicich"), cb("-json", "-limit", strconv.Itoa(all), "veznicich"), lines, st.WordAll["věznicích"]},
		{"coordbot", cb(docxOnlyWord), cb("-json", "-limit", strconv.Itoa(all), docxOnlyWord), lines, st.WordAll[docxOnlyWord]},
	}
	if compare {
		specs = append(specs,
			spec{"notmuch", []string{"search", "financování"}, []string{"count", "financování"}, number, st.WordBody["financování"]},
			spec{"notmuch", []string{"search", "--limit=20", "financování"}, nil, nil, -1},
			spec{"notmuch", []string{"search", "financovani"}, []string{"count", "financovani"}, number, st.WordBody["financování"]},
			spec{"notmuch", []string{"search", "veznicich"}, []string{"count", "veznicich"}, number, st.WordBody["věznicích"]},
			spec{"notmuch", []string{"search", docxOnlyWord}, []string{"count", docxOnlyWord}, number, st.WordAll[docxOnlyWord]},
		)
	}
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	bin := map[string]string{"coordbot": b.coordbot, "notmuch": "notmuch"}
	for _, sp := range specs {
		row := searchRow{tool: sp.tool, command: sp.tool + " " + strings.Join(stripConfig(sp.args), " "), hits: -1, expected: sp.expected}
		logf("timing %s", row.command)
		for k := 0; k <= b.o.runs; k++ { // run 0 warms the caches up
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			cmd := exec.CommandContext(cctx, bin[sp.tool], sp.args...)
			cmd.Env, cmd.Dir, cmd.Stdout = b.env, b.work, devnull
			var stderr strings.Builder
			cmd.Stderr = &stderr
			start := time.Now()
			err := cmd.Run()
			d := time.Since(start)
			cancel()
			if err != nil {
				return fmt.Errorf("%s: %v\n%s", row.command, err, stderr.String())
			}
			if k > 0 {
				row.runs = append(row.runs, d)
			}
		}
		if sp.countCmd != nil {
			cctx, cancel := context.WithTimeout(ctx, time.Minute)
			cmd := exec.CommandContext(cctx, bin[sp.tool], sp.countCmd...)
			cmd.Env, cmd.Dir = b.env, b.work
			out, err := cmd.Output()
			cancel()
			if err != nil {
				return fmt.Errorf("%s %s: %v", sp.tool, strings.Join(sp.countCmd, " "), err)
			}
			if row.hits, err = sp.countBy(string(out)); err != nil {
				return fmt.Errorf("%s %s: %v", sp.tool, strings.Join(sp.countCmd, " "), err)
			}
		}
		b.report.searches = append(b.report.searches, row)
	}
	return nil
}

// comparison is one of the searches done by coordbot and by
// notmuch on the same word.
type comparison struct {
	what, word        string
	coordbot, notmuch searchRow
}

// compareSearches times the search targets side by side, each
// command a whole process, coordbot and notmuch alternately (who goes
// first alternates too), after a warm-up run of each: the first page
// (`coordbot search -json -limit 20` beside `notmuch search --format=json
// --limit=20`), all hits as JSON (beside `notmuch search --format=json`),
// for financování and for a word in nearly every mail, and a word in none.
func (b *bench) compareSearches(ctx context.Context) error {
	st := &b.report.gen
	all := strconv.Itoa(max(1_000_000, b.o.n)) // -limit for every hit
	cb := func(args ...string) []string {
		return append([]string{"-config", b.config, "search", "-json"}, args...)
	}
	type spec struct {
		what, word string
		cb, nm     []string
	}
	var specs []spec
	for _, word := range []string{"financování", nearlyAllWord} {
		specs = append(specs,
			spec{"first page", word, cb("-limit", "20", word), []string{"search", "--format=json", "--limit=20", word}},
			spec{"all hits", word, cb("-limit", all, word), []string{"search", "--format=json", word}})
	}
	specs = append(specs, spec{"no hits", noHitWord, cb("-limit", "20", noHitWord),
		[]string{"search", "--format=json", "--limit=20", noHitWord}})
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer devnull.Close()
	for _, sp := range specs {
		c := comparison{what: sp.what, word: sp.word,
			coordbot: searchRow{tool: "coordbot", command: "coordbot " + strings.Join(stripConfig(sp.cb), " "), expected: st.WordAll[sp.word]},
			notmuch:  searchRow{tool: "notmuch", command: "notmuch " + strings.Join(sp.nm, " "), expected: st.WordBody[sp.word]}}
		logf("timing %s beside %s", c.coordbot.command, c.notmuch.command)
		for k := 0; k <= b.o.runs; k++ { // run 0 warms the caches up
			first, second := &c.coordbot, &c.notmuch
			args := [2][]string{sp.cb, sp.nm}
			bins := [2]string{b.coordbot, "notmuch"}
			if k%2 == 1 {
				first, second = second, first
				args[0], args[1] = args[1], args[0]
				bins[0], bins[1] = bins[1], bins[0]
			}
			for i, row := range []*searchRow{first, second} {
				d, err := b.runOnce(ctx, bins[i], args[i], devnull)
				if err != nil {
					return fmt.Errorf("%s: %w", row.command, err)
				}
				if k > 0 {
					row.runs = append(row.runs, d)
				}
			}
		}
		// Hits: the lines of coordbot's JSON with every hit, and the
		// messages notmuch counts.
		var out strings.Builder
		if _, err := b.runOnce(ctx, b.coordbot, cb("-limit", all, sp.word), &out); err != nil {
			return err
		}
		c.coordbot.hits = strings.Count(out.String(), "\n")
		out.Reset()
		if _, err := b.runOnce(ctx, "notmuch", []string{"count", sp.word}, &out); err != nil {
			return err
		}
		if c.notmuch.hits, err = strconv.Atoi(strings.TrimSpace(out.String())); err != nil {
			return fmt.Errorf("notmuch count %s: %w", sp.word, err)
		}
		b.report.comparisons = append(b.report.comparisons, c)
	}
	return nil
}

// runOnce runs a search command with a time limit and returns its wall
// clock time.
func (b *bench) runOnce(ctx context.Context, bin string, args []string, stdout io.Writer) (time.Duration, error) {
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(cctx, bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdout = b.env, b.work, stdout
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if err != nil {
		return d, fmt.Errorf("%v\n%s", err, stderr.String())
	}
	return d, nil
}

// stripConfig drops "-config FILE" from coordbot's arguments for display.
func stripConfig(args []string) []string {
	if len(args) >= 2 && args[0] == "-config" {
		return args[2:]
	}
	return args
}

// machine describes where the benchmark ran.
type machine struct {
	cpus                           int
	cpuModel, memTotal, kernel, os string
	goVersion                      string
	versions                       []string
	// loadBefore and loadAfter are /proc/loadavg at the start and end:
	// other work on the machine skews the figures.
	loadBefore, loadAfter string
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func machineInfo(ctx context.Context, compare bool) machine {
	m := machine{cpus: runtime.NumCPU(), goVersion: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.cpuModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
					m.memTotal = fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for line := range strings.SplitSeq(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.os = strings.Trim(v, `"`)
			}
		}
	}
	version := func(name string, args ...string) {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		out, err := exec.CommandContext(cctx, name, args...).CombinedOutput()
		if err == nil {
			first, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
			m.versions = append(m.versions, fmt.Sprintf("%s %s", name, strings.TrimSpace(strings.TrimPrefix(first, name))))
		}
	}
	for _, p := range []string{"/usr/sbin/dovecot", "dovecot"} {
		if _, err := exec.LookPath(p); err == nil {
			version(p, "--version")
			m.versions[len(m.versions)-1] = "dovecot " + strings.TrimPrefix(m.versions[len(m.versions)-1], p+" ")
			break
		}
	}
	if compare {
		version("mbsync", "--version")
		version("notmuch", "--version")
	}
	return m
}
