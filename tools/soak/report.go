package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
	"coordbot/internal/dovecot"
	"coordbot/internal/smtptest"
)

// postingKinds are the outbox kinds whose delivery creates a new Discord
// message (with the row's nonce); the others edit a message, sync a
// scheduled event or fan out into rows of their own.
var postingKinds = []string{"announcement", "agenda_call", "agenda_deadline", "reminder", "cancellation",
	"minutes_filed", "delivery_failed", "nudge_dm", "minutes_nudge_dm", "notice_dm"}

// nonce is the bot's message nonce of an outbox key (bot/deliver.go):
// base32 of the first 15 bytes of its SHA-256, lower case.
func nonce(key string) string {
	sum := sha256.Sum256([]byte(key))
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// tally compares due outbox rows with what reached the fake, per kind.
type tally struct {
	due, posted, lost, failed, dup int
}

// report holds the figures of one soak.
type report struct {
	o                        options
	start, loadEnd, cutoff   time.Time
	settled, aliveAtEnd      bool
	termTook                 time.Duration
	termErr                  error
	meetings, cancelled      int
	clicks                   clickStats
	answersSent, answersOK   int
	answersAmbiguous         int
	answersLost              []string
	answersUnexpected        int
	historyRows              int
	mailsDelivered           int
	mailsArchived            int
	mailsQuarantined         int
	mailsLost                []string
	mailsWrongState          []string
	inboxLeft                int
	discord                  map[string]*tally
	discordLost, discordDups []string
	discordStray             int
	discordStrayEx           []string
	cardsOK, cardsChecked    int
	cardsWrong               []string
	email                    map[string]*tally
	emailLost, emailDups     []string
	emailAccepted            int
	emailStray               int
	identifies, resumes      int
	events                   []event
	samples                  []rssSample
	profiles                 []string
	exitNotes                []string
	shellRuns                []shellRun
	shellFails               []string
	logs                     logSummary
	logFiles                 []string
}

// collect reads the final database (read-only), the fakes and the load's
// records.
func (r *report) collect(ctx context.Context, l *load, dbPath string, fake *discordtest.Server, dv *dovecot.Server,
	smtpSrv *smtptest.Server, users []discordtest.User) error {
	db, err := sql.Open("sqlite", "file:"+dbPath+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	r.clicks = l.clicks
	r.events = l.events
	r.meetings = len(l.meetings)
	for _, m := range l.meetings {
		if m.cancel {
			r.cancelled++
		}
	}
	if err := r.collectAnswers(ctx, db, l); err != nil {
		return fmt.Errorf("answers: %w", err)
	}
	if err := r.collectMails(ctx, db, l, dv); err != nil {
		return fmt.Errorf("mails: %w", err)
	}
	if err := r.collectDiscord(ctx, db, l, fake); err != nil {
		return fmt.Errorf("discord: %w", err)
	}
	if err := r.collectEmail(ctx, db, smtpSrv); err != nil {
		return fmt.Errorf("e-mail: %w", err)
	}
	r.identifies, r.resumes = fake.CountGatewayOp(discordtest.OpIdentify), fake.CountGatewayOp(discordtest.OpResume)
	l.sv.mu.Lock()
	r.samples = slices.Clone(l.sv.samples)
	r.profiles = slices.Clone(l.sv.profiles)
	r.exitNotes = slices.Clone(l.sv.exitNotes)
	r.logFiles = slices.Clone(l.sv.logs)
	l.sv.mu.Unlock()
	l.sh.mu.Lock()
	r.shellRuns, r.shellFails = slices.Clone(l.sh.runs), slices.Clone(l.sh.fails)
	l.sh.mu.Unlock()
	r.logs, err = readLogs(r.logFiles)
	return err
}

// collectAnswers compares the last confirmed answer of each member to each
// meeting with the stored RSVP.
func (r *report) collectAnswers(ctx context.Context, db *sql.DB, l *load) error {
	rows, err := db.QueryContext(ctx, `SELECT m.discord_user_id, r.meeting_id, r.answer FROM rsvps r
		JOIN members m ON m.id = r.member_id WHERE m.discord_user_id IS NOT NULL`)
	if err != nil {
		return err
	}
	stored := map[answerKey]string{}
	for rows.Next() {
		var k answerKey
		var a string
		if err := rows.Scan(&k.user, &k.meeting, &a); err != nil {
			rows.Close()
			return err
		}
		stored[k] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for k, st := range l.answers {
		got, ok := stored[k]
		if st.lastOK != "" {
			r.answersSent++
		}
		switch {
		case st.lastOK != "" && got == st.lastOK:
			r.answersOK++
		case ok && slices.ContainsFunc(st.after, func(a attempt) bool { return a.answer == got }):
			// A later click without a confirmed answer was stored: not lost.
			r.answersAmbiguous++
		case st.lastOK != "":
			r.answersLost = append(r.answersLost, fmt.Sprintf("member %s, meeting %d: sent %q, stored %q (later unconfirmed clicks %v)",
				k.user, k.meeting, st.lastOK, got, st.after))
		case ok:
			r.answersUnexpected++
		}
	}
	for k := range stored {
		if _, ok := l.answers[k]; !ok {
			r.answersUnexpected++
		}
	}
	sort.Strings(r.answersLost)
	return db.QueryRowContext(ctx, `SELECT count(*) FROM rsvp_history h JOIN members m ON m.id = h.member_id
		WHERE m.discord_user_id IS NOT NULL`).Scan(&r.historyRows)
}

// collectMails compares the mails delivered into INBOX with the archive.
func (r *report) collectMails(ctx context.Context, db *sql.DB, l *load, dv *dovecot.Server) error {
	rows, err := db.QueryContext(ctx, `SELECT message_id, state, reason FROM archive_messages WHERE message_id LIKE 'soak-%'`)
	if err != nil {
		return err
	}
	type arch struct{ state, reason string }
	got := map[string]arch{}
	for rows.Next() {
		var id string
		var a arch
		if err := rows.Scan(&id, &a.state, &a.reason); err != nil {
			rows.Close()
			return err
		}
		got[id] = a
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	r.mailsDelivered = len(l.mails)
	for _, m := range l.mails {
		a, ok := got[m.messageID]
		switch {
		case !ok:
			r.mailsLost = append(r.mailsLost, m.messageID)
			continue
		case a.state == "archived":
			r.mailsArchived++
		default:
			r.mailsQuarantined++
		}
		if (a.state == "archived") != m.allowed {
			r.mailsWrongState = append(r.mailsWrongState, fmt.Sprintf("%s: %s (%s), allowed sender %v", m.messageID, a.state, a.reason, m.allowed))
		}
	}
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(dv.MaildirPath("INBOX"), sub))
		if err != nil {
			return err
		}
		r.inboxLeft += len(ents)
	}
	return nil
}

// outboxRow is one row of the outbox, as the report needs it.
type outboxRow struct {
	id                   int64
	kind, key, state     string
	channelID, sentID    string
	memberID             int64
	due                  int64
	lastError, memberDID string
}

// outboxRows reads the rows of one delivery channel.
func outboxRows(ctx context.Context, db *sql.DB, channel string) ([]outboxRow, error) {
	rows, err := db.QueryContext(ctx, `SELECT n.id, n.kind, n.idempotency_key, n.state, n.channel_id, n.discord_message_id,
		coalesce(n.member_id, 0), n.due_at, n.last_error, coalesce(m.discord_user_id, '')
		FROM notifications n LEFT JOIN members m ON m.id = n.member_id WHERE n.channel = ? ORDER BY n.id`, channel)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []outboxRow
	for rows.Next() {
		var o outboxRow
		if err := rows.Scan(&o.id, &o.kind, &o.key, &o.state, &o.channelID, &o.sentID, &o.memberID, &o.due, &o.lastError, &o.memberDID); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// isDue reports whether a row should have gone out by the cutoff.
func (r *report) isDue(o outboxRow) bool {
	return o.state != "cancelled" && o.state != "skipped" && o.due <= r.cutoff.Unix()
}

// collectDiscord compares the due Discord rows that post a message with
// the messages in the fake (the channel and every member's DMs), matched by
// nonce, and checks that each open meeting's card shows the stored counts.
func (r *report) collectDiscord(ctx context.Context, db *sql.DB, l *load, fake *discordtest.Server) error {
	rows, err := outboxRows(ctx, db, "discord")
	if err != nil {
		return err
	}
	var dids []string
	drows, err := db.QueryContext(ctx, `SELECT discord_user_id FROM members WHERE discord_user_id IS NOT NULL`)
	if err != nil {
		return err
	}
	for drows.Next() {
		var id string
		if err := drows.Scan(&id); err != nil {
			drows.Close()
			return err
		}
		dids = append(dids, id)
	}
	drows.Close()
	msgs := fake.Messages(channelID)
	for _, id := range dids {
		msgs = append(msgs, fake.DMs(id)...)
	}
	byNonce := map[string][]*discordgo.Message{}
	for _, m := range msgs {
		n := fake.MessageNonce(m.ID)
		byNonce[n] = append(byNonce[n], m)
	}
	known := map[string]bool{}
	r.discord = map[string]*tally{}
	for _, o := range rows {
		if !slices.Contains(postingKinds, o.kind) {
			continue
		}
		n := nonce(o.key)
		known[n] = true
		if !r.isDue(o) {
			continue
		}
		t := r.discord[o.kind]
		if t == nil {
			t = &tally{}
			r.discord[o.kind] = t
		}
		t.due++
		got := byNonce[n]
		switch {
		case len(got) == 0:
			t.lost++
			if o.state == "failed" {
				t.failed++
			}
			r.discordLost = append(r.discordLost, fmt.Sprintf("row %d %s %s: state %s, due %s, error %q", o.id, o.kind, o.key, o.state,
				time.Unix(o.due, 0).Format("15:04:05"), truncate(o.lastError, 160)))
		default:
			t.posted++
		}
		if len(got) > 1 {
			t.dup++
			r.discordDups = append(r.discordDups, fmt.Sprintf("row %d %s %s: %d messages with its nonce", o.id, o.kind, o.key, len(got)))
		}
	}
	for n, ms := range byNonce {
		if known[n] {
			continue
		}
		for _, m := range ms {
			if m.ChannelID == channelID || n != "" {
				r.discordStray++
				if len(r.discordStrayEx) < 5 {
					r.discordStrayEx = append(r.discordStrayEx, fmt.Sprintf("%s nonce %q: %s", m.ID, n, truncate(m.Content, 80)))
				}
			}
		}
	}
	// Each open meeting's card shows the stored counts.
	for _, m := range l.meetings {
		if m.cancel || m.msgID == "" {
			continue
		}
		var yes, maybe, no int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE answer = 'yes'), count(*) FILTER (WHERE answer = 'maybe'),
			count(*) FILTER (WHERE answer = 'no') FROM rsvps WHERE meeting_id = ?`, m.id).Scan(&yes, &maybe, &no); err != nil {
			return err
		}
		want := fmt.Sprintf("Přijdu: %d · Možná: %d · Nepřijdu: %d", yes, maybe, no)
		card := fake.Message(m.msgID)
		got := ""
		if card != nil && len(card.Embeds) > 0 {
			for _, f := range card.Embeds[0].Fields {
				if f.Name == "Odpovědi" {
					got = f.Value
				}
			}
		}
		r.cardsChecked++
		if got == want {
			r.cardsOK++
		} else {
			r.cardsWrong = append(r.cardsWrong, fmt.Sprintf("meeting %d: card %q, stored %q", m.id, got, want))
		}
	}
	sort.Strings(r.discordLost)
	return nil
}

// collectEmail compares the due e-mail rows (one per recipient) with the
// messages the SMTP server accepted, by Message-ID.
func (r *report) collectEmail(ctx context.Context, db *sql.DB, smtpSrv *smtptest.Server) error {
	rows, err := outboxRows(ctx, db, "email")
	if err != nil {
		return err
	}
	accepted := map[string]int{}
	for _, m := range smtpSrv.Messages() {
		accepted[m.MessageID]++
		r.emailAccepted++
	}
	known := map[string]bool{}
	r.email = map[string]*tally{}
	for _, o := range rows {
		if o.memberID == 0 {
			continue // a group's fan-out row, expanded into the others
		}
		if o.sentID != "" {
			known[o.sentID] = true
		}
		if !r.isDue(o) {
			continue
		}
		t := r.email[o.kind]
		if t == nil {
			t = &tally{}
			r.email[o.kind] = t
		}
		t.due++
		n := 0
		if o.sentID != "" {
			n = accepted[o.sentID]
		}
		if n == 0 {
			t.lost++
			if o.state == "failed" {
				t.failed++
			}
			r.emailLost = append(r.emailLost, fmt.Sprintf("row %d %s %s: state %s, Message-ID %q, error %q", o.id, o.kind, o.key, o.state,
				o.sentID, truncate(o.lastError, 160)))
		} else {
			t.posted++
		}
		if n > 1 {
			t.dup++
		}
	}
	for id, n := range accepted {
		if n > 1 {
			r.emailDups = append(r.emailDups, fmt.Sprintf("%s accepted %d times", id, n))
		}
		if !known[id] {
			r.emailStray += n
		}
	}
	sort.Strings(r.emailLost)
	sort.Strings(r.emailDups)
	return nil
}

// markdown renders the report.
func (r *report) markdown() string {
	var b strings.Builder
	w := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	lostAnswers, lostMails := len(r.answersLost), len(r.mailsLost)
	var lostDiscord, dupDiscord, lostEmail, dupEmail, dueDiscord, postedDiscord, dueEmail, postedEmail int
	for _, t := range r.discord {
		lostDiscord += t.lost
		dupDiscord += t.dup
		dueDiscord += t.due
		postedDiscord += t.posted
	}
	for _, t := range r.email {
		lostEmail += t.lost
		dueEmail += t.due
		postedEmail += t.posted
	}
	dupEmail = len(r.emailDups)
	w("# Soak run: %v of `coordbot serve` under load", r.o.duration)
	w("")
	w("Started %s, load stopped %s, cutoff for due rows %s (settled: %v). Go %s, %s.",
		r.start.Format("2006-01-02 15:04:05"), r.loadEnd.Format("15:04:05"), r.cutoff.Format("15:04:05"), r.settled,
		goVersion(), hostLoad())
	w("")
	w("## Verdict")
	w("")
	w("| check | sent / due | stored / posted | lost | duplicated |")
	w("|---|---:|---:|---:|---:|")
	w("| RSVP answers (last confirmed per member and meeting) | %d | %d | %d | – |", r.answersSent, r.answersOK, lostAnswers)
	w("| minutes mails (archived + quarantined) | %d | %d | %d | – |", r.mailsDelivered, r.mailsArchived+r.mailsQuarantined, lostMails)
	w("| Discord messages (outbox rows due → messages by nonce) | %d | %d | %d | %d |", dueDiscord, postedDiscord, lostDiscord, dupDiscord)
	w("| e-mails (outbox rows due → accepted by Message-ID) | %d | %d | %d | %d |", dueEmail, postedEmail, lostEmail, dupEmail)
	w("| open meetings' cards showing the stored counts | %d | %d | %d | – |", r.cardsChecked, r.cardsOK, r.cardsChecked-r.cardsOK)
	w("")
	first, last, growth := r.rssTrend()
	w("RSS of serve: first slice max %s, last slice max %s (%+.0f%%). Target: 0 lost, 0 duplicated, RSS flat.",
		kb(first), kb(last), growth)
	w("")

	w("## Load")
	w("")
	w("- %d Discord members, %d clickers (mean pause %v), %d e-mail members; %d meetings created from the shell, %d cancelled.",
		r.o.members, r.o.workers, r.o.pause, r.o.emailMembers, r.meetings, r.cancelled)
	lat := slices.Clone(r.clicks.latencies)
	slices.Sort(lat)
	w("- Clicks: %d confirmed, %d refused, %d without a callback within %v. Callback latency of confirmed answers: p50 %v, p99 %v, max %v.",
		r.clicks.ok, r.clicks.refused, r.clicks.noCallback, r.o.clickTimeout, pct(lat, 50), pct(lat, 99), pct(lat, 100))
	w("- Answers: %d member/meeting pairs with a confirmed answer; %d stored equal; %d pairs where a later unconfirmed click was stored (not lost); %d stored answers the soak did not confirm; rsvp_history has %d rows of Discord members for %d confirmed clicks.",
		r.answersSent, r.answersOK, r.answersAmbiguous, r.answersUnexpected, r.historyRows, r.clicks.ok)
	w("- Mails: %d delivered into INBOX (every %v; every tenth from a sender not allowed), %d archived, %d quarantined, %d left in INBOX.",
		r.mailsDelivered, r.o.mailEvery, r.mailsArchived, r.mailsQuarantined, r.inboxLeft)
	w("- Gateway: %d IDENTIFY, %d RESUME.", r.identifies, r.resumes)
	w("- E-mail: %d messages accepted by the SMTP server, %d not matching any outbox row.", r.emailAccepted, r.emailStray)
	w("- Discord messages in the channel or DMs that match no outbox row: %d.", r.discordStray)
	for _, e := range r.discordStrayEx {
		w("  - %s", e)
	}
	w("")
	if len(r.clicks.refusals) > 0 || len(r.clicks.errors) > 0 {
		w("Refusals and missing callbacks:")
		w("")
		for _, k := range top(r.clicks.refusals, 8) {
			w("- refused ×%d: %s", r.clicks.refusals[k], k)
		}
		for _, k := range top(r.clicks.errors, 8) {
			w("- no callback ×%d: %s", r.clicks.errors[k], k)
		}
		w("")
	}

	w("## Outbox by kind")
	w("")
	w("| channel | kind | due | posted | lost | of which failed | duplicated |")
	w("|---|---|---:|---:|---:|---:|---:|")
	for _, ch := range []struct {
		name string
		m    map[string]*tally
	}{{"discord", r.discord}, {"email", r.email}} {
		kinds := make([]string, 0, len(ch.m))
		for k := range ch.m {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		for _, k := range kinds {
			t := ch.m[k]
			w("| %s | %s | %d | %d | %d | %d | %d |", ch.name, k, t.due, t.posted, t.lost, t.failed, t.dup)
		}
	}
	w("")
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		w("%s (%d):", title, len(items))
		w("")
		for i, s := range items {
			if i == 20 {
				w("- … %d more", len(items)-20)
				break
			}
			w("- %s", s)
		}
		w("")
	}
	list("Lost answers", r.answersLost)
	list("Lost mails", r.mailsLost)
	list("Mails filed in the wrong state", r.mailsWrongState)
	list("Lost Discord messages", r.discordLost)
	list("Duplicated Discord messages", r.discordDups)
	list("Lost e-mails", r.emailLost)
	list("Duplicated e-mails", r.emailDups)
	list("Cards not showing the stored counts", r.cardsWrong)

	w("## RSS of serve (VmRSS every 10 s)")
	w("")
	w("VmRSS split into its file-backed part (the binary's pages, SQLite's -shm: the kernel can drop them)")
	w("and its anonymous part, and beside them the Go runtime's own figures from `serve -debug-addr`")
	w("(`/debug/memory`): the live heap after the last GC, the memory Go holds (mapped minus released:")
	w("heap, stacks, runtime), and the anonymous RSS minus that: memory allocated outside Go's")
	w("accounting (SQLite's, through the C runtime of the pure-Go driver), and what SQLite itself reports in")
	w("use over serve's connections (sqlite3_db_status), of it the page caches. Each is the slice's maximum.")
	w("")
	w("| slice | instance | samples | RSS min | RSS max | file-backed | anonymous | Go live heap | Go held | anonymous − Go held | SQLite | of it page caches | C runtime mapped | goroutines |")
	w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, s := range r.rssSlices() {
		w("| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d |", s.label, s.instances, s.n, kb(s.min), kb(s.max),
			kb(s.file), kb(s.anon), mib(s.goLive), mib(s.goResident), kb(s.outside), mib(s.sqlite), mib(s.sqliteCache), mib(s.libc), s.goroutines)
	}
	w("")
	if len(r.profiles) > 0 {
		w("Heap profiles saved (compare with `go tool pprof -base EARLY LATE`): %s.", strings.Join(r.profiles, ", "))
		w("")
	}

	w("## Faults and milestones")
	w("")
	for _, e := range r.events {
		w("- %s %s", fmtOffset(e.at), e.what)
	}
	for _, n := range r.exitNotes {
		w("- %s", n)
	}
	if r.aliveAtEnd {
		w("- SIGTERM at the end: serve exited after %v (%v)", r.termTook.Round(time.Millisecond), errText(r.termErr))
	} else {
		w("- serve was not running at the end")
	}
	w("")

	w("## Shell commands")
	w("")
	byWhat := map[string][]time.Duration{}
	fails := map[string]int{}
	for _, s := range r.shellRuns {
		byWhat[s.what] = append(byWhat[s.what], s.took)
		if !s.ok {
			fails[s.what]++
		}
	}
	w("| command | runs | failed | p50 | max |")
	w("|---|---:|---:|---:|---:|")
	whats := make([]string, 0, len(byWhat))
	for k := range byWhat {
		whats = append(whats, k)
	}
	sort.Strings(whats)
	for _, k := range whats {
		d := byWhat[k]
		slices.Sort(d)
		w("| `%s` | %d | %d | %v | %v |", k, len(d), fails[k], pct(d, 50), pct(d, 100))
	}
	w("")
	list("Failed shell commands", r.shellFails)

	w("## serve's log")
	w("")
	levels := make([]string, 0, len(r.logs.levels))
	for k := range r.logs.levels {
		levels = append(levels, fmt.Sprintf("%s %d", k, r.logs.levels[k]))
	}
	sort.Strings(levels)
	w("Lines by level: %s; lines that are not JSON: %d.", strings.Join(levels, ", "), r.logs.other)
	w("")
	for _, k := range top(r.logs.messages, 15) {
		w("- ×%d %s", r.logs.messages[k], k)
	}
	for _, e := range r.logs.otherEx {
		w("- not JSON: `%s`", e)
	}
	w("")
	return b.String()
}

// rssSlice is the RSS figures of one slice of the run.
type rssSlice struct {
	label, instances string
	n                int
	min, max         int64 // VmRSS, kB
	// The maxima of RssFile and RssAnon (kB), of the Go figures (bytes),
	// of RssAnon minus Go's resident part (kB), and of the goroutines.
	file, anon, libc, sqlite, sqliteCache   int64
	goLive, goResident, outside, goroutines int64
}

func (r *report) rssSlices() []rssSlice {
	var out []rssSlice
	for _, s := range r.samples {
		i := int(s.at / r.o.slice)
		for len(out) <= i {
			from := time.Duration(len(out)) * r.o.slice
			out = append(out, rssSlice{label: fmtOffset(from) + "–" + fmtOffset(from+r.o.slice)})
		}
		sl := &out[i]
		inst := fmt.Sprintf("#%d", s.instance)
		if !strings.Contains(sl.instances, inst) {
			if sl.instances != "" {
				sl.instances += ", "
			}
			sl.instances += inst
		}
		if sl.n == 0 || s.kB < sl.min {
			sl.min = s.kB
		}
		if s.kB > sl.max {
			sl.max = s.kB
		}
		sl.goLive = max(sl.goLive, s.goLive)
		sl.goResident = max(sl.goResident, s.goResident)
		sl.goroutines = max(sl.goroutines, s.goroutines)
		sl.file = max(sl.file, s.fileKB)
		sl.libc = max(sl.libc, s.libcBytes)
		sl.sqlite = max(sl.sqlite, s.sqlite)
		sl.sqliteCache = max(sl.sqliteCache, s.sqliteCache)
		sl.anon = max(sl.anon, s.anonKB)
		if s.goResident > 0 {
			sl.outside = max(sl.outside, s.anonKB-s.goResident/1024)
		}
		sl.n++
	}
	return slices.DeleteFunc(out, func(s rssSlice) bool { return s.n == 0 })
}

// rssTrend compares the first and the last slice's maximum.
func (r *report) rssTrend() (first, last int64, growthPct float64) {
	sl := r.rssSlices()
	if len(sl) == 0 {
		return 0, 0, 0
	}
	first, last = sl[0].max, sl[len(sl)-1].max
	if first > 0 {
		growthPct = 100 * float64(last-first) / float64(first)
	}
	return first, last, growthPct
}

func kb(v int64) string { return fmt.Sprintf("%.1f MiB", float64(v)/1024) }

// mib formats bytes as MiB; 0 (not read) as a dash.
func mib(v int64) string {
	if v == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
}

func pct(d []time.Duration, p int) time.Duration {
	if len(d) == 0 {
		return 0
	}
	i := min(len(d)*p/100, len(d)-1)
	return d[i].Round(100 * time.Microsecond)
}

func fmtOffset(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%02d:%02d", int(d.Minutes()), int(d.Seconds())%60)
}

func errText(err error) string {
	if err == nil {
		return "clean"
	}
	return err.Error()
}

func goVersion() string {
	return fmt.Sprintf("%s, %d CPUs", runtime.Version(), runtime.NumCPU())
}

func hostLoad() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "load ?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "load ?"
	}
	return "load average at the end " + strings.Join(f[:3], " ")
}
