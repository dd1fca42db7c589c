package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"coordbot/config"
	"coordbot/internal/smtptest"
)

// sendOnlyTOML configures serve with [smtp] only: a relay on loopback
// without TLS, and one group reached by e-mail.
func sendOnlyTOML(dir, smtpAddr, smtpUser string) string {
	return fmt.Sprintf(`
[database]
path = %q

[smtp]
addr = %q
tls = "none"
username = %q
from = "Místní protidrogoví koordinátoři <%s>"

[[groups]]
slug = %q
name = "Místní protidrogoví koordinátoři"
`, filepath.Join(dir, "coordbot.db"), smtpAddr, smtpUser, mailArchive, mailGroup)
}

// memberCSV is a member list of n e-mail members, m001@obec.example....
func memberCSV(n int) string {
	var b strings.Builder
	b.WriteString("jméno;organizace;e-mail;oznámení\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "Koordinátor %03d;Obec %03d;m%03d@obec.example;e-mail\n", i, i, i)
	}
	return b.String()
}

// TestKilledMidFanOutSendsEachInvitationOnce kills serve (SIGKILL, a real
// child process) in the middle of a 50-recipient invitation fan-out, at the
// worst moment: the SMTP server has accepted the 20th message but coordbot
// has not heard so, so it never recorded it as sent. After a restart every
// recipient has their invitation; the one in flight has it twice, both
// copies with the same Message-ID (derived from the outbox row's key), and
// nobody else has a duplicate. That is the documented bound: at most one
// duplicate per crash, recognisable by its Message-ID.
func TestKilledMidFanOutSendsEachInvitationOnce(t *testing.T) {
	const recipients, killAt = 50, 20
	smtpSrv, err := smtptest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer smtpSrv.Close()
	held := make(chan struct{})
	release := make(chan struct{})
	seen := 0
	smtpSrv.BeforeAccept = func(smtptest.Message) {
		// Runs on the server's session goroutine, one message at a time
		// (one connection carries the fan-out).
		seen++
		if seen == killAt {
			close(held)
			<-release
		}
	}
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "coordbot.toml", sendOnlyTOML(dir, smtpSrv.Addr, smtpSrv.User))
	writeFile(t, dir, "clenove.csv", memberCSV(recipients))
	environ := map[string]string{config.EnvSMTPPassword: smtpSrv.Password}
	start := time.Now().Add(10 * 24 * time.Hour).In(time.UTC).Format("2006-01-02T15:04")
	for _, args := range [][]string{
		{"member", "import", "-group", mailGroup, "clenove.csv"},
		{"meeting", "add", "-group", mailGroup, "-title", "Setkání místních koordinátorů", "-start", start},
	} {
		if r := runCLIClock(t, time.Now, dir, environ, args...); r.code != 0 {
			t.Fatalf("%v: %+v", args, r)
		}
	}

	p := startServeEnv(t, dir, cfgPath, config.EnvSMTPPassword+"="+smtpSrv.Password)
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		p.kill(t)
		t.Fatal("the fan-out never reached the 20th message")
	}
	p.kill(t)
	close(release) // the server now accepts the 20th message: coordbot never heard
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := smtpSrv.WaitFor(ctx, killAt); err != nil {
		t.Fatal(err)
	}

	p = startServeEnv(t, dir, cfgPath, config.EnvSMTPPassword+"="+smtpSrv.Password)
	// Every recipient, and the one duplicate.
	if _, err := smtpSrv.WaitFor(ctx, recipients+1); err != nil {
		p.kill(t)
		t.Fatal(err)
	}
	p.waitLog(t, "message sent", map[string]any{"target": fmt.Sprintf("member:%d", recipients)})
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitLog(t, "coordbot stopped", nil)
	for range p.lines {
	}
	p.cmd.Wait()

	byRecipient := map[string][]string{}
	for _, m := range smtpSrv.Messages() {
		if len(m.To) != 1 {
			t.Fatalf("a message to %v: one recipient per message expected", m.To)
		}
		byRecipient[m.To[0]] = append(byRecipient[m.To[0]], m.MessageID)
	}
	if len(byRecipient) != recipients {
		t.Errorf("%d recipients got mail, want %d", len(byRecipient), recipients)
	}
	duplicates := 0
	for to, ids := range byRecipient {
		switch {
		case len(ids) == 1:
		case len(ids) == 2 && ids[0] == ids[1]:
			duplicates++
		default:
			t.Errorf("%s got %d messages with Message-IDs %q", to, len(ids), ids)
		}
	}
	if duplicates != 1 {
		t.Errorf("%d recipients with a duplicate, want exactly the one in flight at the kill", duplicates)
	}
	if n := len(smtpSrv.Messages()); n != recipients+1 {
		t.Errorf("%d messages accepted, want %d (each once, one in flight twice)", n, recipients+1)
	}
}
