package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"coordbot/store"
)

// TestDebugEndpoints: the debug listener serves the runtime's memory
// figures and the pprof index on loopback, and refuses any other address.
func TestDebugEndpoints(t *testing.T) {
	m := NewMain(nil, slog.New(slog.DiscardHandler))
	m.DebugAddr = "127.0.0.1:0"
	s, err := store.Open(context.Background(), t.TempDir()+"/d.db", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m.Store = s
	if err := m.startDebug(s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	get := func(path string) string {
		t.Helper()
		resp, err := http.Get("http://" + m.DebugAddr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		return string(b)
	}
	mem := get("/debug/memory")
	for _, name := range []string{"/gc/heap/live:bytes ", "/memory/classes/total:bytes ", "/sched/goroutines:goroutines ", "sqlite/conns ", "sqlite/cache "} {
		if !strings.Contains(mem, name) {
			t.Errorf("/debug/memory lacks %q:\n%s", name, mem)
		}
	}
	if g := get("/debug/pprof/goroutine?debug=1"); !strings.Contains(g, "goroutine profile:") {
		t.Errorf("goroutine profile as text:\n%s", g)
	}
	if h := get("/debug/pprof/heap"); !strings.HasPrefix(h, "\x1f\x8b") {
		t.Errorf("heap profile is not gzipped protobuf: %q", h[:min(len(h), 16)])
	}
	if tr := get("/debug/pprof/trace?seconds=1"); !strings.HasPrefix(tr, "go 1.") {
		t.Errorf("trace does not start with the trace header: %q", tr[:min(len(tr), 16)])
	}

	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "nonsense"} {
		m := NewMain(nil, slog.New(slog.DiscardHandler))
		m.DebugAddr = addr
		if err := m.startDebug(nil); err == nil {
			m.Close()
			t.Errorf("startDebug(%q) accepted a non-loopback address", addr)
		}
	}
}

// TestTuneGC: serve sets GOGC 400 unless the environment sets GOGC.
func TestTuneGC(t *testing.T) {
	for _, env := range []string{"", "150", "off"} {
		set := -1
		tuneGC(func(k string) string {
			if k == "GOGC" {
				return env
			}
			return ""
		}, func(p int) int { set = p; return 100 }, slog.New(slog.DiscardHandler))
		if want := map[bool]int{true: serveGCPercent, false: -1}[env == ""]; set != want {
			t.Errorf("GOGC=%q: set %d, want %d", env, set, want)
		}
	}
}
