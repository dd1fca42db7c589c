package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"time"

	"modernc.org/libc"

	"coordbot/store"
)

func (e *env) cmdServe(ctx context.Context, g *globals, args []string) error {
	fs := e.newFlagSet("serve", "[-debug-addr ADDR] (run every configured part until SIGINT or SIGTERM)")
	debugAddr := fs.String("debug-addr", "", "serve Go's profiles (pprof, trace) and runtime figures on `addr`, e.g. 127.0.0.1:6060; loopback only")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("serve takes no arguments")
	}
	// serve connects to every configured server, so their secrets must be
	// there; other commands load the configuration without them.
	if err := g.cfg.RequireSecrets("discord", "mail", "smtp"); err != nil {
		return err
	}
	if e.setGCPercent != nil {
		tuneGC(e.getenv, e.setGCPercent, g.logger)
	}
	m := NewMain(g.cfg, g.logger)
	m.Now = e.now
	m.DebugAddr = *debugAddr
	if err := m.Run(ctx); err != nil {
		m.Close()
		return err
	}
	<-ctx.Done()
	g.logger.Info("shutting down", "reason", context.Cause(ctx))
	return m.Close()
}

// serveGCPercent is serve's GOGC unless the environment sets one. serve's
// live heap is small (about 2 MiB) and the runtime's smallest heap goal is
// 4 MiB, so at Go's default of 100 it collected every 2 MiB allocated:
// twice or more in each burst of 200 clicks, each collection 3-6 ms of CPU
// (with assists) on the two cores that answer the clicks. At 200 the
// smallest goal is 8 MiB: about one collection per burst, for about 4 MiB
// more resident memory (the soak: 36-40 MiB instead of 33-36); 400 was no
// faster in the click benchmark and held 44-48 MiB (docs/benchmarks.md,
// issue 14). GOGC=100 in the environment restores Go's default.
const serveGCPercent = 200

// tuneGC sets serve's garbage collector to serveGCPercent, unless GOGC is
// set (the operator's word wins; the runtime has read it already).
func tuneGC(getenv func(string) string, setGCPercent func(int) int, logger *slog.Logger) {
	if v := getenv("GOGC"); v != "" {
		logger.Info("garbage collector", "gogc", v, "from", "GOGC")
		return
	}
	setGCPercent(serveGCPercent)
	logger.Info("garbage collector", "gogc", serveGCPercent, "from", "default")
}

// startDebug serves Go's profiles (the paths of net/http/pprof, for go tool
// pprof and go tool trace) and the runtime's memory figures on m.DebugAddr, for finding where time and
// memory go in a running serve (the soak reads /debug/memory). The
// endpoints show the program's internals, so only a loopback address is
// accepted. The memory figures read st, captured here: the store outlives
// the debug server (Close stops the parts first).
func (m *Main) startDebug(st *store.Store) error {
	host, _, err := net.SplitHostPort(m.DebugAddr)
	if err != nil {
		return fmt.Errorf("debug: address %q: %w", m.DebugAddr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("debug: address %q is not a loopback address; the profiles show the program's internals", m.DebugAddr)
	}
	ln, err := net.Listen("tcp", m.DebugAddr)
	if err != nil {
		return fmt.Errorf("debug: listen on %s: %w", m.DebugAddr, err)
	}
	m.DebugAddr = ln.Addr().String()
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/{name}", serveProfile)
	mux.HandleFunc("/debug/memory", func(w http.ResponseWriter, r *http.Request) { serveMemory(w, r, st) })
	// Profiles and traces take as long as asked (?seconds=N), so no write
	// timeout; the header timeout still bounds a slow client.
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.Logger.Error("debug server stopped", "err", err)
		}
	}()
	m.Logger.Info("debug endpoints served", "addr", m.DebugAddr)
	m.parts = append(m.parts, part{name: "debug", stop: srv.Shutdown})
	return nil
}

// memoryMetrics are the runtime figures /debug/memory reports, one per
// line as "name value": enough to tell Go heap growth from memory the
// process holds outside it (the SQLite driver's C-style allocations, which
// appear in VmRSS but in none of these).
var memoryMetrics = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
	"/memory/classes/heap/stacks:bytes",
	"/memory/classes/total:bytes",
	"/sched/goroutines:goroutines",
	"/gc/gogc:percent",
}

// serveMemory writes the runtime's memory figures as text, and SQLite's
// (summed over st's connections).
func serveMemory(w http.ResponseWriter, r *http.Request, st *store.Store) {
	samples := make([]metrics.Sample, len(memoryMetrics))
	for i, name := range memoryMetrics {
		samples[i].Name = name
	}
	metrics.Read(samples)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	for _, s := range samples {
		if s.Value.Kind() == metrics.KindUint64 {
			fmt.Fprintf(w, "%s %d\n", s.Name, s.Value.Uint64())
		}
	}
	// The C runtime of the pure-Go SQLite driver allocates outside the Go
	// heap; its allocator counts only in a binary built with
	// -tags memory.counters (tools/soak -libc-counters), else these are 0.
	ms := libc.MemStat()
	fmt.Fprintf(w, "libc/allocs %d\nlibc/bytes %d\nlibc/mmaps %d\n", ms.Allocs, ms.Bytes, ms.Mmaps)
	if mem, err := st.Memory(r.Context()); err == nil {
		fmt.Fprintf(w, "sqlite/conns %d\nsqlite/cache %d\nsqlite/schema %d\nsqlite/stmt %d\nsqlite/lookaside %d\n",
			mem.Conns, mem.Cache, mem.Schema, mem.Stmt, mem.Lookaside)
	}
}

// serveProfile writes one profile as net/http/pprof would (without
// importing it: its start-up cost is paid by every command of the
// binary): /debug/pprof/profile?seconds=N a CPU profile, trace?seconds=N an
// execution trace, any other name the runtime profile of that name (heap,
// goroutine, allocs, block, mutex, threadcreate; ?debug=1 for text).
func serveProfile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	seconds, err := strconv.Atoi(r.FormValue("seconds"))
	if err != nil || seconds <= 0 || seconds > 300 {
		seconds = 5
	}
	debug, _ := strconv.Atoi(r.FormValue("debug"))
	wait := func() {
		select {
		case <-r.Context().Done():
		case <-time.After(time.Duration(seconds) * time.Second):
		}
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch name {
	case "profile":
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := pprof.StartCPUProfile(w); err != nil {
			http.Error(w, "cpu profile: "+err.Error(), http.StatusConflict)
			return
		}
		wait()
		pprof.StopCPUProfile()
	case "trace":
		w.Header().Set("Content-Type", "application/octet-stream")
		if err := trace.Start(w); err != nil {
			http.Error(w, "trace: "+err.Error(), http.StatusConflict)
			return
		}
		wait()
		trace.Stop()
	default:
		p := pprof.Lookup(name)
		if p == nil {
			http.Error(w, "no profile "+strconv.Quote(name), http.StatusNotFound)
			return
		}
		if debug > 0 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		} else {
			w.Header().Set("Content-Type", "application/octet-stream")
		}
		if r.FormValue("gc") != "" {
			runtime.GC()
		}
		_ = p.WriteTo(w, debug)
	}
}
