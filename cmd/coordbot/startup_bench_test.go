package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coordbot/store"
)

// helloWorld is the program coordbot's start-up is measured against: the
// least a Go binary does before and after main.
const helloWorld = `package main

import "fmt"

func main() { fmt.Println("hello, world") }
`

// BenchmarkStartupProcess measures start-up from outside, the way a person
// or a script sees it: the whole process of `coordbot version` (fork, exec,
// dynamic loading, page faults of the binary, runtime and package
// initialisation, main, exit) beside a hello-world Go binary, both built
// here with the same plain `go build`. Each iteration runs one of each, in
// turn and in rotating order, so all see the same machine; the target
// (issue 14) is version_ms at most 5 ms above hello_ms, judged by
// diff_ms_p50 and diff_ms_p90, the median and 90th percentile of the
// differences within an iteration.
//
// A plain go build links coordbot against the C library (package net uses
// cgo for the system's resolver when a C compiler is there), which a
// hello world is not: the dynamic loader and cgo's thread and signal set-up
// are part of every start. The static_* figures are of the same program
// built with CGO_ENABLED=0 (pure-Go resolver, a static binary), run in the
// same iterations.
//
// Run it with a fixed count, so the binaries are built once:
//
//	go test -run '^$' -bench StartupProcess -benchtime 200x ./cmd/coordbot/
func BenchmarkStartupProcess(b *testing.B) {
	dir := b.TempDir()
	hello := buildHelloWorld(b, dir)
	cb := filepath.Join(dir, "coordbot")
	goBuild(b, ".", nil, "-o", cb, ".")
	static := filepath.Join(dir, "coordbot-static")
	goBuild(b, ".", []string{"CGO_ENABLED=0"}, "-o", static, ".")
	for _, f := range []string{cb, static} {
		if out, err := exec.Command(f, "version").Output(); err != nil || !strings.HasPrefix(string(out), "coordbot ") {
			b.Fatalf("%s version: %q, %v", f, out, err)
		}
	}
	for _, f := range []string{hello, cb, static} {
		if fi, err := os.Stat(f); err == nil {
			b.Logf("%s: %.1f MB", filepath.Base(f), float64(fi.Size())/1e6)
		}
	}
	runs := []struct {
		name string
		path string
		args []string
		ms   []float64
	}{
		{name: "hello", path: hello},
		{name: "version", path: cb, args: []string{"version"}},
		{name: "static_version", path: static, args: []string{"version"}},
	}
	// One untimed run of each puts the binaries in the page cache.
	for _, r := range runs {
		runToExit(b, r.path, r.args...)
	}

	i := 0
	b.ResetTimer()
	for b.Loop() {
		for k := range runs {
			r := &runs[(i+k)%len(runs)]
			r.ms = append(r.ms, startupMS(runToExit(b, r.path, r.args...)))
		}
		i++
	}
	b.StopTimer()
	diff := func(ms []float64) []float64 {
		d := make([]float64, len(ms))
		for j := range ms {
			d[j] = ms[j] - runs[0].ms[j]
		}
		return d
	}
	for _, m := range []struct {
		name string
		xs   []float64
	}{
		{"hello_ms", runs[0].ms}, {"version_ms", runs[1].ms}, {"diff_ms", diff(runs[1].ms)},
		{"static_version_ms", runs[2].ms}, {"static_diff_ms", diff(runs[2].ms)},
	} {
		b.ReportMetric(startupPercentile(m.xs, 50), m.name+"_p50")
		b.ReportMetric(startupPercentile(m.xs, 90), m.name+"_p90")
	}
	// The time per iteration is three process runs and says nothing of its own.
	b.ReportMetric(0, "ns/op")
}

// buildHelloWorld writes the hello-world program as a module of its own in
// dir and builds it with the same plain go build as coordbot.
func buildHelloWorld(tb testing.TB, dir string) string {
	tb.Helper()
	src := filepath.Join(dir, "hello")
	if err := os.MkdirAll(src, 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "go.mod"), []byte("module hello\n\ngo 1.26\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "main.go"), []byte(helloWorld), 0o644); err != nil {
		tb.Fatal(err)
	}
	bin := filepath.Join(dir, "hello-world")
	goBuild(tb, src, nil, "-o", bin, ".")
	return bin
}

// goBuild runs go build with args in dir, with env added to the
// environment.
func goBuild(tb testing.TB, dir string, env []string, args ...string) {
	tb.Helper()
	cmd := exec.Command("go", append([]string{"build"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %v: %v\n%s", args, err, out)
	}
}

// runToExit runs the program to its end, output discarded (to /dev/null, so
// no pipe or copying goroutine is timed), and returns how long it took from
// start to exit.
func runToExit(tb testing.TB, path string, args ...string) time.Duration {
	tb.Helper()
	cmd := exec.Command(path, args...)
	start := time.Now()
	if err := cmd.Run(); err != nil {
		tb.Fatalf("%s %v: %v", path, args, err)
	}
	return time.Since(start)
}

func startupMS(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// startupPercentile returns the p-th percentile (nearest rank) of xs.
func startupPercentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	k := int(float64(len(s))*p/100+0.5) - 1
	return s[min(max(k, 0), len(s)-1)]
}

// TestReadOnlyCommandsNeitherMigrateNorSyncGroups: a command that only
// reads starts without asking for the write lock even when the
// configuration's groups differ from the stored ones (it reads them as
// stored, and leaves them so), refuses a database that still needs a
// migration instead of migrating it, and finds the groups after a first
// migrate.
func TestReadOnlyCommandsNeitherMigrateNorSyncGroups(t *testing.T) {
	dir := newCLIDir(t)
	mustRun(t, dir, "meeting", "add", "-group", cliGroup, "-title", "Porada", "-start", "2. 12. 2026 10:00")
	db := filepath.Join(dir, "coordbot.db")
	writeFile(t, dir, "coordbot.toml", strings.Replace(cliTOML, "Pracovní skupina protidrogové politiky", "Přejmenovaná skupina", 1))
	release := holdWriteLock(t, db)
	for _, args := range [][]string{
		{"search", "prevence"},
		{"meeting", "list"},
		{"member", "list", "-group", cliGroup},
		{"agenda", "list", "1"},
		{"minutes", "list"},
		{"ics", "-group", cliGroup},
		{"report", "-group", cliGroup, "-year", "2026"},
	} {
		r := runCLI(t, dir, nil, args...)
		if r.code != exitOK || strings.Contains(r.stderr, "waiting") {
			t.Errorf("%v with changed groups and the write lock held elsewhere: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	release()
	s, err := store.Open(context.Background(), db, store.Options{MustExist: true})
	if err != nil {
		t.Fatal(err)
	}
	g, err := s.GroupBySlug(context.Background(), cliGroup)
	s.Close()
	if err != nil || g.Name != "Pracovní skupina protidrogové politiky" {
		t.Errorf("group after the readers: %+v, %v; want it as stored, not synced", g, err)
	}

	// A database one migration behind is refused, and left behind.
	old := filepath.Join(dir, "old.db")
	oldStore, err := store.OpenNoMigrate(context.Background(), old, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := oldStore.MigrateTo(context.Background(), store.SchemaVersion()-1); err != nil {
		t.Fatal(err)
	}
	oldStore.Close()
	r := runCLI(t, dir, nil, "-db", old, "meeting", "list")
	if r.code != exitError || !strings.Contains(r.stderr, "run coordbot migrate") {
		t.Errorf("meeting list on an old schema: %+v", r)
	}
	mustRun(t, dir, "-db", old, "migrate")
	if r := runCLI(t, dir, nil, "-db", old, "report", "-group", cliGroup, "-year", "2026"); r.code != exitOK {
		t.Errorf("report after migrate: %+v (migrate must store the configured groups)", r)
	}
}
