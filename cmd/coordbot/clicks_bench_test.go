package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"coordbot/bot/discordtest"
)

// BenchmarkRSVPClicks200Process measures RSVP clicks from outside the
// process: serve runs as a child process (the test binary acting as
// coordbot, see TestMain) on a real SQLite file, against the Discord fake
// in this process. One group has an announced meeting; in each round 200
// distinct members click an answer button at once: the fake writes the 200
// INTERACTION_CREATE frames back to back on the gateway, and a click's
// latency runs from its frame written to its interaction callback
// received. The first round is every member's first contact (serve has
// never seen them and records them as members); in each later round all
// but one of them change their answer. After each round the benchmark
// waits for the card's coalesced edit to show the round's counts (which
// differ from the round before's), so rounds do not overlap. It reports p50/p99 of the first-contact round and of the repeat
// rounds, the worst round's p99, serve's CPU time (user+system) per round,
// and the CPU time this process (the fake) spent during the bursts: both
// share the machine's cores. Run it with
//
//	go test -run '^$' -bench RSVPClicks200Process -benchtime 5x -count 3 ./cmd/coordbot/
//
// With COORDBOT_BENCH_PROFILE=/tmp/clicks set, serve runs with -debug-addr
// and the benchmark saves a CPU profile (/tmp/clicks.cpu.prof) and an
// execution trace (/tmp/clicks.trace) of serve taken from just before the
// first round, for COORDBOT_BENCH_PROFILE_SECONDS (default 10) seconds,
// and at the end what serve allocated since it started
// (/tmp/clicks.allocs.prof, go tool pprof -sample_index=alloc_space):
//
//	go tool pprof -top -cum coordbot.test /tmp/clicks.cpu.prof
//	go tool trace /tmp/clicks.trace
func BenchmarkRSVPClicks200Process(b *testing.B) {
	const members = 200
	b.StopTimer()
	fake, err := discordtest.New()
	if err != nil {
		b.Fatal(err)
	}
	defer fake.Close()
	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "coordbot.toml")
	if err := os.WriteFile(cfgPath, []byte(fakeTOML(dir, fake)), 0o600); err != nil {
		b.Fatal(err)
	}
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	if r := runCLIClock(b, time.Now, dir, nil, "meeting", "add", "-group", "pracovni-skupina",
		"-title", "Jednání pracovní skupiny", "-start", start); r.code != 0 {
		b.Fatalf("meeting add: %+v", r)
	}
	environ := []string{"COORDBOT_DISCORD_TOKEN=" + fake.Token}
	profile := os.Getenv("COORDBOT_BENCH_PROFILE")
	debugAddr := ""
	if profile != "" {
		debugAddr = freeLoopbackAddr(b)
		// The later entry of a name wins in the child's environment.
		environ = append(environ, "COORDBOT_TEST_ARGS=-config "+cfgPath+" -log-format json serve -debug-addr "+debugAddr)
	}
	p := startServeRaw(b, dir, cfgPath, environ...)
	// The log is read as it comes (a full pipe would stop the process),
	// and the lines of answered interactions are kept undecoded: decoding
	// 200 JSON lines while a round runs would take CPU from serve. They
	// are decoded between rounds.
	var logMu sync.Mutex
	var answered [][]byte
	var handlerMS, waitedMS []float64
	// began is when each interaction's handler began, by interaction id:
	// the log line's time (when it was answered) less its ms.
	began := map[string]time.Time{}
	drained := make(chan struct{})
	go func() {
		defer close(drained)
		for line := range p.raw {
			if bytes.Contains(line, []byte(`"msg":"interaction answered"`)) {
				logMu.Lock()
				answered = append(answered, line)
				logMu.Unlock()
			}
		}
	}()
	// decodeLog decodes the lines kept so far; logMu must be held.
	decodeLog := func() {
		for _, line := range answered {
			var rec map[string]any
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			at, _ := time.Parse(time.RFC3339Nano, fmt.Sprint(rec["time"]))
			handlerMS = append(handlerMS, num(rec["ms"]))
			waitedMS = append(waitedMS, num(rec["waited_ms"]))
			began[fmt.Sprint(rec["interaction_id"])] = at.Add(-time.Duration(num(rec["ms"])) * time.Millisecond)
		}
		answered = nil
	}
	// queued returns, sorted, how long each click of a round waited from
	// its frame written to its handler's start (serve's gateway read loop
	// and dispatch), as far as serve has logged them; whole milliseconds.
	queued := func(clicks []*discordgo.Interaction, out []discordtest.Answered) []time.Duration {
		logMu.Lock()
		defer logMu.Unlock()
		decodeLog()
		var q []time.Duration
		for i, in := range clicks {
			if t, ok := began[in.ID]; ok {
				q = append(q, t.Sub(out[i].Written))
			}
		}
		slices.Sort(q)
		return q
	}
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-drained
		p.cmd.Wait()
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	ms, err := fake.WaitMessages(ctx, "5001", func(ms []*discordgo.Message) bool { return len(cards(ms)) == 1 })
	if err != nil {
		b.Fatalf("no card: %v", err)
	}
	card := cards(ms)[0]
	yes := card.Components[0].(*discordgo.ActionsRow).Components[0].(*discordgo.Button).CustomID
	_, meetingID, _ := strings.Cut(yes, ":")
	users := make([]discordtest.User, members)
	for i := range users {
		users[i] = discordtest.User{ID: strconv.Itoa(900000000000000000 + i), Username: fmt.Sprint("clen", i),
			GlobalName: fmt.Sprint("Člen ", i)}
	}
	// answer is member i's answer in round n: every member changes it
	// from round to round but member 0, who always comes, so that the
	// counts alternate between 100 and 101 yes and each round's card
	// differs from the one before.
	answer := func(i, n int) string {
		if (i+n)%2 == 0 || i == 0 {
			return "rsvp-yes"
		}
		return "rsvp-no"
	}
	cpu := func() time.Duration { return cpuTime(p.cmd.Process.Pid) }
	self := os.Getpid()
	var fakeCPU time.Duration // the fake's (this process's) CPU time in the bursts

	// round has every member click at once, member i answer(i, n), and
	// returns the sorted latencies, serve's CPU time
	// during the round and, sorted, the clicks' time from frame written to
	// handler started.
	round := func(n int) ([]time.Duration, time.Duration, []time.Duration) {
		// The clicks are built first: the fake's encoding is not timed.
		clicks := make([]*discordgo.Interaction, members)
		for i, u := range users {
			clicks[i] = fake.Button(u, "5001", card.ID, answer(i, n)+":"+meetingID)
		}
		c0, f0 := cpu(), cpuTime(self)
		out, err := fake.InteractAll(ctx, clicks)
		c1 := cpu()
		fakeCPU += cpuTime(self) - f0
		if err != nil {
			b.Fatal(err)
		}
		lat := make([]time.Duration, members)
		yes := 0
		for i, a := range out {
			if a.Err != nil || a.Response.Type != discordgo.InteractionResponseChannelMessageWithSource {
				b.Fatalf("click %d: %v %+v", i, a.Err, a.Response)
			}
			lat[i] = a.Latency
			if answer(i, n) == "rsvp-yes" {
				yes++
			}
		}
		// The round's answers show on the card after its coalesced edit
		// (outbox.EditDelay, 2 s): wait for it, so rounds do not overlap.
		want := fmt.Sprintf("Přijdu: %d · Možná: 0 · Nepřijdu: %d", yes, members-yes)
		if _, err := fake.WaitMessages(ctx, "5001", func(ms []*discordgo.Message) bool {
			for _, m := range ms {
				if m.ID == card.ID && embedField(m, "Odpovědi") == want {
					return true
				}
			}
			return false
		}); err != nil {
			b.Fatalf("card never showed %q: %v", want, err)
		}
		slices.Sort(lat)
		return lat, c1 - c0, queued(clicks, out)
	}
	ms50 := func(d []time.Duration, q int) float64 { return float64(d[len(d)*q/100].Microseconds()) / 1000 }

	// The handlers' start is known to the millisecond from serve's log.
	startMS := func(q []time.Duration) string {
		if len(q) == 0 {
			return "unknown"
		}
		return fmt.Sprintf("p50 %.0f ms p99 %.0f ms", ms50(q, 50), ms50(q, 99))
	}
	var profiles sync.WaitGroup
	if profile != "" {
		seconds := cmp.Or(os.Getenv("COORDBOT_BENCH_PROFILE_SECONDS"), "10")
		for path, file := range map[string]string{"profile": profile + ".cpu.prof", "trace": profile + ".trace"} {
			profiles.Go(func() {
				if err := fetchTo("http://"+debugAddr+"/debug/pprof/"+path+"?seconds="+seconds, file); err != nil {
					b.Errorf("serve's %s: %v", path, err)
				}
			})
		}
	}
	first, firstCPU, q := round(1)
	b.Logf("round 1 (first contact): p50 %.1f ms p99 %.1f ms max %.1f ms, serve CPU %v, handler start after frame %s",
		ms50(first, 50), ms50(first, 99), float64(first[len(first)-1].Microseconds())/1000, firstCPU, startMS(q))
	worst := ms50(first, 99)
	var repeat []time.Duration
	var repeatCPU time.Duration
	b.StartTimer()
	for n := range b.N {
		lat, c, q := round(n + 2)
		b.StopTimer()
		b.Logf("round %d (repeat): p50 %.1f ms p99 %.1f ms max %.1f ms, serve CPU %v, handler start after frame %s",
			n+2, ms50(lat, 50), ms50(lat, 99), float64(lat[len(lat)-1].Microseconds())/1000, c, startMS(q))
		worst = max(worst, ms50(lat, 99))
		repeat = append(repeat, lat...)
		repeatCPU += c
		b.StartTimer()
	}
	b.StopTimer()
	profiles.Wait()
	if profile != "" {
		// Everything serve allocated since it started: go tool pprof
		// -sample_index=alloc_space.
		if err := fetchTo("http://"+debugAddr+"/debug/pprof/allocs", profile+".allocs.prof"); err != nil {
			b.Errorf("serve's allocs: %v", err)
		}
	}
	slices.Sort(repeat)
	b.ReportMetric(ms50(first, 50), "first_contact_p50_ms")
	b.ReportMetric(ms50(first, 99), "first_contact_p99_ms")
	b.ReportMetric(ms50(repeat, 50), "repeat_p50_ms")
	b.ReportMetric(ms50(repeat, 99), "repeat_p99_ms")
	b.ReportMetric(worst, "max_round_p99_ms")
	b.ReportMetric(float64(firstCPU.Milliseconds()), "first_contact_cpu_ms")
	b.ReportMetric(float64(repeatCPU.Milliseconds())/float64(b.N), "repeat_cpu_ms/round")
	b.ReportMetric(float64(fakeCPU.Milliseconds())/float64(b.N+1), "fake_cpu_ms/round")
	logMu.Lock()
	decodeLog()
	hm, wm := slices.Sorted(slices.Values(handlerMS)), slices.Sorted(slices.Values(waitedMS))
	logMu.Unlock()
	if len(hm) > 0 {
		b.Logf("serve's log, all rounds: handler ms p50 %.0f p99 %.0f; waited ms p50 %.0f p99 %.0f max %.0f",
			hm[len(hm)/2], hm[len(hm)*99/100], wm[len(wm)/2], wm[len(wm)*99/100], wm[len(wm)-1])
	}
}

// freeLoopbackAddr returns a loopback address with a port free right now.
func freeLoopbackAddr(tb testing.TB) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// fetchTo saves the body of a GET of url in file. serve listens on its
// debug address before it connects to Discord, so by the time its card is
// posted the address answers.
func fetchTo(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// num reads a number from a decoded JSON log record.
func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// cpuTime is the user and system CPU time a process has used so far (from
// /proc/<pid>/stat, in clock ticks of 10 ms), 0 when unknown.
func cpuTime(pid int) time.Duration {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// The command name in parentheses may hold spaces: fields count from
	// the last ')'. utime and stime are fields 14 and 15.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
