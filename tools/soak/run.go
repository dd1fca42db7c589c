package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the final database, read-only

	"coordbot/bot/discordtest"
	"coordbot/internal/dovecot"
	"coordbot/internal/smtptest"
)

// run is one soak: set up, load, settle, stop, report.
func run(ctx context.Context, o options) (err error) {
	work, err := os.MkdirTemp("", "soak-")
	if err != nil {
		return err
	}
	// Dovecot's mail user (not root) must reach the Maildir below it.
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	defer func() {
		if o.keep || err != nil {
			logf("work directory kept: %s", work)
			return
		}
		if rerr := os.RemoveAll(work); rerr != nil && err == nil {
			err = rerr
		}
	}()
	prg, err := time.LoadLocation("Europe/Prague")
	if err != nil {
		return err
	}

	logf("building coordbot")
	bin, err := build(ctx, work, o.libcCounters)
	if err != nil {
		return err
	}

	fake, err := discordtest.New()
	if err != nil {
		return err
	}
	defer fake.Close()
	logf("starting Dovecot")
	dv, err := dovecot.Start(filepath.Join(work, "dovecot"))
	if err != nil {
		if errors.Is(err, dovecot.ErrNotInstalled) {
			return fmt.Errorf("%w: apt-get install dovecot-imapd", err)
		}
		return err
	}
	defer func() {
		if serr := dv.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	smtpSrv, err := smtptest.StartWith(smtptest.Options{TLS: "none"})
	if err != nil {
		return err
	}
	defer smtpSrv.Close()

	db := filepath.Join(work, "coordbot.db")
	cfg := filepath.Join(work, "coordbot.toml")
	if err := os.WriteFile(cfg, []byte(configTOML(db, fake.URL, fake.GuildID, dv.Addr, dv.User, smtpSrv.Addr, smtpSrv.User)), 0o600); err != nil {
		return err
	}
	home := filepath.Join(work, "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		return err
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + home, "LANG=C.UTF-8", "TZ=Europe/Prague",
		"COORDBOT_DISCORD_TOKEN=" + fake.Token, "COORDBOT_IMAP_PASSWORD=" + dv.Password,
		"COORDBOT_SMTP_PASSWORD=" + smtpSrv.Password}
	// The Go runtime's settings pass through, so that serve's memory can
	// be soaked at another GOGC than its own default.
	for _, k := range []string{"GOGC", "GOMEMLIMIT"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	sh := &shell{bin: bin, config: cfg, env: env}

	// Members: the Discord ones are guild members of the fake (the bot
	// records each as a member of the group at their first click); the
	// e-mail ones are added from the shell.
	users := make([]discordtest.User, o.members)
	for i := range users {
		users[i] = discordtest.User{ID: fmt.Sprint(900000000000000000 + i), Username: fmt.Sprint("clen", i),
			GlobalName: fmt.Sprintf("Člen %d", i)}
		fake.AddMember(users[i])
	}
	logf("adding %d e-mail members from the shell", o.emailMembers)
	for i := range o.emailMembers {
		if _, err := sh.run(ctx, "member", "add", "-group", groupSlug, "-email", fmt.Sprintf("clen%02d@obec-%02d.example", i, i),
			"-name", fmt.Sprintf("Členka e-mailem %d", i), "-notify", "email"); err != nil {
			return err
		}
	}
	if _, err := sh.run(ctx, "member", "add", "-group", groupSlug, "-email", "koordinator@kr-ustecky.example",
		"-name", "Jana Nováková", "-coordinator", "-discord-id", "800000000000000001"); err != nil {
		return err
	}
	rdb, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer rdb.Close()

	start := time.Now()
	sv := &serve{bin: bin, config: cfg, dir: work, env: env, start: start}
	if err := sv.startServe(); err != nil {
		return err
	}
	defer func() {
		if sv.alive() {
			_, _ = sv.signal(syscall.SIGKILL, 10*time.Second)
		}
	}()
	rctx, rcancel := context.WithTimeout(ctx, time.Minute)
	err = fake.WaitReady(rctx)
	rcancel()
	if err != nil {
		return fmt.Errorf("serve did not connect to the Discord fake: %w", err)
	}
	sampleCtx, stopSampling := context.WithCancel(context.Background())
	var samplerDone sync.WaitGroup
	samplerDone.Go(func() { sv.sampleRSS(sampleCtx, 10*time.Second, o.slice) })
	defer func() {
		stopSampling()
		samplerDone.Wait()
	}()

	l := &load{o: o, fake: fake, dv: dv, sh: sh, sv: sv, db: rdb, users: users, busy: make([]sync.Mutex, len(users)),
		start: start, prg: prg, answers: map[answerKey]*answerState{},
		clicks: clickStats{refusals: map[string]int{}, errors: map[string]int{}}}
	logf("load for %v: %d members, %d clickers, gateway drop every %v, Dovecot restart every %v, meeting every %v, cancel every %v",
		o.duration, o.members, o.workers, o.dropEvery, o.dovecotEvery, o.meetingEvery, o.cancelEvery)
	loadCtx, stopLoad := context.WithTimeout(ctx, o.duration)
	var wg sync.WaitGroup
	for w := range o.workers {
		wg.Go(func() { l.clicker(loadCtx, w) })
	}
	wg.Go(func() { l.meetingsLoop(loadCtx, ctx) })
	wg.Go(func() { l.mailLoop(loadCtx) })
	wg.Go(func() { l.faultLoop(loadCtx, o.duration/2) })
	<-loadCtx.Done()
	stopLoad()
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	loadEnd := time.Now()
	l.note("load stopped")

	cutoff, settled := l.settle(ctx)
	l.note("settled: %v (after %v)", settled, time.Since(loadEnd).Round(time.Millisecond))
	alive := sv.alive()
	termTook, termErr := time.Duration(0), error(nil)
	if alive {
		sv.saveHeap(ctx)
		termTook, termErr = sv.signal(syscall.SIGTERM, time.Minute)
	}
	stopSampling()
	samplerDone.Wait()

	r := &report{o: o, start: start, loadEnd: loadEnd, cutoff: cutoff, settled: settled, aliveAtEnd: alive,
		termTook: termTook, termErr: termErr}
	if err := r.collect(ctx, l, db, fake, dv, smtpSrv, users); err != nil {
		return err
	}
	md := r.markdown()
	fmt.Print(md)
	if o.out != "" {
		if err := os.WriteFile(o.out, []byte(md), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// settle waits up to -settle until every delivered mail is in the archive
// and no outbox row that is due is still open. It returns the instant up
// to which rows count as due, and whether everything drained.
func (l *load) settle(ctx context.Context) (time.Time, bool) {
	deadline := time.Now().Add(l.o.settle)
	l.mu.Lock()
	want := len(l.mails)
	l.mu.Unlock()
	for {
		now := time.Now()
		var archived, open int
		err1 := l.db.QueryRowContext(ctx, `SELECT count(*) FROM archive_messages WHERE message_id LIKE 'soak-%'`).Scan(&archived)
		// Card edits and event syncs are due seconds after the change
		// that planned them: the last ones are waited for too.
		err2 := l.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications WHERE state IN ('pending', 'claimed')
			AND (due_at <= ? OR kind IN ('announcement_edit', 'event_sync'))`, now.Unix()).Scan(&open)
		if err1 == nil && err2 == nil && archived >= want && open == 0 {
			return now, true
		}
		if now.After(deadline) || ctx.Err() != nil {
			logf("not settled: %d of %d mails archived, %d due rows open (%v %v)", archived, want, open, err1, err2)
			return now, false
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}
