//go:build linux

package scheduler_test

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"coordbot/bot"
	"coordbot/bot/discordtest"
	"coordbot/meeting"
	"coordbot/outbox"
	"coordbot/scheduler"
	"coordbot/store"
)

// The benchmark's shape: 10,000 meetings planned with the group's usual
// timeline (7 rows each), and a window of extra reminders falling due
// during the first seconds of the run.
const (
	benchMeetings   = 10000
	benchWindowRows = 300
	benchWindowFrom = 3 * time.Second  // the first window row is due this long after setup
	benchWindowSpan = 13 * time.Second // and the last one this much later
	benchIdle       = 5 * time.Second
	benchChannelID  = "5001"
)

// BenchmarkScheduler10kMeetings runs the real delivery loop on the real
// clock against a real SQLite store and the protocol-level fake Discord,
// with 10,000 scheduled meetings (about 70,000 pending rows, almost all
// months ahead) and a window of 300 reminders due in the next seconds. It
// reports how late each window row left (p50/p99/max, from its due instant
// to the bot's Deliver returning), the process's CPU time while the loop
// sleeps between due instants, and the process's memory.
//
// The CPU and memory figures are the whole test process: the scheduler,
// the bot, the fake Discord server (its gateway and REST handlers) and the
// test's own data. It runs once whatever b.N is; use -benchtime 1x:
//
//	go test -run '^$' -bench Scheduler10k -benchtime 1x ./scheduler/
func BenchmarkScheduler10kMeetings(b *testing.B) {
	ctx := context.Background()
	e := newBenchEnv(b)

	// Setup: 10,000 meetings, each planned as the bot plans it.
	setupStart := time.Now()
	now := time.Now()
	first := now.Add(15 * 24 * time.Hour).Truncate(time.Minute) // every row of the timeline is still ahead
	meetings := make([]*store.Meeting, 0, benchMeetings)
	for i := range benchMeetings {
		// One meeting every 17 minutes: the last starts about 4 months out.
		m := &store.Meeting{GroupID: e.group.ID, Title: fmt.Sprintf("Jednání pracovní skupiny %d", i),
			Start: first.Add(time.Duration(i) * 17 * time.Minute), Place: "Krajský úřad"}
		err := e.store.Write(ctx, func(tx *store.Tx) error {
			if err := tx.CreateMeeting(m); err != nil {
				return err
			}
			return outbox.Plan(tx, e.group, m, now)
		})
		if err != nil {
			b.Fatal(err)
		}
		meetings = append(meetings, m)
	}

	// The measurement window: reminders of meetings that start weeks
	// later, due on whole seconds (the outbox stores seconds) spread over
	// benchWindowSpan.
	base := time.Now().Truncate(time.Second).Add(benchWindowFrom)
	window := make([]*store.Notification, benchWindowRows)
	for i := range window {
		m := meetings[i*(benchMeetings/benchWindowRows)]
		window[i] = &store.Notification{GroupID: e.group.ID, MeetingID: m.ID, Kind: outbox.KindReminder,
			Due:       base.Add(time.Duration(i*int(benchWindowSpan/time.Second)/(benchWindowRows-1)) * time.Second).UTC(),
			ChannelID: benchChannelID, IdempotencyKey: fmt.Sprintf("bench:window:%d", i), Payload: `{"offset":"1h"}`}
	}
	if added, err := e.store.EnqueueNotifications(ctx, window); err != nil || added != benchWindowRows {
		b.Fatalf("enqueue window: added %d of %d: %v", added, benchWindowRows, err)
	}
	firstID, lastID := window[0].ID, window[len(window)-1].ID
	if lastID-firstID != benchWindowRows-1 {
		b.Fatalf("window ids %d…%d are not contiguous", firstID, lastID)
	}
	states := e.states(b)
	b.Logf("setup: %d meetings, outbox %v, in %v", benchMeetings, states, time.Since(setupStart).Round(time.Millisecond))
	if time.Now().After(base) {
		b.Fatalf("setup overran the window's start by %v", time.Since(base))
	}
	b.ReportMetric(float64(states[store.NotificationPending]), "pending_rows")

	// Timed: the loop runs until every window row is marked sent.
	var idleRounds atomic.Int64
	e.sched.Idle = func(time.Time) { idleRounds.Add(1) }
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	b.ResetTimer()
	cpu0 := benchCPU()
	go func() { done <- e.sched.Run(runCtx) }()
	stop := func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}
	defer func() {
		if runCtx.Err() == nil {
			stop()
		}
	}()
	deadline := time.Now().Add(benchWindowFrom + benchWindowSpan + 30*time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	for sent := 0; sent < benchWindowRows; {
		<-tick.C
		if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM notifications
			WHERE id BETWEEN ? AND ? AND state = 'sent'`, firstID, lastID).Scan(&sent); err != nil {
			b.Fatal(err)
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d of %d window rows sent by the deadline; outbox %v\nlogs:\n%s",
				sent, benchWindowRows, e.states(b), e.logs.String())
		}
	}
	tick.Stop()
	b.StopTimer()
	cpuWindow := benchCPU() - cpu0

	// Lateness: from the due instant to the bot's Deliver returning.
	late := make([]time.Duration, 0, len(window))
	logged := 0
	e.sender.mu.Lock()
	for _, n := range window {
		at, ok := e.sender.sentAt[n.ID]
		if !ok {
			b.Fatalf("window row %d is marked sent but Deliver did not record it", n.ID)
		}
		late = append(late, at.Sub(n.Due))
		if l := at.Sub(n.Due); l > 100*time.Millisecond && logged < 20 {
			// Name the outliers: on a shared machine they are usually
			// another process's burst, and their due instant tells.
			b.Logf("row %d due %s left %v late", n.ID, n.Due.Format("15:04:05"), l)
			logged++
		}
	}
	e.sender.mu.Unlock()
	slices.Sort(late)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(late[len(late)/2]), "late_p50_ms")
	b.ReportMetric(ms(late[(len(late)*99+99)/100-1]), "late_p99_ms")
	b.ReportMetric(ms(late[len(late)-1]), "late_max_ms")
	b.ReportMetric(ms(late[0]), "late_min_ms")
	b.ReportMetric(ms(cpuWindow), "window_cpu_ms")

	// Memory right after the window, nothing forced.
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	const mib = 1 << 20
	b.ReportMetric(float64(mem.HeapInuse)/mib, "process_heap_inuse_MiB")
	b.ReportMetric(float64(mem.Sys)/mib, "process_go_sys_MiB")
	if rss, ok := benchRSS(); ok {
		b.ReportMetric(float64(rss)/mib, "process_rss_MiB")
	}

	// Idle: the loop has gone to sleep until the next row, which is a
	// day ahead; the whole process's CPU over benchIdle.
	time.Sleep(200 * time.Millisecond) // the last mark-sent and the loop's next-due query finish
	rounds0 := idleRounds.Load()
	cpu0 = benchCPU()
	time.Sleep(benchIdle)
	cpuIdle := benchCPU() - cpu0
	b.ReportMetric(ms(cpuIdle), "idle_cpu_ms/5s")
	b.ReportMetric(float64(idleRounds.Load()-rounds0), "idle_loop_rounds/5s")
	stop()

	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(ru.Maxrss)/1024, "process_maxrss_MiB") // KiB on Linux
	after := e.states(b)
	b.Logf("after: outbox %v; lateness min %v p50 %v p99 %v max %v; idle loop rounds %d",
		after, late[0], late[len(late)/2], late[(len(late)*99+99)/100-1], late[len(late)-1], idleRounds.Load()-rounds0)
	if after[store.NotificationSent] != benchWindowRows {
		b.Errorf("sent %d rows, want exactly the %d window rows", after[store.NotificationSent], benchWindowRows)
	}
	if logs := e.logs.String(); logs != "" {
		b.Errorf("warnings or errors logged:\n%s", logs)
	}
}

// benchEnv is the benchmark's bot and scheduler on the real clock.
type benchEnv struct {
	store  *store.Store
	db     *sql.DB // a second, read-only handle on the database for counting
	sched  *scheduler.Scheduler
	sender *benchSender
	group  *store.Group
	logs   *benchLogs
}

func newBenchEnv(b *testing.B) *benchEnv {
	b.Helper()
	fake, err := discordtest.New()
	if err != nil {
		b.Fatal(err)
	}
	fake.HeartbeatInterval = 41250 * time.Millisecond // Discord's; heartbeats should not dominate the idle figure
	b.Cleanup(fake.Close)
	path := filepath.Join(b.TempDir(), "c.db")
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		b.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	b.Cleanup(func() { db.Close() })
	e := &benchEnv{store: s, db: db, logs: &benchLogs{}}
	e.group = &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina", DiscordChannelID: benchChannelID,
		Reminders: []time.Duration{7 * 24 * time.Hour, 24 * time.Hour, time.Hour}, AgendaCall: 14 * 24 * time.Hour,
		AgendaDeadline: 3 * 24 * time.Hour, Nudge: 3 * 24 * time.Hour, MinutesNudge: 7 * 24 * time.Hour}
	if err := s.UpsertGroup(context.Background(), e.group); err != nil {
		b.Fatal(err)
	}
	// Only warnings and errors are kept: a clean run logs none.
	logger := slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	bt, err := bot.New(bot.Config{Token: fake.Token, GuildID: fake.GuildID, APIURL: fake.URL,
		ArchiveAddress: "archiv@kr-ustecky.example"}, meeting.New(s), logger)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := bt.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bt.Stop(context.Background()) })
	e.sender = &benchSender{bot: bt, sentAt: make(map[int64]time.Time)}
	e.sched = scheduler.New(s, map[string]scheduler.Sender{store.ChannelDiscord: e.sender}, scheduler.RealClock{}, logger)
	return e
}

// states counts the outbox's rows by state.
func (e *benchEnv) states(b *testing.B) map[string]int {
	b.Helper()
	rows, err := e.db.Query(`SELECT state, count(*) FROM notifications GROUP BY state`)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			b.Fatal(err)
		}
		out[st] = n
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return out
}

// benchSender is the bot as the scheduler's Sender, noting when each
// delivery returned: the outbox's sent_at has only whole seconds.
type benchSender struct {
	bot    *bot.Bot
	mu     sync.Mutex
	sentAt map[int64]time.Time // by notification id
}

func (s *benchSender) Deliver(ctx context.Context, n *store.Notification) (string, error) {
	id, err := s.bot.Deliver(ctx, n)
	if err == nil {
		at := time.Now()
		s.mu.Lock()
		s.sentAt[n.ID] = at
		s.mu.Unlock()
	}
	return id, err
}

// benchLogs collects the log lines of the run.
type benchLogs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *benchLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *benchLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// benchCPU is the process's user+system CPU time so far.
func benchCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchRSS is the process's current resident set in bytes (VmRSS).
func benchRSS() (int64, bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kib, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kib * 1024, err == nil
		}
	}
	return 0, false
}
