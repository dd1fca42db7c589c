package main

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"coordbot/config"
	"coordbot/internal/smtptest"
)

// BenchmarkInvitationFanOut2000Process measures the whole process: serve
// (a child process) starts with an invitation to 2,000 e-mail members in
// its outbox and sends it through a loopback SMTP server (AUTH PLAIN, one
// connection). The time runs from the start of the process to the
// server's acceptance of the 2,000th message; msgs/s is 2,000 over that
// time, and peak_rss_MiB the child's VmHWM at the end. Run it with
//
//	go test -run '^$' -bench InvitationFanOut2000Process -benchtime 1x -count 3 ./cmd/coordbot/
func BenchmarkInvitationFanOut2000Process(b *testing.B) {
	const recipients = 2000
	for range b.N {
		b.StopTimer()
		smtpSrv, err := smtptest.Start()
		if err != nil {
			b.Fatal(err)
		}
		dir := b.TempDir()
		cfgPath := filepath.Join(dir, "coordbot.toml")
		if err := os.WriteFile(cfgPath, []byte(sendOnlyTOML(dir, smtpSrv.Addr, smtpSrv.User)), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "clenove.csv"), []byte(memberCSV(recipients)), 0o600); err != nil {
			b.Fatal(err)
		}
		environ := map[string]string{config.EnvSMTPPassword: smtpSrv.Password}
		start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
		for _, args := range [][]string{
			{"member", "import", "-group", mailGroup, "clenove.csv"},
			{"meeting", "add", "-group", mailGroup, "-title", "Setkání místních koordinátorů", "-start", start},
		} {
			if r := runCLIClock(b, time.Now, dir, environ, args...); r.code != 0 {
				b.Fatalf("%v: %+v", args, r)
			}
		}
		b.StartTimer()
		began := time.Now()
		p := startServeEnv(b, dir, cfgPath, config.EnvSMTPPassword+"="+smtpSrv.Password)
		// Read its log as it comes: a full pipe would stop the process.
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for range p.lines {
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		_, err = smtpSrv.WaitFor(ctx, recipients)
		cancel()
		elapsed := time.Since(began)
		b.StopTimer()
		if err != nil {
			p.cmd.Process.Kill()
			b.Fatal(err)
		}
		rss := peakRSS(p.cmd.Process.Pid)
		p.cmd.Process.Signal(syscall.SIGTERM)
		<-drained
		p.cmd.Wait()
		smtpSrv.Close()
		if n := smtpSrv.Connections(); n != 1 {
			b.Errorf("%d SMTP connections, want 1", n)
		}
		b.ReportMetric(float64(recipients)/elapsed.Seconds(), "msgs/s")
		b.ReportMetric(elapsed.Seconds(), "s/fan-out")
		b.ReportMetric(float64(rss)/(1<<20), "peak_rss_MiB")
		b.StartTimer()
	}
}

// peakRSS reads a process's peak resident set (VmHWM) in bytes, 0 when
// unknown.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err == nil {
				return kb << 10
			}
		}
	}
	return 0
}
