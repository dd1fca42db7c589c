// Command soak runs the real `coordbot serve` for a given time under
// continuous load and faults, and reports whether anything was lost,
// duplicated or leaked.
//
//	go run ./tools/soak -duration 30m -out /tmp/soak.md
//
// It builds the coordbot binary and runs `coordbot serve` as a child
// process (JSON log on stderr, kept in the work directory) against:
//
//   - the Discord fake (package coordbot/bot/discordtest) in this process,
//     whose guild has -members members clicking RSVP buttons (yes, no,
//     maybe through its modal) on the announced meetings all the time;
//   - a throwaway Dovecot (package coordbot/internal/dovecot) whose INBOX
//     receives a minutes mail every -mail-every (a tenth from a sender
//     that is not allowed, so quarantined);
//   - the loopback SMTP server (package coordbot/internal/smtptest, no TLS,
//     AUTH PLAIN) that receives the invitations, reminders and nudges of
//     -email-members members who are told by e-mail.
//
// Meetings are created and cancelled from the shell (`coordbot meeting add`,
// `coordbot meeting cancel`, the built binary on the same database) while
// serve runs; their start is 35 to 95 minutes ahead, and the group's
// offsets are minutes, so reminders, agenda calls and nudges fall due during
// the run. Faults: the gateway is dropped without a close frame every
// -drop-every (discordgo resumes), Dovecot is restarted on the same port
// every -dovecot-every, and serve is killed with SIGKILL at half time and
// started again.
//
// At the end the load stops, the outbox and the mailbox get -settle to
// drain, serve gets SIGTERM, and the report compares, from the final
// database (opened read-only) and the fakes:
//
//   - answers: the last answer of each member to each meeting whose click
//     got a successful callback, against the stored RSVP;
//   - mails: delivered into INBOX against archived (or quarantined);
//   - messages: outbox rows due before the end against the messages the
//     fake holds with the row's nonce (Discord) or Message-ID (e-mail);
//   - duplicates: Discord messages sharing a nonce, e-mails sharing a
//     Message-ID;
//   - serve's RSS (VmRSS, sampled every 10 s), min and max per -slice.
//
// The report is Markdown on stdout and in -out. The work directory
// (database, logs, Dovecot) is removed at the end unless -keep.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// options are the command-line flags.
type options struct {
	duration     time.Duration
	out          string
	keep         bool
	members      int
	emailMembers int
	workers      int
	pause        time.Duration
	mailEvery    time.Duration
	meetingEvery time.Duration
	cancelEvery  time.Duration
	dropEvery    time.Duration
	dovecotEvery time.Duration
	noKill       bool
	libcCounters bool
	settle       time.Duration
	slice        time.Duration
	clickTimeout time.Duration
	seed         uint64
}

func main() {
	var o options
	flag.DurationVar(&o.duration, "duration", 30*time.Minute, "how long serve runs under load")
	flag.StringVar(&o.out, "out", "", "also write the Markdown report to `file`")
	flag.BoolVar(&o.keep, "keep", false, "keep the work directory (database, logs, Dovecot)")
	flag.IntVar(&o.members, "members", 300, "Discord `members` who click RSVP buttons")
	flag.IntVar(&o.emailMembers, "email-members", 20, "`members` reached by e-mail only (member add -notify email)")
	flag.IntVar(&o.workers, "workers", 6, "concurrent clickers")
	flag.DurationVar(&o.pause, "pause", 150*time.Millisecond, "mean pause of a clicker between two clicks")
	flag.DurationVar(&o.mailEvery, "mail-every", 4*time.Second, "one minutes mail delivered into INBOX this often")
	flag.DurationVar(&o.meetingEvery, "meeting-every", 0, "a meeting created from the shell this often (0: duration/12, 20s to 3m)")
	flag.DurationVar(&o.cancelEvery, "cancel-every", 0, "a meeting cancelled from the shell this often (0: duration/8, 30s to 4m)")
	flag.DurationVar(&o.dropEvery, "drop-every", 0, "the gateway dropped this often (0: duration/10, 20s to 3m)")
	flag.DurationVar(&o.dovecotEvery, "dovecot-every", 0, "Dovecot restarted this often (0: duration/8, 30s to 4m)")
	flag.BoolVar(&o.noKill, "no-kill", false, "do not kill and restart serve at half time")
	flag.BoolVar(&o.libcCounters, "libc-counters", false, "build serve with -tags memory.counters, so that /debug/memory counts the SQLite driver's C allocations (a diagnostic build)")
	flag.DurationVar(&o.settle, "settle", 2*time.Minute, "after the load: how long the outbox and the mailbox may take to drain")
	flag.DurationVar(&o.slice, "slice", 5*time.Minute, "RSS is reported as min/max per `slice` of the run")
	flag.DurationVar(&o.clickTimeout, "click-timeout", 15*time.Second, "how long a click waits for its callback")
	flag.Uint64Var(&o.seed, "seed", 1, "random `seed` of the load")
	flag.Parse()
	if o.duration <= 0 || o.members < 1 || o.workers < 1 || o.emailMembers < 0 || flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	o.meetingEvery = every(o.meetingEvery, o.duration/12, 20*time.Second, 3*time.Minute)
	o.cancelEvery = every(o.cancelEvery, o.duration/8, 30*time.Second, 4*time.Minute)
	o.dropEvery = every(o.dropEvery, o.duration/10, 20*time.Second, 3*time.Minute)
	o.dovecotEvery = every(o.dovecotEvery, o.duration/8, 30*time.Second, 4*time.Minute)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, o)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

// every is d when set, else def bounded to [lo, hi].
func every(d, def, lo, hi time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return min(max(def, lo), hi)
}

// logf prints progress to stderr with the time.
func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s soak: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}
