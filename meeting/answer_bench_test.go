package meeting_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"coordbot/meeting"
	"coordbot/store"
)

// burst is how many members click at once in BenchmarkAnswerBurst: the
// size of issue 14's test.
const burst = 200

// BenchmarkAnswerBurst has 200 members answer one meeting at once through
// Service.Answer, on a real database file opened as serve opens it, and
// reports the cost per answer (ns/answer, allocs/answer; ns/op and
// allocs/op are per burst of 200). "first-contact" answers come from
// Discord users the store has never seen (each creates its member and
// membership); "repeat" answers come from the same 200 members again and
// again, changing their answer.
//
// The "one-by-one" variants answer the same 200 one after the other, each
// waiting for the previous: every answer is a batch of its own, which is
// what serve sees when clicks arrive a little slower than the writer
// commits them, so they show the cost of a batch as well. The "paced"
// variant starts a click every 300 µs without waiting for the ones before,
// about the pace at which serve's gateway reader hands them over.
func BenchmarkAnswerBurst(b *testing.B) {
	first := func(round, i int) string { return fmt.Sprint(1_000_000 + round*burst + i) }
	repeat := func(_, i int) string { return fmt.Sprint(1_000_000 + i) }
	b.Run("first-contact", func(b *testing.B) { benchAnswerBurst(b, first, true) })
	b.Run("repeat", func(b *testing.B) { benchAnswerBurst(b, repeat, true) })
	b.Run("first-contact-one-by-one", func(b *testing.B) { benchAnswerBurst(b, first, false) })
	b.Run("repeat-one-by-one", func(b *testing.B) { benchAnswerBurst(b, repeat, false) })
	b.Run("repeat-paced", func(b *testing.B) { benchAnswerBurst(b, repeat, false, 300*time.Microsecond) })
}

// benchAnswerBurst runs b.N rounds of 200 answers, all at once, one by
// one, or one every pace; user names the Discord user of the i-th click of a round. Round -1
// is a warm-up outside the timer.
func benchAnswerBurst(b *testing.B, user func(round, i int) string, atOnce bool, pace ...time.Duration) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "coordbot.db")
	raw, err := os.ReadFile(migrated)
	if err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		b.Fatal(err)
	}
	// The cache sizes serve uses (cmd/coordbot/serve.go).
	s, err := store.Open(ctx, path, store.Options{CacheKiB: 1024, ReadCacheKiB: 64})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	g := &store.Group{Slug: "pracovni-skupina", Name: "Pracovní skupina protidrogové politiky",
		DiscordChannelID: "5001", CoordinatorRoleID: "7001", MemberRoleID: "7002",
		Reminders: []time.Duration{7 * day, day, time.Hour}, AgendaCall: 14 * day, AgendaDeadline: 3 * day,
		Nudge: 3 * day, MinutesNudge: 7 * day}
	if err := s.UpsertGroup(ctx, g); err != nil {
		b.Fatal(err)
	}
	core := meeting.New(s)
	res, err := core.Create(ctx, coordinator, g.ID, meeting.Draft{Title: title,
		Start: time.Now().Add(30 * day).Truncate(time.Hour), Place: "Krajský úřad"})
	if err != nil {
		b.Fatal(err)
	}
	m := res.Meeting
	answers := []string{store.AnswerYes, store.AnswerNo, store.AnswerMaybe}
	round := func(r int) {
		actors := make([]meeting.Actor, burst)
		for i := range actors {
			id := user(r, i)
			actors[i] = meeting.Actor{Via: store.ViaDiscord, DiscordUserID: id, DiscordName: "Člen " + id,
				DoorRole: store.RoleMember}
		}
		if len(pace) > 0 {
			var wg sync.WaitGroup
			t0 := time.Now()
			for i, a := range actors {
				time.Sleep(time.Until(t0.Add(time.Duration(i) * pace[0])))
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := core.Answer(ctx, a, m.ID, g.ID, answers[(r+1+i)%3], "", ""); err != nil {
						b.Error(err)
					}
				}()
			}
			wg.Wait()
			return
		}
		if !atOnce {
			for i, a := range actors {
				if _, err := core.Answer(ctx, a, m.ID, g.ID, answers[(r+1+i)%3], "", ""); err != nil {
					b.Fatal(err)
				}
			}
			return
		}
		go1 := make(chan struct{})
		var wg sync.WaitGroup
		for i, a := range actors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-go1
				if _, err := core.Answer(ctx, a, m.ID, g.ID, answers[(r+1+i)%3], "", ""); err != nil {
					b.Error(err)
				}
			}()
		}
		close(go1)
		wg.Wait()
	}
	round(-1)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	t, cpu := time.Now(), cpuTime(b)
	for r := range b.N {
		round(r)
	}
	elapsed, cpu := time.Since(t), cpuTime(b)-cpu
	b.StopTimer()
	runtime.ReadMemStats(&after)
	n := float64(b.N * burst)
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/answer")
	// The CPU the process spent, all goroutines together: on a loaded
	// machine a steadier figure than the time that passed.
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/answer")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/n, "allocs/answer")
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
