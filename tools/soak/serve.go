package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// channelID is the group's Discord channel in the fake.
const channelID = "5001"

// groupSlug is the one group of the soak.
const groupSlug = "soak"

// build compiles ./cmd/coordbot into dir and returns the binary's path;
// with counters, the C runtime's allocator counts its allocations.
func build(ctx context.Context, dir string, counters bool) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("run soak inside the coordbot module (go run ./tools/soak)")
	}
	bin := filepath.Join(dir, "coordbot")
	args := []string{"build", "-o", bin}
	if counters {
		args = append(args, "-tags", "memory.counters")
	}
	cmd := exec.CommandContext(ctx, "go", append(args, "./cmd/coordbot")...)
	cmd.Dir = filepath.Dir(gomod)
	cmd.WaitDelay = 5 * time.Second
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/coordbot: %v\n%s", err, out)
	}
	return bin, nil
}

// configTOML is serve's configuration: the fake Discord, the Dovecot INBOX,
// the SMTP server, and one group whose offsets are minutes so that they
// fall due within the run. Secrets come from the environment.
func configTOML(db, apiURL, guildID, imapAddr, imapUser, smtpAddr, smtpUser string) string {
	return fmt.Sprintf(`# Written by tools/soak.
[database]
path = %q

[discord]
guild_id = %q
api_url = %q

[mail]
imap_addr = %q
tls = "none"
username = %q
address = "archiv@kr-ustecky.example"
allowed_senders = ["@kr-ustecky.example"]
poll_interval = "10s"

[smtp]
addr = %q
tls = "none"
username = %q

[[groups]]
slug = %q
name = "Pracovní skupina protidrogové politiky"
discord_channel_id = %q
coordinator_role_id = "7001"
reminders = ["1h", "30m", "15m"]
email_reminders = ["1h", "20m"]
agenda_call = "45m"
agenda_deadline = "20m"
nudge = "25m"
minutes_nudge = "off"
`, db, guildID, apiURL, imapAddr, imapUser, smtpAddr, smtpUser, groupSlug, channelID)
}

// shell runs the coordbot binary's commands on the soak's configuration.
type shell struct {
	bin, config string
	env         []string

	mu    sync.Mutex
	runs  []shellRun
	fails []string
}

// shellRun is one command run, for the report.
type shellRun struct {
	what string
	took time.Duration
	ok   bool
}

// run runs `coordbot -config FILE args...` with a time limit and returns
// its standard output.
func (s *shell) run(ctx context.Context, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.bin, append([]string{"-config", s.config}, args...)...)
	cmd.Env = s.env
	cmd.WaitDelay = 5 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	what := strings.Join(args[:min(2, len(args))], " ")
	s.mu.Lock()
	s.runs = append(s.runs, shellRun{what: what, took: took, ok: err == nil})
	if err != nil {
		s.fails = append(s.fails, fmt.Sprintf("%s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String())))
	}
	s.mu.Unlock()
	if err != nil {
		return "", fmt.Errorf("coordbot %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// serve runs `coordbot serve` as a child process, restarts it, and samples
// its RSS.
type serve struct {
	bin, config, dir string
	env              []string
	start            time.Time // of the soak, for the samples' offsets

	mu        sync.Mutex
	cmd       *exec.Cmd
	exited    chan struct{}
	exitErr   error
	instance  int
	logs      []string // log file of each instance
	samples   []rssSample
	exitNotes []string
	// debugAddr is where the current instance serves /debug/memory and
	// its profiles (serve -debug-addr).
	debugAddr string
	// profiles are the heap profiles saved (see saveHeap).
	profiles []string
}

// rssSample is one reading of serve's VmRSS and of the Go runtime's own
// memory figures (from /debug/memory; 0 when it did not answer), so that
// growth of the Go heap can be told from memory held outside it.
type rssSample struct {
	at       time.Duration // since the soak began
	instance int
	// kB is VmRSS; anonKB and fileKB its anonymous part (heaps, stacks)
	// and its file-backed part (the binary's pages, SQLite's -shm).
	kB, anonKB, fileKB int64
	// goLive is the live Go heap after the last GC, goResident the
	// memory the Go runtime has mapped minus what it released to the OS
	// (heap, stacks, its own metadata): the part of VmRSS that is Go's.
	goLive, goResident int64 // bytes
	goroutines         int64
	// libcBytes is what the SQLite driver's C runtime has allocated (0
	// unless built with -libc-counters).
	libcBytes int64
	// sqlite is what SQLite reports in use over serve's connections (page
	// caches, schemas, statements, lookaside), sqliteCache its page caches.
	sqlite, sqliteCache int64
}

// startServe starts a new instance of serve, its JSON log going to a file.
func (s *serve) startServe() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.instance++
	logPath := filepath.Join(s.dir, fmt.Sprintf("serve-%d.log", s.instance))
	f, err := os.Create(logPath)
	if err != nil {
		return err
	}
	defer f.Close()
	addr, err := freeLoopbackAddr()
	if err != nil {
		return err
	}
	s.debugAddr = addr
	cmd := exec.Command(s.bin, "-config", s.config, "-log-format", "json", "serve", "-debug-addr", addr)
	cmd.Env = s.env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start serve: %w", err)
	}
	s.cmd = cmd
	s.logs = append(s.logs, logPath)
	exited := make(chan struct{})
	s.exited = exited
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.exitErr = err
		s.mu.Unlock()
		close(exited)
	}()
	logf("serve #%d started, pid %d", s.instance, cmd.Process.Pid)
	return nil
}

// current returns the running instance's process and exit channel.
func (s *serve) current() (*exec.Cmd, chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd, s.exited
}

// alive reports whether the current instance still runs.
func (s *serve) alive() bool {
	_, exited := s.current()
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// signal sends sig to the current instance and waits up to wait for it to
// exit; it reports how long the exit took.
func (s *serve) signal(sig syscall.Signal, wait time.Duration) (time.Duration, error) {
	cmd, exited := s.current()
	start := time.Now()
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return 0, err
	}
	select {
	case <-exited:
	case <-time.After(wait):
		_ = cmd.Process.Kill()
		<-exited
		return time.Since(start), fmt.Errorf("serve did not exit within %v of %v; killed", wait, sig)
	}
	took := time.Since(start)
	s.mu.Lock()
	s.exitNotes = append(s.exitNotes, fmt.Sprintf("instance %d: %v → exit after %v (%v)", s.instance, sig, took.Round(time.Millisecond), s.exitErr))
	s.mu.Unlock()
	return took, nil
}

// sampleRSS reads VmRSS and the Go memory figures of the current instance
// every interval, and saves its heap profile every profileEvery, until ctx
// ends.
func (s *serve) sampleRSS(ctx context.Context, interval, profileEvery time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	p := time.NewTicker(profileEvery)
	defer p.Stop()
	for {
		cmd, exited := s.current()
		select {
		case <-exited:
		default:
			if st, err := procStatus(cmd.Process.Pid); err == nil {
				sample := rssSample{at: time.Since(s.start), kB: st["VmRSS"], anonKB: st["RssAnon"], fileKB: st["RssFile"]}
				s.mu.Lock()
				sample.instance = s.instance
				addr := s.debugAddr
				s.mu.Unlock()
				if m, err := goMemory(ctx, addr); err == nil {
					sample.goLive = m["/gc/heap/live:bytes"]
					sample.goResident = m["/memory/classes/total:bytes"] - m["/memory/classes/heap/released:bytes"]
					sample.goroutines = m["/sched/goroutines:goroutines"]
					sample.libcBytes = m["libc/bytes"]
					sample.sqlite = m["sqlite/cache"] + m["sqlite/schema"] + m["sqlite/stmt"] + m["sqlite/lookaside"]
					sample.sqliteCache = m["sqlite/cache"]
				}
				s.mu.Lock()
				s.samples = append(s.samples, sample)
				s.mu.Unlock()
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-p.C:
			if s.alive() {
				s.saveHeap(ctx)
			}
		}
	}
}

// freeLoopbackAddr returns a loopback address with a port free at the
// moment, for serve's debug listener.
func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// debugGet fetches path from serve's debug listener at addr.
func debugGet(ctx context.Context, addr, path string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return b, err
}

// goMemory reads serve's /debug/memory: "name value" per line.
func goMemory(ctx context.Context, addr string) (map[string]int64, error) {
	b, err := debugGet(ctx, addr, "/debug/memory")
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for line := range strings.Lines(string(b)) {
		name, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[name] = n
		}
	}
	return m, nil
}

// saveHeap saves the current instance's heap profile into the work
// directory as heap-<instance>-<mm>m.pb.gz; compare two with
// `go tool pprof -base EARLY LATE BINARY`.
func (s *serve) saveHeap(ctx context.Context) {
	s.mu.Lock()
	instance, addr := s.instance, s.debugAddr
	s.mu.Unlock()
	b, err := debugGet(ctx, addr, "/debug/pprof/heap")
	if err != nil {
		logf("heap profile: %v", err)
		return
	}
	p := filepath.Join(s.dir, fmt.Sprintf("heap-%d-%02dm.pb.gz", instance, int(time.Since(s.start).Minutes())))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		logf("heap profile: %v", err)
		return
	}
	s.mu.Lock()
	s.profiles = append(s.profiles, p)
	s.mu.Unlock()
}

// procStatus reads the kB figures of /proc/<pid>/status (VmRSS, RssAnon,
// RssFile ...).
func procStatus(pid int) (map[string]int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]int64{}
	for line := range strings.Lines(string(b)) {
		name, v, ok := strings.Cut(line, ":")
		v, kB := strings.CutSuffix(strings.TrimSpace(v), " kB")
		if !ok || !kB {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			m[name] = n
		}
	}
	if _, ok := m["VmRSS"]; !ok {
		return nil, errors.New("no VmRSS")
	}
	return m, nil
}

// logSummary counts serve's log lines by level and the warnings and errors
// by message.
type logSummary struct {
	levels   map[string]int
	messages map[string]int // "LEVEL msg" of WARN and ERROR lines
	other    int            // lines that are not JSON (a panic, say)
	otherEx  []string
}

// readLogs summarises the log files of every instance.
func readLogs(paths []string) (logSummary, error) {
	ls := logSummary{levels: map[string]int{}, messages: map[string]int{}}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return ls, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var line struct {
				Level string `json:"level"`
				Msg   string `json:"msg"`
				Err   string `json:"error"`
			}
			if err := json.Unmarshal(sc.Bytes(), &line); err != nil || line.Level == "" {
				ls.other++
				if len(ls.otherEx) < 5 {
					ls.otherEx = append(ls.otherEx, truncate(sc.Text(), 200))
				}
				continue
			}
			ls.levels[line.Level]++
			if line.Level == "WARN" || line.Level == "ERROR" {
				k := line.Level + " " + line.Msg
				if line.Err != "" {
					k += ": " + truncate(line.Err, 120)
				}
				ls.messages[k]++
			}
		}
		f.Close()
		if err := sc.Err(); err != nil {
			return ls, err
		}
	}
	return ls, nil
}

// top returns the n most frequent keys of m.
func top(m map[string]int, n int) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys[:min(n, len(keys))]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
